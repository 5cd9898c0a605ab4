package reference

import (
	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
)

// StoreConnection is a page of stores as the server's root resolver read it.
type StoreConnection struct {
	Nodes    []*catalog.Store
	Edges    []*StoreEdge
	PageInfo *model.PageInfo
	page     *model.StoreConnection
}

// ItemConnection is a page of items as the server's root resolver read it.
type ItemConnection struct {
	Nodes    []*catalog.Item
	Edges    []*ItemEdge
	PageInfo *model.PageInfo
	page     *model.ItemConnection
}

// TagConnection is a page of tags as the server's root resolver read it.
type TagConnection struct {
	Nodes    []*catalog.Tag
	Edges    []*TagEdge
	PageInfo *model.PageInfo
	page     *model.TagConnection
}
