package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

// StoresByID returns the stores with these ids, in no particular order.
func (s *Catalog) StoresByID(ctx context.Context, ids []catalog.ID) ([]*catalog.Store, error) {
	rows, err := s.stores.byIDs(ctx, s, ids)
	return rows, translate(err, "stores by id")
}

// ItemsByID returns the items with these ids, in no particular order.
func (s *Catalog) ItemsByID(ctx context.Context, ids []catalog.ID) ([]*catalog.Item, error) {
	rows, err := s.items.byIDs(ctx, s, ids)
	return rows, translate(err, "items by id")
}

// TagsByID returns the tags with these ids, in no particular order.
func (s *Catalog) TagsByID(ctx context.Context, ids []catalog.ID) ([]*catalog.Tag, error) {
	rows, err := s.tags.byIDs(ctx, s, ids)
	return rows, translate(err, "tags by id")
}

// byIDs reads the table's rows with these ids.
func (t *table[T]) byIDs(ctx context.Context, s *Catalog, ids []catalog.ID) ([]*T, error) {
	query := func(s *Catalog) *bun.SelectQuery {
		return s.db.NewSelect().
			TableExpr(t.name + " AS " + t.alias).
			ColumnExpr(t.list).
			Where(t.key + " = ANY($1)").
			Conn(s.bind(ids))
	}
	var row rowScan[T]
	var out []*T
	err := s.scanRows(ctx, query, t.bind(&row, make([]any, 0, len(t.columns))),
		func() { out = make([]*T, 0, len(ids)) },
		func() { out = append(out, row.copy()) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanRows runs the statement query makes on the server that serves ctx's reads (see
// Catalog.read), scans each of its rows into dest and then calls each; reset starts every
// run, as a failed one may run again. Every row is taken from ctx's row budget as it is
// scanned, and once the budget is spent no statement is sent.
func (s *Catalog) scanRows(ctx context.Context, query func(s *Catalog) *bun.SelectQuery, dest []any, reset, each func()) error {
	return s.scanRowsWith(ctx, query, dest, reset, func(*RowBudget) error { each(); return nil })
}

// scanRowsWith is scanRows for rows that hold more than one row's worth: each takes what
// its row holds beyond the row itself from the budget it is given.
func (s *Catalog) scanRowsWith(ctx context.Context, query func(s *Catalog) *bun.SelectQuery, dest []any, reset func(), each func(*RowBudget) error) error {
	return s.read(ctx, func(ctx context.Context, s *Catalog) error {
		reset()
		budget := rowBudget(ctx)
		if err := budget.open(); err != nil {
			return err
		}
		rows, err := query(s).Rows(ctx)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := budget.take(1); err != nil {
				return err
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if err := each(budget); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// relation describes one relationship list for the batched statement: the child's table,
// where its rows come from, and which column names the parent.
type relation[C any] struct {
	child  *table[C]
	from   string // FROM clause, with the child's alias
	fenced string // FROM clause for few parents, when the relation joins a table (see fewParents)
	parent string // the column holding the parent's id
	shared bool   // a child may have several parents
}

// ownedBy is the list of the child's rows whose column parent holds the parent's id.
func ownedBy[C any](child *table[C], parent string) relation[C] {
	return relation[C]{child: child, from: child.name + " AS " + child.alias, parent: child.alias + "." + parent}
}

// linkedBy is the list of the child's rows linked with the parent through items_tags, whose
// column parent holds the parent's id and column child the child's.
func linkedBy[C any](child *table[C], parent, link string) relation[C] {
	return relation[C]{
		child: child,
		from: "items_tags AS it JOIN " + child.name + " AS " + child.alias + " ON " +
			child.key + " = it." + link,
		fenced: "items_tags AS it CROSS JOIN LATERAL " + child.byKey("it."+link),
		parent: "it." + parent,
		shared: true,
	}
}

// fewParents is how many parents a join through items_tags probes the other table's primary
// key for, link by link. The prepared statement's generic plan does not know how many ids
// its array holds and hash-joins a whole table even for one parent's five links; the
// subquery with OFFSET 0 cannot be flattened into the join, so it stays a lookup per link.
// Past this many parents the plain join, hashed, costs less.
const fewParents = 100

// query builds the one statement that reads the relation for every parent at once, with
// first/offset applied per parent by row_number() when they are given. Rows come back as
// (child columns..., parent[, rn]), sorted so that each parent's rows are in list order.
func (r relation[C]) query(s *Catalog, parents []catalog.ID, args catalog.ListArgs) *bun.SelectQuery {
	order := r.child.orderBy(args.Order)
	from := r.from
	if r.fenced != "" && len(parents) <= fewParents {
		from = r.fenced
	}
	q := s.db.NewSelect().
		TableExpr(from).
		ColumnExpr(r.child.list).
		ColumnExpr(r.parent + " AS parent").
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

// read runs the relation's statement and groups its rows by parent, keeping their order. A
// child that several parents share (a tag on many items) is read into one struct; a child
// of one parent only is copied without looking it up.
func (r relation[C]) read(ctx context.Context, s *Catalog, parents []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*C, error) {
	var out map[catalog.ID][]*C
	var seen map[catalog.ID]*C
	var child rowScan[C]
	var parent, rn int64
	dest := append(r.child.bind(&child, make([]any, 0, len(r.child.columns)+2)), &parent)
	if args.Limit >= 0 || args.Offset > 0 {
		dest = append(dest, &rn)
	}
	query := func(s *Catalog) *bun.SelectQuery { return r.query(s, parents, args) }
	err := s.scanRows(ctx, query, dest,
		func() {
			out = make(map[catalog.ID][]*C)
			if r.shared {
				seen = make(map[catalog.ID]*C)
			}
		},
		func() {
			c, ok := seen[child.key()]
			if !ok {
				c = child.copy()
				if seen != nil {
					seen[child.key()] = c
				}
			}
			out[catalog.ID(parent)] = append(out[catalog.ID(parent)], c)
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ItemsOfStores returns the items of each store, by store id.
func (s *Catalog) ItemsOfStores(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Item, error) {
	m, err := s.itemsOfStores.read(ctx, s, ids, args)
	return m, translate(err, "items of stores")
}

// TagsOfStores returns the tags of each store, by store id.
func (s *Catalog) TagsOfStores(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Tag, error) {
	m, err := s.tagsOfStores.read(ctx, s, ids, args)
	return m, translate(err, "tags of stores")
}

// TagsOfItems returns the tags linked with each item, by item id.
func (s *Catalog) TagsOfItems(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Tag, error) {
	m, err := s.tagsOfItems.read(ctx, s, ids, args)
	return m, translate(err, "tags of items")
}

// ItemsOfTags returns the items each tag labels, by tag id.
func (s *Catalog) ItemsOfTags(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) (map[catalog.ID][]*catalog.Item, error) {
	m, err := s.itemsOfTags.read(ctx, s, ids, args)
	return m, translate(err, "items of tags")
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
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (int, error) {
		rows = nil
		err := s.db.NewSelect().Conn(s.bind(ids)).
			TableExpr(c.table).
			ColumnExpr(c.parent+" AS parent, count(*) AS n").
			Where(c.parent+" = ANY($1)").
			GroupExpr(c.parent).
			Scan(ctx, &rows)
		return len(rows), err
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
