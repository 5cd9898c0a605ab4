package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// TestShutdownFinishesInFlightMutation stops a server (its context ends, as on SIGTERM) while
// a deleteStore is blocked on a row lock: /readyz turns 503 while requests are still served,
// the listener then closes, and the mutation, once the lock goes, completes whole and its
// client gets the success.
func TestShutdownFinishesInFlightMutation(t *testing.T) {
	t.Parallel()
	// The request outlives the drain delay below.
	s := apitest.New(t, map[string]string{"REQUEST_TIMEOUT": "50s"})
	doomed := newStore(t, s, "Doomed", 20)
	kept := newStore(t, s, "Kept", 3)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	s.App.DrainDelay = 15 * time.Second // long enough to look at /readyz while draining, even on a busy machine
	addrc := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		served <- s.App.Serve(ctx, "127.0.0.1:0", time.Minute, log, func(addr string) { addrc <- addr })
	}()
	addr := <-addrc
	base := "http://" + addr
	if code, err := get(base + "/readyz"); err != nil || code != http.StatusOK {
		t.Fatalf("/readyz before shutdown = %d, %v; want 200", code, err)
	}

	// Hold the store's row so that deleteStore waits inside its transaction.
	tx, err := s.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(context.Background(), "SELECT id FROM stores WHERE id = ? FOR UPDATE", doomed); err != nil {
		t.Fatal(err)
	}
	type result struct {
		body string
		err  error
	}
	deleted := make(chan result, 1)
	go func() {
		body, err := post(base, s.Token, `mutation($id: ID!) { deleteStore(id: $id) { id } }`, map[string]any{"id": doomed})
		deleted <- result{body, err}
	}()
	waitForLockWait(t, s)

	stop() // the signal

	// Draining: not ready, yet still serving.
	for {
		code, err := get(base + "/readyz")
		if err != nil {
			t.Fatalf("/readyz while draining: %v; want 503", err)
		}
		if code == http.StatusServiceUnavailable {
			break
		}
	}
	if body, err := post(base, s.Token, `{ store(id: "`+kept+`") { name } }`, nil); err != nil || strings.Contains(body, `"errors"`) {
		t.Errorf("query while draining: %s, %v; want an answer", body, err)
	}

	// Then the listener closes while the mutation is still waiting for the lock.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case r := <-deleted:
		t.Fatalf("deleteStore ended before the lock was released: %+v", r)
	case err := <-served:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	default:
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	r := <-deleted
	if r.err != nil {
		t.Fatalf("deleteStore: %v", r.err)
	}
	if want := `{"data":{"deleteStore":{"id":"` + doomed + `"}}}`; r.body != want {
		t.Errorf("deleteStore answered %s; want %s", r.body, want)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}

	// All of the store went, and nothing else did.
	for _, c := range []struct {
		table, store string
		want         int
	}{
		{"stores WHERE id", doomed, 0}, {"items WHERE store_id", doomed, 0}, {"tags WHERE store_id", doomed, 0},
		{"items_tags WHERE store_id", doomed, 0},
		{"stores WHERE id", kept, 1}, {"items WHERE store_id", kept, 3}, {"tags WHERE store_id", kept, 3},
		{"items_tags WHERE store_id", kept, 9},
	} {
		var n int
		if err := s.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM "+c.table+" = ?", c.store).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("SELECT count(*) FROM %s = %s: %d; want %d", c.table, c.store, n, c.want)
		}
	}
}

// newStore creates, through the API, a store with n items and 3 tags, every tag on every
// item, and returns its id.
func newStore(t *testing.T, s *apitest.Server, name string, n int) string {
	t.Helper()
	id := s.CreateStore(t, name)
	var tags []string
	for i := range 3 {
		tags = append(tags, s.CreateTag(t, id, fmt.Sprintf("tag %d", i)))
	}
	for i := range n {
		item := s.CreateItem(t, id, fmt.Sprintf("item %d", i), 2.5)
		for _, tag := range tags {
			s.Link(t, item, tag)
		}
	}
	return id
}

// waitForLockWait returns once a statement of the test's database waits for a lock.
func waitForLockWait(t *testing.T, s *apitest.Server) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		err := s.DB().QueryRowContext(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("the mutation never reached the lock")
}

// client opens a connection per request, so each one sees the listener as it is now.
var client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}

func get(url string) (int, error) {
	res, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func post(base, token, query string, vars map[string]any) (string, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return strings.TrimSpace(string(raw)), err
}
