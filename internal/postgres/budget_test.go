package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/postgres"
)

// Once a request's row budget is spent, a count is refused with the budget's error before
// its statement is sent, like every other read; within the budget it counts.
func TestCountsKeepToTheRowBudget(t *testing.T) {
	t.Parallel()
	queries := database.NewQueryCounter(nil)
	db := dbtest.Open(t, queries)
	s := postgres.NewCatalog(db, postgres.Options{})
	st := dbtest.InsertStore(t, db, "Corner", dbtest.InsertUser(t, db, "owner@example.com"))
	for _, name := range []string{"Pen", "Ink", "Nib"} {
		dbtest.InsertItem(t, db, st, name, "1.00")
		dbtest.InsertTag(t, db, st, name)
	}
	counts := []struct {
		name  string
		count func(context.Context) (int, error)
	}{
		{"CountStores", func(ctx context.Context) (int, error) { return s.CountStores(ctx, catalog.StoreFilter{}) }},
		{"CountItems", func(ctx context.Context) (int, error) { return s.CountItems(ctx, catalog.ItemFilter{}) }},
		{"CountTags", func(ctx context.Context) (int, error) { return s.CountTags(ctx, catalog.TagFilter{}) }},
	}

	within := postgres.WithRowBudget(t.Context(), postgres.NewRowBudget(100))
	for i, c := range counts {
		if n, err := c.count(within); err != nil || n != []int{1, 3, 3}[i] {
			t.Errorf("%s within the budget = %d, %v; want %d", c.name, n, err, []int{1, 3, 3}[i])
		}
	}

	spent := postgres.WithRowBudget(t.Context(), postgres.NewRowBudget(2))
	if _, _, err := s.ListItems(spent, catalog.ItemFilter{}, catalog.Page{First: 10}); catalog.ErrorCode(err) != catalog.OverLimit {
		t.Fatalf("reading 3 items on a budget of 2: %v; want %s", err, catalog.OverLimit)
	}
	for _, c := range counts {
		before := queries.Total()
		_, err := c.count(spent)
		wantCode(t, c.name+" past the budget", err, catalog.OverLimit)
		if sent := queries.Total() - before; sent != 0 {
			t.Errorf("%s past the budget sent %d statements; want none", c.name, sent)
		}
	}
}

// A page's tags are read as each item's list of tag ids: every id is taken from the row
// budget as a row, so items that share a few tags cannot list them past the budget.
func TestPageTagsKeepToTheRowBudget(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t)
	s := postgres.NewCatalog(db, postgres.Options{})
	st := dbtest.InsertStore(t, db, "Corner", dbtest.InsertUser(t, db, "owner@example.com"))
	tags := []catalog.ID{dbtest.InsertTag(t, db, st, "red"), dbtest.InsertTag(t, db, st, "blue")}
	for i := range 20 {
		item := dbtest.InsertItem(t, db, st, fmt.Sprintf("Pen %02d", i), "1.00")
		for _, tag := range tags {
			dbtest.InsertLink(t, db, item, tag, st)
		}
	}
	list := func(budget int) (postgres.ItemsPage, error) {
		ctx := postgres.WithRowBudget(t.Context(), postgres.NewRowBudget(budget))
		return s.ListItemsWith(ctx, catalog.ItemFilter{StoreID: st}, catalog.Page{First: 20},
			postgres.ItemsAlso{Tags: &catalog.ListArgs{Limit: -1}})
	}

	// 20 items, their 40 links and the 2 tags they name.
	page, err := list(62)
	if err != nil {
		t.Fatalf("listing within a budget of 62 rows: %v", err)
	}
	if len(page.Items) != 20 || len(page.Tags[page.Items[0].ID]) != 2 {
		t.Errorf("got %d items, the first with %d tags; want 20 with 2", len(page.Items), len(page.Tags[page.Items[0].ID]))
	}
	// The 20 item rows and 2 tag rows fit in 40; the links do not.
	_, err = list(40)
	wantCode(t, "ListItemsWith past the budget", err, catalog.OverLimit)
}
