package model

import (
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/live"
)

// StoreChange is a change of a store as a subscription delivers it; its item and tag are
// read when it is written, through the loaders of that delivery.
type StoreChange struct {
	Kind    ChangeKind
	StoreID catalog.ID
	ItemID  *catalog.ID
	TagID   *catalog.ID
}

// NewStoreChange returns c as the schema shows it.
func NewStoreChange(c live.Change) *StoreChange {
	return &StoreChange{Kind: ChangeKind(c.Kind), StoreID: c.Store, ItemID: optionalID(c.Item), TagID: optionalID(c.Tag)}
}

func optionalID(id catalog.ID) *catalog.ID {
	if id == 0 {
		return nil
	}
	return &id
}
