package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/storegraph/storegraph/internal/catalog"
)

// Each list reads one row more than the page holds, to tell whether another page follows;
// its rows, at most a page and one, are taken from the request's row budget once read.

// ListStores returns a page of stores by id, and whether more follow.
func (s *Catalog) ListStores(ctx context.Context, f catalog.StoreFilter, p catalog.Page) ([]*catalog.Store, bool, error) {
	var rows []*catalog.Store
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (int, error) {
		rows = nil
		err := page(s.db.NewSelect().Model(&rows).Apply(storeFilter(f)), "s.id", p).Scan(ctx)
		return len(rows), err
	})
	rows, more := trim(rows, p.First)
	return rows, more, translate(err, "list stores")
}

// A count reads one row, taken from the request's row budget: once the budget is spent, no
// count is sent.

// CountStores counts the stores that match f.
func (s *Catalog) CountStores(ctx context.Context, f catalog.StoreFilter) (int, error) {
	var n int64
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (_ int, err error) {
		n, err = s.db.NewSelect().Model((*catalog.Store)(nil)).Apply(storeFilter(f)).Count(ctx)
		return 1, err
	})
	return int(n), translate(err, "count stores")
}

// ListItems returns a page of items by id, and whether more follow. The filter's values are
// parameters, so each connection plans the statement once per filter shape.
func (s *Catalog) ListItems(ctx context.Context, f catalog.ItemFilter, p catalog.Page) ([]*catalog.Item, bool, error) {
	var rows []*catalog.Item
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (int, error) {
		rows = nil
		var a params
		q := s.db.NewSelect().Model(&rows).Apply(itemFilter(f, &a))
		if p.After > 0 {
			q = q.Where("i.id > " + a.add(int64(p.After)))
		}
		err := q.OrderExpr("i.id").Limit(int64(p.First) + 1).Conn(s.bindParams(a)).Scan(ctx)
		return len(rows), err
	})
	rows, more := trim(rows, p.First)
	return rows, more, translate(err, "list items")
}

// CountItems counts the items that match f.
func (s *Catalog) CountItems(ctx context.Context, f catalog.ItemFilter) (int, error) {
	var n int64
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (_ int, err error) {
		var a params
		q := s.db.NewSelect().Model((*catalog.Item)(nil)).Apply(itemFilter(f, &a))
		n, err = q.Conn(s.bindParams(a)).Count(ctx)
		return 1, err
	})
	return int(n), translate(err, "count items")
}

// ListTags returns a page of tags by id, and whether more follow.
func (s *Catalog) ListTags(ctx context.Context, f catalog.TagFilter, p catalog.Page) ([]*catalog.Tag, bool, error) {
	var rows []*catalog.Tag
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (int, error) {
		rows = nil
		err := page(s.db.NewSelect().Model(&rows).Apply(tagFilter(f)), "t.id", p).Scan(ctx)
		return len(rows), err
	})
	rows, more := trim(rows, p.First)
	return rows, more, translate(err, "list tags")
}

// CountTags counts the tags that match f.
func (s *Catalog) CountTags(ctx context.Context, f catalog.TagFilter) (int, error) {
	var n int64
	err := s.readCounted(ctx, func(ctx context.Context, s *Catalog) (_ int, err error) {
		n, err = s.db.NewSelect().Model((*catalog.Tag)(nil)).Apply(tagFilter(f)).Count(ctx)
		return 1, err
	})
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

// itemFilter writes the filter's values as parameters of a, so the statement's text depends
// only on which conditions are set.
func itemFilter(f catalog.ItemFilter, a *params) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.StoreID != 0 {
			q = q.Where("i.store_id = " + a.add(int64(f.StoreID)))
		}
		if f.TagID != 0 {
			q = q.Where("EXISTS (SELECT 1 FROM items_tags AS it WHERE it.item_id = i.id AND it.tag_id = " + a.add(int64(f.TagID)) + ")")
		}
		if f.NameLike != "" {
			q = q.Where(`i.name ILIKE ` + a.add(f.NameLike) + ` ESCAPE '\'`)
		}
		if f.MinPrice != nil {
			q = q.Where("i.price >= " + a.add(*f.MinPrice) + "::numeric")
		}
		if f.MaxPrice != nil {
			q = q.Where("i.price <= " + a.add(*f.MaxPrice) + "::numeric")
		}
		return tagMatch(q, f.Tags, a)
	}
}

// tagMatch adds the tag-set conditions, each list as one array parameter so the statement's
// text has the same shape whatever the number of ids. The lists are distinct ids, so an
// item linked with all n of them has n links among them; an id that names no tag is simply
// never linked.
func tagMatch(q *bun.SelectQuery, m catalog.TagMatch, a *params) *bun.SelectQuery {
	if len(m.All) > 0 {
		all := a.add(int64s(m.All))
		q = q.Where("i.id IN (SELECT it.item_id FROM items_tags AS it WHERE it.tag_id = ANY(" + all +
			") GROUP BY it.item_id HAVING count(*) = cardinality(" + all + "))")
	}
	if len(m.Any) > 0 {
		q = q.Where("i.id IN (SELECT it.item_id FROM items_tags AS it WHERE it.tag_id = ANY(" + a.add(int64s(m.Any)) + "))")
	}
	if len(m.None) > 0 {
		q = q.Where("NOT EXISTS (SELECT 1 FROM items_tags AS it WHERE it.item_id = i.id AND it.tag_id = ANY(" + a.add(int64s(m.None)) + "))")
	}
	return q
}

// idArray passes ids as one bigint[] value.
func idArray(ids []catalog.ID) any { return pgdialect.Array(int64s(ids)) }

func int64s(ids []catalog.ID) []int64 {
	arr := make([]int64, len(ids))
	for i, id := range ids {
		arr[i] = int64(id)
	}
	return arr
}

// TagFacet is a tag with how many of the matching items carry it.
type TagFacet struct {
	Tag   *catalog.Tag
	Count int
}

// TagFacets counts, for each tag the items matching f carry, how many of them carry it, and
// returns the first of those tags by count, most first, ties by id; one statement.
func (s *Catalog) TagFacets(ctx context.Context, f catalog.ItemFilter, first int) ([]TagFacet, error) {
	if first == 0 {
		return []TagFacet{}, nil
	}
	var a params
	matching := s.db.NewSelect().Model((*catalog.Item)(nil)).Column("i.id").Apply(itemFilter(f, &a)).String()
	facets := "SELECT " + s.tags.list + ", f.n FROM " + facetCounts(f, "("+matching+") AS m", &a, first) + "\n" +
		"CROSS JOIN LATERAL " + s.tags.byKey("f.tag_id")
	query := func(s *Catalog) *bun.SelectQuery {
		return s.db.NewSelect().TableExpr("(" + facets + ") AS u").ColumnExpr("u.*").OrderExpr("u.n DESC, u.id").
			Conn(s.bindParams(a))
	}
	var out []TagFacet
	var tag rowScan[catalog.Tag]
	var n int
	err := s.scanRows(ctx, query, append(s.tags.bind(&tag, nil), &n),
		func() { out = []TagFacet{} },
		func() { out = append(out, TagFacet{Tag: tag.copy(), Count: n}) })
	if err != nil {
		return nil, translate(err, "tag facets")
	}
	return out, nil
}

// facetCounts is a subquery f of the first tags the items of m carry (tag_id), by how many
// of them carry each (n), most first.
func facetCounts(f catalog.ItemFilter, m string, a *params, first int) string {
	// Each matching item's links are read by its key, through a fenced lateral: a plain join
	// plans a scan of all of items_tags for a store's few hundred items. A filter that does not
	// narrow by store or tag keeps the plain join, as reading most links is what it takes.
	links := "CROSS JOIN LATERAL (SELECT it.tag_id FROM items_tags AS it WHERE it.item_id = m.id OFFSET 0) AS lt"
	if f.StoreID == 0 && f.TagID == 0 && len(f.Tags.All) == 0 && len(f.Tags.Any) == 0 {
		links = "JOIN items_tags AS lt ON lt.item_id = m.id"
	}
	return "(SELECT lt.tag_id, count(*) AS n FROM " + m + " " + links +
		" GROUP BY lt.tag_id ORDER BY n DESC, lt.tag_id LIMIT " + a.add(int64(first)) + ") AS f"
}

// ItemSummary is what all the items matching a filter add up to, whatever the page.
type ItemSummary struct {
	Count  int // when asked for
	Facets []TagFacet
}

// ItemsAlso is what ListItemsWith reads besides the page: the count of the matching items
// when Count is set, their first Facets facets (as TagFacets), and the tags of the page's
// items (as TagsOfItems with *Tags) when Tags is set.
type ItemsAlso struct {
	Count  bool
	Facets int
	Tags   *catalog.ListArgs
}

// itemsRow is a row of ListItemsWith: an item of the page (with the ids of its tags), the
// count, a facet, or a tag of the page's items.
type itemsRow struct {
	kind int64
	n    int64
	item *catalog.Item
	tags []catalog.ID
	tag  *catalog.Tag
}

// The kinds of row of ListItemsWith, told by number: the driver hands database/sql an
// integer under 256 without allocating it, but each text value as a new string.
const (
	pageRow = iota
	countRow
	facetRow
	tagRow
)

// kind is the SQL literal of a kind of row.
func kind(k int) string { return strconv.Itoa(k) }

// scanItemsRows reads the rows of the statement query makes. A page row names its item's
// tags by id, each of which is taken from the request's row budget as a row of its own, as
// the tags have no limit of their own: the budget is what bounds them.
func (s *Catalog) scanItemsRows(ctx context.Context, query func(s *Catalog) *bun.SelectQuery) ([]itemsRow, error) {
	var r itemsRow
	var item rowScan[catalog.Item]
	var tag rowScan[catalog.Tag]
	var tagIDs string
	dest := []any{&r.kind, &r.n}
	dest = s.tags.bind(&tag, append(s.items.bind(&item, dest), &tagIDs))
	var rows []itemsRow
	err := s.scanRowsWith(ctx, query, dest,
		func() { rows = nil },
		func(budget *RowBudget) error {
			switch r.kind {
			case pageRow:
				r.item = item.copy()
				ids, err := parseIDArray(tagIDs)
				if err != nil {
					return err
				}
				if err := budget.take(len(ids)); err != nil {
					return err
				}
				r.tags = ids
			case facetRow, tagRow:
				r.tag = tag.copy()
			}
			rows = append(rows, r)
			r.item, r.tags, r.tag = nil, nil, nil
			return nil
		})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// parseIDArray reads a bigint[] in PostgreSQL's text form, {1,2,3}; an empty string, which
// the rows that hold no list have, is no ids.
func parseIDArray(text string) ([]catalog.ID, error) {
	if text == "" || text == "{}" {
		return nil, nil
	}
	if len(text) < 2 || text[0] != '{' || text[len(text)-1] != '}' {
		return nil, fmt.Errorf("read ids: %q is not an array", text)
	}
	ids := make([]catalog.ID, 0, strings.Count(text, ",")+1)
	for part := range strings.SplitSeq(text[1:len(text)-1], ",") {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read ids: %w", err)
		}
		ids = append(ids, catalog.ID(id))
	}
	return ids, nil
}

// ItemsPage is a page of items with what ItemsAlso asked for.
type ItemsPage struct {
	Items   []*catalog.Item
	More    bool
	Summary ItemSummary
	Tags    map[catalog.ID][]*catalog.Tag // by item, when asked for
}

// ListItemsWith is ListItems with what also asks for, in one statement that finds the
// matching items once for all of it.
func (s *Catalog) ListItemsWith(ctx context.Context, f catalog.ItemFilter, p catalog.Page, also ItemsAlso) (ItemsPage, error) {
	out := ItemsPage{Summary: ItemSummary{Facets: []TagFacet{}}}
	var a params
	matching := s.db.NewSelect().Model((*catalog.Item)(nil)).Column("i.id").Apply(itemFilter(f, &a)).String()
	// Each kind of row is one branch: kind, n, the item's columns, its tags' ids, the tag's
	// columns. The columns a kind does not use hold zero values rather than NULL, so every
	// row scans alike. Rows are read by key. The page's tags come as each item's list of ids
	// plus each tag once, rather than as a row per link. The statement, a few kilobytes, is
	// written into one buffer rather than copied again for every branch.
	var q strings.Builder
	q.Grow(4096)
	q.WriteString("(WITH m AS MATERIALIZED (" + matching + "),\n")
	// pg is the page and the row past it, with each item's tags' ids in list order when the
	// tags are asked for: computed for these rows only, once the page is sorted and cut.
	q.WriteString("pg AS MATERIALIZED (SELECT id")
	tagIDs := "''" // the page rows' tags' ids, as text
	args := also.Tags
	if args != nil {
		order := s.tags.orderBy(args.Order)
		var limit any // NULL: no limit
		if args.Limit >= 0 {
			limit = int64(args.Limit)
		}
		q.WriteString(", ARRAY(SELECT " + s.tags.key + " FROM " + s.tagsOfItems.fenced +
			" WHERE it.item_id = m.id ORDER BY " + order + " LIMIT " + a.add(limit) + "::bigint OFFSET " + a.add(int64(args.Offset)) + ") AS tag_ids")
		tagIDs = "pg.tag_ids::text"
	}
	q.WriteString(" FROM m WHERE id > " + a.add(int64(p.After)) + " ORDER BY id LIMIT " + a.add(int64(p.First)+1) + ")\n")
	q.WriteString("SELECT " + kind(pageRow) + "::bigint AS kind, 0::bigint AS n, " + s.items.list + ", " + tagIDs + " AS tag_ids, " +
		s.tags.zeros + " FROM pg\nCROSS JOIN LATERAL " + s.items.byKey("pg.id"))
	if also.Count {
		q.WriteString("\nUNION ALL SELECT " + kind(countRow) + ", count(*), " + s.items.zeros + ", '', " + s.tags.zeros + " FROM m")
	}
	if also.Facets > 0 {
		q.WriteString("\nUNION ALL SELECT " + kind(facetRow) + ", f.n, " + s.items.zeros + ", '', " + s.tags.list + " FROM " + facetCounts(f, "m", &a, also.Facets) +
			"\nCROSS JOIN LATERAL " + s.tags.byKey("f.tag_id"))
	}
	if args != nil {
		q.WriteString("\nUNION ALL SELECT " + kind(tagRow) + ", 0, " + s.items.zeros + ", '', " + s.tags.list +
			" FROM (SELECT DISTINCT unnest(pg.tag_ids) AS tag_id FROM pg) AS d\nCROSS JOIN LATERAL " + s.tags.byKey("d.tag_id"))
	}
	q.WriteString(") AS u")
	union := q.String()
	rows, err := s.scanItemsRows(ctx, func(s *Catalog) *bun.SelectQuery {
		return s.db.NewSelect().TableExpr(union).ColumnExpr("u.*").Conn(s.bindParams(a))
	})
	if err != nil {
		return out, translate(err, "list items")
	}
	var tags map[catalog.ID]*catalog.Tag
	var tagsOf map[catalog.ID][]catalog.ID
	if args != nil {
		tags, tagsOf = make(map[catalog.ID]*catalog.Tag), make(map[catalog.ID][]catalog.ID)
	}
	for _, r := range rows {
		switch r.kind {
		case pageRow:
			out.Items = append(out.Items, r.item)
			if tagsOf != nil {
				tagsOf[r.item.ID] = r.tags
			}
		case countRow:
			out.Summary.Count = int(r.n)
		case facetRow:
			out.Summary.Facets = append(out.Summary.Facets, TagFacet{Tag: r.tag, Count: int(r.n)})
		case tagRow:
			tags[r.tag.ID] = r.tag
		}
	}
	// UNION ALL promises no order.
	slices.SortFunc(out.Items, func(x, y *catalog.Item) int { return cmp.Compare(x.ID, y.ID) })
	slices.SortFunc(out.Summary.Facets, func(x, y TagFacet) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Tag.ID, y.Tag.ID))
	})
	out.Items, out.More = trim(out.Items, p.First)
	if tags != nil {
		// Only the page's items: the row past it told whether more follow.
		out.Tags = make(map[catalog.ID][]*catalog.Tag, len(out.Items))
		for _, it := range out.Items {
			list := make([]*catalog.Tag, len(tagsOf[it.ID]))
			for i, id := range tagsOf[it.ID] {
				if list[i] = tags[id]; list[i] == nil {
					return out, fmt.Errorf("list items: tag %d of item %d was not read", id, it.ID)
				}
			}
			out.Tags[it.ID] = list
		}
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
