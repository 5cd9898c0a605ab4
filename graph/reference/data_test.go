package reference_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// dataSet is what the random data holds, as the queries name it.
type dataSet struct {
	ids     []string // of stores, items and tags (the three count from 1), and ids no row has
	cursors []string
}

// namePieces make up names: letters to sort by, and what a JSON writer must escape or
// keep (quotes, backslashes, control characters, line separators, non-ASCII).
var namePieces = []string{
	"a", "b", "c", "m", "Z", "é", "Ω", "ß", "🍵", " ", "\"", "\\", "'", "\x01", "\x1f", "\x7f",
	"\t", "\n", "\r", "\u2028", "<&>", "%", "_", "\u00a0", "\ufeff",
}

func randomName(r *rand.Rand, taken map[string]bool) string {
	for {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(namePieces[r.IntN(len(namePieces))])
		}
		if name := b.String(); !taken[name] {
			taken[name] = true
			return name
		}
	}
}

// loadRandomData fills the server's database: four stores (one with nothing), up to seven
// items and five tags each, with random names and prices (ties included), random links,
// and every other column of the three tables filled per row.
func loadRandomData(t *testing.T, s *apitest.Server, r *rand.Rand) dataSet {
	t.Helper()
	ctx := context.Background()
	db := s.DB()
	insert := func(query string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.NewRaw(query, args...).Scan(ctx, &id); err != nil {
			t.Fatalf("%s %q: %v", query, args, err)
		}
		return id
	}
	storeNames := map[string]bool{}
	price := int64(0)
	for st := range 4 {
		store := insert("INSERT INTO stores (name) VALUES (?) RETURNING id", randomName(r, storeNames))
		if st == 3 {
			continue // a store without items or tags
		}
		itemNames, tagNames := map[string]bool{}, map[string]bool{}
		var items, tags []int64
		for range r.IntN(8) {
			switch r.IntN(6) {
			case 0: // the previous price again: a tie to break by id
			case 1:
				price = int64(catalog.MaxPrice)
			default:
				price = r.Int64N(100_000)
			}
			items = append(items, insert("INSERT INTO items (store_id, name, price) VALUES (?, ?, ?::numeric / 100) RETURNING id",
				store, randomName(r, itemNames), price))
		}
		for range r.IntN(6) {
			tags = append(tags, insert("INSERT INTO tags (store_id, name) VALUES (?, ?) RETURNING id", store, randomName(r, tagNames)))
		}
		for _, item := range items {
			for _, tag := range tags {
				if r.IntN(5) < 2 {
					if _, err := db.ExecContext(ctx, "INSERT INTO items_tags (item_id, tag_id, store_id) VALUES (?, ?, ?)", item, tag, store); err != nil {
						t.Fatalf("link: %v", err)
					}
				}
			}
		}
	}
	for _, table := range []string{"stores", "items", "tags"} {
		dbtest.FillColumns(t, db, table, randomName(r, map[string]bool{}), "name", "price")
	}

	var d dataSet
	var top int64
	if err := db.NewRaw("SELECT greatest((SELECT max(id) FROM stores), (SELECT max(id) FROM items), (SELECT max(id) FROM tags))").Scan(ctx, &top); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= top+2; id++ {
		d.ids = append(d.ids, fmt.Sprint(id))
		d.cursors = append(d.cursors, catalog.Cursor(catalog.ID(id)))
	}
	d.ids = append(d.ids, "999999")
	return d
}
