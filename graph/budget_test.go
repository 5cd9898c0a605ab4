package graph_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// loadDenseStore makes store 1 with items items and 50 tags, every item linked with 5 of
// them, so that every tag labels items/10 items: a query through tags and back repeats each
// item's row 5 * items/10 times in its answer.
func loadDenseStore(t *testing.T, s *apitest.Server, items int) {
	t.Helper()
	exec(t, s, `INSERT INTO stores (id, name) OVERRIDING SYSTEM VALUE VALUES (1, 'dense')`)
	exec(t, s, `INSERT INTO items (id, store_id, name, price) OVERRIDING SYSTEM VALUE
		SELECT k, 1, 'item-' || lpad(k::text, 5, '0'), 1 FROM generate_series(1, ?) AS k`, items)
	exec(t, s, `INSERT INTO tags (id, store_id, name) OVERRIDING SYSTEM VALUE
		SELECT t, 1, 'tag-' || t FROM generate_series(1, 50) AS t`)
	exec(t, s, `INSERT INTO items_tags (item_id, tag_id, store_id)
		SELECT k, ((k - 1 + 10 * j) % 50) + 1, 1 FROM generate_series(1, ?) AS k, generate_series(0, 4) AS j`, items)
	exec(t, s, `ANALYZE stores, items, tags, items_tags`)
}

// nestedLists is the query whose estimate assumes 50 rows per list: 2,000 items answer it
// with 2,000 * 5 * 200 = 2,000,000 items, about 40 MB.
const nestedLists = `{ store(id: "1") { items { tags { items { name } } } } }`

func TestResponseBudgetRefusesRepeatedRows(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	loadDenseStore(t, s, 2000)

	before := s.Statements()
	r := s.Post(t, nestedLists, nil)
	wantCode(t, r, "COMPLEXITY_LIMIT_EXCEEDED")
	if len(r.Errors) != 1 {
		t.Errorf("got %d errors; want 1: %+v", len(r.Errors), r.Errors)
	} else if msg := r.Errors[0].Message; !strings.Contains(msg, "limit of 4194304") {
		t.Errorf("message = %q; want it to state the limit of 4194304 bytes", msg)
	}
	wantNullField(t, r, "store")
	// One statement per level: the store, its items, their tags, the tags' items. Nothing
	// was read again for the refused field.
	if n := s.Statements() - before; n > 4 {
		t.Errorf("the refused query sent %d statements; want at most 4", n)
	}

	// The same rows, each written once, fit.
	var out struct{ Store storeJSON }
	s.MustPost(t, `{ store(id: "1") { items { name tags { name } } } }`, nil, &out)
	if len(out.Store.Items) != 2000 || len(out.Store.Items[0].Tags) != 5 {
		t.Errorf("got %d items, the first with %d tags; want 2000 with 5", len(out.Store.Items), len(out.Store.Items[0].Tags))
	}
}

func TestResponseBudgetIsExact(t *testing.T) {
	t.Parallel()
	// Every kind of field, a name that needs escaping, and rows repeated through the links.
	query := `{ store(id: "1") { items(first: 30) { __typename id name price tagCount
		store { id name itemCount } tags { id name itemCount items(first: 3) { name } } } } }`
	s := limitServer(t, nil)
	loadDenseStore(t, s, 100)
	exec(t, s, `UPDATE items SET name = 'a "quoted" \ name, é' || E'\t' || id WHERE id % 7 = 0`)
	r := s.Post(t, query, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v", r.Errors)
	}
	var out struct {
		Store struct{ Items json.RawMessage }
	}
	r.Decode(t, &out)
	size := len(out.Store.Items)

	at := limitServer(t, map[string]string{"QUERY_MAX_RESPONSE_BYTES": strconv.Itoa(size)})
	loadDenseStore(t, at, 100)
	exec(t, at, `UPDATE items SET name = 'a "quoted" \ name, é' || E'\t' || id WHERE id % 7 = 0`)
	if r := at.Post(t, query, nil); len(r.Errors) > 0 {
		t.Errorf("with a budget of exactly its %d bytes, the query failed: %+v", size, r.Errors)
	}

	below := limitServer(t, map[string]string{"QUERY_MAX_RESPONSE_BYTES": strconv.Itoa(size - 1)})
	loadDenseStore(t, below, 100)
	exec(t, below, `UPDATE items SET name = 'a "quoted" \ name, é' || E'\t' || id WHERE id % 7 = 0`)
	r = below.Post(t, query, nil)
	wantCode(t, r, "COMPLEXITY_LIMIT_EXCEEDED")
	wantNullField(t, r, "store")
}

func TestRowBudgetStopsReading(t *testing.T) {
	t.Parallel()
	s := limitServer(t, map[string]string{"QUERY_MAX_ROWS": "1000"})
	loadDenseStore(t, s, 2000)

	before := s.Statements()
	r := s.Post(t, `{ store(id: "1") { name items { name tags { name } } } }`, nil)
	wantCode(t, r, "COMPLEXITY_LIMIT_EXCEEDED")
	if len(r.Errors) > 0 && !strings.Contains(r.Errors[0].Message, "more than 1000 rows") {
		t.Errorf("message = %q; want it to state the limit of 1000 rows", r.Errors[0].Message)
	}
	wantNullField(t, r, "store")
	// The store, then its items, stopped at the limit; nothing after them.
	if n := s.Statements() - before; n > 2 {
		t.Errorf("the refused query sent %d statements; want at most 2", n)
	}

	// Within the limit, the same store answers.
	s.MustPost(t, `{ store(id: "1") { name items(first: 100) { name tags { name } } } }`, nil, nil)
}

func TestBudgetsPassBenchmarkQ1AtScale(t *testing.T) {
	t.Parallel()
	s := limitServer(t, nil)
	s.LoadDataset(t, 20)
	var q1 struct {
		Stores struct {
			Nodes []struct {
				Items []struct{ Tags []struct{ Name string } }
			}
		}
	}
	// Twice the benchmark's Q1: 20 stores, 4,000 items, 20,000 tags.
	s.MustPost(t, benchQ1, map[string]any{"first": 20}, &q1)
	items, tags := 0, 0
	for _, st := range q1.Stores.Nodes {
		items += len(st.Items)
		for _, it := range st.Items {
			tags += len(it.Tags)
		}
	}
	if items != 4000 || tags != 20000 {
		t.Errorf("Q1 returned %d items and %d tags; want 4000 and 20000", items, tags)
	}
}
