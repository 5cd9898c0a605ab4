package loader

import (
	"sync/atomic"

	"github.com/storegraph/storegraph/internal/catalog"
)

// Limits bound what one request may load and write, whatever its estimated cost: the
// estimate guesses the size of a list without first, these hold when it runs. Zero means
// no limit.
type Limits struct {
	MaxRows          int // rows read from the database, taken from a store.RowBudget as they are scanned
	MaxResponseBytes int // bytes of relationship lists written into the response
}

// budget is what a request has written of its MaxResponseBytes. Loaders of one request (a
// mutation's fresh ones included) share it.
type budget struct {
	Limits
	bytes atomic.Int64
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
