package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// A root field preloads everything selected below its objects, level by level, one
// statement per relationship and level, and primes the request's loaders with it. The
// relationship fields below then find their values in the loaders' caches instead of
// waiting for a batch window at every level. Anything it cannot load (bad arguments, a
// failed statement) is left to those fields, which load it again and report the error
// in its place.

func preloadStores(ctx context.Context, log *slog.Logger, sel ast.SelectionSet, stores []*catalog.Store) {
	logPreload(ctx, log, preload(ctx, sel, stores))
}

func preloadItems(ctx context.Context, log *slog.Logger, sel ast.SelectionSet, items []*catalog.Item) {
	logPreload(ctx, log, preload(ctx, sel, items))
}

func preloadTags(ctx context.Context, log *slog.Logger, sel ast.SelectionSet, tags []*catalog.Tag) {
	logPreload(ctx, log, preload(ctx, sel, tags))
}

func preload[T catalog.Store | catalog.Item | catalog.Tag](ctx context.Context, sel ast.SelectionSet, rows []*T) error {
	s, err := model.Compile[T](graphql.GetOperationContext(ctx), sel)
	if err != nil {
		return err
	}
	return s.Load(ctx, loader.For(ctx), rows, true)
}

// rootByID answers item(id) or tag(id). When the query selects a list of the row,
// primeWithList reads the row with that list in one statement first; then the levels below
// load as for any root field.
func rootByID[T catalog.Item | catalog.Tag](ctx context.Context, log *slog.Logger, id catalog.ID, b *loader.Batch[*T], notFound error,
	primeWithList func(context.Context, catalog.ID, catalog.ListArgs) error) (*T, error) {
	sel, err := model.Compile[T](graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections)
	if err == nil {
		if args, ok := sel.FirstList(); ok {
			logPreload(ctx, log, primeWithList(ctx, id, args))
		}
	}
	row, lerr := byID(ctx, id, b, notFound)
	if lerr != nil {
		return nil, lerr
	}
	if err == nil {
		err = sel.Load(ctx, loader.For(ctx), []*T{row}, true)
	}
	logPreload(ctx, log, err)
	return row, nil
}

func logPreload(ctx context.Context, log *slog.Logger, err error) {
	if err != nil {
		log.DebugContext(ctx, "preload stopped; fields will load on their own", "err", err)
	}
}

// preloadConnection preloads below the nodes of the connection being resolved, selected as
// nodes or as edges { node }.
func preloadConnection(ctx context.Context, edgeType string, preload func(ast.SelectionSet)) {
	op := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "nodes":
			preload(f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(op, f.Selections, []string{edgeType}) {
				if e.Name == "node" {
					preload(e.Selections)
				}
			}
		}
	}
}
