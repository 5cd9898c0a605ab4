package postgres

import (
	"context"

	"github.com/storegraph/storegraph/internal/catalog"
)

// A root lookup by id that selects a list below it (item(id) { tags }, tag(id) { items })
// reads the row and its list in one statement: a lateral join applies the list's order,
// first and offset. It saves the request a round trip, and the list's loader is primed
// with what it read. The join inside is fenced (see fewParents), so that it probes the
// other table's primary key link by link.

// point is a root row read with its first list.
type point[R, C any] struct {
	from, columns, key string // the root's table, its columns in scan order, its id column
	list               relation
	alias              string // the list's alias in its fenced join
	// The list's columns in scan order, zero where the root has no row in the list: the
	// lateral join then gives one row of NULLs, and no list row has id 0.
	listColumns string
	root        rowScanner[R]
	child       rowScanner[C]
}

var (
	itemWithTags = point[catalog.Item, catalog.Tag]{
		from: "items AS i", columns: "i.id, i.store_id, i.name, i.price", key: "i.id",
		list: tagsOfItems, alias: "t",
		listColumns: "coalesce(t.id, 0), coalesce(t.store_id, 0), coalesce(t.name, '')",
		root:        scanItem, child: scanTag,
	}
	tagWithItems = point[catalog.Tag, catalog.Item]{
		from: "tags AS t", columns: "t.id, t.store_id, t.name", key: "t.id",
		list: itemsOfTags, alias: "i",
		listColumns: "coalesce(i.id, 0), coalesce(i.store_id, 0), coalesce(i.name, ''), coalesce(i.price, 0)",
		root:        scanTag, child: scanItem,
	}
)

// ItemWithTags returns the item with this id and its tags as TagsOfItems would with args;
// a nil item when there is none.
func (s *Catalog) ItemWithTags(ctx context.Context, id catalog.ID, args catalog.ListArgs) (*catalog.Item, []*catalog.Tag, error) {
	var item *catalog.Item
	var tags []*catalog.Tag
	err := s.read(ctx, func(ctx context.Context, s *Catalog) (err error) {
		item, tags, err = readPoint(ctx, s, itemWithTags, id, args)
		return err
	})
	return item, tags, translate(err, "item with tags")
}

// TagWithItems returns the tag with this id and the items it labels as ItemsOfTags would
// with args; a nil tag when there is none.
func (s *Catalog) TagWithItems(ctx context.Context, id catalog.ID, args catalog.ListArgs) (*catalog.Tag, []*catalog.Item, error) {
	var tag *catalog.Tag
	var items []*catalog.Item
	err := s.read(ctx, func(ctx context.Context, s *Catalog) (err error) {
		tag, items, err = readPoint(ctx, s, tagWithItems, id, args)
		return err
	})
	return tag, items, translate(err, "tag with items")
}

func readPoint[R, C any](ctx context.Context, s *Catalog, p point[R, C], id catalog.ID, args catalog.ListArgs) (*R, []*C, error) {
	order := p.list.orders[args.Order]
	budget := rowBudget(ctx)
	if err := budget.open(); err != nil {
		return nil, nil, err
	}
	rows, err := s.db.NewSelect().
		TableExpr(p.from).
		ColumnExpr(p.columns).
		ColumnExpr(p.listColumns).
		Join("LEFT JOIN LATERAL (SELECT " + p.alias + ".* FROM " + p.list.fenced + " WHERE " + p.list.parent + " = " + p.key +
			" ORDER BY " + order + " LIMIT $2 OFFSET $3) AS " + p.alias + " ON true").
		Where(p.key + " = $1").
		OrderExpr(order).
		Conn(s.bindPoint(id, args)).
		Rows(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var root, child scannedRow
	dest := append(root.dest(p.root.price), child.dest(p.child.price)...)
	var out *R
	list := []*C{}
	for rows.Next() {
		if err := budget.take(1); err != nil {
			return nil, nil, err
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		if out == nil {
			out = p.root.build(&root)
		}
		if child.id != 0 {
			list = append(list, p.child.build(&child))
		}
	}
	return out, list, rows.Err()
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
