package catalog

import (
	"github.com/uptrace/bun"
)

// Store owns items and tags; its name is unique.
type Store struct {
	bun.BaseModel `bun:"table:stores,alias:s"`

	ID      ID     `bun:"id,pk,autoincrement"`
	Name    string `bun:"name,notnull"`
	OwnerID *ID    `bun:"owner_id"`
}

// Item is something a store sells; its name is unique within the store.
type Item struct {
	bun.BaseModel `bun:"table:items,alias:i"`

	ID      ID     `bun:"id,pk,autoincrement"`
	StoreID ID     `bun:"store_id,notnull"`
	Name    string `bun:"name,notnull"`
	Price   Money  `bun:"price,notnull,type:numeric(12,2)"`

	LinkedTags []*Tag `bun:"m2m:items_tags,join:Item=Tag"`
}

// Tag labels items of its own store; its name is unique within the store.
type Tag struct {
	bun.BaseModel `bun:"table:tags,alias:t"`

	ID      ID     `bun:"id,pk,autoincrement"`
	StoreID ID     `bun:"store_id,notnull"`
	Name    string `bun:"name,notnull"`

	LinkedItems []*Item `bun:"m2m:items_tags,join:Tag=Item"`
}

// ItemTag is one link of the many-to-many join between items and tags. StoreID is the
// store both sides belong to; the database's composite foreign keys check it.
type ItemTag struct {
	bun.BaseModel `bun:"table:items_tags,alias:it"`

	ItemID  ID    `bun:"item_id,pk"`
	Item    *Item `bun:"rel:belongs-to,join:item_id=id"`
	TagID   ID    `bun:"tag_id,pk"`
	Tag     *Tag  `bun:"rel:belongs-to,join:tag_id=id"`
	StoreID ID    `bun:"store_id,notnull"`
}

// Models lists the Bun models, join model first, for bun.DB.RegisterModel.
func Models() []any {
	return []any{(*ItemTag)(nil), (*Store)(nil), (*Item)(nil), (*Tag)(nil)}
}
