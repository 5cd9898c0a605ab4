// Package auth signs users up and in: argon2id password hashes, short-lived JWT access
// tokens, rotated refresh tokens with reuse detection, and a limit on failed logins kept in
// PostgreSQL so that every replica shares it.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/postgres"
)

// Options tune the service.
type Options struct {
	AccessTTL             time.Duration // lifetime of an access token
	RefreshTTL            time.Duration // lifetime of a refresh token
	MaxFailuresPerEmail   int           // failed logins for one email before it is refused for a while
	MaxFailuresPerAddress int           // failed logins from one client address before it is refused
	FailureWindow         time.Duration // how long failed logins count
	MaxPerRequest         int           // register, login and refreshToken fields in one request
	RegisterPerAddress    int           // registrations from one client address per window
	RegisterWindow        time.Duration // how long registrations count
	Rotation              RotationLimits
	Argon2                Argon2
}

// Service registers users and manages their sessions.
type Service struct {
	accounts *postgres.Accounts
	tokens   *Tokens
	opts     Options
	now      func() time.Time
	// A hash to verify against when the email is unknown, so that a login takes about
	// as long for an unknown email as for a wrong password.
	dummyHash string
	// hashing bounds the password hashes computed at once, one per core: each takes a core
	// and Argon2.Memory, so a burst of sign-ups or logins would otherwise take the
	// process's memory. A request waits for a turn until its deadline.
	hashing chan struct{}
}

// NewService returns a Service over accounts signing access tokens with tokens.
func NewService(accounts *postgres.Accounts, tokens *Tokens, opts Options) (*Service, error) {
	dummy, err := opts.Argon2.Hash("not the password of anyone")
	if err != nil {
		return nil, err
	}
	return &Service{accounts: accounts, tokens: tokens, opts: opts, now: time.Now, dummyHash: dummy,
		hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// withHashing runs f, which hashes a password, when a turn is free.
func (s *Service) withHashing(ctx context.Context, f func() error) error {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashing }()
	return f()
}

// Session is what a client gets on signing in: tokens and the user.
type Session struct {
	AccessToken  string
	RefreshToken string
	User         *catalog.User
}

// costly refuses a register, login or refreshToken field past MaxPerRequest in one
// request: aliases would otherwise run many password hashes (or rotations) for one request.
func (s *Service) costly(ctx context.Context) error {
	id, _ := ctx.Value(ctxKey{}).(identity)
	if id.costly == nil || s.opts.MaxPerRequest <= 0 { // not an HTTP request
		return nil
	}
	if int(id.costly.Add(1)) > s.opts.MaxPerRequest {
		return catalog.Errorf(catalog.TooManyRequests,
			"At most %d of register, login and refreshToken run per request: send the others in requests of their own.", s.opts.MaxPerRequest)
	}
	return nil
}

// Register creates an account and signs it in. Registrations from one client address are
// limited per window, since each costs a password hash.
func (s *Service) Register(ctx context.Context, email, password, clientAddr string) (*Session, error) {
	if err := s.costly(ctx); err != nil {
		return nil, err
	}
	email, err := catalog.Email(email)
	if err != nil {
		return nil, err
	}
	if err := catalog.CheckPassword(password); err != nil {
		return nil, err
	}
	if s.opts.RegisterPerAddress > 0 {
		now := s.now()
		ok, until, err := s.accounts.Hit(ctx, "register:"+addressKey(clientAddr), s.opts.RegisterPerAddress, s.opts.RegisterWindow, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, catalog.TooMany("sign-ups from your address", until, now)
		}
	}
	var hash string
	if err := s.withHashing(ctx, func() (err error) { hash, err = s.opts.Argon2.Hash(password); return err }); err != nil {
		return nil, err
	}
	u := &catalog.User{Email: email, PasswordHash: hash}
	if err := s.accounts.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return s.newSession(ctx, u)
}

// ErrBadCredentials is the one answer to an unknown email and to a wrong password.
var ErrBadCredentials = catalog.Errorf(catalog.Unauthenticated, "Wrong email or password.")

// Login signs a user in. Too many failures for the email or from the client address within
// the window refuse further tries until the window closes, whatever the password.
func (s *Service) Login(ctx context.Context, email, password, clientAddr string) (*Session, error) {
	if err := s.costly(ctx); err != nil {
		return nil, err
	}
	// An email no account can have is refused before any SQL: it could not be stored as a
	// key, and its shape is no secret.
	email, err := catalog.Email(email)
	if err != nil {
		return nil, err
	}
	emailKey := "email:" + strings.ToLower(email)
	addrKey := "addr:" + addressKey(clientAddr)
	keys := []string{emailKey, addrKey}
	limits := []int{s.opts.MaxFailuresPerEmail, s.opts.MaxFailuresPerAddress}
	if err := s.reserveLogin(ctx, keys, limits); err != nil {
		return nil, err
	}
	// A wrong password counts as a failure; a right one forgets the email's failures.
	var failed bool
	var clear string
	defer func() {
		// The attempt ends even when its request was cancelled; should this fail too, the
		// attempt is forgotten when its window closes.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.accounts.SettleLogin(ctx, keys, failed, clear)
	}()

	u, err := s.accounts.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	var ok bool
	if err := s.withHashing(ctx, func() (err error) { ok, err = Verify(password, hash); return err }); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if u == nil || !ok {
		failed = true
		return nil, ErrBadCredentials
	}
	clear = emailKey
	return s.newSession(ctx, u)
}

// loginWait bounds how long a login waits for the outcome of logins under way.
const loginWait = 5 * time.Second

// reserveLogin counts a login as under way for each key, or refuses it.
//
// A login counts as under way, apart from failures, while its password is checked. Its
// password is checked only while for every key failures plus logins under way stay below
// the limit, so guesses sent at once get no more checks than the limit allows. A login
// that finds no room waits for those under way to end instead of being refused: when
// they had the right password no failure was counted, and it goes on. Only failures
// refuse a login until the window closes.
func (s *Service) reserveLogin(ctx context.Context, keys []string, limits []int) error {
	giveUp := s.now().Add(loginWait)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		now := s.now()
		a, err := s.accounts.ReserveLogin(ctx, keys, limits, s.opts.FailureWindow, now)
		if err != nil {
			return err
		}
		for i := range keys {
			if a.Failures[i] >= limits[i] {
				return catalog.TooMany("failed logins", a.Ends[i], now)
			}
		}
		if a.Reserved {
			return nil
		}
		if now.Add(delay).After(giveUp) {
			return catalog.TooMany("logins under way", now.Add(time.Second), now)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Refresh spends a refresh token for a new access token and a new refresh token.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Session, error) {
	if err := s.costly(ctx); err != nil {
		return nil, err
	}
	next, nextHash, err := NewRefreshToken()
	if err != nil {
		return nil, err
	}
	now := s.now()
	userID, err := s.rotate(ctx, HashRefreshToken(refreshToken), nextHash, now, now.Add(s.opts.RefreshTTL))
	if err != nil {
		return nil, err
	}
	u, err := s.accounts.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, ErrRefreshUnknown
	}
	access, err := s.tokens.Issue(u.ID)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, RefreshToken: next, User: u}, nil
}

// Logout revokes a refresh token and the rest of its sign-in, even given a token already
// spent; it reports whether that sign-in was live.
func (s *Service) Logout(ctx context.Context, refreshToken string) (bool, error) {
	return s.revoke(ctx, HashRefreshToken(refreshToken), s.now())
}

// User returns the account with this id; nil when there is none.
func (s *Service) User(ctx context.Context, id catalog.ID) (*catalog.User, error) {
	return s.accounts.UserByID(ctx, id)
}

func (s *Service) newSession(ctx context.Context, u *catalog.User) (*Session, error) {
	access, err := s.tokens.Issue(u.ID)
	if err != nil {
		return nil, err
	}
	refresh, hash, err := NewRefreshToken()
	if err != nil {
		return nil, err
	}
	if _, err := s.accounts.SaveRefreshToken(ctx, u.ID, hash, s.now().Add(s.opts.RefreshTTL)); err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, RefreshToken: refresh, User: u}, nil
}

// addressKey is a client address as a counter's key: an IP address as such, anything else
// (a proxy's header may hold any text) as its hash, so that keys stay short.
func addressKey(addr string) string {
	if ip, err := netip.ParseAddr(addr); err == nil {
		return ip.String()
	}
	sum := sha256.Sum256([]byte(addr))
	return "sha256:" + hex.EncodeToString(sum[:])
}
