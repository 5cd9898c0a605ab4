package reference

import (
	"context"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// Subscriptions are the server's: the feed of changes is not a read.

func (r *Resolver) Subscription() SubscriptionResolver { return subscriptionResolver{r} }
func (r *Resolver) StoreChange() StoreChangeResolver   { return storeChangeResolver{r} }

type (
	subscriptionResolver struct{ *Resolver }
	storeChangeResolver  struct{ *Resolver }
)

func (r subscriptionResolver) StoreChanged(ctx context.Context, storeID catalog.ID) (<-chan *model.StoreChange, error) {
	return r.server.Subscription().StoreChanged(ctx, storeID)
}

func (r storeChangeResolver) Item(ctx context.Context, c *model.StoreChange) (*catalog.Item, error) {
	return changed(ctx, c.ItemID, loader.For(ctx).Item)
}

func (r storeChangeResolver) Tag(ctx context.Context, c *model.StoreChange) (*catalog.Tag, error) {
	return changed(ctx, c.TagID, loader.For(ctx).Tag)
}

// changed loads the row a change names; null when it names none, or none is left.
func changed[T any](ctx context.Context, id *catalog.ID, b *loader.Batch[*T]) (*T, error) {
	if id == nil {
		return nil, nil
	}
	row, err := b.Load(ctx, *id)
	if catalog.ErrorCode(err) == catalog.NotFound {
		return nil, nil
	}
	return row, err
}
