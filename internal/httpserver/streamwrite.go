package httpserver

import (
	"errors"
	"net/http"
	"sync"
)

// streamWriter is a stream's ResponseWriter, which refuses writes once its request has
// ended: gqlgen's event stream pings from a goroutine of its own, which can fall due as
// the stream ends, and net/http's writer crashes the process when used after its handler
// has returned.
type streamWriter struct {
	http.ResponseWriter
	rc *http.ResponseController

	mu    sync.Mutex // held by a write, so that end waits for it
	ended bool
}

// errStreamEnded is what a write to a stream whose request has ended returns.
var errStreamEnded = errors.New("the stream has ended")

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	return &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return 0, errStreamEnded
	}
	return w.ResponseWriter.Write(p)
}

// Flush sends what was written so far; event streams need it.
func (w *streamWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return
	}
	_ = w.rc.Flush()
}

// end is called as the stream's handler returns; no write reaches the response after it.
func (w *streamWriter) end() {
	w.mu.Lock()
	w.ended = true
	w.mu.Unlock()
}

func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
