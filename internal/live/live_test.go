package live_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/goleak"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// Every goroutine a test started, servers and clients included, must be gone once the
// tests have ended: subscriptions, sockets, streams and listeners leave nothing behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const storeChanged = `subscription($s: ID!) { storeChanged(storeId: $s) {
  kind storeId itemId tagId item { name tags { name } tagCount } tag { name itemCount } } }`

// change is a StoreChange as storeChanged above selects it.
type change struct {
	Kind    string
	StoreID string
	ItemID  *string
	TagID   *string
	Item    *struct {
		Name     string
		Tags     []struct{ Name string }
		TagCount int
	}
	Tag *struct {
		Name      string
		ItemCount int
	}
}

func (c change) String() string {
	s := c.Kind
	if c.ItemID != nil {
		s += " item " + *c.ItemID
	}
	if c.TagID != nil {
		s += " tag " + *c.TagID
	}
	return s
}

// newServer starts a server on a fresh database; env overrides settings. Each server keeps
// to a few database connections: the tests run at once, and PostgreSQL allows 100 in all.
func newServer(t testing.TB, env map[string]string) *apitest.Server {
	t.Helper()
	if _, ok := env["DB_MAX_CONNS"]; !ok {
		env = maps.Clone(env)
		if env == nil {
			env = map[string]string{}
		}
		env["DB_MAX_CONNS"] = "3"
	}
	s := apitest.New(t, env)
	s.DB().SetMaxIdleConns(1)
	return s
}

func mustPost(t testing.TB, s *apitest.Server, query string, vars map[string]any, v any) {
	t.Helper()
	r := s.Post(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %+v", query, r.Errors)
	}
	if v != nil {
		r.Decode(t, v)
	}
}

func createStore(t testing.TB, s *apitest.Server, name string) string {
	t.Helper()
	var out struct{ CreateStore struct{ ID string } }
	mustPost(t, s, `mutation($n: String!) { createStore(input: {name: $n}) { id } }`, map[string]any{"n": name}, &out)
	return out.CreateStore.ID
}

func createItem(t testing.TB, s *apitest.Server, store, name string) string {
	t.Helper()
	var out struct{ CreateItem struct{ ID string } }
	mustPost(t, s, `mutation($s: ID!, $n: String!) { createItem(input: {storeId: $s, name: $n, price: 1}) { id } }`,
		map[string]any{"s": store, "n": name}, &out)
	return out.CreateItem.ID
}

func createTag(t testing.TB, s *apitest.Server, store, name string) string {
	t.Helper()
	var out struct{ CreateTag struct{ ID string } }
	mustPost(t, s, `mutation($s: ID!, $n: String!) { createTag(input: {storeId: $s, name: $n}) { id } }`,
		map[string]any{"s": store, "n": name}, &out)
	return out.CreateTag.ID
}

func link(t testing.TB, s *apitest.Server, item, tag string) {
	t.Helper()
	mustPost(t, s, `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`, map[string]any{"i": item, "t": tag}, nil)
}

func renameStore(t testing.TB, s *apitest.Server, store, name string) {
	t.Helper()
	mustPost(t, s, `mutation($s: ID!, $n: String!) { updateStore(id: $s, input: {name: $n}) { id } }`, map[string]any{"s": store, "n": name}, nil)
}

// dial opens a socket to s, closed when the test ends.
func dial(t testing.TB, s *apitest.Server) *apitest.Socket {
	t.Helper()
	c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// subscribeSocket opens a socket to s and subscribes to store's changes as operation "1".
func subscribeSocket(t testing.TB, s *apitest.Server, store string) *apitest.Socket {
	t.Helper()
	c := dial(t, s)
	before := s.App.Live.Open()
	if err := c.Subscribe(t.Context(), "1", storeChanged, map[string]any{"s": store}); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, s, before+1)
	return c
}

// subscribeStream subscribes to store's changes over Server-Sent Events.
func subscribeStream(t testing.TB, s *apitest.Server, store string) *apitest.EventStream {
	t.Helper()
	before := s.App.Live.Open()
	es, err := s.Stream(t.Context(), storeChanged, map[string]any{"s": store}, nil)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	t.Cleanup(es.Close)
	waitSubscribed(t, s, before+1)
	return es
}

// waitSubscribed waits until s holds n subscriptions, so that what the test does next
// happens after them.
func waitSubscribed(t testing.TB, s *apitest.Server, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d subscriptions", n), func() bool { return s.App.Live.Open() == n })
}

// waitFor waits until ok holds, failing the test after apitest.Wait.
func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(apitest.Wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", apitest.Wait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// payload is a GraphQL response carrying a change.
type payload struct {
	Data   *struct{ StoreChanged change }
	Errors []apitest.Error
}

func decodeChange(t testing.TB, raw json.RawMessage) change {
	t.Helper()
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if len(p.Errors) > 0 || p.Data == nil {
		t.Fatalf("change with errors: %s", raw)
	}
	return p.Data.StoreChanged
}

// nextChange reads the next message of c, which must be a change of operation id.
func nextChange(t testing.TB, c *apitest.Socket, id string) change {
	t.Helper()
	m := next(t, c)
	if m.Type != "next" || m.ID != id {
		t.Fatalf("got %s %s %s; want next of %s", m.Type, m.ID, m.Payload, id)
	}
	return decodeChange(t, m.Payload)
}

func next(t testing.TB, c *apitest.Socket) apitest.Message {
	t.Helper()
	m, err := c.Next(context.Background())
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// nextEvent reads the next event of es, which must be a change.
func nextEvent(t testing.TB, es *apitest.EventStream) change {
	t.Helper()
	ev, err := es.Next(context.Background())
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if ev.Name != "next" {
		t.Fatalf("got event %s %s; want next", ev.Name, ev.Data)
	}
	return decodeChange(t, ev.Data)
}

func TestSubscriptionDeliversCommittedChangesWithNestedFields(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Live Store")
	tag := createTag(t, s, st, "fresh")
	ws := subscribeSocket(t, s, st)
	sse := subscribeStream(t, s, st)

	item := createItem(t, s, st, "Apple")
	link(t, s, item, tag)

	for name, read := range map[string]func() change{
		"WebSocket": func() change { return nextChange(t, ws, "1") },
		"SSE":       func() change { return nextEvent(t, sse) },
	} {
		got := read()
		if got.Kind != "CREATED" || got.StoreID != st || got.ItemID == nil || *got.ItemID != item || got.TagID != nil {
			t.Fatalf("%s: first change = %v; want CREATED item %s", name, got, item)
		}
		got = read()
		if got.Kind != "LINKED" || *got.ItemID != item || *got.TagID != tag {
			t.Fatalf("%s: second change = %v; want LINKED item %s tag %s", name, got, item, tag)
		}
		// Read when delivered: the item already carries the tag.
		if got.Item == nil || got.Item.Name != "Apple" || got.Item.TagCount != 1 || len(got.Item.Tags) != 1 || got.Item.Tags[0].Name != "fresh" {
			t.Errorf("%s: LINKED item = %+v; want Apple with its one tag fresh", name, got.Item)
		}
		if got.Tag == nil || got.Tag.Name != "fresh" || got.Tag.ItemCount != 1 {
			t.Errorf("%s: LINKED tag = %+v; want fresh with 1 item", name, got.Tag)
		}
	}

	// A deleted item is named by its id, and read as null.
	mustPost(t, s, `mutation($i: ID!) { deleteItem(id: $i) { id } }`, map[string]any{"i": item}, nil)
	for name, got := range map[string]change{"WebSocket": nextChange(t, ws, "1"), "SSE": nextEvent(t, sse)} {
		if got.Kind != "DELETED" || got.ItemID == nil || *got.ItemID != item || got.Item != nil || got.TagID != nil {
			t.Errorf("%s: after deleteItem got %v, item %+v; want DELETED of item %s, read as null", name, got, got.Item, item)
		}
	}
}

// A mutation refused after its first statement rolls back, and what it notified with it.
func TestRolledBackChangeIsNotDelivered(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Rollback Store")
	other := createStore(t, s, "Other Store")
	foreign := createTag(t, s, other, "foreign")
	c := subscribeSocket(t, s, st)

	// The item is inserted, then linking it with another store's tag fails: all rolls back.
	r := s.Post(t, `mutation($s: ID!, $t: ID!) { createItem(input: {storeId: $s, name: "Ghost", price: 1, tagIds: [$t]}) { id } }`,
		map[string]any{"s": st, "t": foreign})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
		t.Fatalf("createItem with a foreign tag: %v; want BAD_USER_INPUT", codes)
	}
	renameStore(t, s, st, "Rollback Store, renamed")
	if got := nextChange(t, c, "1"); got.Kind != "UPDATED" || got.ItemID != nil || got.TagID != nil {
		t.Fatalf("first change = %v; want the store's UPDATED, nothing of the rolled-back item", got)
	}
}

// Concurrent links and unlinks of one pair commit one after the other; each that changes
// something must arrive in that order, so the kinds alternate, and the last one says how
// the pair ends up.
func TestChangesArriveInCommitOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Ordered Store")
	item, tag := createItem(t, s, st, "Pair item"), createTag(t, s, st, "pair tag")
	ws := subscribeSocket(t, s, st)
	sse := subscribeStream(t, s, st)

	const workers, calls = 4, 15
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range calls {
				op := "linkTag"
				if (w+i)%2 == 1 {
					op = "unlinkTag"
				}
				r, err := s.Send(context.Background(), `mutation($i: ID!, $t: ID!) { `+op+`(itemId: $i, tagId: $t) { message } }`,
					map[string]any{"i": item, "t": tag})
				if err == nil && len(r.Errors) > 0 {
					err = fmt.Errorf("%s: %+v", op, r.Errors)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	renameStore(t, s, st, "Ordered Store, done") // the last change
	var linked bool
	if err := s.DB().NewRaw("SELECT EXISTS (SELECT 1 FROM items_tags WHERE item_id = ? AND tag_id = ?)", item, tag).Scan(t.Context(), &linked); err != nil {
		t.Fatal(err)
	}

	for name, read := range map[string]func() change{
		"WebSocket": func() change { return nextChange(t, ws, "1") },
		"SSE":       func() change { return nextEvent(t, sse) },
	} {
		var kinds []string
		for got := read(); got.Kind != "UPDATED"; got = read() {
			kinds = append(kinds, got.Kind)
		}
		want := "LINKED"
		for i, k := range kinds {
			if k != want {
				t.Fatalf("%s: change %d of %v is %s; want %s (commit order alternates)", name, i, kinds, k, want)
			}
			want = map[string]string{"LINKED": "UNLINKED", "UNLINKED": "LINKED"}[want]
		}
		if len(kinds) == 0 || (kinds[len(kinds)-1] == "LINKED") != linked {
			t.Errorf("%s: changes %v end with the pair linked = %v; the database says %v", name, kinds, len(kinds) > 0 && kinds[len(kinds)-1] == "LINKED", linked)
		}
	}
}

// Two servers share the database and nothing else: each has its own pool, listener, hub and
// HTTP listener. A change made through one reaches a subscriber of the other.
func TestChangeReachesSubscriberOfAnotherServer(t *testing.T) {
	t.Parallel()
	url := dbtest.New(t)
	writer := newServer(t, map[string]string{"DATABASE_URL": url})
	reader := newServer(t, map[string]string{"DATABASE_URL": url})
	st := createStore(t, writer, "Shared Store")
	c := subscribeSocket(t, reader, st)
	sse := subscribeStream(t, reader, st)

	item := createItem(t, writer, st, "Made elsewhere")
	if got := nextChange(t, c, "1"); got.Kind != "CREATED" || got.Item == nil || got.Item.Name != "Made elsewhere" || *got.ItemID != item {
		t.Errorf("WebSocket on the other server got %v %+v; want CREATED of %s", got, got.Item, item)
	}
	if got := nextEvent(t, sse); got.Kind != "CREATED" || *got.ItemID != item {
		t.Errorf("SSE on the other server got %v; want CREATED of %s", got, item)
	}
	if n := writer.App.Live.Open(); n != 0 {
		t.Errorf("the writing server holds %d subscriptions; want 0", n)
	}
}

// When the listener's connection is cut, a change made meanwhile cannot reach it; once the
// database is back, every subscriber gets RESYNC, and changes flow again.
func TestLostFeedGivesResync(t *testing.T) {
	t.Parallel()
	proxied, proxy := dbtest.NewProxied(t)
	s := newServer(t, map[string]string{"DATABASE_URL": proxy.DirectURL, "DATABASE_LISTEN_URL": proxied})
	st := createStore(t, s, "Cut Store")
	ws := subscribeSocket(t, s, st)
	sse := subscribeStream(t, s, st)

	proxy.Cut()
	renameStore(t, s, st, "Renamed while cut") // the pool does not use the proxy
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	reads := map[string]func() change{
		"WebSocket": func() change { return nextChange(t, ws, "1") },
		"SSE":       func() change { return nextEvent(t, sse) },
	}
	for name, read := range reads {
		// The rename may have reached the old connection's backend before it went; then it
		// comes first. Either way a RESYNC follows.
		got := read()
		if got.Kind == "UPDATED" {
			got = read()
		}
		if got.Kind != "RESYNC" || got.StoreID != st || got.ItemID != nil || got.Item != nil {
			t.Fatalf("%s: after the cut got %v; want RESYNC", name, got)
		}
	}
	item := createItem(t, s, st, "After the cut")
	for name, read := range reads {
		if got := read(); got.Kind != "CREATED" || *got.ItemID != item {
			t.Errorf("%s: after the RESYNC got %v; want CREATED of %s", name, got, item)
		}
	}
	if n := metric(t, s, `subscription_resyncs_total{reason="feed"}`); n != 2 {
		t.Errorf(`subscription_resyncs_total{reason="feed"} = %v; want 2`, n)
	}
}

// bigItemChanged selects each change's item with its tags many times over, so that a
// delivery is large and a client that stops reading soon fills the network's buffers.
func bigItemChanged() string {
	q := "subscription($s: ID!) { storeChanged(storeId: $s) { kind itemId item {"
	for i := range 20 {
		q += fmt.Sprintf(" t%d: tags { name }", i)
	}
	return q + " } } }"
}

// A subscriber that stops reading fills its queue; it gets RESYNC in place of the changes
// it could not take, and a subscriber that reads gets every change, in order.
func TestSlowSubscriberGetsResync(t *testing.T) {
	t.Parallel()
	// No keep-alive pings: the slow client, which reads nothing for a while, would be dropped
	// for not answering them.
	s := newServer(t, map[string]string{"SUBSCRIPTION_QUEUE": "2", "WS_PING_INTERVAL": "1h"})
	st := createStore(t, s, "Busy Store")
	item := createItem(t, s, st, "Heavy item")
	var tags []string
	for i := range 50 {
		tags = append(tags, createTag(t, s, st, fmt.Sprintf("%02d: a tag whose name is long enough to make each delivery weigh a lot", i)))
	}
	mustPost(t, s, `mutation($i: ID!, $t: [ID!]!) { setItemTags(itemId: $i, tagIds: $t) { message } }`, map[string]any{"i": item, "t": tags}, nil)

	slow, fast := dial(t, s), dial(t, s)
	for _, c := range []*apitest.Socket{slow, fast} {
		if err := c.Subscribe(t.Context(), "1", bigItemChanged(), map[string]any{"s": st}); err != nil {
			t.Fatal(err)
		}
	}
	waitSubscribed(t, s, 2)

	const updates = 200
	for i := range updates {
		mustPost(t, s, `mutation($i: ID!, $n: String!) { updateItem(id: $i, input: {name: $n}) { id } }`,
			map[string]any{"i": item, "n": fmt.Sprintf("Heavy item %d", i)}, nil)
		m := next(t, fast)
		if m.Type != "next" || !json.Valid(m.Payload) || containsKind(m.Payload, "RESYNC") {
			t.Fatalf("fast subscriber, update %d: got %s %s; want the change", i, m.Type, m.Payload)
		}
	}
	renameStore(t, s, st, "Busy Store, done")
	if m := next(t, fast); !containsKind(m.Payload, "UPDATED") {
		t.Fatalf("fast subscriber: got %s after the updates; want the store's UPDATED", m.Payload)
	}
	// The slow subscriber gets what its queue and the network held, then a RESYNC for the
	// rest (one for each time its queue overflowed); then it is served again.
	got := 0
	for m := next(t, slow); !containsKind(m.Payload, "RESYNC"); m = next(t, slow) {
		if !containsKind(m.Payload, "UPDATED") {
			t.Fatalf("slow subscriber got %s %.200s; want changes, then RESYNC", m.Type, m.Payload)
		}
		if got++; got > updates {
			t.Fatalf("slow subscriber got every change and no RESYNC")
		}
	}
	// Once it has caught up, changes reach it again: a rename either arrives, or, while the
	// backlog still fills its queue, is replaced by one more RESYNC; then try another.
	for try := 0; ; try++ {
		if try == 20 {
			t.Fatalf("slow subscriber: no change reached it after its RESYNC")
		}
		renameStore(t, s, st, fmt.Sprintf("Busy Store, again %d", try))
		kind := ""
		for kind != "RESYNC" && kind != "store UPDATED" {
			var p struct {
				Data struct {
					StoreChanged struct {
						Kind   string
						ItemID *string
					}
				}
			}
			if m := next(t, slow); json.Unmarshal(m.Payload, &p) != nil || p.Data.StoreChanged.Kind == "" {
				t.Fatalf("slow subscriber, after its RESYNC: %s %.200s", m.Type, m.Payload)
			}
			kind = p.Data.StoreChanged.Kind
			if kind == "UPDATED" && p.Data.StoreChanged.ItemID == nil {
				kind = "store UPDATED"
			}
		}
		if kind == "store UPDATED" {
			break
		}
	}
	if n := metric(t, s, `subscription_resyncs_total{reason="behind"}`); n < 1 {
		t.Errorf("subscription_resyncs_total{reason=behind} = %v; want at least 1", n)
	}
}

// containsKind reports whether a change's payload has this kind.
func containsKind(raw json.RawMessage, kind string) bool {
	var p struct {
		Data *struct{ StoreChanged struct{ Kind string } }
	}
	return json.Unmarshal(raw, &p) == nil && p.Data != nil && p.Data.StoreChanged.Kind == kind
}

// metric reads one sample of the server's /metrics, 0 when it is absent.
func metric(t testing.TB, s *apitest.Server, sample string) float64 {
	t.Helper()
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// Deleting a store delivers its DELETED, then ends the subscription.
func TestDeleteStoreDeliversDeletedThenCompletes(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Doomed Store")
	createItem(t, s, st, "Doomed item")
	ws := subscribeSocket(t, s, st)
	sse := subscribeStream(t, s, st)
	// A delivery shows each subscription has found its store: one deleted before that is
	// refused as NOT_FOUND instead.
	renameStore(t, s, st, "Doomed Store, renamed")
	if got := nextChange(t, ws, "1"); got.Kind != "UPDATED" {
		t.Fatalf("WebSocket: after a rename got %+v; want UPDATED", got)
	}
	if got := nextEvent(t, sse); got.Kind != "UPDATED" {
		t.Fatalf("SSE: after a rename got %+v; want UPDATED", got)
	}

	mustPost(t, s, `mutation($s: ID!) { deleteStore(id: $s) { id } }`, map[string]any{"s": st}, nil)

	got := nextChange(t, ws, "1")
	for got.Kind != "DELETED" || got.ItemID != nil || got.TagID != nil {
		got = nextChange(t, ws, "1") // a cascaded row's change may come first
	}
	if got.StoreID != st || got.Item != nil || got.Tag != nil {
		t.Errorf("WebSocket: DELETED = %+v; want the store's, without item or tag", got)
	}
	if m := next(t, ws); m.Type != "complete" || m.ID != "1" {
		t.Errorf("WebSocket: after DELETED got %s %s; want complete of 1", m.Type, m.Payload)
	}
	for got := nextEvent(t, sse); got.Kind != "DELETED" || got.ItemID != nil; got = nextEvent(t, sse) {
	}
	if ev, err := sse.Next(context.Background()); err != nil || ev.Name != "complete" {
		t.Errorf("SSE: after DELETED got %q, %v; want complete", ev.Name, err)
	}
	waitSubscribed(t, s, 0)
}

// A browser page may open a socket from the server's own origin or an allowed one; a page
// of any other origin is refused before connection_ack. A client that sends no Origin (not a
// browser) is accepted.
func TestSocketOrigins(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"CORS_ALLOWED_ORIGINS": "http://app.example/, http://*.sub.example"})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{s.URL, true}, // same origin: the playground
		{"http://app.example", true},
		{"http://evil.example", false},
		{"http://APP.example", true}, // host names are not case-sensitive
		{"http://shop.sub.example", true},
		{"http://sub.example", false},
		{"https://app.example", false}, // another scheme is another origin
		{"null", false},
	} {
		c, res, err := s.DialSocket(t.Context(), apitest.DialOptions{Origin: tc.origin})
		switch {
		case tc.ok && err != nil:
			t.Errorf("Origin %q: %v; want the socket", tc.origin, err)
		case !tc.ok && err == nil:
			c.Close()
			t.Errorf("Origin %q: socket opened; want it refused", tc.origin)
		case !tc.ok && (res == nil || res.StatusCode != http.StatusForbidden):
			t.Errorf("Origin %q: %v, response %v; want 403", tc.origin, err, res)
		case tc.ok:
			c.Close()
		}
	}
}

// errorsOf reads the errors a subscription was refused with: a next message carrying them
// (then complete), or an error message.
func errorsOf(t testing.TB, c *apitest.Socket, id string) []apitest.Error {
	t.Helper()
	m := next(t, c)
	if m.ID != id {
		t.Fatalf("got %s for %q; want an answer to %s", m.Type, m.ID, id)
	}
	var errs []apitest.Error
	switch m.Type {
	case "next":
		var p struct{ Errors []apitest.Error }
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		errs = p.Errors
		if m := next(t, c); m.Type != "complete" || m.ID != id {
			t.Errorf("after the errors got %s %s; want complete", m.Type, m.ID)
		}
	case "error":
		if err := json.Unmarshal(m.Payload, &errs); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("got %s %s; want errors", m.Type, m.Payload)
	}
	return errs
}

func wantCode(t testing.TB, errs []apitest.Error, code string) {
	t.Helper()
	if len(errs) == 0 {
		t.Fatalf("no error; want %s", code)
	}
	for _, e := range errs {
		if e.Code() != code {
			t.Errorf("error %q has code %q; want %s", e.Message, e.Code(), code)
		}
	}
}

func TestSubscriptionRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Refusing Store")
	c := dial(t, s)
	for i, tc := range []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"unknown store", storeChanged, map[string]any{"s": "999999"}, "NOT_FOUND"},
		{"malformed id", storeChanged, map[string]any{"s": "x1"}, "BAD_USER_INPUT"},
		{"mutation over the socket", `mutation($s: ID!) { updateStore(id: $s, input: {name: "Over a socket"}) { id } }`, map[string]any{"s": st}, "BAD_REQUEST"},
	} {
		id := strconv.Itoa(i)
		if err := c.Subscribe(t.Context(), id, tc.query, tc.vars); err != nil {
			t.Fatal(err)
		}
		t.Run(tc.name, func(t *testing.T) { wantCode(t, errorsOf(t, c, id), tc.code) })
	}
	// Queries run over the socket.
	if err := c.Subscribe(t.Context(), "q", `query($s: ID!) { store(id: $s) { name } }`, map[string]any{"s": st}); err != nil {
		t.Fatal(err)
	}
	if m := next(t, c); m.Type != "next" || !strings.Contains(string(m.Payload), "Refusing Store") {
		t.Errorf("query over the socket: %s %s; want the store", m.Type, m.Payload)
	}
	// A subscription over plain POST could deliver one change at most.
	r := s.Post(t, storeChanged, map[string]any{"s": st})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "BAD_REQUEST" {
		t.Errorf("subscription over POST: %v; want BAD_REQUEST", codes)
	}
	if n := s.App.Live.Open(); n != 0 {
		t.Errorf("%d subscriptions open after refusals; want 0", n)
	}
}

func TestSubscriptionLimits(t *testing.T) {
	t.Parallel()
	t.Run("per connection", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, map[string]string{"SUBSCRIPTIONS_PER_CONNECTION": "1"})
		st := createStore(t, s, "Store")
		c := subscribeSocket(t, s, st)
		if err := c.Subscribe(t.Context(), "2", storeChanged, map[string]any{"s": st}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, errorsOf(t, c, "2"), "TOO_MANY_REQUESTS")
		// Another connection has slots of its own, and so has this one once "1" stops.
		subscribeSocket(t, s, st)
		if err := c.Send(t.Context(), apitest.Message{ID: "1", Type: "complete"}); err != nil {
			t.Fatal(err)
		}
		waitSubscribed(t, s, 1)
		if err := c.Subscribe(t.Context(), "3", storeChanged, map[string]any{"s": st}); err != nil {
			t.Fatal(err)
		}
		waitSubscribed(t, s, 2)
	})
	t.Run("per process", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, map[string]string{"SUBSCRIPTIONS_PER_PROCESS": "1"})
		st := createStore(t, s, "Store")
		subscribeSocket(t, s, st)
		es, err := s.Stream(t.Context(), storeChanged, map[string]any{"s": st}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer es.Close()
		ev, err := es.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Errors []apitest.Error }
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			t.Fatal(err)
		}
		wantCode(t, p.Errors, "TOO_MANY_REQUESTS")
	})
	t.Run("message size", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, map[string]string{"WS_MAX_MESSAGE_BYTES": "1024"})
		c := dial(t, s)
		big := `subscription { storeChanged(storeId: "1") { kind } }` + strings.Repeat(" ", 2000)
		if err := c.Subscribe(t.Context(), "1", big, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Next(context.Background()); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
			t.Errorf("after a 2 KB message: %v; want the socket closed with 1009", err)
		}
	})
	t.Run("init timeout", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, map[string]string{"WS_INIT_TIMEOUT": "100ms"})
		conn, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		ctx, cancel := context.WithTimeout(t.Context(), apitest.Wait)
		defer cancel()
		_, _, err = conn.Read(ctx) // no connection_init is sent
		if websocket.CloseStatus(err) == -1 {
			t.Errorf("without connection_init: %v; want the server to close the socket", err)
		}
	})
	t.Run("queue", TestSlowSubscriberGetsResync)
}

// serve runs s's app on a real listener with the server's timeouts, as main does, until
// the returned stop is called; stop returns what Serve returned.
func serve(t testing.TB, s *apitest.Server) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc, served := make(chan string, 1), make(chan error, 1)
	go func() {
		served <- s.App.Serve(ctx, "127.0.0.1:0", time.Minute, slog.New(slog.DiscardHandler), func(addr string) { addrc <- addr })
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-served })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + <-addrc, stop
}

// A subscription outlives the request deadline and the HTTP server's read and write
// timeouts, which bound every other request.
func TestSubscriptionOutlivesRequestTimeouts(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"REQUEST_TIMEOUT": "500ms", "HTTP_WRITE_TIMEOUT": "1s", "HTTP_READ_TIMEOUT": "1s"})
	st := createStore(t, s, "Patient Store")
	base, _ := serve(t, s)
	ws, _, err := apitest.DialSocket(t.Context(), base, apitest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.Subscribe(t.Context(), "1", storeChanged, map[string]any{"s": st}); err != nil {
		t.Fatal(err)
	}
	sse, err := apitest.Stream(t.Context(), base, storeChanged, map[string]any{"s": st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.Close()
	waitSubscribed(t, s, 2)

	time.Sleep(2 * time.Second) // well past every timeout above
	renameStore(t, s, st, "Patient Store, later")
	if got := nextChange(t, ws, "1"); got.Kind != "UPDATED" {
		t.Errorf("WebSocket: %v; want UPDATED", got)
	}
	if got := nextEvent(t, sse); got.Kind != "UPDATED" {
		t.Errorf("SSE: %v; want UPDATED", got)
	}
}

// On SIGTERM (the serving context ends), after the drain delay every subscription
// completes and every socket closes with 1001; Serve returns cleanly.
func TestShutdownEndsSubscriptions(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"SHUTDOWN_DRAIN_DELAY": "50ms"})
	st := createStore(t, s, "Closing Store")
	base, stop := serve(t, s)
	ws, _, err := apitest.DialSocket(t.Context(), base, apitest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, id := range []string{"a", "b"} {
		if err := ws.Subscribe(t.Context(), id, storeChanged, map[string]any{"s": st}); err != nil {
			t.Fatal(err)
		}
	}
	sse, err := apitest.Stream(t.Context(), base, storeChanged, map[string]any{"s": st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.Close()
	waitSubscribed(t, s, 3)

	done := make(chan error, 1)
	go func() { done <- stop() }()

	completed := map[string]bool{}
	for {
		m, err := ws.Next(context.Background())
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusGoingAway {
				t.Errorf("socket ended with %v; want close 1001", err)
			}
			break
		}
		if m.Type != "complete" {
			t.Errorf("got %s %s; want complete", m.Type, m.Payload)
		}
		completed[m.ID] = true
	}
	if !completed["a"] || !completed["b"] {
		t.Errorf("completed %v before the close; want a and b", completed)
	}
	if ev, err := sse.Next(context.Background()); err != nil || ev.Name != "complete" {
		t.Errorf("event stream: %q, %v; want complete", ev.Name, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v; want a clean shutdown", err)
	}
}

// Subscribers leave nothing behind: the hub, the metrics and the database connections are
// back where they were, the listener is one connection however many subscribe, and closing
// the app closes it.
func TestNoLeftoverSubscriptionsOrConnections(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Visited Store")
	var db string
	if err := s.DB().NewRaw("SELECT current_database()").Scan(t.Context(), &db); err != nil {
		t.Fatal(err)
	}
	backends := func(filter string) int {
		var n int
		// Asked of another database: this one's connections are what is counted.
		admin, err := sql.Open("pgx", dbtest.AdminURL())
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		q := "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'" + filter
		if err := admin.QueryRowContext(t.Context(), q, db).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var clients []func()
	for range 3 {
		c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"1", "2"} {
			if err := c.Subscribe(t.Context(), id, storeChanged, map[string]any{"s": st}); err != nil {
				t.Fatal(err)
			}
		}
		clients = append(clients, c.Close)
		es, err := s.Stream(t.Context(), storeChanged, map[string]any{"s": st}, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, es.Close)
	}
	waitSubscribed(t, s, 9)
	if n := backends(" AND query LIKE 'LISTEN%'"); n != 1 {
		t.Errorf("%d listening connections for 9 subscriptions; want 1", n)
	}
	if n := metric(t, s, "subscriptions_active"); n != 9 {
		t.Errorf("subscriptions_active = %v; want 9", n)
	}
	for _, c := range clients {
		c()
	}
	waitSubscribed(t, s, 0)
	waitFor(t, "subscriptions_active 0", func() bool { return metric(t, s, "subscriptions_active") == 0 })
	if err := s.App.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no connection to the database", func() bool { return backends("") == 0 })
}

// A delivery reads its item with the nested fields selected in a fixed number of
// statements, whatever the number of rows below it: the item with its tags, then tagCount.
func TestDeliveryStatementsDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Counted Store")
	few, many := createItem(t, s, st, "Few tags"), createItem(t, s, st, "Many tags")
	var tags []string
	for i := range 50 {
		tags = append(tags, createTag(t, s, st, fmt.Sprintf("tag %d", i)))
	}
	setTags := `mutation($i: ID!, $t: [ID!]!) { setItemTags(itemId: $i, tagIds: $t) { message } }`
	mustPost(t, s, setTags, map[string]any{"i": few, "t": tags[:1]}, nil)
	mustPost(t, s, setTags, map[string]any{"i": many, "t": tags}, nil)
	rename := func(item, name string) int64 {
		before := s.Statements()
		mustPost(t, s, `mutation($i: ID!, $n: String!) { updateItem(id: $i, input: {name: $n}) { id } }`, map[string]any{"i": item, "n": name}, nil)
		return s.Statements() - before
	}
	mutation := rename(few, "Few tags, unwatched") // no subscriber: the mutation alone

	c := subscribeSocket(t, s, st)
	// A first change, so that the subscription's own lookup of the store is over.
	renameStore(t, s, st, "Counted Store, watched")
	nextChange(t, c, "1")
	for _, tc := range []struct {
		item string
		tags int
	}{{few, 1}, {many, 50}} {
		before := s.Statements()
		rename(tc.item, fmt.Sprintf("Renamed %d", tc.tags))
		got := nextChange(t, c, "1")
		if got.Item == nil || got.Item.TagCount != tc.tags || len(got.Item.Tags) != tc.tags {
			t.Fatalf("delivered item %+v; want %d tags", got.Item, tc.tags)
		}
		// The response is written once its statements have run.
		if delivery := s.Statements() - before - mutation; delivery != 2 {
			t.Errorf("delivery of an item with %d tags cost %d statements; want 2", tc.tags, delivery)
		}
	}
}

// Subscribers that select the same thing share each change's read; another selection is
// read on its own, and each gets what it asked for.
func TestSameSelectionsShareOneRead(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	st := createStore(t, s, "Shared Store")
	item := createItem(t, s, st, "Pear")
	link(t, s, item, createTag(t, s, st, "ripe"))
	rename := func(name string) int64 {
		before := s.Statements()
		mustPost(t, s, `mutation($i: ID!, $n: String!) { updateItem(id: $i, input: {name: $n}) { id } }`, map[string]any{"i": item, "n": name}, nil)
		return s.Statements() - before
	}
	mutation := rename("Pear, unwatched") // no subscriber: the mutation alone

	const same = 5
	priced := `subscription($s: ID!) { storeChanged(storeId: $s) { kind item { price } } }`
	var alike []*apitest.Socket
	for range same {
		alike = append(alike, dial(t, s))
	}
	other := dial(t, s)
	before := s.App.Live.Open()
	for _, c := range alike {
		if err := c.Subscribe(t.Context(), "1", storeChanged, map[string]any{"s": st}); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Subscribe(t.Context(), "p", priced, map[string]any{"s": st}); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, s, before+same+1)
	// A first change, so that the subscriptions' own lookups of the store are over.
	renameStore(t, s, st, "Shared Store, watched")
	for _, c := range alike {
		nextChange(t, c, "1")
	}
	next(t, other)

	for round := range 2 {
		name := fmt.Sprintf("Pear %d", round)
		before := s.Statements()
		rename(name)
		for i, c := range alike {
			got := nextChange(t, c, "1")
			if got.Kind != "UPDATED" || got.Item == nil || got.Item.Name != name || got.Item.TagCount != 1 ||
				len(got.Item.Tags) != 1 || got.Item.Tags[0].Name != "ripe" {
				t.Fatalf("subscriber %d got %v, item %+v; want UPDATED %s with its tag ripe", i, got, got.Item, name)
			}
		}
		m := next(t, other)
		var p struct {
			Data struct {
				StoreChanged struct {
					Kind string
					Item map[string]any
				}
			}
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || m.ID != "p" {
			t.Fatalf("other selection got %s %s: %v", m.ID, m.Payload, err)
		}
		if got := p.Data.StoreChanged; got.Kind != "UPDATED" || len(got.Item) != 1 || got.Item["price"] != 1.0 {
			t.Fatalf("other selection got %s; want UPDATED with the item's price alone", m.Payload)
		}
		// Each response is written once its statements have run: 2 for the shared
		// selection, 1 for the other, whatever the number of subscribers.
		if delivery := s.Statements() - before - mutation; delivery != 3 {
			t.Errorf("delivering to %d alike subscribers and one other cost %d statements; want 3", same, delivery)
		}
	}
}

// A token sent in connection_init signs the socket in, for the queries sent over it; a
// bad one counts as none. Reading needs no token.
func TestSocketTokenInConnectionInit(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for _, tc := range []struct {
		name, authorization, want string
	}{
		{"signed in", "Bearer " + s.Token, `"email":"` + apitest.OwnerEmail + `"`},
		{"bad token", "Bearer not-a-token", `"me":null`},
		{"no token", "", `"me":null`},
	} {
		var init map[string]any
		if tc.authorization != "" {
			init = map[string]any{"Authorization": tc.authorization}
		}
		c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{InitPayload: init})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := c.Subscribe(t.Context(), "me", `{ me { email } }`, nil); err != nil {
			t.Fatal(err)
		}
		if m := next(t, c); m.Type != "next" || !strings.Contains(string(m.Payload), tc.want) {
			t.Errorf("%s: me over the socket = %s %s; want %s", tc.name, m.Type, m.Payload, tc.want)
		}
		c.Close()
	}
}

// Past WS_MAX_CONNECTIONS an upgrade is refused with 429 until a socket closes.
func TestSocketLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"WS_MAX_CONNECTIONS": "1"})
	first := dial(t, s)
	if c, res, err := s.DialSocket(t.Context(), apitest.DialOptions{}); err == nil {
		c.Close()
		t.Fatal("a second socket opened; want it refused")
	} else if res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second socket: %v, %v; want 429", err, res)
	}
	first.Close()
	waitFor(t, "the first socket to close", func() bool {
		c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// A socket whose connection_init the transport refuses without closing it (a payload that
// is no object) still gives its slot back: WS_MAX_CONNECTIONS such sockets do not shut
// the server's WebSockets for good.
func TestSocketLimitAfterBadInit(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"WS_MAX_CONNECTIONS": "1"})
	c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	if err := c.Write(t.Context(), websocket.MessageText, []byte(`{"type":"connection_init","payload":"x"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused socket's slot", func() bool {
		d, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
		if err == nil {
			d.Close()
		}
		return err == nil
	})
}

// Every socket is pinged each WS_PING_INTERVAL: a client that answers stays connected and
// keeps receiving changes; one that stops answering is dropped.
func TestSocketKeepAlive(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"WS_PING_INTERVAL": "100ms"})
	st := createStore(t, s, "Lively Store")
	answering := subscribeSocket(t, s, st)
	type answer struct {
		m   apitest.Message
		err error
	}
	got := make(chan answer, 16)
	go func() { // Next answers every ping
		for {
			m, err := answering.Next(context.Background())
			got <- answer{m, err}
			if err != nil {
				return
			}
		}
	}()

	silent := dial(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), apitest.Wait)
	defer cancel()
	pings := 0
	for {
		_, b, err := silent.Conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("the silent socket is still open after %d pings", pings)
			}
			if pings == 0 {
				t.Fatalf("the silent socket closed before any ping: %v", err)
			}
			break
		}
		var m apitest.Message
		if err := json.Unmarshal(b, &m); err != nil || m.Type != "ping" {
			t.Fatalf("silent socket got %s; want only pings", b)
		}
		pings++
	}

	renameStore(t, s, st, "Lively Store, still")
	n := <-got
	if n.err != nil {
		t.Fatalf("the answering socket: %v", n.err)
	}
	var p struct{ Data struct{ StoreChanged change } }
	if err := json.Unmarshal(n.m.Payload, &p); err != nil || n.m.Type != "next" || p.Data.StoreChanged.Kind != "UPDATED" {
		t.Fatalf("the answering socket got %+v; want the store's UPDATED", n.m)
	}
	answering.Close()
	for n := range got {
		if n.err != nil {
			break
		}
	}
}

// Each query sent over a socket is a request of its own: it reads the rows as they are when
// it runs, not as an earlier query over the same socket read them, and has a row budget of
// its own, so a long-lived socket does not run out of it.
func TestQueriesOverASocketAreRequestsOfTheirOwn(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"QUERY_MAX_ROWS": "3"})
	store := createStore(t, s, "First Name")
	c := dial(t, s)
	query := func(id string) string {
		t.Helper()
		if err := c.Subscribe(t.Context(), id, `query($s: ID!) { store(id: $s) { name } }`, map[string]any{"s": store}); err != nil {
			t.Fatal(err)
		}
		m, err := c.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Data   struct{ Store struct{ Name string } }
			Errors []apitest.Error
		}
		if m.Type != "next" || json.Unmarshal(m.Payload, &r) != nil || len(r.Errors) > 0 {
			t.Fatalf("query %s over the socket: %s %s; want its data", id, m.Type, m.Payload)
		}
		if m, err := c.Next(t.Context()); err != nil || m.Type != "complete" {
			t.Fatalf("query %s over the socket: then %+v, %v; want complete", id, m, err)
		}
		return r.Data.Store.Name
	}
	if got := query("1"); got != "First Name" {
		t.Fatalf("first query: store named %q; want %q", got, "First Name")
	}
	renameStore(t, s, store, "Second Name")
	if got := query("2"); got != "Second Name" {
		t.Errorf("query after a rename: store named %q; want %q", got, "Second Name")
	}
	for i := 3; i <= 6; i++ { // past the budget of 3 rows, were it shared
		query(strconv.Itoa(i))
	}
}

// A query over a socket takes one of the HTTP_MAX_IN_FLIGHT slots as a POST does, so that
// a client cannot run more at once by sending them over its socket: past the limit a query
// is answered SERVICE_UNAVAILABLE, and the others run.
func TestQueriesOverASocketTakeInFlightSlots(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"HTTP_MAX_IN_FLIGHT": "1", "HTTP_IN_FLIGHT_WAIT": "0s"})
	store := createStore(t, s, "Busy Store")
	for i := range 20 {
		createItem(t, s, store, "item "+strconv.Itoa(i))
	}
	c := dial(t, s)
	const queries = 40
	for i := range queries { // sent at once: each runs on its own as it arrives
		if err := c.Subscribe(t.Context(), strconv.Itoa(i), `query($s: ID!) { store(id: $s) { items { name } } }`,
			map[string]any{"s": store}); err != nil {
			t.Fatal(err)
		}
	}
	answered, busy := 0, 0
	for done := 0; done < queries; {
		m := next(t, c)
		switch m.Type {
		case "complete":
			done++
			continue
		case "error":
			done++ // an operation refused before it runs ends with its error
		}
		var r struct {
			Data *struct {
				Store struct{ Items []struct{ Name string } }
			}
			Errors []apitest.Error
		}
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			var errs []apitest.Error // an error message's payload is the list itself
			if json.Unmarshal(m.Payload, &errs) != nil {
				t.Fatalf("%s %s: not a response", m.Type, m.Payload)
			}
			r.Errors = errs
		}
		switch {
		case len(r.Errors) == 1 && r.Errors[0].Code() == "SERVICE_UNAVAILABLE":
			busy++
		case len(r.Errors) == 0 && r.Data != nil && len(r.Data.Store.Items) == 20:
			answered++
		default:
			t.Fatalf("query %s: %s %s; want its 20 items or SERVICE_UNAVAILABLE", m.ID, m.Type, m.Payload)
		}
	}
	if busy == 0 || answered == 0 {
		t.Errorf("%d queries sent at once over one socket with one slot: %d answered, %d refused as busy; want both",
			queries, answered, busy)
	}
}
