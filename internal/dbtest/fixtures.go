package dbtest

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database"
)

// Open returns a pool of at most 4 connections over a fresh database (see New), with
// hooks, closed when t ends.
func Open(t testing.TB, hooks ...bun.QueryHook) *bun.DB {
	t.Helper()
	db, err := database.Open(New(t), database.Options{MaxConns: 4}, hooks...)
	if err != nil {
		t.Fatalf("database.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The helpers below write rows behind the API's back, with Bun's ? placeholders, and fail
// t when the database refuses.

// Exec runs a statement.
func Exec(t testing.TB, db bun.IDB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
}

// Count runs a statement that returns one integer, such as SELECT count(*).
func Count(t testing.TB, db bun.IDB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return n
}

// Insert runs a statement that returns one id, such as INSERT ... RETURNING id.
func Insert(t testing.TB, db bun.IDB, query string, args ...any) catalog.ID {
	t.Helper()
	var id catalog.ID
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return id
}

// InsertUser adds an account whose password hash no password matches.
func InsertUser(t testing.TB, db bun.IDB, email string) catalog.ID {
	t.Helper()
	return Insert(t, db, "INSERT INTO users (email, password_hash) VALUES (?, 'x') RETURNING id", email)
}

// InsertStore adds a store owned by owner; owner 0 leaves it without an owner.
func InsertStore(t testing.TB, db bun.IDB, name string, owner catalog.ID) catalog.ID {
	t.Helper()
	var ownerID *catalog.ID
	if owner != 0 {
		ownerID = &owner
	}
	return Insert(t, db, "INSERT INTO stores (name, owner_id) VALUES (?, ?) RETURNING id", name, ownerID)
}

// InsertItem adds an item; price is the text of a numeric, such as "1.50".
func InsertItem(t testing.TB, db bun.IDB, storeID catalog.ID, name, price string) catalog.ID {
	t.Helper()
	return Insert(t, db, "INSERT INTO items (store_id, name, price) VALUES (?, ?, ?::numeric) RETURNING id", storeID, name, price)
}

// InsertTag adds a tag.
func InsertTag(t testing.TB, db bun.IDB, storeID catalog.ID, name string) catalog.ID {
	t.Helper()
	return Insert(t, db, "INSERT INTO tags (store_id, name) VALUES (?, ?) RETURNING id", storeID, name)
}

// InsertLink links a tag with an item of the same store.
func InsertLink(t testing.TB, db bun.IDB, itemID, tagID, storeID catalog.ID) {
	t.Helper()
	Exec(t, db, "INSERT INTO items_tags (item_id, tag_id, store_id) VALUES (?, ?, ?)", itemID, tagID, storeID)
}
