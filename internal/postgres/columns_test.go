package postgres_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/postgres"
)

// TestEveryReadReadsEveryColumn checks that each column of stores, items and tags in the
// migrated database is a field of its model, and that every read of the model (by id, lists,
// relationship lists, points, summaries, the rows writes return) gives each field as stored.
// The fixture's rows have a value other than the zero value in every column, so a read that
// keeps a column list of its own, one column short, fails here.
func TestEveryReadReadsEveryColumn(t *testing.T) {
	t.Parallel()
	every := catalog.ListArgs{Limit: -1}
	firstTen := catalog.ListArgs{Limit: 10, Offset: 0, Order: catalog.ByName}
	t.Run("stores", func(t *testing.T) {
		t.Parallel()
		f := newColumnsFixture(t)
		checkReads(t, f, f.stores, func(s *catalog.Store) catalog.ID { return s.ID }, []namedRead[catalog.Store]{
			{"StoresByID", func(ctx context.Context) ([]*catalog.Store, error) { return f.st.StoresByID(ctx, f.storeIDs()) }},
			{"ListStores", func(ctx context.Context) ([]*catalog.Store, error) {
				rows, _, err := f.st.ListStores(ctx, catalog.StoreFilter{}, catalog.Page{First: 10})
				return rows, err
			}},
			{"StoresOfOwners", ofParents(f.user, every, f.st.StoresOfOwners)},
			{"StoresOfOwners first", ofParents(f.user, catalog.ListArgs{Limit: 1, Offset: 1}, f.st.StoresOfOwners)},
			{"UpdateStore", func(ctx context.Context) ([]*catalog.Store, error) {
				s := f.stores[f.store]
				row, err := f.st.UpdateStore(ctx, f.user, s.ID, s.Name)
				return []*catalog.Store{row}, err
			}},
			{"CreateStore", func(ctx context.Context) ([]*catalog.Store, error) {
				row, err := f.st.CreateStore(ctx, f.user, "a new store")
				return []*catalog.Store{row}, err
			}},
		})
	})
	t.Run("items", func(t *testing.T) {
		t.Parallel()
		f := newColumnsFixture(t)
		checkReads(t, f, f.items, func(i *catalog.Item) catalog.ID { return i.ID }, []namedRead[catalog.Item]{
			{"ItemsByID", func(ctx context.Context) ([]*catalog.Item, error) { return f.st.ItemsByID(ctx, keys(f.items)) }},
			{"ListItems", func(ctx context.Context) ([]*catalog.Item, error) {
				rows, _, err := f.st.ListItems(ctx, catalog.ItemFilter{StoreID: f.store}, catalog.Page{First: 10})
				return rows, err
			}},
			{"ListItemsWith", func(ctx context.Context) ([]*catalog.Item, error) {
				page, err := f.st.ListItemsWith(ctx, catalog.ItemFilter{StoreID: f.store}, catalog.Page{First: 10},
					postgres.ItemsAlso{Count: true, Facets: 5, Tags: &every})
				return page.Items, err
			}},
			{"ItemsOfStores", ofParents(f.store, every, f.st.ItemsOfStores)},
			{"ItemsOfStores first", ofParents(f.store, firstTen, f.st.ItemsOfStores)},
			{"ItemsOfTags", ofParents(f.tag, every, f.st.ItemsOfTags)},
			{"ItemsOfTags first", ofParents(f.tag, firstTen, f.st.ItemsOfTags)},
			{"ItemsOfTags of many tags", ofManyParents(f.tag, every, f.st.ItemsOfTags)},
			{"ItemWithTags", func(ctx context.Context) ([]*catalog.Item, error) {
				item, _, err := f.st.ItemWithTags(ctx, f.item, every)
				return []*catalog.Item{item}, err
			}},
			{"TagWithItems", func(ctx context.Context) ([]*catalog.Item, error) {
				_, items, err := f.st.TagWithItems(ctx, f.tag, firstTen)
				return items, err
			}},
			{"UpdateItem", func(ctx context.Context) ([]*catalog.Item, error) {
				row, err := f.st.UpdateItem(ctx, f.user, f.item, postgres.ItemChange{Name: &f.items[f.item].Name})
				return []*catalog.Item{row}, err
			}},
			{"LinkTag", func(ctx context.Context) ([]*catalog.Item, error) {
				item, _, err := f.st.LinkTag(ctx, f.user, f.item, f.tag)
				return []*catalog.Item{item}, err
			}},
			{"SetItemTags", func(ctx context.Context) ([]*catalog.Item, error) {
				item, _, _, err := f.st.SetItemTags(ctx, f.user, f.item, keys(f.tags))
				return []*catalog.Item{item}, err
			}},
			{"SetTagItems added and removed", func(ctx context.Context) ([]*catalog.Item, error) {
				items := keys(f.items)
				_, _, removed, err := f.st.SetTagItems(ctx, f.user, f.tag, items[:1])
				if err != nil {
					return nil, err
				}
				_, added, removedToo, err := f.st.SetTagItems(ctx, f.user, f.tag, items[1:])
				return slices.Concat(removed, added, removedToo), err
			}},
			{"CreateItem", func(ctx context.Context) ([]*catalog.Item, error) {
				item := &catalog.Item{StoreID: f.store, Name: "a new item", Price: 1234}
				return []*catalog.Item{item}, f.st.CreateItem(ctx, f.user, item, keys(f.tags))
			}},
		})
	})
	t.Run("tags", func(t *testing.T) {
		t.Parallel()
		f := newColumnsFixture(t)
		checkReads(t, f, f.tags, func(g *catalog.Tag) catalog.ID { return g.ID }, []namedRead[catalog.Tag]{
			{"TagsByID", func(ctx context.Context) ([]*catalog.Tag, error) { return f.st.TagsByID(ctx, keys(f.tags)) }},
			{"ListTags", func(ctx context.Context) ([]*catalog.Tag, error) {
				rows, _, err := f.st.ListTags(ctx, catalog.TagFilter{StoreID: f.store}, catalog.Page{First: 10})
				return rows, err
			}},
			{"TagFacets", func(ctx context.Context) ([]*catalog.Tag, error) {
				facets, err := f.st.TagFacets(ctx, catalog.ItemFilter{StoreID: f.store}, 5)
				return facetTags(facets), err
			}},
			{"ListItemsWith facets", func(ctx context.Context) ([]*catalog.Tag, error) {
				page, err := f.st.ListItemsWith(ctx, catalog.ItemFilter{StoreID: f.store}, catalog.Page{First: 10},
					postgres.ItemsAlso{Facets: 5})
				return facetTags(page.Summary.Facets), err
			}},
			{"ListItemsWith tags", func(ctx context.Context) ([]*catalog.Tag, error) {
				page, err := f.st.ListItemsWith(ctx, catalog.ItemFilter{StoreID: f.store}, catalog.Page{First: 10},
					postgres.ItemsAlso{Tags: &firstTen})
				return slices.Concat(slices.Collect(maps.Values(page.Tags))...), err
			}},
			{"TagsOfStores", ofParents(f.store, every, f.st.TagsOfStores)},
			{"TagsOfStores first", ofParents(f.store, firstTen, f.st.TagsOfStores)},
			{"TagsOfItems", ofParents(f.item, every, f.st.TagsOfItems)},
			{"TagsOfItems first", ofParents(f.item, firstTen, f.st.TagsOfItems)},
			{"TagsOfItems of many items", ofManyParents(f.item, every, f.st.TagsOfItems)},
			{"ItemWithTags", func(ctx context.Context) ([]*catalog.Tag, error) {
				_, tags, err := f.st.ItemWithTags(ctx, f.item, firstTen)
				return tags, err
			}},
			{"TagWithItems", func(ctx context.Context) ([]*catalog.Tag, error) {
				tag, _, err := f.st.TagWithItems(ctx, f.tag, every)
				return []*catalog.Tag{tag}, err
			}},
			{"UpdateTag", func(ctx context.Context) ([]*catalog.Tag, error) {
				row, err := f.st.UpdateTag(ctx, f.user, f.tag, f.tags[f.tag].Name)
				return []*catalog.Tag{row}, err
			}},
			{"LinkTag", func(ctx context.Context) ([]*catalog.Tag, error) {
				_, tag, err := f.st.LinkTag(ctx, f.user, f.item, f.tag)
				return []*catalog.Tag{tag}, err
			}},
			{"SetTagItems", func(ctx context.Context) ([]*catalog.Tag, error) {
				tag, _, _, err := f.st.SetTagItems(ctx, f.user, f.tag, keys(f.items))
				return []*catalog.Tag{tag}, err
			}},
			{"SetItemTags added and removed", func(ctx context.Context) ([]*catalog.Tag, error) {
				tags := keys(f.tags)
				_, _, removed, err := f.st.SetItemTags(ctx, f.user, f.item, tags[:1])
				if err != nil {
					return nil, err
				}
				_, added, removedToo, err := f.st.SetItemTags(ctx, f.user, f.item, tags[1:])
				return slices.Concat(removed, added, removedToo), err
			}},
			{"CreateTag", func(ctx context.Context) ([]*catalog.Tag, error) {
				tag := &catalog.Tag{StoreID: f.store, Name: "a new tag"}
				return []*catalog.Tag{tag}, f.st.CreateTag(ctx, f.user, tag)
			}},
		})
	})
}

// columnsFixture is a store of the user with two items and two tags, all linked, and a
// second store; every column of every row holds a value other than its zero value.
type columnsFixture struct {
	db               *bun.DB
	st               *postgres.Catalog
	user             catalog.ID
	store, item, tag catalog.ID // the first of each
	stores           map[catalog.ID]*catalog.Store
	items            map[catalog.ID]*catalog.Item
	tags             map[catalog.ID]*catalog.Tag
}

func newColumnsFixture(t *testing.T) *columnsFixture {
	t.Helper()
	db, st, user := open(t)
	f := &columnsFixture{db: db, st: st, user: user}
	f.store = dbtest.InsertStore(t, db, "first store", user)
	other := dbtest.InsertStore(t, db, "second store", user)
	f.item = dbtest.InsertItem(t, db, f.store, "first item", "12.34")
	item2 := dbtest.InsertItem(t, db, f.store, "second item", "5.60")
	f.tag = dbtest.InsertTag(t, db, f.store, "first tag")
	tag2 := dbtest.InsertTag(t, db, f.store, "second tag")
	for _, i := range []catalog.ID{f.item, item2} {
		for _, g := range []catalog.ID{f.tag, tag2} {
			dbtest.InsertLink(t, db, i, g, f.store)
		}
	}
	f.stores = rowsOf[catalog.Store](t, db, "stores", f.store, other)
	f.items = rowsOf[catalog.Item](t, db, "items", f.item, item2)
	f.tags = rowsOf[catalog.Tag](t, db, "tags", f.tag, tag2)
	return f
}

func (f *columnsFixture) storeIDs() []catalog.ID { return keys(f.stores) }

// rowsOf checks that the model of T has a field for each column of table, gives the rows
// with these ids a value in each column that has none yet, and returns them as stored.
func rowsOf[T any](t *testing.T, db *bun.DB, table string, ids ...catalog.ID) map[catalog.ID]*T {
	t.Helper()
	ctx := context.Background()
	model := db.Table(reflect.TypeFor[T]())
	var columns []string
	err := db.NewSelect().TableExpr("information_schema.columns").Column("column_name").
		Where("table_schema = current_schema() AND table_name = ?", table).Scan(ctx, &columns)
	if err != nil || len(columns) == 0 {
		t.Fatalf("columns of %s: %v %v", table, columns, err)
	}
	var fields []string
	for _, f := range model.Fields {
		fields = append(fields, f.Name)
	}
	slices.Sort(columns)
	slices.Sort(fields)
	if !slices.Equal(columns, fields) {
		t.Fatalf("table %s has the columns %v; its model %s has the fields %v", table, columns, model.TypeName, fields)
	}
	out := make(map[catalog.ID]*T)
	for n, id := range ids {
		row := new(T)
		v := reflect.ValueOf(row).Elem()
		model.PKs[0].Value(v).SetInt(int64(id))
		if err := db.NewSelect().Model(row).WherePK().Scan(ctx); err != nil {
			t.Fatalf("read %s %d: %v", table, id, err)
		}
		for _, f := range model.Fields {
			if fv := f.Value(v); fv.IsZero() && !fill(fv, fmt.Sprintf("%s %d", f.Name, n+1), n+2) {
				t.Fatalf("%s.%s is %s: give it a value in the fixture", table, f.Name, fv.Type())
			}
		}
		if _, err := db.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			t.Fatalf("update %s %d: %v", table, id, err)
		}
		out[id] = new(T)
		model.PKs[0].Value(reflect.ValueOf(out[id]).Elem()).SetInt(int64(id))
		if err := db.NewSelect().Model(out[id]).WherePK().Scan(ctx); err != nil {
			t.Fatalf("read %s %d: %v", table, id, err)
		}
	}
	return out
}

// fill sets v, a zero value, to one that is not: text to s, numbers to n, booleans to true.
func fill(v reflect.Value, s string, n int) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(n) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fill(v.Elem(), s, n)
	default:
		return false
	}
	return true
}

type namedRead[T any] struct {
	name string
	read func(context.Context) ([]*T, error)
}

// checkReads runs each read and compares every row it returns with the row as stored. The
// reads run in their order, on one database: the writes among them change links only.
func checkReads[T any](t *testing.T, f *columnsFixture, want map[catalog.ID]*T, id func(*T) catalog.ID, reads []namedRead[T]) {
	t.Helper()
	for _, r := range reads {
		got, err := r.read(context.Background())
		if err != nil {
			t.Errorf("%s: %v", r.name, err)
			continue
		}
		if len(got) == 0 {
			t.Errorf("%s returned no rows; want some of %d", r.name, len(want))
		}
		for _, row := range got {
			w, ok := want[id(row)]
			if !ok {
				var err error
				if w, err = storedRow[T](f.db, id(row)); err != nil {
					t.Errorf("%s returned %+v, which is not stored: %v", r.name, *row, err)
					continue
				}
			}
			if !reflect.DeepEqual(row, w) {
				t.Errorf("%s returned %+v; want %+v, as stored", r.name, *row, *w)
			}
		}
	}
}

// storedRow reads a row the test did not make itself, such as one a create inserted.
func storedRow[T any](db *bun.DB, id catalog.ID) (*T, error) {
	row := new(T)
	db.Table(reflect.TypeFor[T]()).PKs[0].Value(reflect.ValueOf(row).Elem()).SetInt(int64(id))
	return row, db.NewSelect().Model(row).WherePK().Scan(context.Background())
}

// ofParents reads the list of parent with args.
func ofParents[T any](parent catalog.ID, args catalog.ListArgs,
	read func(context.Context, []catalog.ID, catalog.ListArgs) (map[catalog.ID][]*T, error)) func(context.Context) ([]*T, error) {
	return func(ctx context.Context) ([]*T, error) {
		m, err := read(ctx, []catalog.ID{parent}, args)
		return m[parent], err
	}
}

// ofManyParents reads the list of parent among more parents than a read through items_tags
// probes row by row, so that it joins the tables instead.
func ofManyParents[T any](parent catalog.ID, args catalog.ListArgs,
	read func(context.Context, []catalog.ID, catalog.ListArgs) (map[catalog.ID][]*T, error)) func(context.Context) ([]*T, error) {
	return func(ctx context.Context) ([]*T, error) {
		parents := []catalog.ID{parent}
		for k := range 200 {
			parents = append(parents, missingID+catalog.ID(k))
		}
		m, err := read(ctx, parents, args)
		return m[parent], err
	}
}

func facetTags(facets []postgres.TagFacet) []*catalog.Tag {
	var tags []*catalog.Tag
	for _, f := range facets {
		tags = append(tags, f.Tag)
	}
	return tags
}

func keys[V any](m map[catalog.ID]V) []catalog.ID {
	ks := make([]catalog.ID, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestListOrdersAreColumns checks that every value of the schema's order enums names a
// column of its list's model, and that one naming no column is refused with its name, as
// the start-up check refuses it.
func TestListOrdersAreColumns(t *testing.T) {
	t.Parallel()
	st := postgres.NewCatalog(dbtest.Open(t))
	if err := st.CheckOrders(model.Orders()); err != nil {
		t.Fatalf("the schema's orders: %v", err)
	}
	err := st.CheckOrders([]catalog.Order{catalog.ByName, "colour"}, nil)
	if err == nil || !strings.Contains(err.Error(), `"colour"`) {
		t.Fatalf("an order by a missing column: got %v, want an error naming it", err)
	}
	if err := st.CheckOrders(nil, []catalog.Order{catalog.ByPrice}); err == nil {
		t.Fatal("tags sorted by price: no error, but tags have no price")
	}
}
