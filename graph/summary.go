package graph

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
)

// summaryFields tells whether an item connection's query selects totalCount, and the most
// facets any of its tagFacets fields asks for.
func summaryFields(ctx context.Context) (count bool, facets int) {
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "totalCount":
			count = true
		case "tagFacets":
			// A first that does not parse is left to the field's resolver, which reads on its
			// own and reports it.
			if n, ok := facetArg(f, vars); ok {
				facets = max(facets, n)
			}
		}
	}
	return count, facets
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
