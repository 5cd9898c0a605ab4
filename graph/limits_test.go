package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// limitServer starts a server with env, keeping one idle connection as newServer does.
func limitServer(t *testing.T, env map[string]string) *apitest.Server {
	t.Helper()
	s := apitest.New(t, env)
	s.DB().SetMaxIdleConns(1)
	return s
}

// wantRefusedBeforeSQL sends query and checks that it is refused with code, with a message
// holding each of parts, with no data, and without a single SQL statement sent. Callers
// must not send other requests to s meanwhile.
func wantRefusedBeforeSQL(t *testing.T, s *apitest.Server, query string, vars map[string]any, code string, parts ...string) {
	t.Helper()
	before := s.Statements()
	r := s.Post(t, query, vars)
	wantCode(t, r, code)
	if len(r.Errors) > 0 {
		for _, p := range parts {
			if !strings.Contains(r.Errors[0].Message, p) {
				t.Errorf("message = %q; want it to hold %q", r.Errors[0].Message, p)
			}
		}
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("data = %s; want null", r.Data)
	}
	if n := s.Statements() - before; n != 0 {
		t.Errorf("the refused query sent %d SQL statements; want 0", n)
	}
}

// rawPost posts body to /graphql with the given headers and returns the status and the
// decoded errors.
func rawPost(t *testing.T, s *apitest.Server, body io.Reader, headers map[string]string) (int, []apitest.Error) {
	t.Helper()
	return rawRequest(t, s, http.MethodPost, "/graphql", body, headers)
}

// rawRequest sends a request to target and returns the status and the decoded errors.
func rawRequest(t *testing.T, s *apitest.Server, method, target string, body io.Reader, headers map[string]string) (int, []apitest.Error) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var out struct{ Errors []apitest.Error }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: response is not JSON (status %d): %s", method, target, res.StatusCode, raw)
	}
	return res.StatusCode, out.Errors
}

func jsonBody(t *testing.T, v any) *bytes.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func TestQueryLimitsPassBenchmarkQueries(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	s.LoadDataset(t, 10)

	// benchQ1..3 (bench_test.go) are the benchmark's queries.
	var q1 struct {
		Stores struct {
			Nodes []struct {
				Items []struct{ Tags []struct{ Name string } }
			}
		}
	}
	s.MustPost(t, benchQ1, map[string]any{"first": 10}, &q1)
	var stores, items, tags int
	for _, st := range q1.Stores.Nodes {
		stores++
		for _, it := range st.Items {
			items++
			tags += len(it.Tags)
		}
	}
	if stores != 10 || items != 2000 || tags != 10000 {
		t.Errorf("Q1 returned %d stores, %d items, %d tags; want 10, 2000, 10000", stores, items, tags)
	}
	s.MustPost(t, benchQ2, map[string]any{"id": "7"}, nil)
	s.MustPost(t, benchQ3, map[string]any{"id": "42"}, nil)
}

func TestComplexityEstimate(t *testing.T) {
	t.Parallel()

	t.Run("FirstAndDefaultListSize", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, map[string]string{"QUERY_MAX_COST": "10", "QUERY_DEFAULT_LIST_SIZE": "7"})
		// 1 (stores) + 1 row * (1 (nodes) + 1 (items) + 2 rows * 1 (name)) = 5.
		s.MustPost(t, `{ stores(first: 1) { nodes { items(first: 2) { name } } } }`, nil, nil)
		// items without first counts QUERY_DEFAULT_LIST_SIZE rows: 1 + (1 + 1 + 7 * 1) = 10.
		s.MustPost(t, `{ stores(first: 1) { nodes { items { name } } } }`, nil, nil)
		// A second field per item: 1 + (1 + 1 + 7 * 2) = 17.
		wantRefusedBeforeSQL(t, s, `{ stores(first: 1) { nodes { items { id name } } } }`, nil,
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity 17", "limit of 10")
		// A root connection without first counts its default page of 20: 1 + 20 * (1 + 1) = 41.
		wantRefusedBeforeSQL(t, s, `{ stores { nodes { id } } }`, nil,
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity 41", "limit of 10")
	})

	t.Run("BenchmarkQ1CostsItsFigure", func(t *testing.T) {
		t.Parallel()
		// At the default estimate (50 rows for a list without first), Q1 with first 10 costs
		// 1 + 10 * (1 + 1 + (1 + 50 * (1 + 1 + (1 + 50 * 1)))) = 26531.
		s := limitServer(t, map[string]string{"QUERY_MAX_COST": "26530"})
		wantRefusedBeforeSQL(t, s, benchQ1, map[string]any{"first": 10},
			"COMPLEXITY_LIMIT_EXCEEDED", "complexity 26531", "limit of 26530")
	})
}

func TestComplexityLimitRefusesWideQueries(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	// 1 + 100 * (1 + (1 + 50 * (1 + (1 + 50 * (1 + 50 * 1))))) = 12755201 against the default 1000000.
	wantRefusedBeforeSQL(t, s, `{ stores(first: 100) { nodes { items { tags { items { name } } } } } }`, nil,
		"COMPLEXITY_LIMIT_EXCEEDED", "complexity 12755201", "limit of 1000000")
	// Aliases repeat the cost; so do fragments.
	wantRefusedBeforeSQL(t, s, `{ a: items(first: 100) { ...F } b: items(first: 100) { ...F } c: items(first: 100) { ...F } }
		fragment F on ItemConnection { nodes { tags(first: 100) { items(first: 40) { name } } } }`, nil,
		"COMPLEXITY_LIMIT_EXCEEDED", "complexity 1230603", "limit of 1000000")
}

// cycle is item(id: "1") { tags { items { tags { ... { id } } } } }, depth levels deep
// counting the item and the final id, each list limited to one row.
func cycle(depth int) string {
	var b strings.Builder
	b.WriteString(`{ item(id: "1") { `)
	for i := 0; i < depth-2; i++ {
		b.WriteString([]string{"tags(first: 1) { ", "items(first: 1) { "}[i%2])
	}
	b.WriteString("id")
	b.WriteString(strings.Repeat(" }", depth))
	return b.String()
}

func TestDepthLimit(t *testing.T) {
	t.Parallel()

	t.Run("CycleOfDepth20Refused", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		wantRefusedBeforeSQL(t, s, cycle(20), nil, "COMPLEXITY_LIMIT_EXCEEDED", "depth 20", "limit of 12")
		// Without first, the cost refuses it as well, and the depth is reported first.
		unlimited := strings.NewReplacer("(first: 1)", "").Replace(cycle(20))
		wantRefusedBeforeSQL(t, s, unlimited, nil, "COMPLEXITY_LIMIT_EXCEEDED", "depth 20", "limit of 12")
	})

	t.Run("AtTheLimitPasses", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		s.LoadDataset(t, 1)
		s.MustPost(t, cycle(12), nil, nil)
		wantRefusedBeforeSQL(t, s, cycle(13), nil, "COMPLEXITY_LIMIT_EXCEEDED", "depth 13", "limit of 12")
	})

	t.Run("FragmentsCount", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, map[string]string{"QUERY_MAX_DEPTH": "3"})
		s.LoadDataset(t, 1)
		s.MustPost(t, `{ item(id: "1") { ...F } } fragment F on Item { tags { name } }`, nil, nil)
		wantRefusedBeforeSQL(t, s, `{ item(id: "1") { ...F } } fragment F on Item { tags { ...G } } fragment G on Tag { items { id } }`, nil,
			"COMPLEXITY_LIMIT_EXCEEDED", "depth 4", "limit of 3")
		wantRefusedBeforeSQL(t, s, `{ item(id: "1") { ... on Item { tags { ... on Tag { items { id } } } } } }`, nil,
			"COMPLEXITY_LIMIT_EXCEEDED", "depth 4", "limit of 3")
	})

	t.Run("StandardIntrospectionQueryPasses", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		var out struct {
			Schema struct{ Types []struct{ Name string } } `json:"__schema"`
		}
		s.MustPost(t, introspectionQuery, nil, &out)
		if len(out.Schema.Types) == 0 {
			t.Errorf("introspection returned no types")
		}
	})
}

// introspectionQuery is the query GraphiQL and Apollo tools send (graphql-js's
// getIntrospectionQuery), 13 levels deep.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

func TestFieldAndAliasLimits(t *testing.T) {
	t.Parallel()

	t.Run("Aliases", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		aliases := func(n int) string {
			var b strings.Builder
			b.WriteString("{")
			for i := range n {
				fmt.Fprintf(&b, " a%d: stores { totalCount }", i)
			}
			return b.String() + " }"
		}
		s.MustPost(t, aliases(30), nil, nil)
		wantRefusedBeforeSQL(t, s, aliases(31), nil, "COMPLEXITY_LIMIT_EXCEEDED", "31 aliases", "limit of 30")
	})

	t.Run("Fields", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, map[string]string{"QUERY_MAX_FIELDS": "3"})
		s.MustPost(t, `{ stores { totalCount } __typename }`, nil, nil)
		wantRefusedBeforeSQL(t, s, `{ stores { totalCount nodes { id } } }`, nil,
			"COMPLEXITY_LIMIT_EXCEEDED", "at least 4 fields", "limit of 3")
	})

	t.Run("FragmentsSpreadManyTimesOver", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, nil)
		// F10 expands to 2^10 copies of F0: a small document, a large operation.
		var b strings.Builder
		b.WriteString(`{ stores(first: 1) { nodes { ...F10 } } } fragment F0 on Store { id name }`)
		for i := 1; i <= 10; i++ {
			fmt.Fprintf(&b, " fragment F%d on Store { ...F%d ...F%d }", i, i-1, i-1)
		}
		wantRefusedBeforeSQL(t, s, b.String(), nil, "COMPLEXITY_LIMIT_EXCEEDED", "at least 501 fields", "limit of 500")
	})
}

func TestQueryDocumentSizeLimit(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	query := "{ stores { totalCount } }\n# " + strings.Repeat("x", 32<<10)
	wantRefusedBeforeSQL(t, s, query, nil, "COMPLEXITY_LIMIT_EXCEEDED",
		fmt.Sprintf("%d bytes", len(query)), "limit of 32768")
	s.MustPost(t, query[:32<<10], nil, nil)
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s := limitServer(t, map[string]string{"HTTP_MAX_BODY_BYTES": "4096"})
	body := func(size int) []byte {
		b, _ := json.Marshal(map[string]any{"query": "{ stores { totalCount } }\n#"})
		pad := strings.Repeat("x", size-len(b))
		b, _ = json.Marshal(map[string]any{"query": "{ stores { totalCount } }\n#" + pad})
		if len(b) != size {
			t.Fatalf("body of %d bytes; want %d", len(b), size)
		}
		return b
	}
	headers := map[string]string{"Content-Type": "application/json"}

	if status, errs := rawPost(t, s, bytes.NewReader(body(4096)), headers); status != http.StatusOK || len(errs) > 0 {
		t.Errorf("a body of 4096 bytes got %d %+v; want 200 without errors", status, errs)
	}
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"WithLength", bytes.NewReader(body(4097))},
		{"Chunked", io.MultiReader(bytes.NewReader(body(8192)))}, // no length known up front
	} {
		status, errs := rawPost(t, s, tc.body, headers)
		if status != http.StatusRequestEntityTooLarge || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" ||
			!strings.Contains(errs[0].Message, "4096 bytes") {
			t.Errorf("%s: an oversized body got %d %+v; want 413 with BAD_REQUEST naming the limit", tc.name, status, errs)
		}
	}
}

func TestRequestTimeoutCancelsSQL(t *testing.T) {
	t.Parallel()
	// No statement timeout: only the request's deadline can end the statement.
	s := limitServer(t, map[string]string{"REQUEST_TIMEOUT": "200ms", "DB_STATEMENT_TIMEOUT": "0s"})
	ctx := context.Background()
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	// Every read of stores now waits for this transaction.
	if _, err := tx.ExecContext(ctx, "LOCK TABLE stores IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	// The client's own bound only turns a request that never ends into a failure.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, err := s.Send(cctx, `{ stores { totalCount } }`, nil)
	if err != nil {
		t.Fatalf("no answer while the table stayed locked: %v", err)
	}
	if len(r.Errors) == 0 {
		t.Fatalf("got data %s from a locked table; want an error", r.Data)
	}
	for _, e := range r.Errors {
		if e.Code() != "TIMEOUT" || strings.Contains(e.Message, "context") || strings.Contains(e.Message, "stores") {
			t.Errorf("error %+v; want TIMEOUT and a message that tells nothing of the internals", e)
		}
	}

	// The statement must be cancelled on the server (pgx sends PostgreSQL a cancel request
	// when the context ends), not left waiting for the lock.
	waiting := func() int {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for n := waiting(); n != 0; n = waiting() {
		if cctx.Err() != nil {
			t.Fatalf("%d statements still wait for the lock after the request ended; want 0", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PostgreSQL's own statement_timeout ends a statement before the request's deadline; the
// client gets the same TIMEOUT.
func TestStatementTimeoutIsTimeout(t *testing.T) {
	t.Parallel()
	s := limitServer(t, map[string]string{"DB_STATEMENT_TIMEOUT": "200ms"})
	ctx := context.Background()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "LOCK TABLE stores IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Send(ctx, `{ stores { totalCount } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) != 1 || r.Errors[0].Code() != "TIMEOUT" {
		t.Errorf("query past statement_timeout: %+v; want one TIMEOUT error", r.Errors)
	}
}

func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	s := limitServer(t, map[string]string{"APQ_CACHE_SIZE": "1"})
	s.CreateStore(t, "Persisted")
	hash := func(q string) string { h := sha256.Sum256([]byte(q)); return hex.EncodeToString(h[:]) }
	apq := func(query, sha string) (int, []apitest.Error) {
		body := map[string]any{"extensions": map[string]any{
			"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha}}}
		if query != "" {
			body["query"] = query
		}
		return rawPost(t, s, jsonBody(t, body), map[string]string{"Content-Type": "application/json"})
	}
	wantCodeOf := func(what string, errs []apitest.Error, code string) {
		t.Helper()
		if code == "" && len(errs) > 0 || code != "" && (len(errs) != 1 || errs[0].Code() != code) {
			t.Errorf("%s: got errors %+v; want code %q", what, errs, code)
		}
	}
	q1, q2 := `{ stores { totalCount } }`, `{ stores { nodes { name } } }`

	_, errs := apq("", hash(q1))
	wantCodeOf("hash of an unknown query", errs, "PERSISTED_QUERY_NOT_FOUND")
	_, errs = apq(q1, hash(q1))
	wantCodeOf("query with its hash", errs, "")
	_, errs = apq("", hash(q1))
	wantCodeOf("hash of a stored query", errs, "")
	_, errs = apq(q2, hash(q1))
	wantCodeOf("query with another's hash", errs, "BAD_REQUEST")
	// The cache holds one query: storing q2 evicts q1.
	_, errs = apq(q2, hash(q2))
	wantCodeOf("second query with its hash", errs, "")
	_, errs = apq("", hash(q1))
	wantCodeOf("hash of an evicted query", errs, "PERSISTED_QUERY_NOT_FOUND")
	_, errs = apq("", hash(q2))
	wantCodeOf("hash of the kept query", errs, "")
}

// A mutation a persisted-query hash stands for is refused over GET like one written in the
// URL, with 405 and a code, and does not run.
func TestPersistedMutationNotOverGET(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	mutation := `mutation { createStore(input: {name: "Over GET"}) { id } }`
	sum := sha256.Sum256([]byte(mutation))
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	// Stored by a POST that runs it once.
	status, errs := rawPost(t, s, jsonBody(t, map[string]any{"query": mutation, "extensions": json.RawMessage(ext)}),
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + s.Token})
	if status != http.StatusOK || len(errs) > 0 {
		t.Fatalf("POST of the mutation with its hash: %d %+v", status, errs)
	}
	exec(t, s, "DELETE FROM stores")

	status, errs = rawRequest(t, s, http.MethodGet, "/graphql?extensions="+url.QueryEscape(ext), nil,
		map[string]string{"Authorization": "Bearer " + s.Token})
	if status != http.StatusMethodNotAllowed || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" {
		t.Errorf("GET with the mutation's hash: %d %+v; want 405 with one BAD_REQUEST error", status, errs)
	}
	if n := count(t, s, "SELECT count(*) FROM stores"); n != 0 {
		t.Errorf("stores after the refused GET: %d; want 0", n)
	}

	// A query's hash still works over GET.
	query := `{ stores { totalCount } }`
	sum = sha256.Sum256([]byte(query))
	ext = `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	rawPost(t, s, jsonBody(t, map[string]any{"query": query, "extensions": json.RawMessage(ext)}),
		map[string]string{"Content-Type": "application/json"})
	if status, errs = rawRequest(t, s, http.MethodGet, "/graphql?extensions="+url.QueryEscape(ext), nil, nil); status != http.StatusOK || len(errs) > 0 {
		t.Errorf("GET with a query's hash: %d %+v; want 200 and no error", status, errs)
	}
}

// A request gqlgen's transports cannot read gets a coded BAD_REQUEST, never an internal
// error, and its body (which may hold a password) stays out of the log.
func TestMalformedRequestsRefusedWithACode(t *testing.T) {
	t.Parallel()
	s := limitServer(t, map[string]string{"LOG_LEVEL": "DEBUG"})
	const secret = "Hunter2-never-logged"
	for _, tc := range []struct {
		name, method, target, body string
		status                     int
	}{
		{"NotJSON", "POST", "/graphql", `mutation { login(input: {email: "a@example.com", password: "` + secret + `"}) { accessToken } }`, 400},
		{"TrailingComma", "POST", "/graphql", `{"query": "mutation { login(input: {email: \"a@example.com\", password: \"` + secret + `\"}) { accessToken } }",}`, 400},
		{"NaN", "POST", "/graphql", `{"query": "{ items(filter: {minPrice: $p}) { totalCount } }", "variables": {"p": NaN}}`, 400},
		{"Batch", "POST", "/graphql", `[{"query": "{ __typename }"}, {"query": "{ __typename }"}]`, 400},
		{"QueryNotAString", "POST", "/graphql", `{"query": 5}`, 400},
		{"Empty", "POST", "/graphql", ``, 400},
		{"GETVariablesNotJSON", "GET", "/graphql?query=%7B__typename%7D&variables=notjson", "", 400},
		{"PUT", "PUT", "/graphql", `{"query": "{ __typename }"}`, 405},
		{"DELETE", "DELETE", "/graphql", ``, 405},
	} {
		status, errs := rawRequest(t, s, tc.method, tc.target, strings.NewReader(tc.body),
			map[string]string{"Content-Type": "application/json"})
		if status != tc.status || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" {
			t.Errorf("%s: %d %+v; want %d with one BAD_REQUEST error", tc.name, status, errs, tc.status)
		}
	}
	if strings.Contains(s.Logs(), secret) {
		t.Errorf("the password of a malformed request reached the log")
	}
	// Refusals before GraphQL count in the errors metric like any other.
	_, _, metrics := httpGet(t, s, "/metrics")
	if !strings.Contains(metrics, `graphql_errors_total{code="BAD_REQUEST"} 9`) {
		t.Errorf("/metrics does not count the 9 refusals as BAD_REQUEST:\n%s", grepLines(metrics, "graphql_errors_total"))
	}
}

func grepLines(text, part string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, part) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestCSRFPrevention(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int // 200 when the mutation runs
	}{
		{"JSON", map[string]string{"Content-Type": "application/json"}, http.StatusOK},
		{"JSONWithCharset", map[string]string{"Content-Type": "application/json; charset=utf-8"}, http.StatusOK},
		{"GraphQLResponseJSON", map[string]string{"Content-Type": "application/graphql-response+json"}, http.StatusOK},
		{"TextPlain", map[string]string{"Content-Type": "text/plain"}, http.StatusBadRequest},
		{"TextPlainCharset", map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, http.StatusBadRequest},
		{"Form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusBadRequest},
		{"Multipart", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, http.StatusBadRequest},
		{"NoContentType", map[string]string{}, http.StatusBadRequest},
		// A preflighted header passes the CSRF check; the body must still be JSON.
		{"TextPlainWithPreflightHeader", map[string]string{"Content-Type": "text/plain", "Apollo-Require-Preflight": "true"}, http.StatusUnsupportedMediaType},
		{"FormWithOperationNameHeader", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Apollo-Operation-Name": "M"}, http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := "CSRF " + tc.name
			headers := map[string]string{"Authorization": "Bearer " + s.Token}
			for k, v := range tc.headers {
				headers[k] = v
			}
			body := jsonBody(t, map[string]any{
				"query": `mutation($n: String!) { createStore(input: {name: $n}) { id } }`, "variables": map[string]any{"n": name}})
			status, errs := rawPost(t, s, body, headers)
			created := count(t, s, "SELECT count(*) FROM stores WHERE name = ?", name)
			if tc.status == http.StatusOK {
				if status != http.StatusOK || len(errs) > 0 || created != 1 {
					t.Errorf("got %d %+v and %d stores; want 200 and the store created", status, errs, created)
				}
				return
			}
			if status != tc.status || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" || created != 0 {
				t.Errorf("got %d %+v and %d stores; want %d with BAD_REQUEST and nothing created", status, errs, created, tc.status)
			}
		})
	}
}

// CORS answers only the configured origins; with none configured, no origin at all, so no
// page on another site can read an answer.
func TestCORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	t.Parallel()
	const app, evil = "http://app.example", "https://evil.example"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		allowed []string // origins answered
		refused []string
	}{
		{"Unset", nil, nil, []string{app, evil}},
		{"Set", map[string]string{"CORS_ALLOWED_ORIGINS": app}, []string{app}, []string{evil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := limitServer(t, tc.env)
			check := func(origin string, want bool) {
				t.Helper()
				for _, req := range corsRequests(t, s, origin) {
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
					allow := res.Header.Get("Access-Control-Allow-Origin")
					what := req.Method + " " + req.URL.RequestURI() + " from " + origin
					if want && allow != origin {
						t.Errorf("%s: %d, Access-Control-Allow-Origin = %q; want it echoed", what, res.StatusCode, allow)
					}
					if !want && (allow != "" || res.Header.Get("Access-Control-Allow-Methods") != "") {
						t.Errorf("%s: %d, Access-Control-Allow-Origin = %q, -Methods = %q; want neither, so the browser hides the answer",
							what, res.StatusCode, allow, res.Header.Get("Access-Control-Allow-Methods"))
					}
				}
			}
			for _, o := range tc.allowed {
				check(o, true)
			}
			for _, o := range tc.refused {
				check(o, false)
			}
		})
	}
}

// corsRequests are what a page on origin makes a browser send: a preflight before a JSON
// POST, the POST itself, and a simple GET.
func corsRequests(t *testing.T, s *apitest.Server, origin string) []*http.Request {
	t.Helper()
	preflight, err := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	preflight.Header.Set("Access-Control-Request-Method", "POST")
	preflight.Header.Set("Access-Control-Request-Headers", "authorization,content-type") // as browsers send it: sorted, lower case
	post, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{stores{totalCount}}"}`))
	if err != nil {
		t.Fatal(err)
	}
	post.Header.Set("Content-Type", "application/json")
	get, err := http.NewRequest(http.MethodGet, s.URL+"/graphql?query=%7Bstores%7BtotalCount%7D%7D", nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := []*http.Request{preflight, post, get}
	for _, r := range reqs {
		r.Header.Set("Origin", origin)
	}
	return reqs
}

func TestPlaygroundSwitch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value  string
		status int
	}{{"true", http.StatusOK}, {"false", http.StatusNotFound}} {
		t.Run("PLAYGROUND="+tc.value, func(t *testing.T) {
			t.Parallel()
			s := limitServer(t, map[string]string{"PLAYGROUND": tc.value})
			status, _, body := httpGet(t, s, "/")
			if status != tc.status {
				t.Errorf("GET / = %d; want %d", status, tc.status)
			}
			if tc.status != http.StatusOK && strings.Contains(body, "<html") {
				t.Errorf("GET / served a page with the playground switched off")
			}
		})
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	queries := []string{`{ __schema { queryType { name } } }`, `{ __type(name: "Store") { name } }`,
		`{ ...F } fragment F on Query { __schema { queryType { name } } }`}

	t.Run("INTROSPECTION=true", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, map[string]string{"INTROSPECTION": "true"})
		for _, q := range queries {
			s.MustPost(t, q, nil, nil)
		}
	})
	t.Run("INTROSPECTION=false", func(t *testing.T) {
		t.Parallel()
		s := limitServer(t, map[string]string{"INTROSPECTION": "false"})
		for _, q := range queries {
			wantRefusedBeforeSQL(t, s, q, nil, "GRAPHQL_VALIDATION_FAILED", "Introspection is disabled")
		}
		// __typename is not introspection: clients rely on it.
		s.MustPost(t, `{ __typename stores { nodes { __typename } } }`, nil, nil)
	})
}
