package live_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// refusedAsTooMany checks that res is a 429 whose body is the coded TOO_MANY_REQUESTS error.
func refusedAsTooMany(t testing.TB, what string, res *http.Response) {
	t.Helper()
	if res == nil {
		t.Fatalf("%s: no response; want 429", what)
	}
	var body struct{ Errors []apitest.Error }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("%s: body: %v", what, err)
	}
	if res.StatusCode != http.StatusTooManyRequests || len(body.Errors) != 1 || body.Errors[0].Code() != "TOO_MANY_REQUESTS" ||
		body.Errors[0].Message == "" {
		t.Fatalf("%s: %d %+v; want 429 with TOO_MANY_REQUESTS and a message", what, res.StatusCode, body.Errors)
	}
}

// postStream asks for an event stream of storeChanged, as the client at address when the
// server reads the client's address from X-Forwarded-For; the caller closes the body.
func postStream(t testing.TB, s *apitest.Server, store, address string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": storeChanged, "variables": map[string]any{"s": store}})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if address != "" {
		req.Header.Set("X-Forwarded-For", address)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// One client address holds at most STREAMS_PER_CLIENT WebSockets and event streams
// together; the next is refused with 429 before it opens, whatever its transport, while
// other addresses keep theirs, and a stream that ends gives its slot back.
func TestStreamsPerClient(t *testing.T) {
	t.Parallel()
	t.Run("sockets and event streams together", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, map[string]string{"STREAMS_PER_CLIENT": "2"})
		st := createStore(t, s, "Crowded Store")
		subscribeSocket(t, s, st)
		es := subscribeStream(t, s, st)

		if c, res, err := s.DialSocket(t.Context(), apitest.DialOptions{}); err == nil {
			c.Close()
			t.Fatal("a third stream opened as a WebSocket; want it refused")
		} else {
			refusedAsTooMany(t, "third stream as a WebSocket", res)
		}
		res := postStream(t, s, st, "")
		refusedAsTooMany(t, "third stream as an event stream", res)
		res.Body.Close()
		if n := s.App.Live.Open(); n != 2 {
			t.Errorf("%d subscriptions after the refusals; want the 2 first", n)
		}

		es.Close()
		waitFor(t, "the event stream's slot", func() bool {
			c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	})
	t.Run("each address its own", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, map[string]string{"STREAMS_PER_CLIENT": "1", "CLIENT_ADDR_HEADER": "X-Forwarded-For"})
		st := createStore(t, s, "Shared Store")
		first := postStream(t, s, st, "192.0.2.1")
		defer first.Body.Close()
		if first.StatusCode != http.StatusOK {
			t.Fatalf("first stream of 192.0.2.1: %d; want 200", first.StatusCode)
		}
		waitSubscribed(t, s, 1)
		again := postStream(t, s, st, "192.0.2.1")
		refusedAsTooMany(t, "second stream of 192.0.2.1", again)
		again.Body.Close()
		other := postStream(t, s, st, "192.0.2.2")
		defer other.Body.Close()
		if other.StatusCode != http.StatusOK {
			t.Fatalf("first stream of 192.0.2.2: %d; want 200", other.StatusCode)
		}
		waitSubscribed(t, s, 2)
	})
}

// An event stream's keep-alive may fall due as its client leaves: the stream ends, and the
// server goes on serving others.
func TestEventStreamEndsWhilePinging(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"WS_PING_INTERVAL": "1ms"})
	st := createStore(t, s, "Busy Store")
	for range 300 {
		es := subscribeStream(t, s, st)
		es.Close()
		waitSubscribed(t, s, 0)
	}
	renameStore(t, s, st, "Busy Store, still served")
}
