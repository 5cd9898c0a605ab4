package soak_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// Clients is how many clients run at once.
const clients = 16

// duration is how long the clients run: SOAK_DURATION, else 10s, short enough for CI.
func duration(t *testing.T) time.Duration {
	t.Helper()
	if testing.Short() {
		t.Skip("soak test: skipped under -short")
	}
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a duration such as 10m", v)
		}
		return d
	}
	return 10 * time.Second
}

// seed is the run's random seed: SOAK_SEED, else a new one, logged so a failure can be replayed.
func seed(t *testing.T) uint64 {
	t.Helper()
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want a whole number", v)
		}
		s = n
	}
	t.Logf("SOAK_SEED=%d", s)
	return s
}

// newTransport is an HTTP transport for the soak's clients alone.
func newTransport() *http.Transport {
	return &http.Transport{MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute}
}

// world is what the clients know of the data: the ids they made, shared by all of them.
// Stores made at the start stay; keeper items are never deleted and their links never
// removed, so a link to one, once made, proves its tag is in use for good.
type world struct {
	mu        sync.Mutex
	stores    []string            // made at the start, never deleted
	extra     []string            // stores made during the run, which may be deleted
	items     map[string][]string // store -> items made in it (some since deleted)
	tags      map[string][]string // store -> tags made in it (some since deleted)
	keepers   map[string]bool     // keeper items
	pinned    map[string]string   // tag -> a keeper item it was linked with (success seen)
	deleted   map[string]bool     // tags whose deleteTag succeeded
	conflicts map[string]int      // tag -> deleteTag refusals with CONFLICT
}

func newWorld() *world {
	return &world{
		items: map[string][]string{}, tags: map[string][]string{}, keepers: map[string]bool{},
		pinned: map[string]string{}, deleted: map[string]bool{}, conflicts: map[string]int{},
	}
}

func (w *world) add(m map[string][]string, store, id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The most recent ids are the interesting ones; older ones are mostly gone.
	if l := m[store]; len(l) >= 200 {
		m[store] = l[len(l)-150:]
	}
	m[store] = append(m[store], id)
}

// missingID names no row: what a client asks for when it knows of none.
const missingID = "999999999"

// pick returns a random element, or missingID when there is none.
func pick(r *rand.Rand, l []string) string {
	if len(l) == 0 {
		return missingID
	}
	return l[r.IntN(len(l))]
}

func (w *world) store(r *rand.Rand) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.extra) > 0 && r.IntN(5) == 0 {
		return pick(r, w.extra)
	}
	return pick(r, w.stores)
}

func (w *world) item(r *rand.Rand, store string, keepersToo bool) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range 4 {
		id := pick(r, w.items[store])
		if keepersToo || !w.keepers[id] {
			return id
		}
	}
	return missingID
}

func (w *world) tag(r *rand.Rand, store string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return pick(r, w.tags[store])
}

// tally counts outcomes and keeps the calls that broke the contract.
type tally struct {
	mu    sync.Mutex
	ops   map[string]int
	codes map[string]int
	bad   []string
}

func (t *tally) record(op, code string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ops[op]++
	if code != "" {
		t.codes[op+" "+code]++
	}
}

func (t *tally) fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.bad) < 30 {
		t.bad = append(t.bad, fmt.Sprintf(format, args...))
	}
}

// A soak operation: its document, the codes a refusal may carry (what a racing client can
// meet), and what to do with its data on success.
type operation struct {
	name    string
	weight  int
	refusal []string
	run     func(r *rand.Rand, w *world) (query string, vars map[string]any, done func(data json.RawMessage))
}

var nameWords = []string{"alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta"}

func itemName(r *rand.Rand) string {
	return fmt.Sprintf("%s %d", nameWords[r.IntN(len(nameWords))], r.IntN(40))
}

func tagName(r *rand.Rand) string { return fmt.Sprintf("tag-%d", r.IntN(60)) }

func price(r *rand.Rand) float64 { return float64(r.IntN(1_000_000)) / 100 }

// otherStore returns a store other than s now and then, for links across stores.
func otherStore(r *rand.Rand, w *world, s string) string {
	if r.IntN(8) == 0 {
		return w.store(r)
	}
	return s
}

var operations = []operation{
	{"createItem", 8, []string{"CONFLICT", "NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		s := w.store(r)
		return `mutation($s: ID!, $n: String!, $p: Float!) { op: createItem(input: {storeId: $s, name: $n, price: $p}) { id } }`,
			map[string]any{"s": s, "n": itemName(r), "p": price(r)},
			func(data json.RawMessage) { w.add(w.items, s, decodeID(data)) }
	}},
	{"updateItem", 4, []string{"CONFLICT", "NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		in := map[string]any{"price": price(r)}
		if r.IntN(2) == 0 {
			in["name"] = itemName(r)
		}
		return `mutation($i: ID!, $in: UpdateItemInput!) { op: updateItem(id: $i, input: $in) { id name price } }`,
			map[string]any{"i": w.item(r, w.store(r), true), "in": in}, nil
	}},
	{"deleteItem", 4, []string{"NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `mutation($i: ID!) { op: deleteItem(id: $i) { id message } }`,
			map[string]any{"i": w.item(r, w.store(r), false)}, nil
	}},
	{"createTag", 6, []string{"CONFLICT", "NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		s := w.store(r)
		return `mutation($s: ID!, $n: String!) { op: createTag(input: {storeId: $s, name: $n}) { id } }`,
			map[string]any{"s": s, "n": tagName(r)},
			func(data json.RawMessage) { w.add(w.tags, s, decodeID(data)) }
	}},
	{"updateTag", 2, []string{"CONFLICT", "NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `mutation($t: ID!, $n: String!) { op: updateTag(id: $t, input: {name: $n}) { id name } }`,
			map[string]any{"t": w.tag(r, w.store(r)), "n": tagName(r)}, nil
	}},
	{"deleteTag", 6, []string{"CONFLICT", "NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		t := w.tag(r, w.store(r))
		return `mutation($t: ID!) { op: deleteTag(id: $t) { id message } }`, map[string]any{"t": t},
			func(json.RawMessage) { w.mu.Lock(); w.deleted[t] = true; w.mu.Unlock() }
	}},
	{"linkTag", 14, []string{"NOT_FOUND", "BAD_USER_INPUT"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		s := w.store(r)
		i, t := w.item(r, s, true), w.tag(r, otherStore(r, w, s))
		return `mutation($i: ID!, $t: ID!) { op: linkTag(itemId: $i, tagId: $t) { message item { id tagCount } tag { id itemCount } } }`,
			map[string]any{"i": i, "t": t},
			func(json.RawMessage) {
				w.mu.Lock()
				defer w.mu.Unlock()
				if w.keepers[i] {
					w.pinned[t] = i
				}
			}
	}},
	{"unlinkTag", 6, []string{"NOT_FOUND", "BAD_USER_INPUT"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		s := w.store(r)
		return `mutation($i: ID!, $t: ID!) { op: unlinkTag(itemId: $i, tagId: $t) { message } }`,
			map[string]any{"i": w.item(r, s, false), "t": w.tag(r, otherStore(r, w, s))}, nil
	}},
	{"createStore", 1, []string{"CONFLICT"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `mutation($n: String!) { op: createStore(input: {name: $n}) { id } }`,
			map[string]any{"n": fmt.Sprintf("extra %d", r.IntN(20))},
			func(data json.RawMessage) { w.mu.Lock(); w.extra = append(w.extra, decodeID(data)); w.mu.Unlock() }
	}},
	{"deleteStore", 1, []string{"NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		w.mu.Lock()
		s := pick(r, w.extra)
		w.mu.Unlock()
		return `mutation($s: ID!) { op: deleteStore(id: $s) { id message } }`, map[string]any{"s": s}, nil
	}},
	{"storeTree", 8, []string{"NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `query($s: ID!) { op: store(id: $s) { id itemCount tagCount
				items(first: 5, orderBy: PRICE) { id price tags(orderBy: NAME) { id items(first: 3) { id tagCount } } }
				tags(first: 5, offset: 1) { id itemCount items { id store { id } } } } }`,
			map[string]any{"s": w.store(r)}, nil
	}},
	{"storesPage", 4, nil, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `{ op: stores(first: 10) { totalCount nodes { id itemCount tagCount items(first: 3) { tags { id name } } } } }`, nil, nil
	}},
	{"itemTree", 6, []string{"NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `query($i: ID!) { op: item(id: $i) { id tagCount store { id name } tags { id itemCount items(first: 2, offset: 1) { id } } } }`,
			map[string]any{"i": w.item(r, w.store(r), true)}, nil
	}},
	{"tagTree", 6, []string{"NOT_FOUND"}, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `query($t: ID!) { op: tag(id: $t) { id itemCount items(orderBy: NAME) { id tags { id } } } }`,
			map[string]any{"t": w.tag(r, w.store(r))}, nil
	}},
	{"itemsPage", 6, nil, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `query($s: ID, $min: Float) { op: items(first: 50, filter: {storeId: $s, minPrice: $min}) {
				totalCount edges { cursor node { id price tags { id } } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"s": w.store(r), "min": price(r) / 2}, nil
	}},
	{"tagsPage", 4, nil, func(r *rand.Rand, w *world) (string, map[string]any, func(json.RawMessage)) {
		return `query($s: ID) { op: tags(first: 50, filter: {storeId: $s, nameContains: "tag-1"}) { totalCount nodes { id items { id } } } }`,
			map[string]any{"s": w.store(r)}, nil
	}},
}

func decodeID(data json.RawMessage) string {
	var out struct{ Op struct{ ID string } }
	_ = json.Unmarshal(data, &out)
	return out.Op.ID
}

// setupWorld creates the stores, each with a few keeper items, tags and links, through c.
func setupWorld(t *testing.T, c *apitest.Client, prefix string) *world {
	t.Helper()
	w := newWorld()
	for i := range 4 {
		var s struct{ CreateStore struct{ ID string } }
		c.MustPost(t, `mutation($n: String!) { createStore(input: {name: $n}) { id } }`,
			map[string]any{"n": fmt.Sprintf("%s store %d", prefix, i)}, &s)
		id := s.CreateStore.ID
		w.stores = append(w.stores, id)
		for k := range 3 {
			var it struct{ CreateItem struct{ ID string } }
			c.MustPost(t, `mutation($s: ID!, $n: String!) { createItem(input: {storeId: $s, name: $n, price: 1.25}) { id } }`,
				map[string]any{"s": id, "n": fmt.Sprintf("keeper %d", k)}, &it)
			w.items[id] = append(w.items[id], it.CreateItem.ID)
			w.keepers[it.CreateItem.ID] = true
		}
	}
	return w
}

// runClients runs the clients until the time is up, spreading them over the servers, and
// returns what they saw.
func runClients(t *testing.T, servers []*apitest.Client, w *world, d time.Duration, seed uint64) *tally {
	t.Helper()
	total := 0
	for _, op := range operations {
		total += op.weight
	}
	tl := &tally{ops: map[string]int{}, codes: map[string]int{}}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for n := range clients {
		c := servers[n%len(servers)]
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(n)))
			for time.Now().Before(deadline) {
				k := r.IntN(total)
				op := operations[0]
				for _, o := range operations {
					if k < o.weight {
						op = o
						break
					}
					k -= o.weight
				}
				query, vars, done := op.run(r, w)
				res, err := c.Send(context.Background(), query, vars)
				switch {
				case err != nil:
					tl.fail("%s %v via %s: %v", op.name, vars, c.URL, err)
				case res.Status != http.StatusOK:
					tl.fail("%s %v via %s: status %d, errors %+v", op.name, vars, c.URL, res.Status, res.Errors)
				case len(res.Errors) == 0:
					tl.record(op.name, "")
					if done != nil {
						done(res.Data)
					}
				default:
					for _, e := range res.Errors {
						tl.record(op.name, e.Code())
						if !slices.Contains(op.refusal, e.Code()) {
							tl.fail("%s %v via %s: refused with %s (%q); want one of %v", op.name, vars, c.URL, e.Code(), e.Message, op.refusal)
						}
						if op.name == "deleteTag" && e.Code() == "CONFLICT" {
							w.mu.Lock()
							w.conflicts[vars["t"].(string)]++
							w.mu.Unlock()
						}
					}
				}
			}
		})
	}
	wg.Wait()
	var lines []string
	for k, v := range tl.ops {
		lines = append(lines, fmt.Sprintf("%s=%d", k, v))
	}
	for k, v := range tl.codes {
		lines = append(lines, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(lines)
	t.Logf("%d clients for %s: %s", clients, d, strings.Join(lines, " "))
	for _, b := range tl.bad {
		t.Errorf("contract broken: %s", b)
	}
	if tl.ops["linkTag"] == 0 || tl.ops["deleteTag"] == 0 {
		t.Errorf("the clients got too little done to prove anything: %v", tl.ops)
	}
	return tl
}

// checkInvariants checks, in SQL, the rules no interleaving of calls may break, and that the
// counts the API gives (through every server) equal the rows.
func checkInvariants(t *testing.T, db *sql.DB, servers []*apitest.Client, w *world) {
	t.Helper()
	ctx := context.Background()
	scalar := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for _, c := range []struct{ what, query string }{
		{"links whose store is not their item's", `SELECT count(*) FROM items_tags it JOIN items i ON i.id = it.item_id WHERE it.store_id <> i.store_id`},
		{"links whose store is not their tag's", `SELECT count(*) FROM items_tags it JOIN tags g ON g.id = it.tag_id WHERE it.store_id <> g.store_id`},
		{"links to a missing item", `SELECT count(*) FROM items_tags it WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = it.item_id)`},
		{"links to a missing tag", `SELECT count(*) FROM items_tags it WHERE NOT EXISTS (SELECT 1 FROM tags WHERE id = it.tag_id)`},
		{"items of a missing store", `SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM stores WHERE id = i.store_id)`},
		{"tags of a missing store", `SELECT count(*) FROM tags g WHERE NOT EXISTS (SELECT 1 FROM stores WHERE id = g.store_id)`},
	} {
		if n := scalar(c.query); n != 0 {
			t.Errorf("%s: %d; want 0", c.what, n)
		}
	}

	// No used tag was deleted: a link to a keeper item is never removed, so its tag must
	// still be there, linked, and no delete of it may have succeeded.
	w.mu.Lock()
	pinned := maps2slice(w.pinned)
	deleted, conflicts := len(w.deleted), 0
	for _, n := range w.conflicts {
		conflicts += n
	}
	for _, p := range pinned {
		if w.deleted[p[0]] {
			t.Errorf("deleteTag(%s) succeeded, but the tag was linked with keeper item %s, which no client unlinks", p[0], p[1])
		}
	}
	w.mu.Unlock()
	for _, p := range pinned {
		if n := scalar(`SELECT count(*) FROM items_tags WHERE tag_id = $1 AND item_id = $2`, p[0], p[1]); n != 1 {
			t.Errorf("tag %s linked with keeper item %s: %d links left; want 1 (the link was lost)", p[0], p[1], n)
		}
	}
	t.Logf("tags pinned by keeper links: %d; deleteTag successes: %d, refused as in use: %d", len(pinned), deleted, conflicts)
	if conflicts == 0 {
		t.Errorf("no deleteTag was refused as in use: the soak did not exercise that rule")
	}

	// The counts and lists the API gives equal the rows, through every server.
	want := map[string]int{
		"stores": scalar(`SELECT count(*) FROM stores`),
		"items":  scalar(`SELECT count(*) FROM items`),
		"tags":   scalar(`SELECT count(*) FROM tags`),
	}
	rows, err := db.QueryContext(ctx, `SELECT id FROM stores ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var storeIDs []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		storeIDs = append(storeIDs, id)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range servers {
		var totals struct {
			Stores, Items, Tags struct{ TotalCount int }
		}
		c.MustPost(t, `{ stores(first: 0) { totalCount } items(first: 0) { totalCount } tags(first: 0) { totalCount } }`, nil, &totals)
		for list, got := range map[string]int{"stores": totals.Stores.TotalCount, "items": totals.Items.TotalCount, "tags": totals.Tags.TotalCount} {
			if got != want[list] {
				t.Errorf("via %s: %s totalCount = %d; want %d rows", c.URL, list, got, want[list])
			}
		}
		for _, sid := range storeIDs {
			checkStoreCounts(t, c, sid, scalar)
		}
	}
}

func checkStoreCounts(t *testing.T, c *apitest.Client, sid string, scalar func(string, ...any) int) {
	t.Helper()
	var out struct {
		Store struct {
			ItemCount, TagCount int
			Items               []struct {
				ID       string
				TagCount int
				Tags     []struct{ ID string }
			}
			Tags []struct {
				ID        string
				ItemCount int
				Items     []struct{ ID string }
			}
		}
	}
	c.MustPost(t, `query($s: ID!) { store(id: $s) { itemCount tagCount
		items { id tagCount tags { id } } tags { id itemCount items { id } } } }`, map[string]any{"s": sid}, &out)
	st := out.Store
	if n := scalar(`SELECT count(*) FROM items WHERE store_id = $1`, sid); st.ItemCount != n || len(st.Items) != n {
		t.Errorf("via %s: store %s has itemCount %d and %d items; want %d rows", c.URL, sid, st.ItemCount, len(st.Items), n)
	}
	if n := scalar(`SELECT count(*) FROM tags WHERE store_id = $1`, sid); st.TagCount != n || len(st.Tags) != n {
		t.Errorf("via %s: store %s has tagCount %d and %d tags; want %d rows", c.URL, sid, st.TagCount, len(st.Tags), n)
	}
	for _, it := range st.Items {
		if n := scalar(`SELECT count(*) FROM items_tags WHERE item_id = $1`, it.ID); it.TagCount != n || len(it.Tags) != n {
			t.Errorf("via %s: item %s has tagCount %d and %d tags; want %d links", c.URL, it.ID, it.TagCount, len(it.Tags), n)
		}
	}
	for _, g := range st.Tags {
		if n := scalar(`SELECT count(*) FROM items_tags WHERE tag_id = $1`, g.ID); g.ItemCount != n || len(g.Items) != n {
			t.Errorf("via %s: tag %s has itemCount %d and %d items; want %d links", c.URL, g.ID, g.ItemCount, len(g.Items), n)
		}
	}
}

func maps2slice(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	return out
}

// checkSessions checks the database's sessions other than the checker's: none left inside
// a transaction, and no more than max of them.
func checkSessions(t *testing.T, db *sql.DB, max int) {
	t.Helper()
	var total, inTx int
	err := db.QueryRowContext(context.Background(), `SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%')
		FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&total, &inTx)
	if err != nil {
		t.Fatal(err)
	}
	if inTx > 0 {
		t.Errorf("%d database sessions are idle inside a transaction after the clients stopped; want 0", inTx)
	}
	if total > max {
		t.Errorf("%d database sessions after the clients stopped; want at most %d (the pools' limit)", total, max)
	}
}
