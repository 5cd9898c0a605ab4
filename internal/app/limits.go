package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/config"
	"github.com/storegraph/storegraph/internal/httpserver"
	"github.com/storegraph/storegraph/internal/querylimit"
	"github.com/storegraph/storegraph/internal/trusted"
)

// useQueryLimits refuses, before any resolver runs, documents over the configured size,
// shape or estimated cost, and serves automatic persisted queries. The order matters: the
// size and shape checks run before a document is validated or enters the persisted-query
// cache, and the cost, which needs a validated document, after.
//
// With trusted documents, only those run (or the others are logged): their check comes
// first, and each document is measured against the same limits here, so that one over
// them stops the start rather than failing every request for it.
func useQueryLimits(ctx context.Context, gql *handler.Server, cfg config.Config, trust *trusted.Extension) error {
	docs := lru.New[*ast.QueryDocument](1000)
	gql.SetQueryCache(docs)
	gql.SetValidationRulesFn(querylimit.ValidationRules(maxValidationErrors))
	if trust != nil {
		gql.Use(trust)
	}
	limits := querylimit.Limits{
		MaxBytes:   cfg.QueryMaxBytes,
		MaxDepth:   cfg.QueryMaxDepth,
		MaxFields:  cfg.QueryMaxFields,
		MaxAliases: cfg.QueryMaxAliases,
		Known:      docs,
	}
	gql.Use(limits)
	gql.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](cfg.APQCacheSize)}})
	cost := &querylimit.Cost{Max: cfg.QueryMaxCost}
	gql.Use(cost)
	if !cfg.Introspection {
		gql.Use(querylimit.NoIntrospection{})
	}
	if trust != nil {
		for _, d := range trust.Documents.All() {
			if err := querylimit.CheckDocument(ctx, limits, cost, d.Body); err != nil {
				return fmt.Errorf("TRUSTED_DOCUMENTS: document %s: %s", d, err.Message)
			}
		}
	}
	return nil
}

// maxValidationErrors is how many validation errors one document gets at most; a client
// fixes the first few before the rest matter.
const maxValidationErrors = 20

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

// requestLimits wraps the GraphQL endpoint: CSRF check, WebSocket origin, body size and
// shape, method and GET parameters, then the deadline.
func requestLimits(cfg config.Config, inFlight *httpserver.InFlight, next http.Handler) http.Handler {
	return httpserver.PreventCSRF(httpserver.CheckOrigin(cfg.CORSAllowedOrigins, httpserver.ReadBody(int64(cfg.MaxBodyBytes),
		httpserver.WellFormed(inFlight.Limit(httpserver.Deadline(cfg.RequestTimeout, cfg.StreamWriteTimeout, next))))))
}
