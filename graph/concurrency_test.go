package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/storegraph/storegraph/internal/apitest"
)

// call is one request a worker sent and what came back.
type call struct {
	op      string
	vars    map[string]any
	res     *apitest.Response
	err     error
	message string // the payload's message, when the call succeeded
}

// concurrentOps are the operations the workers mix, with the message a success carries
// (createItem has none) and the codes a refusal may have: the contract's codes for what a
// racing client can meet.
var concurrentOps = map[string]struct {
	query   string
	message string
	refusal []string
}{
	"linkTag": {`mutation($i: ID!, $t: ID!) { op: linkTag(itemId: $i, tagId: $t) { message } }`,
		"Tag linked to item.", []string{"NOT_FOUND", "BAD_USER_INPUT"}},
	"unlinkTag": {`mutation($i: ID!, $t: ID!) { op: unlinkTag(itemId: $i, tagId: $t) { message } }`,
		"Item removed from tag.", []string{"NOT_FOUND"}},
	"deleteTag": {`mutation($t: ID!) { op: deleteTag(id: $t) { message } }`,
		"Tag deleted.", []string{"NOT_FOUND", "CONFLICT"}},
	"deleteItem": {`mutation($i: ID!) { op: deleteItem(id: $i) { message } }`,
		"Item deleted.", []string{"NOT_FOUND"}},
	"createItem": {`mutation($s: ID!, $n: String!) { op: createItem(input: {storeId: $s, name: $n, price: 1.5}) { id } }`,
		"", []string{"CONFLICT"}},
}

// doCall sends op and records the outcome; it may run on any goroutine.
func doCall(s *apitest.Server, op string, vars map[string]any) call {
	c := call{op: op, vars: vars}
	c.res, c.err = s.Send(context.Background(), concurrentOps[op].query, vars)
	if c.err == nil && len(c.res.Errors) == 0 {
		var out struct{ Op struct{ Message string } }
		if err := json.Unmarshal(c.res.Data, &out); err != nil {
			c.err = err
		}
		c.message = out.Op.Message
	}
	return c
}

// judge checks a call against the contract: a transport success, and either the op's
// message or only the op's refusal codes.
func (c call) judge(t *testing.T) {
	t.Helper()
	switch {
	case c.err != nil:
		t.Errorf("%s %v: %v", c.op, c.vars, c.err)
	case c.res.Status != http.StatusOK:
		t.Errorf("%s %v: status %d; want 200", c.op, c.vars, c.res.Status)
	case len(c.res.Errors) == 0:
		if want := concurrentOps[c.op].message; want != "" && c.message != want {
			t.Errorf("%s %v: message %q; want %q", c.op, c.vars, c.message, want)
		}
	default:
		for _, e := range c.res.Errors {
			if !slices.Contains(concurrentOps[c.op].refusal, e.Code()) {
				t.Errorf("%s %v: refused with %s (%q); want one of %v", c.op, c.vars, e.Code(), e.Message, concurrentOps[c.op].refusal)
			}
		}
	}
}

func (c call) ok() bool {
	return c.err == nil && c.res.Status == http.StatusOK && len(c.res.Errors) == 0
}

func (c call) code() string {
	if c.err != nil || len(c.res.Errors) == 0 {
		return ""
	}
	return c.res.Errors[0].Code()
}

// checkIntegrity checks what no interleaving of calls may break, in SQL.
func checkIntegrity(t *testing.T, s *apitest.Server) {
	t.Helper()
	for _, c := range []struct {
		what  string
		query string
	}{
		{"links across stores", `SELECT count(*) FROM items_tags AS it
			JOIN items AS i ON i.id = it.item_id JOIN tags AS t ON t.id = it.tag_id
			WHERE i.store_id <> t.store_id OR it.store_id <> i.store_id`},
		{"links to a missing item", `SELECT count(*) FROM items_tags AS it WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = it.item_id)`},
		{"links to a missing tag", `SELECT count(*) FROM items_tags AS it WHERE NOT EXISTS (SELECT 1 FROM tags WHERE id = it.tag_id)`},
		{"items of a missing store", `SELECT count(*) FROM items AS i WHERE NOT EXISTS (SELECT 1 FROM stores WHERE id = i.store_id)`},
		{"tags of a missing store", `SELECT count(*) FROM tags AS t WHERE NOT EXISTS (SELECT 1 FROM stores WHERE id = t.store_id)`},
	} {
		if n := count(t, s, c.query); n != 0 {
			t.Errorf("%s: got %d; want 0", c.what, n)
		}
	}
}

// TestConcurrentWritesKeepTheRules has workers link, unlink, delete and create at once on
// two stores, then checks that every call got a contract answer and that the database
// holds no link the rules forbid.
func TestConcurrentWritesKeepTheRules(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, nil)
	const (
		workers      = 16
		opsPerWorker = 40
		itemsPer     = 12
		tagsPer      = 8
	)
	exec(t, s, "INSERT INTO stores (name) VALUES ('Race A'), ('Race B')")
	ownAllStores(t, s)
	exec(t, s, `INSERT INTO items (store_id, name, price)
		SELECT s, 'seed ' || k, k FROM generate_series(1, 2) AS s, generate_series(1, ?) AS k ORDER BY s, k`, itemsPer)
	exec(t, s, `INSERT INTO tags (store_id, name)
		SELECT s, 'tag ' || k FROM generate_series(1, 2) AS s, generate_series(1, ?) AS k ORDER BY s, k`, tagsPer)
	exec(t, s, `INSERT INTO items_tags (item_id, tag_id, store_id)
		SELECT i.id, t.id, i.store_id FROM items AS i JOIN tags AS t USING (store_id)
		WHERE (i.id + t.id) % 4 = 0 AND t.id % 2 = 0`) // odd tags start unused
	// Ids range a little past the rows, so some calls name rows that never existed.
	maxItem, maxTag := 2*itemsPer+30, 2*tagsPer+2

	calls := make([][]call, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(42, uint64(w)))
			item := func() string { return fmt.Sprint(1 + rng.IntN(maxItem)) }
			tag := func() string { return fmt.Sprint(1 + rng.IntN(maxTag)) }
			for range opsPerWorker {
				var c call
				switch p := rng.IntN(100); {
				case p < 40:
					c = doCall(s, "linkTag", map[string]any{"i": item(), "t": tag()})
				case p < 60:
					c = doCall(s, "unlinkTag", map[string]any{"i": item(), "t": tag()})
				case p < 72:
					c = doCall(s, "deleteTag", map[string]any{"t": tag()})
				case p < 80:
					c = doCall(s, "deleteItem", map[string]any{"i": item()})
				default:
					c = doCall(s, "createItem", map[string]any{"s": fmt.Sprint(1 + rng.IntN(2)), "n": fmt.Sprintf("new %d", rng.IntN(25))})
				}
				calls[w] = append(calls[w], c)
			}
		})
	}
	wg.Wait()

	tally := map[string]int{}
	var deletedTags, deletedItems []int64
	for _, c := range slices.Concat(calls...) {
		c.judge(t)
		outcome := "ok"
		if !c.ok() {
			outcome = c.code()
		}
		tally[c.op+" "+outcome]++
		if c.ok() && c.op == "deleteTag" {
			deletedTags = append(deletedTags, dbID(t, c.vars["t"].(string)))
		}
		if c.ok() && c.op == "deleteItem" {
			deletedItems = append(deletedItems, dbID(t, c.vars["i"].(string)))
		}
	}
	t.Logf("outcomes: %v", tally)
	if tally["linkTag ok"] == 0 {
		t.Errorf("no linkTag succeeded in %d calls; the workload did not exercise links", workers*opsPerWorker)
	}

	checkIntegrity(t, s)
	if n := count(t, s, "SELECT count(*) FROM tags WHERE id = ANY(?)", pgdialect.Array(deletedTags)); n != 0 {
		t.Errorf("tags whose deleteTag succeeded still there: got %d; want 0", n)
	}
	if n := count(t, s, "SELECT count(*) FROM items WHERE id = ANY(?)", pgdialect.Array(deletedItems)); n != 0 {
		t.Errorf("items whose deleteItem succeeded still there: got %d; want 0", n)
	}

	// The API reads what the database holds.
	for _, storeID := range []string{"1", "2"} {
		var out struct{ Store storeJSON }
		s.MustPost(t, `query($id: ID!) { store(id: $id) { itemCount tagCount items { id tagCount tags { id } } } }`,
			map[string]any{"id": storeID}, &out)
		sid := dbID(t, storeID)
		if want := count(t, s, "SELECT count(*) FROM items WHERE store_id = ?", sid); out.Store.ItemCount != want || len(out.Store.Items) != want {
			t.Errorf("store %s: itemCount %d with %d items; want %d", storeID, out.Store.ItemCount, len(out.Store.Items), want)
		}
		if want := count(t, s, "SELECT count(*) FROM tags WHERE store_id = ?", sid); out.Store.TagCount != want {
			t.Errorf("store %s: tagCount %d; want %d", storeID, out.Store.TagCount, want)
		}
		for _, it := range out.Store.Items {
			want := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ?", dbID(t, it.ID))
			if it.TagCount != want || len(it.Tags) != want {
				t.Errorf("item %s: tagCount %d with %d tags; want %d links", it.ID, it.TagCount, len(it.Tags), want)
			}
		}
	}
}

// TestLinkTagRacingDeleteTag sends linkTag and deleteTag for the same unused tag at the
// same moment, many times over: exactly one of them wins, and the database agrees with it.
// A link must never be made to a tag that is then deleted.
func TestLinkTagRacingDeleteTag(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, nil)
	const rounds = 30
	exec(t, s, "INSERT INTO stores (name) VALUES ('Race')")
	ownAllStores(t, s)
	exec(t, s, "INSERT INTO items (store_id, name, price) SELECT 1, 'item ' || k, 1 FROM generate_series(1, ?) AS k ORDER BY k", rounds)
	exec(t, s, "INSERT INTO tags (store_id, name) SELECT 1, 'tag ' || k FROM generate_series(1, ?) AS k ORDER BY k", rounds)

	linked, deleted := 0, 0
	for r := 1; r <= rounds; r++ {
		item, tag := fmt.Sprint(r), fmt.Sprint(r)
		// deleteTag starts a little later from round to round, so that it lands before,
		// inside and after linkTag's statements; only the outcomes are checked, not when.
		delay := time.Duration(r%10) * 150 * time.Microsecond
		linkCall, deleteCall := raceCalls(
			func() call { return doCall(s, "linkTag", map[string]any{"i": item, "t": tag}) },
			func() call { time.Sleep(delay); return doCall(s, "deleteTag", map[string]any{"t": tag}) })
		linkCall.judge(t)
		deleteCall.judge(t)
		tagRows := count(t, s, "SELECT count(*) FROM tags WHERE id = ?", r)
		linkRows := count(t, s, "SELECT count(*) FROM items_tags WHERE tag_id = ?", r)
		switch {
		case linkCall.ok() && !deleteCall.ok():
			linked++
			if deleteCall.code() != "CONFLICT" || tagRows != 1 || linkRows != 1 {
				t.Errorf("round %d: link won, deleteTag got %q, tag rows %d, link rows %d; want CONFLICT, 1, 1",
					r, deleteCall.code(), tagRows, linkRows)
			}
		case deleteCall.ok() && !linkCall.ok():
			deleted++
			if linkCall.code() != "NOT_FOUND" || tagRows != 0 || linkRows != 0 {
				t.Errorf("round %d: delete won, linkTag got %q, tag rows %d, link rows %d; want NOT_FOUND, 0, 0",
					r, linkCall.code(), tagRows, linkRows)
			}
		default:
			t.Errorf("round %d: linkTag ok %t (%q), deleteTag ok %t (%q); want exactly one to succeed",
				r, linkCall.ok(), linkCall.code(), deleteCall.ok(), deleteCall.code())
		}
	}
	t.Logf("%d rounds: link won %d, delete won %d", rounds, linked, deleted)
	checkIntegrity(t, s)
}

// TestLinkTagRacingDeleteItem sends linkTag and deleteItem for the same item at once: the
// item goes either way, and no link to it survives.
func TestLinkTagRacingDeleteItem(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, nil)
	const rounds = 30
	exec(t, s, "INSERT INTO stores (name) VALUES ('Race')")
	ownAllStores(t, s)
	exec(t, s, "INSERT INTO items (store_id, name, price) SELECT 1, 'item ' || k, 1 FROM generate_series(1, ?) AS k ORDER BY k", rounds)
	exec(t, s, "INSERT INTO tags (store_id, name) VALUES (1, 'shared')")

	for r := 1; r <= rounds; r++ {
		item := fmt.Sprint(r)
		linkCall, deleteCall := raceCalls(
			func() call { return doCall(s, "linkTag", map[string]any{"i": item, "t": "1"}) },
			func() call { return doCall(s, "deleteItem", map[string]any{"i": item}) })
		linkCall.judge(t)
		deleteCall.judge(t)
		if !deleteCall.ok() {
			t.Errorf("round %d: deleteItem refused with %q; want it to succeed", r, deleteCall.code())
		}
		if n := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ?", r); n != 0 {
			t.Errorf("round %d: links to the deleted item: got %d; want 0", r, n)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM tags"); n != 1 {
		t.Errorf("tags after the races: got %d; want the shared tag", n)
	}
	checkIntegrity(t, s)
}

// raceCalls runs a and b on two goroutines released together, and returns their calls.
func raceCalls(a, b func() call) (call, call) {
	start := make(chan struct{})
	var ca, cb call
	var wg sync.WaitGroup
	wg.Go(func() { <-start; ca = a() })
	wg.Go(func() { <-start; cb = b() })
	close(start)
	wg.Wait()
	return ca, cb
}
