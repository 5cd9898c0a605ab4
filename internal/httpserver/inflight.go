package httpserver

import (
	"net/http"
	"time"
)

// LimitInFlight lets at most max requests run at once. A request past it waits up to wait
// for one to end, then gets 503 with SERVICE_UNAVAILABLE and Retry-After. Each request may
// read QUERY_MAX_ROWS rows and write QUERY_MAX_RESPONSE_BYTES, so this bounds what the
// requests running at once hold, however many clients send them. Streams, which last as
// long as their clients want, have limits of their own.
func LimitInFlight(max int, wait time.Duration, next http.Handler) http.Handler {
	slots := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			t := time.NewTimer(wait)
			select {
			case slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", "1")
				writeError(w, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE",
					"This server is answering as many requests as it may at once; try again in a moment.")
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}
