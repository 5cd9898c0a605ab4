package graph

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/live"
	"github.com/storegraph/storegraph/internal/loader"
)

// Hub is the process's fan-out of committed changes to subscribers.
type Hub = live.Hub[*model.StoreChange]

// NewHub returns a hub that hands subscribers changes as the schema shows them.
func NewHub(limits live.Limits, metrics live.Metrics) *Hub {
	return live.NewHub(model.NewStoreChange, limits, metrics)
}

// subscribe opens a feed of store's changes for the subscription of ctx. The store is
// looked up once the feed is open, so that no change made in between is missed.
func (r *Resolver) subscribe(ctx context.Context, store catalog.ID) (<-chan *model.StoreChange, error) {
	release, err := live.TakeSlot(ctx)
	if err != nil {
		return nil, err
	}
	sub, err := r.Live.Subscribe(ctx, store)
	if err != nil {
		release()
		return nil, err
	}
	found, err := r.Catalog.StoresByID(ctx, []catalog.ID{store})
	if err == nil && len(found) == 0 {
		err = catalog.ErrNoStore
	}
	if err != nil {
		sub.Close()
		release()
		return nil, err
	}
	start, tally := time.Now(), tallyOf(ctx)
	context.AfterFunc(ctx, func() {
		sub.Close()
		release()
		r.Log.Info("subscription ended", "store", store, "duration", time.Since(start), "deliveries", tally.Load())
	})
	return sub.C, nil
}

// changedRow reads the item or tag a change concerns as it is now, with what the
// subscription selects below it, as item(id) and tag(id) do; nil once it is deleted.
func changedRow[T catalog.Item | catalog.Tag](ctx context.Context, log *slog.Logger, id *catalog.ID, b *loader.Batch[*T],
	primeWithList func(context.Context, catalog.ID, catalog.ListArgs) error) (*T, error) {
	if id == nil {
		return nil, nil
	}
	row, err := rootByID(ctx, log, *id, b, errGone, primeWithList)
	if errors.Is(err, errGone) {
		return nil, nil
	}
	return row, err
}

var errGone = errors.New("deleted since the change")

type tallyKey struct{}

// tally is what Deliveries keeps of one subscription.
type tally struct {
	atomic.Int64      // deliveries
	reads        bool // whether its selection reads rows (objects below the change)
}

// tallyOf returns the deliveries counted for the subscription of ctx.
func tallyOf(ctx context.Context) *tally {
	if t, ok := ctx.Value(tallyKey{}).(*tally); ok {
		return t
	}
	return new(tally)
}

// readsRows reports whether a selection asks for an object below its fields: a change's
// kind and ids alone need no loaders.
func readsRows(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			for _, below := range s.SelectionSet {
				if f, ok := below.(*ast.Field); !ok || len(f.SelectionSet) > 0 {
					return true
				}
			}
		default:
			return true
		}
	}
	return false
}

// Deliveries is the gqlgen extension that runs each delivery of a subscription like a
// request of its own: with new loaders and a new row budget, so that it reads the rows as
// they are when the change is delivered, never the connection's first request's cache. It
// counts the deliveries, and gives the queries over a socket or event stream, which no
// HTTP deadline bounds, the deadline of a request.
type Deliveries struct {
	Timeout   time.Duration      // of a query or mutation over a stream
	Delivered prometheus.Counter // changes delivered to subscribers
	running   atomic.Int64
}

var (
	_ graphql.HandlerExtension     = (*Deliveries)(nil)
	_ graphql.OperationInterceptor = (*Deliveries)(nil)
	_ graphql.ResponseInterceptor  = (*Deliveries)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*Deliveries) ExtensionName() string { return "Deliveries" }

// Validate implements graphql.HandlerExtension.
func (*Deliveries) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (d *Deliveries) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !isSubscription(ctx) {
		return next(ctx)
	}
	d.running.Add(1)
	context.AfterFunc(ctx, func() { d.running.Add(-1) })
	t := &tally{reads: readsRows(graphql.GetOperationContext(ctx).Operation.SelectionSet)}
	return next(context.WithValue(ctx, tallyKey{}, t))
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (d *Deliveries) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !isSubscription(ctx) {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d.Timeout)
			defer cancel()
		}
		return next(ctx)
	}
	t := tallyOf(ctx)
	if t.reads {
		ctx = loader.Renewed(ctx)
	}
	resp := next(ctx)
	if resp != nil {
		t.Add(1)
		d.Delivered.Inc()
	}
	return resp
}

// Running returns how many subscriptions are being served.
func (d *Deliveries) Running() int64 { return d.running.Load() }

func isSubscription(ctx context.Context) bool {
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}
