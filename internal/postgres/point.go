package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

// A root lookup by id that selects a list below it (item(id) { tags }, tag(id) { items })
// reads the row and its list in one statement: a lateral join applies the list's order,
// first and offset. It saves the request a round trip, and the list's loader is primed
// with what it read. The join inside is fenced (see fewParents), so that it probes the
// other table's primary key link by link.

// point is a root row read with its first list. Where the root has no row in the list, the
// lateral join gives one row of NULLs, read as zero values: no list row has id 0.
type point[R, C any] struct {
	root *table[R]
	list relation[C]
}

// ItemWithTags returns the item with this id and its tags as TagsOfItems would with args;
// a nil item when there is none.
func (s *Catalog) ItemWithTags(ctx context.Context, id catalog.ID, args catalog.ListArgs) (*catalog.Item, []*catalog.Tag, error) {
	item, tags, err := s.itemWithTags.read(ctx, s, id, args)
	return item, tags, translate(err, "item with tags")
}

// TagWithItems returns the tag with this id and the items it labels as ItemsOfTags would
// with args; a nil tag when there is none.
func (s *Catalog) TagWithItems(ctx context.Context, id catalog.ID, args catalog.ListArgs) (*catalog.Tag, []*catalog.Item, error) {
	tag, items, err := s.tagWithItems.read(ctx, s, id, args)
	return tag, items, translate(err, "tag with items")
}

// read reads the row with this id and its list.
func (p point[R, C]) read(ctx context.Context, s *Catalog, id catalog.ID, args catalog.ListArgs) (*R, []*C, error) {
	order := p.list.child.orderBy(args.Order)
	key := p.root.key
	child := p.list.child
	query := func(s *Catalog) *bun.SelectQuery {
		return s.db.NewSelect().
			TableExpr(p.root.name + " AS " + p.root.alias).
			ColumnExpr(p.root.list).
			ColumnExpr(child.orZero).
			Join("LEFT JOIN LATERAL (SELECT " + child.list + " FROM " + p.list.fenced + " WHERE " + p.list.parent + " = " + key +
				" ORDER BY " + order + " LIMIT $2 OFFSET $3) AS " + child.alias + " ON true").
			Where(key + " = $1").
			OrderExpr(order).
			Conn(s.bindPoint(id, args))
	}
	var root rowScan[R]
	var row rowScan[C]
	dest := child.bind(&row, p.root.bind(&root, make([]any, 0, len(p.root.columns)+len(child.columns))))
	var out *R
	var list []*C
	err := s.scanRows(ctx, query, dest,
		func() { out, list = nil, []*C{} },
		func() {
			if out == nil {
				out = root.copy()
			}
			if row.key() != 0 {
				list = append(list, row.copy())
			}
		})
	if err != nil {
		return nil, nil, err
	}
	return out, list, nil
}

// bindPoint binds the row's id as $1, the list's LIMIT as $2 (NULL for none) and its OFFSET
// as $3. One id, not an array of them: the generic plan then expects one row, as the plan
// for the actual value does, so PostgreSQL keeps it instead of planning every execution.
func (s *Catalog) bindPoint(id catalog.ID, args catalog.ListArgs) bound {
	var limit *int64
	if args.Limit >= 0 {
		n := int64(args.Limit)
		limit = &n
	}
	return bound{db: s.db.DB, args: []any{s.prepare, int64(id), limit, int64(args.Offset)}}
}
