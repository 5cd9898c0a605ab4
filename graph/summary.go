package graph

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/store"
)

// summarize gives an item connection one shared read of its count and facets when the query
// selects more than one of them: each on its own finds the matching items again, which is
// most of what a tag-set filter costs.
func (r *Resolver) summarize(ctx context.Context, conn *model.ItemConnection) {
	vars := graphql.GetOperationContext(ctx).Variables
	reads := 0
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "totalCount":
			if !conn.Count {
				conn.Count = true
				reads++
			}
		case "tagFacets":
			// A first that does not parse is left to the field's resolver, which reads on its
			// own and reports it.
			if n, ok := facetArg(f, vars); ok {
				conn.Facets = max(conn.Facets, n)
				reads++
			}
		}
	}
	if reads < 2 {
		conn.Count, conn.Facets = false, 0
		return
	}
	filter, count, facets := conn.Filter, conn.Count, conn.Facets
	once := sync.OnceValues(func() (store.ItemSummary, error) { return r.Data.ItemSummary(ctx, filter, count, facets) })
	conn.Summary = func(context.Context) (store.ItemSummary, error) { return once() }
}

// facetArg is the valid first of a tagFacets field, its default when not given.
func facetArg(f graphql.CollectedField, vars map[string]any) (int, bool) {
	var first *int
	switch v := f.ArgumentMap(vars)["first"].(type) {
	case nil:
	case int:
		first = &v
	case int64:
		n := int(v)
		first = &n
	case json.Number:
		x, err := v.Int64()
		if err != nil {
			return 0, false
		}
		n := int(x)
		first = &n
	default:
		return 0, false
	}
	n, err := facetCount(first)
	return n, err == nil
}
