package reference

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/internal/loader"
)

// Handler serves the reference over POST, on the server's resolvers: the same catalog,
// error presenter and panic handler, loaders of its own per request (wait is their batch
// window) and no limits. It reads no access token, so its mutations run signed out.
func Handler(server *graph.Resolver, wait time.Duration) http.Handler {
	gql := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{server: server}}))
	gql.AddTransport(transport.POST{})
	gql.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
			ctx = loader.Fresh(ctx)
		}
		return next(ctx)
	})
	gql.SetErrorPresenter(graph.ErrorPresenter(server.Log))
	gql.SetRecoverFunc(graph.RecoverFunc(server.Log))
	return loader.Middleware(server.Catalog, wait, loader.Limits{}, gql)
}
