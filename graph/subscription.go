package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/live"
	"github.com/storegraph/storegraph/internal/loader"
)

// Hub is the process's fan-out of committed changes to subscribers: each change is
// rendered once for the subscribers whose answers are alike, and its response handed to
// each of them.
type Hub = live.Hub[*graphql.Response]

// NewHub returns a hub with no subscribers.
func NewHub(limits live.Limits, metrics live.Metrics) *Hub {
	return live.NewHub[*graphql.Response](limits, metrics)
}

// errNoStream refuses a subscription that the Deliveries extension does not serve.
var errNoStream = errors.New("graph: subscription outside the Deliveries extension")

// subscribe opens a feed of store's changes for the subscription of ctx. The store is
// looked up once the feed is open, so that no change made in between is missed. The
// channel it returns carries each change to render to the executor, for the group of
// subscribers with the same answers.
func (r *Resolver) subscribe(ctx context.Context, store catalog.ID) (<-chan *model.StoreChange, error) {
	st, ok := ctx.Value(streamKey{}).(*stream)
	if !ok {
		return nil, errNoStream
	}
	release, err := live.TakeSlot(ctx)
	if err != nil {
		return nil, err
	}
	sub, err := r.Live.Subscribe(ctx, store, answerKey(ctx))
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
	start := time.Now()
	context.AfterFunc(ctx, func() { // the hub closes sub itself when ctx ends
		release()
		r.Log.Info("subscription ended", "store", store, "duration", time.Since(start), "deliveries", st.delivered.Load())
	})
	st.sub, st.changes = sub, make(chan *model.StoreChange, 1)
	return st.changes, nil
}

// answerKey tells apart the subscriptions whose answers may differ: the operation (its
// selections and fragments), its variables (the store among them) and the signed-in user.
func answerKey(ctx context.Context) string {
	op := graphql.GetOperationContext(ctx)
	vars, _ := json.Marshal(op.Variables) // coerced input values always encode, keys sorted
	user, _ := auth.UserID(ctx)
	h := sha256.New()
	for _, part := range []string{op.RawQuery, op.OperationName, string(vars), strconv.FormatInt(int64(user), 10)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return string(h.Sum(nil))
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

type streamKey struct{}

// stream is what Deliveries keeps of one subscription.
type stream struct {
	delivered atomic.Int64
	reads     bool // whether its selection reads rows (objects below the change)

	sub     *live.Subscription[*graphql.Response] // set by the resolver once subscribed
	changes chan *model.StoreChange               // the resolver's channel, read by the executor
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
// counts the deliveries, and gives each query over a socket or event stream, which no
// HTTP deadline bounds, the deadline, loaders and row budget of a request.
type Deliveries struct {
	Timeout time.Duration // of a query or mutation over a stream
	// Enter takes one of the slots HTTP requests run in for a query over a stream, which
	// no HTTP middleware sees; nil when there are none to take.
	Enter     func(context.Context) (leave func(), err error)
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

// InterceptOperation implements graphql.OperationInterceptor. A subscription's changes are
// rendered by its group through the executor's handler of one member, and every member's
// transport writes the response rendered for the group.
func (d *Deliveries) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !isSubscription(ctx) {
		return next(ctx)
	}
	d.running.Add(1)
	context.AfterFunc(ctx, func() { d.running.Add(-1) })
	st := &stream{reads: readsRows(graphql.GetOperationContext(ctx).Operation.SelectionSet)}
	ctx = context.WithValue(ctx, streamKey{}, st)
	execute := next(ctx)
	if st.sub == nil { // refused: the handler answers with the errors
		return execute
	}
	st.sub.Serve(func(c live.Change) (*graphql.Response, bool) {
		select {
		case st.changes <- model.NewStoreChange(c):
		default: // a change is left from a render its end cut short
			return nil, false
		}
		resp := execute(ctx)
		if resp == nil {
			return nil, false
		}
		resp.Data = bytes.Clone(resp.Data) // the executor writes the next render over its buffer
		return resp, true
	})
	return func(ctx context.Context) *graphql.Response {
		select {
		case resp, ok := <-st.sub.C:
			if !ok {
				return nil
			}
			st.delivered.Add(1)
			d.Delivered.Inc()
			mine := *resp // the transports only read it; a copy keeps it so
			mine.Errors = slices.Clip(mine.Errors)
			return &mine
		case <-ctx.Done():
			return nil
		}
	}
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (d *Deliveries) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !isSubscription(ctx) {
		if _, ok := ctx.Deadline(); !ok {
			// Over a socket, a query is a request of its own: the connection's loaders
			// and row budget would serve it rows an earlier query read, and run out.
			if d.Enter != nil {
				leave, err := d.Enter(ctx)
				if err != nil {
					graphql.AddError(ctx, err)
					return &graphql.Response{Errors: graphql.GetErrors(ctx)}
				}
				defer leave()
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(loader.Renewed(ctx), d.Timeout)
			defer cancel()
		}
		return next(ctx)
	}
	if st, ok := ctx.Value(streamKey{}).(*stream); ok && st.reads {
		ctx = loader.Renewed(ctx)
	}
	return next(ctx)
}

// Running returns how many subscriptions are being served.
func (d *Deliveries) Running() int64 { return d.running.Load() }

func isSubscription(ctx context.Context) bool {
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}
