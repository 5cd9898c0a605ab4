package catalog

import "math"

// StoreFilter narrows the stores list; zero fields do not filter.
type StoreFilter struct {
	NameLike string // an ILIKE pattern from LikePattern
}

// ItemFilter narrows the items list; zero fields do not filter.
type ItemFilter struct {
	StoreID  ID
	TagID    ID
	NameLike string
	MinPrice *float64
	MaxPrice *float64
}

// TagFilter narrows the tags list; zero fields do not filter.
type TagFilter struct {
	StoreID  ID
	NameLike string
}

// CheckPriceBound refuses a price bound that is not a finite number.
func CheckPriceBound(f *float64) error {
	if f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
		return Errorf(BadUserInput, "A price bound must be a finite number.")
	}
	return nil
}
