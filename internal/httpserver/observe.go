package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Metrics are the service's Prometheus collectors.
type Metrics struct {
	Requests  *prometheus.CounterVec
	Duration  *prometheus.HistogramVec
	Errors    *prometheus.CounterVec
	DBQueries prometheus.Counter
}

// NewMetrics registers the service's collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests served, by path and status.",
		}, []string{"path", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Time to serve an HTTP request, by path.",
			Buckets: prometheus.DefBuckets,
		}, []string{"path"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphql_errors_total", Help: "GraphQL errors returned, by extensions.code.",
		}, []string{"code"}),
		DBQueries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "db_queries_total", Help: "SQL statements sent to the database.",
		}),
	}
	reg.MustRegister(m.Requests, m.Duration, m.Errors, m.DBQueries)
	return m
}

// requestInfo collects what the GraphQL layer learns of a request, for its log line.
type requestInfo struct {
	mu        sync.Mutex
	operation string
	codes     []string
	errors    *prometheus.CounterVec // counts every error as its response goes out
}

type infoKey struct{}

// maxLoggedCodes bounds the error codes one request's log line keeps.
const maxLoggedCodes = 100

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what was written so far; event streams need it.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// knownPaths bounds the path label, so that random URLs do not grow the metrics.
var knownPaths = map[string]bool{"/graphql": true, "/": true, "/healthz": true, "/readyz": true, "/metrics": true}

// observe logs one line per request and records its metrics.
func observe(log *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{errors: m.Errors}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		elapsed := time.Since(start)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		path := r.URL.Path
		if !knownPaths[path] {
			path = "other"
		}
		m.Requests.WithLabelValues(path, strconv.Itoa(sw.status)).Inc()
		m.Duration.WithLabelValues(path).Observe(elapsed.Seconds())
		if probes[path] {
			return // probes would drown the log
		}
		info.mu.Lock()
		defer info.mu.Unlock()
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", info.operation),
			slog.Int("status", sw.status),
			slog.Duration("duration", elapsed),
			slog.Any("error_codes", info.codes),
		}
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// GraphQLObserver is a gqlgen extension that hands each response's operation name and
// error codes to the request's log line.
type GraphQLObserver struct{}

var (
	_ graphql.HandlerExtension    = GraphQLObserver{}
	_ graphql.ResponseInterceptor = GraphQLObserver{}
)

// ExtensionName implements graphql.HandlerExtension.
func (GraphQLObserver) ExtensionName() string { return "GraphQLObserver" }

// Validate implements graphql.HandlerExtension.
func (GraphQLObserver) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (GraphQLObserver) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	info, ok := ctx.Value(infoKey{}).(*requestInfo)
	if !ok || resp == nil {
		return resp
	}
	info.mu.Lock()
	defer info.mu.Unlock()
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx); op.Operation != nil {
			info.operation = op.Operation.Name
		}
	}
	for _, e := range resp.Errors {
		if c, ok := e.Extensions["code"].(string); ok {
			info.addLocked(c)
		}
	}
	return resp
}

// addLocked counts an error's code, and keeps it for the log line; a socket's line sums up
// all its operations, so it keeps a bounded number of codes. info.mu is held.
func (info *requestInfo) addLocked(code string) {
	info.errors.WithLabelValues(code).Inc()
	if len(info.codes) < maxLoggedCodes {
		info.codes = append(info.codes, code)
	}
}

// recoverer turns a panic outside the resolvers into a 500 and a logged stack.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request", "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
