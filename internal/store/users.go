package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/storegraph/storegraph/internal/catalog"
)

var errEmailTaken = catalog.Errorf(catalog.Conflict, "An account with that email already exists.")

// CreateUser inserts an account; its email must be free whatever its case.
func (s *Store) CreateUser(ctx context.Context, u *catalog.User) error {
	_, err := s.db.NewInsert().Model(u).Returning("id, created_at").Exec(ctx)
	if code, constraint := pgCode(err); code == uniqueViolation && constraint == "users_email_key" {
		return errEmailTaken
	}
	return translate(err, "create user")
}

// UserByEmail finds an account by email, whatever its case; nil when there is none.
func (s *Store) UserByEmail(ctx context.Context, email string) (*catalog.User, error) {
	u := new(catalog.User)
	err := s.db.NewSelect().Model(u).Where("lower(u.email) = lower(?)", email).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, translate(err, "user by email")
}

// UserByID finds an account; nil when there is none.
func (s *Store) UserByID(ctx context.Context, id catalog.ID) (*catalog.User, error) {
	u := &catalog.User{ID: id}
	err := s.db.NewSelect().Model(u).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, translate(err, "user by id")
}

// storesOfOwners is User.stores, for relationQuery.
var storesOfOwners = relation{
	from:    "stores AS s",
	parent:  "s.owner_id",
	columns: "s.id, s.name, s.owner_id",
	orders:  map[catalog.Order]string{catalog.ByID: "s.id"},
}

// StoresOfOwners returns the stores each user owns, by id, with first/offset per user.
func (s *Store) StoresOfOwners(ctx context.Context, owners []catalog.ID, a catalog.ListArgs) (map[catalog.ID][]*catalog.Store, error) {
	var rows []struct {
		catalog.Store `bun:",extend"`
		Parent        catalog.ID `bun:"parent"`
		RN            int64      `bun:"rn"` // read only when first or offset are given
	}
	if err := s.relationQuery(storesOfOwners, owners, a).Scan(ctx, &rows); err != nil {
		return nil, translate(err, "stores of owners")
	}
	out := make(map[catalog.ID][]*catalog.Store)
	for i := range rows {
		out[rows[i].Parent] = append(out[rows[i].Parent], &rows[i].Store)
	}
	return out, nil
}

// refreshToken is one stored refresh token.
type refreshToken struct {
	bun.BaseModel `bun:"table:refresh_tokens,alias:rt"`

	ID        catalog.ID `bun:"id,pk,autoincrement"`
	UserID    catalog.ID `bun:"user_id,notnull"`
	Family    int64      `bun:"family,notnull"`
	TokenHash []byte     `bun:"token_hash,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// SaveRefreshToken stores the hash of a new refresh token. family 0 starts a new family
// (a new sign-in); it returns the family.
func (s *Store) SaveRefreshToken(ctx context.Context, user catalog.ID, family int64, hash []byte, expires time.Time) (int64, error) {
	return saveRefreshToken(ctx, s.db, user, family, hash, expires)
}

func saveRefreshToken(ctx context.Context, db bun.IDB, user catalog.ID, family int64, hash []byte, expires time.Time) (int64, error) {
	if family == 0 {
		if err := db.NewRaw("SELECT nextval('refresh_token_families')").Scan(ctx, &family); err != nil {
			return 0, translate(err, "new token family")
		}
	}
	rt := &refreshToken{UserID: user, Family: family, TokenHash: hash, ExpiresAt: expires}
	if _, err := db.NewInsert().Model(rt).Exec(ctx); err != nil {
		return 0, translate(err, "save refresh token")
	}
	// Expired tokens can neither refresh nor be reused; without this the table only grows.
	_, err := db.NewDelete().Model((*refreshToken)(nil)).Where("user_id = ? AND expires_at < now()", user).Exec(ctx)
	return family, translate(err, "drop expired refresh tokens")
}

// Refresh outcomes that are not errors of the database.
var (
	ErrRefreshUnknown = catalog.Errorf(catalog.Unauthenticated, "That refresh token is not valid: sign in again.")
	ErrRefreshExpired = catalog.Errorf(catalog.Unauthenticated, "That refresh token has expired: sign in again.")
	ErrRefreshReused  = catalog.Errorf(catalog.Unauthenticated, "That refresh token was already used, so every session it belongs to is now signed out: sign in again.")
	ErrRefreshRevoked = catalog.Errorf(catalog.Unauthenticated, "That refresh token was signed out: sign in again.")
)

// RotateRefreshToken spends the refresh token with hash old and stores next in its family,
// in one transaction. A token used a second time, or revoked, revokes its whole family:
// whoever holds a copy of it can no longer refresh. It returns the token's user.
func (s *Store) RotateRefreshToken(ctx context.Context, old, next []byte, now, expires time.Time) (catalog.ID, error) {
	var user catalog.ID
	var refused error // an answer that must wait for the revocation to commit
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		rt := new(refreshToken)
		err := tx.NewSelect().Model(rt).Where("token_hash = ?", old).For("UPDATE").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrRefreshUnknown
		}
		if err != nil {
			return translate(err, "find refresh token")
		}
		if rt.UsedAt != nil || rt.RevokedAt != nil {
			refused = ErrRefreshReused
			if rt.UsedAt == nil {
				refused = ErrRefreshRevoked // by logout, or with its family
			}
			_, err := tx.NewUpdate().Model((*refreshToken)(nil)).Set("revoked_at = ?", now).
				Where("family = ? AND revoked_at IS NULL", rt.Family).Exec(ctx)
			return translate(err, "revoke token family")
		}
		if !now.Before(rt.ExpiresAt) {
			return ErrRefreshExpired
		}
		if _, err := tx.NewUpdate().Model(rt).Set("used_at = ?", now).WherePK().Exec(ctx); err != nil {
			return translate(err, "spend refresh token")
		}
		user = rt.UserID
		_, err = saveRefreshToken(ctx, tx, rt.UserID, rt.Family, next, expires)
		return err
	})
	if err == nil && refused != nil {
		// The revocation is committed; only then is the caller told.
		return 0, refused
	}
	return user, err
}

// RevokeRefreshToken revokes the rest of the family of the refresh token with this hash,
// spent or not: the sign-in it came from ends. It reports whether that sign-in was live.
func (s *Store) RevokeRefreshToken(ctx context.Context, hash []byte, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*refreshToken)(nil)).Set("revoked_at = ?", now).
		Where("revoked_at IS NULL AND family = (SELECT family FROM refresh_tokens WHERE token_hash = ?)", hash).
		Exec(ctx)
	if err != nil {
		return false, translate(err, "revoke refresh token")
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// loginWindow is one key's failed logins, counted from window_start.
type loginWindow struct {
	Key         string    `bun:"key"`
	Failures    int       `bun:"failures"`
	WindowStart time.Time `bun:"window_start"`
}

// perKey returns, for each key in order, the failures counted in its window still open at
// now and when that window closes; 0 and the zero time for a key with none.
func perKey(rows []loginWindow, keys []string, window time.Duration, now time.Time) ([]int, []time.Time) {
	counts := make([]int, len(keys))
	ends := make([]time.Time, len(keys))
	for _, r := range rows {
		for i, k := range keys {
			if end := r.WindowStart.Add(window); k == r.Key && now.Before(end) {
				counts[i], ends[i] = r.Failures, end
			}
		}
	}
	return counts, ends
}

// LoginFailures returns, for each key, how many failed logins it has in the window that is
// still open at now, and when that window closes.
func (s *Store) LoginFailures(ctx context.Context, keys []string, window time.Duration, now time.Time) ([]int, []time.Time, error) {
	var rows []loginWindow
	err := s.db.NewSelect().Table("login_failures").Column("key", "failures", "window_start").
		Where("key IN (?)", bun.In(keys)).Scan(ctx, &rows)
	if err != nil {
		return nil, nil, translate(err, "login failures")
	}
	counts, ends := perKey(rows, keys, window, now)
	return counts, ends, nil
}

// AddLoginFailure counts one more failed login for each key; a key whose window has closed
// starts a new one. It returns, per key, the failures now counted and when their window
// closes. One statement counts every key, so replicas counting at once lose nothing.
func (s *Store) AddLoginFailure(ctx context.Context, keys []string, window time.Duration, now time.Time) ([]int, []time.Time, error) {
	// Closed windows count for nothing; without this every email ever tried keeps a row.
	if _, err := s.db.NewDelete().Table("login_failures").
		Where("window_start <= ?::timestamptz - ? * interval '1 second'", now, window.Seconds()).Exec(ctx); err != nil {
		return nil, nil, translate(err, "drop closed login windows")
	}
	var rows []loginWindow
	err := s.db.NewRaw(`INSERT INTO login_failures (key, failures, window_start)
			SELECT k, 1, ?::timestamptz FROM unnest(?::text[]) AS k
			ON CONFLICT (key) DO UPDATE SET
			  failures = CASE WHEN login_failures.window_start <= EXCLUDED.window_start - ? * interval '1 second'
			    THEN 1 ELSE login_failures.failures + 1 END,
			  window_start = CASE WHEN login_failures.window_start <= EXCLUDED.window_start - ? * interval '1 second'
			    THEN EXCLUDED.window_start ELSE login_failures.window_start END
			RETURNING key, failures, window_start`,
		now, pgdialect.Array(keys), window.Seconds(), window.Seconds()).Scan(ctx, &rows)
	if err != nil {
		return nil, nil, translate(err, "count login failure")
	}
	counts, ends := perKey(rows, keys, window, now)
	return counts, ends, nil
}

// ForgetLoginFailure takes back one failed login of key: an attempt counted before its
// password was checked, that turned out right.
func (s *Store) ForgetLoginFailure(ctx context.Context, key string) error {
	_, err := s.db.NewRaw("UPDATE login_failures SET failures = failures - 1 WHERE key = ? AND failures > 0", key).Exec(ctx)
	return translate(err, "forget login failure")
}

// ClearLoginFailures forgets the failed logins of key, after a successful login.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.db.NewDelete().Table("login_failures").Where("key = ?", key).Exec(ctx)
	return translate(err, "clear login failures")
}
