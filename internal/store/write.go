package store

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
func (s *Store) asOwner(ctx context.Context, user catalog.ID, row owned, lock string, change func(ctx context.Context, tx bun.Tx) error) error {
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
func (s *Store) CreateStore(ctx context.Context, user catalog.ID, name string) (*catalog.Store, error) {
	st := &catalog.Store{Name: name, OwnerID: &user}
	_, err := s.db.NewInsert().Model(st).Returning("id").Exec(ctx)
	return st, translate(err, "create store")
}

// UpdateStore renames a store.
func (s *Store) UpdateStore(ctx context.Context, user, id catalog.ID, name string) (*catalog.Store, error) {
	st := &catalog.Store{ID: id}
	err := s.asOwner(ctx, user, aStore(id), lockUpdate, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewUpdate().Model(st).Set("name = ?", name).WherePK().Returning("*").Scan(ctx)
	})
	return st, translate(notFoundIfNoRows(err, catalog.ErrNoStore), "update store")
}

// DeleteStore deletes a store; the schema's cascades remove its items, tags and links in the
// same statement.
func (s *Store) DeleteStore(ctx context.Context, user, id catalog.ID) error {
	err := s.asOwner(ctx, user, aStore(id), lockUpdate, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewDelete().Model((*catalog.Store)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
	return translate(err, "delete store")
}

// CreateItem inserts an item into its store.
func (s *Store) CreateItem(ctx context.Context, user catalog.ID, item *catalog.Item) error {
	err := s.asOwner(ctx, user, aStore(item.StoreID), lockShare, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(item).Returning("id").Exec(ctx)
		return err
	})
	return translate(err, "create item")
}

// ItemChange holds the fields of an item to change; nil ones keep their value.
type ItemChange struct {
	Name  *string
	Price *catalog.Money
}

// UpdateItem changes an item's name or price.
func (s *Store) UpdateItem(ctx context.Context, user, id catalog.ID, ch ItemChange) (*catalog.Item, error) {
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
func (s *Store) DeleteItem(ctx context.Context, user, id catalog.ID) error {
	err := s.asOwner(ctx, user, anItem(id), lockShare, func(ctx context.Context, tx bun.Tx) error {
		var deleted catalog.ID
		return tx.NewDelete().Model((*catalog.Item)(nil)).Where("id = ?", id).Returning("id").Scan(ctx, &deleted)
	})
	return translate(notFoundIfNoRows(err, catalog.ErrNoItem), "delete item")
}

// CreateTag inserts a tag into its store.
func (s *Store) CreateTag(ctx context.Context, user catalog.ID, tag *catalog.Tag) error {
	err := s.asOwner(ctx, user, aStore(tag.StoreID), lockShare, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(tag).Returning("id").Exec(ctx)
		return err
	})
	return translate(err, "create tag")
}

// UpdateTag renames a tag.
func (s *Store) UpdateTag(ctx context.Context, user, id catalog.ID, name string) (*catalog.Tag, error) {
	tag := &catalog.Tag{ID: id}
	err := s.asOwner(ctx, user, aTag(id), lockShare, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewUpdate().Model(tag).Set("name = ?", name).WherePK().Returning("*").Scan(ctx)
	})
	return tag, translate(notFoundIfNoRows(err, catalog.ErrNoTag), "update tag")
}

var errTagInUse = catalog.Errorf(catalog.Conflict, "That tag is still linked with items: unlink it from them first.")

// DeleteTag deletes a tag that no item uses. The database checks the links itself, so a
// link made at the same moment either lands first and stops the delete, or fails.
func (s *Store) DeleteTag(ctx context.Context, user, id catalog.ID) error {
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
func (s *Store) LinkTag(ctx context.Context, user, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
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
func (s *Store) UnlinkTag(ctx context.Context, user, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
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
