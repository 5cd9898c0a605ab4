package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/postgres"
)

// itemsAlso is what an item connection's query selects that its page's statement can read
// too: totalCount, the most facets any of its tagFacets fields asks for, and the first tags
// list of its nodes (fields are its collected fields, sels its compiled nodes and edges, by
// alias).
func itemsAlso(ctx context.Context, fields []graphql.CollectedField, sels map[string]*model.Selection[catalog.Item]) (also postgres.ItemsAlso) {
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range fields {
		switch f.Name {
		case "nodes":
			// A selection that does not compile is left to its field, which reports it.
			if sel := sels[f.Alias]; sel != nil {
				if args, ok := sel.FirstList(); ok {
					also.Tags = &args
				}
			}
		case "totalCount":
			also.Count = true
		case "tagFacets":
			// A first that does not parse is left to the field's resolver, which reads on its
			// own and reports it.
			if n, ok := facetArg(f, vars); ok {
				also.Facets = max(also.Facets, n)
			}
		}
	}
	return also
}

// facetArg is the valid first of a tagFacets field, its default when not given, read as
// the field's resolver reads it.
func facetArg(f graphql.CollectedField, vars map[string]any) (int, bool) {
	var first *int
	if v := f.ArgumentMap(vars)["first"]; v != nil {
		n, err := model.UnmarshalInt(v)
		if err != nil {
			return 0, false
		}
		first = &n
	}
	n, err := facetCount(first)
	return n, err == nil
}

// tagFacets answers tagFacets(first) of the items matching f: from read, the first readN
// facets read with the page, when they hold them, else in a statement of its own.
func (r *Resolver) tagFacets(ctx context.Context, f catalog.ItemFilter, read []postgres.TagFacet, readN int, first *int) ([]postgres.TagFacet, error) {
	n, err := facetCount(first)
	if err != nil {
		return nil, err
	}
	if n <= readN {
		return read[:min(n, len(read))], nil
	}
	return r.Catalog.TagFacets(ctx, f, n)
}
