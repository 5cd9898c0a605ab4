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
	"github.com/uptrace/bun/extra/bunotel"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/httpserver"
	"github.com/storegraph/storegraph/internal/live"
	"github.com/storegraph/storegraph/internal/loader"
	"github.com/storegraph/storegraph/internal/postgres"
	"github.com/storegraph/storegraph/internal/replica"
	"github.com/storegraph/storegraph/internal/tracing"
	"github.com/storegraph/storegraph/internal/trusted"
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
	Resolver       *graph.Resolver // the schema's resolvers, for tests that execute it another way
	Handler        http.Handler
	Hashing        auth.Argon2 // the cost of new password hashes
	Live           *graph.Hub  // the subscriptions of this process

	listener   *live.Listener
	sockets    *sockets
	deliveries *graph.Deliveries

	// DrainDelay is how long Serve keeps serving, with /readyz failing, before it closes
	// the listener at shutdown, so load balancers stop sending requests first.
	DrainDelay time.Duration
	draining   atomic.Bool
	cfg        config.Config               // the HTTP server's timeouts
	shutdown   func(context.Context) error // flushes the traces the app exports itself; nil when none
}

// Option changes how New builds the app.
type Option func(*options)

type options struct {
	tracerProvider trace.TracerProvider
}

// WithTracerProvider traces every request with tp, whatever the OTEL_* variables say; tests
// use it with an in-memory exporter.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// New connects to the database (creating it when missing), applies the migrations and
// builds the HTTP handler. When cfg asks for tracing (an OTLP endpoint), or an option gives
// a tracer provider, every request is traced: the HTTP server, the GraphQL operation, the
// loader batches and each SQL statement; otherwise nothing of tracing runs.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var shutdown func(context.Context) error
	if o.tracerProvider == nil && cfg.Tracing() {
		tp, err := tracing.Start(ctx)
		if err != nil {
			return nil, err
		}
		o.tracerProvider, shutdown = tp, tp.Shutdown
	}
	a, err := build(ctx, cfg, log, o)
	if err != nil {
		if shutdown != nil {
			_ = shutdown(ctx)
		}
		return nil, err
	}
	a.shutdown = shutdown
	return a, nil
}

func build(ctx context.Context, cfg config.Config, log *slog.Logger, o options) (_ *App, err error) {
	if err := database.EnsureExists(ctx, cfg.DatabaseURL, log); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := httpserver.NewMetrics(reg)
	queries := database.NewQueryCounter(metrics.DBQueries)

	dbOpts := database.Options{MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.StatementTimeout}
	// hooks are a server's: every statement counts in queries and in the server's own
	// counter, and is traced when tracing is on.
	hooks := func(url string, counter *database.QueryCounter) []bun.QueryHook {
		h := []bun.QueryHook{queries, counter}
		if o.tracerProvider != nil {
			// Statements are recorded as Bun writes them before formatting, so no value
			// (a password hash, a filter) is in the span.
			h = append(h, bunotel.NewQueryHook(bunotel.WithTracerProvider(o.tracerProvider),
				bunotel.WithDBName(database.Name(url))))
		}
		return h
	}
	primaryQueries := database.NewQueryCounter(nil)
	db, err := database.Open(cfg.DatabaseURL, dbOpts, hooks(cfg.DatabaseURL, primaryQueries)...)
	if err != nil {
		return nil, err
	}
	a := &App{DB: db, Queries: queries, PrimaryQueries: primaryQueries, DrainDelay: cfg.ShutdownDrainDelay, cfg: cfg}
	// A start that fails part way releases what it had opened.
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if err := database.Migrate(ctx, db, log); err != nil {
		return nil, err
	}
	var servers []replica.Server
	for _, u := range cfg.ReplicaURLs {
		counter := database.NewQueryCounter(nil)
		rdb, err := database.Open(u, dbOpts, hooks(u, counter)...)
		if err != nil {
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
		Rotation: auth.RotationLimits{
			Max: cfg.RefreshMaxPerSignIn, Window: cfg.RefreshWindow, SpentKept: cfg.RefreshSpentKept,
		},
		Argon2: hashing,
	})
	if err != nil {
		return nil, err
	}

	liveMetrics := live.NewMetrics(reg)
	hub := graph.NewHub(live.Limits{PerProcess: cfg.SubscriptionsPerProcess, Queue: cfg.SubscriptionQueue}, liveMetrics)
	listener, err := live.NewListener(cfg.DatabaseListenURL, hub, log)
	if err != nil {
		return nil, err
	}
	hub.StartWith(listener.Start)
	a.Live, a.listener = hub, listener

	resolver := &graph.Resolver{Catalog: cat, Auth: authn, Log: log, Live: hub}
	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers:  resolver,
		Complexity: graph.Complexity(cfg.QueryDefaultListSize),
	})
	// A field the relationship lists cannot write stops the start, not a request.
	if err := model.CheckSchema(schema.Schema()); err != nil {
		return nil, err
	}
	if err := a.Catalog.CheckOrders(model.Orders()); err != nil {
		return nil, fmt.Errorf("the schema's list orders: %w", err)
	}
	var trust *trusted.Extension
	if cfg.TrustedDocuments != "" {
		docs, err := trusted.Load(cfg.TrustedDocuments)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_DOCUMENTS: %w", err)
		}
		trust = &trusted.Extension{Documents: docs, Mode: trusted.Mode(cfg.TrustedDocumentsMode), Log: log}
		log.Info("trusted documents loaded", "documents", len(docs.All()), "mode", cfg.TrustedDocumentsMode)
	}
	gql := handler.New(schema)
	socks := newSockets(cfg.CORSAllowedOrigins, cfg.WSPingInterval)
	useStreams(gql, cfg, tokens, socks, log)
	gql.AddTransport(transport.Options{})
	gql.AddTransport(httpserver.GET{})
	gql.AddTransport(httpserver.POST{})
	if err := useQueryLimits(ctx, gql, cfg, trust); err != nil {
		return nil, err
	}
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
		// A delivery reads the change it announces, which the primary has committed and a
		// replica may not have replayed yet.
		gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
				ctx = replica.OnPrimary(ctx)
			}
			return next(ctx)
		})
	}
	if o.tracerProvider != nil {
		gql.Use(tracing.GraphQL{Tracer: o.tracerProvider.Tracer("github.com/storegraph/storegraph/graph")})
	}
	gql.Use(httpserver.GraphQLObserver{})
	gql.Use(httpserver.GETQueriesOnly{})
	gql.Use(httpserver.TransportRules{})
	inFlight := httpserver.NewInFlight(cfg.MaxInFlight, cfg.InFlightWait)
	deliveries := &graph.Deliveries{Timeout: cfg.RequestTimeout, Delivered: liveMetrics.Delivered, Enter: inFlight.Enter}
	gql.Use(deliveries)
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.RecoverFunc(log))

	a.Resolver, a.Hashing, a.sockets, a.deliveries = resolver, hashing, socks, deliveries
	a.Handler = httpserver.New(httpserver.Options{
		GraphQL: requestLimits(cfg, inFlight, httpserver.LimitSockets(cfg.WSMaxConnections, httpserver.QueriesOnlyOverGET(httpserver.ReadAfter(
			auth.Middleware(tokens, cfg.ClientAddrHeader, httpserver.LimitStreamsPerClient(cfg.StreamsPerClient, streamClient,
				loader.Middleware(cat, cfg.LoaderWait, loader.Limits{
					MaxRows:          cfg.QueryMaxRows,
					MaxResponseBytes: cfg.QueryMaxResponse,
				}, gql))))))),
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
		TracerProvider: o.tracerProvider,
	})
	return a, nil
}

// streamClient names a stream's client by the address the other per-client limits count.
func streamClient(r *http.Request) string { return auth.ClientAddr(r.Context()) }

// Close ends the subscriptions, stops listening, sends the traces not yet exported, stops
// the replica checks and releases the database pools. It also undoes a start that failed
// part way.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a.Live != nil {
		a.endStreams(ctx)
		a.listener.Close()
	}
	var errs []error
	if a.shutdown != nil {
		if err := a.shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("export traces: %w", err))
		}
	}
	if a.Replicas != nil {
		a.Replicas.Close()
	}
	errs = append(errs, a.DB.Close())
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

// endStreams completes every subscription, waits (within ctx) until their transports have
// sent their ends, then closes the WebSockets with 1001.
func (a *App) endStreams(ctx context.Context) {
	a.Live.Close()
	for a.deliveries != nil && a.deliveries.Running() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	if a.sockets != nil {
		a.sockets.closeAll()
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
		ConnContext:       httpserver.RememberConn,
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
	// Subscriptions end first: their event streams are requests Shutdown would wait for,
	// and their sockets, taken over from the server, it would not close.
	a.endStreams(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		// Past the grace period: the remaining requests lose their connections and contexts,
		// so their transactions roll back rather than half-apply.
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("shut down: every request finished")
	return nil
}
