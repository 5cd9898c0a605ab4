package graph

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// prefetcher walks the selection below a root field and loads each relationship level for
// all its parents in one statement, priming the request's loaders. The field resolvers then
// find their values in the loaders' caches instead of waiting for a batch window at every
// level. Anything it cannot prefetch (bad arguments, a failed statement) is left to the
// resolvers, which load it and report the error.
type prefetcher struct {
	ctx context.Context
	op  *graphql.OperationContext
	l   *loader.Loaders
	log *slog.Logger
}

func newPrefetcher(ctx context.Context, log *slog.Logger) prefetcher {
	return prefetcher{ctx: ctx, op: graphql.GetOperationContext(ctx), l: loader.For(ctx), log: log}
}

// connection prefetches below the nodes of the connection being resolved: its nodes and
// edges.node fields.
func (p prefetcher) connection(edgeType string, walk func(ast.SelectionSet)) {
	for _, f := range graphql.CollectFieldsCtx(p.ctx, nil) {
		switch f.Name {
		case "nodes":
			walk(f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(p.op, f.Selections, []string{edgeType}) {
				if e.Name == "node" {
					walk(e.Selections)
				}
			}
		}
	}
}

// current returns the selection of the field being resolved.
func (p prefetcher) current() ast.SelectionSet {
	return graphql.GetFieldContext(p.ctx).Field.Selections
}

func (p prefetcher) stores(sel ast.SelectionSet, stores []*catalog.Store) {
	if len(stores) == 0 {
		return
	}
	parents := ids(stores, storeID)
	for _, f := range graphql.CollectFields(p.op, sel, []string{"Store"}) {
		switch f.Name {
		case "items":
			if a, ok := p.listArgs(f, itemOrderArg); ok {
				if lists, err := p.l.ItemsOfStore(a).Prefetch(p.ctx, parents); p.ok(err) {
					p.items(f.Selections, flatten(lists))
				}
			}
		case "tags":
			if a, ok := p.listArgs(f, tagOrderArg); ok {
				if lists, err := p.l.TagsOfStore(a).Prefetch(p.ctx, parents); p.ok(err) {
					p.tags(f.Selections, flatten(lists))
				}
			}
		case "itemCount":
			_, err := p.l.ItemCountOfStore.Prefetch(p.ctx, parents)
			p.ok(err)
		case "tagCount":
			_, err := p.l.TagCountOfStore.Prefetch(p.ctx, parents)
			p.ok(err)
		}
	}
}

func (p prefetcher) items(sel ast.SelectionSet, items []*catalog.Item) {
	if len(items) == 0 {
		return
	}
	parents := ids(items, itemID)
	for _, f := range graphql.CollectFields(p.op, sel, []string{"Item"}) {
		switch f.Name {
		case "store":
			if stores, err := p.l.Store.Prefetch(p.ctx, ids(items, itemStoreID)); p.ok(err) {
				p.stores(f.Selections, stores)
			}
		case "tags":
			if a, ok := p.listArgs(f, tagOrderArg); ok {
				if lists, err := p.l.TagsOfItem(a).Prefetch(p.ctx, parents); p.ok(err) {
					p.tags(f.Selections, flatten(lists))
				}
			}
		case "tagCount":
			_, err := p.l.TagCountOfItem.Prefetch(p.ctx, parents)
			p.ok(err)
		}
	}
}

func (p prefetcher) tags(sel ast.SelectionSet, tags []*catalog.Tag) {
	if len(tags) == 0 {
		return
	}
	parents := ids(tags, tagID)
	for _, f := range graphql.CollectFields(p.op, sel, []string{"Tag"}) {
		switch f.Name {
		case "store":
			if stores, err := p.l.Store.Prefetch(p.ctx, ids(tags, tagStoreID)); p.ok(err) {
				p.stores(f.Selections, stores)
			}
		case "items":
			if a, ok := p.listArgs(f, itemOrderArg); ok {
				if lists, err := p.l.ItemsOfTag(a).Prefetch(p.ctx, parents); p.ok(err) {
					p.items(f.Selections, flatten(lists))
				}
			}
		case "itemCount":
			_, err := p.l.ItemCountOfTag.Prefetch(p.ctx, parents)
			p.ok(err)
		}
	}
}

// flatten joins the per-parent lists of one level into the parents of the next.
func flatten[T any](lists [][]*T) []*T {
	var out []*T
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// ok logs a failed prefetch, which stops the walk below it: the resolvers load those
// values again and report the error to the client.
func (p prefetcher) ok(err error) bool {
	if err != nil {
		p.log.WarnContext(p.ctx, "prefetch failed", "err", err)
		return false
	}
	return true
}

type orderArg func(string) (catalog.Order, bool)

func itemOrderArg(s string) (catalog.Order, bool) {
	switch s {
	case "ID":
		return catalog.ByID, true
	case "NAME":
		return catalog.ByName, true
	case "PRICE":
		return catalog.ByPrice, true
	}
	return 0, false
}

func tagOrderArg(s string) (catalog.Order, bool) {
	switch s {
	case "ID":
		return catalog.ByID, true
	case "NAME":
		return catalog.ByName, true
	}
	return 0, false
}

// listArgs reads first, offset and orderBy of a relationship field as the resolver will
// see them; ok is false when they are not valid, which the resolver reports.
func (p prefetcher) listArgs(f graphql.CollectedField, order orderArg) (catalog.ListArgs, bool) {
	m := f.ArgumentMap(p.op.Variables)
	var first, offset *int
	if v := m["first"]; v != nil {
		n, ok := toInt(v)
		if !ok {
			return catalog.ListArgs{}, false
		}
		first = &n
	}
	if v := m["offset"]; v != nil {
		n, ok := toInt(v)
		if !ok {
			return catalog.ListArgs{}, false
		}
		offset = &n
	}
	o := catalog.ByID
	if v, ok := m["orderBy"].(string); ok {
		if o, ok = order(v); !ok {
			return catalog.ListArgs{}, false
		}
	}
	a, err := catalog.NewListArgs(first, offset, o)
	return a, err == nil
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), int64(int(n)) == n
	case float64:
		return int(n), float64(int(n)) == n
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}
