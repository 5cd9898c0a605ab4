// Package app assembles storegraph from its configuration: database, schema, resolvers and
// HTTP handler. main and the end-to-end tests build the service the same way through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uptrace/bun"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/httpserver"
	"github.com/storegraph/storegraph/internal/loader"
	"github.com/storegraph/storegraph/internal/store"
)

// App is a ready-to-serve storegraph.
type App struct {
	DB      *bun.DB
	Store   *store.Store
	Queries *database.QueryCounter // every SQL statement sent, for tests and db_queries_total
	Handler http.Handler
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

	db, err := database.Open(cfg.DatabaseURL, database.Options{
		MaxConns:         cfg.DBMaxConns,
		StatementTimeout: cfg.StatementTimeout,
	}, queries)
	if err != nil {
		return nil, err
	}
	if err := database.Migrate(ctx, db, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	st := store.New(db)

	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Data: st, Log: log}}))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if cfg.Introspection {
		gql.Use(extension.Introspection{})
	}
	gql.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
			ctx = loader.Fresh(ctx)
		}
		return next(ctx)
	})
	gql.Use(httpserver.GraphQLObserver{})
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.RecoverFunc(log))

	h := httpserver.New(httpserver.Options{
		GraphQL:        httpserver.QueriesOnlyOverGET(loader.Middleware(st, cfg.LoaderWait, gql)),
		Ready:          func(ctx context.Context) error { return db.PingContext(ctx) },
		Registry:       reg,
		Metrics:        metrics,
		Log:            log,
		AllowedOrigins: cfg.CORSAllowedOrigins,
		Playground:     cfg.Playground,
	})
	return &App{DB: db, Store: st, Queries: queries, Handler: h}, nil
}

// Close releases the database pool.
func (a *App) Close() error { return a.DB.Close() }

// Serve runs the HTTP server on addr until ctx ends, then shuts it down gracefully: new
// connections are refused and requests in flight get up to grace to finish.
func (a *App) Serve(ctx context.Context, addr string, grace time.Duration, log *slog.Logger, ready func(addr string)) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
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
	log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
