package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

// StoresByID returns the stores with these ids, in no particular order.
func (s *Catalog) StoresByID(ctx context.Context, ids []catalog.ID) ([]*catalog.Store, error) {
	var rows []*catalog.Store
	err := s.read(ctx, func(ctx context.Context, s *Catalog) error {
		return counted(ctx, func() (int, error) {
			rows = nil
			err := s.db.NewSelect().Conn(s.bind(ids)).Model(&rows).Where("s.id = ANY($1)").Scan(ctx)
			return len(rows), err
		})
	})
	return rows, translate(err, "stores by id")
}

// ItemsByID returns the items with these ids, in no particular order.
func (s *Catalog) ItemsByID(ctx context.Context, ids []catalog.ID) ([]*catalog.Item, error) {
	var rows []*catalog.Item
	err := s.read(ctx, func(ctx context.Context, s *Catalog) error {
		return counted(ctx, func() (int, error) {
			rows = nil
			err := s.db.NewSelect().Conn(s.bind(ids)).Model(&rows).Where("i.id = ANY($1)").Scan(ctx)
			return len(rows), err
		})
	})
	return rows, translate(err, "items by id")
}

// TagsByID returns the tags with these ids, in no particular order.
func (s *Catalog) TagsByID(ctx context.Context, ids []catalog.ID) ([]*catalog.Tag, error) {
	var rows []*catalog.Tag
	err := s.read(ctx, func(ctx context.Context, s *Catalog) error {
		return counted(ctx, func() (int, error) {
			rows = nil
			err := s.db.NewSelect().Conn(s.bind(ids)).Model(&rows).Where("t.id = ANY($1)").Scan(ctx)
			return len(rows), err
		})
	})
	return rows, translate(err, "tags by id")
}

// relation describes one relationship list for the batched statement: where its rows come
// from, which column names the parent, and how each order sorts.
type relation struct {
	from    string // FROM clause, with the aliases the columns use
	fenced  string // FROM clause for few parents, when the relation joins a table (see fewParents)
	parent  string // the column holding the parent's id
	columns string // the child's columns, in scan order
	orders  map[catalog.Order]string
}

var (
	itemsOfStores = relation{
		from:    "items AS i",
		parent:  "i.store_id",
		columns: "i.id, i.store_id, i.name, i.price",
		orders:  itemOrders,
	}
	tagsOfStores = relation{
		from:    "tags AS t",
		parent:  "t.store_id",
		columns: "t.id, t.store_id, t.name",
		orders:  tagOrders,
	}
	tagsOfItems = relation{
		from:    "items_tags AS it JOIN tags AS t ON t.id = it.tag_id",
		fenced:  "items_tags AS it CROSS JOIN LATERAL (SELECT id, store_id, name FROM tags WHERE tags.id = it.tag_id OFFSET 0) AS t",
		parent:  "it.item_id",
		columns: "t.id, t.store_id, t.name",
		orders:  tagOrders,
	}
	itemsOfTags = relation{
		from:    "items_tags AS it JOIN items AS i ON i.id = it.item_id",
		fenced:  "items_tags AS it CROSS JOIN LATERAL (SELECT id, store_id, name, price FROM items WHERE items.id = it.item_id OFFSET 0) AS i",
		parent:  "it.tag_id",
		columns: "i.id, i.store_id, i.name, i.price",
		orders:  itemOrders,
	}
	itemOrders = map[catalog.Order]string{
		catalog.ByID:    "i.id",
		catalog.ByName:  "i.name, i.id",
		catalog.ByPrice: "i.price, i.id",
	}
	tagOrders = map[catalog.Order]string{
		catalog.ByID:    "t.id",
		catalog.ByName:  "t.name, t.id",
		catalog.ByPrice: "t.id", // tags have no price; TagOrder never asks for it
	}
)

// fewParents is how many parents a join through items_tags probes the other table's primary
// key for, link by link. The prepared statement's generic plan does not know how many ids
// its array holds and hash-joins a whole table even for one parent's five links; the
// subquery with OFFSET 0 cannot be flattened into the join, so it stays a lookup per link.
// Past this many parents the plain join, hashed, costs less.
const fewParents = 100

// relationQuery builds the one statement that reads the relation for every parent at once, with
// first/offset applied per parent by row_number() when they are given. Rows come back as
// (parent, child columns...), sorted so that each parent's rows are in list order.
func (s *Catalog) relationQuery(r relation, parents []catalog.ID, args catalog.ListArgs) *bun.SelectQuery {
	order := r.orders[args.Order]
	from := r.from
	if r.fenced != "" && len(parents) <= fewParents {
		from = r.fenced
	}
	q := s.db.NewSelect().
		TableExpr(from).
		ColumnExpr(r.parent + " AS parent").
		ColumnExpr(r.columns).
		Where(r.parent + " = ANY($1)")
	if args.Limit < 0 && args.Offset == 0 {
		return q.Conn(s.bind(parents)).OrderExpr(r.parent + ", " + order)
	}
	q = q.ColumnExpr("row_number() OVER (PARTITION BY " + r.parent + " ORDER BY " + order + ") AS rn")
	outer := s.db.NewSelect().TableExpr("(?) AS w", q).ColumnExpr("w.*").
		Where("w.rn > ?", args.Offset).
		OrderExpr("w.parent, w.rn")
	if args.Limit >= 0 {
		outer = outer.Where("w.rn <= ?", args.Offset+args.Limit)
	}
	return outer.Conn(s.bind(parents))
}

// scanChildren runs q and groups its rows by parent, keeping their order. A child that
// several parents share (a tag on many items) is read into one struct.
func scanChildren[T any](ctx context.Context, q *bun.SelectQuery, windowed bool, scan rowScanner[T]) (map[catalog.ID][]*T, error) {
	budget := rowBudget(ctx)
	if err := budget.open(); err != nil {
		return nil, err
	}
	rows, err := q.Rows(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[catalog.ID][]*T)
	seen := make(map[int64]*T)
	var r scannedRow
	dest := append([]any{&r.parent}, r.dest(scan.price)...)
	if windowed {
		dest = append(dest, &r.rn)
	}
	for rows.Next() {
		if err := budget.take(1); err != nil {
			return nil, err
		}
		// Plain int64 and RawBytes destinations take database/sql's fast paths, and the
		// name is copied only for a child not read yet.
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		child, ok := seen[r.id]
		if !ok {
			child = scan.build(&r)
			seen[r.id] = child
		}
		out[catalog.ID(r.parent)] = append(out[catalog.ID(r.parent)], child)
	}
	return out, rows.Err()
}

// scannedRow holds one row of a relation statement: parent, id, store_id, name[, price][, rn].
type scannedRow struct {
	parent, id, storeID, rn int64
	name                    sql.RawBytes
	price                   catalog.Money
}

// dest returns where rows.Scan puts a row's id, store_id, name and, with price, its price.
func (r *scannedRow) dest(price bool) []any {
	d := []any{&r.id, &r.storeID, &r.name}
	if price {
		d = append(d, &r.price)
	}
	return d
}

type rowScanner[T any] struct {
	price bool // the rows have a price column
	build func(*scannedRow) *T
}

var (
	scanItem = rowScanner[catalog.Item]{price: true, build: func(r *scannedRow) *catalog.Item {
		return &catalog.Item{ID: catalog.ID(r.id), StoreID: catalog.ID(r.storeID), Name: string(r.name), Price: r.price}
	}}
	scanTag = rowScanner[catalog.Tag]{build: func(r *scannedRow) *catalog.Tag {
		return &catalog.Tag{ID: catalog.ID(r.id), StoreID: catalog.ID(r.storeID), Name: string(r.name)}
	}}
)

func windowed(args catalog.ListArgs) bool { return args.Limit >= 0 || args.Offset > 0 }

// readChildren reads relation r of the parents ids with scanChildren.
func readChildren[T any](ctx context.Context, s *Catalog, r relation, ids []catalog.ID, args catalog.ListArgs, scan rowScanner[T], op string) (map[catalog.ID][]*T, error) {
	var m map[catalog.ID][]*T
	err := s.read(ctx, func(ctx context.Context, s *Catalog) (err error) {
		m, err = scanChildren(ctx, s.relationQuery(r, ids, args), windowed(args), scan)
		return err
	})
	return m, translate(err, op)
}

// ItemsOfStores returns the items of each store, by store id.
func (s *Catalog) ItemsOfStores(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Item, error) {
	return readChildren(ctx, s, itemsOfStores, ids, args, scanItem, "items of stores")
}

// TagsOfStores returns the tags of each store, by store id.
func (s *Catalog) TagsOfStores(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Tag, error) {
	return readChildren(ctx, s, tagsOfStores, ids, args, scanTag, "tags of stores")
}

// TagsOfItems returns the tags linked with each item, by item id.
func (s *Catalog) TagsOfItems(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Tag, error) {
	return readChildren(ctx, s, tagsOfItems, ids, args, scanTag, "tags of items")
}

// ItemsOfTags returns the items each tag labels, by tag id.
func (s *Catalog) ItemsOfTags(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Item, error) {
	return readChildren(ctx, s, itemsOfTags, ids, args, scanItem, "items of tags")
}

// Count names a count of related rows per parent.
type Count struct {
	table  string
	parent string
}

// The counts the API offers.
var (
	ItemCountOfStores = Count{"items", "store_id"}
	TagCountOfStores  = Count{"tags", "store_id"}
	TagCountOfItems   = Count{"items_tags", "item_id"}
	ItemCountOfTags   = Count{"items_tags", "tag_id"}
)

// Counts returns the count c for each parent; parents with no rows are missing from the map.
func (s *Catalog) Counts(ctx context.Context, c Count, ids []catalog.ID) (map[catalog.ID]int, error) {
	var rows []struct {
		Parent catalog.ID `bun:"parent"`
		N      int        `bun:"n"`
	}
	err := s.read(ctx, func(ctx context.Context, s *Catalog) error {
		return counted(ctx, func() (int, error) {
			rows = nil
			err := s.db.NewSelect().Conn(s.bind(ids)).
				TableExpr(c.table).
				ColumnExpr(c.parent+" AS parent, count(*) AS n").
				Where(c.parent+" = ANY($1)").
				GroupExpr(c.parent).
				Scan(ctx, &rows)
			return len(rows), err
		})
	})
	if err != nil {
		return nil, translate(err, fmt.Sprintf("count %s by %s", c.table, c.parent))
	}
	out := make(map[catalog.ID]int, len(rows))
	for _, r := range rows {
		out[r.Parent] = r.N
	}
	return out, nil
}
