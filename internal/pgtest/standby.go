package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storegraph/storegraph/internal/dbtest"
)

// Standby is a hot standby of the local cluster, streaming from it.
type Standby struct {
	dir  string // its socket folder, holding the data folder, configuration and log
	port int
	bin  string
	cred *syscall.Credential
	slot string // its replication slot on the cluster
}

// slotPrefix starts the name of every slot a test standby uses; the name goes on with the
// test process's id, so that a slot its process left behind can be told and dropped.
const slotPrefix = "storegraph_test_standby_"

var slotCount atomic.Int64

// StandbyOptions tune a standby.
type StandbyOptions struct {
	// ApplyDelay holds each transaction back this long before the standby applies it
	// (recovery_min_apply_delay), as a standby far away or overloaded would.
	ApplyDelay time.Duration
}

// StartStandby copies the local cluster with pg_basebackup over its socket into a
// temporary folder and starts it there as a hot standby on a spare port, listening on its
// own socket only. The copy holds every database of the cluster, so it costs about as much
// disk as the cluster does; Remove gives it back.
func StartStandby(ctx context.Context, opts StandbyOptions) (*Standby, error) {
	cred, err := postgresUser()
	if err != nil {
		return nil, err
	}
	p, err := readPrimary(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the primary's settings: %w", err)
	}
	removeOrphans(p.binDir, cred)
	dir, err := tempDir(cred, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	port, err := sparePort()
	if err != nil {
		return nil, err
	}
	if err := dropStaleSlots(ctx); err != nil {
		return nil, err
	}
	s := &Standby{dir: dir, port: port, bin: p.binDir, cred: cred,
		slot: fmt.Sprintf("%s%d_%d", slotPrefix, os.Getpid(), slotCount.Add(1))}
	data := s.data()
	// The standby streams through a replication slot, made with the copy: without it the
	// cluster, busy with the other tests' databases, may recycle WAL the standby still needs.
	// A copy is tried again when the cluster cuts it off.
	for try := 1; ; try++ {
		err = run(command(cred, filepath.Join(p.binDir, "pg_basebackup"), "-h", p.host, "-p", fmt.Sprint(p.port), "-U", osUser,
			"-D", data, "-X", "stream", "-R", "-C", "-S", s.slot, "-c", "fast", "--no-sync"))
		if err == nil {
			break
		}
		_ = os.RemoveAll(data)
		_ = s.dropSlot(ctx)
		if try == 3 {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	// The cluster's access rules, as they are, for the standby's own socket.
	conf := map[string]string{
		"port":                     fmt.Sprint(port),
		"listen_addresses":         "''",
		"unix_socket_directories":  "'" + dir + "'",
		"hba_file":                 "'" + filepath.Join(dir, "pg_hba.conf") + "'",
		"ident_file":               "'" + filepath.Join(dir, "pg_ident.conf") + "'",
		"hot_standby":              "on",
		"hot_standby_feedback":     "on",
		"shared_buffers":           "'128MB'",
		"fsync":                    "off",
		"recovery_min_apply_delay": fmt.Sprintf("'%dms'", opts.ApplyDelay.Milliseconds()),
	}
	for k, v := range p.settings {
		conf[k] = v
	}
	var b strings.Builder
	for k, v := range conf {
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	files := map[string]string{filepath.Join(data, "postgresql.conf"): b.String()}
	for from, to := range map[string]string{p.hbaFile: "pg_hba.conf", p.identFle: "pg_ident.conf"} {
		text, err := os.ReadFile(from)
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		files[filepath.Join(dir, to)] = string(text)
	}
	for name, text := range files {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := run(command(cred, filepath.Join(p.binDir, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "start")); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}

func (s *Standby) data() string { return filepath.Join(s.dir, "data") }

// URL returns primaryURL, a database of the local cluster, as the standby serves it.
func (s *Standby) URL(primaryURL string) string { return withHost(primaryURL, s.dir, s.port) }

// Stop shuts the standby down as an administrator would (pg_ctl stop, fast mode): its
// sessions end at once.
func (s *Standby) Stop() error {
	return run(command(s.cred, filepath.Join(s.bin, "pg_ctl"), "-D", s.data(), "-m", "fast", "-w", "stop"))
}

// Remove stops the standby when it runs, drops its slot and deletes its folder.
func (s *Standby) Remove() error {
	var errs []error
	if _, err := os.Stat(filepath.Join(s.data(), "postmaster.pid")); err == nil {
		errs = append(errs, s.Stop())
	}
	errs = append(errs, s.dropSlot(context.Background()), os.RemoveAll(s.dir))
	return errors.Join(errs...)
}

func (s *Standby) dropSlot(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, dbtest.AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", s.slot)
	return err
}

// dirPrefix starts the name of every standby's folder; the name goes on with the test
// process's id, as the slot's does.
const dirPrefix = "storegraph-standby-"

// removeOrphans stops and deletes the standbys of test processes that ended without
// removing them (a test binary that panicked), so that their slots can go.
func removeOrphans(binDir string, cred *syscall.Credential) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		pid, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), dirPrefix), "-")
		if _, err := os.Stat("/proc/" + pid); err == nil || pid == "" {
			continue
		}
		data := filepath.Join(dir, "data")
		if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
			_ = run(command(cred, filepath.Join(binDir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"))
		}
		_ = os.RemoveAll(dir)
	}
}

// dropStaleSlots drops the slots of test standbys whose process is gone, which would keep
// the cluster's WAL forever.
func dropStaleSlots(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, dbtest.AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT slot_name FROM pg_replication_slots WHERE starts_with(slot_name, $1)", slotPrefix)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		pid, _, _ := strings.Cut(strings.TrimPrefix(name, slotPrefix), "_")
		if _, err := os.Stat("/proc/" + pid); err == nil {
			continue
		}
		// Its standby is gone (removeOrphans) or going: wait for its sender to end.
		err := wait(30*time.Second, func() error {
			tag, err := conn.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", name)
			if err != nil || tag.RowsAffected() == 1 {
				return err
			}
			_, err = conn.Exec(ctx, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1", name)
			return errors.Join(err, fmt.Errorf("slot %s is still in use", name))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WaitForDatabase waits until the standby has replayed the creation of primaryURL's
// database and lets the test's role in.
func (s *Standby) WaitForDatabase(ctx context.Context, primaryURL string) error {
	return wait(5*time.Minute, func() error {
		conn, err := pgx.Connect(ctx, s.URL(primaryURL))
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
}
