# storegraph: `make run` serves the playground with demo data, `make test` runs the tests.
GO ?= go
BIN := bin/storegraph
export DATABASE_URL ?= postgres:///storegraph

.PHONY: run test check generate bench db build migrate

## run: make PostgreSQL usable, build, load the demo data and serve on $PORT (8080)
run: db build
	$(BIN) seed
	exec $(BIN) serve

## migrate: apply the pending migrations to $DATABASE_URL and list them
migrate: db build
	$(BIN) migrate
	$(BIN) migrate status

## test: every test, with the race detector, against the local PostgreSQL
test: db
	$(GO) test -race -count=1 ./...

## check: formatting, vet, and generated code up to date
check:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) generate ./...
	@git diff --exit-code --stat -- . || { echo "go generate changed files: commit its output"; exit 1; }

## generate: regenerate gqlgen's code after a schema change
generate:
	$(GO) generate ./...

## bench: Go benchmarks of the three benchmark workloads through the real handler
bench: db
	$(GO) test -run '^$$' -bench . -benchmem ./...

## db: start PostgreSQL and create a role for this user when needed
db:
	@.ci/ensure-postgres

build:
	$(GO) build -o $(BIN) .
