package graph_test

import (
	"fmt"
	"testing"
)

// A root item(id) or tag(id) reads its row and its first list in one statement; the list's
// first, offset and orderBy must come out as they do everywhere else.
func TestRootLookupWithItsList(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := s.CreateStore(t, "Point")
	// Names and prices out of id order, so that each order gives a different list.
	tagNames := []string{"delta", "alpha", "echo", "charlie", "bravo"}
	var tags []string
	for _, n := range tagNames {
		tags = append(tags, s.CreateTag(t, st, n))
	}
	items := []string{
		s.CreateItem(t, st, "pear", 3.5),
		s.CreateItem(t, st, "apple", 9.99),
		s.CreateItem(t, st, "fig", 0.01),
	}
	for _, tg := range tags {
		s.Link(t, items[0], tg)
	}
	for _, it := range items {
		s.Link(t, it, tags[0])
	}
	bare := s.CreateItem(t, st, "no tags", 1)
	unused := s.CreateTag(t, st, "unused")

	for _, tc := range []struct {
		name, query, id, want string
		statements            int64
	}{
		{"ItemTagsByID", `query($id: ID!) { item(id: $id) { name tags { name } } }`, items[0],
			"pear: delta alpha echo charlie bravo", 1},
		{"ItemTagsByNamePaged", `query($id: ID!) { item(id: $id) { name tags(orderBy: NAME, first: 2, offset: 1) { name } } }`, items[0],
			"pear: bravo charlie", 1},
		{"ItemTagsOffsetPastEnd", `query($id: ID!) { item(id: $id) { name tags(offset: 9) { name } } }`, items[0],
			"pear:", 1},
		{"ItemWithoutTags", `query($id: ID!) { item(id: $id) { name tags { name } } }`, bare,
			"no tags:", 1},
		{"TagItemsByPrice", `query($id: ID!) { tag(id: $id) { name items(orderBy: PRICE) { name } } }`, tags[0],
			"delta: fig pear apple", 1},
		{"TagItemsByNameFirst", `query($id: ID!) { tag(id: $id) { name items(orderBy: NAME, first: 1) { name } } }`, tags[0],
			"delta: apple", 1},
		{"TagWithoutItems", `query($id: ID!) { tag(id: $id) { name items { name } } }`, unused,
			"unused:", 1},
		{"ItemTagsAndBelow", `query($id: ID!) { item(id: $id) { name tags(first: 1) { name items(orderBy: NAME) { name } } } }`, items[0],
			"pear: delta", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Statements()
			r := s.Post(t, tc.query, map[string]any{"id": tc.id})
			cost := s.Statements() - before
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			var out struct {
				Item *itemJSON
				Tag  *tagJSON
			}
			r.Decode(t, &out)
			var got string
			if out.Item != nil {
				got = out.Item.Name + ":" + names(out.Item.Tags, func(t tagJSON) string { return t.Name })
			} else if out.Tag != nil {
				got = out.Tag.Name + ":" + names(out.Tag.Items, func(i itemJSON) string { return i.Name })
			}
			if got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
			if cost != tc.statements {
				t.Errorf("statements: got %d; want %d", cost, tc.statements)
			}
		})
	}

	t.Run("MissingIDIsNotFound", func(t *testing.T) {
		for _, q := range []string{
			`{ item(id: "999999") { name tags { name } } }`,
			`{ tag(id: "999999") { name items { name } } }`,
		} {
			r := s.Post(t, q, nil)
			wantCode(t, r, "NOT_FOUND")
		}
	})
}

func names[T any](rows []T, name func(T) string) string {
	out := ""
	for _, r := range rows {
		out += fmt.Sprintf(" %s", name(r))
	}
	return out
}
