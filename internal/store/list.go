package store

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/storegraph/storegraph/internal/catalog"
)

// Each list reads one row more than the page holds, to tell whether another page follows.

// ListStores returns a page of stores by id, and whether more follow.
func (s *Store) ListStores(ctx context.Context, f catalog.StoreFilter, p catalog.Page) ([]*catalog.Store, bool, error) {
	var rows []*catalog.Store
	q := s.db.NewSelect().Model(&rows).Apply(storeFilter(f))
	err := page(q, "s.id", p).Scan(ctx)
	rows, more := trim(rows, p.First)
	return rows, more, translate(err, "list stores")
}

// CountStores counts the stores that match f.
func (s *Store) CountStores(ctx context.Context, f catalog.StoreFilter) (int, error) {
	n, err := s.db.NewSelect().Model((*catalog.Store)(nil)).Apply(storeFilter(f)).Count(ctx)
	return int(n), translate(err, "count stores")
}

// ListItems returns a page of items by id, and whether more follow.
func (s *Store) ListItems(ctx context.Context, f catalog.ItemFilter, p catalog.Page) ([]*catalog.Item, bool, error) {
	var rows []*catalog.Item
	q := s.db.NewSelect().Model(&rows).Apply(itemFilter(f))
	err := page(q, "i.id", p).Scan(ctx)
	rows, more := trim(rows, p.First)
	return rows, more, translate(err, "list items")
}

// CountItems counts the items that match f.
func (s *Store) CountItems(ctx context.Context, f catalog.ItemFilter) (int, error) {
	n, err := s.db.NewSelect().Model((*catalog.Item)(nil)).Apply(itemFilter(f)).Count(ctx)
	return int(n), translate(err, "count items")
}

// ListTags returns a page of tags by id, and whether more follow.
func (s *Store) ListTags(ctx context.Context, f catalog.TagFilter, p catalog.Page) ([]*catalog.Tag, bool, error) {
	var rows []*catalog.Tag
	q := s.db.NewSelect().Model(&rows).Apply(tagFilter(f))
	err := page(q, "t.id", p).Scan(ctx)
	rows, more := trim(rows, p.First)
	return rows, more, translate(err, "list tags")
}

// CountTags counts the tags that match f.
func (s *Store) CountTags(ctx context.Context, f catalog.TagFilter) (int, error) {
	n, err := s.db.NewSelect().Model((*catalog.Tag)(nil)).Apply(tagFilter(f)).Count(ctx)
	return int(n), translate(err, "count tags")
}

func page(q *bun.SelectQuery, id string, p catalog.Page) *bun.SelectQuery {
	if p.After > 0 {
		q = q.Where(id+" > ?", p.After)
	}
	return q.OrderExpr(id).Limit(int64(p.First) + 1)
}

func trim[T any](rows []T, first int) ([]T, bool) {
	if len(rows) > first {
		return rows[:first], true
	}
	return rows, false
}

func storeFilter(f catalog.StoreFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.NameLike != "" {
			q = q.Where(`s.name ILIKE ? ESCAPE '\'`, f.NameLike)
		}
		return q
	}
}

func itemFilter(f catalog.ItemFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.StoreID != 0 {
			q = q.Where("i.store_id = ?", f.StoreID)
		}
		if f.TagID != 0 {
			q = q.Where("EXISTS (SELECT 1 FROM items_tags AS it WHERE it.item_id = i.id AND it.tag_id = ?)", f.TagID)
		}
		if f.NameLike != "" {
			q = q.Where(`i.name ILIKE ? ESCAPE '\'`, f.NameLike)
		}
		if f.MinPrice != nil {
			q = q.Where("i.price >= ?::numeric", *f.MinPrice)
		}
		if f.MaxPrice != nil {
			q = q.Where("i.price <= ?::numeric", *f.MaxPrice)
		}
		return tagMatch(q, f.Tags)
	}
}

// tagMatch adds the tag-set conditions, each list as one array parameter so the statement's
// text has the same shape whatever the number of ids. The lists are distinct ids, so an
// item linked with all n of them has n links among them; an id that names no tag is simply
// never linked.
func tagMatch(q *bun.SelectQuery, m catalog.TagMatch) *bun.SelectQuery {
	if len(m.All) > 0 {
		q = q.Where("i.id IN (SELECT it.item_id FROM items_tags AS it WHERE it.tag_id = ANY(?) GROUP BY it.item_id HAVING count(*) = ?)",
			idArray(m.All), len(m.All))
	}
	if len(m.Any) > 0 {
		q = q.Where("i.id IN (SELECT it.item_id FROM items_tags AS it WHERE it.tag_id = ANY(?))", idArray(m.Any))
	}
	if len(m.None) > 0 {
		q = q.Where("NOT EXISTS (SELECT 1 FROM items_tags AS it WHERE it.item_id = i.id AND it.tag_id = ANY(?))", idArray(m.None))
	}
	return q
}

// idArray passes ids as one bigint[] value.
func idArray(ids []catalog.ID) any {
	arr := make([]int64, len(ids))
	for i, id := range ids {
		arr[i] = int64(id)
	}
	return pgdialect.Array(arr)
}

// TagFacet is a tag with how many of the matching items carry it.
type TagFacet struct {
	Tag   *catalog.Tag
	Count int
}

// TagFacets counts, for each tag the items matching f carry, how many of them carry it, and
// returns the first of those tags by count, most first, ties by id; one statement.
func (s *Store) TagFacets(ctx context.Context, f catalog.ItemFilter, first int) ([]TagFacet, error) {
	if first == 0 {
		return []TagFacet{}, nil
	}
	matching := s.db.NewSelect().Model((*catalog.Item)(nil)).Column("i.id").Apply(itemFilter(f))
	// Each matching item's links are read by its key, through a fenced lateral: a plain join
	// plans a scan of all of items_tags for a store's few hundred items. A filter that does not
	// narrow by store or tag keeps the plain join, as reading most links is what it takes.
	links := "CROSS JOIN LATERAL (SELECT it.tag_id FROM items_tags AS it WHERE it.item_id = m.id OFFSET 0) AS lt"
	if f.StoreID == 0 && f.TagID == 0 && len(f.Tags.All) == 0 && len(f.Tags.Any) == 0 {
		links = "JOIN items_tags AS lt ON lt.item_id = m.id"
	}
	counts := s.db.NewSelect().TableExpr("(?) AS m", matching).
		Join(links).
		ColumnExpr("lt.tag_id, count(*) AS n").
		GroupExpr("lt.tag_id").
		OrderExpr("n DESC, lt.tag_id").
		Limit(int64(first))
	var rows []struct {
		ID      catalog.ID `bun:"id"`
		StoreID catalog.ID `bun:"store_id"`
		Name    string     `bun:"name"`
		N       int        `bun:"n"`
	}
	// The fenced lateral reads each of the few tags by its key rather than joining all tags.
	err := s.db.NewSelect().TableExpr("(?) AS f", counts).
		Join("CROSS JOIN LATERAL (SELECT id, store_id, name FROM tags WHERE tags.id = f.tag_id OFFSET 0) AS t").
		ColumnExpr("t.id, t.store_id, t.name, f.n").
		OrderExpr("f.n DESC, f.tag_id").
		Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, "tag facets")
	}
	out := make([]TagFacet, len(rows))
	for i, r := range rows {
		out[i] = TagFacet{Tag: &catalog.Tag{ID: r.ID, StoreID: r.StoreID, Name: r.Name}, Count: r.N}
	}
	return out, nil
}

func tagFilter(f catalog.TagFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.StoreID != 0 {
			q = q.Where("t.store_id = ?", f.StoreID)
		}
		if f.NameLike != "" {
			q = q.Where(`t.name ILIKE ? ESCAPE '\'`, f.NameLike)
		}
		return q
	}
}
