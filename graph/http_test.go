package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// httpGet fetches path from the server and returns the status, the Content-Type and the body.
func httpGet(t *testing.T, s *apitest.Server, path string) (int, string, string) {
	t.Helper()
	res, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), string(body)
}

func TestGraphQLOverGET(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.CreateStore(t, "Corner Books")
	s.CreateStore(t, "Bean There")

	t.Run("QueryAnswered", func(t *testing.T) {
		t.Parallel()
		status, _, body := httpGet(t, s, "/graphql?query="+url.QueryEscape("{stores{totalCount}}"))
		var out struct {
			Data struct {
				Stores struct{ TotalCount int }
			}
			Errors []apitest.Error
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("GET query: body is not JSON: %v\n%s", err, body)
		}
		if status != http.StatusOK || len(out.Errors) > 0 || out.Data.Stores.TotalCount != 2 {
			t.Errorf("GET {stores{totalCount}} = %d %s; want 200 with totalCount 2", status, body)
		}
	})

	t.Run("MutationRefused", func(t *testing.T) {
		t.Parallel()
		query := `mutation { createStore(input: {name: "Over GET"}) { id } }`
		status, _, body := httpGet(t, s, "/graphql?query="+url.QueryEscape(query))
		var out struct{ Errors []apitest.Error }
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("GET mutation: body is not JSON: %v\n%s", err, body)
		}
		if status != http.StatusMethodNotAllowed || len(out.Errors) == 0 || out.Errors[0].Code() != "BAD_REQUEST" {
			t.Errorf("GET mutation = %d %s; want 405 and an error with code BAD_REQUEST", status, body)
		}
		if n := count(t, s, "SELECT count(*) FROM stores WHERE name = 'Over GET'"); n != 0 {
			t.Errorf("stores created by the refused GET mutation: got %d; want 0", n)
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	for _, tc := range []struct {
		name        string
		path        string
		contentType string
		body        string // a fragment the body must hold
	}{
		{"HealthzOK", "/healthz", "text/plain", "ok"},
		{"ReadyzOK", "/readyz", "text/plain", "ok"},
		{"PlaygroundIsHTML", "/", "text/html", "<html"},
		{"MetricsCountStatements", "/metrics", "text/plain", "db_queries_total"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, contentType, body := httpGet(t, s, tc.path)
			if status != http.StatusOK || !strings.HasPrefix(contentType, tc.contentType) || !strings.Contains(body, tc.body) {
				t.Errorf("GET %s = %d %q with a body of %d bytes; want 200 %s holding %q",
					tc.path, status, contentType, len(body), tc.contentType, tc.body)
			}
		})
	}
}

func TestMetricsCountEveryStatement(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.CreateStore(t, "Counted")
	s.MustPost(t, `{ stores { totalCount nodes { items { id } } } }`, nil, nil)

	_, _, body := httpGet(t, s, "/metrics")
	m := regexp.MustCompile(`(?m)^db_queries_total (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no db_queries_total sample:\n%s", body)
	}
	got, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("db_queries_total = %q: %v", m[1], err)
	}
	// The hook counts the same statements as the harness does; the scrape itself sends none.
	if want := s.Statements(); int64(got) != want {
		t.Errorf("db_queries_total = %v; want %d, the statements sent", got, want)
	}
}
