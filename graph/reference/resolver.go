// Package reference runs the schema the plain gqlgen way, for tests: every field of Store,
// Item and Tag that is not a column is a resolver of one loader call, and gqlgen writes the
// answer field by field. The server writes relationship lists itself (graph/model); its
// answers must equal this package's byte for byte.
//
// Only reads are the reference's own. The connection roots and the mutations hand their
// work to the server's resolvers and show the rows they return through this package's
// resolvers; what the server's roots preload goes to loaders that are then thrown away.
package reference

//go:generate go tool gqlgen generate --config gqlgen.yml

import (
	"context"
	"fmt"
	"reflect"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// Resolver resolves the schema through the request's loaders and the server's resolvers.
type Resolver struct {
	server *graph.Resolver
}

var _ ResolverRoot = (*Resolver)(nil)

// The resolvers of each type, as gqlgen asks for them.

func (r *Resolver) Item() ItemResolver                       { return itemResolver{r} }
func (r *Resolver) ItemConnection() ItemConnectionResolver   { return itemConnectionResolver{r} }
func (r *Resolver) Mutation() MutationResolver               { return mutationResolver{r} }
func (r *Resolver) Query() QueryResolver                     { return queryResolver{r} }
func (r *Resolver) Store() StoreResolver                     { return storeResolver{r} }
func (r *Resolver) StoreConnection() StoreConnectionResolver { return storeConnectionResolver{r} }
func (r *Resolver) Tag() TagResolver                         { return tagResolver{r} }
func (r *Resolver) TagConnection() TagConnectionResolver     { return tagConnectionResolver{r} }
func (r *Resolver) User() UserResolver                       { return userResolver{r} }

type (
	itemResolver            struct{ *Resolver }
	itemConnectionResolver  struct{ *Resolver }
	mutationResolver        struct{ *Resolver }
	queryResolver           struct{ *Resolver }
	storeResolver           struct{ *Resolver }
	storeConnectionResolver struct{ *Resolver }
	tagResolver             struct{ *Resolver }
	tagConnectionResolver   struct{ *Resolver }
	userResolver            struct{ *Resolver }
)

// listArgs checks a relationship list's arguments as catalog.NewListArgs does for every
// caller; order is the value of its order enum, nil for null.
func listArgs[E ~string](first, offset *int, order *E) (catalog.ListArgs, error) {
	o := catalog.ByID
	if order != nil {
		enum := reflect.TypeFor[E]().Name() // gqlgen names an enum's Go type after the enum
		var ok bool
		if o, ok = model.ListOrder(enum, string(*order)); !ok {
			return catalog.ListArgs{}, fmt.Errorf("reference: no order %s.%s", enum, string(*order))
		}
	}
	return catalog.NewListArgs(first, offset, o)
}

func (r storeResolver) Items(ctx context.Context, s *catalog.Store, first, offset *int, orderBy *model.ItemOrder) ([]*catalog.Item, error) {
	a, err := listArgs(first, offset, orderBy)
	if err != nil {
		return nil, err
	}
	return loader.For(ctx).ItemsOfStore(a).Load(ctx, s.ID)
}

func (r storeResolver) Tags(ctx context.Context, s *catalog.Store, first, offset *int, orderBy *model.TagOrder) ([]*catalog.Tag, error) {
	a, err := listArgs(first, offset, orderBy)
	if err != nil {
		return nil, err
	}
	return loader.For(ctx).TagsOfStore(a).Load(ctx, s.ID)
}

func (r storeResolver) ItemCount(ctx context.Context, s *catalog.Store) (int, error) {
	return loader.For(ctx).ItemCountOfStore.Load(ctx, s.ID)
}

func (r storeResolver) TagCount(ctx context.Context, s *catalog.Store) (int, error) {
	return loader.For(ctx).TagCountOfStore.Load(ctx, s.ID)
}

func (r itemResolver) Store(ctx context.Context, i *catalog.Item) (*catalog.Store, error) {
	return loader.For(ctx).Store.Load(ctx, i.StoreID)
}

func (r itemResolver) Tags(ctx context.Context, i *catalog.Item, first, offset *int, orderBy *model.TagOrder) ([]*catalog.Tag, error) {
	a, err := listArgs(first, offset, orderBy)
	if err != nil {
		return nil, err
	}
	return loader.For(ctx).TagsOfItem(a).Load(ctx, i.ID)
}

func (r itemResolver) TagCount(ctx context.Context, i *catalog.Item) (int, error) {
	return loader.For(ctx).TagCountOfItem.Load(ctx, i.ID)
}

func (r tagResolver) Store(ctx context.Context, t *catalog.Tag) (*catalog.Store, error) {
	return loader.For(ctx).Store.Load(ctx, t.StoreID)
}

func (r tagResolver) Items(ctx context.Context, t *catalog.Tag, first, offset *int, orderBy *model.ItemOrder) ([]*catalog.Item, error) {
	a, err := listArgs(first, offset, orderBy)
	if err != nil {
		return nil, err
	}
	return loader.For(ctx).ItemsOfTag(a).Load(ctx, t.ID)
}

func (r tagResolver) ItemCount(ctx context.Context, t *catalog.Tag) (int, error) {
	return loader.For(ctx).ItemCountOfTag.Load(ctx, t.ID)
}

func (r userResolver) Stores(ctx context.Context, u *catalog.User, first, offset *int) ([]*catalog.Store, error) {
	a, err := catalog.NewListArgs(first, offset, catalog.ByID)
	if err != nil {
		return nil, err
	}
	return loader.For(ctx).StoresOfOwner(a).Load(ctx, u.ID)
}

func (r queryResolver) Store(ctx context.Context, id catalog.ID) (*catalog.Store, error) {
	return loader.For(ctx).Store.Load(ctx, id)
}

func (r queryResolver) Item(ctx context.Context, id catalog.ID) (*catalog.Item, error) {
	return loader.For(ctx).Item.Load(ctx, id)
}

func (r queryResolver) Tag(ctx context.Context, id catalog.ID) (*catalog.Tag, error) {
	return loader.For(ctx).Tag.Load(ctx, id)
}

// The connections' pages are read by the server's resolvers, with loaders of their own: the
// rows are the reference's to resolve.

func (r queryResolver) Stores(ctx context.Context, first *int, after *string, filter *model.StoreFilter) (*StoreConnection, error) {
	page, err := r.server.Query().Stores(loader.Fresh(ctx), first, after, filter)
	if err != nil {
		return nil, err
	}
	c := &StoreConnection{Nodes: page.Rows, PageInfo: page.PageInfo, page: page}
	for _, n := range page.Rows {
		c.Edges = append(c.Edges, &StoreEdge{Cursor: catalog.Cursor(n.ID), Node: n})
	}
	return c, nil
}

func (r queryResolver) Items(ctx context.Context, first *int, after *string, filter *model.ItemFilter) (*ItemConnection, error) {
	page, err := r.server.Query().Items(loader.Fresh(ctx), first, after, filter)
	if err != nil {
		return nil, err
	}
	c := &ItemConnection{Nodes: page.Rows, PageInfo: page.PageInfo, page: page}
	for _, n := range page.Rows {
		c.Edges = append(c.Edges, &ItemEdge{Cursor: catalog.Cursor(n.ID), Node: n})
	}
	return c, nil
}

func (r queryResolver) Tags(ctx context.Context, first *int, after *string, filter *model.TagFilter) (*TagConnection, error) {
	page, err := r.server.Query().Tags(loader.Fresh(ctx), first, after, filter)
	if err != nil {
		return nil, err
	}
	c := &TagConnection{Nodes: page.Rows, PageInfo: page.PageInfo, page: page}
	for _, n := range page.Rows {
		c.Edges = append(c.Edges, &TagEdge{Cursor: catalog.Cursor(n.ID), Node: n})
	}
	return c, nil
}

func (r queryResolver) Me(ctx context.Context) (*catalog.User, error) {
	u, err := r.server.Query().Me(ctx)
	return (*catalog.User)(u), err
}

// The counts and facets are read on their own, not with the page as the server may read them.

func (r storeConnectionResolver) TotalCount(ctx context.Context, c *StoreConnection) (int, error) {
	return r.server.StoreConnection().TotalCount(ctx, &model.StoreConnection{Filter: c.page.Filter})
}

func (r itemConnectionResolver) TotalCount(ctx context.Context, c *ItemConnection) (int, error) {
	return r.server.Catalog.CountItems(ctx, c.page.Filter)
}

func (r itemConnectionResolver) TagFacets(ctx context.Context, c *ItemConnection, first *int) ([]*TagFacet, error) {
	facets, err := c.page.ReadFacets(ctx, first)
	if err != nil {
		return nil, err
	}
	out := make([]*TagFacet, len(facets))
	for i, f := range facets {
		out[i] = &TagFacet{Tag: f.Tag, Count: f.Count}
	}
	return out, nil
}

func (r tagConnectionResolver) TotalCount(ctx context.Context, c *TagConnection) (int, error) {
	return r.server.TagConnection().TotalCount(ctx, &model.TagConnection{Filter: c.page.Filter})
}

// rows views the server's objects as the catalog rows they are.
func rows[M, R any](in []*M, row func(*M) *R) []*R {
	out := make([]*R, len(in))
	for i, m := range in {
		out[i] = row(m)
	}
	return out
}

func storeRow(s *model.Store) *catalog.Store { return (*catalog.Store)(s) }
func itemRow(i *model.Item) *catalog.Item    { return (*catalog.Item)(i) }
func tagRow(t *model.Tag) *catalog.Tag       { return (*catalog.Tag)(t) }
