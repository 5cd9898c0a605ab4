// Package replica sends reads to streaming replicas of the primary PostgreSQL, in turn, and
// to the primary when none can serve them: a replica that fails, lags too far behind, or has
// not yet replayed the writes a client says it has seen is passed over, and a read it fails
// runs again elsewhere.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/database"
)

// Header carries a WAL position both ways: a mutation's response gives the position of its
// commit, and a request that sends a position back is read from a replica only once the
// replica has replayed that far.
const Header = "Storegraph-Lsn"

// CheckEvery is how often the primary's position and each replica's health and replay
// position are read; a read a replica fails also starts a check at once.
const CheckEvery = 250 * time.Millisecond

// checkTimeout bounds one check of one server.
const checkTimeout = 2 * time.Second

// Server is a replica and the name the log gives it.
type Server struct {
	Name string // the host and database, without credentials
	DB   *bun.DB
}

// Set is the primary and its replicas.
type Set struct {
	primary  *bun.DB
	replicas []*member
	maxLag   time.Duration
	log      *slog.Logger
	next     atomic.Uint64 // round robin

	mu      sync.Mutex
	samples []sample // the primary's positions, oldest first, over the last maxLag

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

type member struct {
	Server
	usable   atomic.Bool
	replayed atomic.Uint64 // LSN replayed, as last read
	why      string        // why it is not usable, for the log; only the checker touches it
}

type sample struct {
	at  time.Time
	lsn LSN
}

// New returns the set, having checked every replica once, and keeps checking them until
// Close. A replica past maxLag behind the primary serves no reads.
func New(ctx context.Context, primary *bun.DB, replicas []Server, maxLag time.Duration, log *slog.Logger) *Set {
	s := &Set{
		primary: primary, maxLag: maxLag, log: log,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, r := range replicas {
		s.replicas = append(s.replicas, &member{Server: r, why: "not checked yet"})
	}
	s.check(ctx)
	go s.run()
	return s
}

// Close stops the checks.
func (s *Set) Close() {
	close(s.stop)
	<-s.done
}

// HasReplicas reports whether there are replicas to read from.
func (s *Set) HasReplicas() bool { return s != nil && len(s.replicas) > 0 }

type primaryKey struct{}

// OnPrimary returns ctx whose reads go to the primary: a mutation's, which must see what
// it wrote and what it locked.
func OnPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

// request is what a request's reads share: the position they must see, and the replica
// they read from, so that all of them see the same moment.
type request struct {
	after  LSN
	pinned atomic.Pointer[member]
	header http.Header // the response's
}

type requestKey struct{}

// WithRequest returns ctx for a request that has seen the writes up to after (0 for none)
// and whose response headers are header.
func WithRequest(ctx context.Context, after LSN, header http.Header) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{after: after, header: header})
}

// Read runs read on a server that may serve ctx's reads: the replica the request reads
// from, else the next replica in turn that is usable and has replayed the request's
// position, else the primary. When a replica fails it (it is down, gone, or cancelled the
// statement to replay), read runs again on the next one or the primary, so a client never
// sees a replica's failure. read must start afresh each time it is called.
func (s *Set) Read(ctx context.Context, read func(db *bun.DB) error) error {
	if !s.HasReplicas() || ctx.Value(primaryKey{}) != nil {
		return read(s.primary)
	}
	req, _ := ctx.Value(requestKey{}).(*request)
	var tried []*member
	for {
		m := s.pick(req, tried)
		if m == nil {
			return read(s.primary)
		}
		err := read(m.DB)
		if err == nil || !s.failedOver(ctx, m, err) {
			return err
		}
		tried = append(tried, m)
	}
}

// onPrimary pins a request to the primary.
var onPrimary = &member{}

// pick chooses the server for a read: nil for the primary. A request keeps to the server
// its first read chose, while that one may serve it, so that its reads see one moment.
func (s *Set) pick(req *request, tried []*member) *member {
	if req == nil {
		return s.choose(0, tried)
	}
	for {
		pinned := req.pinned.Load()
		if pinned == onPrimary {
			return nil
		}
		if pinned != nil && s.serves(pinned, req.after, tried) {
			return pinned
		}
		m, pin := s.choose(req.after, tried), onPrimary
		if m != nil {
			pin = m
		}
		if req.pinned.CompareAndSwap(pinned, pin) {
			return m
		}
	}
}

// choose returns the next replica in turn that may serve a read needing position after,
// nil when none may.
func (s *Set) choose(after LSN, tried []*member) *member {
	start := s.next.Add(1)
	for i := range uint64(len(s.replicas)) {
		if m := s.replicas[(start+i)%uint64(len(s.replicas))]; s.serves(m, after, tried) {
			return m
		}
	}
	return nil
}

func (s *Set) serves(m *member, after LSN, tried []*member) bool {
	for _, t := range tried {
		if t == m {
			return false
		}
	}
	return m.usable.Load() && LSN(m.replayed.Load()) >= after
}

// failedOver reports whether a replica's error is the replica's fault, so that the read
// should run elsewhere; a replica that cannot be reached is taken out until a check finds
// it back.
func (s *Set) failedOver(ctx context.Context, m *member, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var pgErr *pgconn.PgError
	errors.As(err, &pgErr)
	switch {
	case database.Unavailable(err),
		// The database is not there (yet), or the replica has no connection to spare.
		pgErr != nil && (pgErr.Code == "3D000" || pgErr.Code == "57P04" || strings.HasPrefix(pgErr.Code, "53")):
		if m.usable.CompareAndSwap(true, false) {
			s.log.WarnContext(ctx, "replica failed a read; reading elsewhere until it recovers", "replica", m.Name, "err", err)
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
		return true
	case pgErr != nil && pgErr.Code == "40001":
		// Cancelled to let replay go on ("conflict with recovery"): the replica is fine.
		return true
	}
	return false
}

// Position returns the primary's current WAL position. Read after a transaction committed,
// it is at or past the end of its commit record, so a replica that has replayed that far
// shows the transaction; read inside the transaction, it would come before the commit.
func (s *Set) Position(ctx context.Context) (LSN, error) {
	var text string
	if err := s.primary.QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&text); err != nil {
		return 0, fmt.Errorf("read the WAL position: %w", err)
	}
	return ParseLSN(text)
}

// Respond hands lsn to the client as the position its writes reached, in the response header.
func Respond(ctx context.Context, lsn LSN) {
	if req, ok := ctx.Value(requestKey{}).(*request); ok && req.header != nil {
		req.header.Set(Header, lsn.String())
	}
}

func (s *Set) run() {
	defer close(s.done)
	t := time.NewTicker(CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.wake:
		}
		s.check(context.Background())
	}
}

// check reads the primary's position, then each replica's, and decides which replicas
// are usable. The statements go around Bun, so they count as no request's statements.
func (s *Set) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var text string
	if err := s.primary.DB.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&text); err == nil {
		if lsn, err := ParseLSN(text); err == nil {
			s.sample(time.Now(), lsn)
		}
	}
	var wg sync.WaitGroup
	for _, m := range s.replicas {
		wg.Go(func() { s.checkReplica(ctx, m) })
	}
	wg.Wait()
}

func (s *Set) checkReplica(ctx context.Context, m *member) {
	var standby bool
	var text string
	err := m.DB.DB.QueryRowContext(ctx, "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '')").Scan(&standby, &text)
	var why string
	switch {
	case err != nil:
		why = "it does not answer: " + err.Error()
	case !standby:
		why = "it is not a standby"
	default:
		lsn, err := ParseLSN(text)
		if err != nil {
			why = err.Error()
			break
		}
		m.replayed.Store(uint64(lsn))
		if lag := s.lag(time.Now(), lsn); lag > s.maxLag {
			why = fmt.Sprintf("it lags %s behind the primary, over REPLICA_MAX_LAG (%s)", lag.Round(time.Millisecond), s.maxLag)
		}
	}
	if why == "" {
		if !m.usable.Swap(true) {
			s.log.Info("replica serves reads", "replica", m.Name)
		}
		m.why = ""
		return
	}
	if m.usable.Swap(false) || m.why == "" || m.why == "not checked yet" {
		s.log.Warn("replica serves no reads", "replica", m.Name, "reason", why)
	}
	m.why = why
}

// sample records the primary's position at a moment, keeping those of the last maxLag and
// the one before them.
func (s *Set) sample(at time.Time, lsn LSN) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, sample{at, lsn})
	drop := 0
	for drop+1 < len(s.samples) && at.Sub(s.samples[drop+1].at) > s.maxLag+CheckEvery {
		drop++
	}
	s.samples = s.samples[drop:]
}

// lag is how long ago the primary first held WAL the replica has not replayed: 0 when the
// replica has replayed all the primary held at the last check. Measured from the primary's
// positions, not replay timestamps, it stays 0 while the primary writes nothing.
func (s *Set) lag(now time.Time, replayed LSN) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.samples {
		if p.lsn > replayed {
			return now.Sub(p.at)
		}
	}
	return 0
}
