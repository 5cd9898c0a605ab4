// Package app assembles storegraph from its configuration: database, schema, resolvers and
// HTTP handler. main and the end-to-end tests build the service the same way through it.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uptrace/bun"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/httpserver"
	"github.com/storegraph/storegraph/internal/loader"
	"github.com/storegraph/storegraph/internal/postgres"
	"github.com/storegraph/storegraph/internal/replica"
)

// App is a ready-to-serve storegraph.
type App struct {
	DB       *bun.DB // the primary
	Catalog  *postgres.Catalog
	Accounts *postgres.Accounts
	Queries  *database.QueryCounter // every SQL statement sent, for tests and db_queries_total
	// The statements each server ran: the primary, and the replicas in DATABASE_REPLICA_URLS' order.
	PrimaryQueries *database.QueryCounter
	ReplicaQueries []*database.QueryCounter
	Replicas       *replica.Set
	replicaDBs     []*bun.DB
	Handler        http.Handler
	Hashing        auth.Argon2 // the cost of new password hashes

	// DrainDelay is how long Serve keeps serving, with /readyz failing, before it closes
	// the listener at shutdown, so load balancers stop sending requests first.
	DrainDelay time.Duration
	draining   atomic.Bool
	cfg        config.Config // the HTTP server's timeouts
}

// New connects to the database (creating it when missing), applies the migrations and
// builds the HTTP handler.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := database.EnsureExists(ctx, cfg.DatabaseURL, log); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := httpserver.NewMetrics(reg)
	queries := database.NewQueryCounter(metrics.DBQueries)

	dbOpts := database.Options{MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.StatementTimeout}
	primaryQueries := database.NewQueryCounter(nil)
	db, err := database.Open(cfg.DatabaseURL, dbOpts, queries, primaryQueries)
	if err != nil {
		return nil, err
	}
	if err := database.Migrate(ctx, db, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	a := &App{DB: db, Queries: queries, PrimaryQueries: primaryQueries, DrainDelay: cfg.ShutdownDrainDelay, cfg: cfg}
	var servers []replica.Server
	for _, u := range cfg.ReplicaURLs {
		counter := database.NewQueryCounter(nil)
		rdb, err := database.Open(u, dbOpts, queries, counter)
		if err != nil {
			_ = a.Close()
			return nil, fmt.Errorf("DATABASE_REPLICA_URLS: %w", err)
		}
		a.replicaDBs = append(a.replicaDBs, rdb)
		a.ReplicaQueries = append(a.ReplicaQueries, counter)
		servers = append(servers, replica.Server{Name: database.Describe(u), DB: rdb})
	}
	if len(servers) > 0 {
		a.Replicas = replica.New(ctx, db, servers, cfg.ReplicaMaxLag, log)
	}
	cat := postgres.NewCatalog(db, postgres.Options{Replicas: a.Replicas, UnnamedStatements: !cfg.PreparedStatements})
	accounts := postgres.NewAccounts(db)
	a.Catalog, a.Accounts = cat, accounts

	secret := cfg.JWTSecret
	switch {
	case len(secret) == 0:
		secret = make([]byte, config.MinJWTSecret)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		log.Warn("JWT_SECRET is not set: signing with a random secret, so access tokens stop working at restart and differ between replicas; set JWT_SECRET (and STOREGRAPH_ENV=production) in production")
	case len(secret) < config.MinJWTSecret:
		log.Warn("JWT_SECRET is shorter than 32 bytes; production mode refuses it")
	}
	tokens := auth.NewTokens(secret, cfg.AccessTokenTTL)
	hashing := auth.Argon2{Time: uint32(cfg.HashTime), Memory: uint32(cfg.HashMemoryKiB), Threads: 1}
	authn, err := auth.NewService(accounts, tokens, auth.Options{
		AccessTTL:             cfg.AccessTokenTTL,
		RefreshTTL:            cfg.RefreshTokenTTL,
		MaxFailuresPerEmail:   cfg.LoginMaxFailures,
		MaxFailuresPerAddress: cfg.LoginMaxPerAddr,
		FailureWindow:         cfg.LoginWindow,
		MaxPerRequest:         cfg.AuthMaxPerRequest,
		RegisterPerAddress:    cfg.RegisterMaxPerAddr,
		RegisterWindow:        cfg.RegisterWindow,
		Rotation: postgres.RotationLimits{
			Max: cfg.RefreshMaxPerSignIn, Window: cfg.RefreshWindow, SpentKept: cfg.RefreshSpentKept,
		},
		Argon2: hashing,
	})
	if err != nil {
		_ = a.Close()
		return nil, err
	}

	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers:  &graph.Resolver{Catalog: cat, Auth: authn, Log: log},
		Complexity: graph.Complexity(cfg.QueryDefaultListSize),
	})
	// A field the relationship lists cannot write stops the start, not a request.
	if err := model.CheckSchema(schema.Schema()); err != nil {
		_ = a.Close()
		return nil, err
	}
	gql := handler.New(schema)
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	useQueryLimits(gql, cfg)
	if cfg.Introspection {
		gql.Use(extension.Introspection{})
	}
	gql.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
			ctx = replica.OnPrimary(loader.Fresh(ctx))
		}
		return next(ctx)
	})
	if a.Replicas.HasReplicas() {
		gql.AroundResponses(commitPosition(a.Replicas, log))
	}
	gql.Use(httpserver.GraphQLObserver{})
	gql.Use(httpserver.GETQueriesOnly{})
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.RecoverFunc(log))

	a.Hashing = hashing
	a.Handler = httpserver.New(httpserver.Options{
		GraphQL: requestLimits(cfg, httpserver.QueriesOnlyOverGET(httpserver.ReadAfter(
			auth.Middleware(tokens, cfg.ClientAddrHeader, loader.Middleware(cat, cfg.LoaderWait, loader.Limits{
				MaxRows:          cfg.QueryMaxRows,
				MaxResponseBytes: cfg.QueryMaxResponse,
			}, gql))))),
		Ready: func(ctx context.Context) error {
			if a.draining.Load() {
				return httpserver.ErrDraining
			}
			return db.PingContext(ctx)
		},
		Registry:       reg,
		Metrics:        metrics,
		Log:            log,
		AllowedOrigins: cfg.CORSAllowedOrigins,
		Playground:     cfg.Playground,
	})
	return a, nil
}

// Close stops the replica checks and releases the database pools.
func (a *App) Close() error {
	if a.Replicas != nil {
		a.Replicas.Close()
	}
	errs := []error{a.DB.Close()}
	for _, db := range a.replicaDBs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// commitPosition gives a mutation's response the WAL position its writes reached, in
// extensions.lsn and in replica.Header, for the client to send back with its next
// requests, which then read from a replica only once it has replayed that far.
func commitPosition(set *replica.Set, log *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || !graphql.HasOperationContext(ctx) || graphql.GetOperationContext(ctx).Operation == nil ||
			graphql.GetOperationContext(ctx).Operation.Operation != ast.Mutation {
			return resp
		}
		// Every field of the mutation has committed or rolled back by now.
		lsn, err := set.Position(ctx)
		if err != nil {
			log.WarnContext(ctx, "no WAL position for the mutation's response", "err", err)
			return resp
		}
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["lsn"] = lsn.String()
		replica.Respond(ctx, lsn)
		return resp
	}
}

// Serve runs the HTTP server on addr until ctx ends, then shuts it down gracefully: /readyz
// fails for DrainDelay while requests are still served, then new connections are refused and
// requests in flight get up to grace to finish.
func (a *App) Serve(ctx context.Context, addr string, grace time.Duration, log *slog.Logger, ready func(addr string)) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: a.cfg.ReadHeaderTimeout,
		ReadTimeout:       a.cfg.ReadTimeout,
		WriteTimeout:      a.cfg.WriteTimeout,
		IdleTimeout:       a.cfg.IdleTimeout,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Readiness fails first and the listener stays open for DrainDelay, so a load balancer
	// stops sending before connections are refused; keep-alive connections close after
	// their next response.
	log.Info("shutting down", "drain", a.DrainDelay, "grace", grace)
	a.draining.Store(true)
	srv.SetKeepAlivesEnabled(false)
	select {
	case <-time.After(a.DrainDelay):
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Past the grace period: the remaining requests lose their connections and contexts,
		// so their transactions roll back rather than half-apply.
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("shut down: every request finished")
	return nil
}
