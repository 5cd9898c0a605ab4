// Package live carries the changes that commit in the database to the subscribers of this
// process: writes send them with pg_notify in their own transactions, one listening
// connection per process receives them in commit order, and a Hub fans them out to each
// store's subscribers through bounded queues.
package live

import (
	"encoding/json"
	"fmt"

	"github.com/storegraph/storegraph/internal/catalog"
)

// Channel is the PostgreSQL notification channel the changes travel on.
const Channel = "storegraph_changes"

// Kind is what happened; the values are the schema's ChangeKind.
type Kind string

// The kinds of change.
const (
	Created  Kind = "CREATED"
	Updated  Kind = "UPDATED"
	Deleted  Kind = "DELETED"
	Linked   Kind = "LINKED"
	Unlinked Kind = "UNLINKED"
	Resync   Kind = "RESYNC" // changes may have been missed: never sent through the database
)

// Change is one change of a store. Item and Tag are 0 when the change concerns no item or
// no tag: an item's change has no tag, a tag's no item, a link's both, the store's own
// neither.
type Change struct {
	Kind  Kind       `json:"k"`
	Store catalog.ID `json:"s"`
	Item  catalog.ID `json:"i,omitempty"`
	Tag   catalog.ID `json:"t,omitempty"`
}

// StoreGone reports whether the change ends the store's subscriptions.
func (c Change) StoreGone() bool { return c.Kind == Deleted && c.Item == 0 && c.Tag == 0 }

// Payload is the notification's text: a few dozen bytes, far below PostgreSQL's 8000.
func (c Change) Payload() string {
	b, _ := json.Marshal(c) // a struct of strings and integers always encodes
	return string(b)
}

// Parse reads a notification's payload.
func Parse(payload string) (Change, error) {
	var c Change
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		return c, fmt.Errorf("live: bad payload %q: %w", payload, err)
	}
	switch c.Kind {
	case Created, Updated, Deleted, Linked, Unlinked:
	default:
		return c, fmt.Errorf("live: bad payload %q: unknown kind", payload)
	}
	if c.Store <= 0 {
		return c, fmt.Errorf("live: bad payload %q: no store", payload)
	}
	return c, nil
}
