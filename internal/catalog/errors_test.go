package catalog_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/storegraph/storegraph/internal/catalog"
)

func TestErrorCodeAndMessage(t *testing.T) {
	t.Parallel()
	domain := catalog.Errorf(catalog.Conflict, "A store named %q already exists.", "Corner")
	tests := []struct {
		name        string
		err         error
		wantCode    catalog.Code
		wantMessage string
	}{
		{"Domain", domain, catalog.Conflict, `A store named "Corner" already exists.`},
		{"WrappedDomain", fmt.Errorf("create store: %w", domain), catalog.Conflict, `A store named "Corner" already exists.`},
		{"TwiceWrapped", fmt.Errorf("x: %w", fmt.Errorf("y: %w", catalog.ErrNoItem)), catalog.NotFound, "No item has that id."},
		{"Joined", errors.Join(errors.New("driver"), catalog.ErrNoTag), catalog.NotFound, "No tag has that id."},
		{"Plain", errors.New(`pq: relation "items" does not exist`), catalog.Internal, catalog.InternalMessage},
		{"WrappedPlain", fmt.Errorf("x: %w", errors.New("connection refused")), catalog.Internal, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := catalog.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode(%v) = %q; want %q", tt.err, got, tt.wantCode)
			}
			if got := catalog.ErrorMessage(tt.err); got != tt.wantMessage {
				t.Errorf("ErrorMessage(%v) = %q; want %q", tt.err, got, tt.wantMessage)
			}
		})
	}
}

func TestErrorErrorNamesCodeAndMessage(t *testing.T) {
	t.Parallel()
	err := catalog.Errorf(catalog.BadUserInput, "first cannot be %s.", "negative")
	if got, want := err.Error(), "BAD_USER_INPUT: first cannot be negative."; got != want {
		t.Errorf("Errorf(BadUserInput, ...).Error() = %q; want %q", got, want)
	}
}
