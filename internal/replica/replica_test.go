package replica_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/pgtest"
	"github.com/storegraph/storegraph/internal/replica"
)

// The tests share one standby of the local cluster, made once per run: a copy costs as much
// disk as the cluster. It replays each transaction applyDelay late, as a replica under load
// would, so that a read which ignores a client's own writes would miss them.
var (
	standbyOnce sync.Once
	standby     *pgtest.Standby
	standbyErr  error
)

const applyDelay = 2 * time.Second

// replayWait bounds how far behind the standby may fall. It replays the whole cluster,
// whose other tests clone a database each, so while they run it may lag minutes behind on
// a busy machine; the tests here wait for it rather than time it.
const replayWait = 5 * time.Minute

func TestMain(m *testing.M) {
	code := m.Run()
	if standby != nil {
		if err := standby.Remove(); err != nil {
			fmt.Fprintln(os.Stderr, "remove the standby:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func sharedStandby(t testing.TB) *pgtest.Standby {
	t.Helper()
	standbyOnce.Do(func() {
		standby, standbyErr = pgtest.StartStandby(context.Background(), pgtest.StandbyOptions{ApplyDelay: applyDelay})
	})
	if standbyErr != nil {
		t.Fatalf("start a standby: %v", standbyErr)
	}
	return standby
}

// serve starts storegraph on a fresh database of the primary, with sb as its replica.
func serve(t *testing.T, sb *pgtest.Standby) *apitest.Server {
	t.Helper()
	db := dbtest.New(t)
	if err := sb.WaitForDatabase(context.Background(), db); err != nil {
		t.Fatalf("the standby never showed the test's database: %v", err)
	}
	return apitest.New(t, map[string]string{
		"DATABASE_URL":          db,
		"DATABASE_REPLICA_URLS": sb.URL(db),
		"REPLICA_MAX_LAG":       replayWait.String(),
	})
}

// statements are the SQL statements the primary and the replica have run so far.
type statements struct{ primary, replica int64 }

func counts(s *apitest.Server) statements {
	return statements{s.App.PrimaryQueries.Total(), s.App.ReplicaQueries[0].Total()}
}

func (a statements) since(b statements) statements {
	return statements{a.primary - b.primary, a.replica - b.replica}
}

// positionOf returns the WAL position a mutation's response gives, checking that its
// extensions and its header agree.
func positionOf(t *testing.T, r *apitest.Response) string {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("mutation failed: %+v", r.Errors)
	}
	ext, _ := r.Extensions["lsn"].(string)
	if _, err := replica.ParseLSN(ext); err != nil {
		t.Fatalf("extensions.lsn = %v: %v", r.Extensions["lsn"], err)
	}
	if h := r.Header.Get(replica.Header); h != ext {
		t.Fatalf("%s header = %q; want extensions.lsn, %q", replica.Header, h, ext)
	}
	return ext
}

// read sends query with the position lsn ("" for none) and returns its data as JSON and the
// statements each server ran for it.
func read(t testing.TB, s *apitest.Server, query, lsn string) (string, statements) {
	t.Helper()
	h := map[string]string{}
	if lsn != "" {
		h[replica.Header] = lsn
	}
	before := counts(s)
	r := s.PostWith(t, h, query, nil)
	if len(r.Errors) > 0 || r.Status != 200 {
		t.Fatalf("%s: status %d, errors %+v", query, r.Status, r.Errors)
	}
	return string(r.Data), counts(s).since(before)
}

// readUntilReplica reads query with lsn until the replica serves it, checking every answer
// against want, and fails when the replica has not served it within replayWait.
func readUntilReplica(t testing.TB, s *apitest.Server, query, lsn, want string) {
	t.Helper()
	deadline := time.Now().Add(replayWait)
	for {
		got, ran := read(t, s, query, lsn)
		if got != want {
			t.Fatalf("%s with %s %s = %s; want %s", query, replica.Header, lsn, got, want)
		}
		if ran.replica > 0 {
			if ran.primary != 0 {
				t.Fatalf("%s ran %d statements on the primary and %d on the replica; want all on the replica", query, ran.primary, ran.replica)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica never served %s with %s %s", query, replica.Header, lsn)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReadsGoToTheReplicaAndWritesToThePrimary(t *testing.T) {
	t.Parallel()
	s := serve(t, sharedStandby(t))

	var created struct{ CreateStore struct{ ID string } }
	r := s.Post(t, `mutation { createStore(input: {name: "Corner Books"}) { id } }`, nil)
	r.Decode(t, &created)
	positionOf(t, r)

	// A mutation, the reads of its payload included, runs on the primary.
	before := counts(s)
	r = s.Post(t, `mutation($s: ID!) { createItem(input: {storeId: $s, name: "Dune", price: 9.5}) { id name store { name itemCount } } }`,
		map[string]any{"s": created.CreateStore.ID})
	lsn := positionOf(t, r)
	if ran := counts(s).since(before); ran.primary == 0 || ran.replica != 0 {
		t.Errorf("createItem ran %d statements on the primary and %d on the replica; want all on the primary", ran.primary, ran.replica)
	}
	if got, want := string(r.Data), `{"createItem":{"id":"1","name":"Dune","store":{"name":"Corner Books","itemCount":1}}}`; got != want {
		t.Errorf("createItem = %s; want %s", got, want)
	}

	// Queries go to the replica once it has replayed the write.
	query := `{ stores { nodes { name itemCount items { name price } } } }`
	want := `{"stores":{"nodes":[{"name":"Corner Books","itemCount":1,"items":[{"name":"Dune","price":9.5}]}]}}`
	readUntilReplica(t, s, query, lsn, want)
	got, ran := read(t, s, `{ items(first: 5) { nodes { name store { name } } } }`, lsn)
	if ran.primary != 0 || ran.replica == 0 {
		t.Errorf("a second query ran %d statements on the primary and %d on the replica; want all on the replica", ran.primary, ran.replica)
	}
	if want := `{"items":{"nodes":[{"name":"Dune","store":{"name":"Corner Books"}}]}}`; got != want {
		t.Errorf("items = %s; want %s", got, want)
	}
}

func TestReadYourWritesWhileTheReplicaReplaysLate(t *testing.T) {
	t.Parallel()
	s := serve(t, sharedStandby(t))
	var created struct{ CreateStore struct{ ID string } }
	r := s.Post(t, `mutation { createStore(input: {name: "v0"}) { id } }`, nil)
	r.Decode(t, &created)
	id := created.CreateStore.ID
	query := fmt.Sprintf(`{ store(id: %q) { name } }`, id)
	readUntilReplica(t, s, query, positionOf(t, r), `{"store":{"name":"v0"}}`)

	// Each rename is read back at once: with its position, always the new name; without
	// it, the replica's, which replays applyDelay late.
	stale := 0
	var lsn string
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("v%d", i)
		r := s.Post(t, `mutation($id: ID!, $n: String!) { updateStore(id: $id, input: {name: $n}) { name } }`,
			map[string]any{"id": id, "n": name})
		lsn = positionOf(t, r)
		want := fmt.Sprintf(`{"store":{"name":%q}}`, name)
		if got, _ := read(t, s, query, lsn); got != want {
			t.Errorf("rename %d read back with its position = %s; want %s", i, got, want)
		}
		if got, ran := read(t, s, query, ""); got != want && ran.replica > 0 {
			stale++
		}
	}
	if stale == 0 {
		t.Errorf("every read without a position saw the rename at once; want the replica, %s behind, to show older names", applyDelay)
	}
	readUntilReplica(t, s, query, lsn, `{"store":{"name":"v3"}}`)
}

func TestReplicaStoppedUnderLoadFailsNoRequest(t *testing.T) {
	t.Parallel()
	// A standby of its own, as this test stops it.
	sb, err := pgtest.StartStandby(context.Background(), pgtest.StandbyOptions{})
	if err != nil {
		t.Fatalf("start a standby: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Remove(); err != nil {
			t.Errorf("remove the standby: %v", err)
		}
	})
	s := serve(t, sb)
	s.LoadDataset(t, 3)
	dbtest.Exec(t, s.DB(), "UPDATE stores SET owner_id = (SELECT id FROM users WHERE email = ?)", apitest.OwnerEmail)
	pos, err := s.App.Replicas.Position(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lsn := pos.String()
	query := `{ stores(first: 3) { nodes { name items(first: 20) { name tags(orderBy: NAME) { name } } } } }`
	want, _ := read(t, s, query, lsn)
	readUntilReplica(t, s, query, lsn, want)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var served atomic.Int64
	failures := make(chan string, 100)
	for c := range 6 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				q, h := query, map[string]string{replica.Header: lsn}
				if i%5 == 0 {
					q = fmt.Sprintf(`mutation { createTag(input: {storeId: "1", name: "load-%d-%d"}) { id store { tagCount } } }`, c, i)
					h["Authorization"] = "Bearer " + s.Token
				}
				r, err := s.SendWith(context.Background(), h, q, nil)
				switch {
				case err != nil:
					failures <- err.Error()
				case r.Status != 200 || len(r.Errors) > 0:
					failures <- fmt.Sprintf("status %d, errors %+v", r.Status, r.Errors)
				case q == query && string(r.Data) != want:
					failures <- fmt.Sprintf("%s = %s; want %s", query, r.Data, want)
				default:
					served.Add(1)
					continue
				}
				return
			}
		})
	}
	// Stop the standby once it has served some of the load, then let the load go on until
	// as many requests again have been served.
	settle := func(cond func() bool) {
		for deadline := time.Now().Add(replayWait); !cond() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	replicaBefore := counts(s).replica
	settle(func() bool { return counts(s).replica > replicaBefore+50 || len(failures) > 0 })
	if err := sb.Stop(); err != nil {
		t.Error(err)
	}
	afterStop := served.Load()
	primaryAtStop := counts(s).primary
	settle(func() bool { return served.Load() > 2*afterStop+100 || len(failures) > 0 })
	cancel()
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("a request failed: %s", f)
	}
	if n := served.Load(); n <= afterStop {
		t.Errorf("%d requests served after the standby stopped; want some", n-afterStop)
	}
	if counts(s).primary == primaryAtStop {
		t.Errorf("the primary ran no statement after the standby stopped; want it to serve the reads")
	}
	t.Logf("served %d requests, %d of them after the standby stopped; statements %+v", served.Load(), served.Load()-afterStop, counts(s))
}

func TestSubscriptionReadsTheChangeFromThePrimary(t *testing.T) {
	t.Parallel()
	s := serve(t, sharedStandby(t))
	r := s.Post(t, `mutation { createStore(input: {name: "Live Books"}) { id } }`, nil)
	var created struct{ CreateStore struct{ ID string } }
	r.Decode(t, &created)
	store := created.CreateStore.ID
	readUntilReplica(t, s, fmt.Sprintf(`{ store(id: %q) { name } }`, store), positionOf(t, r), `{"store":{"name":"Live Books"}}`)

	c, _, err := s.DialSocket(t.Context(), apitest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(t.Context(), "1", `subscription($s: ID!) { storeChanged(storeId: $s) { kind item { name } } }`,
		map[string]any{"s": store}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(apitest.Wait); s.App.Live.Open() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the subscription never started")
		}
	}
	// The replica replays the new item applyDelay late; the delivery comes at once.
	s.CreateItem(t, store, "Dune", 9.5)
	m, err := c.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"data":{"storeChanged":{"kind":"CREATED","item":{"name":"Dune"}}}}`; m.Type != "next" || string(m.Payload) != want {
		t.Errorf("delivery = %s %s; want next %s", m.Type, m.Payload, want)
	}
}
