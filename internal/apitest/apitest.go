// Package apitest runs a whole storegraph, on its own fresh database, behind a real HTTP
// listener, and sends it GraphQL requests as a client would.
package apitest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/app"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/httpserver"
)

// Server is a running storegraph for one test. Its Client acts as Owner.
type Server struct {
	Client
	App  *app.App
	logs *logBuffer
}

// Owner is the account every test server starts with; Post acts as it.
const (
	OwnerEmail    = "owner@example.com"
	OwnerPassword = "correct horse battery staple"
)

// testEnv makes password hashing cheap: tests sign up many users, and the cost travels in
// each hash, so nothing else changes. For the same reason sign-ups and refreshes are not
// limited unless a test sets the limits.
var testEnv = map[string]string{
	"PASSWORD_HASH_MEMORY_KIB": "64", "PASSWORD_HASH_TIME": "1",
	"REGISTER_MAX_PER_ADDRESS": "1000000", "REFRESH_MAX_PER_SIGN_IN": "1000000",
}

// New starts a storegraph on a fresh database and signs Owner in; env overrides settings as
// the environment would, and opts are app's options. The server logs at WARN, at LOG_LEVEL
// when env sets it, or at DEBUG with TEST_LOG set. Everything stops when the test ends.
func New(t testing.TB, env map[string]string, opts ...app.Option) *Server {
	t.Helper()
	s := Start(t, env, opts...)
	s.Token = s.signIn(t)
	return s
}

// Start starts a storegraph as New does, without signing anyone in: a server running
// only trusted documents refuses the mutations that would.
func Start(t testing.TB, env map[string]string, opts ...app.Option) *Server {
	t.Helper()
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			if u, ok := env[k]; ok {
				return u // a database the test made, e.g. with dbtest.New, reached its own way
			}
			return dbtest.New(t)
		}
		if v, ok := env[k]; ok {
			return v
		}
		return testEnv[k]
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	level := slog.LevelWarn
	if _, ok := env["LOG_LEVEL"]; ok {
		level = cfg.LogLevel
	}
	if os.Getenv("TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(testWriter{t, logs}, &slog.HandlerOptions{Level: level}))
	a, err := app.New(context.Background(), cfg, log, opts...)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Config.ConnContext = httpserver.RememberConn // as App.Serve does
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		_ = a.Close()
	})
	return &Server{Client: Client{URL: srv.URL}, App: a, logs: logs}
}

// signIn signs Owner up, or in when a server on the same database already did.
func (s *Server) signIn(t testing.TB) string {
	t.Helper()
	vars := map[string]any{"e": OwnerEmail, "p": OwnerPassword}
	r := s.PostAs(t, "", RegisterMutation, vars)
	var out struct {
		Register, Login struct{ AccessToken string }
	}
	if codes := r.Codes(); len(codes) == 1 && codes[0] == "CONFLICT" {
		s.MustPostAs(t, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`, vars, &out)
		return out.Login.AccessToken
	}
	if len(r.Errors) > 0 {
		t.Fatalf("register %s: %+v", OwnerEmail, r.Errors)
	}
	r.Decode(t, &out)
	return out.Register.AccessToken
}

// DB is the test's database, for checking state behind the API's back.
func (s *Server) DB() *bun.DB { return s.App.DB }

// Statements returns how many SQL statements the server has sent so far.
func (s *Server) Statements() int64 { return s.App.Queries.Total() }

// Logs returns everything the server has logged so far, for tests of what the log may
// not contain.
func (s *Server) Logs() string {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	return s.logs.b.String()
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// testWriter sends the server's log to the test's output and keeps a copy.
type testWriter struct {
	t    testing.TB
	logs *logBuffer
}

func (w testWriter) Write(p []byte) (int, error) {
	w.logs.mu.Lock()
	w.logs.b.Write(p)
	w.logs.mu.Unlock()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
