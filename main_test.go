package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/database/migrations"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// binary is the storegraph command built for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "storegraph-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "storegraph")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the binary with args and, as its only settings, env.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run storegraph %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// environ is this process's environment without any storegraph setting, plus env.
func environ(env map[string]string) []string {
	own := map[string]bool{}
	for _, s := range config.Settings() {
		own[s.Name] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !own[k] {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func TestCLIHelpListsEveryCommandAndSetting(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"help", "--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, arg)
			if r.code != 0 {
				t.Fatalf("storegraph %s exited %d; want 0\n%s", arg, r.code, r.stderr)
			}
			for _, c := range []string{"serve", "migrate", "migrate status", "seed", "version", "help"} {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c) + `\s{2,}\S`).MatchString(r.stdout) {
					t.Errorf("storegraph %s does not list the command %q:\n%s", arg, c, r.stdout)
				}
			}
			for _, s := range config.Settings() {
				def := s.Default
				if def == "" {
					def = "(none)"
				}
				line := regexp.MustCompile(`(?m)^  ` + s.Name + `\s+` + regexp.QuoteMeta(def) + `\s+\S`)
				if !line.MatchString(r.stdout) {
					t.Errorf("storegraph %s does not list %s with its default %s:\n%s", arg, s.Name, def, r.stdout)
				}
			}
		})
	}
}

func TestCLIRefusesWrongCommandsAndSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		names string // what the error must name
	}{
		{"UnknownCommand", nil, []string{"serv"}, `"serv"`},
		{"UnknownSubcommand", nil, []string{"migrate", "down"}, `"migrate down"`},
		{"ExtraArgument", nil, []string{"seed", "now"}, `"seed now"`},
		{"Flag", nil, []string{"--port=9090"}, `"--port=9090"`},
		{"BadSetting", map[string]string{"PORT": "eighty"}, []string{"serve"}, "PORT"},
		{"BadSettingOfDefaultCommand", map[string]string{"QUERY_MAX_DEPTH": "0"}, nil, "QUERY_MAX_DEPTH"},
		{"BadSettingOfMigrate", map[string]string{"LOG_FORMAT": "xml"}, []string{"migrate"}, "LOG_FORMAT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tc.env, tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.names) {
				t.Errorf("storegraph %v with %v exited %d, saying %q; want 2 and a message naming %s",
					tc.args, tc.env, r.code, r.stderr, tc.names)
			}
		})
	}
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "github.com/storegraph/storegraph") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("storegraph version exited %d with\n%s\nwant 0, the module path and %s", r.code, r.stdout, runtime.Version())
	}
}

func TestCLIMigrate(t *testing.T) {
	t.Parallel()
	url := dbtest.Missing(t)
	env := map[string]string{"DATABASE_URL": url}

	// The command creates the database when it is missing, as the server does.
	r := runCLI(t, env, "migrate")
	if r.code != 0 {
		t.Fatalf("storegraph migrate exited %d; want 0\n%s", r.code, r.stderr)
	}
	names := migrationNames(t)
	r = runCLI(t, env, "migrate", "status")
	if r.code != 0 {
		t.Fatalf("storegraph migrate status exited %d; want 0\n%s", r.code, r.stderr)
	}
	for _, n := range names {
		if !regexp.MustCompile(`(?m)^applied\s+` + n + `\s+\d{4}-`).MatchString(r.stdout) {
			t.Errorf("migrate status after migrate does not show %s as applied:\n%s", n, r.stdout)
		}
	}
	if want := fmt.Sprintf("%d applied, 0 pending", len(names)); !strings.Contains(r.stdout, want) {
		t.Errorf("migrate status after migrate:\n%s\nwant %q", r.stdout, want)
	}

	// The newest migration undone shows as pending, and migrate applies it again.
	newest := names[len(names)-1]
	execSQL(t, url, "DELETE FROM bun_migrations WHERE name = $1", strings.SplitN(newest, "_", 2)[0])
	r = runCLI(t, env, "migrate", "status")
	if !regexp.MustCompile(`(?m)^pending\s+`+newest+`\s*$`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, fmt.Sprintf("%d applied, 1 pending", len(names)-1)) {
		t.Errorf("migrate status with %s unrecorded:\n%s\nwant it pending", newest, r.stdout)
	}
}

// migrationNames lists the embedded migrations as migrate status names them, oldest first.
func migrationNames(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(migrations.Files, "*.up.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v %v", files, err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimSuffix(f, ".up.sql"), ".tx"))
	}
	return names
}

func execSQL(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestCLISeed(t *testing.T) {
	t.Parallel()
	url := dbtest.New(t)
	env := map[string]string{"DATABASE_URL": url, "PASSWORD_HASH_MEMORY_KIB": "64", "PASSWORD_HASH_TIME": "1"}
	for run := 1; run <= 2; run++ {
		if r := runCLI(t, env, "seed"); r.code != 0 {
			t.Fatalf("storegraph seed (run %d) exited %d; want 0\n%s", run, r.code, r.stderr)
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var stores, users int
		err = conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM stores), (SELECT count(*) FROM users WHERE email = 'demo@example.com')").Scan(&stores, &users)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stores != 3 || users != 1 {
			t.Errorf("after seed run %d: %d stores and %d demo accounts; want 3 and 1", run, stores, users)
		}
	}
}

func TestCLIServe(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"serve"}} {
		t.Run(fmt.Sprint("args=", args), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, map[string]string{"DATABASE_URL": dbtest.New(t)}, args...)
			res, err := http.Get(srv.url + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET /healthz = %d; want 200", res.StatusCode)
			}
			srv.stop(t)
		})
	}
}

// TestCLIServeExportsTraces runs the server with OTEL_EXPORTER_OTLP_ENDPOINT set to a
// collector of the test's own and checks that a request's spans arrive over OTLP/HTTP.
func TestCLIServeExportsTraces(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var spans []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					spans = append(spans, sp.Name)
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	defer collector.Close()

	srv := startServer(t, map[string]string{"DATABASE_URL": dbtest.New(t), "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL})
	res, err := http.Post(srv.url+"/graphql", "application/json", strings.NewReader(`{"query":"query Probe { stores { totalCount } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	srv.stop(t) // the exporter sends what it holds before the process exits

	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"POST /graphql", "query Probe", "SELECT"} {
		if !slices.Contains(spans, want) {
			t.Errorf("the collector received spans %v; want one named %q", spans, want)
		}
	}
}

type server struct {
	url string
	cmd *exec.Cmd
	log *portWatcher
}

// startServer starts the binary with args and env on a free port and waits until it serves.
func startServer(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	env["PORT"], env["SHUTDOWN_DRAIN_DELAY"] = "0", "0s"
	cmd := exec.Command(binary, args...)
	cmd.Env = environ(env)
	log := &portWatcher{found: make(chan string, 1)}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case port := <-log.found:
		return &server{url: "http://localhost:" + port, cmd: cmd, log: log}
	case <-time.After(time.Minute):
		t.Fatalf("storegraph %v never said it was serving:\n%s", args, log.String())
		return nil
	}
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("storegraph after SIGTERM: %v; want exit 0\n%s", err, s.log.String())
	}
}

// portWatcher keeps what the server logs and sends the port once it says it is serving.
type portWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	sent  bool
}

var servingLine = regexp.MustCompile(`storegraph is serving"? addr=\S*:(\d+)`)

func (w *portWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := servingLine.FindStringSubmatch(w.buf.String()); m != nil && !w.sent {
		w.sent = true
		w.found <- m[1]
	}
	return len(p), nil
}

func (w *portWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
