package store

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"

	"github.com/storegraph/storegraph/internal/catalog"
)

// A root lookup by id that selects a list below it (item(id) { tags }, tag(id) { items })
// reads the row and its list in one statement: a lateral join applies the list's order,
// first and offset. It saves the request a round trip, and the list's loader is primed
// with what it read. The join inside is fenced (see fewParents), so that it probes the
// other table's primary key link by link.

// ItemWithTags returns the item with this id and its tags, by item id, as TagsOfItems would
// with args; no item when there is none.
func (s *Store) ItemWithTags(ctx context.Context, id catalog.ID, args catalog.ListArgs) ([]*catalog.Item, map[catalog.ID][]*catalog.Tag, error) {
	order := tagOrders[args.Order]
	q := s.db.NewSelect().
		TableExpr("items AS i").
		ColumnExpr("i.id, i.store_id, i.name, i.price, t.id, t.store_id, t.name").
		Join("LEFT JOIN LATERAL (SELECT t.* FROM " + tagsOfItems.fenced +
			" WHERE it.item_id = i.id ORDER BY " + order + " LIMIT $2 OFFSET $3) AS t ON true").
		Where("i.id = $1").
		OrderExpr(order).
		Conn(s.bindPoint(id, args))
	rows, err := q.Rows(ctx)
	if err != nil {
		return nil, nil, translate(err, "items with tags")
	}
	defer rows.Close()
	var items []*catalog.Item
	tags := make(map[catalog.ID][]*catalog.Tag)
	var (
		item          scannedRow
		tagID, tagSID sql.NullInt64
		tagName       sql.RawBytes
	)
	dest := []any{&item.id, &item.storeID, &item.name, &item.price, &tagID, &tagSID, &tagName}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, translate(err, "items with tags")
		}
		id := catalog.ID(item.id)
		if len(items) == 0 || items[len(items)-1].ID != id {
			items = append(items, scanItem.build(&item))
			tags[id] = []*catalog.Tag{}
		}
		if tagID.Valid {
			tags[id] = append(tags[id], &catalog.Tag{ID: catalog.ID(tagID.Int64), StoreID: catalog.ID(tagSID.Int64), Name: string(tagName)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err, "items with tags")
	}
	return items, tags, nil
}

// TagWithItems returns the tag with this id and the items it labels, by tag id, as
// ItemsOfTags would with args; no tag when there is none.
func (s *Store) TagWithItems(ctx context.Context, id catalog.ID, args catalog.ListArgs) ([]*catalog.Tag, map[catalog.ID][]*catalog.Item, error) {
	order := itemOrders[args.Order]
	q := s.db.NewSelect().
		TableExpr("tags AS t").
		ColumnExpr("t.id, t.store_id, t.name, i.id, i.store_id, i.name, i.price").
		Join("LEFT JOIN LATERAL (SELECT i.* FROM " + itemsOfTags.fenced +
			" WHERE it.tag_id = t.id ORDER BY " + order + " LIMIT $2 OFFSET $3) AS i ON true").
		Where("t.id = $1").
		OrderExpr(order).
		Conn(s.bindPoint(id, args))
	rows, err := q.Rows(ctx)
	if err != nil {
		return nil, nil, translate(err, "tags with items")
	}
	defer rows.Close()
	var tags []*catalog.Tag
	items := make(map[catalog.ID][]*catalog.Item)
	var (
		tag                   scannedRow
		itemID, itemSID       sql.NullInt64
		itemName, itemPriceDB sql.RawBytes
	)
	dest := []any{&tag.id, &tag.storeID, &tag.name, &itemID, &itemSID, &itemName, &itemPriceDB}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, translate(err, "tags with items")
		}
		id := catalog.ID(tag.id)
		if len(tags) == 0 || tags[len(tags)-1].ID != id {
			tags = append(tags, scanTag.build(&tag))
			items[id] = []*catalog.Item{}
		}
		if itemID.Valid {
			var price catalog.Money
			if err := price.Scan([]byte(itemPriceDB)); err != nil {
				return nil, nil, translate(err, "tags with items")
			}
			items[id] = append(items[id], &catalog.Item{ID: catalog.ID(itemID.Int64), StoreID: catalog.ID(itemSID.Int64), Name: string(itemName), Price: price})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err, "tags with items")
	}
	return tags, items, nil
}

// bindPoint binds the row's id as $1, the list's LIMIT as $2 (NULL for none) and its OFFSET
// as $3. One id, not an array of them: the generic plan then expects one row, as the plan
// for the actual value does, so PostgreSQL keeps it instead of planning every execution.
func (s *Store) bindPoint(id catalog.ID, args catalog.ListArgs) bound {
	var limit *int64
	if args.Limit >= 0 {
		n := int64(args.Limit)
		limit = &n
	}
	return bound{db: s.db.DB, args: []any{pgx.QueryExecModeCacheStatement, int64(id), limit, int64(args.Offset)}}
}
