package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/catalog"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// tokensAt returns Tokens whose clock reads at.
func tokensAt(secret []byte, ttl time.Duration, at time.Time) *Tokens {
	t := NewTokens(secret, ttl)
	t.now = func() time.Time { return at }
	return t
}

func TestTokenVerifyToleratesClockSkew(t *testing.T) {
	t.Parallel()
	const ttl = 15 * time.Minute
	now := time.Now().Truncate(time.Second)
	verifier := tokensAt(testSecret, ttl, now)

	for _, tc := range []struct {
		name     string
		issuedAt time.Time // by the issuing server's clock
		want     error
	}{
		{"SameClock", now, nil},
		{"IssuerThreeSecondsAhead", now.Add(3 * time.Second), nil},
		{"ExpiredThreeSecondsAgo", now.Add(-ttl - 3*time.Second), nil},
		{"IssuerAMinuteAhead", now.Add(time.Minute), ErrTokenInvalid},
		{"ExpiredTenSecondsAgo", now.Add(-ttl - 10*time.Second), ErrTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, err := tokensAt(testSecret, ttl, tc.issuedAt).Issue(42)
			if err != nil {
				t.Fatal(err)
			}
			user, err := verifier.Verify(token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: error %v; want %v", err, tc.want)
			}
			if tc.want == nil && user != catalog.ID(42) {
				t.Errorf("Verify: user %d; want 42", user)
			}
		})
	}
}

func TestTokenVerifyRefusesOtherSecret(t *testing.T) {
	t.Parallel()
	now := time.Now()
	token, err := tokensAt([]byte(strings.Repeat("x", 32)), time.Minute, now).Issue(7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokensAt(testSecret, time.Minute, now).Verify(token); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("Verify of a token signed with another secret: %v; want ErrTokenInvalid", err)
	}
}

func TestAuthPasswordHash(t *testing.T) {
	t.Parallel()
	a := Argon2{Time: 1, Memory: 64, Threads: 1}
	const password = "a password of some length"
	hash, err := a.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, password) || !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q; want an argon2id PHC string without the password", hash)
	}
	if again, _ := a.Hash(password); again == hash {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{password, true}, {password + " ", false}, {"", false}} {
		if ok, err := Verify(tc.password, hash); err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
		}
	}
	if _, err := Verify(password, "$2a$10$notargon"); err == nil {
		t.Errorf("Verify against a non-argon2id hash: no error")
	}
}

func TestAuthClientAddrIsTheProxysEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		header string
		values []string
		want   string
	}{
		{"NoHeaderSetting", "", []string{"192.0.2.1"}, "203.0.113.9"},
		{"HeaderMissing", "X-Forwarded-For", nil, "203.0.113.9"},
		{"OneEntry", "X-Forwarded-For", []string{"198.51.100.4"}, "198.51.100.4"},
		{"ClientSpoofedEntriesFirst", "X-Forwarded-For", []string{"192.0.2.1, 192.0.2.2,198.51.100.4"}, "198.51.100.4"},
		{"ProxyAddsALine", "X-Forwarded-For", []string{"192.0.2.1", "198.51.100.4"}, "198.51.100.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = "203.0.113.9:51234"
			for _, v := range tc.values {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, tc.header); got != tc.want {
				t.Errorf("clientAddr = %q; want %q", got, tc.want)
			}
		})
	}
}

// Password hashes wait for a free turn, and a request whose deadline passes first gives up
// without hashing.
func TestHashingWaitsForATurn(t *testing.T) {
	t.Parallel()
	s := &Service{hashing: make(chan struct{}, 1)}
	s.hashing <- struct{}{} // every turn taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.withHashing(ctx, func() error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("with no turn free: err %v, ran %v; want context.Canceled without running", err, ran)
	}
	<-s.hashing
	if err := s.withHashing(context.Background(), func() error { ran = true; return nil }); err != nil || !ran {
		t.Errorf("with a turn free: err %v, ran %v; want it to run", err, ran)
	}
	if len(s.hashing) != 0 {
		t.Errorf("turns still taken after hashing: %d; want 0", len(s.hashing))
	}
}
