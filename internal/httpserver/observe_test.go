package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestErrorMetricCountsEveryError answers one request (a socket's, say) with more failing
// operations than its log line keeps codes of: the log line keeps maxLoggedCodes of them,
// graphql_errors_total counts them all.
func TestErrorMetricCountsEveryError(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	var logs strings.Builder
	const sent = 3 * maxLoggedCodes
	h := observe(slog.New(slog.NewTextHandler(&logs, nil)), NewMetrics(reg), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		for range sent {
			GraphQLObserver{}.InterceptResponse(r.Context(), func(context.Context) *graphql.Response {
				return &graphql.Response{Errors: gqlerror.List{{Message: "not found", Extensions: map[string]any{"code": "NOT_FOUND"}}}}
			})
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql", nil))

	if n := strings.Count(logs.String(), "NOT_FOUND"); n != maxLoggedCodes {
		t.Errorf("the log line names %d error codes of %d; want %d", n, sent, maxLoggedCodes)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var counted float64
	for _, f := range families {
		if f.GetName() == "graphql_errors_total" {
			for _, m := range f.GetMetric() {
				counted += m.GetCounter().GetValue()
			}
		}
	}
	if counted != sent {
		t.Errorf("graphql_errors_total counts %v errors; want every one of %d", counted, sent)
	}
}
