package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// clientTimeout is far above what any request should take, so a hang shows up as a failed
// request instead of a stuck test.
const clientTimeout = 15 * time.Second

// TestDatabaseOutage cuts the network between the server and PostgreSQL while clients keep
// sending queries, then restores it: during the outage every request ends with
// SERVICE_UNAVAILABLE and /readyz says 503; afterwards the same process serves again.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	dbURL, proxy := dbtest.NewProxied(t)
	s := apitest.New(t, map[string]string{"DATABASE_URL": dbURL})

	storeID := s.CreateStore(t, "Outage")
	for i := range 5 {
		s.CreateItem(t, storeID, fmt.Sprintf("item %d", i), 1.5)
	}
	const query = `{ stores(first: 5) { nodes { name itemCount items(orderBy: NAME) { name price tags { name } } } } }`
	var before any
	s.MustPost(t, query, nil, &before)
	if got := readyz(t, s); got != http.StatusOK {
		t.Fatalf("/readyz before the outage = %d; want 200", got)
	}

	// Clients keep querying through the outage; each request must end, one way or another.
	ctx, stopLoad := context.WithCancel(context.Background())
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		outcome = map[string]int{}
	)
	t.Cleanup(func() { stopLoad(); wg.Wait() })
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				rctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
				r, err := s.Send(rctx, query, nil)
				cancel()
				key := "ok"
				switch {
				case err != nil:
					key = "transport error: " + err.Error()
				case len(r.Errors) > 0:
					// One error per field that needed the database: report the set.
					key = fmt.Sprint(slices.Compact(slices.Sorted(slices.Values(r.Codes()))))
				}
				mu.Lock()
				outcome[key]++
				mu.Unlock()
			}
		}()
	}
	for served, deadline := 0, time.Now().Add(30*time.Second); served < 8; {
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		served = outcome["ok"]
		so := fmt.Sprint(outcome)
		mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("the load did not get going: %s", so)
		}
	}

	proxy.Cut()
	cutAt := time.Now()

	start := time.Now()
	r := timedPost(t, s, query, nil)
	failedIn := time.Since(start)
	if !slices.Equal(r.Codes(), []string{string(catalog.Unavailable)}) {
		t.Fatalf("query during the outage: codes %v, errors %+v; want [SERVICE_UNAVAILABLE]", r.Codes(), r.Errors)
	}
	if msg := r.Errors[0].Message; msg != catalog.ErrUnavailable.Message {
		t.Errorf("query during the outage: message %q; want %q", msg, catalog.ErrUnavailable.Message)
	}
	r = timedPost(t, s, `mutation($s: ID!) { updateStore(id: $s, input: {name: "Renamed"}) { name } }`, map[string]any{"s": storeID})
	if !slices.Equal(r.Codes(), []string{string(catalog.Unavailable)}) {
		t.Errorf("mutation during the outage: codes %v, errors %+v; want [SERVICE_UNAVAILABLE]", r.Codes(), r.Errors)
	}
	if got := readyz(t, s); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage = %d; want 503", got)
	}
	t.Logf("a query during the outage failed in %v", failedIn)

	if err := proxy.Restore(); err != nil {
		t.Fatalf("restore: %v", err)
	}
	restoredAt := time.Now()
	t.Logf("outage lasted %v", restoredAt.Sub(cutAt))

	// Recovery needs no restart: poll until the same server answers again.
	for deadline := time.Now().Add(30 * time.Second); ; {
		rctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
		r, err := s.Send(rctx, query, nil)
		cancel()
		if err == nil && len(r.Errors) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful query 30s after the database came back: %v %+v", err, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the first query succeeded %v after the database came back", time.Since(restoredAt))
	if got := readyz(t, s); got != http.StatusOK {
		t.Errorf("/readyz after the outage = %d; want 200", got)
	}
	var after any
	s.MustPost(t, query, nil, &after)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("data after the outage:\n%v\nwant\n%v", after, before)
	}

	stopLoad()
	wg.Wait()
	t.Logf("outcomes of the background load: %v", outcome)
	for k := range outcome {
		if k != "ok" && k != "[SERVICE_UNAVAILABLE]" {
			t.Errorf("a request during the outage ended with %q; want success or SERVICE_UNAVAILABLE", k)
		}
	}
}

// TestDatabaseUnreachable makes PostgreSQL's host go silent, taking connections but never
// answering: connecting gives up after the default connect timeout, so a request fails with
// SERVICE_UNAVAILABLE instead of hanging, and service resumes once the host answers again.
func TestDatabaseUnreachable(t *testing.T) {
	t.Parallel()
	dbURL, proxy := dbtest.NewProxied(t)
	s := apitest.New(t, map[string]string{"DATABASE_URL": dbURL})
	const query = `{ stores(first: 5) { totalCount } }`
	s.MustPost(t, query, nil, nil)

	proxy.Stall()
	start := time.Now()
	r := timedPost(t, s, query, nil)
	t.Logf("a query while the database was silent failed in %v", time.Since(start))
	if !slices.Equal(r.Codes(), []string{string(catalog.Unavailable)}) {
		t.Fatalf("query while the database is silent: codes %v, errors %+v; want [SERVICE_UNAVAILABLE]", r.Codes(), r.Errors)
	}
	if got := readyz(t, s); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is silent = %d; want 503", got)
	}

	if err := proxy.Restore(); err != nil {
		t.Fatalf("restore: %v", err)
	}
	s.MustPost(t, query, nil, nil)
	if got := readyz(t, s); got != http.StatusOK {
		t.Errorf("/readyz after the database came back = %d; want 200", got)
	}
}

// timedPost is s.Post with a client timeout, failing the test when no response comes.
func timedPost(t *testing.T, s *apitest.Server, query string, vars map[string]any) *apitest.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	r, err := s.Send(ctx, query, vars)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	return r
}

// readyz returns the status of GET /readyz.
func readyz(t *testing.T, s *apitest.Server) int {
	t.Helper()
	c := http.Client{Timeout: clientTimeout}
	res, err := c.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}
