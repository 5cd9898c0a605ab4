package graph

import (
	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
)

// Complexity estimates what a field costs: 1 for the field, plus, for a list, its
// selection's cost times the rows it may return. That is `first` where given; a
// relationship list without `first` counts as defaultList rows (a guess: the request's row
// and byte limits bound it as it runs), and a root connection without `first` gets the
// schema's default (20). The cost therefore grows
// with every nested list, as the rows and the response do. Fields not set here cost 1 plus
// their selection (gqlgen's default).
func Complexity(defaultList int) ComplexityRoot {
	list := func(child int, first *int) int {
		n := defaultList
		if first != nil && *first >= 0 {
			n = *first
		}
		return listCost(child, n)
	}
	var c ComplexityRoot
	c.Query.Stores = func(child int, first *int, _ *string, _ *model.StoreFilter) int { return list(child, first) }
	c.Query.Items = func(child int, first *int, _ *string, _ *model.ItemFilter) int { return list(child, first) }
	c.Query.Tags = func(child int, first *int, _ *string, _ *model.TagFilter) int { return list(child, first) }
	c.Store.Items = func(child int, first, _ *int, _ *model.ItemOrder) int { return list(child, first) }
	c.Store.Tags = func(child int, first, _ *int, _ *model.TagOrder) int { return list(child, first) }
	c.Item.Tags = func(child int, first, _ *int, _ *model.TagOrder) int { return list(child, first) }
	c.Tag.Items = func(child int, first, _ *int, _ *model.ItemOrder) int { return list(child, first) }
	c.User.Stores = func(child int, first, _ *int) int { return list(child, first) }
	// tagFacets has a default first (10), so it is never without one.
	c.ItemConnection.TagFacets = func(child int, first *int) int { return list(child, first) }
	// A batch link adds at most the ids it was sent, and removes as many links as the row had.
	added := func(child int) int { return listCost(child, catalog.MaxIDList) }
	removed := func(child int) int { return list(child, nil) }
	c.SetItemTagsPayload.Added, c.SetItemTagsPayload.Removed = added, removed
	c.SetTagItemsPayload.Added, c.SetTagItemsPayload.Removed = added, removed
	return c
}

const maxInt = int(^uint(0) >> 1)

// listCost is 1 + n*child, saturating instead of overflowing: a deep enough query must
// not wrap around to a small figure and pass.
func listCost(child, n int) int {
	if child < 0 {
		child = 0
	}
	if child > 0 && n > (maxInt-1)/child {
		return maxInt
	}
	return 1 + n*child
}
