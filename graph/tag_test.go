package graph_test

import (
	"testing"
)

func TestCreateTag(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const create = `mutation($s: ID!, $n: String!) {
		createTag(input: {storeId: $s, name: $n}) { id name itemCount items { id } store { id name } } }`

	t.Run("CreatedInItsStore", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Tag Created In Its Store")
		var out struct{ CreateTag tagJSON }
		s.MustPost(t, create, map[string]any{"s": storeID, "n": " fiction\n"}, &out)
		got := out.CreateTag
		if got.Name != "fiction" || got.ItemCount != 0 || len(got.Items) != 0 {
			t.Errorf("createTag = %+v; want fiction with no items", got)
		}
		if got.Store == nil || got.Store.ID != storeID || got.Store.Name != "Tag Created In Its Store" {
			t.Errorf("createTag store = %+v; want store %s", got.Store, storeID)
		}
		n := count(t, s, "SELECT count(*) FROM tags WHERE id = ? AND store_id = ? AND name = 'fiction'", dbID(t, got.ID), dbID(t, storeID))
		if n != 1 {
			t.Errorf("tag %s as created in the database: got %d rows; want 1", got.ID, n)
		}
	})

	t.Run("SameNameInSameStoreIsConflict", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Tag Same Name Same Store")
		s.CreateTag(t, storeID, "fiction")
		r := s.Post(t, create, map[string]any{"s": storeID, "n": "  fiction  "})
		wantCode(t, r, "CONFLICT")
		wantNullField(t, r, "createTag")
		if n := count(t, s, "SELECT count(*) FROM tags WHERE store_id = ?", dbID(t, storeID)); n != 1 {
			t.Errorf("tags in the store after the refused duplicate: got %d; want 1", n)
		}
	})

	t.Run("SameNameInAnotherStoreSucceeds", func(t *testing.T) {
		t.Parallel()
		first := s.CreateStore(t, "Tag Same Name First Store")
		second := s.CreateStore(t, "Tag Same Name Second Store")
		s.CreateTag(t, first, "fiction")
		s.CreateTag(t, second, "fiction")
		n := count(t, s, "SELECT count(*) FROM tags WHERE name = 'fiction' AND store_id IN (?, ?)", dbID(t, first), dbID(t, second))
		if n != 2 {
			t.Errorf("tags named fiction in the two stores: got %d; want 2", n)
		}
	})
}

func TestUpdateTag(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const update = `mutation($id: ID!, $n: String!) { updateTag(id: $id, input: {name: $n}) { id name store { id } } }`

	for _, tc := range []struct {
		name     string
		newName  string
		wantName string // the tag's name afterwards
		code     string // the refusal's code; "" when the update succeeds
	}{
		{name: "Renamed", newName: "  science fiction ", wantName: "science fiction"},
		{name: "OwnNameSucceeds", newName: "fiction", wantName: "fiction"},
		{name: "NameOfTagInAnotherStoreSucceeds", newName: "signed", wantName: "signed"},
		{name: "NameOfTagInSameStoreIsConflict", newName: "used", code: "CONFLICT"},
		{name: "BlankNameIsBadUserInput", newName: "", code: "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storeID := s.CreateStore(t, "Update Tag "+tc.name)
			other := s.CreateStore(t, "Other Tag "+tc.name)
			id := s.CreateTag(t, storeID, "fiction")
			s.CreateTag(t, storeID, "used")
			s.CreateTag(t, other, "signed")

			r := s.Post(t, update, map[string]any{"id": id, "n": tc.newName})
			wantName := tc.wantName
			if tc.code != "" {
				wantCode(t, r, tc.code)
				wantNullField(t, r, "updateTag")
				wantName = "fiction"
			} else {
				if len(r.Errors) > 0 {
					t.Fatalf("updateTag(%q) failed: %+v", tc.newName, r.Errors)
				}
				var out struct{ UpdateTag tagJSON }
				r.Decode(t, &out)
				if got := out.UpdateTag; got.ID != id || got.Name != tc.wantName || got.Store == nil || got.Store.ID != storeID {
					t.Errorf("updateTag(%q) = %+v (store %+v); want id %s named %q in store %s",
						tc.newName, got, got.Store, id, tc.wantName, storeID)
				}
			}
			n := count(t, s, "SELECT count(*) FROM tags WHERE id = ? AND store_id = ? AND name = ?", dbID(t, id), dbID(t, storeID), wantName)
			if n != 1 {
				t.Errorf("tag %s named %q in the database: got %d rows; want 1", id, wantName, n)
			}
		})
	}
}

func TestDeleteTag(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const del = `mutation($id: ID!) { deleteTag(id: $id) { id message } }`

	t.Run("UnusedTagDeleted", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Delete Unused Tag")
		id := s.CreateTag(t, storeID, "fiction")
		kept := s.CreateTag(t, storeID, "used")
		var out struct{ DeleteTag deleteJSON }
		s.MustPost(t, del, map[string]any{"id": id}, &out)
		if want := (deleteJSON{ID: id, Message: "Tag deleted."}); out.DeleteTag != want {
			t.Errorf("deleteTag = %+v; want %+v", out.DeleteTag, want)
		}
		if n := count(t, s, "SELECT count(*) FROM tags WHERE id = ?", dbID(t, id)); n != 0 {
			t.Errorf("rows of the deleted tag: got %d; want 0", n)
		}
		if n := count(t, s, "SELECT count(*) FROM tags WHERE id = ?", dbID(t, kept)); n != 1 {
			t.Errorf("rows of the other tag: got %d; want 1", n)
		}
		r := s.Post(t, `query($id: ID!) { tag(id: $id) { id } }`, map[string]any{"id": id})
		wantCode(t, r, "NOT_FOUND")
		wantNullField(t, r, "tag")
	})

	t.Run("TagInUseIsConflictAndKeptWithItsLinks", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Delete Used Tag")
		id := s.CreateTag(t, storeID, "fiction")
		dune := s.CreateItem(t, storeID, "Dune", 9.99)
		emma := s.CreateItem(t, storeID, "Emma", 5)
		s.Link(t, dune, id)
		s.Link(t, emma, id)

		r := s.Post(t, del, map[string]any{"id": id})
		wantCode(t, r, "CONFLICT")
		wantNullField(t, r, "deleteTag")
		if n := count(t, s, "SELECT count(*) FROM tags WHERE id = ? AND name = 'fiction'", dbID(t, id)); n != 1 {
			t.Errorf("rows of the refused tag: got %d; want 1", n)
		}
		if n := count(t, s, "SELECT count(*) FROM items_tags WHERE tag_id = ?", dbID(t, id)); n != 2 {
			t.Errorf("links of the refused tag: got %d; want 2", n)
		}

		// Once no item uses it, it goes.
		for _, item := range []string{dune, emma} {
			s.MustPost(t, `mutation($i: ID!, $t: ID!) { unlinkTag(itemId: $i, tagId: $t) { message } }`,
				map[string]any{"i": item, "t": id}, nil)
		}
		s.MustPost(t, del, map[string]any{"id": id}, nil)
		if n := count(t, s, "SELECT count(*) FROM tags WHERE id = ?", dbID(t, id)); n != 0 {
			t.Errorf("rows of the tag deleted once unused: got %d; want 0", n)
		}
		if n := count(t, s, "SELECT count(*) FROM items WHERE store_id = ?", dbID(t, storeID)); n != 2 {
			t.Errorf("items of the store after deleting the tag: got %d; want 2", n)
		}
	})

	t.Run("DeletedTwiceIsNotFound", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Delete Tag Twice")
		id := s.CreateTag(t, storeID, "fiction")
		s.MustPost(t, del, map[string]any{"id": id}, nil)
		r := s.Post(t, del, map[string]any{"id": id})
		wantCode(t, r, "NOT_FOUND")
		wantNullField(t, r, "deleteTag")
	})
}
