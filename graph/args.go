package graph

import (
	"context"

	"github.com/storegraph/storegraph/graph/model"
	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// optionalID is an id a client may leave out; zero means absent.
func optionalID(id *catalog.ID) catalog.ID {
	if id == nil {
		return 0
	}
	return *id
}

// likePattern turns an optional nameContains into an ILIKE pattern; "" means absent.
func likePattern(s *string) (string, error) {
	if s == nil || *s == "" {
		return "", nil
	}
	return catalog.LikePattern(*s)
}

func storeFilter(f *model.StoreFilter) (catalog.StoreFilter, error) {
	var out catalog.StoreFilter
	if f == nil {
		return out, nil
	}
	var err error
	out.NameLike, err = likePattern(f.NameContains)
	return out, err
}

func itemFilter(f *model.ItemFilter) (catalog.ItemFilter, error) {
	var out catalog.ItemFilter
	if f == nil {
		return out, nil
	}
	out.StoreID, out.TagID = optionalID(f.StoreID), optionalID(f.TagID)
	var err error
	if out.NameLike, err = likePattern(f.NameContains); err != nil {
		return out, err
	}
	if err = catalog.CheckPriceBound(f.MinPrice); err != nil {
		return out, err
	}
	if err = catalog.CheckPriceBound(f.MaxPrice); err != nil {
		return out, err
	}
	out.MinPrice, out.MaxPrice = f.MinPrice, f.MaxPrice
	if f.Tags != nil {
		if out.Tags.All, err = catalog.DistinctIDs("tags.all", f.Tags.All); err != nil {
			return out, err
		}
		if out.Tags.Any, err = catalog.DistinctIDs("tags.any", f.Tags.Any); err != nil {
			return out, err
		}
		if out.Tags.None, err = catalog.DistinctIDs("tags.none", f.Tags.None); err != nil {
			return out, err
		}
	}
	return out, nil
}

// facetCount checks tagFacets' first: 0 to 100.
func facetCount(first *int) (int, error) {
	if first == nil {
		return 10, nil
	}
	if *first < 0 || *first > catalog.MaxPageSize {
		return 0, catalog.Errorf(catalog.BadUserInput, "first must be between 0 and %d.", catalog.MaxPageSize)
	}
	return *first, nil
}

func tagFilter(f *model.TagFilter) (catalog.TagFilter, error) {
	var out catalog.TagFilter
	if f == nil {
		return out, nil
	}
	out.StoreID = optionalID(f.StoreID)
	var err error
	out.NameLike, err = likePattern(f.NameContains)
	return out, err
}

// byID loads the row a root field names, now rather than after a batch window.
func byID[V any](ctx context.Context, id catalog.ID, b *loader.Batch[V], notFound error) (V, error) {
	var zero V
	found, errs, err := b.Prefetch(ctx, []catalog.ID{id})
	if err != nil {
		return zero, err
	}
	if errs != nil {
		return zero, notFound
	}
	return found[0], nil
}

func payload(sess *auth.Session, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken, User: (*model.User)(sess.User)}, nil
}
