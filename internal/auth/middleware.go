package auth

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/storegraph/storegraph/internal/catalog"
)

type ctxKey struct{}

// identity is what the request's Authorization header says about its sender.
type identity struct {
	user catalog.ID
	err  error // why a token that was sent does not count
	addr string
	// costly counts the register, login and refreshToken fields the request has run.
	costly *atomic.Int32
}

// Middleware reads the access token of every request into its context: the user, or why
// the token does not count. Reading stays public, so a request without a token goes on;
// the mutations ask UserID. addrHeader, when set, names the header a trusted proxy puts
// the client's address in (e.g. X-Forwarded-For; the proxy appends it, so the last entry
// counts, and whatever the client sent before it does not); otherwise the peer's address is
// used.
func Middleware(tokens *Tokens, addrHeader string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := identity{addr: clientAddr(r, addrHeader), costly: new(atomic.Int32)}
		id.read(tokens, r.Header.Get("Authorization"))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// read sets the user of an Authorization value, or why it does not count; "" is no one.
func (id *identity) read(tokens *Tokens, authorization string) {
	id.user, id.err = 0, nil
	if authorization == "" {
		return
	}
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		id.err = ErrTokenInvalid
		return
	}
	id.user, id.err = tokens.Verify(strings.TrimSpace(token))
}

// WithAuthorization returns ctx, which went through Middleware, signed in with an
// Authorization value sent another way than as a header (a WebSocket's connection_init);
// "" keeps what the header said.
func WithAuthorization(ctx context.Context, tokens *Tokens, authorization string) context.Context {
	if authorization == "" {
		return ctx
	}
	id, _ := ctx.Value(ctxKey{}).(identity)
	id.read(tokens, authorization)
	return context.WithValue(ctx, ctxKey{}, id)
}

func clientAddr(r *http.Request, header string) string {
	if header != "" {
		// The proxy appends to the header, or adds a line of its own: its entry is last.
		if vs := r.Header.Values(header); len(vs) > 0 {
			v := vs[len(vs)-1]
			return strings.TrimSpace(v[strings.LastIndexByte(v, ',')+1:])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// UserID returns the signed-in user, or UNAUTHENTICATED saying why there is none.
func UserID(ctx context.Context) (catalog.ID, error) {
	id, _ := ctx.Value(ctxKey{}).(identity)
	switch {
	case id.err != nil:
		return 0, id.err
	case id.user == 0:
		return 0, catalog.ErrSignInRequired
	}
	return id.user, nil
}

// ClientAddr returns the address the request came from.
func ClientAddr(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(identity)
	return id.addr
}
