package app

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/httpserver"
	"github.com/storegraph/storegraph/internal/querylimit"
)

// useQueryLimits refuses, before any resolver runs, documents over the configured size,
// shape or estimated cost, and serves automatic persisted queries. The order matters: the
// size check runs before a document enters the persisted-query cache, and the bounded
// shape walk before gqlgen's complexity walk, which expands every fragment spread.
func useQueryLimits(gql *handler.Server, cfg config.Config) {
	gql.Use(querylimit.Limits{
		MaxBytes:   cfg.QueryMaxBytes,
		MaxDepth:   cfg.QueryMaxDepth,
		MaxFields:  cfg.QueryMaxFields,
		MaxAliases: cfg.QueryMaxAliases,
	})
	gql.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](cfg.APQCacheSize)}})
	gql.Use(extension.FixedComplexityLimit(cfg.QueryMaxCost))
	if !cfg.Introspection {
		gql.Use(querylimit.NoIntrospection{})
	}
}

// persistedQueries is gqlgen's automatic persisted queries, with a code on the refusals it
// leaves uncoded (a hash that does not match its query, a bad extension), which would
// otherwise read as internal errors.
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, params)
	if err != nil && err.Extensions["code"] == nil {
		errcode.Set(err, httpserver.CodeBadRequest)
	}
	return err
}

// requestLimits wraps the GraphQL endpoint: CSRF check, body size and shape, method and GET
// parameters, then the deadline.
func requestLimits(cfg config.Config, next http.Handler) http.Handler {
	return httpserver.PreventCSRF(httpserver.ReadBody(int64(cfg.MaxBodyBytes),
		httpserver.WellFormed(httpserver.Deadline(cfg.RequestTimeout, next))))
}
