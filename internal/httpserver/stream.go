package httpserver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A subscription is served over a WebSocket (graphql-transport-ws) or as Server-Sent
// Events (graphql-sse): requests that last as long as their client wants.

// IsUpgrade reports whether r asks to become a WebSocket.
func IsUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// IsEventStream reports whether r asks for its answer as Server-Sent Events.
func IsEventStream(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// isStream reports whether r is a WebSocket or an event stream.
func isStream(r *http.Request) bool { return IsUpgrade(r) || IsEventStream(r) }

// keepOpen lifts the HTTP server's read and write timeouts from a stream, which would
// otherwise cut it; keep-alive pings find a client that went away, and each write gets a
// deadline of its own.
func keepOpen(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// CheckOrigin refuses a WebSocket upgrade that a page of another origin than the allowed
// ones asks for: the browser would send the user's cookies with it and let that page read
// the socket (cross-site WebSocket hijacking). A request without an Origin header (not a
// browser) and a same-origin page (the playground) are let through.
func CheckOrigin(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsUpgrade(r) && !OriginAllowed(r, allowed) {
			writeError(w, r, http.StatusForbidden, CodeBadRequest,
				"WebSockets from this page's origin are not allowed; ask for it to be added to CORS_ALLOWED_ORIGINS.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// OriginAllowed reports whether r's Origin is absent, r's own host, or one of allowed.
func OriginAllowed(r *http.Request, allowed []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(OriginPatterns(allowed), func(p string) bool {
		ok, _ := path.Match(p, strings.ToLower(origin))
		return ok
	})
}

// OriginPatterns are the allowed origins as patterns matched against a whole origin, the
// way CORS and the WebSocket library read them: lower case, without a trailing slash, a *
// standing for any part of a host name (http://*.example.com).
func OriginPatterns(allowed []string) []string {
	out := make([]string, len(allowed))
	for i, a := range allowed {
		out[i] = strings.ToLower(strings.TrimSuffix(a, "/"))
	}
	return out
}

// LimitSockets refuses a WebSocket upgrade with TOO_MANY_REQUESTS while max sockets are
// open: each costs memory, subscriptions or not. The count is taken before the upgrade, so
// that upgrades arriving at once cannot pass it, and given back when the socket closes.
func LimitSockets(max int, next http.Handler) http.Handler {
	var open atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		if open.Add(1) > int64(max) {
			open.Add(-1)
			writeError(w, r, http.StatusTooManyRequests, "TOO_MANY_REQUESTS",
				"This server has as many WebSockets open as it may hold; try again later or another server.")
			return
		}
		serveStream(w, r, next, sync.OnceFunc(func() { open.Add(-1) }))
	})
}

// LimitStreamsPerClient refuses, with 429 and TOO_MANY_REQUESTS before the upgrade or the
// stream starts, a WebSocket or an event stream from a client that has max of them open,
// so that one client cannot take every socket and subscription of the process. client
// names a request's client the way the other per-client limits do. The slot is given back
// when the stream ends, however it ends: with its request, or, for a socket, when its
// connection closes, which may be after the request's handler has returned.
func LimitStreamsPerClient(max int, client func(*http.Request) string, next http.Handler) http.Handler {
	var (
		mu   sync.Mutex
		open = map[string]int{}
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		key := client(r)
		mu.Lock()
		if open[key] >= max {
			mu.Unlock()
			writeError(w, r, http.StatusTooManyRequests, "TOO_MANY_REQUESTS",
				fmt.Sprintf("Your address has %d WebSockets and event streams open, the most it may; close one before opening another.", max))
			return
		}
		open[key]++
		mu.Unlock()
		serveStream(w, r, next, sync.OnceFunc(func() {
			mu.Lock()
			if open[key]--; open[key] == 0 {
				delete(open, key)
			}
			mu.Unlock()
		}))
	})
}

// serveStream serves a stream with next and calls ended once the stream is over: when its
// request ends, or, for a socket taken over from net/http, when its connection closes,
// which may be after the request's handler has returned.
func serveStream(w http.ResponseWriter, r *http.Request, next http.Handler, ended func()) {
	if !IsUpgrade(r) {
		defer ended()
		next.ServeHTTP(w, r)
		return
	}
	sw := &slotWriter{ResponseWriter: w, release: ended}
	defer sw.requestEnded()
	next.ServeHTTP(sw, r)
}

// slotWriter gives a socket's slot back when the connection it took over closes, or when
// its request ends without taking one over.
type slotWriter struct {
	http.ResponseWriter
	release  func()
	mu       sync.Mutex
	hijacked bool
}

func (w *slotWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	return &slotConn{Conn: conn, release: w.release}, brw, nil
}

func (w *slotWriter) requestEnded() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.hijacked {
		w.release()
	}
}

func (w *slotWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// slotConn is a socket's connection, which gives the socket's slot back as it closes.
type slotConn struct {
	net.Conn
	release func()
}

func (c *slotConn) Close() error {
	c.release()
	return c.Conn.Close()
}

type (
	streamKey     struct{}
	overSocketKey struct{}
)

// OverSocket marks ctx as that of a WebSocket connection, for TransportRules.
func OverSocket(ctx context.Context) context.Context {
	return context.WithValue(ctx, overSocketKey{}, true)
}

// TransportRules is the gqlgen extension that refuses an operation sent the wrong way: a
// mutation over a WebSocket, since a mutation is POSTed, where the CSRF check and the
// Authorization header apply; and a subscription over plain GET or POST, which could
// deliver one change at most.
type TransportRules struct{}

var (
	_ graphql.HandlerExtension        = TransportRules{}
	_ graphql.OperationContextMutator = TransportRules{}
)

// ExtensionName implements graphql.HandlerExtension.
func (TransportRules) ExtensionName() string { return "TransportRules" }

// Validate implements graphql.HandlerExtension.
func (TransportRules) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (TransportRules) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	refuse := func(msg string) *gqlerror.Error {
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadRequest}}
	}
	overSocket, _ := ctx.Value(overSocketKey{}).(bool)
	stream, _ := ctx.Value(streamKey{}).(bool)
	switch {
	case overSocket && rc.Operation.Operation == ast.Mutation:
		return refuse("Mutations cannot be sent over a WebSocket; send them with POST.")
	case !stream && rc.Operation.Operation == ast.Subscription:
		return refuse("Subscriptions are served over a WebSocket (graphql-transport-ws) or as Server-Sent Events (Accept: text/event-stream).")
	}
	return nil
}
