package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storegraph/storegraph/internal/dbtest"
)

// PgBouncer is a PgBouncer in transaction pooling mode in front of the local cluster.
type PgBouncer struct {
	port    int
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	version [2]int
}

// PgBouncerOptions tune a PgBouncer.
type PgBouncerOptions struct {
	PoolSize int // server connections per database and role; 20 when 0
}

// pgbouncerBin is where Debian's package installs it.
const pgbouncerBin = "/usr/sbin/pgbouncer"

// StartPgBouncer installs PgBouncer when it is missing (the project's .ci/ensure-pgbouncer),
// then starts it on a spare port of 127.0.0.1. It lets any role in without a password and
// serves every database of the local cluster as the postgres role, over the cluster's
// socket, so that the cluster's peer rules admit it as they are.
func StartPgBouncer(ctx context.Context, opts PgBouncerOptions) (*PgBouncer, error) {
	cred, err := postgresUser()
	if err != nil {
		return nil, err
	}
	if err := ensurePgBouncer(); err != nil {
		return nil, err
	}
	out, err := exec.Command(pgbouncerBin, "--version").Output()
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`PgBouncer (\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("pgbouncer --version: %q names no version", out)
	}
	b := &PgBouncer{exited: make(chan struct{})}
	b.version[0], _ = strconv.Atoi(string(m[1]))
	b.version[1], _ = strconv.Atoi(string(m[2]))
	p, err := readPrimary(ctx)
	if err != nil {
		return nil, err
	}
	if b.port, err = sparePort(); err != nil {
		return nil, err
	}
	if b.dir, err = tempDir(cred, "storegraph-pgbouncer-"); err != nil {
		return nil, err
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = 20
	}
	conf := fmt.Sprintf(`[databases]
* = host=%s port=%d user=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = %d
max_client_conn = 1000
ignore_startup_parameters = %s
logfile = %s
pidfile = %s
`, p.host, p.port, osUser, b.port, opts.PoolSize, strings.Join(IgnoredStartupParameters, ","),
		filepath.Join(b.dir, "pgbouncer.log"), filepath.Join(b.dir, "pgbouncer.pid"))
	if b.PreparedStatements() {
		conf += "max_prepared_statements = 200\n"
	}
	ini := filepath.Join(b.dir, "pgbouncer.ini")
	if err := os.WriteFile(ini, []byte(conf), 0o644); err != nil {
		_ = os.RemoveAll(b.dir)
		return nil, err
	}
	b.cmd = command(cred, pgbouncerBin, ini)
	var stderr bytes.Buffer
	b.cmd.Stderr = &stderr
	if err := b.cmd.Start(); err != nil {
		_ = os.RemoveAll(b.dir)
		return nil, err
	}
	go func() { _ = b.cmd.Wait(); close(b.exited) }()
	err = wait(30*time.Second, func() error {
		select {
		case <-b.exited:
			return errors.New("pgbouncer exited")
		default:
		}
		conn, err := pgx.Connect(ctx, b.URL(dbtest.AdminURL()))
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log"))
		_ = b.Stop()
		return nil, fmt.Errorf("pgbouncer does not serve: %w\n%s%s", err, stderr.Bytes(), log)
	}
	return b, nil
}

// IgnoredStartupParameters are the settings storegraph sends when it connects, which
// PgBouncer would otherwise refuse; behind it, they are set on the server's side.
var IgnoredStartupParameters = []string{"jit", "statement_timeout"}

// PreparedStatements reports whether this PgBouncer keeps prepared statements across the
// server connections of a transaction pool (1.21 and later, with max_prepared_statements).
func (b *PgBouncer) PreparedStatements() bool {
	return b.version[0] > 1 || b.version[0] == 1 && b.version[1] >= 21
}

// Version is PgBouncer's major.minor version.
func (b *PgBouncer) Version() string { return fmt.Sprintf("%d.%d", b.version[0], b.version[1]) }

// URL returns primaryURL, a database of the local cluster, as PgBouncer serves it.
func (b *PgBouncer) URL(primaryURL string) string { return withHost(primaryURL, "127.0.0.1", b.port) }

// Stop ends PgBouncer and deletes its folder.
func (b *PgBouncer) Stop() error {
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	return os.RemoveAll(b.dir)
}

// ensurePgBouncer runs .ci/ensure-pgbouncer, found above the working folder, when
// PgBouncer is not installed.
func ensurePgBouncer() error {
	if _, err := os.Stat(pgbouncerBin); err == nil {
		return nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		script := filepath.Join(dir, ".ci", "ensure-pgbouncer")
		if _, err := os.Stat(script); err == nil {
			return run(exec.Command(script))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return errors.New("PgBouncer is not installed and no .ci/ensure-pgbouncer was found to install it")
		}
		dir = parent
	}
}
