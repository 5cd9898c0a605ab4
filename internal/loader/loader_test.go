package loader_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/loader"
	"github.com/storegraph/storegraph/internal/postgres"
)

// wait is the batch window of the loaders under test: long enough for a LoadAll to queue all
// of its keys into one batch even on a slow machine running the race detector.
const wait = 20 * time.Millisecond

// missingID names no row of any table.
const missingID catalog.ID = 999_999

// fixture is a fresh database holding this catalog (ids are assigned in this order):
//
//	store Alpha: items Pen 1.50, Apple 0.99, Zebra 10.00, Lone 1.50
//	             tags red, blue, green, amber, unused
//	store Beta:  item Book 12.00; tag paper
//	store Empty: nothing
//	links: Pen-red, Pen-blue, Pen-green, Pen-amber, Apple-blue, Zebra-red, Zebra-green, Book-paper
type fixture struct {
	store   *postgres.Catalog
	queries *database.QueryCounter

	alpha, beta, empty                     catalog.ID
	pen, apple, zebra, lone, book          catalog.ID
	red, blue, green, amber, unused, paper catalog.ID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	queries := database.NewQueryCounter(nil)
	db := dbtest.Open(t, queries)

	f := &fixture{store: postgres.NewCatalog(db), queries: queries}
	f.alpha = dbtest.InsertStore(t, db, "Alpha", 0)
	f.beta = dbtest.InsertStore(t, db, "Beta", 0)
	f.empty = dbtest.InsertStore(t, db, "Empty", 0)
	item := func(st catalog.ID, name, price string) catalog.ID { return dbtest.InsertItem(t, db, st, name, price) }
	f.pen = item(f.alpha, "Pen", "1.50")
	f.apple = item(f.alpha, "Apple", "0.99")
	f.zebra = item(f.alpha, "Zebra", "10.00")
	f.lone = item(f.alpha, "Lone", "1.50")
	f.book = item(f.beta, "Book", "12.00")
	tag := func(st catalog.ID, name string) catalog.ID { return dbtest.InsertTag(t, db, st, name) }
	f.red = tag(f.alpha, "red")
	f.blue = tag(f.alpha, "blue")
	f.green = tag(f.alpha, "green")
	f.amber = tag(f.alpha, "amber")
	f.unused = tag(f.alpha, "unused")
	f.paper = tag(f.beta, "paper")
	links := []struct {
		item, tag, store catalog.ID
	}{
		{f.pen, f.red, f.alpha}, {f.pen, f.blue, f.alpha}, {f.pen, f.green, f.alpha}, {f.pen, f.amber, f.alpha},
		{f.apple, f.blue, f.alpha},
		{f.zebra, f.red, f.alpha}, {f.zebra, f.green, f.alpha},
		{f.book, f.paper, f.beta},
	}
	for _, l := range links {
		dbtest.InsertLink(t, db, l.item, l.tag, l.store)
	}
	return f
}

// statements returns a func that reports how many statements were sent since statements was called.
func (f *fixture) statements() func() int64 {
	before := f.queries.Total()
	return func() int64 { return f.queries.Total() - before }
}

func storeNames(v []*catalog.Store) []string {
	return mapNames(v, func(s *catalog.Store) string { return s.Name })
}

// itemNames describes items as name@price, so that a wrong price shows too.
func itemNames(v []*catalog.Item) []string {
	return mapNames(v, func(i *catalog.Item) string { return i.Name + "@" + i.Price.String() })
}

func tagNames(v []*catalog.Tag) []string {
	return mapNames(v, func(t *catalog.Tag) string { return t.Name })
}

func mapNames[T any](v []*T, name func(*T) string) []string {
	out := []string{}
	for _, x := range v {
		if x == nil {
			out = append(out, "<nil>")
		} else {
			out = append(out, name(x))
		}
	}
	return out
}

func TestLoadAllReturnsKeyOrderInOneStatement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// run loads the fixture's keys, out of order and with duplicates, and describes the values.
		run  func(context.Context, *fixture, *loader.Loaders) ([]string, []error)
		want []string
	}{
		{
			name: "Store",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.Store.LoadAll(ctx, []catalog.ID{f.empty, f.alpha, f.beta, f.alpha, f.empty})
				return storeNames(v), errs
			},
			want: []string{"Empty", "Alpha", "Beta", "Alpha", "Empty"},
		},
		{
			name: "Item",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.Item.LoadAll(ctx, []catalog.ID{f.book, f.zebra, f.pen, f.zebra, f.apple})
				return itemNames(v), errs
			},
			want: []string{"Book@12.00", "Zebra@10.00", "Pen@1.50", "Zebra@10.00", "Apple@0.99"},
		},
		{
			name: "Tag",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.Tag.LoadAll(ctx, []catalog.ID{f.paper, f.amber, f.red, f.paper})
				return tagNames(v), errs
			},
			want: []string{"paper", "amber", "red", "paper"},
		},
		{
			name: "TagsOfItem",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.TagsOfItem(catalog.ListArgs{Limit: -1, Order: catalog.ByID}).
					LoadAll(ctx, []catalog.ID{f.zebra, f.apple, f.zebra})
				var out []string
				for _, tags := range v {
					out = append(out, tagNames(tags)...)
					out = append(out, "|")
				}
				return out, errs
			},
			want: []string{"red", "green", "|", "blue", "|", "red", "green", "|"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			l := loader.New(f.store, wait)
			sent := f.statements()
			got, errs := tt.run(context.Background(), f, l)
			if errs != nil {
				t.Errorf("LoadAll errors = %v; want nil", errs)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LoadAll = %q; want %q", got, tt.want)
			}
			if n := sent(); n != 1 {
				t.Errorf("LoadAll sent %d statements; want 1", n)
			}
		})
	}
}

func TestLoadAllMissingIDFailsOnlyItsKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// run loads {present, missingID, present} and describes the values.
		run  func(context.Context, *fixture, *loader.Loaders) ([]string, []error)
		want []string
	}{
		{
			name: "Store",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.Store.LoadAll(ctx, []catalog.ID{f.beta, missingID, f.alpha})
				return storeNames(v), errs
			},
			want: []string{"Beta", "<nil>", "Alpha"},
		},
		{
			name: "Item",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.Item.LoadAll(ctx, []catalog.ID{f.pen, missingID, f.book})
				return itemNames(v), errs
			},
			want: []string{"Pen@1.50", "<nil>", "Book@12.00"},
		},
		{
			name: "Tag",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]string, []error) {
				v, errs := l.Tag.LoadAll(ctx, []catalog.ID{f.green, missingID, f.paper})
				return tagNames(v), errs
			},
			want: []string{"green", "<nil>", "paper"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			sent := f.statements()
			got, errs := tt.run(context.Background(), f, loader.New(f.store, wait))
			if !slices.Equal(got, tt.want) {
				t.Errorf("LoadAll = %q; want %q", got, tt.want)
			}
			if len(errs) != 3 {
				t.Fatalf("LoadAll errors = %v; want 3, one per key", errs)
			}
			if errs[0] != nil || errs[2] != nil {
				t.Errorf("LoadAll errors of present keys = %v, %v; want nil", errs[0], errs[2])
			}
			if code := catalog.ErrorCode(errs[1]); code != catalog.NotFound {
				t.Errorf("LoadAll error of missing key = %v (code %s); want code %s", errs[1], code, catalog.NotFound)
			}
			if n := sent(); n != 1 {
				t.Errorf("LoadAll sent %d statements; want 1", n)
			}
		})
	}
}

func TestLoadMissingIDIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := loader.New(f.store, wait)
	ctx := context.Background()
	if s, err := l.Store.Load(ctx, missingID); catalog.ErrorCode(err) != catalog.NotFound || s != nil {
		t.Errorf("Store.Load(missing) = %v, %v; want nil, %s", s, err, catalog.NotFound)
	}
	if i, err := l.Item.Load(ctx, missingID); catalog.ErrorCode(err) != catalog.NotFound || i != nil {
		t.Errorf("Item.Load(missing) = %v, %v; want nil, %s", i, err, catalog.NotFound)
	}
	if tag, err := l.Tag.Load(ctx, missingID); catalog.ErrorCode(err) != catalog.NotFound || tag != nil {
		t.Errorf("Tag.Load(missing) = %v, %v; want nil, %s", tag, err, catalog.NotFound)
	}
}

func TestListOfParentWithoutChildrenIsEmpty(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := loader.New(f.store, wait)
	ctx := context.Background()
	all := catalog.ListArgs{Limit: -1, Order: catalog.ByID}
	tests := []struct {
		name string
		load func() (int, bool, error) // length, non-nil, error
	}{
		{"ItemsOfEmptyStore", func() (int, bool, error) {
			v, err := l.ItemsOfStore(all).Load(ctx, f.empty)
			return len(v), v != nil, err
		}},
		{"TagsOfEmptyStore", func() (int, bool, error) {
			v, err := l.TagsOfStore(all).Load(ctx, f.empty)
			return len(v), v != nil, err
		}},
		{"TagsOfUntaggedItem", func() (int, bool, error) {
			v, err := l.TagsOfItem(all).Load(ctx, f.lone)
			return len(v), v != nil, err
		}},
		{"ItemsOfUnusedTag", func() (int, bool, error) {
			v, err := l.ItemsOfTag(all).Load(ctx, f.unused)
			return len(v), v != nil, err
		}},
		{"ItemsOfMissingStore", func() (int, bool, error) {
			v, err := l.ItemsOfStore(all).Load(ctx, missingID)
			return len(v), v != nil, err
		}},
		{"TagsOfItemPastItsLastTag", func() (int, bool, error) {
			v, err := l.TagsOfItem(catalog.ListArgs{Limit: 2, Offset: 10, Order: catalog.ByName}).Load(ctx, f.pen)
			return len(v), v != nil, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, nonNil, err := tt.load()
			if err != nil {
				t.Fatalf("Load error: %v; want an empty list", err)
			}
			if n != 0 || !nonNil {
				t.Errorf("Load = %d values (non-nil: %t); want an empty, non-nil list", n, nonNil)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// run loads counts of the fixture's parents plus missingID.
		run  func(context.Context, *fixture, *loader.Loaders) ([]int, []error)
		want []int
	}{
		{
			name: "ItemCountOfStore",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]int, []error) {
				return l.ItemCountOfStore.LoadAll(ctx, []catalog.ID{f.alpha, f.beta, f.empty, missingID})
			},
			want: []int{4, 1, 0, 0},
		},
		{
			name: "TagCountOfStore",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]int, []error) {
				return l.TagCountOfStore.LoadAll(ctx, []catalog.ID{f.empty, f.alpha, f.beta, missingID})
			},
			want: []int{0, 5, 1, 0},
		},
		{
			name: "TagCountOfItem",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]int, []error) {
				return l.TagCountOfItem.LoadAll(ctx, []catalog.ID{f.pen, f.apple, f.zebra, f.lone, f.book, missingID})
			},
			want: []int{4, 1, 2, 0, 1, 0},
		},
		{
			name: "ItemCountOfTag",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([]int, []error) {
				return l.ItemCountOfTag.LoadAll(ctx, []catalog.ID{f.red, f.blue, f.green, f.amber, f.unused, f.paper, missingID})
			},
			want: []int{2, 2, 2, 1, 0, 1, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			sent := f.statements()
			got, errs := tt.run(context.Background(), f, loader.New(f.store, wait))
			if errs != nil {
				t.Errorf("LoadAll errors = %v; want nil (a parent with no rows counts 0)", errs)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LoadAll = %v; want %v", got, tt.want)
			}
			if n := sent(); n != 1 {
				t.Errorf("LoadAll sent %d statements; want 1", n)
			}
		})
	}
}

func TestPrefetchFillsTheLoader(t *testing.T) {
	t.Parallel()

	t.Run("Store", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		l := loader.New(f.store, wait)
		ctx := context.Background()
		sent := f.statements()
		v, errs, err := l.Store.Prefetch(ctx, []catalog.ID{f.beta, f.alpha, f.beta})
		if err != nil || errs != nil {
			t.Fatalf("Prefetch errors = %v, %v; want nil", errs, err)
		}
		if got, want := storeNames(v), []string{"Beta", "Alpha", "Beta"}; !slices.Equal(got, want) {
			t.Errorf("Prefetch = %q; want %q", got, want)
		}
		if n := sent(); n != 1 {
			t.Errorf("Prefetch sent %d statements; want 1", n)
		}

		sent = f.statements()
		s, err := l.Store.Load(ctx, f.alpha)
		if err != nil || s.Name != "Alpha" {
			t.Errorf("Load(alpha) after Prefetch = %v, %v; want Alpha", s, err)
		}
		all, errs := l.Store.LoadAll(ctx, []catalog.ID{f.alpha, f.beta, f.alpha})
		if got, want := storeNames(all), []string{"Alpha", "Beta", "Alpha"}; errs != nil || !slices.Equal(got, want) {
			t.Errorf("LoadAll after Prefetch = %q, %v; want %q", got, errs, want)
		}
		if _, _, err := l.Store.Prefetch(ctx, []catalog.ID{f.alpha, f.beta}); err != nil {
			t.Errorf("second Prefetch error: %v", err)
		}
		if n := sent(); n != 0 {
			t.Errorf("Load, LoadAll and Prefetch of prefetched keys sent %d statements; want 0", n)
		}
	})

	t.Run("MissingID", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		l := loader.New(f.store, wait)
		v, errs, err := l.Store.Prefetch(context.Background(), []catalog.ID{f.alpha, missingID, f.empty})
		if err != nil {
			t.Fatalf("Prefetch error = %v; want per-key errors only", err)
		}
		if got, want := storeNames(v), []string{"Alpha", "<nil>", "Empty"}; !slices.Equal(got, want) {
			t.Errorf("Prefetch = %q; want %q", got, want)
		}
		if len(errs) != 3 || errs[0] != nil || errs[2] != nil || catalog.ErrorCode(errs[1]) != catalog.NotFound {
			t.Errorf("Prefetch errors = %v; want [nil %s nil]", errs, catalog.NotFound)
		}
		if _, err := l.Store.Load(context.Background(), missingID); catalog.ErrorCode(err) != catalog.NotFound {
			t.Errorf("Load(missing) after Prefetch error = %v; want code %s", err, catalog.NotFound)
		}
	})

	t.Run("TagsOfItem", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		l := loader.New(f.store, wait)
		ctx := context.Background()
		args := catalog.ListArgs{Limit: 2, Order: catalog.ByName}
		sent := f.statements()
		v, errs, err := l.TagsOfItem(args).Prefetch(ctx, []catalog.ID{f.pen, f.lone, f.zebra})
		if err != nil || errs != nil {
			t.Fatalf("Prefetch errors = %v, %v; want nil", errs, err)
		}
		got := [][]string{tagNames(v[0]), tagNames(v[1]), tagNames(v[2])}
		want := [][]string{{"amber", "blue"}, {}, {"green", "red"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Prefetch = %q; want %q", got, want)
		}
		if n := sent(); n != 1 {
			t.Errorf("Prefetch sent %d statements; want 1", n)
		}
		sent = f.statements()
		// The same arguments built again reach the same loader.
		tags, err := l.TagsOfItem(catalog.ListArgs{Limit: 2, Order: catalog.ByName}).Load(ctx, f.lone)
		if err != nil || tags == nil || len(tags) != 0 {
			t.Errorf("Load(lone) after Prefetch = %q, %v; want an empty list", tagNames(tags), err)
		}
		all, errs := l.TagsOfItem(args).LoadAll(ctx, []catalog.ID{f.zebra, f.pen})
		if errs != nil || !reflect.DeepEqual([][]string{tagNames(all[0]), tagNames(all[1])}, [][]string{{"green", "red"}, {"amber", "blue"}}) {
			t.Errorf("LoadAll(zebra, pen) after Prefetch = %q, %q, %v; want [green red], [amber blue]", tagNames(all[0]), tagNames(all[1]), errs)
		}
		if n := sent(); n != 0 {
			t.Errorf("Load and LoadAll of prefetched keys sent %d statements; want 0", n)
		}
	})

	t.Run("FailedStatement", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		l := loader.New(f.store, wait)
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := l.Item.Prefetch(cancelled, []catalog.ID{f.pen}); err == nil {
			t.Fatal("Prefetch with a cancelled context gave no error; want the statement's error")
		}
		// Nothing was primed: a later load reads the row.
		item, err := l.Item.Load(context.Background(), f.pen)
		if err != nil || item.Name != "Pen" {
			t.Errorf("Load(pen) after a failed Prefetch = %v, %v; want Pen", item, err)
		}
	})
}

func TestConcurrentLoadsShareOneStatement(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A wide window: every goroutine below must load before the batch runs.
	l := loader.New(f.store, 200*time.Millisecond)
	keys := []catalog.ID{f.pen, f.apple, f.zebra, f.lone, f.book}
	want := map[catalog.ID]string{f.pen: "Pen", f.apple: "Apple", f.zebra: "Zebra", f.lone: "Lone", f.book: "Book"}

	const goroutines = 40
	got := make([]string, goroutines)
	errs := make([]error, goroutines)
	start := make(chan struct{})
	var wg sync.WaitGroup
	sent := f.statements()
	for g := range goroutines {
		wg.Go(func() {
			<-start
			item, err := l.Item.Load(context.Background(), keys[g%len(keys)])
			errs[g] = err
			if item != nil {
				got[g] = item.Name
			}
		})
	}
	close(start)
	wg.Wait()
	for g := range goroutines {
		key := keys[g%len(keys)]
		if errs[g] != nil || got[g] != want[key] {
			t.Errorf("goroutine %d: Load(%d) = %q, %v; want %q", g, key, got[g], errs[g], want[key])
		}
	}
	if n := sent(); n != 1 {
		t.Errorf("%d concurrent Loads sent %d statements; want 1", goroutines, n)
	}
}

func TestListsWithArguments(t *testing.T) {
	t.Parallel()
	byName2After1 := catalog.ListArgs{Limit: 2, Offset: 1, Order: catalog.ByName}
	tests := []struct {
		name string
		// run loads one list per parent, all in one LoadAll.
		run  func(context.Context, *fixture, *loader.Loaders) ([][]string, []error)
		want [][]string
	}{
		{
			// By name, Pen's tags are amber, blue, green, red; Apple's blue; Zebra's green, red.
			name: "TagsOfItemFirst2Offset1ByName",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.TagsOfItem(byName2After1).LoadAll(ctx, []catalog.ID{f.pen, f.apple, f.zebra, f.lone, f.book})
				return mapLists(v, tagNames), errs
			},
			want: [][]string{{"blue", "green"}, {}, {"red"}, {}, {}},
		},
		{
			name: "TagsOfItemByID",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.TagsOfItem(catalog.ListArgs{Limit: -1, Order: catalog.ByID}).LoadAll(ctx, []catalog.ID{f.pen, f.zebra})
				return mapLists(v, tagNames), errs
			},
			want: [][]string{{"red", "blue", "green", "amber"}, {"red", "green"}},
		},
		{
			name: "TagsOfItemFirst1ByID",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.TagsOfItem(catalog.ListArgs{Limit: 1, Order: catalog.ByID}).LoadAll(ctx, []catalog.ID{f.pen, f.apple, f.zebra})
				return mapLists(v, tagNames), errs
			},
			want: [][]string{{"red"}, {"blue"}, {"red"}},
		},
		{
			// By price, Alpha's items are Apple 0.99, Pen 1.50, Lone 1.50 (tie: Pen has the lower id), Zebra 10.00.
			name: "ItemsOfStoreFirst2Offset1ByPrice",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.ItemsOfStore(catalog.ListArgs{Limit: 2, Offset: 1, Order: catalog.ByPrice}).
					LoadAll(ctx, []catalog.ID{f.empty, f.alpha, f.beta})
				return mapLists(v, itemNames), errs
			},
			want: [][]string{{}, {"Pen@1.50", "Lone@1.50"}, {}},
		},
		{
			name: "ItemsOfStoreByName",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.ItemsOfStore(catalog.ListArgs{Limit: -1, Order: catalog.ByName}).LoadAll(ctx, []catalog.ID{f.beta, f.alpha})
				return mapLists(v, itemNames), errs
			},
			want: [][]string{{"Book@12.00"}, {"Apple@0.99", "Lone@1.50", "Pen@1.50", "Zebra@10.00"}},
		},
		{
			name: "ItemsOfStoreFirst0",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.ItemsOfStore(catalog.ListArgs{Limit: 0, Order: catalog.ByID}).LoadAll(ctx, []catalog.ID{f.alpha, f.beta})
				return mapLists(v, itemNames), errs
			},
			want: [][]string{{}, {}},
		},
		{
			// By name, Alpha's tags are amber, blue, green, red, unused.
			name: "TagsOfStoreOffset3ByName",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.TagsOfStore(catalog.ListArgs{Limit: -1, Offset: 3, Order: catalog.ByName}).LoadAll(ctx, []catalog.ID{f.alpha, f.beta})
				return mapLists(v, tagNames), errs
			},
			want: [][]string{{"red", "unused"}, {}},
		},
		{
			name: "ItemsOfTagByName",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.ItemsOfTag(catalog.ListArgs{Limit: -1, Order: catalog.ByName}).LoadAll(ctx, []catalog.ID{f.red, f.blue, f.unused, f.paper})
				return mapLists(v, itemNames), errs
			},
			want: [][]string{{"Pen@1.50", "Zebra@10.00"}, {"Apple@0.99", "Pen@1.50"}, {}, {"Book@12.00"}},
		},
		{
			name: "ItemsOfTagFirst1ByPrice",
			run: func(ctx context.Context, f *fixture, l *loader.Loaders) ([][]string, []error) {
				v, errs := l.ItemsOfTag(catalog.ListArgs{Limit: 1, Order: catalog.ByPrice}).LoadAll(ctx, []catalog.ID{f.red, f.blue, f.green})
				return mapLists(v, itemNames), errs
			},
			want: [][]string{{"Pen@1.50"}, {"Apple@0.99"}, {"Pen@1.50"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			sent := f.statements()
			got, errs := tt.run(context.Background(), f, loader.New(f.store, wait))
			if errs != nil {
				t.Errorf("LoadAll errors = %v; want nil", errs)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoadAll = %q; want %q", got, tt.want)
			}
			if n := sent(); n != 1 {
				t.Errorf("LoadAll sent %d statements; want 1", n)
			}
		})
	}
}

func TestArgumentSetsDoNotMix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := loader.New(f.store, wait)
	ctx := context.Background()
	byID := l.TagsOfItem(catalog.ListArgs{Limit: -1, Order: catalog.ByID})
	byName := l.TagsOfItem(catalog.ListArgs{Limit: -1, Order: catalog.ByName})
	first1 := l.TagsOfItem(catalog.ListArgs{Limit: 1, Order: catalog.ByName})
	var wg sync.WaitGroup
	var gotID, gotName, gotFirst []*catalog.Tag
	var errID, errName, errFirst error
	wg.Go(func() { gotID, errID = byID.Load(ctx, f.pen) })
	wg.Go(func() { gotName, errName = byName.Load(ctx, f.pen) })
	wg.Go(func() { gotFirst, errFirst = first1.Load(ctx, f.pen) })
	wg.Wait()
	if want := []string{"red", "blue", "green", "amber"}; errID != nil || !slices.Equal(tagNames(gotID), want) {
		t.Errorf("TagsOfItem(by id).Load(pen) = %q, %v; want %q", tagNames(gotID), errID, want)
	}
	if want := []string{"amber", "blue", "green", "red"}; errName != nil || !slices.Equal(tagNames(gotName), want) {
		t.Errorf("TagsOfItem(by name).Load(pen) = %q, %v; want %q", tagNames(gotName), errName, want)
	}
	if want := []string{"amber"}; errFirst != nil || !slices.Equal(tagNames(gotFirst), want) {
		t.Errorf("TagsOfItem(first 1 by name).Load(pen) = %q, %v; want %q", tagNames(gotFirst), errFirst, want)
	}
}

func mapLists[T any](lists [][]*T, names func([]*T) []string) [][]string {
	out := make([][]string, len(lists))
	for i, l := range lists {
		out[i] = names(l)
	}
	return out
}
