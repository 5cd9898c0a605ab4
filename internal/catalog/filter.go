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
	Tags     TagMatch
}

// TagMatch narrows items by their tags; each list is distinct ids, and an empty one does not
// filter.
type TagMatch struct {
	All  []ID // linked with every one
	Any  []ID // linked with at least one
	None []ID // linked with none
}

// MaxIDList is how many distinct ids a list argument may hold.
const MaxIDList = 100

// DistinctIDs keeps the first of each duplicate of a list of ids, in order, and refuses
// more than MaxIDList distinct ones. A nil list gives nil; an empty one an empty, non-nil
// list.
func DistinctIDs(field string, list []ID) ([]ID, error) {
	if list == nil {
		return nil, nil
	}
	out := make([]ID, 0, min(len(list), MaxIDList))
	seen := make(map[ID]bool, cap(out))
	for _, id := range list {
		if seen[id] {
			continue
		}
		if len(out) == MaxIDList {
			return nil, Errorf(BadUserInput, "%s can hold at most %d ids.", field, MaxIDList)
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, nil
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
