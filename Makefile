# storegraph: `make run` serves the playground with demo data, `make test` runs the tests.
GO ?= go
BIN := bin/storegraph
export DATABASE_URL ?= postgres:///storegraph
# Go sources outside the npm packages' folders, some of which ship .go files of their own.
GOFILES = $(shell find . -name node_modules -prune -o -name '*.go' -print)

.PHONY: run test check generate bench db pgbouncer build migrate

## run: make PostgreSQL usable, build, load the demo data and serve on $PORT (8080)
run: db build
	$(BIN) seed
	exec $(BIN) serve

## migrate: apply the pending migrations to $DATABASE_URL and list them
migrate: db build
	$(BIN) migrate
	$(BIN) migrate status

## test: every test, with the race detector, against the local PostgreSQL
test: db pgbouncer
	$(GO) test -race -count=1 ./...

## check: formatting, vet, generated code and built frontends up to date
check:
	@test -z "$$(gofmt -l $(GOFILES))" || { echo "gofmt would change:"; gofmt -l $(GOFILES); exit 1; }
	$(GO) vet ./...
	$(GO) generate ./...
	@git diff --exit-code --stat -- . || { echo "go generate changed files: commit its output"; exit 1; }
	.ci/check-frontends

## generate: regenerate gqlgen's code after a schema change
generate:
	$(GO) generate ./...

## bench: Go benchmarks of the three benchmark workloads through the real handler
bench: db
	$(GO) test -run '^$$' -bench . -benchmem ./...

## db: start PostgreSQL and create a role for this user when needed
db:
	@.ci/ensure-postgres

## pgbouncer: install PgBouncer when missing, for the tests that run behind it
pgbouncer:
	@.ci/ensure-pgbouncer

build:
	$(GO) build -o $(BIN) .
