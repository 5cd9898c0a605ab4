package httpserver

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

type overGETKey struct{}

// overGET marks a GET request; GETQueriesOnly sets refused when the operation is not a query.
type overGET struct{ refused bool }

const onlyQueriesOverGET = "Only queries can be sent over GET; send mutations with POST."

// QueriesOnlyOverGET refuses, with 405 and a coded GraphQL error, a mutation sent over GET:
// it marks the request for GETQueriesOnly, which sees the operation once gqlgen has parsed
// the document (so the URL's is parsed once, after the size and trusted-document checks).
// GET is for queries only, so that a link or an image tag cannot change anything.
func QueriesOnlyOverGET(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A WebSocket upgrade is a GET too; what runs over the socket is checked there.
		if r.Method == http.MethodGet && !IsUpgrade(r) {
			mark := &overGET{}
			r = r.WithContext(context.WithValue(r.Context(), overGETKey{}, mark))
			// The transport answers GETQueriesOnly's refusal with 200 or 400; it gets 405.
			w = &getStatusWriter{ResponseWriter: w, mark: mark}
		}
		next.ServeHTTP(w, r)
	})
}

// getStatusWriter turns the status of a GET that GETQueriesOnly refused into 405.
type getStatusWriter struct {
	http.ResponseWriter
	mark        *overGET
	wroteHeader bool
}

func (w *getStatusWriter) WriteHeader(status int) {
	if !w.wroteHeader && w.mark.refused {
		w.Header().Set("Allow", "POST")
		status = http.StatusMethodNotAllowed
	}
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *getStatusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *getStatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// GETQueriesOnly is the gqlgen extension that refuses, with a coded error, a mutation over
// a GET that QueriesOnlyOverGET marked, whether the URL holds it or a persisted-query hash
// stands for it.
type GETQueriesOnly struct{}

var (
	_ graphql.HandlerExtension        = GETQueriesOnly{}
	_ graphql.OperationContextMutator = GETQueriesOnly{}
)

// ExtensionName implements graphql.HandlerExtension.
func (GETQueriesOnly) ExtensionName() string { return "GETQueriesOnly" }

// Validate implements graphql.HandlerExtension.
func (GETQueriesOnly) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (GETQueriesOnly) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if mark, _ := ctx.Value(overGETKey{}).(*overGET); mark != nil && rc.Operation != nil && rc.Operation.Operation != ast.Query {
		mark.refused = true
		return &gqlerror.Error{Message: onlyQueriesOverGET, Extensions: map[string]any{"code": CodeBadRequest}}
	}
	return nil
}
