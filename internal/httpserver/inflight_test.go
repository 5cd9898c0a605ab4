package httpserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/httpserver"
)

// Past HTTP_MAX_IN_FLIGHT a request that finds no slot within the wait gets 503 with
// SERVICE_UNAVAILABLE and Retry-After; once the running one ends, requests run again.
func TestLimitInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	running := make(chan struct{}, 1)
	h := httpserver.NewInFlight(1, 50*time.Millisecond).Limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			running <- struct{}{}
			<-release
		}
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	post := func(query string) *http.Response {
		t.Helper()
		res, err := http.Post(srv.URL+"/graphql"+query, "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = res.Body.Close() })
		return res
	}

	held := make(chan *http.Response, 1)
	go func() {
		res, err := http.Post(srv.URL+"/graphql?hold=1", "application/json", strings.NewReader(`{}`))
		if err == nil {
			_ = res.Body.Close()
		}
		held <- res
	}()
	<-running

	res := post("")
	var body struct{ Errors []apitest.Error }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		len(body.Errors) != 1 || body.Errors[0].Code() != "SERVICE_UNAVAILABLE" {
		t.Errorf("a request past the limit: %d, Retry-After %q, %+v; want 503 with SERVICE_UNAVAILABLE and Retry-After",
			res.StatusCode, res.Header.Get("Retry-After"), body.Errors)
	}

	close(release)
	if r := <-held; r == nil || r.StatusCode != http.StatusOK {
		t.Fatalf("the held request: %v; want 200", r)
	}
	if res := post(""); res.StatusCode != http.StatusOK {
		t.Errorf("a request once the slot is free: %d; want 200", res.StatusCode)
	}
}
