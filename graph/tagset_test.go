package graph_test

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/catalog"
)

// tagSetQuery asks for everything a tag-set filter answers: the count, a page with each
// item's tags, and the facets.
const tagSetQuery = `query($f: ItemFilter, $first: Int, $after: String, $facets: Int) {
	items(first: $first, after: $after, filter: $f) {
		totalCount
		nodes { id name tags { id } }
		pageInfo { hasNextPage endCursor }
		tagFacets(first: $facets) { count tag { id name } }
	} }`

type facetJSON struct {
	Count int
	Tag   tagJSON
}

type tagSetJSON struct {
	Items struct {
		TotalCount int
		Nodes      []itemJSON
		PageInfo   pageInfoJSON
		TagFacets  []facetJSON
	}
}

// shop is a small catalog built through the API: item i carries the tags links[i] names.
type shop struct {
	store, other string
	items, tags  map[string]string // by name
	otherTag     string
	links        map[string][]string
	order        []string // item names in id order
}

func newShop(t *testing.T, s *apitest.Server, prefix string) shop {
	t.Helper()
	sh := shop{items: map[string]string{}, tags: map[string]string{}, links: map[string][]string{
		"apple":  {"organic", "fruit"},
		"banana": {"organic", "fruit", "sweet"},
		"cherry": {"fruit", "sweet"},
		"decaf":  {"organic", "coffee", "decaf"},
		"espres": {"organic", "coffee"},
		"flour":  {},
	}}
	sh.store = s.CreateStore(t, prefix+" grocer")
	for _, tg := range []string{"organic", "fruit", "sweet", "coffee", "decaf", "unused"} {
		sh.tags[tg] = s.CreateTag(t, sh.store, tg)
	}
	sh.order = []string{"apple", "banana", "cherry", "decaf", "espres", "flour"}
	for _, it := range sh.order {
		sh.items[it] = s.CreateItem(t, sh.store, it, 1)
		for _, tg := range sh.links[it] {
			s.Link(t, sh.items[it], sh.tags[tg])
		}
	}
	sh.other = s.CreateStore(t, prefix+" other")
	sh.otherTag = s.CreateTag(t, sh.other, "organic")
	otherItem := s.CreateItem(t, sh.other, "apple", 1)
	s.Link(t, otherItem, sh.otherTag)
	return sh
}

// want works out what a tag match over the shop's store answers: item names in id order,
// and facets as "tag:count" most first, ties by tag id.
func (sh shop) want(all, anyOf, none []string) (names []string, facets []string) {
	has := func(it, tg string) bool { return slices.Contains(sh.links[it], tg) }
	counts := map[string]int{}
	names = []string{}
	for _, it := range sh.order {
		ok := true
		for _, tg := range all {
			ok = ok && has(it, tg)
		}
		if len(anyOf) > 0 && !slices.ContainsFunc(anyOf, func(tg string) bool { return has(it, tg) }) {
			ok = false
		}
		if slices.ContainsFunc(none, func(tg string) bool { return has(it, tg) }) {
			ok = false
		}
		if ok {
			names = append(names, it)
			for _, tg := range sh.links[it] {
				counts[tg]++
			}
		}
	}
	tags := []string{}
	for tg := range counts {
		tags = append(tags, tg)
	}
	slices.SortFunc(tags, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(dbIDText(sh.tags[a]), dbIDText(sh.tags[b])))
	})
	facets = []string{}
	for _, tg := range tags {
		facets = append(facets, fmt.Sprintf("%s:%d", tg, counts[tg]))
	}
	return names, facets
}

func dbIDText(id string) int { n := 0; fmt.Sscan(id, &n); return n }

func (sh shop) ids(names ...string) []string {
	out := []string{}
	for _, n := range names {
		if id, ok := sh.tags[n]; ok {
			out = append(out, id)
		} else {
			out = append(out, n) // an id given as it is
		}
	}
	return out
}

func facetText(fs []facetJSON) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d", f.Tag.Name, f.Count))
	}
	return out
}

func TestTagMatch(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	sh := newShop(t, s, "tagmatch")
	const unknown = "987654321"

	for _, tc := range []struct {
		name             string
		all, anyOf, none []string // tag names, or ids as they are
		wantAll          []string // what to expect when it differs from the names' meaning
		wantAny          []string
	}{
		{name: "All", all: []string{"organic", "fruit"}},
		{name: "AllWithDuplicates", all: []string{"organic", "fruit", "organic"}, wantAll: []string{"organic", "fruit"}},
		{name: "AllAndNone", all: []string{"organic"}, none: []string{"decaf"}},
		{name: "Any", anyOf: []string{"sweet", "coffee"}},
		{name: "AnyAndNone", anyOf: []string{"fruit", "coffee"}, none: []string{"sweet", "decaf"}},
		{name: "AllAnyNone", all: []string{"organic"}, anyOf: []string{"fruit", "coffee"}, none: []string{"sweet"}},
		{name: "None", none: []string{"organic"}},
		{name: "UnusedTagInAllMatchesNothing", all: []string{"organic", "unused"}},
		{name: "UnknownTagInAllMatchesNothing", all: []string{"organic", unknown}, wantAll: []string{"organic", "unused"}},
		{name: "OtherStoresTagInAllMatchesNothing", all: []string{"organic", sh.otherTag}, wantAll: []string{"organic", "unused"}},
		{name: "UnknownTagInAnyAddsNone", anyOf: []string{"coffee", unknown, sh.otherTag}, wantAny: []string{"coffee"}},
		{name: "UnknownTagInNoneExcludesNone", none: []string{unknown, sh.otherTag, "decaf"}},
		{name: "EmptyListsAreNoCondition", all: []string{}, anyOf: []string{}, none: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantAll, wantAny := tc.all, tc.anyOf
			if tc.wantAll != nil {
				wantAll = tc.wantAll
			}
			if tc.wantAny != nil {
				wantAny = tc.wantAny
			}
			names, facets := sh.want(wantAll, wantAny, tc.none)
			match := map[string]any{"all": sh.ids(tc.all...), "any": sh.ids(tc.anyOf...), "none": sh.ids(tc.none...)}
			vars := map[string]any{"f": map[string]any{"storeId": sh.store, "tags": match}, "first": 100, "facets": 100}
			var out tagSetJSON
			s.MustPost(t, tagSetQuery, vars, &out)
			if got := itemNames(out.Items.Nodes); got != strings.Join(names, ", ") {
				t.Errorf("items = %q; want %q", got, strings.Join(names, ", "))
			}
			if out.Items.TotalCount != len(names) {
				t.Errorf("totalCount = %d; want %d", out.Items.TotalCount, len(names))
			}
			if got := facetText(out.Items.TagFacets); !reflect.DeepEqual(got, facets) {
				t.Errorf("tagFacets = %v; want %v", got, facets)
			}
		})
	}

	t.Run("NoConditionForms", func(t *testing.T) {
		t.Parallel()
		names, facets := sh.want(nil, nil, nil)
		for _, match := range []any{nil, map[string]any{}, map[string]any{"all": nil, "any": nil, "none": nil}} {
			var out tagSetJSON
			s.MustPost(t, tagSetQuery, map[string]any{"f": map[string]any{"storeId": sh.store, "tags": match}, "first": 100, "facets": 100}, &out)
			if got := itemNames(out.Items.Nodes); got != strings.Join(names, ", ") || out.Items.TotalCount != len(names) {
				t.Errorf("tags: %v: items %q (%d); want all %d", match, got, out.Items.TotalCount, len(names))
			}
			if got := facetText(out.Items.TagFacets); !reflect.DeepEqual(got, facets) {
				t.Errorf("tags: %v: tagFacets = %v; want %v", match, got, facets)
			}
		}
	})

	t.Run("CombinesWithOtherFiltersAcrossStores", func(t *testing.T) {
		t.Parallel()
		// No storeId: the other store's "organic" item matches its own tag only.
		var out tagSetJSON
		s.MustPost(t, tagSetQuery, map[string]any{"f": map[string]any{"nameContains": "APP",
			"tags": map[string]any{"any": []string{sh.tags["organic"], sh.otherTag}}}, "first": 100}, &out)
		if len(out.Items.Nodes) != 2 || out.Items.TotalCount != 2 {
			t.Fatalf("items = %+v (total %d); want both apples", out.Items.Nodes, out.Items.TotalCount)
		}
		if got := facetText(out.Items.TagFacets); !reflect.DeepEqual(got, []string{"organic:1", "fruit:1", "organic:1"}) {
			t.Errorf("tagFacets = %v; want organic:1, fruit:1, organic:1 (ties by tag id)", got)
		}
	})

	t.Run("FacetsAndCountIgnoreThePage", func(t *testing.T) {
		t.Parallel()
		names, facets := sh.want([]string{"organic"}, nil, nil)
		f := map[string]any{"storeId": sh.store, "tags": map[string]any{"all": sh.ids("organic")}}
		var seen []string
		var after any
		for page := 0; ; page++ {
			var out tagSetJSON
			s.MustPost(t, tagSetQuery, map[string]any{"f": f, "first": 1, "after": after, "facets": 3}, &out)
			if out.Items.TotalCount != len(names) {
				t.Errorf("page %d: totalCount = %d; want %d", page, out.Items.TotalCount, len(names))
			}
			if got := facetText(out.Items.TagFacets); !reflect.DeepEqual(got, facets[:3]) {
				t.Errorf("page %d: tagFacets = %v; want %v", page, got, facets[:3])
			}
			for _, n := range out.Items.Nodes {
				seen = append(seen, n.Name)
			}
			if !out.Items.PageInfo.HasNextPage {
				break
			}
			after = *out.Items.PageInfo.EndCursor
		}
		if !reflect.DeepEqual(seen, names) {
			t.Errorf("pages = %v; want %v", seen, names)
		}
	})

	t.Run("FacetsFirst", func(t *testing.T) {
		t.Parallel()
		var out tagSetJSON
		s.MustPost(t, tagSetQuery, map[string]any{"f": map[string]any{"storeId": sh.store}, "facets": 0}, &out)
		if len(out.Items.TagFacets) != 0 {
			t.Errorf("tagFacets(first: 0) = %v; want []", out.Items.TagFacets)
		}
		var def struct {
			Items struct{ TagFacets []facetJSON }
		}
		s.MustPost(t, `{ items { tagFacets { count } } }`, nil, &def)
		if len(def.Items.TagFacets) != 6 { // five used tags here, one in the other store
			t.Errorf("tagFacets without first: %d facets; want 6", len(def.Items.TagFacets))
		}
		for _, n := range []int{-1, 101} {
			r := s.Post(t, tagSetQuery, map[string]any{"facets": n})
			wantCode(t, r, "BAD_USER_INPUT")
			wantNullField(t, r, "items")
		}
	})

	t.Run("ListLimitsAndMalformedIDs", func(t *testing.T) {
		t.Parallel()
		many := func(n, distinct int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprint(1000000 + i%distinct)
			}
			return out
		}
		for _, key := range []string{"all", "any", "none"} {
			r := s.Post(t, tagSetQuery, map[string]any{"f": map[string]any{"tags": map[string]any{key: many(101, 101)}}})
			wantCode(t, r, "BAD_USER_INPUT")
			if !strings.Contains(r.Errors[0].Message, "at most 100 ids") {
				t.Errorf("%s: message %q; want one about 100 ids", key, r.Errors[0].Message)
			}
			// Duplicates count once: 150 entries naming 100 tags are fine.
			s.MustPost(t, tagSetQuery, map[string]any{"f": map[string]any{"tags": map[string]any{key: many(150, 100)}}}, nil)
			for _, bad := range malformedIDs {
				r := s.Post(t, tagSetQuery, map[string]any{"f": map[string]any{"tags": map[string]any{key: []string{sh.tags["organic"], bad}}}})
				wantCode(t, r, "BAD_USER_INPUT")
			}
		}
	})
}

// TestTagSetStatements checks that a tag-set query costs the same statements whatever the
// rows and the ids: one, for the page with its items' tags, the count and the facets.
func TestTagSetStatements(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tagIDs := func(limit int) []string {
		var ids []int64
		if err := s.DB().NewRaw("SELECT id FROM tags ORDER BY id LIMIT ?", limit).Scan(t.Context(), &ids); err != nil {
			t.Fatal(err)
		}
		return mapSlice(ids, idText)
	}
	vars := func(ids []string) map[string]any {
		return map[string]any{"first": 100, "facets": 100, "f": map[string]any{"tags": map[string]any{
			"any": ids, "none": ids[:1], "all": ids[len(ids)-1:]}}}
	}
	query := `query($f: ItemFilter, $first: Int, $facets: Int) { items(first: $first, filter: $f) {
		totalCount nodes { name tags(orderBy: NAME) { name } } tagFacets(first: $facets) { count tag { name } } } }`

	seedStores(t, s, 1)
	small, smallCost := measure(t, s, query, vars(tagIDs(2)))
	seedStores(t, s, 49)
	// The last tag of the first 100 is carried by several items, which the large run must
	// find along with the others.
	large, largeCost := measure(t, s, query, map[string]any{"first": 100, "facets": 100,
		"f": map[string]any{"tags": map[string]any{"any": tagIDs(100), "none": tagIDs(100)[:1]}}})
	t.Logf("tag-set query: %d statements for 1 store and 2 ids, %d for 50 stores and 100 ids", smallCost, largeCost)
	if len(large.Data) <= len(small.Data) {
		t.Fatalf("answers: %d bytes for the large run, %d for the small one; want more", len(large.Data), len(small.Data))
	}
	const want = 1
	if smallCost != want || largeCost != want {
		t.Errorf("statements: got %d and %d; want %d (page with its tags, count and facets)", smallCost, largeCost, want)
	}
}

// TestItemsWithSummaryLists checks that the page read with its count and facets gives its
// items the same tags lists, whatever their arguments, as the page read on its own.
func TestItemsWithSummaryLists(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	seedStores(t, s, 3)
	const nodes = `nodes { id a: tags(first: 2, offset: 1, orderBy: NAME) { id } b: tags { name } c: tags(first: 0) { id } }`
	for _, vars := range []map[string]any{
		{"first": 7, "after": nil},
		{"first": 5, "after": catalog.Cursor(5)},
		{"first": 100, "after": nil},
	} {
		var a, w struct{ Items struct{ Nodes []any } }
		s.MustPost(t, `query($first: Int, $after: String) { items(first: $first, after: $after) { `+nodes+` } }`, vars, &a)
		s.MustPost(t, `query($first: Int, $after: String) { items(first: $first, after: $after) { totalCount tagFacets(first: 3) { count } `+nodes+` } }`, vars, &w)
		if len(a.Items.Nodes) == 0 {
			t.Fatalf("%v: no items", vars)
		}
		if !reflect.DeepEqual(a.Items.Nodes, w.Items.Nodes) {
			t.Errorf("%v: with the summary, nodes = %v; want %v", vars, w.Items.Nodes, a.Items.Nodes)
		}
	}
}
