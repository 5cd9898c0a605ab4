package apitest

import (
	"context"
	"fmt"
	"testing"
)

// LoadDataset fills the server's database with the benchmark's deterministic data set for
// the given number of stores: 200 items and 20 tags per store, 5 tags per item, every tag
// on 50 items, tag names not in id order. With 50 stores it is the data set of the
// side-by-side benchmark.
func (s *Server) LoadDataset(t testing.TB, stores int) {
	t.Helper()
	stmts := []string{
		fmt.Sprintf(`INSERT INTO stores (id, name) OVERRIDING SYSTEM VALUE
			SELECT s, 'store-' || lpad(s::text, 2, '0') FROM generate_series(1, %d) AS s`, stores),
		fmt.Sprintf(`INSERT INTO items (id, store_id, name, price) OVERRIDING SYSTEM VALUE
			SELECT (s - 1) * 200 + k, s, 'item-' || lpad(k::text, 3, '0'),
			       ((((s - 1) * 200 + k) * 37) %% 100000) / 100.0 + 1
			FROM generate_series(1, %d) AS s, generate_series(1, 200) AS k`, stores),
		fmt.Sprintf(`INSERT INTO tags (id, store_id, name) OVERRIDING SYSTEM VALUE
			SELECT (s - 1) * 20 + t, s, 'tag-' || lpad(((t * 7) %% 20)::text, 2, '0')
			FROM generate_series(1, %d) AS s, generate_series(1, 20) AS t`, stores),
		fmt.Sprintf(`INSERT INTO items_tags (item_id, tag_id, store_id)
			SELECT (s - 1) * 200 + k, (s - 1) * 20 + ((k - 1 + 4 * j) %% 20) + 1, s
			FROM generate_series(1, %d) AS s, generate_series(1, 200) AS k, generate_series(0, 4) AS j`, stores),
		`SELECT setval(pg_get_serial_sequence('stores', 'id'), (SELECT max(id) FROM stores))`,
		`SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))`,
		`SELECT setval(pg_get_serial_sequence('tags', 'id'), (SELECT max(id) FROM tags))`,
		`ANALYZE stores, items, tags, items_tags`,
	}
	for _, q := range stmts {
		if _, err := s.DB().ExecContext(context.Background(), q); err != nil {
			t.Fatalf("load data set: %v", err)
		}
	}
}
