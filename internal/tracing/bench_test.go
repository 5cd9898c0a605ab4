package tracing_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/app"
)

// BenchmarkTracing runs the side-by-side benchmark's workloads, on the same data set, with
// tracing off and on; on, spans go through the batching processor the server uses, to an
// exporter that drops them.
func BenchmarkTracing(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	off := apitest.New(b, nil)
	off.LoadDataset(b, 10)
	on := apitest.New(b, nil, app.WithTracerProvider(tp))
	on.LoadDataset(b, 10)
	for _, w := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"Q1", `query Q1($first: Int!) { stores(first: $first) { nodes { name items { name price tags(orderBy: NAME) { name } } } } }`,
			map[string]any{"first": 10}},
		{"Q2", `query Q2($id: ID!) { tag(id: $id) { name items { name tags(orderBy: NAME) { name } } } }`, map[string]any{"id": "7"}},
		{"Q3", `query Q3($id: ID!) { item(id: $id) { name price tags(orderBy: NAME) { name } } }`, map[string]any{"id": "42"}},
	} {
		for _, s := range []struct {
			name string
			srv  *apitest.Server
		}{{"off", off}, {"on", on}} {
			b.Run(w.name+"/tracing="+s.name, func(b *testing.B) {
				s.srv.MustPost(b, w.query, w.vars, nil)
				b.ReportAllocs()
				for b.Loop() {
					s.srv.MustPost(b, w.query, w.vars, nil)
				}
			})
		}
	}
}
