package trusted_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/app"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/trusted"
)

const (
	storesQuery = `query Stores { stores(first: 5) { totalCount nodes { name } } }`
	otherQuery  = `query Others { items(first: 5) { totalCount } }`
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// apolloManifest is what @apollo/generate-persisted-query-manifest writes for bodies.
func apolloManifest(t *testing.T, bodies map[string]string) string {
	t.Helper()
	type op struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
		Body string `json:"body"`
	}
	m := struct {
		Format     string `json:"format"`
		Version    int    `json:"version"`
		Operations []op   `json:"operations"`
	}{Format: "apollo-persisted-query-manifest", Version: 1}
	for name, body := range bodies {
		typ := "query"
		if strings.HasPrefix(body, "mutation") {
			typ = "mutation"
		}
		m.Operations = append(m.Operations, op{ID: sha(body), Name: name, Type: typ, Body: body})
	}
	return writeJSON(t, m)
}

// codegenDocuments is GraphQL Codegen's persisted-documents.json: hash to document, each
// hash after prefix ("sha256:" with the client preset's hashAlgorithm sha256).
func codegenDocuments(t *testing.T, prefix string, bodies ...string) string {
	t.Helper()
	m := map[string]string{}
	for _, b := range bodies {
		m[prefix+sha(b)] = b
	}
	return writeJSON(t, m)
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// send posts body (a JSON request) or, with get, sends params as a URL, and returns the
// status and the decoded response.
func send(t *testing.T, s *apitest.Server, body map[string]any, get bool) (int, apitest.Response) {
	t.Helper()
	var req *http.Request
	var err error
	if get {
		q := url.Values{}
		for k, v := range body {
			if str, ok := v.(string); ok {
				q.Set(k, str)
			} else {
				b, _ := json.Marshal(v)
				q.Set(k, string(b))
			}
		}
		req, err = http.NewRequest(http.MethodGet, s.URL+"/graphql?"+q.Encode(), nil)
	} else {
		b, _ := json.Marshal(body)
		req, err = http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out apitest.Response
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON: %s", raw)
	}
	return res.StatusCode, out
}

func TestEnforceRunsOnlyTrustedDocuments(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"Apollo", "Codegen", "CodegenSHA256Prefixed"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var path string
			switch format {
			case "Apollo":
				path = apolloManifest(t, map[string]string{"Stores": storesQuery, "Register": apitest.RegisterMutation})
			case "Codegen":
				path = codegenDocuments(t, "", storesQuery, apitest.RegisterMutation)
			default:
				path = codegenDocuments(t, "sha256:", storesQuery, apitest.RegisterMutation)
			}
			s := apitest.New(t, map[string]string{"TRUSTED_DOCUMENTS": path})
			apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha(storesQuery)}}

			for _, tc := range []struct {
				name string
				body map[string]any
				get  bool
				code string // "" when it runs
			}{
				{"Body", map[string]any{"query": storesQuery}, false, ""},
				{"BodyOverGET", map[string]any{"query": storesQuery}, true, ""},
				{"ApolloPersistedQueryHash", map[string]any{"extensions": apq}, false, ""},
				{"ApolloPersistedQueryHashOverGET", map[string]any{"extensions": apq}, true, ""},
				{"DocumentID", map[string]any{"documentId": sha(storesQuery)}, false, ""},
				{"DocumentIDOverGET", map[string]any{"documentId": sha(storesQuery)}, true, ""},
				{"PrefixedDocumentID", map[string]any{"documentId": "sha256:" + sha(storesQuery)}, false, ""},
				{"BodyAndHash", map[string]any{"query": storesQuery, "extensions": apq}, false, ""},

				{"OtherBody", map[string]any{"query": otherQuery}, false, trusted.CodeNotInSafelist},
				{"OtherBodyOverGET", map[string]any{"query": otherQuery}, true, trusted.CodeNotInSafelist},
				{"TrustedBodyChanged", map[string]any{"query": storesQuery + " "}, false, trusted.CodeNotInSafelist},
				{"OtherHash", map[string]any{"extensions": map[string]any{
					"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha(otherQuery)}}}, false, trusted.CodeNotInList},
				{"OtherDocumentID", map[string]any{"documentId": sha(otherQuery)}, false, trusted.CodeNotInList},
				{"OtherBodyWithTrustedHash", map[string]any{"query": otherQuery, "extensions": apq}, false, trusted.CodeNotInSafelist},
				{"OtherBodyWithTrustedDocumentID", map[string]any{"query": otherQuery, "documentId": sha(storesQuery)}, false, trusted.CodeNotInSafelist},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := s.Statements()
					status, r := send(t, s, tc.body, tc.get)
					statements := s.Statements() - before
					if tc.code == "" {
						var data struct{ Stores struct{ TotalCount int } }
						if status != http.StatusOK || len(r.Errors) > 0 || json.Unmarshal(r.Data, &data) != nil || statements == 0 {
							t.Errorf("%v: %d %+v %s after %d statements; want it to run", tc.body, status, r.Errors, r.Data, statements)
						}
						return
					}
					if codes := r.Codes(); len(codes) != 1 || codes[0] != tc.code || string(r.Data) != "null" {
						t.Errorf("%v: %d %+v data %s; want one error %s and data null", tc.body, status, r.Errors, r.Data, tc.code)
					}
					if statements != 0 {
						t.Errorf("%v: %d SQL statements; want none for a refused document", tc.body, statements)
					}
				})
			}
		})
	}
}

func TestLogModeRunsAndLogsOtherDocuments(t *testing.T) {
	t.Parallel()
	path := codegenDocuments(t, "", storesQuery, apitest.RegisterMutation)
	s := apitest.New(t, map[string]string{"TRUSTED_DOCUMENTS": path, "TRUSTED_DOCUMENTS_MODE": "log", "LOG_LEVEL": "WARN"})
	const secret = "literal-secret-0451"
	query := `query Secret { stores(filter: {nameContains: "` + secret + `"}) { totalCount } }`
	status, r := send(t, s, map[string]any{"query": query, "operationName": "Secret"}, false)
	if status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("an untrusted document in log mode: %d %+v; want it to run", status, r.Errors)
	}
	logs := s.Logs()
	if !strings.Contains(logs, "untrusted document") || !strings.Contains(logs, sha(query)) || !strings.Contains(logs, "Secret") {
		t.Errorf("log after an untrusted document names neither it nor its hash:\n%s", logs)
	}
	if strings.Contains(logs, secret) {
		t.Errorf("the log holds the untrusted document's text:\n%s", logs)
	}
	if _, r := send(t, s, map[string]any{"query": storesQuery}, false); len(r.Errors) > 0 {
		t.Errorf("a trusted document in log mode: %+v", r.Errors)
	}
	if strings.Count(s.Logs(), "untrusted document") != 1 {
		t.Errorf("a trusted document was logged as untrusted:\n%s", s.Logs())
	}
}

// TestStartRefusesDocumentsOverTheLimits measures each document at start against the
// request limits; the error names the one that is over.
func TestStartRefusesDocumentsOverTheLimits(t *testing.T) {
	t.Parallel()
	deep := `query Deep { item(id: "1") { tags { items { tags { items { tags { name } } } } } } }`
	costly := `query Costly { stores(first: 100) { nodes { items { tags { items { name } } } } } }`
	for _, tc := range []struct {
		name, body, want string
		env              map[string]string
	}{
		{"Deep", deep, "depth 7", map[string]string{"QUERY_MAX_DEPTH": "5"}},
		{"Costly", costly, "complexity", nil},
		{"Invalid", `query Invalid { nope }`, "nope", nil},
		{"Unparsable", `query Unparsable {`, "Unparsable", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				"DATABASE_URL":      dbtest.New(t),
				"TRUSTED_DOCUMENTS": apolloManifest(t, map[string]string{"Stores": storesQuery, tc.name: tc.body}),
			}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.Close()
				t.Fatalf("start with %s in the trusted documents succeeded; want it refused", tc.name)
			}
			if msg := err.Error(); !strings.Contains(msg, sha(tc.body)) || !strings.Contains(msg, tc.name) || !strings.Contains(msg, tc.want) {
				t.Errorf("start with %s: %q; want an error naming %s (%s) and saying %q", tc.name, msg, sha(tc.body), tc.name, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		ok         bool
	}{
		{"Apollo", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","name":"A","type":"query","body":"{ a }"}]}`, true},
		{"Codegen", `{"abc":"{ a }","def":"{ b }"}`, true},
		{"NotJSON", `format: apollo`, false},
		{"Array", `[{"id":"a","body":"{ a }"}]`, false},
		{"Empty", `{}`, false},
		{"OtherFormat", `{"format":"relay","version":1,"operations":[]}`, false},
		{"OtherVersion", `{"format":"apollo-persisted-query-manifest","version":2,"operations":[{"id":"a","body":"{ a }"}]}`, false},
		{"NoOperations", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[]}`, false},
		{"NoID", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"body":"{ a }"}]}`, false},
		{"NoBody", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","body":" "}]}`, false},
		{"IDForTwoDocuments", `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","body":"{ a }"},{"id":"a","body":"{ b }"}]}`, false},
		{"CodegenValueNotString", `{"abc":{"query":"{ a }"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := trusted.Parse([]byte(tc.data))
			if (err == nil) != tc.ok {
				t.Errorf("Parse(%s) error = %v; want ok %v", tc.data, err, tc.ok)
			}
		})
	}
}

// TestExampleAppManifest starts the server in enforce mode on the persisted documents the
// example app's codegen writes, which measures each of them against the default limits,
// and serves the app's store list by its id.
func TestExampleAppManifest(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "examples", "react-apollo", "src", "gql", "persisted-documents.json")
	docs, err := trusted.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var storesID string
	for _, d := range docs.All() {
		if strings.HasPrefix(d.Body, "query Stores ") {
			storesID = d.ID
		}
	}
	if storesID == "" {
		t.Fatalf("%s has no query Stores", path)
	}
	s := apitest.Start(t, map[string]string{"TRUSTED_DOCUMENTS": path, "TRUSTED_DOCUMENTS_MODE": "enforce"})
	if _, err := s.DB().ExecContext(context.Background(), `INSERT INTO stores (name) VALUES ('Corner shop')`); err != nil {
		t.Fatal(err)
	}

	status, r := send(t, s, map[string]any{"documentId": storesID, "operationName": "Stores"}, false)
	var data struct {
		Stores struct{ Nodes []struct{ Name string } }
	}
	if status != http.StatusOK || len(r.Errors) > 0 || json.Unmarshal(r.Data, &data) != nil ||
		len(data.Stores.Nodes) != 1 || data.Stores.Nodes[0].Name != "Corner shop" {
		t.Errorf("Stores by id %s: %d %+v %s; want the one store", storesID, status, r.Errors, r.Data)
	}
	_, r = send(t, s, map[string]any{"query": otherQuery}, false)
	if codes := r.Codes(); len(codes) != 1 || codes[0] != trusted.CodeNotInSafelist || string(r.Data) != "null" {
		t.Errorf("a document the app does not ship: %+v data %s; want one error %s", r.Errors, r.Data, trusted.CodeNotInSafelist)
	}
}

// TestLogModeBoundsItsWarnings sends more different untrusted documents than Log mode logs
// a minute, each twice: each is logged once, and no more than LogLimit are.
func TestLogModeBoundsItsWarnings(t *testing.T) {
	t.Parallel()
	docs, err := trusted.Parse([]byte(`{"stores": ` + strconv.Quote(storesQuery) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	ext := &trusted.Extension{Documents: docs, Mode: trusted.Log, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	for i := range trusted.LogLimit + 5 {
		for range 2 {
			name := fmt.Sprintf("Other%d", i)
			p := &graphql.RawParams{Query: "query " + name + " { stores { totalCount } }", OperationName: name}
			if err := ext.MutateOperationParameters(context.Background(), p); err != nil {
				t.Fatalf("an untrusted document in log mode: %v; want it to run", err)
			}
		}
	}
	if n := strings.Count(logs.String(), "untrusted document"); n != trusted.LogLimit {
		t.Errorf("%d warnings for %d different documents sent twice; want %d", n, trusted.LogLimit+5, trusted.LogLimit)
	}
	if !strings.Contains(logs.String(), "operation=Other0 ") || strings.Contains(logs.String(), fmt.Sprintf("operation=Other%d ", trusted.LogLimit)) {
		t.Errorf("want the first %d documents logged:\n%s", trusted.LogLimit, logs.String())
	}
}

// TestLogModeClipsWhatClientsName sends an untrusted id and operation name as large as a
// body may be: the warning carries at most MaxLogged bytes of each.
func TestLogModeClipsWhatClientsName(t *testing.T) {
	t.Parallel()
	docs, err := trusted.Parse([]byte(`{"stores": ` + strconv.Quote(storesQuery) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	ext := &trusted.Extension{Documents: docs, Mode: trusted.Log, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	long := strings.Repeat("x", 1<<20)
	p := &graphql.RawParams{OperationName: long}
	ctx := trusted.WithDocumentID(context.Background(), long)
	if err := ext.MutateOperationParameters(ctx, p); err != nil {
		t.Fatalf("an unknown id in log mode: %v; want it to run", err)
	}
	line := logs.String()
	if !strings.Contains(line, "untrusted document") || !strings.Contains(line, strings.Repeat("x", trusted.MaxLogged)) {
		t.Fatalf("want the unknown id warned about:\n%.300s", line)
	}
	if len(line) > 4*trusted.MaxLogged+200 {
		t.Errorf("a warning of %d bytes for an id and a name of %d; want each clipped to %d", len(line), len(long), trusted.MaxLogged)
	}
}
