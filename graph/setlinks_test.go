package graph_test

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

const (
	setItemTagsMutation = `mutation($i: ID!, $t: [ID!]!) { setItemTags(itemId: $i, tagIds: $t) {
		message item { id tags { id } tagCount } added { id name itemCount } removed { id name itemCount } } }`
	setTagItemsMutation = `mutation($t: ID!, $i: [ID!]!) { setTagItems(tagId: $t, itemIds: $i) {
		message tag { id items { id } itemCount } added { id name tagCount } removed { id name tagCount } } }`
)

type setItemTagsJSON struct {
	SetItemTags struct {
		Message        string
		Item           itemJSON
		Added, Removed []tagJSON
	}
}

type setTagItemsJSON struct {
	SetTagItems struct {
		Message        string
		Tag            tagJSON
		Added, Removed []itemJSON
	}
}

func tagIDsOf(tags []tagJSON) []string { return mapSlice(tags, func(t tagJSON) string { return t.ID }) }
func itemIDsOf(items []itemJSON) []string {
	return mapSlice(items, func(i itemJSON) string { return i.ID })
}

// linksOf reads the ids linked with row id ("item_id" or "tag_id"), in id order.
func linksOf(t testing.TB, s *apitest.Server, column, id string) []string {
	t.Helper()
	other := "tag_id"
	if column == "tag_id" {
		other = "item_id"
	}
	var ids []int64
	err := s.DB().NewRaw("SELECT "+other+" FROM items_tags WHERE "+column+" = ? ORDER BY "+other, dbID(t, id)).Scan(t.Context(), &ids)
	if err != nil {
		t.Fatal(err)
	}
	return mapSlice(ids, idText)
}

func TestSetItemTags(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := s.CreateStore(t, "Set Tags Store")
	item := s.CreateItem(t, st, "Mug", 4)
	t1, t2, t3 := s.CreateTag(t, st, "one"), s.CreateTag(t, st, "two"), s.CreateTag(t, st, "three")
	s.Link(t, item, t1)
	s.Link(t, item, t2)
	other := s.CreateStore(t, "Other Set Store")
	otherTag := s.CreateTag(t, other, "elsewhere")

	set := func(t *testing.T, tags []string) setItemTagsJSON {
		var out setItemTagsJSON
		s.MustPost(t, setItemTagsMutation, map[string]any{"i": item, "t": tags}, &out)
		if out.SetItemTags.Message != "Tags set." {
			t.Errorf("message = %q; want %q", out.SetItemTags.Message, "Tags set.")
		}
		return out
	}

	// Steps in order: each starts from the state the one before left.
	t.Run("ReplacesTheSet", func(t *testing.T) {
		out := set(t, []string{t3, t2, t3})
		p := out.SetItemTags
		if got := tagIDsOf(p.Item.Tags); !reflect.DeepEqual(got, []string{t2, t3}) || p.Item.TagCount != 2 || p.Item.ID != item {
			t.Errorf("item = %+v; want %s with tags %s, %s", p.Item, item, t2, t3)
		}
		if len(p.Added) != 1 || p.Added[0].ID != t3 || p.Added[0].Name != "three" || p.Added[0].ItemCount != 1 {
			t.Errorf("added = %+v; want three with itemCount 1", p.Added)
		}
		if len(p.Removed) != 1 || p.Removed[0].ID != t1 || p.Removed[0].ItemCount != 0 {
			t.Errorf("removed = %+v; want one with itemCount 0", p.Removed)
		}
		if got := linksOf(t, s, "item_id", item); !reflect.DeepEqual(got, []string{t2, t3}) {
			t.Errorf("links = %v; want %s, %s", got, t2, t3)
		}
	})
	t.Run("RepeatingChangesNothing", func(t *testing.T) {
		before := snapshot(t, s)
		p := set(t, []string{t2, t3}).SetItemTags
		if len(p.Added) != 0 || len(p.Removed) != 0 || p.Item.TagCount != 2 {
			t.Errorf("repeat: added %v, removed %v, tagCount %d; want none, none, 2", p.Added, p.Removed, p.Item.TagCount)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("repeating changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})
	t.Run("EmptyListRemovesEveryTag", func(t *testing.T) {
		p := set(t, []string{}).SetItemTags
		if got := tagIDsOf(p.Removed); !reflect.DeepEqual(got, []string{t2, t3}) || len(p.Added) != 0 || p.Item.TagCount != 0 || len(p.Item.Tags) != 0 {
			t.Errorf("[]: %+v; want %s, %s removed and no tags left", p, t2, t3)
		}
		if got := linksOf(t, s, "item_id", item); len(got) != 0 {
			t.Errorf("links = %v; want none", got)
		}
	})
	t.Run("AddsFromNothing", func(t *testing.T) {
		p := set(t, []string{t1, t2, t3}).SetItemTags
		if got := tagIDsOf(p.Added); !reflect.DeepEqual(got, []string{t1, t2, t3}) || len(p.Removed) != 0 || p.Item.TagCount != 3 {
			t.Errorf("from nothing: %+v; want all three added", p)
		}
	})

	intruder := s.Register(t, "set-intruder@example.com", "intruder password")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint(900000 + i)
	}
	for _, tc := range []struct {
		name, code string
		token      string // "" for the owner; "-" for none
		item       string
		tags       []string
	}{
		{name: "UnknownTag", code: "NOT_FOUND", item: item, tags: []string{t1, "987654321"}},
		{name: "OtherStoresTag", code: "BAD_USER_INPUT", item: item, tags: []string{t1, otherTag}},
		{name: "UnknownBeforeOtherStore", code: "NOT_FOUND", item: item, tags: []string{otherTag, "987654321"}},
		{name: "UnknownItem", code: "NOT_FOUND", item: "987654321", tags: []string{t1}},
		{name: "MalformedItemID", code: "BAD_USER_INPUT", item: "x1", tags: []string{t1}},
		{name: "MalformedTagID", code: "BAD_USER_INPUT", item: item, tags: []string{t1, "01"}},
		{name: "MoreThan100Tags", code: "BAD_USER_INPUT", item: item, tags: many},
		{name: "NoToken", code: "UNAUTHENTICATED", token: "-", item: item, tags: []string{}},
		{name: "AnotherUser", code: "FORBIDDEN", token: intruder, item: item, tags: []string{}},
	} {
		t.Run("Refused/"+tc.name, func(t *testing.T) {
			before := snapshot(t, s)
			token := s.Token
			switch tc.token {
			case "-":
				token = ""
			case "":
			default:
				token = tc.token
			}
			r := s.PostAs(t, token, setItemTagsMutation, map[string]any{"i": tc.item, "t": tc.tags})
			wantCode(t, r, tc.code)
			wantNullField(t, r, "setItemTags")
			if after := snapshot(t, s); after != before {
				t.Errorf("refused setItemTags changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	t.Run("Refused/Messages", func(t *testing.T) {
		for tags, want := range map[string]string{
			"987654321": "No tag has that id.",
			otherTag:    "A tag can only be linked with an item of its own store.",
		} {
			r := s.Post(t, setItemTagsMutation, map[string]any{"i": item, "t": []string{tags}})
			if len(r.Errors) != 1 || r.Errors[0].Message != want {
				t.Errorf("tags [%s]: %+v; want %q", tags, r.Errors, want)
			}
		}
	})
}

func TestSetTagItems(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := s.CreateStore(t, "Set Items Store")
	tag := s.CreateTag(t, st, "sale")
	i1, i2, i3 := s.CreateItem(t, st, "a", 1), s.CreateItem(t, st, "b", 2), s.CreateItem(t, st, "c", 3)
	s.Link(t, i1, tag)
	other := s.CreateStore(t, "Other Items Store")
	otherItem := s.CreateItem(t, other, "elsewhere", 1)

	var out setTagItemsJSON
	s.MustPost(t, setTagItemsMutation, map[string]any{"t": tag, "i": []string{i3, i2, i2}}, &out)
	p := out.SetTagItems
	if p.Message != "Items set." || p.Tag.ID != tag || p.Tag.ItemCount != 2 || !reflect.DeepEqual(itemIDsOf(p.Tag.Items), []string{i2, i3}) {
		t.Errorf("payload = %+v; want Items set. with %s, %s", p, i2, i3)
	}
	if !reflect.DeepEqual(itemIDsOf(p.Added), []string{i2, i3}) || p.Added[0].TagCount != 1 ||
		!reflect.DeepEqual(itemIDsOf(p.Removed), []string{i1}) || p.Removed[0].TagCount != 0 {
		t.Errorf("added %+v, removed %+v; want %s, %s added and %s removed", p.Added, p.Removed, i2, i3, i1)
	}
	s.MustPost(t, setTagItemsMutation, map[string]any{"t": tag, "i": []string{i2, i3}}, &out)
	if len(out.SetTagItems.Added) != 0 || len(out.SetTagItems.Removed) != 0 {
		t.Errorf("repeat: %+v; want nothing added or removed", out.SetTagItems)
	}

	for _, tc := range []struct {
		name, code, tag string
		items           []string
	}{
		{"UnknownItem", "NOT_FOUND", tag, []string{i1, "987654321"}},
		{"OtherStoresItem", "BAD_USER_INPUT", tag, []string{i1, otherItem}},
		{"UnknownTag", "NOT_FOUND", "987654321", []string{i1}},
		{"MalformedID", "BAD_USER_INPUT", tag, []string{"abc"}},
	} {
		t.Run("Refused/"+tc.name, func(t *testing.T) {
			before := snapshot(t, s)
			r := s.Post(t, setTagItemsMutation, map[string]any{"t": tc.tag, "i": tc.items})
			wantCode(t, r, tc.code)
			wantNullField(t, r, "setTagItems")
			if after := snapshot(t, s); after != before {
				t.Errorf("refused setTagItems changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	s.MustPost(t, setTagItemsMutation, map[string]any{"t": tag, "i": []string{}}, &out)
	if got := linksOf(t, s, "tag_id", tag); len(got) != 0 || len(out.SetTagItems.Removed) != 2 {
		t.Errorf("[]: links %v, removed %+v; want none left, two removed", got, out.SetTagItems.Removed)
	}
}

func TestCreateItemWithTags(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := s.CreateStore(t, "Create Tagged Store")
	t1, t2 := s.CreateTag(t, st, "one"), s.CreateTag(t, st, "two")
	otherTag := s.CreateTag(t, s.CreateStore(t, "Other Create Store"), "elsewhere")
	const create = `mutation($s: ID!, $n: String!, $t: [ID!]) {
		createItem(input: {storeId: $s, name: $n, price: 1, tagIds: $t}) { id name tagCount tags { id } } }`

	var out struct{ CreateItem itemJSON }
	s.MustPost(t, create, map[string]any{"s": st, "n": "tagged", "t": []string{t2, t1, t2}}, &out)
	if got := tagIDsOf(out.CreateItem.Tags); !reflect.DeepEqual(got, []string{t1, t2}) || out.CreateItem.TagCount != 2 {
		t.Errorf("created %+v; want tags %s, %s", out.CreateItem, t1, t2)
	}
	if got := linksOf(t, s, "item_id", out.CreateItem.ID); !reflect.DeepEqual(got, []string{t1, t2}) {
		t.Errorf("links = %v; want %s, %s", got, t1, t2)
	}
	for i, tags := range [][]string{nil, {}} {
		s.MustPost(t, create, map[string]any{"s": st, "n": fmt.Sprintf("untagged %d", i), "t": tags}, &out)
		if out.CreateItem.TagCount != 0 {
			t.Errorf("tagIds %v: tagCount %d; want 0", tags, out.CreateItem.TagCount)
		}
	}

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint(900000 + i)
	}
	for _, tc := range []struct {
		name, code string
		tags       []string
	}{
		{"UnknownTag", "NOT_FOUND", []string{t1, "987654321"}},
		{"OtherStoresTag", "BAD_USER_INPUT", []string{t1, otherTag}},
		{"MalformedTagID", "BAD_USER_INPUT", []string{t1, "1.5"}},
		{"MoreThan100Tags", "BAD_USER_INPUT", many},
	} {
		t.Run("Refused/"+tc.name, func(t *testing.T) {
			before := snapshot(t, s)
			r := s.Post(t, create, map[string]any{"s": st, "n": "refused " + strings.ToLower(tc.name), "t": tc.tags})
			wantCode(t, r, tc.code)
			wantNullField(t, r, "createItem")
			if after := snapshot(t, s); after != before {
				t.Errorf("refused createItem changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestSetLinksStatements checks that a batch link costs the same statements for one id as
// for a hundred, on the item side and the tag side.
func TestSetLinksStatements(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := s.CreateStore(t, "Counted Store")
	exec(t, s, "INSERT INTO tags (store_id, name) SELECT ?, 'tag ' || k FROM generate_series(1, 100) AS k", dbID(t, st))
	exec(t, s, "INSERT INTO items (store_id, name, price) SELECT ?, 'item ' || k, 1 FROM generate_series(1, 100) AS k", dbID(t, st))
	var tags, items []int64
	if err := s.DB().NewRaw("SELECT id FROM tags ORDER BY id").Scan(t.Context(), &tags); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().NewRaw("SELECT id FROM items ORDER BY id").Scan(t.Context(), &items); err != nil {
		t.Fatal(err)
	}
	const bare = `mutation($i: ID!, $t: [ID!]!) { setItemTags(itemId: $i, tagIds: $t) { message } }`
	const bareMirror = `mutation($t: ID!, $i: [ID!]!) { setTagItems(tagId: $t, itemIds: $i) { message } }`
	item, tag := idText(items[0]), idText(tags[0])
	for _, tc := range []struct {
		name, query string
		vars        func(n int) map[string]any
		want        int64
	}{
		{"setItemTags", bare, func(n int) map[string]any { return map[string]any{"i": item, "t": mapSlice(tags[:n], idText)} }, setLinksStatements},
		{"setTagItems", bareMirror, func(n int) map[string]any { return map[string]any{"t": tag, "i": mapSlice(items[:n], idText)} }, setLinksStatements},
		// The item's tags, its tagCount, and the itemCount of added and removed tags together.
		{"setItemTagsPayload", setItemTagsMutation, func(n int) map[string]any { return map[string]any{"i": item, "t": mapSlice(tags[100-n:], idText)} }, setLinksStatements + 3},
	} {
		_, one := measure(t, s, tc.query, tc.vars(1))
		_, hundred := measure(t, s, tc.query, tc.vars(100))
		t.Logf("%s: %d statements for 1 id, %d for 100", tc.name, one, hundred)
		if one != tc.want || hundred != tc.want {
			t.Errorf("%s: %d statements for 1 id, %d for 100; want %d", tc.name, one, hundred, tc.want)
		}
	}
}

// setLinksStatements is what setItemTags and setTagItems cost: begin, lock and check the
// store, lock the row, check and change the links, commit.
const setLinksStatements = 5

// TestConcurrentSetItemTags runs twenty setItemTags calls on one item at once: afterwards
// the item carries exactly one of the requested sets, never a mix. Then it runs them again
// while others unlink and delete some of those tags: the core of the item's tags is still
// one call's set, its other tags a part of that call's, no link crosses stores, and every
// refusal has a contract code.
func TestConcurrentSetItemTags(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := s.CreateStore(t, "Race Store")
	item := s.CreateItem(t, st, "contested", 1)
	var core, extra []string
	for i := range 6 {
		core = append(core, s.CreateTag(t, st, fmt.Sprintf("core %d", i)))
	}
	for i := range 4 {
		extra = append(extra, s.CreateTag(t, st, fmt.Sprintf("extra %d", i)))
	}
	foreign := s.CreateTag(t, s.CreateStore(t, "Race Other Store"), "foreign")

	// set g is the core tags whose bit is set in g+1: twenty different, overlapping sets.
	coreSet := func(g int) []string {
		out := []string{}
		for i, id := range core {
			if (g+1)&(1<<i) != 0 {
				out = append(out, id)
			}
		}
		return out
	}
	type result struct {
		op    string
		g     int
		codes []string
	}
	run := func(n int, op func(g int) (string, *apitest.Response, error)) []result {
		results := make([]result, n)
		start := make(chan struct{})
		done := make(chan struct{})
		for g := range n {
			go func() {
				defer func() { done <- struct{}{} }()
				<-start
				name, r, err := op(g)
				res := result{op: name, g: g}
				if err != nil {
					res.codes = []string{"transport: " + err.Error()}
				} else {
					res.codes = r.Codes()
				}
				results[g] = res
			}()
		}
		close(start)
		for range n {
			<-done
		}
		return results
	}
	setTags := func(tags []string) (*apitest.Response, error) {
		return s.Send(t.Context(), `mutation($i: ID!, $t: [ID!]!) { setItemTags(itemId: $i, tagIds: $t) { message } }`,
			map[string]any{"i": item, "t": tags})
	}
	equal := func(a, b []string) bool {
		return strings.Join(sortedIDs(a), ",") == strings.Join(sortedIDs(b), ",")
	}

	t.Run("OneSetWins", func(t *testing.T) {
		results := run(20, func(g int) (string, *apitest.Response, error) {
			r, err := setTags(coreSet(g))
			return "setItemTags", r, err
		})
		for _, r := range results {
			if len(r.codes) > 0 {
				t.Errorf("setItemTags #%d: %v; want success", r.g, r.codes)
			}
		}
		final := linksOf(t, s, "item_id", item)
		won := -1
		for g := range 20 {
			if equal(final, coreSet(g)) {
				won = g
			}
		}
		if won < 0 {
			t.Errorf("item's tags %v are none of the requested sets: a mix", final)
		}
	})

	t.Run("WhileTagsAreUnlinkedAndDeleted", func(t *testing.T) {
		requested := func(g int) []string {
			set := append(coreSet(g), extra[g%len(extra)], extra[(g+1)%len(extra)])
			if g == 13 {
				set = append(set, foreign) // refused: another store's tag
			}
			return set
		}
		allowed := map[string][]string{
			"setItemTags": {"NOT_FOUND", "BAD_USER_INPUT"}, // an extra tag deleted meanwhile; the foreign tag
			"unlinkTag":   {"NOT_FOUND"},                   // its tag deleted
			"deleteTag":   {"CONFLICT", "NOT_FOUND"},       // still linked; deleted by another
		}
		results := run(20, func(g int) (string, *apitest.Response, error) {
			switch {
			case g < 14:
				r, err := setTags(requested(g))
				return "setItemTags", r, err
			case g < 17:
				r, err := s.Send(t.Context(), `mutation($i: ID!, $t: ID!) { unlinkTag(itemId: $i, tagId: $t) { message } }`,
					map[string]any{"i": item, "t": extra[g%len(extra)]})
				return "unlinkTag", r, err
			default:
				r, err := s.Send(t.Context(), `mutation($t: ID!) { deleteTag(id: $t) { id } }`,
					map[string]any{"t": extra[g%len(extra)]})
				return "deleteTag", r, err
			}
		})
		succeeded := map[int]bool{}
		for _, r := range results {
			for _, c := range r.codes {
				if !slices.Contains(allowed[r.op], c) {
					t.Errorf("%s #%d: code %q; want none or one of %v", r.op, r.g, c, allowed[r.op])
				}
			}
			if r.op == "setItemTags" && len(r.codes) == 0 {
				succeeded[r.g] = true
			}
		}
		if succeeded[13] {
			t.Errorf("setItemTags with another store's tag succeeded")
		}

		final := linksOf(t, s, "item_id", item)
		var finalCore, finalExtra []string
		for _, id := range final {
			if slices.Contains(core, id) {
				finalCore = append(finalCore, id)
			} else {
				finalExtra = append(finalExtra, id)
			}
		}
		// The last call that committed set the core; unlinks may since have taken extras away.
		explained := false
		for g := range succeeded {
			if equal(finalCore, coreSet(g)) && subset(finalExtra, requested(g)) {
				explained = true
			}
		}
		// Phase one's winner stands when every call of this phase was refused.
		if len(succeeded) == 0 {
			explained = len(finalExtra) == 0
		}
		if !explained {
			t.Errorf("item's tags %v: no successful call's set explains them (successes %v)", final, succeeded)
		}
		if n := count(t, s, `SELECT count(*) FROM items_tags AS it JOIN items AS i ON i.id = it.item_id
			JOIN tags AS tg ON tg.id = it.tag_id WHERE i.store_id <> tg.store_id OR it.store_id <> i.store_id`); n != 0 {
			t.Errorf("%d links cross stores", n)
		}
		if n := count(t, s, "SELECT count(*) FROM items_tags AS it WHERE NOT EXISTS (SELECT 1 FROM tags WHERE id = it.tag_id)"); n != 0 {
			t.Errorf("%d links name a deleted tag", n)
		}
	})
}

func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b)) })
	return out
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
