package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"

	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/catalog"
)

// setLinks runs a batch link as the signed-in user: the links of the row id (an item's
// tags or a tag's items) become the ids of list, named listName in errors. Then it preloads
// what the payload selects below the row (rowField) and its added and removed lists, so
// that their lists and counts are read in a fixed number of statements instead of waiting
// on batch windows that many rows may outlast.
func setLinks[R, C catalog.Item | catalog.Tag](ctx context.Context, log *slog.Logger, rowField string, id catalog.ID, listName string, list []catalog.ID,
	set func(ctx context.Context, user, id catalog.ID, ids []catalog.ID) (*R, []*C, []*C, error)) (*R, []*C, []*C, error) {
	user, err := auth.UserID(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	ids, err := catalog.DistinctIDs(listName, list)
	if err != nil {
		return nil, nil, nil, err
	}
	row, added, removed, err := set(ctx, user, id, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case rowField:
			logPreload(ctx, log, preload(ctx, f.Selections, []*R{row}))
		case "added":
			logPreload(ctx, log, preload(ctx, f.Selections, added))
		case "removed":
			logPreload(ctx, log, preload(ctx, f.Selections, removed))
		}
	}
	return row, added, removed, nil
}
