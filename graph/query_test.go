package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/apitest"
)

// connJSON is a page of any of the three connections.
type connJSON struct {
	TotalCount int
	Nodes      []struct{ ID, Name string }
	Edges      []struct {
		Cursor string
		Node   struct{ ID string }
	}
	PageInfo pageInfoJSON
}

func (c connJSON) names() []string {
	out := []string{}
	for _, n := range c.Nodes {
		out = append(out, n.Name)
	}
	return out
}

const connectionFields = `totalCount nodes { id name } edges { cursor node { id } }
	pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

func TestLookups(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Corner Books")
	dune := s.CreateItem(t, storeID, "Dune", 9.99)
	s.CreateItem(t, storeID, "Emma", 5)
	fiction := s.CreateTag(t, storeID, "fiction")
	s.CreateTag(t, storeID, "used")
	s.Link(t, dune, fiction)

	t.Run("StoreWithItemsAndTags", func(t *testing.T) {
		t.Parallel()
		var out struct{ Store storeJSON }
		s.MustPost(t, `query($id: ID!) { store(id: $id) { id name itemCount tagCount items { name } tags { name } } }`,
			map[string]any{"id": storeID}, &out)
		got := out.Store
		if got.ID != storeID || got.Name != "Corner Books" || got.ItemCount != 2 || got.TagCount != 2 ||
			itemNames(got.Items) != "Dune, Emma" || tagNames(got.Tags) != "fiction, used" {
			t.Errorf("store(%s) = %+v; want Corner Books with Dune, Emma and fiction, used", storeID, got)
		}
	})

	t.Run("ItemWithStoreAndTags", func(t *testing.T) {
		t.Parallel()
		var out struct{ Item itemJSON }
		s.MustPost(t, `query($id: ID!) { item(id: $id) { id name price tagCount tags { name } store { id name } } }`,
			map[string]any{"id": dune}, &out)
		got := out.Item
		if got.ID != dune || got.Name != "Dune" || got.Price != "9.99" || got.TagCount != 1 || tagNames(got.Tags) != "fiction" ||
			got.Store == nil || got.Store.ID != storeID {
			t.Errorf("item(%s) = %+v (store %+v); want Dune at 9.99 tagged fiction in store %s", dune, got, got.Store, storeID)
		}
	})

	t.Run("TagWithStoreAndItems", func(t *testing.T) {
		t.Parallel()
		var out struct{ Tag tagJSON }
		s.MustPost(t, `query($id: ID!) { tag(id: $id) { id name itemCount items { name } store { id name } } }`,
			map[string]any{"id": fiction}, &out)
		got := out.Tag
		if got.ID != fiction || got.Name != "fiction" || got.ItemCount != 1 || itemNames(got.Items) != "Dune" ||
			got.Store == nil || got.Store.ID != storeID {
			t.Errorf("tag(%s) = %+v (store %+v); want fiction on Dune in store %s", fiction, got, got.Store, storeID)
		}
	})
}

func TestConnectionsPaginate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Five of each, ids in creation order.
	paging := s.CreateStore(t, "Store 1")
	for i := 2; i <= 5; i++ {
		s.CreateStore(t, fmt.Sprintf("Store %d", i))
	}
	for i := 1; i <= 5; i++ {
		s.CreateItem(t, paging, fmt.Sprintf("Item %d", i), float64(i))
		s.CreateTag(t, paging, fmt.Sprintf("Tag %d", i))
	}

	for _, table := range []string{"stores", "items", "tags"} {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			var want []string
			if err := s.DB().NewRaw("SELECT id::text FROM ? ORDER BY id", bun.Ident(table)).Scan(context.Background(), &want); err != nil {
				t.Fatal(err)
			}
			query := fmt.Sprintf(`query($first: Int, $after: String) { list: %s(first: $first, after: $after) { %s } }`, table, connectionFields)
			page := func(t *testing.T, first int, after *string) connJSON {
				t.Helper()
				vars := map[string]any{"first": first}
				if after != nil {
					vars["after"] = *after
				}
				var out struct{ List connJSON }
				s.MustPost(t, query, vars, &out)
				return out.List
			}

			// Pages of two follow each other through endCursor and cover every row once.
			var got []string
			var after, lastEnd *string
			for i := 1; ; i++ {
				p := page(t, 2, after)
				if p.TotalCount != len(want) {
					t.Errorf("page %d totalCount = %d; want %d", i, p.TotalCount, len(want))
				}
				if len(p.Nodes) != len(p.Edges) {
					t.Fatalf("page %d has %d nodes and %d edges; want as many", i, len(p.Nodes), len(p.Edges))
				}
				for j, n := range p.Nodes {
					if p.Edges[j].Node.ID != n.ID {
						t.Errorf("page %d edge %d node = %s; want %s, as in nodes", i, j, p.Edges[j].Node.ID, n.ID)
					}
					got = append(got, n.ID)
				}
				if len(p.Nodes) > 0 {
					if p.PageInfo.StartCursor == nil || *p.PageInfo.StartCursor != p.Edges[0].Cursor ||
						p.PageInfo.EndCursor == nil || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor {
						t.Errorf("page %d pageInfo = %+v; want the cursors of its first and last edges", i, p.PageInfo)
					}
				}
				if p.PageInfo.HasPreviousPage != (i > 1) {
					t.Errorf("page %d hasPreviousPage = %t; want %t", i, p.PageInfo.HasPreviousPage, i > 1)
				}
				wantNext := len(got) < len(want)
				if p.PageInfo.HasNextPage != wantNext {
					t.Errorf("page %d hasNextPage = %t; want %t", i, p.PageInfo.HasNextPage, wantNext)
				}
				if !p.PageInfo.HasNextPage || i > len(want) {
					lastEnd = p.PageInfo.EndCursor
					break
				}
				after = p.PageInfo.EndCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("ids over all pages: got %v; want %v", got, want)
			}

			// After the last row: an empty page with no cursors.
			last := page(t, 2, lastEnd)
			if len(last.Nodes) != 0 || last.PageInfo.HasNextPage || !last.PageInfo.HasPreviousPage ||
				last.PageInfo.StartCursor != nil || last.PageInfo.EndCursor != nil {
				t.Errorf("page after the last row = %+v; want empty, with a previous page and no cursors", last)
			}

			// first: 0 counts without returning rows.
			zero := page(t, 0, nil)
			if len(zero.Nodes) != 0 || len(zero.Edges) != 0 || zero.TotalCount != len(want) || !zero.PageInfo.HasNextPage {
				t.Errorf("first: 0 = %+v; want no rows, totalCount %d and a next page", zero, len(want))
			}

			// first: 100 is the largest page.
			if all := page(t, 100, nil); len(all.Nodes) != len(want) || all.PageInfo.HasNextPage {
				t.Errorf("first: 100 returned %d rows, hasNextPage %t; want %d and false", len(all.Nodes), all.PageInfo.HasNextPage, len(want))
			}
		})
	}
}

func TestConnectionDefaultsToTwentyRows(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	exec(t, s, "INSERT INTO stores (name) SELECT 'store ' || g FROM generate_series(1, 25) AS g")
	exec(t, s, "INSERT INTO items (store_id, name, price) SELECT 1, 'item ' || g, g FROM generate_series(1, 25) AS g")
	exec(t, s, "INSERT INTO tags (store_id, name) SELECT 1, 'tag ' || g FROM generate_series(1, 25) AS g")
	for _, table := range []string{"stores", "items", "tags"} {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			var out struct{ List connJSON }
			s.MustPost(t, fmt.Sprintf(`{ list: %s { %s } }`, table, connectionFields), nil, &out)
			if got := out.List; len(got.Nodes) != 20 || got.TotalCount != 25 || !got.PageInfo.HasNextPage {
				t.Errorf("%s without first: %d rows of %d, hasNextPage %t; want 20 of 25 and true",
					table, len(got.Nodes), got.TotalCount, got.PageInfo.HasNextPage)
			}
		})
	}
}

func TestConnectionArgumentsRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Arguments")
	s.CreateItem(t, storeID, "Dune", 9.99)
	s.CreateTag(t, storeID, "fiction")
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	for _, tc := range []struct {
		name string
		args string
	}{
		{"FirstOverHundred", `first: 101`},
		{"FirstNegative", `first: -1`},
		{"CursorNotBase64", `after: "not a cursor!"`},
		{"CursorEmpty", `after: ""`},
		{"CursorOfGarbage", `after: "abc"`},
		{"CursorWithoutPrefix", fmt.Sprintf(`after: %q`, cursor("1"))},
		{"CursorWithBadID", fmt.Sprintf(`after: %q`, cursor("cursor:abc"))},
		{"CursorWithZeroID", fmt.Sprintf(`after: %q`, cursor("cursor:0"))},
	} {
		for _, table := range []string{"stores", "items", "tags"} {
			t.Run(table+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				r := s.Post(t, fmt.Sprintf(`{ %s(%s) { totalCount nodes { id } } }`, table, tc.args), nil)
				wantCode(t, r, "BAD_USER_INPUT")
				wantNullField(t, r, table)
			})
		}
	}
}

func TestItemFilters(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.CreateStore(t, "Filter A")
	b := s.CreateStore(t, "Filter B")
	redShirt := s.CreateItem(t, a, "Red Shirt", 19.99)
	s.CreateItem(t, a, "Blue Shirt", 20)
	redHat := s.CreateItem(t, a, "Red Hat", 5)
	s.CreateItem(t, a, "Socks", 0)
	s.CreateItem(t, b, "Red Scarf", 19.98)
	s.CreateItem(t, b, "Shirt Box", 100)
	sale := s.CreateTag(t, a, "sale")
	empty := s.CreateTag(t, b, "empty")
	s.Link(t, redShirt, sale)
	s.Link(t, redHat, sale)

	for _, tc := range []struct {
		name   string
		filter map[string]any
		want   []string // names, in id order
	}{
		{"NoFilter", map[string]any{}, []string{"Red Shirt", "Blue Shirt", "Red Hat", "Socks", "Red Scarf", "Shirt Box"}},
		{"StoreID", map[string]any{"storeId": a}, []string{"Red Shirt", "Blue Shirt", "Red Hat", "Socks"}},
		{"TagID", map[string]any{"tagId": sale}, []string{"Red Shirt", "Red Hat"}},
		{"TagIDOfUnusedTag", map[string]any{"tagId": empty}, []string{}},
		{"NameContainsIgnoresCase", map[string]any{"nameContains": "sHIRT"}, []string{"Red Shirt", "Blue Shirt", "Shirt Box"}},
		{"MinPriceIncludesEqualPrice", map[string]any{"minPrice": 19.99}, []string{"Red Shirt", "Blue Shirt", "Shirt Box"}},
		{"MaxPriceIncludesEqualPrice", map[string]any{"maxPrice": 19.99}, []string{"Red Shirt", "Red Hat", "Socks", "Red Scarf"}},
		{"MinAndMaxPriceOneCent", map[string]any{"minPrice": 19.99, "maxPrice": 19.99}, []string{"Red Shirt"}},
		{"MaxPriceZero", map[string]any{"maxPrice": 0}, []string{"Socks"}},
		{"MinPriceAboveMaxPrice", map[string]any{"minPrice": 20, "maxPrice": 10}, []string{}},
		{"StoreNameAndPrice", map[string]any{"storeId": a, "nameContains": "red", "maxPrice": 10}, []string{"Red Hat"}},
		{"TagAndMinPrice", map[string]any{"tagId": sale, "minPrice": 10}, []string{"Red Shirt"}},
		{"StoreAndTagOfAnotherStore", map[string]any{"storeId": b, "tagId": sale}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkFilteredPages(t, s, "items", "ItemFilter", tc.filter, tc.want)
		})
	}
}

func TestTagAndStoreFilters(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.CreateStore(t, "Corner Books")
	b := s.CreateStore(t, "Bean There Coffee")
	s.CreateStore(t, "Book Nook")
	for _, n := range []string{"Used Books", "signed", "used vinyl"} {
		s.CreateTag(t, a, n)
	}
	for _, n := range []string{"USED grinders", "decaf"} {
		s.CreateTag(t, b, n)
	}

	for _, tc := range []struct {
		name   string
		list   string
		filter map[string]any
		want   []string
	}{
		{"StoresNameContains", "stores", map[string]any{"nameContains": "BOO"}, []string{"Corner Books", "Book Nook"}},
		{"StoresNameContainsNothing", "stores", map[string]any{"nameContains": "tea"}, []string{}},
		{"StoresEmptyNameContainsIsNoFilter", "stores", map[string]any{"nameContains": ""}, []string{"Corner Books", "Bean There Coffee", "Book Nook"}},
		{"TagsStoreID", "tags", map[string]any{"storeId": b}, []string{"USED grinders", "decaf"}},
		{"TagsNameContains", "tags", map[string]any{"nameContains": "used"}, []string{"Used Books", "used vinyl", "USED grinders"}},
		{"TagsStoreAndNameContains", "tags", map[string]any{"storeId": a, "nameContains": "Used"}, []string{"Used Books", "used vinyl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			filterType := map[string]string{"stores": "StoreFilter", "tags": "TagFilter"}[tc.list]
			checkFilteredPages(t, s, tc.list, filterType, tc.filter, tc.want)
		})
	}
}

// checkFilteredPages reads a filtered list whole and a page of one row at a time, and
// checks the names and that totalCount counts what the filter matches on every page.
func checkFilteredPages(t *testing.T, s *apitest.Server, list, filterType string, filter map[string]any, want []string) {
	t.Helper()
	query := fmt.Sprintf(`query($f: %s, $first: Int, $after: String) {
		list: %s(filter: $f, first: $first, after: $after) { %s } }`, filterType, list, connectionFields)
	var all struct{ List connJSON }
	s.MustPost(t, query, map[string]any{"f": filter, "first": 100}, &all)
	if got := all.List.names(); !slices.Equal(got, want) || all.List.TotalCount != len(want) {
		t.Errorf("%s(filter: %v) = %q with totalCount %d; want %q with totalCount %d",
			list, filter, got, all.List.TotalCount, want, len(want))
	}

	var paged []string
	var after *string
	for range len(want) + 1 {
		vars := map[string]any{"f": filter, "first": 1}
		if after != nil {
			vars["after"] = *after
		}
		var out struct{ List connJSON }
		s.MustPost(t, query, vars, &out)
		if out.List.TotalCount != len(want) {
			t.Errorf("%s(filter: %v) page after %d rows: totalCount %d; want %d", list, filter, len(paged), out.List.TotalCount, len(want))
		}
		paged = append(paged, out.List.names()...)
		if !out.List.PageInfo.HasNextPage {
			break
		}
		after = out.List.PageInfo.EndCursor
	}
	if !slices.Equal(paged, want) && !(len(paged) == 0 && len(want) == 0) {
		t.Errorf("%s(filter: %v) one row a page = %q; want %q", list, filter, paged, want)
	}
}

func TestNameContainsMatchesLiterally(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	names := []string{"100% cotton", "100 percent", "a_b", "axb", `back\slash`, "backslash", "O'Brien", "OBrien"}
	parent := s.CreateStore(t, "Literal Parent")
	for _, n := range names {
		s.CreateStore(t, n)
		s.CreateItem(t, parent, n, 1)
		s.CreateTag(t, parent, n)
	}
	storeNames := append([]string{"Literal Parent"}, names...)

	for _, pattern := range []string{"%", "0%", "_", "a_", `\`, `k\s`, `\\`, "'", "%_", "A_B"} {
		for _, list := range []string{"stores", "items", "tags"} {
			t.Run(list+"/"+pattern, func(t *testing.T) {
				t.Parallel()
				candidates := names
				if list == "stores" {
					candidates = storeNames
				}
				want := []string{}
				for _, n := range candidates {
					if strings.Contains(strings.ToLower(n), strings.ToLower(pattern)) {
						want = append(want, n)
					}
				}
				var out struct{ List connJSON }
				s.MustPost(t, fmt.Sprintf(`query($p: String) { list: %s(first: 100, filter: {nameContains: $p}) { %s } }`, list, connectionFields),
					map[string]any{"p": pattern}, &out)
				if got := out.List.names(); !slices.Equal(got, want) || out.List.TotalCount != len(want) {
					t.Errorf("%s(nameContains: %q) = %q with totalCount %d; want %q with totalCount %d",
						list, pattern, got, out.List.TotalCount, want, len(want))
				}
			})
		}
	}
}

func TestNestedListArguments(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Nested Arguments")
	item := s.CreateItem(t, storeID, "Dune", 9.99)
	tag := s.CreateTag(t, storeID, "fiction")
	s.Link(t, item, tag)

	for _, tc := range []struct {
		name  string
		query string // $id is the fixture's store, item or tag
		id    string
		code  string // "" when the list must come back empty
	}{
		{"StoreItemsFirstNegative", `query($id: ID!) { store(id: $id) { items(first: -1) { id } } }`, storeID, "BAD_USER_INPUT"},
		{"StoreItemsOffsetNegative", `query($id: ID!) { store(id: $id) { items(offset: -1) { id } } }`, storeID, "BAD_USER_INPUT"},
		{"StoreTagsFirstNegative", `query($id: ID!) { store(id: $id) { tags(first: -1) { id } } }`, storeID, "BAD_USER_INPUT"},
		{"StoreTagsOffsetNegative", `query($id: ID!) { store(id: $id) { tags(offset: -1) { id } } }`, storeID, "BAD_USER_INPUT"},
		{"ItemTagsFirstNegative", `query($id: ID!) { item(id: $id) { tags(first: -1) { id } } }`, item, "BAD_USER_INPUT"},
		{"ItemTagsOffsetNegative", `query($id: ID!) { item(id: $id) { tags(offset: -5) { id } } }`, item, "BAD_USER_INPUT"},
		{"TagItemsFirstNegative", `query($id: ID!) { tag(id: $id) { items(first: -1) { id } } }`, tag, "BAD_USER_INPUT"},
		{"TagItemsOffsetNegative", `query($id: ID!) { tag(id: $id) { items(offset: -1) { id } } }`, tag, "BAD_USER_INPUT"},
		{"ConnectionNodesNegative", `query($id: String) { stores(filter: {nameContains: $id}) { nodes { items(first: -1) { id } } } }`, "Nested", "BAD_USER_INPUT"},
		{"StoreItemsFirstZeroIsEmpty", `query($id: ID!) { store(id: $id) { items(first: 0) { id } } }`, storeID, ""},
		{"ItemTagsOffsetPastEndIsEmpty", `query($id: ID!) { item(id: $id) { tags(offset: 1) { id } } }`, item, ""},
		{"TagItemsFirstZeroIsEmpty", `query($id: ID!) { tag(id: $id) { items(first: 0) { id } } }`, tag, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.Post(t, tc.query, map[string]any{"id": tc.id})
			if tc.code != "" {
				wantCode(t, r, tc.code)
				return
			}
			if len(r.Errors) > 0 {
				t.Fatalf("got errors %+v; want an empty list", r.Errors)
			}
			for _, want := range []string{`"items":[]`, `"tags":[]`} {
				if strings.Contains(string(r.Data), want) {
					return
				}
			}
			t.Errorf("got data %s; want an empty list", r.Data)
		})
	}
}

// TestSelectionFeatures checks that relationship lists honour what GraphQL lets a client
// write around them: aliases with different arguments, fragments, __typename, directives,
// variables in nested arguments, and the same field selected twice.
func TestSelectionFeatures(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Store 1: items 099, 098, 097, 096 (ids 1-4, prices 7.5, 5, 2.5, 0) and tags 099, 098,
	// 097 (ids 1-3); item 1 has tags 099 and 097, item 2 has 098 and 097. Store 2 has tags
	// 099 to 096.
	seedStores(t, s, 2)

	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  string
	}{
		{"AliasesWithDifferentArguments",
			`{ store(id: "1") { a: items(first: 1) { name } b: items(first: 2, orderBy: NAME) { n: name p: price } } }`, nil,
			`{"store":{"a":[{"name":"item 099"}],"b":[{"n":"item 096","p":0},{"n":"item 097","p":2.5}]}}`},
		{"FragmentsAndTypename",
			`{ store(id: "1") { items(first: 1) { __typename name ...F } } }
			fragment F on Item { price tags(first: 1) { ... on Tag { name } } }`, nil,
			`{"store":{"items":[{"__typename":"Item","name":"item 099","price":7.5,"tags":[{"name":"tag 099"}]}]}}`},
		{"DirectivesAndVariables",
			`query($skip: Boolean!, $f: Int) { store(id: "1") { items(first: $f) { name price @skip(if: $skip) tags @include(if: $skip) { name } } } }`,
			map[string]any{"skip": true, "f": 2},
			`{"store":{"items":[{"name":"item 099","tags":[{"name":"tag 099"},{"name":"tag 097"}]},{"name":"item 098","tags":[{"name":"tag 098"},{"name":"tag 097"}]}]}}`},
		{"NodesAndEdgesTogether",
			`{ stores(first: 1) { nodes { name items(first: 1) { name } } edges { node { tags(first: 1) { name } } } } }`, nil,
			`{"stores":{"nodes":[{"name":"store 001","items":[{"name":"item 099"}]}],"edges":[{"node":{"tags":[{"name":"tag 099"}]}}]}}`},
		{"BackToTheStoreFromBelow",
			`{ item(id: "1") { tags { items(first: 1) { store { name tags(first: 1) { name } } } } } }`, nil,
			`{"item":{"tags":[{"items":[{"store":{"name":"store 001","tags":[{"name":"tag 099"}]}}]},{"items":[{"store":{"name":"store 001","tags":[{"name":"tag 099"}]}}]}]}}`},
		{"SameFieldTwiceMerged",
			`{ store(id: "1") { items(first: 2) { name } items(first: 2) { price } } }`, nil,
			`{"store":{"items":[{"name":"item 099","price":7.5},{"name":"item 098","price":5}]}}`},
		{"PerParentOffsetUnderAliases",
			`{ stores(first: 2) { nodes { t: tags(first: 1) { name } u: tags(first: 1, offset: 1) { name } } } }`, nil,
			`{"stores":{"nodes":[{"t":[{"name":"tag 099"}],"u":[{"name":"tag 098"}]},{"t":[{"name":"tag 099"}],"u":[{"name":"tag 098"}]}]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.Post(t, tc.query, tc.vars)
			if len(r.Errors) > 0 {
				t.Fatalf("got errors %+v; want %s", r.Errors, tc.want)
			}
			var got, want any
			r.Decode(t, &got)
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", r.Data, tc.want)
			}
		})
	}
}

// TestMalformedRequestsKeepGqlgenCodes checks that parse and validation errors keep the
// codes gqlgen gives them.
func TestMalformedRequestsKeepGqlgenCodes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tc := range []struct {
		name  string
		query string
		code  string
	}{
		{"Unparsable", `{ stores { totalCount `, "GRAPHQL_PARSE_FAILED"},
		{"UnknownField", `{ stores { nope } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"MissingArgument", `{ store { id } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"WrongArgumentType", `{ stores(first: "ten") { totalCount } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"UnknownOrder", `{ stores { nodes { items(orderBy: COLOUR) { id } } } }`, "GRAPHQL_VALIDATION_FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.Post(t, tc.query, nil)
			wantCode(t, r, tc.code)
		})
	}
}
