package httpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/storegraph/storegraph/internal/catalog"
)

// ErrBusy refuses a request that found no slot under InFlight's limit in time.
var ErrBusy = catalog.Errorf(catalog.Unavailable, "This server is answering as many requests as it may at once; try again in a moment.")

// InFlight bounds the requests running at once. Each may read QUERY_MAX_ROWS rows and
// write QUERY_MAX_RESPONSE_BYTES, so this bounds what they hold together, however many
// clients send them, over HTTP or over their sockets.
type InFlight struct {
	slots chan struct{}
	wait  time.Duration
}

// NewInFlight lets max requests run at once; one past it waits up to wait for a slot.
func NewInFlight(max int, wait time.Duration) *InFlight {
	return &InFlight{slots: make(chan struct{}, max), wait: wait}
}

// Enter takes a slot, waiting up to the wait for one; leave gives it back. Without a slot
// in time it is ErrBusy, or ctx's error once ctx ends.
func (f *InFlight) Enter(ctx context.Context) (leave func(), err error) {
	leave = func() { <-f.slots }
	select {
	case f.slots <- struct{}{}:
		return leave, nil
	default:
	}
	t := time.NewTimer(f.wait)
	defer t.Stop()
	select {
	case f.slots <- struct{}{}:
		return leave, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Limit runs each request of next in a slot; one that finds none in time gets 503 with
// SERVICE_UNAVAILABLE and Retry-After. Streams, which last as long as their clients want,
// have limits of their own, and the operations sent over a socket take a slot each.
func (f *InFlight) Limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		leave, err := f.Enter(r.Context())
		if err != nil {
			if err == ErrBusy {
				w.Header().Set("Retry-After", "1")
				writeError(w, r, http.StatusServiceUnavailable, string(ErrBusy.Code), ErrBusy.Message)
			}
			return
		}
		defer leave()
		next.ServeHTTP(w, r)
	})
}
