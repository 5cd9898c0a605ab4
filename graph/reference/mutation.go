package reference

import (
	"context"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/catalog"
)

// The mutations are the server's: each runs the server's resolver and shows the rows it
// returns through the reference's resolvers.

func (r mutationResolver) CreateStore(ctx context.Context, input model.CreateStoreInput) (*catalog.Store, error) {
	s, err := r.server.Mutation().CreateStore(ctx, input)
	return storeRow(s), err
}

func (r mutationResolver) UpdateStore(ctx context.Context, id catalog.ID, input model.UpdateStoreInput) (*catalog.Store, error) {
	s, err := r.server.Mutation().UpdateStore(ctx, id, input)
	return storeRow(s), err
}

func (r mutationResolver) DeleteStore(ctx context.Context, id catalog.ID) (*model.DeletePayload, error) {
	return r.server.Mutation().DeleteStore(ctx, id)
}

func (r mutationResolver) CreateItem(ctx context.Context, input model.CreateItemInput) (*catalog.Item, error) {
	i, err := r.server.Mutation().CreateItem(ctx, input)
	return itemRow(i), err
}

func (r mutationResolver) UpdateItem(ctx context.Context, id catalog.ID, input model.UpdateItemInput) (*catalog.Item, error) {
	i, err := r.server.Mutation().UpdateItem(ctx, id, input)
	return itemRow(i), err
}

func (r mutationResolver) DeleteItem(ctx context.Context, id catalog.ID) (*model.DeletePayload, error) {
	return r.server.Mutation().DeleteItem(ctx, id)
}

func (r mutationResolver) CreateTag(ctx context.Context, input model.CreateTagInput) (*catalog.Tag, error) {
	t, err := r.server.Mutation().CreateTag(ctx, input)
	return tagRow(t), err
}

func (r mutationResolver) UpdateTag(ctx context.Context, id catalog.ID, input model.UpdateTagInput) (*catalog.Tag, error) {
	t, err := r.server.Mutation().UpdateTag(ctx, id, input)
	return tagRow(t), err
}

func (r mutationResolver) DeleteTag(ctx context.Context, id catalog.ID) (*model.DeletePayload, error) {
	return r.server.Mutation().DeleteTag(ctx, id)
}

func (r mutationResolver) LinkTag(ctx context.Context, itemID, tagID catalog.ID) (*TagAndItemPayload, error) {
	return linkPayload(r.server.Mutation().LinkTag(ctx, itemID, tagID))
}

func (r mutationResolver) UnlinkTag(ctx context.Context, itemID, tagID catalog.ID) (*TagAndItemPayload, error) {
	return linkPayload(r.server.Mutation().UnlinkTag(ctx, itemID, tagID))
}

func linkPayload(p *model.TagAndItemPayload, err error) (*TagAndItemPayload, error) {
	if err != nil {
		return nil, err
	}
	return &TagAndItemPayload{Message: p.Message, Item: itemRow(p.Item), Tag: tagRow(p.Tag)}, nil
}

func (r mutationResolver) SetItemTags(ctx context.Context, itemID catalog.ID, tagIDs []catalog.ID) (*SetItemTagsPayload, error) {
	p, err := r.server.Mutation().SetItemTags(ctx, itemID, tagIDs)
	if err != nil {
		return nil, err
	}
	return &SetItemTagsPayload{Message: p.Message, Item: itemRow(p.Item),
		Added: rows(p.Added, tagRow), Removed: rows(p.Removed, tagRow)}, nil
}

func (r mutationResolver) SetTagItems(ctx context.Context, tagID catalog.ID, itemIDs []catalog.ID) (*SetTagItemsPayload, error) {
	p, err := r.server.Mutation().SetTagItems(ctx, tagID, itemIDs)
	if err != nil {
		return nil, err
	}
	return &SetTagItemsPayload{Message: p.Message, Tag: tagRow(p.Tag),
		Added: rows(p.Added, itemRow), Removed: rows(p.Removed, itemRow)}, nil
}

func (r mutationResolver) Register(ctx context.Context, input model.CredentialsInput) (*AuthPayload, error) {
	return authPayload(r.server.Mutation().Register(ctx, input))
}

func (r mutationResolver) Login(ctx context.Context, input model.CredentialsInput) (*AuthPayload, error) {
	return authPayload(r.server.Mutation().Login(ctx, input))
}

func (r mutationResolver) RefreshToken(ctx context.Context, refreshToken string) (*AuthPayload, error) {
	return authPayload(r.server.Mutation().RefreshToken(ctx, refreshToken))
}

func (r mutationResolver) Logout(ctx context.Context, refreshToken string) (bool, error) {
	return r.server.Mutation().Logout(ctx, refreshToken)
}

func authPayload(p *model.AuthPayload, err error) (*AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &AuthPayload{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, User: (*catalog.User)(p.User)}, nil
}
