package postgres

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/storegraph/storegraph/internal/catalog"
)

var errEmailTaken = catalog.Errorf(catalog.Conflict, "An account with that email already exists.")

// CreateUser inserts an account; its email must be free whatever its case.
func (s *Accounts) CreateUser(ctx context.Context, u *catalog.User) error {
	_, err := s.db.NewInsert().Model(u).Returning("id, created_at").Exec(ctx)
	if code, constraint := pgCode(err); code == uniqueViolation && constraint == "users_email_key" {
		return errEmailTaken
	}
	return translate(err, "create user")
}

// UserByEmail finds an account by email, whatever its case; nil when there is none.
func (s *Accounts) UserByEmail(ctx context.Context, email string) (*catalog.User, error) {
	u := new(catalog.User)
	err := s.db.NewSelect().Model(u).Where("lower(u.email) = lower(?)", email).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, translate(err, "user by email")
}

// UserByID finds an account; nil when there is none.
func (s *Accounts) UserByID(ctx context.Context, id catalog.ID) (*catalog.User, error) {
	u := &catalog.User{ID: id}
	err := s.db.NewSelect().Model(u).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, translate(err, "user by id")
}

// StoresOfOwners returns the stores each user owns, by id, with first/offset per user.
func (s *Catalog) StoresOfOwners(ctx context.Context, owners []catalog.ID, a catalog.ListArgs) (map[catalog.ID][]*catalog.Store, error) {
	m, err := s.storesOfOwners.read(ctx, s, owners, a)
	return m, translate(err, "stores of owners")
}

// RefreshToken is one stored refresh token.
type RefreshToken struct {
	bun.BaseModel `bun:"table:refresh_tokens,alias:rt"`

	ID        catalog.ID `bun:"id,pk,autoincrement"`
	UserID    catalog.ID `bun:"user_id,notnull"`
	Family    int64      `bun:"family,notnull"`
	TokenHash []byte     `bun:"token_hash,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// TokenFamily is one sign-in: the refresh tokens rotated from one another.
type TokenFamily struct {
	bun.BaseModel `bun:"table:token_families,alias:tf"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    catalog.ID `bun:"user_id,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
}

// SaveRefreshToken stores the hash of the first refresh token of a new sign-in and returns
// its family.
func (s *Accounts) SaveRefreshToken(ctx context.Context, user catalog.ID, hash []byte, expires time.Time) (int64, error) {
	f := &TokenFamily{UserID: user, ExpiresAt: expires}
	if _, err := s.db.NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
		return 0, translate(err, "new token family")
	}
	return f.ID, saveRefreshToken(ctx, s.db, user, f.ID, hash, expires)
}

// ExpiredTokensQuery deletes a user's expired sign-ins and tokens (the first argument
// twice); both deletes are ranges of a (user_id, expires_at) index.
const ExpiredTokensQuery = `WITH f AS (DELETE FROM token_families WHERE user_id = ? AND expires_at < now())
	DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at < now()`

func saveRefreshToken(ctx context.Context, db bun.IDB, user catalog.ID, family int64, hash []byte, expires time.Time) error {
	rt := &RefreshToken{UserID: user, Family: family, TokenHash: hash, ExpiresAt: expires}
	if _, err := db.NewInsert().Model(rt).Exec(ctx); err != nil {
		return translate(err, "save refresh token")
	}
	// Expired tokens can neither refresh nor be reused; without this the table only grows.
	_, err := db.NewRaw(ExpiredTokensQuery, user, user).Exec(ctx)
	return translate(err, "drop expired refresh tokens")
}

// AccountsTx reads and writes accounts within one transaction, for changes whose reads
// and writes must not interleave with another's.
type AccountsTx struct {
	tx bun.Tx
}

// InTx runs f in one transaction, committed when f returns nil and rolled back otherwise.
func (s *Accounts) InTx(ctx context.Context, f func(ctx context.Context, tx AccountsTx) error) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return f(ctx, AccountsTx{tx: tx})
	})
}

// LockFamily finds the refresh token with this hash and locks its family's row, then
// reads the token again: whatever a rotation or revocation of the family committed before
// the lock was granted is seen, and none of them runs until this transaction ends. Both
// are nil when there is no such token.
func (tx AccountsTx) LockFamily(ctx context.Context, hash []byte) (*RefreshToken, *TokenFamily, error) {
	var family int64
	err := tx.tx.NewSelect().Model((*RefreshToken)(nil)).Column("family").Where("token_hash = ?", hash).Scan(ctx, &family)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, translate(err, "find refresh token")
	}
	f := &TokenFamily{ID: family}
	if err := tx.tx.NewSelect().Model(f).WherePK().For("UPDATE").Scan(ctx); err != nil {
		return nil, nil, translate(err, "lock token family")
	}
	rt := new(RefreshToken)
	err = tx.tx.NewSelect().Model(rt).Where("token_hash = ?", hash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) { // dropped meanwhile: expired, or an old spent one
		return nil, nil, nil
	}
	return rt, f, translate(err, "find refresh token")
}

// RevokeFamily marks a family and every token of it revoked.
func (tx AccountsTx) RevokeFamily(ctx context.Context, family int64, now time.Time) error {
	if _, err := tx.tx.NewUpdate().Model((*TokenFamily)(nil)).Set("revoked_at = ?", now).
		Where("id = ?", family).Exec(ctx); err != nil {
		return translate(err, "revoke token family")
	}
	_, err := tx.tx.NewUpdate().Model((*RefreshToken)(nil)).Set("revoked_at = ?", now).
		Where("family = ? AND revoked_at IS NULL", family).Exec(ctx)
	return translate(err, "revoke family tokens")
}

// SpendRefreshToken marks a token used.
func (tx AccountsTx) SpendRefreshToken(ctx context.Context, rt *RefreshToken, now time.Time) error {
	_, err := tx.tx.NewUpdate().Model(rt).Set("used_at = ?", now).WherePK().Exec(ctx)
	return translate(err, "spend refresh token")
}

// ExtendFamily moves a family's end to expires.
func (tx AccountsTx) ExtendFamily(ctx context.Context, f *TokenFamily, expires time.Time) error {
	_, err := tx.tx.NewUpdate().Model(f).Set("expires_at = ?", expires).WherePK().Exec(ctx)
	return translate(err, "extend token family")
}

// DropSpentTokens deletes a family's spent tokens but its newest keep.
func (tx AccountsTx) DropSpentTokens(ctx context.Context, family int64, keep int) error {
	_, err := tx.tx.NewRaw(`DELETE FROM refresh_tokens WHERE family = ? AND used_at IS NOT NULL AND id <=
			(SELECT id FROM refresh_tokens WHERE family = ? AND used_at IS NOT NULL ORDER BY id DESC OFFSET ? LIMIT 1)`,
		family, family, keep).Exec(ctx)
	return translate(err, "drop old spent tokens")
}

// SaveRefreshToken stores the hash of a refresh token of an existing family.
func (tx AccountsTx) SaveRefreshToken(ctx context.Context, user catalog.ID, family int64, hash []byte, expires time.Time) error {
	return saveRefreshToken(ctx, tx.tx, user, family, hash, expires)
}

// Hit is Accounts.Hit within the transaction.
func (tx AccountsTx) Hit(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	return hit(ctx, tx.tx, key, limit, window, now)
}

// loginWindow is one key's failed logins, and its logins under way, counted from
// window_start.
type loginWindow struct {
	Key         string    `bun:"key"`
	Failures    int       `bun:"failures"`
	Pending     int       `bun:"pending"`
	WindowStart time.Time `bun:"window_start"`
}

// LoginAttempt is what ReserveLogin found for each key, in the order of its keys.
type LoginAttempt struct {
	Failures []int       // failed logins in the open window
	Ends     []time.Time // when that window closes
	Reserved bool        // whether the attempt was counted as under way
}

// ReserveLogin counts a login as under way for every key, unless for some key its
// failures and the logins already under way reach that key's limit: then it counts
// nothing. A key whose window has closed starts a new one. The keys' rows stay locked
// from reading to counting, so replicas reserving at once cannot overshoot a limit.
func (s *Accounts) ReserveLogin(ctx context.Context, keys []string, limits []int, window time.Duration, now time.Time) (LoginAttempt, error) {
	keys = slices.Clone(keys)
	limits = slices.Clone(limits)
	// Locks are taken in key order, the same in every transaction, so none deadlock.
	byKey := map[string]int{}
	for i, k := range keys {
		byKey[k] = limits[i]
	}
	sorted := slices.Sorted(maps.Keys(byKey))
	out := LoginAttempt{Failures: make([]int, len(keys)), Ends: make([]time.Time, len(keys))}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Closed windows count for nothing; without this every email ever tried keeps a row.
		// Rows another login holds are left for later, so that this waits for no one.
		if _, err := tx.NewRaw(`DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures
				WHERE window_start <= ?::timestamptz - ? * interval '1 second' AND NOT key = ANY(?)
				FOR UPDATE SKIP LOCKED)`, now, window.Seconds(), pgdialect.Array(sorted)).Exec(ctx); err != nil {
			return translate(err, "drop closed login windows")
		}
		var rows []loginWindow
		err := tx.NewRaw(`INSERT INTO login_failures AS lf (key, failures, pending, window_start)
				SELECT k, 0, 0, ?::timestamptz FROM unnest(?::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n
				ON CONFLICT (key) DO UPDATE SET
				  failures = CASE WHEN lf.window_start <= EXCLUDED.window_start - ? * interval '1 second' THEN 0 ELSE lf.failures END,
				  pending = CASE WHEN lf.window_start <= EXCLUDED.window_start - ? * interval '1 second' THEN 0 ELSE lf.pending END,
				  window_start = CASE WHEN lf.window_start <= EXCLUDED.window_start - ? * interval '1 second'
				    THEN EXCLUDED.window_start ELSE lf.window_start END
				RETURNING key, failures, pending, window_start`,
			now, pgdialect.Array(sorted), window.Seconds(), window.Seconds(), window.Seconds()).Scan(ctx, &rows)
		if err != nil {
			return translate(err, "read login attempts")
		}
		room := true
		for _, r := range rows {
			for i, k := range keys {
				if k == r.Key {
					out.Failures[i], out.Ends[i] = r.Failures, r.WindowStart.Add(window)
				}
			}
			if r.Failures+r.Pending >= byKey[r.Key] {
				room = false
			}
		}
		if !room {
			return nil
		}
		if _, err := tx.NewRaw("UPDATE login_failures SET pending = pending + 1 WHERE key = ANY(?)",
			pgdialect.Array(sorted)).Exec(ctx); err != nil {
			return translate(err, "reserve login attempt")
		}
		out.Reserved = true
		return nil
	})
	return out, err
}

// SettleLogin ends a login ReserveLogin counted as under way: a failure counts for every
// key; a success forgets the failures of clearKey.
func (s *Accounts) SettleLogin(ctx context.Context, keys []string, failed bool, clearKey string) error {
	// The rows are locked in key order, as ReserveLogin locks them, so the two never deadlock.
	_, err := s.db.NewRaw(`UPDATE login_failures AS lf SET pending = greatest(lf.pending - 1, 0),
			failures = CASE WHEN ? THEN lf.failures + 1 WHEN lf.key = ? THEN 0 ELSE lf.failures END
			FROM (SELECT key FROM login_failures WHERE key = ANY(?) ORDER BY key FOR UPDATE) AS l
			WHERE lf.key = l.key`, failed, clearKey, pgdialect.Array(keys)).Exec(ctx)
	return translate(err, "settle login attempt")
}
