package graph_test

import (
	"testing"

	"github.com/uptrace/bun/dialect/pgdialect"
)

func TestCreateStore(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	t.Run("CreatedWithTrimmedName", func(t *testing.T) {
		t.Parallel()
		var out struct{ CreateStore storeJSON }
		s.MustPost(t, `mutation { createStore(input: {name: "  Corner Books \t"}) {
			id name itemCount tagCount items { id } tags { id } } }`, nil, &out)
		got := out.CreateStore
		if got.Name != "Corner Books" || got.ItemCount != 0 || got.TagCount != 0 || len(got.Items) != 0 || len(got.Tags) != 0 {
			t.Errorf("createStore = %+v; want name %q and no items or tags", got, "Corner Books")
		}
		if n := count(t, s, "SELECT count(*) FROM stores WHERE id = ? AND name = 'Corner Books'", dbID(t, got.ID)); n != 1 {
			t.Errorf("stores with id %s named %q: got %d; want 1", got.ID, "Corner Books", n)
		}
	})

	for _, tc := range []struct {
		name   string
		first  string
		second string
		stored string
	}{
		{name: "SameNameIsConflict", first: "Bean There", second: "Bean There", stored: "Bean There"},
		{name: "SameNameAfterTrimmingIsConflict", first: "Trailhead", second: "  Trailhead  ", stored: "Trailhead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s.CreateStore(t, tc.first)
			r := s.Post(t, `mutation($n: String!) { createStore(input: {name: $n}) { id } }`, map[string]any{"n": tc.second})
			wantCode(t, r, "CONFLICT")
			wantNullField(t, r, "createStore")
			if n := count(t, s, "SELECT count(*) FROM stores WHERE btrim(name) = ?", tc.stored); n != 1 {
				t.Errorf("stores named %q after the refused duplicate: got %d; want 1", tc.stored, n)
			}
		})
	}
}

func TestUpdateStore(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const update = `mutation($id: ID!, $n: String!) { updateStore(id: $id, input: {name: $n}) { id name } }`
	s.CreateStore(t, "Taken Name")

	t.Run("Renamed", func(t *testing.T) {
		t.Parallel()
		id := s.CreateStore(t, "Old Name")
		var out struct{ UpdateStore storeJSON }
		s.MustPost(t, update, map[string]any{"id": id, "n": " New Name "}, &out)
		if out.UpdateStore.ID != id || out.UpdateStore.Name != "New Name" {
			t.Errorf("updateStore = %+v; want id %s named %q", out.UpdateStore, id, "New Name")
		}
		if n := count(t, s, "SELECT count(*) FROM stores WHERE id = ? AND name = 'New Name'", dbID(t, id)); n != 1 {
			t.Errorf("store %s named %q in the database: got %d rows; want 1", id, "New Name", n)
		}
	})

	t.Run("OwnNameSucceeds", func(t *testing.T) {
		t.Parallel()
		id := s.CreateStore(t, "Keeps Its Name")
		var out struct{ UpdateStore storeJSON }
		s.MustPost(t, update, map[string]any{"id": id, "n": "Keeps Its Name"}, &out)
		if out.UpdateStore.Name != "Keeps Its Name" {
			t.Errorf("updateStore name = %q; want %q", out.UpdateStore.Name, "Keeps Its Name")
		}
	})

	for _, tc := range []struct {
		name    string
		newName string
		code    string
	}{
		{name: "NameOfAnotherStoreIsConflict", newName: "Taken Name", code: "CONFLICT"},
		{name: "BlankNameIsBadUserInput", newName: "   ", code: "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := s.CreateStore(t, "Unchanged "+tc.name)
			r := s.Post(t, update, map[string]any{"id": id, "n": tc.newName})
			wantCode(t, r, tc.code)
			wantNullField(t, r, "updateStore")
			if n := count(t, s, "SELECT count(*) FROM stores WHERE id = ? AND name = ?", dbID(t, id), "Unchanged "+tc.name); n != 1 {
				t.Errorf("store %s kept its name: got %d rows; want 1", id, n)
			}
		})
	}
}

func TestDeleteStore(t *testing.T) {
	t.Parallel()
	s := newServer(t)

	// build makes a store with three items, two tags and four links.
	build := func(t *testing.T, name string) (storeID string, itemIDs []int64) {
		t.Helper()
		storeID = s.CreateStore(t, name)
		var items []string
		for _, n := range []string{"Dune", "Piranesi", "Emma"} {
			id := s.CreateItem(t, storeID, n, 9.99)
			items = append(items, id)
			itemIDs = append(itemIDs, dbID(t, id))
		}
		fiction := s.CreateTag(t, storeID, "fiction")
		used := s.CreateTag(t, storeID, "used")
		s.Link(t, items[0], fiction)
		s.Link(t, items[1], fiction)
		s.Link(t, items[1], used)
		s.Link(t, items[2], used)
		return storeID, itemIDs
	}
	type rows struct{ stores, items, tags, links int }
	rowsOf := func(t *testing.T, storeID string, itemIDs []int64) rows {
		t.Helper()
		id := dbID(t, storeID)
		return rows{
			stores: count(t, s, "SELECT count(*) FROM stores WHERE id = ?", id),
			items:  count(t, s, "SELECT count(*) FROM items WHERE store_id = ?", id),
			tags:   count(t, s, "SELECT count(*) FROM tags WHERE store_id = ?", id),
			links: count(t, s, "SELECT count(*) FROM items_tags WHERE store_id = ? OR item_id = ANY(?)",
				id, pgdialect.Array(itemIDs)),
		}
	}

	t.Run("RemovesItsItemsTagsAndLinksAndNothingElse", func(t *testing.T) {
		t.Parallel()
		doomed, doomedItems := build(t, "Doomed Books")
		kept, keptItems := build(t, "Kept Books")
		want := rows{stores: 1, items: 3, tags: 2, links: 4}
		if got := rowsOf(t, kept, keptItems); got != want {
			t.Fatalf("rows of the other store before the delete: got %+v; want %+v", got, want)
		}

		var out struct{ DeleteStore deleteJSON }
		s.MustPost(t, `mutation($id: ID!) { deleteStore(id: $id) { id message } }`, map[string]any{"id": doomed}, &out)
		if want := (deleteJSON{ID: doomed, Message: "Store deleted."}); out.DeleteStore != want {
			t.Errorf("deleteStore = %+v; want %+v", out.DeleteStore, want)
		}
		if got := rowsOf(t, doomed, doomedItems); got != (rows{}) {
			t.Errorf("rows of the deleted store: got %+v; want none", got)
		}
		if got := rowsOf(t, kept, keptItems); got != want {
			t.Errorf("rows of the other store after the delete: got %+v; want %+v", got, want)
		}

		r := s.Post(t, `query($id: ID!) { store(id: $id) { id } }`, map[string]any{"id": doomed})
		wantCode(t, r, "NOT_FOUND")
		wantNullField(t, r, "store")
	})

	t.Run("DeletedTwiceIsNotFound", func(t *testing.T) {
		t.Parallel()
		id := s.CreateStore(t, "Deleted Twice")
		const del = `mutation($id: ID!) { deleteStore(id: $id) { id } }`
		s.MustPost(t, del, map[string]any{"id": id}, nil)
		r := s.Post(t, del, map[string]any{"id": id})
		wantCode(t, r, "NOT_FOUND")
		wantNullField(t, r, "deleteStore")
	})
}
