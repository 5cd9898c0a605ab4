package store

import (
	"context"
	"database/sql"

	"github.com/storegraph/storegraph/internal/catalog"
)

// A root lookup by id that selects a list below it (item(id) { tags }, tag(id) { items })
// reads the row and its list in one statement: a lateral join applies the list's order,
// first and offset for each row. It saves the request a round trip, and the list's loader
// is primed with what it read.

// ItemsWithTags returns the items with these ids and the tags of each, by item id, as
// TagsOfItems would with args.
func (s *Store) ItemsWithTags(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) ([]*catalog.Item, map[catalog.ID][]*catalog.Tag, error) {
	order := tagOrders[args.Order]
	q := s.db.NewSelect().
		TableExpr("items AS i").
		ColumnExpr("i.id, i.store_id, i.name, i.price, t.id, t.store_id, t.name").
		Join("LEFT JOIN LATERAL (SELECT t.id, t.store_id, t.name FROM items_tags AS it JOIN tags AS t ON t.id = it.tag_id" +
			" WHERE it.item_id = i.id ORDER BY " + order + " LIMIT $2 OFFSET $3) AS t ON true").
		Where("i.id = ANY($1)").
		OrderExpr("i.id, " + order).
		Conn(s.bindList(ids, args))
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

// TagsWithItems returns the tags with these ids and the items each labels, by tag id, as
// ItemsOfTags would with args.
func (s *Store) TagsWithItems(ctx context.Context, ids []catalog.ID, args catalog.ListArgs) ([]*catalog.Tag, map[catalog.ID][]*catalog.Item, error) {
	order := itemOrders[args.Order]
	q := s.db.NewSelect().
		TableExpr("tags AS t").
		ColumnExpr("t.id, t.store_id, t.name, i.id, i.store_id, i.name, i.price").
		Join("LEFT JOIN LATERAL (SELECT i.id, i.store_id, i.name, i.price FROM items_tags AS it JOIN items AS i ON i.id = it.item_id" +
			" WHERE it.tag_id = t.id ORDER BY " + order + " LIMIT $2 OFFSET $3) AS i ON true").
		Where("t.id = ANY($1)").
		OrderExpr("t.id, " + order).
		Conn(s.bindList(ids, args))
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

// bindList is bind with the list's LIMIT as $2 (NULL for none) and OFFSET as $3.
func (s *Store) bindList(ids []catalog.ID, args catalog.ListArgs) bound {
	b := s.bind(ids)
	var limit *int64
	if args.Limit >= 0 {
		n := int64(args.Limit)
		limit = &n
	}
	b.args = append(b.args, limit, int64(args.Offset))
	return b
}
