package soak_test

import (
	"bytes"
	"net/http"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// settle polls cond until it holds or a generous while has passed, and reports whether it
// held: goroutines and connections wind down a moment after the clients stop.
func settle(cond func() bool) bool {
	for range 200 {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// TestSoak runs the clients against one server in this process, then checks the data, and
// that no goroutine or database connection outlived the requests. It runs alone (no
// t.Parallel) so that the goroutine count is this test's.
func TestSoak(t *testing.T) {
	d := duration(t)
	seed := seed(t)
	const maxConns = 8
	s := apitest.New(t, map[string]string{"DB_MAX_CONNS": "8"})
	tr := newTransport()
	c := &apitest.Client{HTTP: &http.Client{Transport: tr, Timeout: time.Minute}, URL: s.URL, Token: s.Token}
	w := setupWorld(t, c, "soak")

	tr.CloseIdleConnections()
	before := runtime.NumGoroutine()

	runClients(t, []*apitest.Client{c}, w, d, seed)

	tr.CloseIdleConnections()
	if !settle(func() bool { return runtime.NumGoroutine() <= before }) {
		var buf bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		t.Errorf("%d goroutines after the clients stopped; want at most %d as before they started:\n%s",
			runtime.NumGoroutine(), before, buf.String())
	}
	db := s.DB().DB
	if !settle(func() bool { return db.Stats().InUse == 0 }) {
		t.Errorf("%d database connections still in use after the clients stopped; want 0", db.Stats().InUse)
	}
	checkSessions(t, db, maxConns)
	checkInvariants(t, db, []*apitest.Client{c}, w)
}
