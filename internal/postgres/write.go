package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

// Every change to a store, its items, tags or links runs in a transaction that first locks
// the store's row and checks, with catalog.CheckOwner, that the user owns it. The check and
// the change commit together, so no concurrent change can slip between them.

// Row locks asOwner takes on the store. A change to the store row itself locks it for
// update from the start: two renames or deletes that both held a share lock would deadlock
// when each upgraded it.
const (
	lockShare  = "SHARE"
	lockUpdate = "UPDATE"
)

// owned names the row a change is checked against: a store, or an item or a tag of one
// (which never moves to another store), with the error for an id that names no row.
type owned struct {
	table   string
	id      catalog.ID
	missing *catalog.Error
}

func aStore(id catalog.ID) owned { return owned{"stores", id, catalog.ErrNoStore} }
func anItem(id catalog.ID) owned { return owned{"items", id, catalog.ErrNoItem} }
func aTag(id catalog.ID) owned   { return owned{"tags", id, catalog.ErrNoTag} }

// asOwner runs change in a transaction after locking the store of row and checking that
// user owns it; one statement finds, locks and reads the store.
func (s *Catalog) asOwner(ctx context.Context, user catalog.ID, row owned, lock string, change func(ctx context.Context, tx bun.Tx) error) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Table("stores").Column("owner_id").For(lock)
		if row.table == "stores" {
			q = q.Where("id = ?", row.id)
		} else {
			q = q.Where("id = (SELECT store_id FROM ? WHERE id = ?)", bun.Ident(row.table), row.id)
		}
		var owner *catalog.ID
		if err := q.Scan(ctx, &owner); errors.Is(err, sql.ErrNoRows) {
			return row.missing
		} else if err != nil {
			return translate(err, "lock store")
		}
		if err := catalog.CheckOwner(user, owner); err != nil {
			return err
		}
		return change(ctx, tx)
	})
}

// CreateStore inserts a store owned by user; its name must be free.
func (s *Catalog) CreateStore(ctx context.Context, user catalog.ID, name string) (*catalog.Store, error) {
	st := &catalog.Store{Name: name, OwnerID: &user}
	_, err := s.db.NewInsert().Model(st).Returning("*").Exec(ctx)
	return st, translate(err, "create store")
}

// UpdateStore renames a store.
func (s *Catalog) UpdateStore(ctx context.Context, user, id catalog.ID, name string) (*catalog.Store, error) {
	st := &catalog.Store{ID: id}
	err := s.asOwner(ctx, user, aStore(id), lockUpdate, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewUpdate().Model(st).Set("name = ?", name).WherePK().Returning("*").Scan(ctx)
	})
	return st, translate(notFoundIfNoRows(err, catalog.ErrNoStore), "update store")
}

// DeleteStore deletes a store; the schema's cascades remove its items, tags and links in the
// same statement.
func (s *Catalog) DeleteStore(ctx context.Context, user, id catalog.ID) error {
	err := s.asOwner(ctx, user, aStore(id), lockUpdate, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewDelete().Model((*catalog.Store)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
	return translate(err, "delete store")
}

// CreateItem inserts an item into its store and links it with tagIDs, in one transaction:
// a tag that is missing or of another store leaves no item.
func (s *Catalog) CreateItem(ctx context.Context, user catalog.ID, item *catalog.Item, tagIDs []catalog.ID) error {
	err := s.asOwner(ctx, user, aStore(item.StoreID), lockShare, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(item).Returning("*").Exec(ctx); err != nil || len(tagIDs) == 0 {
			return err
		}
		_, _, err := setLinks(ctx, tx, s.tagsOfItem, item.StoreID, item.ID, tagIDs)
		return err
	})
	return linkError(err, "create item")
}

// ItemChange holds the fields of an item to change; nil ones keep their value.
type ItemChange struct {
	Name  *string
	Price *catalog.Money
}

// UpdateItem changes an item's name or price.
func (s *Catalog) UpdateItem(ctx context.Context, user, id catalog.ID, ch ItemChange) (*catalog.Item, error) {
	item := &catalog.Item{ID: id}
	err := s.asOwner(ctx, user, anItem(id), lockShare, func(ctx context.Context, tx bun.Tx) error {
		if ch.Name == nil && ch.Price == nil {
			return tx.NewSelect().Model(item).WherePK().Scan(ctx)
		}
		q := tx.NewUpdate().Model(item).WherePK().Returning("*")
		if ch.Name != nil {
			q = q.Set("name = ?", *ch.Name)
		}
		if ch.Price != nil {
			q = q.Set("price = ?", *ch.Price)
		}
		return q.Scan(ctx)
	})
	return item, translate(notFoundIfNoRows(err, catalog.ErrNoItem), "update item")
}

// DeleteItem deletes an item; its links go with it.
func (s *Catalog) DeleteItem(ctx context.Context, user, id catalog.ID) error {
	err := s.asOwner(ctx, user, anItem(id), lockShare, func(ctx context.Context, tx bun.Tx) error {
		var deleted catalog.ID
		return tx.NewDelete().Model((*catalog.Item)(nil)).Where("id = ?", id).Returning("id").Scan(ctx, &deleted)
	})
	return translate(notFoundIfNoRows(err, catalog.ErrNoItem), "delete item")
}

// CreateTag inserts a tag into its store.
func (s *Catalog) CreateTag(ctx context.Context, user catalog.ID, tag *catalog.Tag) error {
	err := s.asOwner(ctx, user, aStore(tag.StoreID), lockShare, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(tag).Returning("*").Exec(ctx)
		return err
	})
	return translate(err, "create tag")
}

// UpdateTag renames a tag.
func (s *Catalog) UpdateTag(ctx context.Context, user, id catalog.ID, name string) (*catalog.Tag, error) {
	tag := &catalog.Tag{ID: id}
	err := s.asOwner(ctx, user, aTag(id), lockShare, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewUpdate().Model(tag).Set("name = ?", name).WherePK().Returning("*").Scan(ctx)
	})
	return tag, translate(notFoundIfNoRows(err, catalog.ErrNoTag), "update tag")
}

var errTagInUse = catalog.Errorf(catalog.Conflict, "That tag is still linked with items: unlink it from them first.")

// DeleteTag deletes a tag that no item uses. The database checks the links itself, so a
// link made at the same moment either lands first and stops the delete, or fails.
func (s *Catalog) DeleteTag(ctx context.Context, user, id catalog.ID) error {
	err := s.asOwner(ctx, user, aTag(id), lockShare, func(ctx context.Context, tx bun.Tx) error {
		var deleted catalog.ID
		return tx.NewDelete().Model((*catalog.Tag)(nil)).Where("id = ?", id).Returning("id").Scan(ctx, &deleted)
	})
	if code, constraint := pgCode(err); code == foreignKeyViolation && constraint == "items_tags_tag_fkey" {
		return errTagInUse
	}
	return translate(notFoundIfNoRows(err, catalog.ErrNoTag), "delete tag")
}

var errCrossStore = catalog.Errorf(catalog.BadUserInput, "A tag can only be linked with an item of its own store.")

// pair reads an item and a tag, checking that both exist.
func pair(ctx context.Context, db bun.IDB, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
	item := &catalog.Item{ID: itemID}
	if err := db.NewSelect().Model(item).WherePK().Scan(ctx); err != nil {
		return nil, nil, translate(notFoundIfNoRows(err, catalog.ErrNoItem), "find item")
	}
	tag := &catalog.Tag{ID: tagID}
	if err := db.NewSelect().Model(tag).WherePK().Scan(ctx); err != nil {
		return nil, nil, translate(notFoundIfNoRows(err, catalog.ErrNoTag), "find tag")
	}
	return item, tag, nil
}

// LinkTag links a tag with an item of the same store; linking a linked pair changes nothing.
// The composite foreign keys refuse a cross-store link even if this check were bypassed.
func (s *Catalog) LinkTag(ctx context.Context, user, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
	item, tag, err := pair(ctx, s.db, itemID, tagID)
	if err != nil {
		return nil, nil, err
	}
	err = s.asOwner(ctx, user, aStore(item.StoreID), lockShare, func(ctx context.Context, tx bun.Tx) error {
		if item.StoreID != tag.StoreID {
			return errCrossStore
		}
		link := &catalog.ItemTag{ItemID: itemID, TagID: tagID, StoreID: item.StoreID}
		_, err := tx.NewInsert().Model(link).On("CONFLICT (item_id, tag_id) DO NOTHING").Exec(ctx)
		return err
	})
	switch code, constraint := pgCode(err); {
	case code == foreignKeyViolation && constraint == "items_tags_tag_fkey":
		return nil, nil, catalog.ErrNoTag // deleted since pair read it
	case err != nil:
		return nil, nil, translate(err, "link tag")
	}
	return item, tag, nil
}

// UnlinkTag removes the link between a tag and an item; unlinking an unlinked pair changes
// nothing.
func (s *Catalog) UnlinkTag(ctx context.Context, user, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
	item, tag, err := pair(ctx, s.db, itemID, tagID)
	if err != nil {
		return nil, nil, err
	}
	err = s.asOwner(ctx, user, aStore(item.StoreID), lockShare, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewDelete().Model((*catalog.ItemTag)(nil)).
			Where("item_id = ? AND tag_id = ?", itemID, tagID).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, nil, translate(err, "unlink tag")
	}
	return item, tag, nil
}

// linkSet names the side of the join whose links a batch call sets: an item's tags or a
// tag's items; O is the other side.
type linkSet[O any] struct {
	row         func(catalog.ID) owned // the row whose links are set
	self        string                 // its column in items_tags
	other       *table[O]
	otherColumn string         // the other side's column in items_tags
	missing     *catalog.Error // for an id of the other side that names no row
	foreign     *catalog.Error // for a row of the other side in another store
}

// setLinksSQL checks the wanted ids and changes the links in one statement, whatever their
// number: the ids come as one array; the deletes and inserts run only when every id names a
// row of the store, so a refusal changes nothing even before the rollback. The first row
// counts the ids refused; each change adds a row, with id 0 when there is none. The other
// side's rows are read through fenced laterals, one key probe per id: a plain join plans a
// scan of the whole table for a handful of ids.
const setLinksSQL = `
WITH want AS (SELECT unnest(?0::bigint[]) AS id),
bad AS (SELECT count(*) FILTER (WHERE o.id IS NULL) AS missing,
               count(*) FILTER (WHERE o.store_id <> ?1) AS crossed
        FROM want AS w LEFT JOIN LATERAL (SELECT x.id, x.store_id FROM ?3 AS x WHERE x.id = w.id OFFSET 0) AS o ON true),
ok AS (SELECT 1 FROM bad WHERE missing = 0 AND crossed = 0),
removed AS (DELETE FROM items_tags AS it
            WHERE it.?4 = ?2 AND it.?5 <> ALL (?0::bigint[]) AND EXISTS (SELECT 1 FROM ok)
            RETURNING it.?5 AS id),
added AS (INSERT INTO items_tags (?4, ?5, store_id)
          SELECT ?2, w.id, ?1 FROM want AS w WHERE EXISTS (SELECT 1 FROM ok)
          ON CONFLICT (item_id, tag_id) DO NOTHING
          RETURNING ?5 AS id),
changed AS (SELECT true AS added, id FROM added UNION ALL SELECT false, id FROM removed)
SELECT b.missing, b.crossed, coalesce(?7.added, false) AS added, ?6
FROM bad AS b LEFT JOIN (SELECT ch.added, x.* FROM changed AS ch
                         CROSS JOIN LATERAL (SELECT * FROM ?3 AS x WHERE x.id = ch.id OFFSET 0) AS x) AS ?7 ON true
ORDER BY ?7.id`

// setLinks makes the links of row id (in store) exactly want, inside tx, and returns the
// rows of the other side it added and removed, by id.
func setLinks[O any](ctx context.Context, tx bun.Tx, ls linkSet[O], store, id catalog.ID, want []catalog.ID) (added, removed []*O, err error) {
	rows, err := tx.QueryContext(ctx, setLinksSQL, idArray(want), store, id, bun.Ident(ls.other.name), bun.Ident(ls.self), bun.Ident(ls.otherColumn),
		bun.Safe(ls.other.orZero), bun.Safe(ls.other.alias))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var missing, crossed int
	var isAdded bool
	var row rowScan[O]
	dest := ls.other.bind(&row, []any{&missing, &crossed, &isAdded})
	added, removed = []*O{}, []*O{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		switch {
		case missing > 0:
			return nil, nil, ls.missing
		case crossed > 0:
			return nil, nil, ls.foreign
		case row.key() == 0:
		case isAdded:
			added = append(added, row.copy())
		default:
			removed = append(removed, row.copy())
		}
	}
	return added, removed, rows.Err()
}

// changeLinks makes the links of self, an item or a tag with this id, exactly want, in one
// transaction that locks the store as LinkTag does and then the row itself, so that two
// calls for one row run one after the other and leave one of the two sets, never a mix. self
// is read as it is locked (its store into *store): the call changes links only, so that is
// how it stays.
func changeLinks[O any](ctx context.Context, s *Catalog, user catalog.ID, ls linkSet[O], id catalog.ID, self any, store *catalog.ID,
	want []catalog.ID) (added, removed []*O, err error) {
	row := ls.row(id)
	err = s.asOwner(ctx, user, row, lockShare, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(self).WherePK().For("NO KEY UPDATE").Scan(ctx)
		if err != nil {
			return notFoundIfNoRows(err, row.missing)
		}
		added, removed, err = setLinks(ctx, tx, ls, *store, id, want)
		return err
	})
	return added, removed, linkError(err, "set links")
}

// linkError translates a batch link's failure; a row of the other side deleted since the
// statement's check read it fails its foreign key.
func linkError(err error, op string) error {
	if code, constraint := pgCode(err); code == foreignKeyViolation && constraint == "items_tags_tag_fkey" {
		return catalog.ErrNoTag
	}
	return translate(err, op)
}

// SetItemTags makes the item's tags exactly tagIDs and returns the item with the tags it
// added and removed.
func (s *Catalog) SetItemTags(ctx context.Context, user, itemID catalog.ID, tagIDs []catalog.ID) (*catalog.Item, []*catalog.Tag, []*catalog.Tag, error) {
	item := &catalog.Item{ID: itemID}
	added, removed, err := changeLinks(ctx, s, user, s.tagsOfItem, itemID, item, &item.StoreID, tagIDs)
	if err != nil {
		return nil, nil, nil, err
	}
	return item, added, removed, nil
}

// SetTagItems makes the tag's items exactly itemIDs and returns the tag with the items it
// added and removed.
func (s *Catalog) SetTagItems(ctx context.Context, user, tagID catalog.ID, itemIDs []catalog.ID) (*catalog.Tag, []*catalog.Item, []*catalog.Item, error) {
	tag := &catalog.Tag{ID: tagID}
	added, removed, err := changeLinks(ctx, s, user, s.itemsOfTag, tagID, tag, &tag.StoreID, itemIDs)
	if err != nil {
		return nil, nil, nil, err
	}
	return tag, added, removed, nil
}
