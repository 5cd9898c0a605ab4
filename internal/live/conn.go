package live

import (
	"context"
	"sync/atomic"

	"github.com/storegraph/storegraph/internal/catalog"
)

// connSlots counts the subscriptions open on one connection.
type connSlots struct {
	max  int32
	open atomic.Int32
}

type connKey struct{}

// WithConnection returns the context of a connection that may hold at most max
// subscriptions at once.
func WithConnection(ctx context.Context, max int) context.Context {
	return context.WithValue(ctx, connKey{}, &connSlots{max: int32(max)})
}

// TakeSlot takes one of the connection's subscription slots, to give back with release;
// TOO_MANY_REQUESTS when none is left. A context without a connection (an event stream,
// one subscription per request) always has one.
func TakeSlot(ctx context.Context) (release func(), err error) {
	s, _ := ctx.Value(connKey{}).(*connSlots)
	if s == nil {
		return func() {}, nil
	}
	if s.open.Add(1) > s.max {
		s.open.Add(-1)
		return nil, catalog.Errorf(catalog.TooManyRequests,
			"This connection has as many subscriptions as it may hold (%d); stop one first.", s.max)
	}
	return func() { s.open.Add(-1) }, nil
}
