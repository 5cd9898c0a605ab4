package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

// CreateStore inserts a store; its name must be free.
func (s *Store) CreateStore(ctx context.Context, name string) (*catalog.Store, error) {
	st := &catalog.Store{Name: name}
	_, err := s.db.NewInsert().Model(st).Returning("id").Exec(ctx)
	return st, translate(err, "create store")
}

// UpdateStore renames a store.
func (s *Store) UpdateStore(ctx context.Context, id catalog.ID, name string) (*catalog.Store, error) {
	st := &catalog.Store{ID: id, Name: name}
	err := s.db.NewUpdate().Model(st).Column("name").WherePK().Returning("*").Scan(ctx)
	return st, translate(notFoundIfNoRows(err, catalog.ErrNoStore), "update store")
}

// DeleteStore deletes a store; the schema's cascades remove its items, tags and links in the
// same statement, so it happens whole or not at all.
func (s *Store) DeleteStore(ctx context.Context, id catalog.ID) error {
	var deleted catalog.ID
	err := s.db.NewDelete().Model((*catalog.Store)(nil)).Where("id = ?", id).Returning("id").Scan(ctx, &deleted)
	return translate(notFoundIfNoRows(err, catalog.ErrNoStore), "delete store")
}

// CreateItem inserts an item into its store.
func (s *Store) CreateItem(ctx context.Context, item *catalog.Item) error {
	_, err := s.db.NewInsert().Model(item).Returning("id").Exec(ctx)
	return translate(err, "create item")
}

// ItemChange holds the fields of an item to change; nil ones keep their value.
type ItemChange struct {
	Name  *string
	Price *catalog.Money
}

// UpdateItem changes an item's name or price.
func (s *Store) UpdateItem(ctx context.Context, id catalog.ID, ch ItemChange) (*catalog.Item, error) {
	item := &catalog.Item{ID: id}
	if ch.Name == nil && ch.Price == nil {
		err := s.db.NewSelect().Model(item).WherePK().Scan(ctx)
		return item, translate(notFoundIfNoRows(err, catalog.ErrNoItem), "update item")
	}
	q := s.db.NewUpdate().Model(item).WherePK().Returning("*")
	if ch.Name != nil {
		q = q.Set("name = ?", *ch.Name)
	}
	if ch.Price != nil {
		q = q.Set("price = ?", *ch.Price)
	}
	err := q.Scan(ctx)
	return item, translate(notFoundIfNoRows(err, catalog.ErrNoItem), "update item")
}

// DeleteItem deletes an item; its links go with it.
func (s *Store) DeleteItem(ctx context.Context, id catalog.ID) error {
	var deleted catalog.ID
	err := s.db.NewDelete().Model((*catalog.Item)(nil)).Where("id = ?", id).Returning("id").Scan(ctx, &deleted)
	return translate(notFoundIfNoRows(err, catalog.ErrNoItem), "delete item")
}

// CreateTag inserts a tag into its store.
func (s *Store) CreateTag(ctx context.Context, tag *catalog.Tag) error {
	_, err := s.db.NewInsert().Model(tag).Returning("id").Exec(ctx)
	return translate(err, "create tag")
}

// UpdateTag renames a tag.
func (s *Store) UpdateTag(ctx context.Context, id catalog.ID, name string) (*catalog.Tag, error) {
	tag := &catalog.Tag{ID: id}
	err := s.db.NewUpdate().Model(tag).Set("name = ?", name).WherePK().Returning("*").Scan(ctx)
	return tag, translate(notFoundIfNoRows(err, catalog.ErrNoTag), "update tag")
}

var errTagInUse = catalog.Errorf(catalog.Conflict, "That tag is still linked with items: unlink it from them first.")

// DeleteTag deletes a tag that no item uses. The database checks the links itself, so a
// link made at the same moment either lands first and stops the delete, or fails.
func (s *Store) DeleteTag(ctx context.Context, id catalog.ID) error {
	var deleted catalog.ID
	err := s.db.NewDelete().Model((*catalog.Tag)(nil)).Where("id = ?", id).Returning("id").Scan(ctx, &deleted)
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
func (s *Store) LinkTag(ctx context.Context, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
	item, tag, err := pair(ctx, s.db, itemID, tagID)
	if err != nil {
		return nil, nil, err
	}
	if item.StoreID != tag.StoreID {
		return nil, nil, errCrossStore
	}
	link := &catalog.ItemTag{ItemID: itemID, TagID: tagID, StoreID: item.StoreID}
	_, err = s.db.NewInsert().Model(link).On("CONFLICT (item_id, tag_id) DO NOTHING").Exec(ctx)
	if code, constraint := pgCode(err); code == foreignKeyViolation && constraint == "items_tags_tag_fkey" {
		return nil, nil, catalog.ErrNoTag // deleted since pair read it
	}
	if err != nil {
		return nil, nil, translate(err, "link tag")
	}
	return item, tag, nil
}

// UnlinkTag removes the link between a tag and an item; unlinking an unlinked pair changes
// nothing.
func (s *Store) UnlinkTag(ctx context.Context, itemID, tagID catalog.ID) (*catalog.Item, *catalog.Tag, error) {
	item, tag, err := pair(ctx, s.db, itemID, tagID)
	if err != nil {
		return nil, nil, err
	}
	_, err = s.db.NewDelete().Model((*catalog.ItemTag)(nil)).
		Where("item_id = ? AND tag_id = ?", itemID, tagID).Exec(ctx)
	if err != nil {
		return nil, nil, translate(err, "unlink tag")
	}
	return item, tag, nil
}
