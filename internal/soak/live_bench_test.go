package soak_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// BenchmarkLiveFanOut measures live updates as the issue that asked for them frames it:
// 1,000 subscribers of one store spread over two server processes on one database, one
// mutation (createItem, through the first process) every 10 ms for 10 s. It reports the
// time from the mutation's commit to each delivery (p50 and p99, from the mutation's
// answer, by which it has committed; and, as an upper bound, from when it was sent), the
// server memory each idle subscription holds (heap and stacks after a collection, over
// both processes: with a socket of its own, and as one more on a socket), the servers' CPU
// per delivery (mutations included), and how many changes a subscriber missed without a RESYNC (must be 0).
// The clients run in this process, the servers in their own. Run it alone:
//
//	go test -run '^$' -bench LiveFanOut -benchtime 1x -timeout 10m ./internal/soak/
//
// With LIVE_BENCH_PROFILES set to a folder, each server's goroutines and heap once the
// subscriptions are idle, and its CPU profile under load, are saved there for go tool pprof.
func BenchmarkLiveFanOut(b *testing.B) {
	const (
		subscribers = 1000
		every       = 10 * time.Millisecond
		span        = 10 * time.Second
	)
	bin := buildServer(b)
	dbURL := freshDatabaseURL(b)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	var replicas []*replica
	var pprofs []string
	for range 2 {
		pprof := freeAddr(b)
		r, err := startReplica(b, bin, map[string]string{
			"DATABASE_URL": dbURL, "PORT": "0", "JWT_SECRET": hex.EncodeToString(secret), "LOG_FORMAT": "json",
			"LOG_LEVEL": "INFO", "PASSWORD_HASH_MEMORY_KIB": "64", "PASSWORD_HASH_TIME": "1", "PPROF_ADDR": pprof,
			"STREAMS_PER_CLIENT": strconv.Itoa(subscribers), // every client is at 127.0.0.1
		})
		if err != nil {
			b.Fatal(err)
		}
		replicas, pprofs = append(replicas, r), append(pprofs, pprof)
	}
	a := replicas[0]
	var reg struct{ Register struct{ AccessToken string } }
	benchPost(b, a.url, "", `mutation { register(input: {email: "bench@example.com", password: "correct horse battery"}) { accessToken } }`, nil, &reg)
	token := reg.Register.AccessToken
	var st struct{ CreateStore struct{ ID string } }
	benchPost(b, a.url, token, `mutation { createStore(input: {name: "Bench Store"}) { id } }`, nil, &st)
	store := st.CreateStore.ID

	before, stacksBefore := serverMemory(b, replicas, pprofs)
	type delivery struct {
		item string
		at   time.Time
	}
	type subscriber struct {
		got     []delivery
		resyncs int
		err     error
	}
	subs := make([]*subscriber, subscribers)
	sockets := make([]*apitest.Socket, subscribers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var readers sync.WaitGroup
	for i := range subscribers {
		c, _, err := apitest.DialSocket(ctx, replicas[i%2].url, apitest.DialOptions{})
		if err != nil {
			b.Fatalf("subscriber %d: %v", i, err)
		}
		sockets[i], subs[i] = c, &subscriber{}
		if err := c.Subscribe(ctx, "1", `subscription($s: ID!) { storeChanged(storeId: $s) { kind itemId } }`, map[string]any{"s": store}); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second) // idle: every subscription is in place
	after, stacksAfter := serverMemory(b, replicas, pprofs)
	profiles := os.Getenv("LIVE_BENCH_PROFILES")
	if profiles != "" {
		for i, addr := range pprofs {
			saveProfiles(b, profiles, i, addr, "goroutine?debug=1", "goroutine?debug=2", "heap")
		}
	}
	perSub := float64(after-before) / subscribers
	perSubStacks := float64(stacksAfter-stacksBefore) / subscribers
	// A client multiplexes its subscriptions over one socket: what one more costs there.
	for _, c := range sockets {
		if err := c.Subscribe(ctx, "2", `subscription($s: ID!) { storeChanged(storeId: $s) { kind itemId } }`, map[string]any{"s": store}); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)
	shared, _ := serverMemory(b, replicas, pprofs)
	perShared := float64(shared-after) / subscribers
	for _, c := range sockets {
		if err := c.Send(ctx, apitest.Message{ID: "2", Type: "complete"}); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(time.Second)

	for i, c := range sockets {
		s := subs[i]
		readers.Go(func() {
			// The clients share the cores with the servers, so they read cheaply: with no
			// deadline, which would arm a timer per message (sockets are closed to stop
			// them), and into one buffer per socket.
			var raw bytes.Buffer
			for {
				_, r, err := c.Conn.Reader(context.Background())
				if err == nil {
					raw.Reset()
					_, err = raw.ReadFrom(r)
				}
				at := time.Now()
				if err != nil {
					if ctx.Err() == nil {
						s.err = err
					}
					return
				}
				var m struct {
					Type    string
					Payload struct {
						Data struct{ StoreChanged struct{ Kind, ItemID string } }
					}
				}
				if json.Unmarshal(raw.Bytes(), &m) != nil {
					continue
				}
				switch ch := m.Payload.Data.StoreChanged; {
				case m.Type == "ping":
					_ = c.Send(ctx, apitest.Message{Type: "pong"})
				case ch.Kind == "RESYNC":
					s.resyncs++
				case ch.Kind == "CREATED":
					s.got = append(s.got, delivery{ch.ItemID, at})
				}
			}
		})
	}

	type mutation struct{ sent, answered time.Time }
	var mu sync.Mutex
	sent := map[string]mutation{}
	var writers sync.WaitGroup
	var failed int
	cpu := scrape(b, replicas, "process_cpu_seconds_total")
	var profiling sync.WaitGroup
	if profiles != "" {
		for i, addr := range pprofs {
			profiling.Go(func() { saveProfiles(b, profiles, i, addr, "profile?seconds="+strconv.Itoa(int(span/time.Second))) })
		}
	}
	b.ResetTimer()
	tick := time.NewTicker(every)
	for k := range int(span / every) {
		<-tick.C
		writers.Go(func() {
			var out struct{ CreateItem struct{ ID string } }
			t0 := time.Now()
			err := benchPostErr(a.url, token, `mutation($s: ID!, $n: String!) { createItem(input: {storeId: $s, name: $n, price: 1}) { id } }`,
				map[string]any{"s": store, "n": "item " + strconv.Itoa(k)}, &out)
			t1 := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if failed++; failed == 1 {
					b.Logf("first failed mutation: %v", err)
				}
				return
			}
			sent[out.CreateItem.ID] = mutation{t0, t1}
		})
	}
	tick.Stop()
	writers.Wait()
	time.Sleep(3 * time.Second) // the last deliveries
	b.StopTimer()
	profiling.Wait()
	cpu = scrape(b, replicas, "process_cpu_seconds_total") - cpu
	cancel()
	for _, c := range sockets {
		_ = c.Conn.CloseNow()
	}
	readers.Wait()

	var fromAnswer, fromSent []time.Duration
	lost, resyncs, broken := 0, 0, 0
	for _, s := range subs {
		if s.err != nil {
			if broken++; broken == 1 {
				b.Logf("first broken socket: %v", s.err)
			}
			continue // the client sees it end, and starts over
		}
		resyncs += s.resyncs
		seen := map[string]bool{}
		for _, d := range s.got {
			m, ok := sent[d.item]
			if !ok {
				continue
			}
			seen[d.item] = true
			fromAnswer = append(fromAnswer, max(0, d.at.Sub(m.answered)))
			fromSent = append(fromSent, d.at.Sub(m.sent))
		}
		if s.resyncs == 0 {
			lost += len(sent) - len(seen)
		}
	}
	pct := func(ds []time.Duration, p float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(fromAnswer, 0.50), "p50-ms")
	b.ReportMetric(pct(fromAnswer, 0.99), "p99-ms")
	b.ReportMetric(pct(fromSent, 0.50), "p50-from-sent-ms")
	b.ReportMetric(pct(fromSent, 0.99), "p99-from-sent-ms")
	b.ReportMetric(perSub, "B/idle-socket+sub")
	b.ReportMetric(perSubStacks, "stack-B/idle-socket+sub")
	b.ReportMetric(perShared, "B/idle-sub-on-shared-socket")
	b.ReportMetric(float64(len(fromAnswer)), "deliveries")
	b.ReportMetric(cpu*1e6/float64(max(1, len(fromAnswer))), "server-CPU-µs/delivery")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(resyncs), "resyncs")
	b.Logf("%d mutations committed (%d failed), %d deliveries to %d subscribers (%d sockets broke), %d lost without RESYNC on the sockets that stayed open, %d RESYNCs",
		len(sent), failed, len(fromAnswer), subscribers, broken, lost, resyncs)
	if lost > 0 {
		b.Errorf("%d changes lost without a RESYNC", lost)
	}
	for _, r := range replicas {
		r.stop(b)
	}
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serverMemory collects garbage in every replica (through pprof) and returns the heap and
// stack memory they hold in all, and the stacks' part of it.
func serverMemory(t testing.TB, replicas []*replica, pprofs []string) (all, stacks int64) {
	t.Helper()
	for _, addr := range pprofs {
		res, err := http.Get("http://" + addr + "/debug/pprof/heap?gc=1")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	stacks = int64(scrape(t, replicas, "go_memstats_stack_inuse_bytes"))
	return int64(scrape(t, replicas, "go_memstats_heap_inuse_bytes")) + stacks, stacks
}

// saveProfiles saves these pprof profiles of the i-th replica, served at addr, into dir.
func saveProfiles(t testing.TB, dir string, i int, addr string, names ...string) {
	for _, name := range names {
		res, err := http.Get("http://" + addr + "/debug/pprof/" + name)
		if err != nil {
			t.Error(err)
			return
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Error(err)
			return
		}
		file := strings.NewReplacer("?", "-", "=", "").Replace(name)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("server%d-%s", i+1, file)), body, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// scrape sums these samples of every replica's /metrics.
func scrape(t testing.TB, replicas []*replica, names ...string) float64 {
	t.Helper()
	var total float64
	for _, r := range replicas {
		res, err := http.Get(r.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, name := range names {
			for line := range strings.Lines(string(body)) {
				if v, ok := strings.CutPrefix(line, name+" "); ok {
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err != nil {
						t.Fatal(err)
					}
					total += f
				}
			}
		}
	}
	return total
}

func benchPost(t testing.TB, base, token, query string, vars map[string]any, v any) {
	t.Helper()
	if err := benchPostErr(base, token, query, vars, v); err != nil {
		t.Fatal(err)
	}
}

func benchPostErr(base, token, query string, vars map[string]any, v any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []apitest.Error
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("%s: %+v", query, out.Errors)
	}
	return json.Unmarshal(out.Data, v)
}
