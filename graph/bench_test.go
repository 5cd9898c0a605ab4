package graph_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// The three workloads of the side-by-side benchmark (shared/bench), through the real
// handler and a real database holding the same data set.
const (
	benchQ1 = `query Q1($first: Int!) { stores(first: $first) { nodes { name items { name price tags(orderBy: NAME) { name } } } } }`
	benchQ2 = `query Q2($id: ID!) { tag(id: $id) { name items { name tags(orderBy: NAME) { name } } } }`
	benchQ3 = `query Q3($id: ID!) { item(id: $id) { name price tags(orderBy: NAME) { name } } }`
	benchQ4 = `query Q4($all: [ID!], $none: [ID!], $first: Int!, $facets: Int!) {
		items(first: $first, filter: { tags: { all: $all, none: $none } }) {
			totalCount nodes { name tags(orderBy: NAME) { name } } tagFacets(first: $facets) { count tag { name } } } }`
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
		{"Q4", benchQ4, map[string]any{"all": []string{"41", "45"}, "none": []string{"42"}, "first": 20, "facets": 5}},
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

// BenchmarkSetItemTags replaces an item's tags with 5 and with 50 tags, alternating between
// two sets that share half their tags, so every call adds and removes some.
func BenchmarkSetItemTags(b *testing.B) {
	s := apitest.New(b, nil)
	s.LoadDataset(b, 1)
	for _, q := range []string{
		"INSERT INTO tags (store_id, name) SELECT 1, 'extra ' || k FROM generate_series(1, 100) AS k",
		"UPDATE stores SET owner_id = (SELECT id FROM users WHERE email = '" + apitest.OwnerEmail + "')",
	} {
		if _, err := s.DB().ExecContext(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
	const mutation = `mutation($i: ID!, $t: [ID!]!) { setItemTags(itemId: $i, tagIds: $t) { message } }`
	for _, n := range []int{5, 50} {
		b.Run(fmt.Sprintf("tags=%d", n), func(b *testing.B) {
			sets := [2][]string{}
			for k := range n {
				sets[0] = append(sets[0], fmt.Sprint(1+k))
				sets[1] = append(sets[1], fmt.Sprint(1+k+n/2))
			}
			s.MustPost(b, mutation, map[string]any{"i": "1", "t": sets[1]}, nil)
			before := s.Statements()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				s.MustPost(b, mutation, map[string]any{"i": "1", "t": sets[i%2]}, nil)
				i++
			}
			b.StopTimer()
			b.ReportMetric(float64(s.Statements()-before)/float64(b.N), "stmts/op")
		})
	}
}

func runWorkload(b *testing.B, s *apitest.Server, query string, vars map[string]any) {
	s.MustPost(b, query, vars, nil) // warm the query cache and the connections
	before := s.Statements()
	cpu := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.MustPost(b, query, vars, nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(s.Statements()-before)/float64(b.N), "stmts/op")
	// On a shared machine the time per request varies with the load, the CPU it costs less.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time this process (server and client) has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
