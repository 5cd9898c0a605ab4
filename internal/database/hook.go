package database

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"
)

// QueryCounter is a Bun query hook that counts every SQL statement sent.
type QueryCounter struct {
	total   atomic.Int64
	counter prometheus.Counter
}

// NewQueryCounter returns a hook that also feeds counter, when it is not nil.
func NewQueryCounter(counter prometheus.Counter) *QueryCounter {
	return &QueryCounter{counter: counter}
}

var _ bun.QueryHook = (*QueryCounter)(nil)

// BeforeQuery implements bun.QueryHook.
func (c *QueryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (c *QueryCounter) AfterQuery(_ context.Context, _ *bun.QueryEvent) {
	c.total.Add(1)
	if c.counter != nil {
		c.counter.Inc()
	}
}

// Total returns how many statements have been sent.
func (c *QueryCounter) Total() int64 { return c.total.Load() }
