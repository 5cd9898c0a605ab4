package graph_test

import (
	"fmt"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// The three workloads of the side-by-side benchmark (shared/bench), through the real
// handler and a real database holding the same data set.
const (
	benchQ1 = `query Q1($first: Int!) { stores(first: $first) { nodes { name items { name price tags(orderBy: NAME) { name } } } } }`
	benchQ2 = `query Q2($id: ID!) { tag(id: $id) { name items { name tags(orderBy: NAME) { name } } } }`
	benchQ3 = `query Q3($id: ID!) { item(id: $id) { name price tags(orderBy: NAME) { name } } }`
)

func BenchmarkWorkloads(b *testing.B) {
	s := apitest.New(b, nil)
	s.LoadDataset(b, 50)
	for _, w := range []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"Q1", benchQ1, map[string]any{"first": 10}},
		{"Q2", benchQ2, map[string]any{"id": "7"}},
		{"Q3", benchQ3, map[string]any{"id": "42"}},
	} {
		b.Run(w.name, func(b *testing.B) { runWorkload(b, s, w.query, w.vars) })
	}
}

// BenchmarkQ1Scaling runs Q1 over more and more stores: statements per request stay the
// same while the time grows with the rows.
func BenchmarkQ1Scaling(b *testing.B) {
	// 50 stores read 60,000 rows, past the default QUERY_MAX_ROWS.
	s := apitest.New(b, map[string]string{"QUERY_MAX_ROWS": "100000"})
	s.LoadDataset(b, 50)
	for _, n := range []int{1, 5, 10, 20, 50} {
		b.Run(fmt.Sprintf("stores=%d", n), func(b *testing.B) {
			runWorkload(b, s, benchQ1, map[string]any{"first": n})
		})
	}
}

func runWorkload(b *testing.B, s *apitest.Server, query string, vars map[string]any) {
	s.MustPost(query, vars, nil) // warm the query cache and the connections
	before := s.Statements()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.MustPost(query, vars, nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(s.Statements()-before)/float64(b.N), "stmts/op")
}
