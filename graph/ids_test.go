package graph_test

import (
	"fmt"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// idFixture is a store with an item linked with a tag: the valid ids an operation's other
// arguments use, and the rows a refused operation must leave alone.
type idFixture struct{ store, item, tag string }

func newIDFixture(t *testing.T, s *apitest.Server, name string) idFixture {
	t.Helper()
	f := idFixture{store: s.CreateStore(t, name)}
	f.item = s.CreateItem(t, f.store, "Dune", 9.99)
	f.tag = s.CreateTag(t, f.store, "fiction")
	s.Link(t, f.item, f.tag)
	return f
}

// unchanged fails t unless the fixture's rows are as newIDFixture made them, and nothing
// named "refused" was created anywhere.
func (f idFixture) unchanged(t *testing.T, s *apitest.Server, name string) {
	t.Helper()
	checks := []struct {
		what  string
		query string
		args  []any
		want  int
	}{
		{"the store", "SELECT count(*) FROM stores WHERE id = ? AND name = ?", []any{dbID(t, f.store), name}, 1},
		{"its items", "SELECT count(*) FROM items WHERE store_id = ?", []any{dbID(t, f.store)}, 1},
		{"the item", "SELECT count(*) FROM items WHERE id = ? AND name = 'Dune' AND price = 9.99", []any{dbID(t, f.item)}, 1},
		{"its tags", "SELECT count(*) FROM tags WHERE store_id = ?", []any{dbID(t, f.store)}, 1},
		{"the tag", "SELECT count(*) FROM tags WHERE id = ? AND name = 'fiction'", []any{dbID(t, f.tag)}, 1},
		{"its links", "SELECT count(*) FROM items_tags WHERE store_id = ? AND item_id = ? AND tag_id = ?",
			[]any{dbID(t, f.store), dbID(t, f.item), dbID(t, f.tag)}, 1},
		{"rows named refused", `SELECT (SELECT count(*) FROM stores WHERE name = 'refused')
			+ (SELECT count(*) FROM items WHERE name = 'refused') + (SELECT count(*) FROM tags WHERE name = 'refused')`, nil, 0},
	}
	for _, c := range checks {
		if n := count(t, s, c.query, c.args...); n != c.want {
			t.Errorf("rows for %s afterwards: got %d; want %d", c.what, n, c.want)
		}
	}
}

// unknownID is a well-formed id no row has.
const unknownID = "987654321"

// idOperations are the operations that take ids. vars puts id in the argument under test
// and the fixture's ids in the others. notFound tells whether an unknown id is NOT_FOUND
// (lookups and mutation arguments) rather than a filter that matches nothing.
var idOperations = []struct {
	name     string
	query    string
	field    string
	vars     func(f idFixture, id string) map[string]any
	notFound bool
}{
	{name: "store", field: "store", notFound: true,
		query: `query($id: ID!) { store(id: $id) { id name } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "item", field: "item", notFound: true,
		query: `query($id: ID!) { item(id: $id) { id name } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "tag", field: "tag", notFound: true,
		query: `query($id: ID!) { tag(id: $id) { id name } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "itemsFilterStoreId", field: "items",
		query: `query($id: ID!) { items(filter: {storeId: $id}) { totalCount } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "itemsFilterTagId", field: "items",
		query: `query($id: ID!) { items(filter: {tagId: $id}) { totalCount } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "tagsFilterStoreId", field: "tags",
		query: `query($id: ID!) { tags(filter: {storeId: $id}) { totalCount } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "updateStore", field: "updateStore", notFound: true,
		query: `mutation($id: ID!) { updateStore(id: $id, input: {name: "refused"}) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "deleteStore", field: "deleteStore", notFound: true,
		query: `mutation($id: ID!) { deleteStore(id: $id) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "createItemStoreId", field: "createItem", notFound: true,
		query: `mutation($id: ID!) { createItem(input: {storeId: $id, name: "refused", price: 1}) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "updateItem", field: "updateItem", notFound: true,
		query: `mutation($id: ID!) { updateItem(id: $id, input: {name: "refused", price: 2}) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "updateItemEmptyInput", field: "updateItem", notFound: true,
		query: `mutation($id: ID!) { updateItem(id: $id, input: {}) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "deleteItem", field: "deleteItem", notFound: true,
		query: `mutation($id: ID!) { deleteItem(id: $id) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "createTagStoreId", field: "createTag", notFound: true,
		query: `mutation($id: ID!) { createTag(input: {storeId: $id, name: "refused"}) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "updateTag", field: "updateTag", notFound: true,
		query: `mutation($id: ID!) { updateTag(id: $id, input: {name: "refused"}) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "deleteTag", field: "deleteTag", notFound: true,
		query: `mutation($id: ID!) { deleteTag(id: $id) { id } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"id": id} }},
	{name: "linkTagItemId", field: "linkTag", notFound: true,
		query: `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"i": id, "t": f.tag} }},
	{name: "linkTagTagId", field: "linkTag", notFound: true,
		query: `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"i": f.item, "t": id} }},
	{name: "unlinkTagItemId", field: "unlinkTag", notFound: true,
		query: `mutation($i: ID!, $t: ID!) { unlinkTag(itemId: $i, tagId: $t) { message } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"i": id, "t": f.tag} }},
	{name: "unlinkTagTagId", field: "unlinkTag", notFound: true,
		query: `mutation($i: ID!, $t: ID!) { unlinkTag(itemId: $i, tagId: $t) { message } }`,
		vars:  func(f idFixture, id string) map[string]any { return map[string]any{"i": f.item, "t": id} }},
}

func TestUnknownIDIsNotFound(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, op := range idOperations {
		if !op.notFound {
			continue
		}
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			name := "Unknown " + op.name
			f := newIDFixture(t, s, name)
			r := s.Post(t, op.query, op.vars(f, unknownID))
			wantCode(t, r, "NOT_FOUND")
			wantNullField(t, r, op.field)
			f.unchanged(t, s, name)
		})
	}
}

func TestMalformedIDIsBadUserInput(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, op := range idOperations {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			name := "Malformed " + op.name
			f := newIDFixture(t, s, name)
			for _, id := range malformedIDs {
				r := s.Post(t, op.query, op.vars(f, id))
				if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
					t.Errorf("%s with id %q: got errors %+v; want one BAD_USER_INPUT", op.name, id, r.Errors)
				}
				wantNullField(t, r, op.field)
			}
			f.unchanged(t, s, name)
		})
	}
}

// TestMalformedIDNamesItAtItsField checks what a client is told of a malformed id, wherever
// the id stands (an argument, an input field, a filter, an element of a list) and however
// it is sent (a string or a number, in the query or in the variables): the id, as text, at
// the path of the field whose argument holds it.
func TestMalformedIDNamesItAtItsField(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	f := newIDFixture(t, s, "Malformed ids")
	tests := []struct {
		query string
		vars  map[string]any
		field string
		text  string // the id as the message shows it
	}{
		{`{ item(id: "01") { id } }`, nil, "item", "01"},
		{`{ store(id: 0) { id } }`, nil, "store", "0"},
		{`query($id: ID!) { tag(id: $id) { id } }`, map[string]any{"id": -4}, "tag", "-4"},
		{`query($f: ItemFilter) { items(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"storeId": "x"}}, "items", "x"},
		{`{ items(filter: {tags: {none: ["1", 2, "1e3"]}}) { totalCount } }`, nil, "items", "1e3"},
		{`mutation($t: [ID!]!) { setItemTags(itemId: "` + f.item + `", tagIds: $t) { message } }`,
			map[string]any{"t": []any{f.tag, " 1"}}, "setItemTags", " 1"},
		{`mutation { createItem(input: {storeId: "` + f.store + `", name: "refused", price: 1, tagIds: ["+1"]}) { id } }`,
			nil, "createItem", "+1"},
	}
	for _, tt := range tests {
		r := s.Post(t, tt.query, tt.vars)
		want := fmt.Sprintf("%q is not a valid id.", tt.text)
		if len(r.Errors) != 1 {
			t.Errorf("%s %v: got errors %+v; want one", tt.query, tt.vars, r.Errors)
			continue
		}
		e := r.Errors[0]
		if e.Code() != "BAD_USER_INPUT" || e.Message != want || fmt.Sprint(e.Path) != fmt.Sprint([]any{tt.field}) {
			t.Errorf("%s %v: got %s %q at %v; want BAD_USER_INPUT %q at [%s]", tt.query, tt.vars, e.Code(), e.Message, e.Path, want, tt.field)
		}
	}
	f.unchanged(t, s, "Malformed ids")
}
