package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/storegraph/storegraph/internal/replica"
)

// CodeBadRequest is the extensions.code of a request refused before GraphQL sees it.
const CodeBadRequest = "BAD_REQUEST"

// ReadBody reads a request's body into memory, so that nothing past it reads an unbounded
// body: 413 when it is larger than max bytes. A POST body must be one JSON request object;
// anything else gqlgen would answer as an internal error and log whole, passwords and all.
func ReadBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			writeError(w, r, http.StatusRequestEntityTooLarge, CodeBadRequest,
				fmt.Sprintf("The request body is larger than the limit of %d bytes.", max))
		}
		if r.ContentLength > max {
			tooLarge()
			return
		}
		var body []byte
		if r.Body != nil && r.Body != http.NoBody {
			var err error
			body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				tooLarge()
				return
			case err != nil:
				writeError(w, r, http.StatusBadRequest, CodeBadRequest, "The request body could not be read.")
				return
			}
			r.Body = &readBody{Reader: bytes.NewReader(body)}
		}
		if r.Method == http.MethodPost {
			req, msg := checkRequestBody(body)
			if msg != "" {
				writeError(w, r, http.StatusBadRequest, CodeBadRequest, msg)
				return
			}
			if rb, ok := r.Body.(*readBody); ok {
				rb.request = req
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Deadline gives each request at most d. The context reaches Bun and pgx, which cancel a
// statement still running when it ends. A WebSocket or an event stream lasts as long as its
// client wants instead: the operations over it get their deadlines in GraphQL, each of its
// writes gets at most streamWrite (see streamWriter), and so does what it sent to be
// acknowledged (see dropUnacknowledged).
func Deadline(d, streamWrite time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			keepOpen(w)
			sw := newStreamWriter(w, streamWrite)
			undo := dropUnacknowledged(r, streamWrite)
			defer func() {
				// A connection taken over ends with its socket, which may be after this
				// handler has returned; any other, an event stream's or a refused upgrade's,
				// may serve other requests.
				if !sw.end() {
					undo()
				}
			}()
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), streamKey{}, true)))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// preflightHeaders are headers a browser sends cross-site only after a CORS preflight, which
// only the allowed origins pass. Apollo clients send them.
var preflightHeaders = []string{"X-Apollo-Operation-Name", "Apollo-Require-Preflight"}

// PreventCSRF refuses a POST that a page of any origin could make a browser send without a
// CORS preflight: one without a JSON content type (a form or text/plain) and without a
// header from preflightHeaders. Such a request would carry the browser's cookies and
// could change data; a JSON body or such a header forces the preflight.
func PreventCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case mediaType == "application/json":
		case mediaType == "application/graphql-response+json":
			// Still a JSON body, which gqlgen's POST transport reads only as application/json.
			r = r.Clone(r.Context())
			r.Header.Set("Content-Type", "application/json")
		case hasPreflightHeader(r):
			writeError(w, r, http.StatusUnsupportedMediaType, CodeBadRequest,
				"Send the request body as JSON, with Content-Type: application/json.")
			return
		default:
			writeError(w, r, http.StatusBadRequest, CodeBadRequest,
				"This request has been blocked as a possible cross-site request forgery: send it with Content-Type: application/json, or with an Apollo-Require-Preflight header.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hasPreflightHeader(r *http.Request) bool {
	for _, h := range preflightHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

// writeError answers with a GraphQL-shaped error, as gqlgen would, and hands its code to the
// request's log line and metrics.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.addLocked(code)
		info.mu.Unlock()
	}
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	errs := []gqlError{{Message: message, Extensions: map[string]string{"code": code}}}
	media, ok := responseMediaType(r)
	if !ok {
		media = mediaJSON
	}
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	if media == mediaGraphQLResponse {
		// Nothing ran, so there is no data entry.
		_ = json.NewEncoder(w).Encode(struct {
			Errors []gqlError `json:"errors"`
		}{errs})
		return
	}
	_ = json.NewEncoder(w).Encode(struct {
		Errors []gqlError `json:"errors"`
		Data   any        `json:"data"`
	}{Errors: errs})
}

// WellFormed refuses, with a coded error, a /graphql request that gqlgen's transports would
// refuse with an uncoded one: a method other than GET, POST and OPTIONS, and GET parameters
// variables or extensions that are not JSON objects. ReadBody checks POST bodies.
func WellFormed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			for _, p := range []string{"variables", "extensions"} {
				if v := q.Get(p); v != "" && !isJSONObject([]byte(v)) {
					writeError(w, r, http.StatusBadRequest, CodeBadRequest,
						fmt.Sprintf("The %s parameter must be a JSON object.", p))
					return
				}
			}
			// A WebSocket upgrade carries its operations over the socket, not in the URL.
			if !IsUpgrade(r) && !q.Has("query") && q.Get("documentId") == "" && !namesDocument(json.RawMessage(q.Get("extensions"))) {
				writeError(w, r, http.StatusBadRequest, CodeBadRequest, noQuery)
				return
			}
		case http.MethodPost, http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeError(w, r, http.StatusMethodNotAllowed, CodeBadRequest,
				"Send GraphQL requests with POST, or queries with GET.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readBody is a request body ReadBody has read; for a POST, with the request it checked
// the body holds, which the transport takes rather than decoding the body a second time.
type readBody struct {
	*bytes.Reader
	request *bodyRequest
}

func (*readBody) Close() error { return nil }

// bodyRequest is a POST body's GraphQL request, its variables and extensions as sent.
type bodyRequest struct {
	Query         *string         `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
	DocumentID    string          `json:"documentId"`
}

// checkRequestBody reads a POST body as one request object, or says what is wrong with it.
func checkRequestBody(body []byte) (*bodyRequest, string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return nil, "Batched requests are not supported: send one operation per request."
	}
	var req bodyRequest
	var syntax *json.SyntaxError
	switch err := json.Unmarshal(body, &req); {
	case errors.As(err, &syntax):
		return nil, fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntax.Offset)
	case err != nil || !objectOrNull(req.Variables) || !objectOrNull(req.Extensions):
		return nil, "The request body must be a JSON object {query, variables, operationName}: query and operationName strings, variables and extensions objects."
	case req.Query == nil && req.DocumentID == "" && !namesDocument(req.Extensions):
		return nil, noQuery
	}
	return &req, ""
}

// noQuery refuses a request with neither a query nor a persisted document's id: it is no
// GraphQL request at all, so it gets 400 whatever the response's media type.
const noQuery = "The request has no query: send the GraphQL document as query."

// namesDocument reports whether a request's extensions name a document in place of the
// query: an automatic persisted query's hash.
func namesDocument(extensions json.RawMessage) bool {
	var ext struct {
		PersistedQuery json.RawMessage `json:"persistedQuery"`
	}
	return json.Unmarshal(extensions, &ext) == nil && len(ext.PersistedQuery) > 0 && string(ext.PersistedQuery) != "null"
}

// objectOrNull reports whether v, valid JSON, is an object, null or absent.
func objectOrNull(v json.RawMessage) bool {
	return len(v) == 0 || v[0] == '{' || string(v) == "null"
}

func isJSONObject(b []byte) bool {
	var m map[string]any
	return json.Unmarshal(b, &m) == nil
}

// ReadAfter reads the WAL position a client has seen from replica.Header, so that the
// request's reads go to a replica only once it has replayed that far; a header that is no
// position is refused.
func ReadAfter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var after replica.LSN
		if v := r.Header.Get(replica.Header); v != "" {
			lsn, err := replica.ParseLSN(v)
			if err != nil {
				writeError(w, r, http.StatusBadRequest, CodeBadRequest,
					"The "+replica.Header+" header must be a WAL position as a mutation's response gives it, such as 16/B374D848.")
				return
			}
			after = lsn
		}
		next.ServeHTTP(w, r.WithContext(replica.WithRequest(r.Context(), after, w.Header())))
	})
}
