package tracing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/app"
	"github.com/storegraph/storegraph/internal/tracing"
)

// TestNestedQueryIsOneTrace sends one nested query to a server traced into memory and
// checks its trace: the HTTP server span, the GraphQL operation under it, a span per loader
// batch and per SQL statement under that, and no variable anywhere.
func TestNestedQueryIsOneTrace(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := apitest.New(t, map[string]string{"LOG_LEVEL": "INFO"}, app.WithTracerProvider(tp))
	seed(t, s)

	const secret = "Corner"
	before := s.Statements()
	var out struct {
		Stores struct {
			Nodes []struct {
				Items []struct{ Tags []struct{ Name string } }
			}
		}
	}
	s.MustPost(t, `query Nested($name: String) { stores(first: 5, filter: {nameContains: $name}) {
		nodes { name items { name tags { name } } } } }`, map[string]any{"name": secret}, &out)
	statements := int(s.Statements() - before)
	if len(out.Stores.Nodes) != 1 || len(out.Stores.Nodes[0].Items) != 2 || len(out.Stores.Nodes[0].Items[0].Tags) != 2 {
		t.Fatalf("nested query answered %+v; want the store with its 2 items and their tags", out)
	}

	var op sdktrace.ReadOnlySpan
	for _, sp := range exp.GetSpans().Snapshots() {
		if sp.Name() == "query Nested" {
			op = sp
		}
	}
	if op == nil {
		t.Fatalf("no span named %q among %v", "query Nested", names(exp.GetSpans().Snapshots()))
	}
	wantAttrs(t, op, map[string]string{"graphql.operation.type": "query", "graphql.operation.name": "Nested"})

	var inTrace []sdktrace.ReadOnlySpan
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, sp := range exp.GetSpans().Snapshots() {
		if sp.SpanContext().TraceID() == op.SpanContext().TraceID() {
			inTrace = append(inTrace, sp)
			byID[sp.SpanContext().SpanID()] = sp
		}
	}
	var server, loaders, sql []sdktrace.ReadOnlySpan
	for _, sp := range inTrace {
		switch {
		case sp.SpanKind() == trace.SpanKindServer:
			server = append(server, sp)
		case strings.HasPrefix(sp.Name(), "loader "):
			loaders = append(loaders, sp)
		case sp.SpanKind() == trace.SpanKindClient && hasAttr(sp, "db.statement"):
			sql = append(sql, sp)
		}
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.Emit(), secret) {
				t.Errorf("span %q holds the variable's value in %s=%q", sp.Name(), kv.Key, kv.Value.Emit())
			}
		}
	}
	if len(server) != 1 || server[0].Name() != "POST /graphql" || server[0].Parent().IsValid() {
		t.Fatalf("trace of the query: server spans %v; want one root span POST /graphql (all: %v)", names(server), names(inTrace))
	}
	if op.Parent().SpanID() != server[0].SpanContext().SpanID() {
		t.Errorf("the operation's parent is %v; want the HTTP server span", op.Parent().SpanID())
	}
	if len(sql) != statements {
		t.Errorf("trace has %d SQL spans; want one per statement sent, %d (all: %v)", len(sql), statements, names(inTrace))
	}
	// The items and their tags are read level by level through the loaders.
	if len(loaders) < 2 {
		t.Errorf("trace has loader spans %v; want one per batch, at least the items and the tags", names(loaders))
	}
	under := func(sp sdktrace.ReadOnlySpan, ancestor sdktrace.ReadOnlySpan) bool {
		for p, ok := sp, true; ok; p, ok = byID[p.Parent().SpanID()] {
			if p.SpanContext().SpanID() == ancestor.SpanContext().SpanID() {
				return true
			}
		}
		return false
	}
	for _, sp := range append(loaders, sql...) {
		if !under(sp, op) {
			t.Errorf("span %q is not under the operation's span", sp.Name())
		}
	}
	for _, sp := range loaders {
		if !hasAttr(sp, "loader.keys") {
			t.Errorf("loader span %q has no loader.keys", sp.Name())
		}
	}
	loaderSQL := 0
	for _, sp := range sql {
		if p, ok := byID[sp.Parent().SpanID()]; ok && strings.HasPrefix(p.Name(), "loader ") {
			loaderSQL++
		}
	}
	if loaderSQL != len(loaders) {
		t.Errorf("%d SQL spans sit under loader spans; want one per batch, %d", loaderSQL, len(loaders))
	}

	// The request's log line names its trace.
	if id := op.SpanContext().TraceID().String(); !strings.Contains(s.Logs(), "trace_id="+id) {
		t.Errorf("no log line carries trace_id=%s:\n%s", id, s.Logs())
	}
}

// TestUntracedServerLogsNoTrace checks that without a tracer the request log has no trace id.
func TestUntracedServerLogsNoTrace(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, map[string]string{"LOG_LEVEL": "INFO"})
	s.MustPost(t, `{ stores { totalCount } }`, nil, nil)
	if !strings.Contains(s.Logs(), "msg=request") || strings.Contains(s.Logs(), "trace_id") {
		t.Errorf("untraced server's log:\n%s\nwant request lines without trace_id", s.Logs())
	}
}

func seed(t *testing.T, s *apitest.Server) {
	t.Helper()
	store := s.CreateStore(t, "Corner Books")
	s.CreateStore(t, "Bean There")
	tags := []string{s.CreateTag(t, store, "fiction"), s.CreateTag(t, store, "poetry")}
	for _, name := range []string{"Dune", "Odes"} {
		item := s.CreateItem(t, store, name, 9.5)
		for _, tag := range tags {
			s.Link(t, item, tag)
		}
	}
}

func hasAttr(sp sdktrace.ReadOnlySpan, key attribute.Key) bool {
	for _, kv := range sp.Attributes() {
		if kv.Key == key {
			return true
		}
	}
	return false
}

func wantAttrs(t *testing.T, sp sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, kv := range sp.Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span %q: %s = %q; want %q (all: %v)", sp.Name(), k, got[k], v, got)
		}
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.Name())
	}
	return out
}

// TestOperationSpanBoundsItsErrorCodes answers an operation with more errors than a span
// keeps codes of: the span keeps MaxErrorCodes of them and its status counts them all.
func TestOperationSpanBoundsItsErrorCodes(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{
		Operation: &ast.OperationDefinition{Operation: ast.Query, Name: "Many"},
	})
	const sent = 10 * tracing.MaxErrorCodes
	tracing.GraphQL{Tracer: tp.Tracer("test")}.InterceptResponse(ctx, func(context.Context) *graphql.Response {
		resp := &graphql.Response{}
		for range sent {
			resp.Errors = append(resp.Errors, &gqlerror.Error{Message: "not found", Extensions: map[string]any{"code": "NOT_FOUND"}})
		}
		return resp
	})
	spans := exp.GetSpans().Snapshots()
	if len(spans) != 1 {
		t.Fatalf("spans %v; want the operation's", names(spans))
	}
	var codes []string
	for _, kv := range spans[0].Attributes() {
		if kv.Key == "graphql.error_codes" {
			codes = kv.Value.AsStringSlice()
		}
	}
	if len(codes) != tracing.MaxErrorCodes || codes[0] != "NOT_FOUND" {
		t.Errorf("the span keeps %d error codes (%.3v...) of %d errors; want %d", len(codes), codes, sent, tracing.MaxErrorCodes)
	}
	if want := fmt.Sprintf("%d errors", sent); spans[0].Status().Description != want {
		t.Errorf("span status %q; want %q", spans[0].Status().Description, want)
	}
}
