package graph_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

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

// subscribeSocket opens a socket to s and subscribes to store's changes as operation "1".
func subscribeSocket(t testing.TB, s *apitest.Server, store string) *apitest.Socket {
	t.Helper()
	c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	if err := c.Subscribe(t.Context(), "1", storeChanged, map[string]any{"s": store}); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, s, 1)
	return c
}

// waitSubscribed waits until s holds n subscriptions, so that what the test does next
// happens after them.
func waitSubscribed(t testing.TB, s *apitest.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), apitest.Wait)
	defer cancel()
	for s.App.Live.Open() != n {
		select {
		case <-ctx.Done():
			t.Fatalf("the server holds %d subscriptions; want %d", s.App.Live.Open(), n)
		case <-tick():
		}
	}
}

// nextChange reads the next message of c, which must be a change of operation id.
func nextChange(t testing.TB, c *apitest.Socket, id string) change {
	t.Helper()
	m, err := c.Next(t.Context())
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if m.Type != "next" || m.ID != id {
		t.Fatalf("got %s %s %s; want next of %s", m.Type, m.ID, m.Payload, id)
	}
	var p struct {
		Data   struct{ StoreChanged change }
		Errors []apitest.Error
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) > 0 {
		t.Fatalf("change with errors: %s", m.Payload)
	}
	return p.Data.StoreChanged
}

func TestSubscriptionDeliversCommittedChangesWithNestedFields(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := createStore(t, s, "Live Store")
	tag := createTag(t, s, st, "fresh")
	c := subscribeSocket(t, s, st)

	item := createItem(t, s, st, "Apple", 1.5)
	link(t, s, item, tag)

	got := nextChange(t, c, "1")
	if got.Kind != "CREATED" || got.StoreID != st || got.ItemID == nil || *got.ItemID != item || got.TagID != nil {
		t.Fatalf("first change = %+v; want CREATED of item %s", got, item)
	}
	got = nextChange(t, c, "1")
	if got.Kind != "LINKED" || *got.ItemID != item || *got.TagID != tag {
		t.Fatalf("second change = %+v; want LINKED %s %s", got, item, tag)
	}
	// Read when delivered: the item already carries the tag.
	if got.Item == nil || got.Item.Name != "Apple" || got.Item.TagCount != 1 || len(got.Item.Tags) != 1 || got.Item.Tags[0].Name != "fresh" {
		t.Errorf("LINKED item = %+v; want Apple with its one tag fresh", got.Item)
	}
	if got.Tag == nil || got.Tag.Name != "fresh" || got.Tag.ItemCount != 1 {
		t.Errorf("LINKED tag = %+v; want fresh with 1 item", got.Tag)
	}
}

// tick paces the loops that wait for the server to reach a state.
func tick() <-chan time.Time { return time.After(5 * time.Millisecond) }
