package graph_test

import (
	"cmp"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// seedStores adds n stores through SQL, each with its own number of items (3 to 7, prices
// with ties, names in reverse id order), tags (2 to 5, names in reverse id order) and links
// between them. Only the new stores get rows.
func seedStores(t *testing.T, s *apitest.Server, n int) {
	t.Helper()
	exec(t, s, `INSERT INTO stores (name)
		SELECT 'store ' || lpad(g::text, 3, '0') FROM generate_series(
			(SELECT count(*) FROM stores) + 1, (SELECT count(*) FROM stores) + ?) AS g`, n)
	exec(t, s, `INSERT INTO items (store_id, name, price)
		SELECT s.id, 'item ' || lpad((100 - k)::text, 3, '0'), ((k * 7) % 4) * 2.50
		FROM stores AS s CROSS JOIN LATERAL generate_series(1, 3 + (s.id % 5)::int) AS k
		WHERE NOT EXISTS (SELECT 1 FROM items WHERE store_id = s.id)
		ORDER BY s.id, k`)
	exec(t, s, `INSERT INTO tags (store_id, name)
		SELECT s.id, 'tag ' || lpad((100 - k)::text, 3, '0')
		FROM stores AS s CROSS JOIN LATERAL generate_series(1, 2 + (s.id % 4)::int) AS k
		WHERE NOT EXISTS (SELECT 1 FROM tags WHERE store_id = s.id)
		ORDER BY s.id, k`)
	exec(t, s, `INSERT INTO items_tags (item_id, tag_id, store_id)
		SELECT i.id, t.id, i.store_id FROM items AS i JOIN tags AS t ON t.store_id = i.store_id
		WHERE (i.id + t.id) % 3 <> 0
		  AND NOT EXISTS (SELECT 1 FROM items_tags WHERE store_id = i.store_id)`)
}

// dataset is the whole database, read behind the API's back, to work out what the API
// must answer.
type dataset struct {
	stores     []int64
	items      map[int64][]dsItem // by store, in id order
	tags       map[int64][]dsTag  // by store, in id order
	tagsOfItem map[int64][]dsTag  // in id order
	itemsOfTag map[int64][]dsItem // in id order
}

type dsItem struct {
	ID    int64  `bun:"id"`
	Store int64  `bun:"store_id"`
	Name  string `bun:"name"`
	Cents int64  `bun:"cents"`
}

type dsTag struct {
	ID    int64  `bun:"id"`
	Store int64  `bun:"store_id"`
	Name  string `bun:"name"`
}

func readDataset(t *testing.T, s *apitest.Server) dataset {
	t.Helper()
	ctx := context.Background()
	var items []dsItem
	var tags []dsTag
	var linkRows []struct {
		Item int64 `bun:"item_id"`
		Tag  int64 `bun:"tag_id"`
	}
	d := dataset{items: map[int64][]dsItem{}, tags: map[int64][]dsTag{}, tagsOfItem: map[int64][]dsTag{}, itemsOfTag: map[int64][]dsItem{}}
	for _, q := range []struct {
		sql  string
		dest any
	}{
		{"SELECT id FROM stores ORDER BY id", &d.stores},
		{"SELECT id, store_id, name, (price * 100)::bigint AS cents FROM items ORDER BY id", &items},
		{"SELECT id, store_id, name FROM tags ORDER BY id", &tags},
		{"SELECT item_id, tag_id FROM items_tags ORDER BY item_id, tag_id", &linkRows},
	} {
		if err := s.DB().NewRaw(q.sql).Scan(ctx, q.dest); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	itemByID, tagByID := map[int64]dsItem{}, map[int64]dsTag{}
	for _, it := range items {
		d.items[it.Store] = append(d.items[it.Store], it)
		itemByID[it.ID] = it
	}
	for _, tg := range tags {
		d.tags[tg.Store] = append(d.tags[tg.Store], tg)
		tagByID[tg.ID] = tg
	}
	for _, l := range linkRows {
		d.tagsOfItem[l.Item] = append(d.tagsOfItem[l.Item], tagByID[l.Tag])
		d.itemsOfTag[l.Tag] = append(d.itemsOfTag[l.Tag], itemByID[l.Item])
	}
	for _, list := range d.itemsOfTag {
		slices.SortFunc(list, func(a, b dsItem) int { return cmp.Compare(a.ID, b.ID) })
	}
	return d
}

// byPrice and byName sort copies as the API's orderBy does: ascending, ties broken by id.
func byPrice(items []dsItem) []dsItem {
	return slices.SortedStableFunc(slices.Values(items), func(a, b dsItem) int {
		return cmp.Or(cmp.Compare(a.Cents, b.Cents), cmp.Compare(a.ID, b.ID))
	})
}

func itemsByName(items []dsItem) []dsItem {
	return slices.SortedStableFunc(slices.Values(items), func(a, b dsItem) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

func tagsByName(tags []dsTag) []dsTag {
	return slices.SortedStableFunc(slices.Values(tags), func(a, b dsTag) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

// window applies first/offset as the API does (first < 0: no limit).
func window[T any](rows []T, first, offset int) []T {
	if offset >= len(rows) {
		return []T{}
	}
	rows = rows[offset:]
	if first >= 0 && first < len(rows) {
		rows = rows[:first]
	}
	return rows
}

func centsJSON(cents int64) json.Number {
	return json.Number(strconv.FormatFloat(float64(cents)/100, 'f', -1, 64))
}

func idText(n int64) string { return strconv.FormatInt(n, 10) }

// mapSlice maps rows into a non-nil slice, as JSON decoding makes for [].
func mapSlice[T, U any](rows []T, f func(T) U) []U {
	out := make([]U, 0, len(rows))
	for _, r := range rows {
		out = append(out, f(r))
	}
	return out
}

// The query shapes measured. nestedQuery is the one from the issue.
const (
	nestedQuery = `{ stores(first: 100) { nodes {
		name items { name price tags { name } } tags { name items { name } } itemCount } } }`
	pagedQuery = `{ stores(first: 100) { totalCount edges { cursor node {
		id tagCount
		items(first: 2, offset: 1, orderBy: PRICE) { id price tags(first: 1, orderBy: NAME) { id name } }
		tags(orderBy: NAME) { id name items(first: 2, orderBy: NAME) { id name } } } } } }`
	itemRoundTripQuery = `query($id: ID!) { item(id: $id) { name tags { name items { name tags { name } } } } }`
	tagRoundTripQuery  = `query($id: ID!) { tag(id: $id) { name items { name tags { name } } } }`
	itemsListQuery     = `{ items(first: 100) { nodes { name tagCount store { name } tags(orderBy: NAME) { name } } } }`
	tagsListQuery      = `{ tags(first: 100) { totalCount nodes { name store { name itemCount } items(first: 1, offset: 1) { name } itemCount } } }`
)

// wantNested is what nestedQuery must answer for d.
func wantNested(d dataset) []storeJSON {
	return mapSlice(d.stores, func(sid int64) storeJSON {
		return storeJSON{
			Name:      storeName(sid),
			ItemCount: len(d.items[sid]),
			Items: mapSlice(d.items[sid], func(it dsItem) itemJSON {
				return itemJSON{Name: it.Name, Price: centsJSON(it.Cents),
					Tags: mapSlice(d.tagsOfItem[it.ID], func(tg dsTag) tagJSON { return tagJSON{Name: tg.Name} })}
			}),
			Tags: mapSlice(d.tags[sid], func(tg dsTag) tagJSON {
				return tagJSON{Name: tg.Name,
					Items: mapSlice(d.itemsOfTag[tg.ID], func(it dsItem) itemJSON { return itemJSON{Name: it.Name} })}
			}),
		}
	})
}

// wantPaged is what pagedQuery must answer for d: each store's own slices, in order.
func wantPaged(d dataset) []storeJSON {
	return mapSlice(d.stores, func(sid int64) storeJSON {
		return storeJSON{
			ID:       idText(sid),
			TagCount: len(d.tags[sid]),
			Items: mapSlice(window(byPrice(d.items[sid]), 2, 1), func(it dsItem) itemJSON {
				return itemJSON{ID: idText(it.ID), Price: centsJSON(it.Cents),
					Tags: mapSlice(window(tagsByName(d.tagsOfItem[it.ID]), 1, 0), func(tg dsTag) tagJSON {
						return tagJSON{ID: idText(tg.ID), Name: tg.Name}
					})}
			}),
			Tags: mapSlice(tagsByName(d.tags[sid]), func(tg dsTag) tagJSON {
				return tagJSON{ID: idText(tg.ID), Name: tg.Name,
					Items: mapSlice(window(itemsByName(d.itemsOfTag[tg.ID]), 2, 0), func(it dsItem) itemJSON {
						return itemJSON{ID: idText(it.ID), Name: it.Name}
					})}
			}),
		}
	})
}

// storeName is the name seedStores gives store sid in a database that holds only seeded stores.
func storeName(sid int64) string {
	return "store " + strings.Repeat("0", 3-len(idText(sid))) + idText(sid)
}

// compareStores reports the first store that differs from what d says.
func compareStores(t *testing.T, what string, got, want []storeJSON) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d stores; want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			t.Errorf("%s: store #%d\n got %s\nwant %s", what, i+1, g, w)
			return
		}
	}
}

// measure sends one request and returns its response and the statements it cost.
func measure(t *testing.T, s *apitest.Server, query string, vars map[string]any) (*apitest.Response, int64) {
	t.Helper()
	before := s.Statements()
	r := s.Post(t, query, vars)
	n := s.Statements() - before
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v\nquery: %s", r.Errors, query)
	}
	return r, n
}

// TestStatementsDependOnShapeNotRows runs each query shape on a small data set and on a
// large one and checks that it costs the same, small, number of SQL statements on both:
// every relationship level is one batched statement, whatever the number of parents.
func TestStatementsDependOnShapeNotRows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		query string
		// most is the ceiling: one statement per list, count or relationship level.
		most int64
		// vars, when set, picks the query's variables: for a root item or tag, one with
		// few links for the small run and the busiest one for the large run.
		vars func(t *testing.T, s *apitest.Server, large bool) map[string]any
		// check, when set, compares the large answer with what the data set says.
		check func(t *testing.T, d dataset, r *apitest.Response)
	}{
		{name: "StoresItemsTagsBothWays", query: nestedQuery, most: 6,
			check: func(t *testing.T, d dataset, r *apitest.Response) {
				var out struct{ Stores struct{ Nodes []storeJSON } }
				r.Decode(t, &out)
				compareStores(t, "nested stores", out.Stores.Nodes, wantNested(d))
			}},
		{name: "StoresWithPagedOrderedLists", query: pagedQuery, most: 7,
			check: func(t *testing.T, d dataset, r *apitest.Response) {
				type edge struct {
					Cursor string
					Node   storeJSON
				}
				var out struct {
					Stores struct {
						TotalCount int
						Edges      []edge
					}
				}
				r.Decode(t, &out)
				if out.Stores.TotalCount != len(d.stores) {
					t.Errorf("totalCount = %d; want %d", out.Stores.TotalCount, len(d.stores))
				}
				nodes := mapSlice(out.Stores.Edges, func(e edge) storeJSON { return e.Node })
				compareStores(t, "paged and ordered lists", nodes, wantPaged(d))
			}},
		{name: "ItemTagsItemsTags", query: itemRoundTripQuery, most: 3,
			vars: func(t *testing.T, s *apitest.Server, large bool) map[string]any {
				return map[string]any{"id": busiest(t, s, large, "item_id")}
			}},
		{name: "TagItemsTags", query: tagRoundTripQuery, most: 2,
			vars: func(t *testing.T, s *apitest.Server, large bool) map[string]any {
				return map[string]any{"id": busiest(t, s, large, "tag_id")}
			}},
		{name: "ItemsWithStoreAndTags", query: itemsListQuery, most: 4},
		{name: "TagsWithStoreAndItems", query: tagsListQuery, most: 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			vars := func(large bool) map[string]any {
				if tc.vars == nil {
					return nil
				}
				return tc.vars(t, s, large)
			}

			seedStores(t, s, 1)
			small, smallCost := measure(t, s, tc.query, vars(false))
			seedStores(t, s, 49)
			large, largeCost := measure(t, s, tc.query, vars(true))
			t.Logf("%s: %d statements for the small data set, %d for 50 stores", tc.name, smallCost, largeCost)

			// The large answer must really hold more rows, or the comparison proves nothing.
			rows := func(r *apitest.Response) int {
				return strings.Count(string(r.Data), `"name"`) + strings.Count(string(r.Data), `"id"`)
			}
			if rows(large) <= rows(small) {
				t.Fatalf("rows answered: got %d for the large data set, %d for the small one; want more", rows(large), rows(small))
			}
			if largeCost != smallCost {
				t.Errorf("statements: got %d for the large data set, %d for the small one; want the same", largeCost, smallCost)
			}
			if largeCost > tc.most || smallCost > tc.most {
				t.Errorf("statements: got %d and %d; want at most %d, one per level", smallCost, largeCost, tc.most)
			}
			if tc.check != nil {
				tc.check(t, readDataset(t, s), large)
			}
		})
	}
}

// busiest returns the item (column "item_id") or tag (column "tag_id") with the fewest links
// for the small data set and the one with the most for the large data set; both have links.
func busiest(t *testing.T, s *apitest.Server, large bool, column string) string {
	t.Helper()
	order := "ASC"
	if large {
		order = "DESC"
	}
	var sid int64
	err := s.DB().NewRaw("SELECT "+column+" FROM items_tags GROUP BY "+column+" ORDER BY count(*) "+order+", "+column+" LIMIT 1").
		Scan(context.Background(), &sid)
	if err != nil {
		t.Fatalf("pick by %s: %v", column, err)
	}
	return idText(sid)
}
