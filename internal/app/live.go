package app

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/httpserver"
	"github.com/storegraph/storegraph/internal/live"
)

// useStreams serves subscriptions over WebSockets (graphql-transport-ws, and the older
// graphql-ws for clients that still speak it) and Server-Sent Events (graphql-sse's
// distinct connections mode). The event stream is tried before POST, which would take
// the same request.
func useStreams(gql *handler.Server, cfg config.Config, tokens *auth.Tokens, sockets *sockets) {
	limit := int64(cfg.WSMaxMessageBytes)
	gql.AddTransport(transport.Websocket{
		Implementation: sockets,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			ctx = auth.WithAuthorization(ctx, tokens, p.Authorization())
			return live.WithConnection(httpserver.OverSocket(ctx), cfg.SubscriptionsPerConn), nil, nil
		},
		InitTimeout:           cfg.WSInitTimeout,
		KeepAlivePingInterval: cfg.WSPingInterval, // graphql-ws
		PingPongInterval:      cfg.WSPingInterval, // graphql-transport-ws: a client that stops answering is dropped
		PayloadReadLimit:      &limit,
	})
	gql.AddTransport(transport.SSE{KeepAlivePingInterval: cfg.WSPingInterval})
}

// sockets accepts WebSockets and keeps them, so that shutdown can close them with 1001
// (going away): http.Server.Shutdown does not know connections taken over from it.
type sockets struct {
	accept transport.CoderWebsocketImplementation

	mu      sync.Mutex
	open    map[*socket]struct{}
	closing bool
}

func newSockets(allowed []string) *sockets {
	return &sockets{
		accept: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			// httpserver.CheckOrigin has refused other origins with a coded error; this is
			// the same rule, kept in case a route skips it.
			OriginPatterns: httpserver.OriginPatterns(allowed),
		}},
		open: make(map[*socket]struct{}),
	}
}

// Accept implements transport.WebsocketImplementation.
func (s *sockets) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := s.accept.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	sc := &socket{conn: c, owner: s}
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.open[sc] = struct{}{}
	}
	s.mu.Unlock()
	// The transport returns without closing a socket on some errors (a connection_init
	// whose payload is no object); the request's end closes it, and gives back its slot.
	context.AfterFunc(r.Context(), func() { _ = sc.Close() })
	if closing {
		_ = sc.WriteClose(transport.WebsocketCloseNormalClosure, "")
	}
	return sc, nil
}

// closeAll closes every socket with 1001, and every one accepted from now on.
func (s *sockets) closeAll() {
	s.mu.Lock()
	s.closing = true
	open := make([]*socket, 0, len(s.open))
	for c := range s.open {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		_ = c.WriteClose(transport.WebsocketCloseNormalClosure, "")
	}
}

// socket is an accepted WebSocket that closes with 1001 while the server shuts down.
type socket struct {
	conn  transport.WebsocketConn
	owner *sockets
}

var (
	_ transport.WebsocketReadLimiter   = (*socket)(nil)
	_ transport.WebsocketReadDeadliner = (*socket)(nil)
)

func (c *socket) Close() error {
	c.owner.mu.Lock()
	delete(c.owner.open, c)
	c.owner.mu.Unlock()
	return c.conn.Close()
}

func (c *socket) NextReader() (int, io.Reader, error) { return c.conn.NextReader() }
func (c *socket) WriteJSON(v any) error               { return c.conn.WriteJSON(v) }
func (c *socket) Subprotocol() string                 { return c.conn.Subprotocol() }

func (c *socket) WriteClose(code int, msg string) error {
	c.owner.mu.Lock()
	closing := c.owner.closing
	c.owner.mu.Unlock()
	if closing && code == transport.WebsocketCloseNormalClosure {
		code, msg = int(websocket.StatusGoingAway), "the server is shutting down"
	}
	return c.conn.WriteClose(code, msg)
}

func (c *socket) SetReadLimit(limit int64) {
	if l, ok := c.conn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *socket) SetReadDeadline(t time.Time) error {
	if d, ok := c.conn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
