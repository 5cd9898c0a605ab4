// Package loader batches the reads of one request: every relationship field asks a
// per-request dataloader, and each batch is one SQL statement, so a request costs as many
// statements as its query has levels, whatever the number of rows.
package loader

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/postgres"
)

// Batch loads values of one kind by parent id, in one statement per batch. Values can also
// be prefetched for a whole level at once, which fills the loader's cache so the fields that
// ask afterwards are answered without waiting for a batch window.
type Batch[V any] struct {
	name    string // for its spans, e.g. TagsOfItem
	fetch   func(context.Context, []catalog.ID) (map[catalog.ID]V, error)
	missing func(catalog.ID) (V, error) // the value or error for an id the fetch did not return
	wait    time.Duration

	// A request uses few of its batches: each makes its dataloader when first used.
	once   sync.Once
	loader *dataloader.Loader[catalog.ID, V]

	mu    sync.Mutex
	known map[catalog.ID]V // what Prefetch has put in the loader's cache
}

func newBatch[V any](name string, wait time.Duration, fetch func(context.Context, []catalog.ID) (map[catalog.ID]V, error),
	missing func(catalog.ID) (V, error)) *Batch[V] {
	return &Batch[V]{name: name, fetch: fetch, missing: missing, wait: wait}
}

// dataloader returns b's dataloader, made on first use with what was primed before.
func (b *Batch[V]) dataloader(ctx context.Context) *dataloader.Loader[catalog.ID, V] {
	b.once.Do(func() {
		l := dataloader.NewBatchedLoader(b.batch, dataloader.WithWait[catalog.ID, V](b.wait))
		b.mu.Lock()
		defer b.mu.Unlock()
		for id, v := range b.known {
			l.Prime(ctx, id, v)
		}
		b.loader = l
	})
	return b.loader
}

// prime puts v in the loader's cache as id's value; b.mu is held. A batch whose values all
// come from Prefetch and seed never makes its dataloader.
func (b *Batch[V]) prime(ctx context.Context, id catalog.ID, v V) {
	if b.known == nil {
		b.known = make(map[catalog.ID]V)
	}
	b.known[id] = v
	if b.loader != nil {
		b.loader.Prime(ctx, id, v)
	}
}

// batch answers the dataloader: one result per key, at the key's index.
func (b *Batch[V]) batch(ctx context.Context, keys []catalog.ID) []*dataloader.Result[V] {
	results := make([]*dataloader.Result[V], len(keys))
	found, err := b.traced(ctx, keys)
	for i, k := range keys {
		r := &dataloader.Result[V]{}
		if err != nil {
			r.Error = err
		} else if v, ok := found[k]; ok {
			r.Data = v
		} else {
			r.Data, r.Error = b.missing(k)
		}
		results[i] = r
	}
	return results
}

// traced fetches a batch within a span of its own, when the request is traced: the
// tracer comes from the request's span, so an untraced request pays for no tracing.
func (b *Batch[V]) traced(ctx context.Context, ids []catalog.ID) (map[catalog.ID]V, error) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return b.fetch(ctx, ids)
	}
	ctx, span := parent.TracerProvider().Tracer(tracerName).Start(ctx, "loader "+b.name,
		trace.WithAttributes(attribute.String("loader.name", b.name), attribute.Int("loader.keys", len(ids))))
	defer span.End()
	found, err := b.fetch(ctx, ids)
	if err != nil {
		span.SetStatus(codes.Error, "batch failed")
	}
	return found, err
}

// tracerName is the instrumentation scope of the loaders' spans.
const tracerName = "github.com/storegraph/storegraph/internal/loader"

// Load returns the value for id, batched with the other loads of the same window.
func (b *Batch[V]) Load(ctx context.Context, id catalog.ID) (V, error) {
	return b.dataloader(ctx).Load(ctx, id)()
}

// LoadAll returns the values for ids, in their order, through the loader: values already
// loaded come from its cache, the rest from one batch shared with the other loads of the
// same window. errs is nil when every id has a value, else it holds each id's error at its
// index.
func (b *Batch[V]) LoadAll(ctx context.Context, ids []catalog.ID) (values []V, errs []error) {
	l := b.dataloader(ctx)
	thunks := make([]dataloader.Thunk[V], len(ids))
	for i, id := range ids {
		thunks[i] = l.Load(ctx, id)
	}
	values = make([]V, len(ids))
	for i, thunk := range thunks {
		v, err := thunk()
		values[i] = v
		errs = setErr(errs, len(ids), i, err)
	}
	return values, errs
}

// Prefetch returns the values for ids like LoadAll, but fetches the ones not loaded yet at
// once, in one statement, instead of waiting for a batch window; it primes the loader with
// them so that later loads find them. A failed statement is returned as err.
func (b *Batch[V]) Prefetch(ctx context.Context, ids []catalog.ID) (values []V, errs []error, err error) {
	b.mu.Lock()
	var need []catalog.ID
	queued := make(map[catalog.ID]bool)
	for _, id := range ids {
		if _, ok := b.known[id]; !ok && !queued[id] {
			need = append(need, id)
			queued[id] = true
		}
	}
	b.mu.Unlock()

	var found map[catalog.ID]V
	if len(need) > 0 {
		if found, err = b.traced(ctx, need); err != nil {
			return nil, nil, err
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	missing := make(map[catalog.ID]error)
	for _, id := range need {
		v, ok := found[id]
		if !ok {
			var err error
			if v, err = b.missing(id); err != nil {
				missing[id] = err // not primed: a later Load reports it in its own place
				continue
			}
		}
		b.prime(ctx, id, v)
	}
	values = make([]V, len(ids))
	for i, id := range ids {
		if v, ok := b.known[id]; ok {
			values[i] = v
		} else {
			errs = setErr(errs, len(ids), i, missing[id])
		}
	}
	return values, errs, nil
}

// seed puts a value read by another statement into the loader, as Prefetch would have; an
// id it knows already keeps its value.
func (b *Batch[V]) seed(ctx context.Context, id catalog.ID, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.known[id]; !ok {
		b.prime(ctx, id, v)
	}
}

func setErr(errs []error, n, i int, err error) []error {
	if err == nil {
		return errs
	}
	if errs == nil {
		errs = make([]error, n)
	}
	errs[i] = err
	return errs
}

// byArgs keeps one Batch per distinct argument set of a relationship list.
type byArgs[V any] struct {
	mu      sync.Mutex
	batches map[catalog.ListArgs]*Batch[V]
	make    func(catalog.ListArgs) *Batch[V]
}

func (p *byArgs[V]) get(a catalog.ListArgs) *Batch[V] {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.batches[a]
	if !ok {
		b = p.make(a)
		p.batches[a] = b
	}
	return b
}

func newByArgs[V any](name string, wait time.Duration, fetch func(context.Context, []catalog.ID, catalog.ListArgs) (map[catalog.ID][]*V, error)) *byArgs[[]*V] {
	return &byArgs[[]*V]{
		batches: make(map[catalog.ListArgs]*Batch[[]*V]),
		make: func(a catalog.ListArgs) *Batch[[]*V] {
			return newBatch(name, wait,
				func(ctx context.Context, ids []catalog.ID) (map[catalog.ID][]*V, error) { return fetch(ctx, ids, a) },
				func(catalog.ID) ([]*V, error) { return []*V{}, nil })
		},
	}
}

// Loaders are the dataloaders of one request.
type Loaders struct {
	st     *postgres.Catalog
	wait   time.Duration
	budget *budget

	Store *Batch[*catalog.Store]
	Item  *Batch[*catalog.Item]
	Tag   *Batch[*catalog.Tag]

	ItemCountOfStore *Batch[int]
	TagCountOfStore  *Batch[int]
	TagCountOfItem   *Batch[int]
	ItemCountOfTag   *Batch[int]

	itemsOfStore *byArgs[[]*catalog.Item]
	tagsOfStore  *byArgs[[]*catalog.Tag]
	tagsOfItem   *byArgs[[]*catalog.Tag]
	itemsOfTag   *byArgs[[]*catalog.Item]

	storesOfOwner *byArgs[[]*catalog.Store]
}

// StoresOfOwner loads User.stores with these arguments.
func (l *Loaders) StoresOfOwner(a catalog.ListArgs) *Batch[[]*catalog.Store] {
	return l.storesOfOwner.get(a)
}

// PrimeItemWithTags reads item id with its tags (args) in one statement and primes the Item
// and TagsOfItem(args) loaders with them; a missing item primes nothing.
func (l *Loaders) PrimeItemWithTags(ctx context.Context, id catalog.ID, args catalog.ListArgs) error {
	return primePoint(ctx, id, args, l.st.ItemWithTags, l.Item, l.TagsOfItem(args))
}

// PrimeTagWithItems is PrimeItemWithTags for a tag and its items.
func (l *Loaders) PrimeTagWithItems(ctx context.Context, id catalog.ID, args catalog.ListArgs) error {
	return primePoint(ctx, id, args, l.st.TagWithItems, l.Tag, l.ItemsOfTag(args))
}

func primePoint[R, C any](ctx context.Context, id catalog.ID, args catalog.ListArgs,
	read func(context.Context, catalog.ID, catalog.ListArgs) (*R, []*C, error), root *Batch[*R], list *Batch[[]*C]) error {
	row, children, err := read(ctx, id, args)
	if err != nil || row == nil {
		return err
	}
	root.seed(ctx, id, row)
	list.seed(ctx, id, children)
	return nil
}

// ItemsOfStore loads Store.items with these arguments.
func (l *Loaders) ItemsOfStore(a catalog.ListArgs) *Batch[[]*catalog.Item] {
	return l.itemsOfStore.get(a)
}

// TagsOfStore loads Store.tags with these arguments.
func (l *Loaders) TagsOfStore(a catalog.ListArgs) *Batch[[]*catalog.Tag] { return l.tagsOfStore.get(a) }

// TagsOfItem loads Item.tags with these arguments.
func (l *Loaders) TagsOfItem(a catalog.ListArgs) *Batch[[]*catalog.Tag] { return l.tagsOfItem.get(a) }

// ItemsOfTag loads Tag.items with these arguments.
func (l *Loaders) ItemsOfTag(a catalog.ListArgs) *Batch[[]*catalog.Item] { return l.itemsOfTag.get(a) }

// New returns the loaders for one request, without limits. wait is how long a batch waits
// for more keys when its keys were not prefetched.
func New(st *postgres.Catalog, wait time.Duration) *Loaders {
	return newLoaders(st, wait, &budget{})
}

// NewLimited is New for a request held to limits.
func NewLimited(st *postgres.Catalog, wait time.Duration, limits Limits) *Loaders {
	return newLoaders(st, wait, &budget{Limits: limits})
}

func newLoaders(st *postgres.Catalog, wait time.Duration, bud *budget) *Loaders {
	counts := func(name string, c postgres.Count) *Batch[int] {
		return newBatch(name, wait,
			func(ctx context.Context, ids []catalog.ID) (map[catalog.ID]int, error) { return st.Counts(ctx, c, ids) },
			func(catalog.ID) (int, error) { return 0, nil })
	}
	return &Loaders{
		st:     st,
		wait:   wait,
		budget: bud,
		Store:  newBatch("Store", wait, byID(st.StoresByID, func(s *catalog.Store) catalog.ID { return s.ID }), notFound[*catalog.Store](catalog.ErrNoStore)),
		Item:   newBatch("Item", wait, byID(st.ItemsByID, func(i *catalog.Item) catalog.ID { return i.ID }), notFound[*catalog.Item](catalog.ErrNoItem)),
		Tag:    newBatch("Tag", wait, byID(st.TagsByID, func(t *catalog.Tag) catalog.ID { return t.ID }), notFound[*catalog.Tag](catalog.ErrNoTag)),

		ItemCountOfStore: counts("ItemCountOfStore", postgres.ItemCountOfStores),
		TagCountOfStore:  counts("TagCountOfStore", postgres.TagCountOfStores),
		TagCountOfItem:   counts("TagCountOfItem", postgres.TagCountOfItems),
		ItemCountOfTag:   counts("ItemCountOfTag", postgres.ItemCountOfTags),

		itemsOfStore: newByArgs("ItemsOfStore", wait, st.ItemsOfStores),
		tagsOfStore:  newByArgs("TagsOfStore", wait, st.TagsOfStores),
		tagsOfItem:   newByArgs("TagsOfItem", wait, st.TagsOfItems),
		itemsOfTag:   newByArgs("ItemsOfTag", wait, st.ItemsOfTags),

		storesOfOwner: newByArgs("StoresOfOwner", wait, st.StoresOfOwners),
	}
}

func byID[V any](fetch func(context.Context, []catalog.ID) ([]V, error), id func(V) catalog.ID) func(context.Context, []catalog.ID) (map[catalog.ID]V, error) {
	return func(ctx context.Context, ids []catalog.ID) (map[catalog.ID]V, error) {
		rows, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		m := make(map[catalog.ID]V, len(rows))
		for _, r := range rows {
			m[id(r)] = r
		}
		return m, nil
	}
}

func notFound[V any](err error) func(catalog.ID) (V, error) {
	return func(catalog.ID) (V, error) {
		var zero V
		return zero, err
	}
}

type ctxKey struct{}

// Middleware gives every request its own loaders, held to limits; its reads, through the
// loaders or not, take their rows from one postgres.RowBudget.
func Middleware(st *postgres.Catalog, wait time.Duration, limits Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(limited(r.Context(), st, wait, limits)))
	})
}

// limited returns ctx with new loaders held to limits and, when they bound rows, a new row
// budget.
func limited(ctx context.Context, st *postgres.Catalog, wait time.Duration, limits Limits) context.Context {
	ctx = context.WithValue(ctx, ctxKey{}, NewLimited(st, wait, limits))
	if limits.MaxRows > 0 {
		ctx = postgres.WithRowBudget(ctx, postgres.NewRowBudget(limits.MaxRows))
	}
	return ctx
}

// Fresh returns ctx with new, empty loaders. Each mutation of a request runs on its own, so
// that its payload shows the rows as that mutation left them, not as an earlier one read them;
// they still spend the request's one budget.
func Fresh(ctx context.Context) context.Context {
	l := For(ctx)
	return context.WithValue(ctx, ctxKey{}, newLoaders(l.st, l.wait, l.budget))
}

// For returns the request's loaders. It panics when the middleware did not run, which is a
// wiring mistake, not a request error.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader: no loaders in context; is loader.Middleware installed?")
	}
	return l
}

// PrimeTagsOfItems puts the tags of items read by another statement into TagsOfItem(args).
func (l *Loaders) PrimeTagsOfItems(ctx context.Context, args catalog.ListArgs, tags map[catalog.ID][]*catalog.Tag) {
	b := l.TagsOfItem(args)
	for id, ts := range tags {
		b.seed(ctx, id, ts)
	}
}

// Renewed returns ctx with new loaders and a new row budget, held to the same limits: each
// delivery of a subscription reads the rows as they are then, as a request of its own.
func Renewed(ctx context.Context) context.Context {
	l := For(ctx)
	return limited(ctx, l.st, l.wait, l.budget.Limits)
}
