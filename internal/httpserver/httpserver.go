// Package httpserver serves storegraph over HTTP: the GraphQL endpoint, the playground,
// health and readiness probes and Prometheus metrics, behind logging, metrics and CORS
// middleware.
package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/storegraph/storegraph/internal/tracing"
)

// ErrDraining is what Options.Ready returns once the server is shutting down.
var ErrDraining = errors.New("shutting down")

// Options configure the handler.
type Options struct {
	GraphQL        http.Handler                    // the GraphQL endpoint, with its per-request middleware
	Ready          func(ctx context.Context) error // nil when the service can take requests
	Registry       *prometheus.Registry
	Metrics        *Metrics
	Log            *slog.Logger
	AllowedOrigins []string // CORS; empty allows none
	Playground     bool
	TracerProvider trace.TracerProvider // traces every request but the probes and metrics; nil for none
}

// New returns the service's HTTP handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", o.GraphQL)
	if o.Playground {
		mux.Handle("GET /{$}", playground.Handler("storegraph", "/graphql"))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := o.Ready(ctx); errors.Is(err, ErrDraining) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
			return
		} else if err != nil {
			o.Log.WarnContext(ctx, "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))

	c := cors.New(cors.Options{
		AllowedOrigins: o.AllowedOrigins,
		// rs/cors reads an empty AllowedOrigins as "*"; here it means no origin.
		AllowOriginFunc: allowNoOrigin(o.AllowedOrigins),
		AllowedMethods:  []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Accept", "Content-Type", "Authorization", "Apollo-Require-Preflight", "X-Apollo-Operation-Name",
			"Apollographql-Client-Name", "Apollographql-Client-Version"}, // Apollo Client's name and version options
		MaxAge: 600,
	})
	h := recoverer(o.Log, observe(o.Log, o.Metrics, c.Handler(mux)))
	if o.TracerProvider == nil {
		return h
	}
	// Outermost, so that the request's log line carries its trace id.
	return otelhttp.NewHandler(h, "http.server",
		otelhttp.WithTracerProvider(o.TracerProvider),
		otelhttp.WithPropagators(tracing.Propagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
		otelhttp.WithFilter(func(r *http.Request) bool { return !probes[r.URL.Path] }),
	)
}

// probes are the paths polled by machines, whose requests are neither logged nor traced.
var probes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// allowNoOrigin returns a check that refuses every origin when origins is empty, and nil (the
// list decides) otherwise.
func allowNoOrigin(origins []string) func(string) bool {
	if len(origins) > 0 {
		return nil
	}
	return func(string) bool { return false }
}
