package postgres

import (
	"context"
	"sync/atomic"

	"github.com/storegraph/storegraph/internal/catalog"
)

// RowBudget is how many rows one request may still read. Every read under a context that
// carries it takes its rows from it as it scans them, so statements that run at once (the
// root fields of a query do) share one budget, instead of each reading what was left when
// it started.
type RowBudget struct {
	max    int
	left   atomic.Int64
	parent *RowBudget   // of a share: the budget it takes from
	took   atomic.Int64 // of a share: what it has taken
}

// NewRowBudget returns a budget of max rows.
func NewRowBudget(max int) *RowBudget {
	b := &RowBudget{max: max}
	b.left.Store(int64(max))
	return b
}

type rowBudgetKey struct{}

// WithRowBudget returns ctx whose reads take their rows from b.
func WithRowBudget(ctx context.Context, b *RowBudget) context.Context {
	return context.WithValue(ctx, rowBudgetKey{}, b)
}

// rowBudget is ctx's budget; nil, which takes any number of rows, when it has none.
func rowBudget(ctx context.Context) *RowBudget {
	b, _ := ctx.Value(rowBudgetKey{}).(*RowBudget)
	return b
}

// share returns a budget that takes from b and can give back what it took, for a read
// that may fail part way and run again.
func (b *RowBudget) share() *RowBudget {
	if b == nil {
		return nil
	}
	return &RowBudget{max: b.max, parent: b}
}

// giveBack returns what a share took to its budget.
func (b *RowBudget) giveBack() {
	if b != nil && b.parent != nil {
		b.parent.left.Add(b.took.Swap(0))
	}
}

// take counts n more rows read, and refuses them past the budget: the read stops there.
func (b *RowBudget) take(n int) error {
	if b != nil && b.parent != nil {
		b.took.Add(int64(n))
		return b.parent.take(n)
	}
	if b == nil || b.left.Add(-int64(n)) >= 0 {
		return nil
	}
	return catalog.Errorf(catalog.OverLimit,
		"This request would read more than %d rows, the limit; ask for fewer with first.", b.max)
}

// open refuses a statement once the budget is spent, so that a request over it sends no
// more SQL.
func (b *RowBudget) open() error { return b.take(0) }

// readCounted runs read, a statement whose rows are few or bounded by its ids or page, on
// the server that serves ctx's reads (see Catalog.read) and within ctx's budget: not at all
// once the budget is spent, and its rows (read returns how many) taken from it afterwards.
func (s *Catalog) readCounted(ctx context.Context, read func(ctx context.Context, s *Catalog) (int, error)) error {
	return s.read(ctx, func(ctx context.Context, s *Catalog) error {
		budget := rowBudget(ctx)
		if err := budget.open(); err != nil {
			return err
		}
		n, err := read(ctx, s)
		if err != nil {
			return err
		}
		return budget.take(n)
	})
}
