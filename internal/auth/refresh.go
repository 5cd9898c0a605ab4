package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/postgres"
)

// RotationLimits bound what one sign-in may cost.
type RotationLimits struct {
	Max       int           // rotations of one family per window
	Window    time.Duration // counted from the first rotation
	SpentKept int           // spent tokens kept per family for reuse detection
}

// Refresh outcomes that are not errors of the database.
var (
	ErrRefreshUnknown = catalog.Errorf(catalog.Unauthenticated, "That refresh token is not valid: sign in again.")
	ErrRefreshExpired = catalog.Errorf(catalog.Unauthenticated, "That refresh token has expired: sign in again.")
	ErrRefreshReused  = catalog.Errorf(catalog.Unauthenticated, "That refresh token was already used, so every session it belongs to is now signed out: sign in again.")
	ErrRefreshRevoked = catalog.Errorf(catalog.Unauthenticated, "That refresh token was signed out: sign in again.")
)

// rotate spends the refresh token with hash old and stores next in its family, in one
// transaction that holds the family's lock. A token used a second time, or revoked,
// revokes its whole family: whoever holds a copy of it can no longer refresh. It returns
// the token's user.
func (s *Service) rotate(ctx context.Context, old, next []byte, now, expires time.Time) (catalog.ID, error) {
	lim := s.opts.Rotation
	var user catalog.ID
	var refused error // an answer that must wait for the revocation to commit
	err := s.accounts.InTx(ctx, func(ctx context.Context, tx postgres.AccountsTx) error {
		rt, f, err := tx.LockFamily(ctx, old)
		if err != nil {
			return err
		}
		if rt == nil {
			return ErrRefreshUnknown
		}
		if rt.UsedAt != nil || rt.RevokedAt != nil || f.RevokedAt != nil {
			refused = ErrRefreshReused
			if rt.UsedAt == nil {
				refused = ErrRefreshRevoked // by logout, or with its family
			}
			return tx.RevokeFamily(ctx, f.ID, now)
		}
		if !now.Before(rt.ExpiresAt) {
			return ErrRefreshExpired
		}
		ok, until, err := tx.Hit(ctx, fmt.Sprintf("refresh:%d", f.ID), lim.Max, lim.Window, now)
		if err != nil {
			return err
		}
		if !ok {
			return catalog.TooMany("refreshes of this sign-in", until, now)
		}
		if err := tx.SpendRefreshToken(ctx, rt, now); err != nil {
			return err
		}
		if err := tx.ExtendFamily(ctx, f, expires); err != nil {
			return err
		}
		// Spent tokens are kept only so that a replay of one signs the family out; past
		// SpentKept of them the oldest go, so that a family's rows stay bounded.
		if err := tx.DropSpentTokens(ctx, f.ID, lim.SpentKept); err != nil {
			return err
		}
		user = rt.UserID
		return tx.SaveRefreshToken(ctx, rt.UserID, f.ID, next, expires)
	})
	if err == nil && refused != nil {
		// The revocation is committed; only then is the caller told.
		return 0, refused
	}
	return user, err
}

// revoke revokes the family of the refresh token with this hash, spent or not: the
// sign-in it came from ends. It reports whether that sign-in was live.
func (s *Service) revoke(ctx context.Context, hash []byte, now time.Time) (bool, error) {
	var live bool
	err := s.accounts.InTx(ctx, func(ctx context.Context, tx postgres.AccountsTx) error {
		rt, f, err := tx.LockFamily(ctx, hash)
		if err != nil || rt == nil || f.RevokedAt != nil {
			return err
		}
		live = true
		return tx.RevokeFamily(ctx, f.ID, now)
	})
	return live, err
}
