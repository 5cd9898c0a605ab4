package httpserver

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

type connKey struct{}

// RememberConn is an http.Server's ConnContext: it keeps each request's connection in its
// context, so that a stream can set the connection's TCP options.
func RememberConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// dropUnacknowledged has the kernel drop the connection of stream r once what was sent on
// it stays unacknowledged for d, and returns what undoes that. A client that vanished without
// closing its stream (no FIN) acknowledges nothing, but takes every write into its TCP
// window for a long time before one would wait on the write deadline: the keep-alives of
// event streams and of the older graphql-ws protocol expect no answer, and TCP's own
// retries take about 15 minutes to give up.
func dropUnacknowledged(r *http.Request, d time.Duration) (undo func()) {
	conn, ok := r.Context().Value(connKey{}).(net.Conn)
	if !ok {
		return func() {}
	}
	setUserTimeout(conn, d)
	return func() { setUserTimeout(conn, 0) }
}

// writeChunk is the most a stream's write sends under one deadline: a client that takes
// what it is sent, however slowly, is not dropped for the size of a message.
const writeChunk = 32 << 10

// streamWriter is a stream's ResponseWriter. It bounds each write, since a stream's
// request has no deadline of its own: a client that stops reading fills its TCP window,
// and a write to it would wait forever, holding the stream's goroutines and buffers and
// its deliveries. Past the timeout the write fails and the stream is dropped: an event
// stream's request context ends, a WebSocket's connection closes under it (see Hijack).
//
// It also refuses writes once its request has ended: gqlgen's event stream pings from a
// goroutine of its own, which can fall due as the stream ends, and net/http's writer
// crashes the process when used after its handler has returned.
type streamWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration

	mu       sync.Mutex // held by a write, so that end waits for it
	ended    bool
	hijacked bool
}

// errStreamEnded is what a write to a stream whose request has ended returns.
var errStreamEnded = errors.New("the stream has ended")

func newStreamWriter(w http.ResponseWriter, timeout time.Duration) *streamWriter {
	return &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
}

func (w *streamWriter) renew() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) }

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return 0, errStreamEnded
	}
	return writeInChunks(p, w.renew, w.ResponseWriter.Write)
}

// Flush sends what was written so far; event streams need it.
func (w *streamWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return
	}
	w.renew()
	_ = w.rc.Flush()
}

// end is called as the stream's handler returns; no write reaches the response after it.
// It reports whether the connection was taken over.
func (w *streamWriter) end() (hijacked bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ended = true
	return w.hijacked
}

func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the WebSocket library a connection whose writes are bounded the same way:
// it writes through the returned bufio.Writer, so that is turned to the bounded connection
// (net/http hands it over with nothing buffered).
func (w *streamWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	conn, brw, err := w.rc.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	bc := &boundedConn{Conn: conn, timeout: w.timeout}
	brw.Writer.Reset(bc)
	return bc, brw, nil
}

// boundedConn is a hijacked stream's connection whose every write has a deadline, and
// which closes once a write fails, so that its reader stops too and the stream ends.
type boundedConn struct {
	net.Conn
	timeout time.Duration
}

func (c *boundedConn) Write(p []byte) (int, error) {
	n, err := writeInChunks(p, func() { _ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)) }, c.Conn.Write)
	if err != nil {
		_ = c.Conn.Close()
	}
	return n, err
}

// writeInChunks writes p through write, renewing the deadline before each writeChunk bytes.
func writeInChunks(p []byte, renew func(), write func([]byte) (int, error)) (int, error) {
	var sent int
	for {
		chunk := p[sent:min(len(p), sent+writeChunk)]
		renew()
		n, err := write(chunk)
		sent += n
		if err != nil || sent == len(p) {
			return sent, err
		}
	}
}
