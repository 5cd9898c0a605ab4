package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
	"github.com/storegraph/storegraph/internal/store"
)

// A root field preloads everything selected below its objects, level by level, one
// statement per relationship and level, and primes the request's loaders with it. The
// relationship fields below then find their values in the loaders' caches instead of
// waiting for a batch window at every level. Anything it cannot load (bad arguments, a
// failed statement) is left to those fields, which load it again and report the error
// in its place.

func preloadStores(ctx context.Context, log *slog.Logger, sel ast.SelectionSet, stores []*catalog.Store) {
	s, err := model.Compile(graphql.GetOperationContext(ctx), sel, "Store")
	if err == nil {
		err = s.LoadStores(ctx, loader.For(ctx), stores, true)
	}
	logPreload(ctx, log, err)
}

func preloadItems(ctx context.Context, log *slog.Logger, sel ast.SelectionSet, items []*catalog.Item) {
	s, err := model.Compile(graphql.GetOperationContext(ctx), sel, "Item")
	if err == nil {
		err = s.LoadItems(ctx, loader.For(ctx), items, true)
	}
	logPreload(ctx, log, err)
}

func preloadTags(ctx context.Context, log *slog.Logger, sel ast.SelectionSet, tags []*catalog.Tag) {
	s, err := model.Compile(graphql.GetOperationContext(ctx), sel, "Tag")
	if err == nil {
		err = s.LoadTags(ctx, loader.For(ctx), tags, true)
	}
	logPreload(ctx, log, err)
}

// itemByID answers item(id). When the query selects the item's tags, one statement reads
// the item with its first tags list and primes both loaders; then the levels below load as
// for any root field.
func itemByID(ctx context.Context, log *slog.Logger, data *store.Store, id string) (*catalog.Item, error) {
	l := loader.For(ctx)
	sel, err := model.Compile(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections, "Item")
	if parsed, perr := catalog.ParseID(id); perr == nil && err == nil {
		if args, ok := sel.FirstList(); ok {
			items, tags, err := data.ItemWithTags(ctx, parsed, args)
			if err == nil {
				l.Item.Seed(ctx, byRowID(items, itemID))
				l.TagsOfItem(args).Seed(ctx, tags)
			}
			logPreload(ctx, log, err)
		}
	}
	row, lerr := byID(ctx, id, l.Item, catalog.ErrNoItem)
	if lerr != nil {
		return nil, lerr
	}
	if err == nil {
		err = sel.LoadItems(ctx, l, []*catalog.Item{row}, true)
	}
	logPreload(ctx, log, err)
	return row, nil
}

// tagByID answers tag(id) as itemByID answers item(id), with the tag's items.
func tagByID(ctx context.Context, log *slog.Logger, data *store.Store, id string) (*catalog.Tag, error) {
	l := loader.For(ctx)
	sel, err := model.Compile(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections, "Tag")
	if parsed, perr := catalog.ParseID(id); perr == nil && err == nil {
		if args, ok := sel.FirstList(); ok {
			tags, items, err := data.TagWithItems(ctx, parsed, args)
			if err == nil {
				l.Tag.Seed(ctx, byRowID(tags, tagID))
				l.ItemsOfTag(args).Seed(ctx, items)
			}
			logPreload(ctx, log, err)
		}
	}
	row, lerr := byID(ctx, id, l.Tag, catalog.ErrNoTag)
	if lerr != nil {
		return nil, lerr
	}
	if err == nil {
		err = sel.LoadTags(ctx, l, []*catalog.Tag{row}, true)
	}
	logPreload(ctx, log, err)
	return row, nil
}

func byRowID[T any](rows []*T, id func(*T) catalog.ID) map[catalog.ID]*T {
	m := make(map[catalog.ID]*T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
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
