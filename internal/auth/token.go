package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/storegraph/storegraph/internal/catalog"
)

// The issuer and audience every access token carries and every check demands.
const (
	Issuer   = "storegraph"
	Audience = "storegraph-api"
)

// clockSkew is how far apart the clocks of the servers that make and check a token may be.
const clockSkew = 5 * time.Second

// Tokens issues and checks access tokens: JWTs signed with HS256.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens returns Tokens signing with secret; tokens live for ttl.
func NewTokens(secret []byte, ttl time.Duration) *Tokens {
	return &Tokens{secret: secret, ttl: ttl, now: time.Now}
}

// Issue returns an access token for the user.
func (t *Tokens) Issue(user catalog.ID) (string, error) {
	now := t.now()
	claims := jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   user.String(),
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// Errors a client sees for an access token that does not pass.
var (
	ErrTokenExpired = catalog.Errorf(catalog.Unauthenticated, "Your access token has expired: get a new one with refreshToken.")
	ErrTokenInvalid = catalog.Errorf(catalog.Unauthenticated, "That access token is not valid.")
)

// Verify checks an access token's signature, algorithm, issuer, audience and lifetime, and
// returns its user.
func (t *Tokens) Verify(token string) (catalog.ID, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(t.now),
	)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return 0, ErrTokenExpired
	}
	if err != nil {
		return 0, ErrTokenInvalid
	}
	id, perr := strconv.ParseInt(claims.Subject, 10, 64)
	if perr != nil || id <= 0 {
		return 0, ErrTokenInvalid
	}
	return catalog.ID(id), nil
}

// NewRefreshToken returns a random refresh token and the hash that is stored in its place.
func NewRefreshToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken returns the stored form of a refresh token.
func HashRefreshToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
