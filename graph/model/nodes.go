package model

import (
	"context"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// Store, Item and Tag are the catalog's rows as GraphQL objects: the same structs, with the
// relationship fields as methods that go through the request's loaders.
type (
	Store catalog.Store
	Item  catalog.Item
	Tag   catalog.Tag
)

// The list methods read their arguments from the field, through the tables in tables.go,
// as every nested list does, rather than from gqlgen's typed parameters (named as the schema
// names them only so that gqlgen binds the methods): both paths read them one way.

// Items resolves Store.items.
func (s *Store) Items(ctx context.Context, first *int, offset *int, orderBy *ItemOrder) (ItemList, error) {
	l, err := resolveList(ctx, storeItems, (*catalog.Store)(s))
	return ItemList{l}, err
}

// Tags resolves Store.tags.
func (s *Store) Tags(ctx context.Context, first *int, offset *int, orderBy *TagOrder) (TagList, error) {
	l, err := resolveList(ctx, storeTags, (*catalog.Store)(s))
	return TagList{l}, err
}

// ItemCount resolves Store.itemCount.
func (s *Store) ItemCount(ctx context.Context) (int, error) {
	return loader.For(ctx).ItemCountOfStore.Load(ctx, s.ID)
}

// TagCount resolves Store.tagCount.
func (s *Store) TagCount(ctx context.Context) (int, error) {
	return loader.For(ctx).TagCountOfStore.Load(ctx, s.ID)
}

// Store resolves Item.store.
func (i *Item) Store(ctx context.Context) (*Store, error) {
	s, err := loader.For(ctx).Store.Load(ctx, i.StoreID)
	return (*Store)(s), err
}

// Tags resolves Item.tags.
func (i *Item) Tags(ctx context.Context, first *int, offset *int, orderBy *TagOrder) (TagList, error) {
	l, err := resolveList(ctx, itemTags, (*catalog.Item)(i))
	return TagList{l}, err
}

// TagCount resolves Item.tagCount.
func (i *Item) TagCount(ctx context.Context) (int, error) {
	return loader.For(ctx).TagCountOfItem.Load(ctx, i.ID)
}

// Store resolves Tag.store.
func (t *Tag) Store(ctx context.Context) (*Store, error) {
	s, err := loader.For(ctx).Store.Load(ctx, t.StoreID)
	return (*Store)(s), err
}

// Items resolves Tag.items.
func (t *Tag) Items(ctx context.Context, first *int, offset *int, orderBy *ItemOrder) (ItemList, error) {
	l, err := resolveList(ctx, tagItems, (*catalog.Tag)(t))
	return ItemList{l}, err
}

// ItemCount resolves Tag.itemCount.
func (t *Tag) ItemCount(ctx context.Context) (int, error) {
	return loader.For(ctx).ItemCountOfTag.Load(ctx, t.ID)
}

// Stores views catalog stores as GraphQL objects.
func Stores(rows []*catalog.Store) []*Store {
	out := make([]*Store, len(rows))
	for i, r := range rows {
		out[i] = (*Store)(r)
	}
	return out
}

// Items views catalog items as GraphQL objects.
func Items(rows []*catalog.Item) []*Item {
	out := make([]*Item, len(rows))
	for i, r := range rows {
		out[i] = (*Item)(r)
	}
	return out
}

// Tags views catalog tags as GraphQL objects.
func Tags(rows []*catalog.Tag) []*Tag {
	out := make([]*Tag, len(rows))
	for i, r := range rows {
		out[i] = (*Tag)(r)
	}
	return out
}

// User is an account as a GraphQL object.
type User catalog.User

// Stores resolves User.stores.
func (u *User) Stores(ctx context.Context, first *int, offset *int) ([]*Store, error) {
	a, err := catalog.NewListArgs(first, offset, catalog.ByID)
	if err != nil {
		return nil, err
	}
	stores, err := loader.For(ctx).StoresOfOwner(a).Load(ctx, u.ID)
	return Stores(stores), err
}
