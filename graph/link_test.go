package graph_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storegraph/storegraph/internal/apitest"
)

const (
	linkMutation = `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) {
		message item { id name tagCount tags { name } } tag { id name itemCount items { name } } } }`
	unlinkMutation = `mutation($i: ID!, $t: ID!) { unlinkTag(itemId: $i, tagId: $t) {
		message item { id name tagCount tags { name } } tag { id name itemCount items { name } } } }`
)

// links lists the (item, tag) pairs linked in a store, as "item/tag" names, sorted.
func links(t testing.TB, s *apitest.Server, storeID string) []string {
	t.Helper()
	var rows []struct {
		Item string `bun:"item"`
		Tag  string `bun:"tag"`
	}
	err := s.DB().NewRaw(`SELECT i.name AS item, t.name AS tag FROM items_tags AS it
		JOIN items AS i ON i.id = it.item_id JOIN tags AS t ON t.id = it.tag_id
		WHERE it.store_id = ? ORDER BY i.name, t.name`, dbID(t, storeID)).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatalf("read links: %v", err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Item+"/"+r.Tag)
	}
	return out
}

func TestLinkTag(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	t.Run("LinksTagWithItem", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Link Tag")
		item := s.CreateItem(t, storeID, "Dune", 9.99)
		tag := s.CreateTag(t, storeID, "fiction")
		var out struct{ LinkTag linkJSON }
		s.MustPost(t, linkMutation, map[string]any{"i": item, "t": tag}, &out)
		got := out.LinkTag
		if got.Message != "Tag linked to item." {
			t.Errorf("linkTag message = %q; want %q", got.Message, "Tag linked to item.")
		}
		if got.Item.ID != item || got.Item.TagCount != 1 || tagNames(got.Item.Tags) != "fiction" {
			t.Errorf("linkTag item = %+v; want item %s tagged fiction", got.Item, item)
		}
		if got.Tag.ID != tag || got.Tag.ItemCount != 1 || itemNames(got.Tag.Items) != "Dune" {
			t.Errorf("linkTag tag = %+v; want tag %s on Dune", got.Tag, tag)
		}
		n := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ? AND tag_id = ? AND store_id = ?",
			dbID(t, item), dbID(t, tag), dbID(t, storeID))
		if n != 1 {
			t.Errorf("link rows in the database: got %d; want 1", n)
		}
	})

	t.Run("LinkingTwiceKeepsOneLink", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Link Twice")
		item := s.CreateItem(t, storeID, "Dune", 9.99)
		tag := s.CreateTag(t, storeID, "fiction")
		for i := range 2 {
			var out struct{ LinkTag linkJSON }
			s.MustPost(t, linkMutation, map[string]any{"i": item, "t": tag}, &out)
			if got := out.LinkTag; got.Message != "Tag linked to item." || got.Item.TagCount != 1 || got.Tag.ItemCount != 1 {
				t.Errorf("linkTag call %d = %+v; want %q with one link each side", i+1, got, "Tag linked to item.")
			}
		}
		if n := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ?", dbID(t, item)); n != 1 {
			t.Errorf("link rows after linking twice: got %d; want 1", n)
		}
	})

	t.Run("TagOfAnotherStoreIsBadUserInput", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Link Across Stores")
		other := s.CreateStore(t, "Link Across Stores Other")
		item := s.CreateItem(t, storeID, "Dune", 9.99)
		s.CreateTag(t, storeID, "fiction")
		foreign := s.CreateTag(t, other, "fiction")
		r := s.Post(t, linkMutation, map[string]any{"i": item, "t": foreign})
		wantCode(t, r, "BAD_USER_INPUT")
		wantNullField(t, r, "linkTag")
		n := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ? OR tag_id = ?", dbID(t, item), dbID(t, foreign))
		if n != 0 {
			t.Errorf("link rows for the item or the foreign tag: got %d; want 0", n)
		}
	})
}

func TestUnlinkTag(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	// build makes a store where Dune has fiction and used, and Emma has fiction.
	build := func(t *testing.T, name string) (storeID string, ids map[string]string) {
		t.Helper()
		storeID = s.CreateStore(t, name)
		ids = map[string]string{
			"Dune":     s.CreateItem(t, storeID, "Dune", 9.99),
			"Emma":     s.CreateItem(t, storeID, "Emma", 5),
			"fiction":  s.CreateTag(t, storeID, "fiction"),
			"used":     s.CreateTag(t, storeID, "used"),
			"unlinked": s.CreateTag(t, storeID, "unlinked"),
		}
		s.Link(t, ids["Dune"], ids["fiction"])
		s.Link(t, ids["Dune"], ids["used"])
		s.Link(t, ids["Emma"], ids["fiction"])
		return storeID, ids
	}

	for _, tc := range []struct {
		name      string
		item, tag string
		times     int
		wantItem  string // the payload item's tags
		wantTag   string // the payload tag's items
		wantLinks []string
	}{
		{name: "RemovesExactlyThatLink", item: "Dune", tag: "fiction", times: 1,
			wantItem: "used", wantTag: "Emma", wantLinks: []string{"Dune/used", "Emma/fiction"}},
		{name: "UnlinkingTwiceSucceeds", item: "Dune", tag: "fiction", times: 2,
			wantItem: "used", wantTag: "Emma", wantLinks: []string{"Dune/used", "Emma/fiction"}},
		{name: "UnlinkedPairSucceedsAndChangesNothing", item: "Emma", tag: "used", times: 1,
			wantItem: "fiction", wantTag: "Dune", wantLinks: []string{"Dune/fiction", "Dune/used", "Emma/fiction"}},
		{name: "NeverLinkedTagSucceedsAndChangesNothing", item: "Dune", tag: "unlinked", times: 1,
			wantItem: "fiction, used", wantTag: "", wantLinks: []string{"Dune/fiction", "Dune/used", "Emma/fiction"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storeID, ids := build(t, "Unlink "+tc.name)
			for i := range tc.times {
				var out struct{ UnlinkTag linkJSON }
				s.MustPost(t, unlinkMutation, map[string]any{"i": ids[tc.item], "t": ids[tc.tag]}, &out)
				got := out.UnlinkTag
				if got.Message != "Item removed from tag." {
					t.Errorf("unlinkTag call %d message = %q; want %q", i+1, got.Message, "Item removed from tag.")
				}
				if got.Item.ID != ids[tc.item] || tagNames(got.Item.Tags) != tc.wantItem {
					t.Errorf("unlinkTag call %d item = %s tagged %q; want %s tagged %q",
						i+1, got.Item.ID, tagNames(got.Item.Tags), ids[tc.item], tc.wantItem)
				}
				if got.Tag.ID != ids[tc.tag] || itemNames(got.Tag.Items) != tc.wantTag {
					t.Errorf("unlinkTag call %d tag = %s on %q; want %s on %q",
						i+1, got.Tag.ID, itemNames(got.Tag.Items), ids[tc.tag], tc.wantTag)
				}
			}
			if got := links(t, s, storeID); !slices.Equal(got, tc.wantLinks) {
				t.Errorf("links after unlinkTag(%s, %s): got %v; want %v", tc.item, tc.tag, got, tc.wantLinks)
			}
		})
	}
}

// TestDatabaseKeepsLinkRules checks the rules the contract puts in the database itself,
// so that no resolver bug or race can break them: statements sent behind the API's back
// are refused too.
func TestDatabaseKeepsLinkRules(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Rules")
	other := s.CreateStore(t, "Rules Other")
	item := dbID(t, s.CreateItem(t, storeID, "Dune", 9.99))
	tag := dbID(t, s.CreateTag(t, storeID, "fiction"))
	foreign := dbID(t, s.CreateTag(t, other, "fiction"))
	s.Link(t, fmt.Sprint(item), fmt.Sprint(tag))

	// The refusals run in parallel inside a group, so the state they leave can be checked
	// once all of them are done.
	t.Run("Refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			query    string
			args     []any
			sqlstate string
		}{
			{name: "LinkToTagOfAnotherStoreRefused", sqlstate: "23503",
				query: "INSERT INTO items_tags (item_id, tag_id, store_id) VALUES (?, ?, ?)", args: []any{item, foreign, dbID(t, storeID)}},
			{name: "LinkClaimingTheTagsStoreRefused", sqlstate: "23503",
				query: "INSERT INTO items_tags (item_id, tag_id, store_id) VALUES (?, ?, ?)", args: []any{item, foreign, dbID(t, other)}},
			{name: "SecondLinkOfAPairRefused", sqlstate: "23505",
				query: "INSERT INTO items_tags (item_id, tag_id, store_id) VALUES (?, ?, ?)", args: []any{item, tag, dbID(t, storeID)}},
			{name: "DeletingTagInUseRefused", sqlstate: "23503",
				query: "DELETE FROM tags WHERE id = ?", args: []any{tag}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := s.DB().ExecContext(context.Background(), tc.query, tc.args...)
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != tc.sqlstate {
					t.Errorf("%s %v: got error %v; want SQLSTATE %s", tc.query, tc.args, err, tc.sqlstate)
				}
			})
		}
	})
	if n := count(t, s, "SELECT count(*) FROM items_tags"); n != 1 {
		t.Errorf("links after the refused statements: got %d; want the one link", n)
	}
	if n := count(t, s, "SELECT count(*) FROM tags WHERE id = ?", tag); n != 1 {
		t.Errorf("rows of the tag in use: got %d; want 1", n)
	}
}

// Mutations of one request run one after another; each payload shows the rows as that
// mutation left them, not as an earlier mutation of the request read them.
func TestMutationsInOneRequestSeeTheirOwnChanges(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Sequential")
	itemID := s.CreateItem(t, storeID, "Lamp", 10)
	tag1 := s.CreateTag(t, storeID, "t1")
	tag2 := s.CreateTag(t, storeID, "t2")

	var got struct {
		A, B struct {
			Item struct {
				Tags     []tagJSON
				TagCount int
			}
		}
	}
	s.MustPost(t, `mutation($i: ID!, $t1: ID!, $t2: ID!) {
		a: linkTag(itemId: $i, tagId: $t1) { item { tags { name } tagCount } }
		b: linkTag(itemId: $i, tagId: $t2) { item { tags { name } tagCount } }
	}`, map[string]any{"i": itemID, "t1": tag1, "t2": tag2}, &got)
	if names := tagNames(got.A.Item.Tags); names != "t1" || got.A.Item.TagCount != 1 {
		t.Errorf("a.item = tags %q, tagCount %d; want t1, 1", names, got.A.Item.TagCount)
	}
	if names := tagNames(got.B.Item.Tags); names != "t1, t2" || got.B.Item.TagCount != 2 {
		t.Errorf("b.item = tags %q, tagCount %d; want \"t1, t2\", 2", names, got.B.Item.TagCount)
	}
}
