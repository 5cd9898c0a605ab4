package graph_test

import (
	"testing"
)

func TestCreateItem(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const create = `mutation($s: ID!, $n: String!, $p: Float!) {
		createItem(input: {storeId: $s, name: $n, price: $p}) { id name price tagCount tags { id } store { id name } } }`

	t.Run("CreatedInItsStore", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Created In Its Store")
		var out struct{ CreateItem itemJSON }
		s.MustPost(t, create, map[string]any{"s": storeID, "n": "  Dune  ", "p": 9.99}, &out)
		got := out.CreateItem
		if got.Name != "Dune" || got.Price != "9.99" || got.TagCount != 0 || len(got.Tags) != 0 {
			t.Errorf("createItem = %+v; want Dune at 9.99 with no tags", got)
		}
		if got.Store == nil || got.Store.ID != storeID || got.Store.Name != "Created In Its Store" {
			t.Errorf("createItem store = %+v; want store %s", got.Store, storeID)
		}
		n := count(t, s, "SELECT count(*) FROM items WHERE id = ? AND store_id = ? AND name = 'Dune' AND price::text = '9.99'",
			dbID(t, got.ID), dbID(t, storeID))
		if n != 1 {
			t.Errorf("item %s as created in the database: got %d rows; want 1", got.ID, n)
		}
	})

	t.Run("SameNameInSameStoreIsConflict", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Same Name Same Store")
		s.CreateItem(t, storeID, "Dune", 9.99)
		r := s.Post(t, create, map[string]any{"s": storeID, "n": " Dune ", "p": 12})
		wantCode(t, r, "CONFLICT")
		wantNullField(t, r, "createItem")
		if n := count(t, s, "SELECT count(*) FROM items WHERE store_id = ?", dbID(t, storeID)); n != 1 {
			t.Errorf("items in the store after the refused duplicate: got %d; want 1", n)
		}
	})

	t.Run("SameNameInAnotherStoreSucceeds", func(t *testing.T) {
		t.Parallel()
		first := s.CreateStore(t, "Same Name First Store")
		second := s.CreateStore(t, "Same Name Second Store")
		s.CreateItem(t, first, "Dune", 9.99)
		s.CreateItem(t, second, "Dune", 12)
		n := count(t, s, "SELECT count(*) FROM items WHERE name = 'Dune' AND store_id IN (?, ?)", dbID(t, first), dbID(t, second))
		if n != 2 {
			t.Errorf("items named Dune in the two stores: got %d; want 2", n)
		}
	})
}

func TestUpdateItem(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const update = `mutation($id: ID!, $in: UpdateItemInput!) { updateItem(id: $id, input: $in) { id name price store { id } } }`

	for _, tc := range []struct {
		name      string
		input     map[string]any
		wantName  string // the item's name afterwards, in the response and the database
		wantPrice string // its price afterwards, as the API and price::text write it
		dbPrice   string
		code      string // the refusal's code; "" when the update succeeds
	}{
		{name: "NameChangedPriceKept", input: map[string]any{"name": " Dune Messiah "}, wantName: "Dune Messiah", wantPrice: "9.99", dbPrice: "9.99"},
		{name: "PriceChangedNameKept", input: map[string]any{"price": 12.5}, wantName: "Dune", wantPrice: "12.5", dbPrice: "12.50"},
		{name: "NameAndPriceChanged", input: map[string]any{"name": "Emma Deluxe", "price": 0}, wantName: "Emma Deluxe", wantPrice: "0", dbPrice: "0.00"},
		{name: "EmptyInputChangesNothing", input: map[string]any{}, wantName: "Dune", wantPrice: "9.99", dbPrice: "9.99"},
		{name: "NameOfItemInAnotherStoreSucceeds", input: map[string]any{"name": "Piranesi"}, wantName: "Piranesi", wantPrice: "9.99", dbPrice: "9.99"},
		{name: "NameOfItemInSameStoreIsConflict", input: map[string]any{"name": "Emma"}, code: "CONFLICT"},
		{name: "NameAndPriceWithTakenNameChangesNeither", input: map[string]any{"name": "Emma", "price": 1}, code: "CONFLICT"},
		{name: "BlankNameIsBadUserInput", input: map[string]any{"name": " \t "}, code: "BAD_USER_INPUT"},
		{name: "BadPriceIsBadUserInput", input: map[string]any{"name": "Fine Name", "price": 1.001}, code: "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storeID := s.CreateStore(t, "Update "+tc.name)
			other := s.CreateStore(t, "Other "+tc.name)
			id := s.CreateItem(t, storeID, "Dune", 9.99)
			s.CreateItem(t, storeID, "Emma", 5)
			s.CreateItem(t, other, "Piranesi", 18)

			r := s.Post(t, update, map[string]any{"id": id, "in": tc.input})
			wantName, dbPrice := tc.wantName, tc.dbPrice
			if tc.code != "" {
				wantCode(t, r, tc.code)
				wantNullField(t, r, "updateItem")
				wantName, dbPrice = "Dune", "9.99"
			} else {
				if len(r.Errors) > 0 {
					t.Fatalf("updateItem(%v) failed: %+v", tc.input, r.Errors)
				}
				var out struct{ UpdateItem itemJSON }
				r.Decode(t, &out)
				got := out.UpdateItem
				if got.ID != id || got.Name != tc.wantName || string(got.Price) != tc.wantPrice || got.Store == nil || got.Store.ID != storeID {
					t.Errorf("updateItem(%v) = %+v (store %+v); want id %s, %q at %s in store %s",
						tc.input, got, got.Store, id, tc.wantName, tc.wantPrice, storeID)
				}
			}
			n := count(t, s, "SELECT count(*) FROM items WHERE id = ? AND store_id = ? AND name = ? AND price::text = ?",
				dbID(t, id), dbID(t, storeID), wantName, dbPrice)
			if n != 1 {
				t.Errorf("item %s in the database named %q at %s: got %d rows; want 1", id, wantName, dbPrice, n)
			}
		})
	}
}

func TestDeleteItem(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const del = `mutation($id: ID!) { deleteItem(id: $id) { id message } }`

	t.Run("RemovesItemAndOnlyItsLinks", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Delete Item")
		doomed := s.CreateItem(t, storeID, "Dune", 9.99)
		kept := s.CreateItem(t, storeID, "Emma", 5)
		fiction := s.CreateTag(t, storeID, "fiction")
		used := s.CreateTag(t, storeID, "used")
		s.Link(t, doomed, fiction)
		s.Link(t, doomed, used)
		s.Link(t, kept, fiction)

		var out struct{ DeleteItem deleteJSON }
		s.MustPost(t, del, map[string]any{"id": doomed}, &out)
		if want := (deleteJSON{ID: doomed, Message: "Item deleted."}); out.DeleteItem != want {
			t.Errorf("deleteItem = %+v; want %+v", out.DeleteItem, want)
		}
		if n := count(t, s, "SELECT count(*) FROM items WHERE id = ?", dbID(t, doomed)); n != 0 {
			t.Errorf("rows of the deleted item: got %d; want 0", n)
		}
		if n := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ?", dbID(t, doomed)); n != 0 {
			t.Errorf("links of the deleted item: got %d; want 0", n)
		}
		n := count(t, s, "SELECT count(*) FROM items_tags WHERE item_id = ? AND tag_id = ?", dbID(t, kept), dbID(t, fiction))
		if n != 1 {
			t.Errorf("link of the other item: got %d rows; want 1", n)
		}
		if n := count(t, s, "SELECT count(*) FROM tags WHERE store_id = ?", dbID(t, storeID)); n != 2 {
			t.Errorf("tags of the store: got %d; want both (2)", n)
		}

		var after struct{ Store storeJSON }
		s.MustPost(t, `query($id: ID!) { store(id: $id) { itemCount items { name } tags { name itemCount items { name } } } }`,
			map[string]any{"id": storeID}, &after)
		got := after.Store
		if got.ItemCount != 1 || itemNames(got.Items) != "Emma" || len(got.Tags) != 2 ||
			got.Tags[0].ItemCount != 1 || itemNames(got.Tags[0].Items) != "Emma" || got.Tags[1].ItemCount != 0 {
			t.Errorf("store after the delete = %+v; want Emma only, tagged fiction", got)
		}
	})

	t.Run("DeletedTwiceIsNotFound", func(t *testing.T) {
		t.Parallel()
		storeID := s.CreateStore(t, "Delete Item Twice")
		id := s.CreateItem(t, storeID, "Dune", 9.99)
		s.MustPost(t, del, map[string]any{"id": id}, nil)
		r := s.Post(t, del, map[string]any{"id": id})
		wantCode(t, r, "NOT_FOUND")
		wantNullField(t, r, "deleteItem")
	})
}
