// Package pgtest starts, for tests, the real components that stand around the local
// PostgreSQL cluster in production: a streaming standby of it and PgBouncer in front of it.
// Each runs as the postgres OS user from a temporary folder of its own, and goes with it.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storegraph/storegraph/internal/dbtest"
)

// osUser is the account the components run as: peer authentication over the local socket
// lets it connect, and replicate, as the postgres role, with pg_hba.conf as installed.
const osUser = "postgres"

// postgresUser returns the uid and gid of osUser, or an error saying why the components
// cannot run here.
func postgresUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the test must run as root, to start PostgreSQL's tools as the postgres OS user")
	}
	u, err := user.Lookup(osUser)
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command runs as osUser, with its home and without this process's PostgreSQL settings.
func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = []string{"HOME=/var/lib/postgresql", "PATH=/usr/sbin:/usr/bin:/bin"}
	return cmd
}

func run(cmd *exec.Cmd) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// tempDir makes a folder that osUser owns.
func tempDir(cred *syscall.Credential, prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// sparePort returns a TCP port nothing listens on at the moment.
func sparePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// primary describes the local cluster the tests use (dbtest.AdminURL).
type primary struct {
	host     string // its socket folder
	port     uint16
	binDir   string            // its version's programs
	settings map[string]string // the values a hot standby must match or exceed
	hbaFile  string
	identFle string
}

func readPrimary(ctx context.Context) (*primary, error) {
	cfg, err := pgx.ParseConfig(dbtest.AdminURL())
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(cfg.Host, "/") {
		return nil, fmt.Errorf("TEST_DATABASE_URL must reach PostgreSQL over its local socket, not %s", cfg.Host)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	p := &primary{host: cfg.Host, port: cfg.Port, settings: map[string]string{}}
	var version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int / 10000, current_setting('hba_file'), current_setting('ident_file')").
		Scan(&version, &p.hbaFile, &p.identFle); err != nil {
		return nil, err
	}
	p.binDir = fmt.Sprintf("/usr/lib/postgresql/%d/bin", version)
	names := []string{"max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"}
	rows, err := conn.Query(ctx, "SELECT n, current_setting(n) FROM unnest($1::text[]) AS n", names)
	if err != nil {
		return nil, err
	}
	var name, value string
	_, err = pgx.ForEachRow(rows, []any{&name, &value}, func() error {
		p.settings[name] = value
		return nil
	})
	return p, err
}

// withHost returns the database URL raw with its host and port replaced, naming the role
// peer authentication gave the test; over TCP, without TLS.
func withHost(raw, host string, port int) string {
	u, err := url.Parse(dbtest.WithHost(raw, host, port))
	if err != nil {
		panic(err)
	}
	if !strings.HasPrefix(host, "/") {
		q := u.Query()
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
	}
	if u.User == nil {
		if me, err := user.Current(); err == nil {
			u.User = url.User(me.Username)
		}
	}
	return u.String()
}

// wait polls ready until it holds or limit passes.
func wait(limit time.Duration, ready func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ready()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
