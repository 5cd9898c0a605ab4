package httpserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// TestResponseMediaTypes checks what GraphQL over HTTP asks of each response media type:
// under application/json a request that fails before it runs is answered 200 with data
// null, under application/graphql-response+json 400 without a data entry; a request that
// runs is answered 200 either way.
func TestResponseMediaTypes(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, nil)
	const (
		plain  = "application/json"
		gqlRes = "application/graphql-response+json"
		apollo = "application/graphql-response+json,application/json;q=0.9" // Apollo Client 4
	)
	for _, tc := range []struct {
		name       string
		method     string
		body       string // POST body, or the GET query string
		accept     string
		wantStatus int
		wantType   string
		wantData   string // the data entry as sent; "" for none
		wantCode   string // the first error's code; "" for no error
	}{
		{"RunsUnderJSON", "POST", `{"query":"{ __typename }"}`, plain, 200, plain, `{"__typename":"Query"}`, ""},
		{"RunsUnderGraphQLResponse", "POST", `{"query":"{ __typename }"}`, gqlRes, 200, gqlRes, `{"__typename":"Query"}`, ""},
		{"ApolloClientGetsGraphQLResponse", "POST", `{"query":"{ __typename }"}`, apollo, 200, gqlRes, `{"__typename":"Query"}`, ""},
		{"NoAcceptMeansJSON", "POST", `{"query":"{ __typename }"}`, "", 200, plain, `{"__typename":"Query"}`, ""},
		{"AnyMeansJSON", "POST", `{"query":"{ __typename }"}`, "*/*", 200, plain, `{"__typename":"Query"}`, ""},
		{"HigherQualityWins", "POST", `{"query":"{ __typename }"}`, gqlRes + ";q=0.5, application/json", 200, plain, `{"__typename":"Query"}`, ""},

		{"ParseErrorUnderJSON", "POST", `{"query":"{"}`, plain, 200, plain, "null", "GRAPHQL_PARSE_FAILED"},
		{"ParseErrorUnderGraphQLResponse", "POST", `{"query":"{"}`, gqlRes, 400, gqlRes, "", "GRAPHQL_PARSE_FAILED"},
		{"ValidationErrorUnderJSON", "POST", `{"query":"{ nope }"}`, plain, 200, plain, "null", "GRAPHQL_VALIDATION_FAILED"},
		{"ValidationErrorUnderGraphQLResponse", "POST", `{"query":"{ nope }"}`, gqlRes, 400, gqlRes, "", "GRAPHQL_VALIDATION_FAILED"},
		{"CoercionErrorUnderJSON", "POST", `{"query":"query($id: ID!) { store(id: $id) { id } }","variables":{"id":null}}`, plain, 200, plain, "null", "GRAPHQL_VALIDATION_FAILED"},
		{"CoercionErrorUnderGraphQLResponse", "POST", `{"query":"query($id: ID!) { store(id: $id) { id } }","variables":{"id":null}}`, gqlRes, 400, gqlRes, "", "GRAPHQL_VALIDATION_FAILED"},
		{"FieldErrorKeepsData", "POST", `{"query":"{ store(id: \"x\") { id } }"}`, gqlRes, 200, gqlRes, `{"store":null}`, "BAD_USER_INPUT"},
		{"GETParseErrorUnderGraphQLResponse", "GET", "query=" + url.QueryEscape("{"), gqlRes, 400, gqlRes, "", "GRAPHQL_PARSE_FAILED"},
		{"GETParseErrorUnderJSON", "GET", "query=" + url.QueryEscape("{"), plain, 200, plain, "null", "GRAPHQL_PARSE_FAILED"},

		{"NoQuery", "POST", `{"qeury":"{ __typename }"}`, plain, 400, plain, "null", "BAD_REQUEST"},
		{"NoQueryUnderGraphQLResponse", "POST", `{"qeury":"{ __typename }"}`, gqlRes, 400, gqlRes, "", "BAD_REQUEST"},
		{"GETNoQuery", "GET", "", plain, 400, plain, "null", "BAD_REQUEST"},
		{"NothingAcceptable", "POST", `{"query":"{ __typename }"}`, "text/html", 406, plain, "null", "BAD_REQUEST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var req *http.Request
			var err error
			if tc.method == "GET" {
				req, err = http.NewRequest(http.MethodGet, s.URL+"/graphql?"+tc.body, nil)
			} else {
				req, err = http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var body map[string]json.RawMessage
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("%s %s: body is not a JSON object: %v\n%s", tc.method, tc.body, err, raw)
			}
			data, hasData := body["data"]
			var errs []apitest.Error
			if e, ok := body["errors"]; ok {
				if err := json.Unmarshal(e, &errs); err != nil {
					t.Fatalf("errors: %v", err)
				}
			}
			code := ""
			if len(errs) > 0 {
				code = errs[0].Code()
			}
			gotType := res.Header.Get("Content-Type")
			if res.StatusCode != tc.wantStatus || gotType != tc.wantType || hasData != (tc.wantData != "") ||
				(hasData && string(data) != tc.wantData) || code != tc.wantCode {
				t.Errorf("%s %s with Accept %q = %d %s %s; want %d %s, data %q, code %q",
					tc.method, tc.body, tc.accept, res.StatusCode, gotType, raw, tc.wantStatus, tc.wantType, tc.wantData, tc.wantCode)
			}
		})
	}
}

// TestResponseBytes checks that a response is sent as json.Marshal writes it, whether or not
// its data has characters json.Marshal escapes: <, >, & and the line and paragraph
// separators become \u escapes, other text stays as it is.
func TestResponseBytes(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, nil)
	post := func(query string) string {
		t.Helper()
		res, err := http.Post(s.URL+"/graphql", "application/json", strings.NewReader(`{"query":`+strconv.Quote(query)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	for _, name := range []string{"plain shop", "a <b> & c", "line\u2028para\u2029end", "café … €"} {
		if _, err := s.DB().ExecContext(t.Context(), "DELETE FROM stores"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(t.Context(), "INSERT INTO stores (name) VALUES (?)", name); err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(map[string]any{"stores": map[string]any{"nodes": []any{map[string]any{"name": name}}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := post(`{ stores(first: 5) { nodes { name } } }`), `{"data":`+string(data)+`}`; got != want {
			t.Errorf("store %q: response = %s; want %s", name, got, want)
		}
	}
}
