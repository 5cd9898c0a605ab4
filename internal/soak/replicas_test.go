package soak_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the checks

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/pgtest"
)

// replica is one storegraph process started by the test.
type replica struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	log    strings.Builder // everything it wrote to stderr
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

func (r *replica) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// buildServer builds the storegraph binary once for the test.
func buildServer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "storegraph")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/storegraph/storegraph").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startReplica starts the binary with env on top of this process's environment and waits
// until it says where it serves. It may run on any goroutine: it reports by its error.
func startReplica(t testing.TB, bin string, env map[string]string) (*replica, error) {
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); env[k] == "" && !strings.HasPrefix(k, "SOAK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	r := &replica{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.log.WriteString(line + "\n")
			r.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "storegraph is serving" {
				addr <- rec.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		r.err = cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = cmd.Process.Kill()
			<-r.exited
		}
	})
	select {
	case a := <-addr:
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("replica serves on %q: %w", a, err)
		}
		r.url = "http://127.0.0.1:" + port
		return r, nil
	case <-r.exited:
		return nil, fmt.Errorf("replica exited before serving (%v):\n%s", r.err, r.logText())
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("replica did not say it serves:\n%s", r.logText())
	}
}

// stop sends SIGTERM and fails t unless the replica exits 0.
func (r *replica) stop(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM to %s: %v", r.url, err)
	}
	select {
	case <-r.exited:
	case <-time.After(2 * time.Minute):
		t.Errorf("replica %s did not exit after SIGTERM:\n%s", r.url, r.logText())
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	if r.err != nil {
		t.Errorf("replica %s exited with %v after SIGTERM; want status 0:\n%s", r.url, r.err, r.logText())
	}
}

// goroutines reads go_goroutines from the replica's /metrics.
func goroutines(c *apitest.Client) (int, error) {
	res, err := c.HTTP.Get(c.URL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, errors.New("no go_goroutines in /metrics")
}

// freshDatabaseURL names a database that does not exist yet, and drops it when t ends:
// the replicas create and migrate it themselves, starting at the same moment.
func freshDatabaseURL(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sgtest_replicas_" + hex.EncodeToString(b)
	u, err := url.Parse(dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dbtest.AdminURL())
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return u.String()
}

// TestSoakReplicas runs two server processes on one database, as replicas behind a load
// balancer would, with the clients spread over both: the same rules must hold, a token from
// one must work on the other, and failed logins must count across both.
func TestSoakReplicas(t *testing.T) {
	const maxConns = 5
	dbURL := freshDatabaseURL(t)
	soakTwoProcesses(t, dbURL, dbURL, map[string]string{"DB_MAX_CONNS": strconv.Itoa(maxConns)}, 2*maxConns)
}

// TestSoakPgBouncer runs the two server processes through PgBouncer in transaction pooling
// mode, which gives their ten connections four of PostgreSQL's: the same rules must hold,
// with migrations, sign-in limits and refresh-token rotation taking turns through
// transactions rather than sessions.
func TestSoakPgBouncer(t *testing.T) {
	const poolSize = 4
	dbURL := freshDatabaseURL(t)
	b, err := pgtest.StartPgBouncer(context.Background(), pgtest.PgBouncerOptions{PoolSize: poolSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("stop PgBouncer: %v", err)
		}
	})
	t.Logf("PgBouncer %s, prepared statements kept: %v", b.Version(), b.PreparedStatements())
	soakTwoProcesses(t, b.URL(dbURL), dbURL, map[string]string{
		"DB_MAX_CONNS":           "5",
		"DB_PREPARED_STATEMENTS": strconv.FormatBool(b.PreparedStatements()),
	}, poolSize)
}

// soakTwoProcesses starts two server processes at once on serverURL, a database that does
// not exist yet, runs the clients over both, and checks the database through directURL:
// its rules, and that it never had more than maxSessions sessions. extra adds settings.
func soakTwoProcesses(t *testing.T, serverURL, directURL string, extra map[string]string, maxSessions int) {
	d := duration(t)
	seed := seed(t)
	bin := buildServer(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := map[string]string{
		"DATABASE_URL":             serverURL,
		"PORT":                     "0",
		"JWT_SECRET":               hex.EncodeToString(secret),
		"STOREGRAPH_ENV":           "production",
		"LOG_FORMAT":               "json",
		"LOG_LEVEL":                "INFO",
		"LOGIN_MAX_FAILURES":       "3",
		"PASSWORD_HASH_MEMORY_KIB": "64",
		"PASSWORD_HASH_TIME":       "1",
		"REGISTER_MAX_PER_ADDRESS": "1000000",
		"REFRESH_MAX_PER_SIGN_IN":  "1000000",
		"PPROF_ADDR":               "", // two processes cannot share its port
	}
	for k, v := range extra {
		env[k] = v
	}
	// Both start at once on a database that does not exist yet.
	replicas := make([]*replica, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { replicas[i], errs[i] = startReplica(t, bin, env) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	tr := newTransport()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	a := &apitest.Client{HTTP: hc, URL: replicas[0].url}
	b := &apitest.Client{HTTP: hc, URL: replicas[1].url}
	checkSharedAuth(t, a, b)

	servers := []*apitest.Client{a, b}
	w := setupWorld(t, a, "replicas")
	// A short run first, so that the count taken next holds what lives as long as the
	// processes' pools have connections (database/sql's cleaner among them), not only
	// what the set-up's few requests started.
	runClients(t, servers, w, time.Second, seed+1)
	tr.CloseIdleConnections()
	before := make([]int, len(servers))
	for i, c := range servers {
		n, err := goroutines(c)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = n
	}

	runClients(t, servers, w, d, seed)

	tr.CloseIdleConnections()
	for i, c := range servers {
		var now int
		if !settle(func() bool { now, _ = goroutines(c); tr.CloseIdleConnections(); return now <= before[i] }) {
			t.Errorf("replica %s has %d goroutines after the clients stopped; want at most %d as before they started", c.URL, now, before[i])
		}
	}
	db, err := sql.Open("pgx", directURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	checkSessions(t, db, maxSessions)
	checkInvariants(t, db, servers, w)

	for _, r := range replicas {
		r.stop(t)
	}
	// Through a pooler, the server connections outlive the processes, idle in its pool.
	pooled := serverURL != directURL
	var left int
	if !settle(func() bool {
		err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
			AND (NOT $1 OR state <> 'idle')`, pooled).Scan(&left)
		return err == nil && left == 0
	}) {
		t.Errorf("%d database sessions left (besides the pooler's idle ones) after both replicas exited; want 0", left)
	}
	for _, r := range replicas {
		for _, line := range strings.Split(r.logText(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("replica %s logged an error: %s", r.url, line)
			}
		}
	}
}

// checkSharedAuth proves that the replicas share what authentication needs: a user
// registered through one signs in through the other, a token from one works on the other,
// and failed logins through one count on the other.
func checkSharedAuth(t *testing.T, a, b *apitest.Client) {
	t.Helper()
	const email, password = "soak@example.com", "a long enough password"
	var reg struct {
		Register struct{ AccessToken, RefreshToken string }
	}
	a.MustPost(t, `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p}) { accessToken refreshToken } }`,
		map[string]any{"e": email, "p": password}, &reg)
	a.Token, b.Token = reg.Register.AccessToken, reg.Register.AccessToken

	var me struct{ Me *struct{ Email string } }
	b.MustPost(t, `{ me { email } }`, nil, &me)
	if me.Me == nil || me.Me.Email != email {
		t.Fatalf("me through the other replica with the first one's token = %+v; want %s", me.Me, email)
	}
	var refreshed struct{ RefreshToken struct{ AccessToken string } }
	b.MustPost(t, `mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }`,
		map[string]any{"r": reg.Register.RefreshToken}, &refreshed)
	if refreshed.RefreshToken.AccessToken == "" {
		t.Errorf("refreshToken through the other replica gave no access token")
	}
	var login struct{ Login struct{ AccessToken string } }
	b.MustPost(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`,
		map[string]any{"e": email, "p": password}, &login)

	// LOGIN_MAX_FAILURES is 3: three failures through one replica, then the other refuses.
	const victim = "victim@example.com"
	a.MustPost(t, `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p}) { accessToken } }`,
		map[string]any{"e": victim, "p": password}, nil)
	bad := `mutation($e: String!) { login(input: {email: $e, password: "not the password"}) { accessToken } }`
	for i := range 3 {
		r, err := a.SendWith(context.Background(), nil, bad, map[string]any{"e": victim})
		if err != nil || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Fatalf("failed login %d through %s: %+v, %v; want UNAUTHENTICATED", i+1, a.URL, r, err)
		}
	}
	r, err := b.SendWith(context.Background(), nil, bad, map[string]any{"e": victim})
	if err != nil || len(r.Errors) != 1 || r.Errors[0].Code() != "TOO_MANY_REQUESTS" {
		t.Errorf("fourth failed login, through the other replica: %+v, %v; want TOO_MANY_REQUESTS", r, err)
	}
}
