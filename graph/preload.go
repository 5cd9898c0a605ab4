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

// compileConnection compiles what fields, the connection's collected fields, select below
// its rows, as nodes or as edges, by the fields' aliases. A selection that does not compile
// is left out: its field compiles it again and reports the error in its place.
func compileConnection[T catalog.Store | catalog.Item | catalog.Tag](ctx context.Context, fields []graphql.CollectedField) map[string]*model.Selection[T] {
	op := graphql.GetOperationContext(ctx)
	sels := make(map[string]*model.Selection[T])
	for _, f := range fields {
		var sel *model.Selection[T]
		var err error
		switch f.Name {
		case "nodes":
			sel, err = model.Compile[T](op, f.Selections)
		case "edges":
			sel, err = model.CompileEdges[T](op, f.Selections)
		default:
			continue
		}
		if err == nil {
			sels[f.Alias] = sel
		}
	}
	return sels
}

// preloadConnection loads sels (from compileConnection) below rows at once, and returns the
// ones that loaded, for the connection's lists to write as they are; the others load again
// in their fields, which report the error.
func preloadConnection[T catalog.Store | catalog.Item | catalog.Tag](ctx context.Context, log *slog.Logger, sels map[string]*model.Selection[T], rows []*T) map[string]*model.Selection[T] {
	for alias, sel := range sels {
		if err := sel.Load(ctx, loader.For(ctx), rows, true); err != nil {
			logPreload(ctx, log, err)
			delete(sels, alias)
		}
	}
	return sels
}
