package httpserver

import (
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// QueriesOnlyOverGET refuses a mutation sent over GET with a coded GraphQL error. gqlgen's GET
// transport refuses it too, but without extensions.code, which every error carries here.
// GET is for queries only, so that a link or an image tag cannot change anything.
func QueriesOnlyOverGET(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			if doc, err := parser.ParseQuery(&ast.Source{Input: q.Get("query")}); err == nil {
				if op := doc.Operations.ForName(q.Get("operationName")); op != nil && op.Operation != ast.Query {
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("Allow", "POST")
					w.WriteHeader(http.StatusMethodNotAllowed)
					_, _ = w.Write([]byte(`{"errors":[{"message":"Only queries can be sent over GET; send mutations with POST.","extensions":{"code":"BAD_REQUEST"}}],"data":null}` + "\n"))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
