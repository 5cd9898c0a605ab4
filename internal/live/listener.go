package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Feed is where a listener hands what it receives.
type Feed interface {
	Publish(Change)
	ResyncAll() // after the feed was lost: changes may have been missed
}

// Listener keeps one connection of its own, outside the pool, LISTENing on Channel, and
// hands each change to its feed in commit order. It connects when first started, so a
// process that serves no subscription holds no connection for it. When the connection
// drops it reconnects, waiting longer after each failure, and then tells every subscriber
// to resync.
type Listener struct {
	cfg  *pgx.ConnConfig
	feed Feed
	log  *slog.Logger

	mu      sync.Mutex
	running bool
	closed  bool
	ctx     context.Context // of the listening goroutine, ended by Close
	cancel  context.CancelFunc
	done    chan struct{}
}

// Backoff between reconnection attempts, and how often a silent connection is checked.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	checkEvery = 30 * time.Second
	checkLimit = 5 * time.Second
)

// NewListener returns a listener for the database at url (a libpq-style URL) that hands
// what it receives to feed once started.
func NewListener(url string, feed Feed, log *slog.Logger) (*Listener, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_LISTEN_URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Listener{cfg: cfg, feed: feed, log: log, ctx: ctx, cancel: cancel, done: make(chan struct{})}, nil
}

// Start connects and starts listening, unless it already has; it fails when that first
// connection does, so that no subscription is taken before its feed runs.
func (l *Listener) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return ErrShuttingDown
	case l.running:
		return nil
	}
	conn, err := l.connect(ctx)
	if err != nil {
		return err
	}
	l.running = true
	go l.run(l.ctx, conn)
	return nil
}

// Close stops listening and closes the connection.
func (l *Listener) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.cancel()
	if l.running {
		<-l.done
	}
}

func (l *Listener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, fmt.Errorf("live: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("live: listen: %w", err)
	}
	return conn, nil
}

func (l *Listener) run(ctx context.Context, conn *pgx.Conn) {
	defer close(l.done)
	for {
		err := l.receive(ctx, conn)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("lost the database feed of live updates; reconnecting", "err", err)
		if conn = l.reconnect(ctx); conn == nil {
			return
		}
		l.feed.ResyncAll()
		l.log.Info("database feed of live updates restored; subscribers told to resync")
	}
}

// reconnect tries until it has a listening connection, or ctx ends (nil).
func (l *Listener) reconnect(ctx context.Context) *pgx.Conn {
	wait := minBackoff
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		conn, err := l.connect(ctx)
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		l.log.Debug("live updates: reconnecting", "err", err, "retry_in", wait)
		wait = min(2*wait, maxBackoff)
	}
}

// receive hands notifications to the feed until the connection fails or ctx ends. A
// connection quiet for checkEvery is pinged, so that one whose peer vanished is noticed.
func (l *Listener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, checkEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			c, perr := Parse(n.Payload)
			if perr != nil {
				l.log.Warn("live updates: ignored a notification", "err", perr)
				continue
			}
			l.feed.Publish(c)
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded):
			pctx, cancel := context.WithTimeout(ctx, checkLimit)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}
