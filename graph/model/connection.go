// Package model holds the GraphQL types that are not catalog types: connections, inputs and
// payloads.
package model

import (
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/postgres"
)

// StoreConnection is a page of stores; the filter stays with it for totalCount.
type StoreConnection struct {
	Nodes    []*Store
	Filter   catalog.StoreFilter
	PageInfo *PageInfo
}

// Edges pairs each store with its cursor.
func (c *StoreConnection) Edges() []*StoreEdge {
	edges := make([]*StoreEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		edges[i] = &StoreEdge{Cursor: catalog.Cursor(n.ID), Node: n}
	}
	return edges
}

// ItemConnection is a page of items; the filter stays with it for totalCount and tagFacets.
type ItemConnection struct {
	Nodes    []*Item
	Filter   catalog.ItemFilter
	PageInfo *PageInfo
	// Summary, when set, was read with the page: the count when Count is set, and the first
	// Facets facets.
	Summary *postgres.ItemSummary
	Count   bool
	Facets  int
}

// Edges pairs each item with its cursor.
func (c *ItemConnection) Edges() []*ItemEdge {
	edges := make([]*ItemEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		edges[i] = &ItemEdge{Cursor: catalog.Cursor(n.ID), Node: n}
	}
	return edges
}

// TagConnection is a page of tags; the filter stays with it for totalCount.
type TagConnection struct {
	Nodes    []*Tag
	Filter   catalog.TagFilter
	PageInfo *PageInfo
}

// Edges pairs each tag with its cursor.
func (c *TagConnection) Edges() []*TagEdge {
	edges := make([]*TagEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		edges[i] = &TagEdge{Cursor: catalog.Cursor(n.ID), Node: n}
	}
	return edges
}

// NewPageInfo describes a page of rows with these ids.
func NewPageInfo(ids []catalog.ID, after catalog.ID, more bool) *PageInfo {
	pi := &PageInfo{HasNextPage: more, HasPreviousPage: after > 0}
	if len(ids) > 0 {
		start, end := catalog.Cursor(ids[0]), catalog.Cursor(ids[len(ids)-1])
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}
