// Package dbtest gives each test its own PostgreSQL database, cloned from a template that
// holds the migrated schema, so tests run in parallel and in any order.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/storegraph/storegraph/internal/database"
	"github.com/storegraph/storegraph/internal/database/migrations"
)

// AdminURL is the database tests connect to for creating and dropping their own:
// TEST_DATABASE_URL, else the local socket as the current OS user.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres:///postgres"
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	createMu     sync.Mutex // CREATE DATABASE ... TEMPLATE refuses to copy a template in use
)

// New creates an empty, migrated database for t, drops it when t ends, and returns its URL.
func New(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		t.Fatalf("dbtest: template database: %v", templateErr)
	}
	name := "sgtest_" + randomHex(6)
	createMu.Lock()
	err := exec(ctx, AdminURL(), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName))
	createMu.Unlock()
	if err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(context.Background(), AdminURL(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// Missing returns the URL of a database that does not exist yet, for t to create, and
// drops it when t ends.
func Missing(t testing.TB) string {
	t.Helper()
	name := "sgtest_" + randomHex(6)
	t.Cleanup(func() {
		if err := exec(context.Background(), AdminURL(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// ensureTemplate makes the template database for the current migrations once; its name
// carries a hash of them, so a changed migration gets a fresh template.
func ensureTemplate(ctx context.Context) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := migrations.Files.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, _ = io.WriteString(h, path)
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", err
	}
	name := "sgtest_template_" + hex.EncodeToString(h.Sum(nil))[:12]

	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w (is PostgreSQL running? `make db` starts it)", AdminURL(), err)
	}
	defer admin.Close(ctx)
	// Test binaries of several packages start at once; one of them builds the template.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7413)"); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(7413)") //nolint:errcheck

	var ready bool
	err = admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready)
	if err != nil || ready {
		return name, err
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	db, err := database.Open(withDatabase(AdminURL(), name), database.Options{MaxConns: 2})
	if err != nil {
		return "", err
	}
	err = database.Migrate(ctx, db, slog.New(slog.DiscardHandler))
	_ = db.Close()
	if err != nil {
		return "", err
	}
	// Marked only once complete, so a half-made template is never used.
	_, err = admin.Exec(ctx, "ALTER DATABASE "+name+" WITH is_template true")
	return name, err
}

func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns url with its database replaced by name.
func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// WithHost returns the database URL raw with its host and port replaced: host is a socket
// folder when it starts with /, else a TCP host.
func WithHost(raw, host string, port int) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	if strings.HasPrefix(host, "/") {
		u.Host = ""
		q.Set("host", host)
		q.Set("port", strconv.Itoa(port))
	} else {
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
		q.Del("host")
		q.Del("port")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
