package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

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
		ws := subscribeSocket(t, s, st)
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
		// The slot is asked for by the stream that takes it: a probe's own slot would come
		// back only once the server has closed the probe, after its client has.
		var again *http.Response
		waitFor(t, "the event stream's slot", func() bool {
			res := postStream(t, s, st, "")
			if res.StatusCode == http.StatusOK {
				again = res
				return true
			}
			res.Body.Close()
			return false
		})
		defer again.Body.Close()
		waitSubscribed(t, s, 2)
		if socketOpens(t, s, st) {
			t.Fatal("a third stream opened after the slots were taken again; want it refused")
		}
		ws.Close()
		waitFor(t, "the socket's slot", func() bool { return socketOpens(t, s, st) })
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

// aliases is how many times the stuck subscriber selects its tag's items: each change it
// is sent weighs that many times the list, so that a few fill the TCP buffers between it
// and the server.
const aliases = 20

// heavyChanges subscribes to store's changes, each carrying its tag's items aliases times.
func heavyChanges() string {
	var b strings.Builder
	b.WriteString(`subscription($s: ID!) { storeChanged(storeId: $s) { kind`)
	for i := range aliases {
		fmt.Fprintf(&b, ` a%d: tag { items { name } }`, i)
	}
	b.WriteString(` } }`)
	return b.String()
}

// loadHeavyTag makes a store whose one tag labels 1,000 items of 80-character names (about
// 90 KB as a list), and returns the store and the tag.
func loadHeavyTag(t testing.TB, s *apitest.Server) (store, tag string) {
	t.Helper()
	store = createStore(t, s, "Heavy Store")
	tag = createTag(t, s, store, "heavy")
	ctx := t.Context()
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO items (store_id, name, price)
		SELECT ?::bigint, 'item ' || lpad(k::text, 75, '.'), 1 FROM generate_series(1, 1000) AS k`, store); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO items_tags (item_id, tag_id, store_id)
		SELECT id, ?::bigint, store_id FROM items WHERE store_id = ?::bigint`, tag, store); err != nil {
		t.Fatal(err)
	}
	return store, tag
}

// smallReadBuffer dials with a small receive buffer, so that a client that stops reading
// fills its TCP window soon.
func smallReadBuffer(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	return c, nil
}

// stuckSocket opens a WebSocket speaking subprotocol, subscribes to heavy changes of store
// and never reads again; with pongs, it answers the pings it does not read, as a client
// would that keeps a socket open on purpose.
func stuckSocket(t testing.TB, s *apitest.Server, store, subprotocol string, pongs bool) {
	t.Helper()
	transport := &http.Transport{DialContext: smallReadBuffer}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{subprotocol}, HTTPClient: client})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	send := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatalf("send %s: %v", b, err)
		}
	}
	send(map[string]any{"type": "connection_init"})
	_, ack, err := conn.Read(ctx)
	if err != nil || !strings.Contains(string(ack), "connection_ack") {
		t.Fatalf("after connection_init: %s, %v; want connection_ack", ack, err)
	}
	start := "subscribe"
	if subprotocol == "graphql-ws" {
		start = "start"
	}
	send(map[string]any{"id": "1", "type": start, "payload": map[string]any{"query": heavyChanges(), "variables": map[string]any{"s": store}}})
	if !pongs {
		return
	}
	go func() {
		for ctx.Err() == nil {
			// Unasked pongs clear the server's wait for one; writing fails once it drops us.
			if conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`)) != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
}

// stuckStream posts a request for an event stream of heavy changes of store over a raw
// connection that never reads.
func stuckStream(t testing.TB, s *apitest.Server, store string) {
	t.Helper()
	conn, err := smallReadBuffer(t.Context(), "tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	body, _ := json.Marshal(map[string]any{"query": heavyChanges(), "variables": map[string]any{"s": store}})
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"+
		"Content-Length: %d\r\n\r\n%s", strings.TrimPrefix(s.URL, "http://"), len(body), body)
}

// A client that stops reading its stream, and so leaves each write waiting on a full TCP
// window, is dropped once a write has waited STREAM_WRITE_TIMEOUT: its subscription ends
// and its slot is free again, whichever transport it used. The graphql-transport-ws
// client also sends pongs without reading the pings, so that only the write deadline can
// find it; the older graphql-ws protocol has no answer to its keep-alive at all.
func TestStuckReaderIsDropped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		open  func(t testing.TB, s *apitest.Server, store string)
		again func(t testing.TB, s *apitest.Server, store string) bool
	}{
		{"event stream", stuckStream, streamOpens},
		{"graphql-transport-ws", func(t testing.TB, s *apitest.Server, store string) {
			stuckSocket(t, s, store, "graphql-transport-ws", true)
		}, socketOpens},
		{"graphql-ws", func(t testing.TB, s *apitest.Server, store string) {
			stuckSocket(t, s, store, "graphql-ws", false)
		}, socketOpens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// One stream per client and one socket per process: a new one opens only once
			// the stuck one has given its slots back.
			s := newServer(t, map[string]string{"STREAM_WRITE_TIMEOUT": "500ms", "STREAMS_PER_CLIENT": "1", "WS_MAX_CONNECTIONS": "1"})
			store, tag := loadHeavyTag(t, s)
			tc.open(t, s, store)
			waitSubscribed(t, s, 1)
			if tc.again(t, s, store) {
				t.Fatal("a second stream opened beside the first; want it refused")
			}

			// Each rename delivers about 2 MB, which the client never reads.
			deadline := time.Now().Add(2 * apitest.Wait)
			for i := 0; s.App.Live.Open() > 0; i++ {
				if time.Now().After(deadline) {
					t.Fatalf("the stuck client still holds its subscription after %d changes", i)
				}
				mustPost(t, s, `mutation($t: ID!, $n: String!) { updateTag(id: $t, input: {name: $n}) { id } }`,
					map[string]any{"t": tag, "n": fmt.Sprintf("heavy %d", i)}, nil)
				time.Sleep(100 * time.Millisecond)
			}
			waitFor(t, "the stuck client's slot", func() bool { return tc.again(t, s, store) })
		})
	}
}

// streamOpens reports whether a new event stream of store's changes opens on s.
func streamOpens(t testing.TB, s *apitest.Server, store string) bool {
	res := postStream(t, s, store, "")
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// socketOpens reports whether a new WebSocket opens on s.
func socketOpens(t testing.TB, s *apitest.Server, _ string) bool {
	c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
	if err == nil {
		c.Close()
	}
	return err == nil
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

// inNamespace marks the test process that runs in a network namespace of its own.
const inNamespace = "STOREGRAPH_TEST_IN_NETNS"

// A client that vanished without closing its stream (no FIN, and nothing it is sent is
// acknowledged) is dropped once what the server sent, its keep-alive messages, has stayed
// unacknowledged STREAM_WRITE_TIMEOUT: the older graphql-ws protocol's keep-alive and an
// event stream's expect no answer, and TCP's own retries would hold the stream for about
// 15 minutes. The test runs again in a network namespace of its own, whose loopback it
// takes down under the connections; that needs root, as the rest of the suite does.
func TestVanishedClientIsDropped(t *testing.T) {
	t.Parallel()
	if os.Getenv(inNamespace) == "" {
		cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v",
			"-test.timeout=2m") // a stream held for TCP's retries holds up the server's close
		cmd.Env = append(os.Environ(), inNamespace+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
			t.Fatalf("in a network namespace of its own (unshare --net, as root): %v\n%s", err, out)
		}
		return
	}
	loopback := func(state string) {
		t.Helper()
		if out, err := exec.Command("ip", "link", "set", "lo", state).CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo %s: %v\n%s", state, err, out)
		}
	}
	loopback("up")
	env := map[string]string{"WS_PING_INTERVAL": "100ms", "STREAM_WRITE_TIMEOUT": "1s", "STREAMS_PER_CLIENT": "1"}
	// The subtests take the loopback down in turn.
	for _, tc := range []struct {
		name  string
		open  func(t *testing.T, s *apitest.Server, store string)
		again func(t testing.TB, s *apitest.Server, store string) bool
	}{
		{"graphql-ws", func(t *testing.T, s *apitest.Server, store string) {
			c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{Subprotocol: "graphql-ws"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Conn.CloseNow() })
			payload, _ := json.Marshal(map[string]any{"query": storeChanged, "variables": map[string]any{"s": store}})
			if err := c.Send(t.Context(), apitest.Message{ID: "1", Type: "start", Payload: payload}); err != nil {
				t.Fatal(err)
			}
		}, socketOpens},
		{"event stream", func(t *testing.T, s *apitest.Server, store string) {
			es, err := s.Stream(t.Context(), storeChanged, map[string]any{"s": store}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(es.Close)
		}, streamOpens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, env)
			st := createStore(t, s, "Left Store")
			tc.open(t, s, st)
			waitSubscribed(t, s, 1)

			loopback("down") // from now on nothing the server sends arrives, nor is acknowledged
			t.Cleanup(func() { loopback("up") })
			waitSubscribed(t, s, 0)
			loopback("up")
			waitFor(t, "the vanished client's slot", func() bool { return tc.again(t, s, st) })
		})
	}
}
