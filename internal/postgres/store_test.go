package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/postgres"
)

// missingID names no row of any table.
const missingID catalog.ID = 999_999

// open returns a fresh, migrated database with one user, a Catalog over it and the user's
// id. The writes under test are the user's, so that only the refusal being tested can stop
// them.
func open(t *testing.T) (*bun.DB, *postgres.Catalog, catalog.ID) {
	t.Helper()
	db := dbtest.Open(t, database.NewQueryCounter(nil))
	user := dbtest.InsertUser(t, db, "owner@example.com")
	return db, postgres.NewCatalog(db), user
}

// wantCode fails t unless err is a domain error with code want and a message for users.
func wantCode(t *testing.T, call string, err error, want catalog.Code) {
	t.Helper()
	if got := catalog.ErrorCode(err); got != want {
		t.Errorf("%s error = %v (code %s); want code %s", call, err, got, want)
	}
	if msg := catalog.ErrorMessage(err); msg == catalog.InternalMessage {
		t.Errorf("%s error message = %q; want a sentence for the user", call, msg)
	}
}

func TestWritesTheDatabaseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// run sets up rows and makes a write the database refuses; it returns a count of the
		// rows the write would have added, which must stay 0, and the write's error.
		run  func(context.Context, *testing.T, *bun.DB, *postgres.Catalog, catalog.ID) (int, error)
		want catalog.Code
	}{
		{
			name: "CreateStoreDuplicateName",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				dbtest.InsertStore(t, db, "Corner", user)
				_, err := s.CreateStore(ctx, user, "Corner")
				return dbtest.Count(t, db, "SELECT count(*) - 1 FROM stores WHERE name = 'Corner'"), err
			},
			want: catalog.Conflict,
		},
		{
			name: "CreateItemInMissingStore",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				err := s.CreateItem(ctx, user, &catalog.Item{StoreID: missingID, Name: "Pen", Price: 150}, nil)
				return dbtest.Count(t, db, "SELECT count(*) FROM items"), err
			},
			want: catalog.NotFound,
		},
		{
			name: "CreateItemDuplicateNameInStore",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				st := dbtest.InsertStore(t, db, "Corner", user)
				dbtest.InsertItem(t, db, st, "Pen", "1.50")
				err := s.CreateItem(ctx, user, &catalog.Item{StoreID: st, Name: "Pen", Price: 200}, nil)
				return dbtest.Count(t, db, "SELECT count(*) - 1 FROM items"), err
			},
			want: catalog.Conflict,
		},
		{
			name: "CreateTagInMissingStore",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				err := s.CreateTag(ctx, user, &catalog.Tag{StoreID: missingID, Name: "red"})
				return dbtest.Count(t, db, "SELECT count(*) FROM tags"), err
			},
			want: catalog.NotFound,
		},
		{
			name: "CreateTagDuplicateNameInStore",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				st := dbtest.InsertStore(t, db, "Corner", user)
				dbtest.InsertTag(t, db, st, "red")
				err := s.CreateTag(ctx, user, &catalog.Tag{StoreID: st, Name: "red"})
				return dbtest.Count(t, db, "SELECT count(*) - 1 FROM tags"), err
			},
			want: catalog.Conflict,
		},
		{
			name: "UpdateStoreToTakenName",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				dbtest.InsertStore(t, db, "Corner", user)
				other := dbtest.InsertStore(t, db, "Market", user)
				_, err := s.UpdateStore(ctx, user, other, "Corner")
				return dbtest.Count(t, db, "SELECT count(*) - 1 FROM stores WHERE name = 'Corner'"), err
			},
			want: catalog.Conflict,
		},
		{
			name: "LinkTagAcrossStores",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				a, b := dbtest.InsertStore(t, db, "Corner", user), dbtest.InsertStore(t, db, "Market", user)
				item := dbtest.InsertItem(t, db, a, "Pen", "1.50")
				tag := dbtest.InsertTag(t, db, b, "red")
				_, _, err := s.LinkTag(ctx, user, item, tag)
				return dbtest.Count(t, db, "SELECT count(*) FROM items_tags"), err
			},
			want: catalog.BadUserInput,
		},
		{
			name: "LinkTagMissingItem",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				tag := dbtest.InsertTag(t, db, dbtest.InsertStore(t, db, "Corner", user), "red")
				_, _, err := s.LinkTag(ctx, user, missingID, tag)
				return dbtest.Count(t, db, "SELECT count(*) FROM items_tags"), err
			},
			want: catalog.NotFound,
		},
		{
			name: "LinkTagMissingTag",
			run: func(ctx context.Context, t *testing.T, db *bun.DB, s *postgres.Catalog, user catalog.ID) (int, error) {
				item := dbtest.InsertItem(t, db, dbtest.InsertStore(t, db, "Corner", user), "Pen", "1.50")
				_, _, err := s.LinkTag(ctx, user, item, missingID)
				return dbtest.Count(t, db, "SELECT count(*) FROM items_tags"), err
			},
			want: catalog.NotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, s, user := open(t)
			added, err := tt.run(context.Background(), t, db, s, user)
			wantCode(t, tt.name, err, tt.want)
			if added != 0 {
				t.Errorf("%s added %d rows; want 0", tt.name, added)
			}
		})
	}
}

func TestLinkTagIsIdempotent(t *testing.T) {
	t.Parallel()
	db, s, user := open(t)
	ctx := context.Background()
	st := dbtest.InsertStore(t, db, "Corner", user)
	item := dbtest.InsertItem(t, db, st, "Pen", "1.50")
	tag := dbtest.InsertTag(t, db, st, "red")
	for i := range 2 {
		gotItem, gotTag, err := s.LinkTag(ctx, user, item, tag)
		if err != nil {
			t.Fatalf("LinkTag #%d error: %v", i+1, err)
		}
		if gotItem.ID != item || gotItem.Name != "Pen" || gotTag.ID != tag || gotTag.Name != "red" {
			t.Errorf("LinkTag #%d = %+v, %+v; want Pen (%d) and red (%d)", i+1, gotItem, gotTag, item, tag)
		}
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM items_tags WHERE item_id = ? AND tag_id = ? AND store_id = ?", item, tag, st); n != 1 {
		t.Errorf("after linking twice: %d links; want 1", n)
	}
}

func TestDeleteTag(t *testing.T) {
	t.Parallel()

	t.Run("InUseIsConflict", func(t *testing.T) {
		t.Parallel()
		db, s, user := open(t)
		ctx := context.Background()
		st := dbtest.InsertStore(t, db, "Corner", user)
		item := dbtest.InsertItem(t, db, st, "Pen", "1.50")
		tag := dbtest.InsertTag(t, db, st, "red")
		dbtest.InsertLink(t, db, item, tag, st)

		wantCode(t, "DeleteTag(linked tag)", s.DeleteTag(ctx, user, tag), catalog.Conflict)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM tags WHERE id = ?", tag); n != 1 {
			t.Errorf("after a refused DeleteTag: %d tags with its id; want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM items_tags WHERE tag_id = ?", tag); n != 1 {
			t.Errorf("after a refused DeleteTag: %d links; want 1", n)
		}

		// Once unlinked, the same tag goes.
		if _, _, err := s.UnlinkTag(ctx, user, item, tag); err != nil {
			t.Fatalf("UnlinkTag error: %v", err)
		}
		if err := s.DeleteTag(ctx, user, tag); err != nil {
			t.Fatalf("DeleteTag(unlinked tag) error: %v", err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM tags WHERE id = ?", tag); n != 0 {
			t.Errorf("after DeleteTag: %d tags with its id; want 0", n)
		}
	})

	t.Run("MissingIsNotFound", func(t *testing.T) {
		t.Parallel()
		_, s, user := open(t)
		wantCode(t, "DeleteTag(missing)", s.DeleteTag(context.Background(), user, missingID), catalog.NotFound)
	})
}

func TestDeleteStoreTakesItsRowsOnly(t *testing.T) {
	t.Parallel()
	db, s, user := open(t)
	ctx := context.Background()
	gone, kept := dbtest.InsertStore(t, db, "Corner", user), dbtest.InsertStore(t, db, "Market", user)
	for _, st := range []catalog.ID{gone, kept} {
		pen := dbtest.InsertItem(t, db, st, "Pen", "1.50")
		cup := dbtest.InsertItem(t, db, st, "Cup", "3.00")
		red := dbtest.InsertTag(t, db, st, "red")
		blue := dbtest.InsertTag(t, db, st, "blue")
		dbtest.InsertLink(t, db, pen, red, st)
		dbtest.InsertLink(t, db, pen, blue, st)
		dbtest.InsertLink(t, db, cup, red, st)
	}

	if err := s.DeleteStore(ctx, user, gone); err != nil {
		t.Fatalf("DeleteStore error: %v", err)
	}
	rows := []struct {
		table      string
		gone, kept int
	}{
		{"stores WHERE id", 0, 1},
		{"items WHERE store_id", 0, 2},
		{"tags WHERE store_id", 0, 2},
		{"items_tags WHERE store_id", 0, 3},
	}
	for _, r := range rows {
		if n := dbtest.Count(t, db, "SELECT count(*) FROM "+r.table+" = ?", gone); n != r.gone {
			t.Errorf("after DeleteStore: %d rows in %s = the deleted store; want %d", n, r.table, r.gone)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM "+r.table+" = ?", kept); n != r.kept {
			t.Errorf("after DeleteStore: %d rows in %s = the other store; want %d", n, r.table, r.kept)
		}
	}
	// Links are checked through the items and tags they join too, not only their store_id.
	if n := dbtest.Count(t, db, "SELECT count(*) FROM items_tags AS it JOIN items AS i ON i.id = it.item_id JOIN tags AS t ON t.id = it.tag_id"); n != 3 {
		t.Errorf("after DeleteStore: %d links join an item and a tag; want the other store's 3", n)
	}

	wantCode(t, "DeleteStore(deleted store)", s.DeleteStore(ctx, user, gone), catalog.NotFound)
}

func TestUpdateItem(t *testing.T) {
	t.Parallel()

	t.Run("NoChangeReturnsItemUnchanged", func(t *testing.T) {
		t.Parallel()
		db, s, user := open(t)
		st := dbtest.InsertStore(t, db, "Corner", user)
		id := dbtest.InsertItem(t, db, st, "Pen", "1.50")
		got, err := s.UpdateItem(context.Background(), user, id, postgres.ItemChange{})
		if err != nil {
			t.Fatalf("UpdateItem(no change) error: %v", err)
		}
		if got.ID != id || got.StoreID != st || got.Name != "Pen" || got.Price != 150 {
			t.Errorf("UpdateItem(no change) = {ID:%d StoreID:%d Name:%q Price:%s}; want {ID:%d StoreID:%d Name:\"Pen\" Price:1.50}",
				got.ID, got.StoreID, got.Name, got.Price, id, st)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM items WHERE id = ? AND name = 'Pen' AND price = 1.50", id); n != 1 {
			t.Errorf("after UpdateItem(no change): %d rows still Pen at 1.50; want 1", n)
		}
	})

	t.Run("ChangesOnlyWhatIsGiven", func(t *testing.T) {
		t.Parallel()
		db, s, user := open(t)
		ctx := context.Background()
		st := dbtest.InsertStore(t, db, "Corner", user)
		id := dbtest.InsertItem(t, db, st, "Pen", "1.50")
		price := catalog.Money(1999)
		got, err := s.UpdateItem(ctx, user, id, postgres.ItemChange{Price: &price})
		if err != nil {
			t.Fatalf("UpdateItem(price 19.99) error: %v", err)
		}
		if got.Name != "Pen" || got.Price != 1999 || got.StoreID != st {
			t.Errorf("UpdateItem(price 19.99) = %q at %s in store %d; want \"Pen\" at 19.99 in store %d", got.Name, got.Price, got.StoreID, st)
		}
		name := "Fountain pen"
		got, err = s.UpdateItem(ctx, user, id, postgres.ItemChange{Name: &name})
		if err != nil {
			t.Fatalf("UpdateItem(name) error: %v", err)
		}
		if got.Name != name || got.Price != 1999 {
			t.Errorf("UpdateItem(name %q) = %q at %s; want %q at 19.99", name, got.Name, got.Price, name)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM items WHERE id = ? AND name = ? AND price = 19.99", id, name); n != 1 {
			t.Errorf("after UpdateItem: %d rows read %q at 19.99; want 1", n, name)
		}
	})

	t.Run("RenameToTakenNameIsConflict", func(t *testing.T) {
		t.Parallel()
		db, s, user := open(t)
		st := dbtest.InsertStore(t, db, "Corner", user)
		dbtest.InsertItem(t, db, st, "Pen", "1.50")
		cup := dbtest.InsertItem(t, db, st, "Cup", "3.00")
		name := "Pen"
		_, err := s.UpdateItem(context.Background(), user, cup, postgres.ItemChange{Name: &name})
		wantCode(t, "UpdateItem(rename to taken name)", err, catalog.Conflict)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM items WHERE id = ? AND name = 'Cup'", cup); n != 1 {
			t.Errorf("after a refused rename: %d rows still named Cup; want 1", n)
		}
	})

	name, price := "Pen", catalog.Money(100)
	missing := []struct {
		name   string
		change postgres.ItemChange
	}{
		{"MissingNoChange", postgres.ItemChange{}},
		{"MissingName", postgres.ItemChange{Name: &name}},
		{"MissingPrice", postgres.ItemChange{Price: &price}},
		{"MissingBoth", postgres.ItemChange{Name: &name, Price: &price}},
	}
	for _, tt := range missing {
		t.Run(tt.name+"IsNotFound", func(t *testing.T) {
			t.Parallel()
			_, s, user := open(t)
			_, err := s.UpdateItem(context.Background(), user, missingID, tt.change)
			wantCode(t, "UpdateItem(missing, "+tt.name+")", err, catalog.NotFound)
		})
	}
}

// Sign-in state that can no longer matter is dropped as new state is written, so that the
// tables do not grow with every email ever tried and every refresh ever made.
func TestAuthTablesDropDeadRows(t *testing.T) {
	t.Parallel()
	db, _, user := open(t)
	st := postgres.NewAccounts(db)
	ctx := context.Background()
	rows := func(table string) int {
		t.Helper()
		var n int
		if err := db.NewSelect().Table(table).ColumnExpr("count(*)").Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("ClosedLoginWindows", func(t *testing.T) {
		start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		const window = time.Minute
		if _, err := st.ReserveLogin(ctx, []string{"email:a@example.com", "addr:192.0.2.1"}, []int{5, 5}, window, start); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReserveLogin(ctx, []string{"email:b@example.com"}, []int{5}, window, start.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if n := rows("login_failures"); n != 3 {
			t.Fatalf("rows with every window open: %d; want 3", n)
		}
		// The first two windows have closed; b's is still open.
		if _, err := st.ReserveLogin(ctx, []string{"email:c@example.com"}, []int{5}, window, start.Add(80*time.Second)); err != nil {
			t.Fatal(err)
		}
		if n := rows("login_failures"); n != 2 {
			t.Errorf("rows after two windows closed: %d; want 2 (b and c)", n)
		}
	})

	t.Run("ExpiredRefreshTokens", func(t *testing.T) {
		if _, err := st.SaveRefreshToken(ctx, user, []byte("expired"), time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveRefreshToken(ctx, user, []byte("live"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var hashes []string
		if err := db.NewSelect().Table("refresh_tokens").ColumnExpr("convert_from(token_hash, 'UTF8')").Scan(ctx, &hashes); err != nil {
			t.Fatal(err)
		}
		if len(hashes) != 1 || hashes[0] != "live" {
			t.Errorf("refresh tokens left: %q; want only the live one", hashes)
		}
		if n := rows("token_families"); n != 1 {
			t.Errorf("sign-ins left: %d; want only the live one", n)
		}
	})

	// The clean-up reads a range of an index, however many rows the user has.
	t.Run("ExpiredRefreshTokensByIndex", func(t *testing.T) {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
			var plan []string
			if err := tx.NewRaw("EXPLAIN "+postgres.ExpiredTokensQuery, user, user).Scan(ctx, &plan); err != nil {
				return err
			}
			bounded := 0
			for _, line := range plan {
				if strings.Contains(line, "Index Cond: ((user_id = ") && strings.Contains(line, "AND (expires_at < now()))") {
					bounded++
				}
			}
			if text := strings.Join(plan, "\n"); bounded != 2 {
				t.Errorf("clean-up plan does not bound both user_id and expires_at by an index:\n%s", text)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
