package database_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database"
)

func TestUnavailable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"server starting up", fmt.Errorf("list stores: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"connection closed mid-statement", fmt.Errorf("list stores: %w", io.ErrUnexpectedEOF), true},
		{"refused", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED}, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"bad connection", driver.ErrBadConn, true},
		{"closed connection", pgconn.ErrConnClosed, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false},
		{"request cancelled", fmt.Errorf("list stores: %w", context.Canceled), false},
		{"request deadline", &net.OpError{Op: "read", Err: context.DeadlineExceeded}, false},
		{"domain error", catalog.ErrNoStore, false},
		{"other", errors.New("something else"), false},
		{"none", nil, false},
	} {
		if got := database.Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%s: %v) = %v; want %v", c.name, c.err, got, c.want)
		}
	}
}
