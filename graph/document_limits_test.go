package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// repeat joins n copies of format, each given its index.
func repeat(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// postSize posts query and returns the decoded response and the size of its body.
func postSize(t *testing.T, url, query string) (int, []byte) {
	t.Helper()
	res, err := http.Post(url+"/graphql", "application/json", jsonBody(t, map[string]any{"query": query}))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return len(raw), raw
}

func TestShapeLimitsRunBeforeValidation(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)

	t.Run("ConflictingAliases", func(t *testing.T) {
		// 1,400 fields under one alias with different arguments: validation would report
		// each of the 979,300 pairs as a conflict.
		q := "{" + repeat(1400, ` s:store(id:"%d"){id}`) + "}"
		if len(q) > 32<<10 {
			t.Fatalf("document of %d bytes; want it under the size limit", len(q))
		}
		wantRefusedBeforeSQL(t, s, q, nil, "COMPLEXITY_LIMIT_EXCEEDED", "at least 501 fields", "limit of 500")
	})

	t.Run("InAnUnusedFragment", func(t *testing.T) {
		// Validation walks fragments that no operation spreads, too.
		q := "{ __typename } fragment F on Query {" + repeat(600, ` store(id: "%d") { id }`) + " }"
		wantRefusedBeforeSQL(t, s, q, nil, "COMPLEXITY_LIMIT_EXCEEDED", "at least 501 fields", "limit of 500")
	})

	t.Run("InAnOperationNotRun", func(t *testing.T) {
		q := "query A { __typename } query B {" + repeat(600, ` store(id: "%d") { id }`) + " }"
		body := jsonBody(t, map[string]any{"query": q, "operationName": "A"})
		status, errs := rawPost(t, s, body, map[string]string{"Content-Type": "application/json"})
		if status != http.StatusOK || len(errs) != 1 || errs[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Errorf("status %d, errors %+v; want one COMPLEXITY_LIMIT_EXCEEDED", status, errs)
		}
	})

	t.Run("InvalidAndTooWide", func(t *testing.T) {
		// Too wide and invalid (an unknown field): the width is what is reported, since it is
		// measured first; each comment makes a document the cache has never seen.
		for i := range 3 {
			q := fmt.Sprintf("# variant %d\n{ nope", i) + repeat(1800, " f%d: __typename") + " }"
			wantRefusedBeforeSQL(t, s, q, nil, "COMPLEXITY_LIMIT_EXCEEDED", "limit of 500")
		}
	})

	t.Run("FragmentCyclesLeftToValidation", func(t *testing.T) {
		r := s.Post(t, `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }`, nil)
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED")
	})

	t.Run("FragmentChainsAreBounded", func(t *testing.T) {
		// Each fragment spreads the next twice: 2^40 paths to one field.
		var b strings.Builder
		b.WriteString("{ ...F0 }")
		for i := range 40 {
			fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
		}
		b.WriteString(" fragment F40 on Query { __typename }")
		wantRefusedBeforeSQL(t, s, b.String(), nil, "COMPLEXITY_LIMIT_EXCEEDED", "limit of 500")
	})
}

func TestValidationErrorsAreCapped(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	// 250 fields of one name with different arguments, within every shape limit: 31,125
	// conflicting pairs, of which a few are reported.
	q := "{" + repeat(250, ` store(id: "%d") { id }`) + " }"
	size, raw := postSize(t, s.URL, q)
	var out struct {
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	if n := len(out.Errors); n == 0 || n > 20 {
		t.Errorf("%d errors; want between 1 and 20", n)
	}
	for _, e := range out.Errors {
		if e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("error %q has code %v; want GRAPHQL_VALIDATION_FAILED", e.Message, e.Extensions["code"])
		}
	}
	if size > 16<<10 {
		t.Errorf("response of %d bytes; want a few kilobytes", size)
	}
}

func TestIntrospectionCountsLikeAnyField(t *testing.T) {
	t.Parallel()

	t.Run("Fields", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		// T expands to 2^8 copies of its fields, all inside __schema.
		var b strings.Builder
		b.WriteString(`{ __schema { types { ...T8 } } } fragment T0 on __Type { name kind }`)
		for i := 1; i <= 8; i++ {
			fmt.Fprintf(&b, " fragment T%d on __Type { ...T%d ...T%d }", i, i-1, i-1)
		}
		wantRefusedBeforeSQL(t, s, b.String(), nil, "COMPLEXITY_LIMIT_EXCEEDED", "at least 501 fields", "limit of 500")
	})

	t.Run("Depth", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		deep := func(levels int) string {
			return `{ __type(name: "Store") { name ` + strings.Repeat("ofType { name ", levels) + strings.Repeat("} ", levels) + "} }"
		}
		s.MustPost(t, deep(13), nil, nil) // depth 15
		wantRefusedBeforeSQL(t, s, deep(14), nil, "COMPLEXITY_LIMIT_EXCEEDED", "introspection has depth 16", "limit of 15")
	})

	t.Run("Cost", func(t *testing.T) {
		t.Parallel()
		// One whole introspection (cost 82026 for this schema) passes; fifteen copies under
		// aliases, allowed as many fields, cost fifteen times as much, over the limit.
		s := limitServer(t, map[string]string{"QUERY_MAX_FIELDS": "5000"})
		one := strings.Replace(introspectionQuery, "__schema {", "a0: __schema {", 1)
		size, _ := postSize(t, s.URL, one)
		if size < 10<<10 {
			t.Fatalf("introspection answered %d bytes; want the whole schema", size)
		}
		head, tail, _ := strings.Cut(introspectionQuery, "\n}\nfragment")
		body := strings.TrimPrefix(head, "query IntrospectionQuery {\n  __schema {")
		q := "query IntrospectionQuery {" + repeat(15, " a%d: __schema {"+strings.ReplaceAll(body, "%", "%%")) + "\n}\nfragment" + tail
		wantRefusedBeforeSQL(t, s, q, nil, "COMPLEXITY_LIMIT_EXCEEDED", "operation has complexity", "limit of 1000000")
	})
}
