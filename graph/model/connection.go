// Package model holds the GraphQL types that are not catalog types: connections, inputs and
// payloads.
package model

import (
	"context"
	"io"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/postgres"
)

// A connection's nodes, edges and tagFacets are lists that write themselves, as relationship
// lists do, from the rows the connection was read with.

// StoreConnection is a page of stores; the filter stays with it for totalCount.
type StoreConnection struct {
	Rows     []*catalog.Store
	Filter   catalog.StoreFilter
	PageInfo *PageInfo
	// Preloaded holds, by alias, what its resolver compiled and loaded for its nodes and edges.
	Preloaded map[string]*Selection[catalog.Store]
}

// Nodes resolves StoreConnection.nodes.
func (c *StoreConnection) Nodes(ctx context.Context) (StoreList, error) {
	l, err := resolveRows(ctx, storeTable, c.Rows, c.Preloaded)
	return StoreList{l}, err
}

// Edges resolves StoreConnection.edges.
func (c *StoreConnection) Edges(ctx context.Context) (StoreEdges, error) {
	l, err := resolveRows(ctx, storeEdgeTable, c.Rows, c.Preloaded)
	return StoreEdges{l}, err
}

// ItemConnection is a page of items, with its totalCount read with it when the query selects
// it.
type ItemConnection struct {
	Rows       []*catalog.Item
	Filter     catalog.ItemFilter
	PageInfo   *PageInfo
	TotalCount int
	// Preloaded holds, by alias, what its resolver compiled and loaded for its nodes and edges.
	Preloaded map[string]*Selection[catalog.Item]
	// ReadFacets returns the facets tagFacets(first) asks for.
	ReadFacets func(ctx context.Context, first *int) ([]postgres.TagFacet, error)
}

// Nodes resolves ItemConnection.nodes.
func (c *ItemConnection) Nodes(ctx context.Context) (ItemList, error) {
	l, err := resolveRows(ctx, itemTable, c.Rows, c.Preloaded)
	return ItemList{l}, err
}

// Edges resolves ItemConnection.edges.
func (c *ItemConnection) Edges(ctx context.Context) (ItemEdges, error) {
	l, err := resolveRows(ctx, itemEdgeTable, c.Rows, c.Preloaded)
	return ItemEdges{l}, err
}

// TagFacets resolves ItemConnection.tagFacets.
func (c *ItemConnection) TagFacets(ctx context.Context, first *int) (TagFacetList, error) {
	facets, err := c.ReadFacets(ctx, first)
	if err != nil {
		return TagFacetList{}, err
	}
	rows := make([]*postgres.TagFacet, len(facets))
	for i := range facets {
		rows[i] = &facets[i]
	}
	l, err := resolveRows(ctx, tagFacetTable, rows, nil)
	return TagFacetList{l}, err
}

// TagConnection is a page of tags; the filter stays with it for totalCount.
type TagConnection struct {
	Rows     []*catalog.Tag
	Filter   catalog.TagFilter
	PageInfo *PageInfo
	// Preloaded holds, by alias, what its resolver compiled and loaded for its nodes and edges.
	Preloaded map[string]*Selection[catalog.Tag]
}

// Nodes resolves TagConnection.nodes.
func (c *TagConnection) Nodes(ctx context.Context) (TagList, error) {
	l, err := resolveRows(ctx, tagTable, c.Rows, c.Preloaded)
	return TagList{l}, err
}

// Edges resolves TagConnection.edges.
func (c *TagConnection) Edges(ctx context.Context) (TagEdges, error) {
	l, err := resolveRows(ctx, tagEdgeTable, c.Rows, c.Preloaded)
	return TagEdges{l}, err
}

// StoreList is the value of a nodes field of stores.
type StoreList struct{ list list[catalog.Store] }

// StoreEdges, ItemEdges and TagEdges are the values of edges fields: each row is the node of
// its edge.
type (
	StoreEdges struct{ list list[catalog.Store] }
	ItemEdges  struct{ list list[catalog.Item] }
	TagEdges   struct{ list list[catalog.Tag] }
)

// TagFacetList is the value of a tagFacets field.
type TagFacetList struct{ list list[postgres.TagFacet] }

// MarshalGQL writes the list with its selected fields.
func (l StoreList) MarshalGQL(w io.Writer) { l.list.marshal(w) }

// MarshalGQL writes the list with its selected fields.
func (l StoreEdges) MarshalGQL(w io.Writer) { l.list.marshal(w) }

// MarshalGQL writes the list with its selected fields.
func (l ItemEdges) MarshalGQL(w io.Writer) { l.list.marshal(w) }

// MarshalGQL writes the list with its selected fields.
func (l TagEdges) MarshalGQL(w io.Writer) { l.list.marshal(w) }

// MarshalGQL writes the list with its selected fields.
func (l TagFacetList) MarshalGQL(w io.Writer) { l.list.marshal(w) }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*StoreList) UnmarshalGQL(any) error { return errOutputOnly }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*StoreEdges) UnmarshalGQL(any) error { return errOutputOnly }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*ItemEdges) UnmarshalGQL(any) error { return errOutputOnly }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*TagEdges) UnmarshalGQL(any) error { return errOutputOnly }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*TagFacetList) UnmarshalGQL(any) error { return errOutputOnly }

// NewPageInfo describes a page of rows of T.
func NewPageInfo[T catalog.Store | catalog.Item | catalog.Tag](rows []*T, after catalog.ID, more bool) *PageInfo {
	pi := &PageInfo{HasNextPage: more, HasPreviousPage: after > 0}
	if len(rows) > 0 {
		id := tableOf[T]().id
		start, end := catalog.Cursor(id(rows[0])), catalog.Cursor(id(rows[len(rows)-1]))
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}
