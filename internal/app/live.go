package app

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
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
func useStreams(gql *handler.Server, cfg config.Config, tokens *auth.Tokens, sockets *sockets, log *slog.Logger) {
	limit := int64(cfg.WSMaxMessageBytes)
	gql.AddTransport(detached{log: log, Websocket: transport.Websocket{
		Implementation: sockets,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			ctx = auth.WithAuthorization(ctx, tokens, p.Authorization())
			return live.WithConnection(httpserver.OverSocket(ctx), cfg.SubscriptionsPerConn), nil, nil
		},
		InitTimeout:      cfg.WSInitTimeout,
		PayloadReadLimit: &limit,
		// No keep-alive intervals: the transport would run a goroutine and a ticker for
		// each socket; sockets.pingAll pings them all from one. Without them the transport
		// sets no read deadline, so a socket keeps none.
	}})
	gql.AddTransport(transport.SSE{KeepAlivePingInterval: cfg.WSPingInterval})
}

// detached serves each WebSocket with gqlgen's transport on a goroutine of its own, and
// lets the request's goroutine end once the connection is taken over. That goroutine's
// stack grew deep through the middleware, and net/http's connection and buffers hang on
// it: kept for as long as the socket is open, they would be most of what an idle socket
// costs.
type detached struct {
	transport.Websocket
	log *slog.Logger
}

type takenOverKey struct{}

func (t detached) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	taken, done := make(chan struct{}), make(chan struct{})
	// The request's context ends with its handler; the socket's, when it closes.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	r = r.WithContext(context.WithValue(ctx, takenOverKey{}, taken))
	go func() {
		defer close(done)
		defer cancel()
		defer func() {
			if v := recover(); v != nil {
				t.log.ErrorContext(ctx, "panic serving a WebSocket", "panic", v, "stack", string(debug.Stack()))
			}
		}()
		t.Websocket.Do(w, r, exec)
	}()
	select {
	case <-taken:
	case <-done: // refused, or no WebSocket
	}
}

// sockets accepts WebSockets and keeps them, so that shutdown can close them with 1001
// (going away): http.Server.Shutdown does not know connections taken over from it.
type sockets struct {
	origins []string
	every   time.Duration // between keep-alive pings

	mu      sync.Mutex
	open    map[*socket]struct{}
	closing bool
	pinging chan struct{} // closed to stop pingAll; nil while no socket is open
}

func newSockets(allowed []string, ping time.Duration) *sockets {
	return &sockets{
		// httpserver.CheckOrigin has refused other origins with a coded error; this is
		// the same rule, kept in case a route skips it.
		origins: httpserver.OriginPatterns(allowed),
		every:   ping,
		open:    make(map[*socket]struct{}),
	}
}

// pingAll sends every open socket a keep-alive ping each interval, until stop is closed.
func (s *sockets) pingAll(stop <-chan struct{}) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		for _, c := range s.list() {
			go c.ping(s.every) // a client that does not read must not hold up the others
		}
	}
}

// list returns the open sockets.
func (s *sockets) list() []*socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.open))
}

// Accept implements transport.WebsocketImplementation.
func (s *sockets) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	for k, vs := range o.ResponseHeader {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	c, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{Subprotocols: o.Subprotocols, OriginPatterns: s.origins})
	if err != nil {
		return nil, err
	}
	sc := &socket{conn: c, owner: s}
	sc.heard.Store(true)
	if taken, ok := r.Context().Value(takenOverKey{}).(chan struct{}); ok {
		close(taken)
	}
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.open[sc] = struct{}{}
		if s.pinging == nil {
			s.pinging = make(chan struct{})
			go s.pingAll(s.pinging)
		}
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

// socketBuffer is the size of a socket's read and write buffers. The socket holds them
// for as long as it is open, mostly idle: net/http's, 4 KB each, would be a large part of
// an idle subscription's cost. A message larger than a buffer goes past it, in more
// system calls.
const socketBuffer = 1024

// smallBuffers hands the WebSocket library the connection it takes over with buffers of
// socketBuffer bytes in place of net/http's.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// What the client sent after its upgrade request, already read, stays buffered.
	early := brw.Reader.Buffered()
	b, _ := brw.Reader.Peek(early)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn), max(socketBuffer, early))
	if early > 0 {
		if _, err := r.Peek(early); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, socketBuffer)), nil
}

func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// closeAll closes every socket with 1001, and every one accepted from now on.
func (s *sockets) closeAll() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	for _, c := range s.list() {
		_ = c.WriteClose(transport.WebsocketCloseNormalClosure, "")
	}
}

// socket is an accepted WebSocket that closes with 1001 while the server shuts down.
type socket struct {
	conn  *websocket.Conn
	owner *sockets

	heard  atomic.Bool  // whether the client sent anything since the last ping
	missed atomic.Int32 // pings in a row since which the client sent nothing

	mu        sync.Mutex
	closing   bool // whether WriteClose has started the close handshake
	closeOnce sync.Once
}

// ping sends a keep-alive ping: graphql-transport-ws's ping, which the client answers
// with a pong, or graphql-ws's ka. A graphql-transport-ws client that sent nothing, not
// even a pong, since the ping before the last one has not answered for twice the interval,
// and is dropped; so is one that takes longer than an interval to take a ping.
func (c *socket) ping(every time.Duration) {
	msg := `{"type":"ka"}`
	if c.conn.Subprotocol() == transportWS {
		if c.heard.Swap(false) {
			c.missed.Store(0)
		} else if c.missed.Add(1) >= 2 {
			_ = c.conn.CloseNow()
			return
		}
		msg = `{"type":"ping"}`
	}
	ctx, cancel := context.WithTimeout(context.Background(), every)
	defer cancel()
	_ = c.conn.Write(ctx, websocket.MessageText, []byte(msg))
}

const transportWS = "graphql-transport-ws"

var (
	_ transport.WebsocketConn        = (*socket)(nil)
	_ transport.WebsocketReadLimiter = (*socket)(nil)
)

func (c *socket) Close() error {
	c.closeOnce.Do(func() {
		s := c.owner
		s.mu.Lock()
		delete(s.open, c)
		if len(s.open) == 0 && s.pinging != nil {
			close(s.pinging)
			s.pinging = nil
		}
		s.mu.Unlock()
	})
	c.mu.Lock()
	handshake := c.closing
	c.mu.Unlock()
	if handshake {
		return nil // WriteClose's handshake closes the connection when it is over
	}
	return c.conn.CloseNow()
}

func (c *socket) NextReader() (int, io.Reader, error) {
	typ, data, err := c.conn.Read(context.Background())
	c.heard.Store(true)
	if err != nil {
		switch websocket.CloseStatus(err) {
		case websocket.StatusNormalClosure, websocket.StatusNoStatusRcvd:
			return int(typ), nil, transport.ErrWebsocketClosed
		}
		return int(typ), nil, err
	}
	return int(typ), bytes.NewReader(data), nil
}

func (c *socket) WriteJSON(v any) error {
	b, err := encodeMessage(v)
	if err != nil {
		return err
	}
	return c.conn.Write(context.Background(), websocket.MessageText, b)
}

func (c *socket) Subprotocol() string { return c.conn.Subprotocol() }

// WriteClose starts the close handshake, which waits up to 5 s for the client's answer,
// in the background, so that the transport's end does not wait for a client that has
// gone.
func (c *socket) WriteClose(code int, msg string) error {
	c.owner.mu.Lock()
	closing := c.owner.closing
	c.owner.mu.Unlock()
	if closing && code == transport.WebsocketCloseNormalClosure {
		code, msg = int(websocket.StatusGoingAway), "the server is shutting down"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	c.closing = true
	go func() { _ = c.conn.Close(websocket.StatusCode(code), msg) }()
	return nil
}

func (c *socket) SetReadLimit(limit int64) { c.conn.SetReadLimit(limit) }
