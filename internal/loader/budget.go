package loader

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/store"
)

// Limits bound what one request may load and write, whatever its estimated cost: the
// estimate guesses the size of a list without first, these hold when it runs. Zero means
// no limit.
type Limits struct {
	MaxRows          int // rows read from the database, counted as each statement returns them
	MaxResponseBytes int // bytes of relationship lists written into the response
}

// budget is what a request has spent of its Limits. Loaders of one request (a mutation's
// fresh ones included) share it.
type budget struct {
	Limits
	rows  atomic.Int64
	bytes atomic.Int64
}

func (b *budget) rowsError() error {
	return catalog.Errorf(catalog.OverLimit,
		"This request would read more than %d rows, the limit; ask for fewer with first.", b.MaxRows)
}

// readContext is called before a statement: it refuses once the request has read its
// rows, so no statement runs past the limit, and tells the store how many rows are left.
func (b *budget) readContext(ctx context.Context) (context.Context, error) {
	if b == nil || b.MaxRows <= 0 {
		return ctx, nil
	}
	left := int64(b.MaxRows) - b.rows.Load()
	if left < 0 {
		return ctx, b.rowsError()
	}
	return store.WithMaxRows(ctx, int(left)), nil
}

// read counts n rows a statement returned, or turns the store's stop at the limit into
// the request's error.
func (b *budget) read(n int, err error) error {
	if b == nil || b.MaxRows <= 0 {
		return err
	}
	if errors.Is(err, store.ErrTooManyRows) {
		b.rows.Store(int64(b.MaxRows) + 1)
		return b.rowsError()
	}
	if err != nil {
		return err
	}
	if b.rows.Add(int64(n)) > int64(b.MaxRows) {
		return b.rowsError()
	}
	return nil
}

// ReserveBytes takes n bytes of the response for a list about to be written, or refuses
// the list when the request's lists would write more than MaxResponseBytes.
func (l *Loaders) ReserveBytes(n int64) error {
	b := l.budget
	if b == nil || b.MaxResponseBytes <= 0 {
		return nil
	}
	if total := b.bytes.Add(n); total > int64(b.MaxResponseBytes) {
		return catalog.Errorf(catalog.OverLimit,
			"This request would write at least %d bytes, over the limit of %d; ask for fewer with first.",
			total, b.MaxResponseBytes)
	}
	return nil
}
