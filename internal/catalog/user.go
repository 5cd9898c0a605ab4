package catalog

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// User is an account. Its email is unique whatever its case.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           ID        `bun:"id,pk,autoincrement"`
	Email        string    `bun:"email,notnull"`
	PasswordHash string    `bun:"password_hash,notnull"`
	CreatedAt    time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}

// Password lengths, in characters.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// Email checks and normalizes an email address as a user types it.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") || len(s) > 254 {
		return "", Errorf(BadUserInput, "That is not a valid email address.")
	}
	return s, nil
}

// CheckPassword refuses a password that is too short or too long for a new account.
func CheckPassword(p string) error {
	switch n := utf8.RuneCountInString(p); {
	case n < MinPasswordLength:
		return Errorf(BadUserInput, "A password must be at least %d characters long.", MinPasswordLength)
	case n > MaxPasswordLength:
		return Errorf(BadUserInput, "A password can be at most %d characters long.", MaxPasswordLength)
	}
	return nil
}

// ErrSignInRequired is the error of a change made without a valid access token.
var ErrSignInRequired = Errorf(Unauthenticated, "Sign in to make changes: send an access token as 'Authorization: Bearer <token>'.")

// CheckOwner is the one rule for changing a store and what is in it: only its owner may.
// A store without an owner can be changed by no one until it is given one.
func CheckOwner(user ID, owner *ID) error {
	if user == 0 {
		return ErrSignInRequired
	}
	if owner == nil || *owner != user {
		return Errorf(Forbidden, "Only the store's owner can change it, its items or its tags.")
	}
	return nil
}
