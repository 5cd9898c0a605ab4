// Package database opens storegraph's PostgreSQL database through Bun and keeps its schema
// current: it creates the database when it is missing and applies the embedded migrations.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database/migrations"
)

// Options tune the connection pool.
type Options struct {
	MaxConns         int           // open connections at most
	StatementTimeout time.Duration // server-side limit on one statement; 0 for none
}

// Open connects to the database at url (a libpq-style URL) and returns a Bun handle with
// the catalog's models registered. It does not wait for the server to answer.
func Open(url string, opts Options, hooks ...bun.QueryHook) (*bun.DB, error) {
	cfg, err := connConfig(url)
	if err != nil {
		return nil, err
	}
	// JIT compiles plans for the large batched statements and costs more than it saves on them.
	cfg.RuntimeParams["jit"] = "off"
	if opts.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(opts.StatementTimeout.Milliseconds())
	}
	sqldb := stdlib.OpenDB(*cfg)
	if opts.MaxConns > 0 {
		sqldb.SetMaxOpenConns(opts.MaxConns)
		sqldb.SetMaxIdleConns(opts.MaxConns)
	}
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	// Connections are renewed now and then, so a failover that moves the server's address
	// is followed without a restart.
	sqldb.SetConnMaxLifetime(30 * time.Minute)

	db := bun.NewDB(sqldb, pgdialect.New())
	db.RegisterModel(catalog.Models()...)
	for _, h := range hooks {
		db.AddQueryHook(h)
	}
	return db, nil
}

// DefaultConnectTimeout bounds opening one connection when DATABASE_URL has no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

func connConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	// Bun writes every value into the statement text, so there is nothing to prepare:
	// the simple protocol costs one round trip and fills no statement cache.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if cfg.ConnectTimeout == 0 {
		// Without a bound, a request waits as long as the network takes to give up on an
		// unreachable server; connect_timeout in the URL overrides it.
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

// Name is the database url names, or "" when it names none.
func Name(url string) string {
	cfg, err := connConfig(url)
	if err != nil {
		return ""
	}
	return cfg.Database
}

// EnsureExists creates the database named in url when it is missing, connecting to the
// server's "postgres" database to do it.
func EnsureExists(ctx context.Context, url string, log *slog.Logger) error {
	cfg, err := connConfig(url)
	if err != nil {
		return err
	}
	name := cfg.Database
	if name == "" {
		return errors.New("DATABASE_URL names no database")
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		// Without the maintenance database, the target may still exist; let Open find out.
		log.WarnContext(ctx, "cannot reach the postgres database to check for "+name, "err", err)
		return nil
	}
	defer conn.Close(ctx)

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	// Another replica created it first: 42P04 once it exists, 23505 while both create it.
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505" && pgErr.ConstraintName == "pg_database_datname_index") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	log.InfoContext(ctx, "created database", "database", name)
	return nil
}

// migrationLockKey names the advisory lock that serializes migrations across replicas.
const migrationLockKey = 0x5707e6a9

// Migrate applies the migrations that have not run yet. Replicas starting together take
// turns through a PostgreSQL advisory lock, which, unlike a lock row, goes away with a
// process that dies mid-way.
func Migrate(ctx context.Context, db *bun.DB, log *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx is already cancelled.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey)
	}()

	m := migrate.NewMigrator(db, migrations.Migrations, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate: init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if group.IsZero() {
		log.InfoContext(ctx, "database schema is up to date")
		return nil
	}
	log.InfoContext(ctx, "applied migrations", "group", group.ID, "migrations", group.Migrations.String())
	return nil
}

// Migration is one migration and whether it has been applied.
type Migration struct {
	Name      string // its file name's prefix, e.g. 20261125000001_core
	Applied   bool
	AppliedAt time.Time // when Applied
}

// Status lists every migration, oldest first, applied or pending. It creates bun/migrate's
// bookkeeping tables when they are missing, as Migrate would.
func Status(ctx context.Context, db *bun.DB) ([]Migration, error) {
	m := migrate.NewMigrator(db, migrations.Migrations)
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migration status: init: %w", err)
	}
	all, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Migration, len(all))
	for i, mg := range all {
		out[i] = Migration{Name: mg.String(), Applied: mg.IsApplied(), AppliedAt: mg.MigratedAt}
	}
	return out, nil
}

// Ping reports whether the database answers.
func Ping(ctx context.Context, db *sql.DB) error { return db.PingContext(ctx) }
