package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Hit counts one use of key against limit uses per window, the window starting at the
// key's first use. It reports whether the use fits in the limit, and when the window
// closes. The count lives in PostgreSQL, so every replica shares it.
func (s *Accounts) Hit(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	return hit(ctx, s.db, key, limit, window, now)
}

func hit(ctx context.Context, db bun.IDB, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	var row struct {
		Hits      int       `bun:"hits"`
		WindowEnd time.Time `bun:"window_end"`
	}
	// Closed windows count for nothing; the same statement drops them (but for key's own,
	// which it updates, and rows others hold, so that it waits for no one) so that the
	// table holds only open ones.
	err := db.NewRaw(`WITH closed AS (DELETE FROM request_counts WHERE key IN (SELECT key FROM request_counts
			WHERE window_end <= ? AND key <> ? FOR UPDATE SKIP LOCKED))
		INSERT INTO request_counts AS rc (key, hits, window_end) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
		  hits = CASE WHEN rc.window_end <= ? THEN 1 ELSE least(rc.hits + 1, ? + 1) END,
		  window_end = CASE WHEN rc.window_end <= ? THEN EXCLUDED.window_end ELSE rc.window_end END
		RETURNING hits, window_end`,
		now, key, key, now.Add(window), now, limit, now).Scan(ctx, &row)
	if err != nil {
		return false, time.Time{}, translate(err, "count "+key)
	}
	return row.Hits <= limit, row.WindowEnd, nil
}
