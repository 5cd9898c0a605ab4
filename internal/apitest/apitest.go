// Package apitest runs a whole storegraph, on its own fresh database, behind a real HTTP
// listener, and sends it GraphQL requests as a client would.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/app"
	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// Server is a running storegraph for one test.
type Server struct {
	t     testing.TB
	URL   string // base URL, without a path
	App   *app.App
	Token string // access token of Owner, sent by Post
	logs  *logBuffer
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

// New starts a storegraph on a fresh database; env overrides settings as the environment
// would. The server logs at WARN, at LOG_LEVEL when env sets it, or at DEBUG with TEST_LOG
// set. Everything stops when the test ends.
func New(t testing.TB, env map[string]string) *Server {
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
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		_ = a.Close()
	})
	s := &Server{t: t, URL: srv.URL, App: a, logs: logs}
	s.Token = s.signIn()
	return s
}

// signIn signs Owner up, or in when a server on the same database already did.
func (s *Server) signIn() string {
	s.t.Helper()
	var out struct {
		Register, Login struct{ AccessToken string }
	}
	vars := map[string]any{"e": OwnerEmail, "p": OwnerPassword}
	r := s.PostAs("", `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p}) { accessToken } }`, vars)
	if codes := r.Codes(); len(codes) == 1 && codes[0] == "CONFLICT" {
		r = s.PostAs("", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`, vars)
	}
	if len(r.Errors) > 0 {
		s.t.Fatalf("sign in %s: %+v", OwnerEmail, r.Errors)
	}
	r.Decode(s.t, &out)
	return out.Register.AccessToken + out.Login.AccessToken
}

// Register signs up an account and returns its access token.
func (s *Server) Register(email, password string) string {
	s.t.Helper()
	var out struct {
		Register struct{ AccessToken string }
	}
	r := s.PostAs("", `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p}) { accessToken } }`,
		map[string]any{"e": email, "p": password})
	if len(r.Errors) > 0 {
		s.t.Fatalf("register %s: %+v", email, r.Errors)
	}
	r.Decode(s.t, &out)
	return out.Register.AccessToken
}

// DB is the test's database, for checking state behind the API's back.
func (s *Server) DB() *bun.DB { return s.App.DB }

// Response is a GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage
	Errors []Error
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (e Error) Code() string { c, _ := e.Extensions["code"].(string); return c }

// Codes lists the codes of the response's errors.
func (r *Response) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Code())
	}
	return out
}

// Decode reads the data into v, failing the test when it does not fit.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// Post sends a query with variables (may be nil) as Owner and returns the response; it
// does not judge the errors.
func (s *Server) Post(query string, vars map[string]any) *Response {
	return s.PostAs(s.Token, query, vars)
}

// PostAs sends a query with an access token; "" sends none.
func (s *Server) PostAs(token, query string, vars map[string]any) *Response {
	var h map[string]string
	if token != "" {
		h = map[string]string{"Authorization": "Bearer " + token}
	}
	return s.PostWithHeaders(query, vars, h)
}

// PostWithHeaders is Post with extra request headers.
func (s *Server) PostWithHeaders(query string, vars map[string]any, headers map[string]string) *Response {
	s.t.Helper()
	r, err := s.Send(context.Background(), query, vars, headers)
	if err != nil {
		s.t.Fatalf("POST /graphql: %v", err)
	}
	return r
}

// Send posts a query with a JSON content type and these headers, and returns the response,
// or an error when there is none to return. It touches no testing.T, so any goroutine may
// call it.
func (s *Server) Send(ctx context.Context, query string, vars map[string]any, headers map[string]string) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []Error         `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("response is not JSON (status %d): %s", res.StatusCode, raw)
	}
	return &Response{Status: res.StatusCode, Data: out.Data, Errors: out.Errors}, nil
}

// MustPost is Post that fails the test on any error, and decodes the data into v.
func (s *Server) MustPost(query string, vars map[string]any, v any) {
	s.t.Helper()
	r := s.Post(query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		s.t.Fatalf("query failed (status %d): %+v\nquery: %s", r.Status, r.Errors, query)
	}
	if v != nil {
		r.Decode(s.t, v)
	}
}

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
