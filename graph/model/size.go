package model

import (
	"unicode/utf8"

	"github.com/storegraph/storegraph/internal/catalog"
)

// A list's size in bytes is known before it is written: an object's size depends only on
// its selection and its row, so each selection keeps the sizes of the rows it has sized,
// and sizing a whole response costs one step per row loaded and link between rows, however
// many times the response repeats them. A request that would write more than its budget is
// then refused before a byte of it is built.

// maxSize caps sizes so that sums of many huge lists cannot overflow.
const maxSize = int64(1) << 53

func addSize(a, b int64) int64 {
	if a+b > maxSize {
		return maxSize
	}
	return a + b
}

// frameSize is the size of the braces and the `"key":` and commas of s's fields.
func (s *Selection) frameSize() int64 {
	n := int64(2)
	for i, f := range s.fields {
		if i > 0 {
			n++
		}
		n += int64(len(f.key))
	}
	return n
}

func (s *Selection) memo(id catalog.ID, size func() int64) int64 {
	if n, ok := s.sizes[id]; ok {
		return n
	}
	if s.sizes == nil {
		s.sizes = make(map[catalog.ID]int64)
	}
	n := size()
	s.sizes[id] = n
	return n
}

func (s *Selection) storeSize(st *catalog.Store) int64 {
	if st == nil {
		return 4 // null
	}
	return s.memo(st.ID, func() int64 {
		n := s.frameSize()
		for _, f := range s.fields {
			switch f.kind {
			case kTypename:
				n += int64(len(`"Store"`))
			case kID:
				n += idSize(st.ID)
			case kName:
				n += stringSize(st.Name)
			case kItems:
				n = addSize(n, f.sel.itemsSize(f.items[st.ID]))
			case kTags:
				n = addSize(n, f.sel.tagsSize(f.tags[st.ID]))
			case kItemCount, kTagCount:
				n += intSize(f.counts[st.ID])
			default:
				n += 4
			}
		}
		return n
	})
}

func (s *Selection) itemSize(it *catalog.Item) int64 {
	return s.memo(it.ID, func() int64 {
		n := s.frameSize()
		for _, f := range s.fields {
			switch f.kind {
			case kTypename:
				n += int64(len(`"Item"`))
			case kID:
				n += idSize(it.ID)
			case kName:
				n += stringSize(it.Name)
			case kPrice:
				var buf [32]byte
				n += int64(len(it.Price.AppendJSON(buf[:0])))
			case kStore:
				n = addSize(n, f.sel.storeSize(f.stores[it.StoreID]))
			case kTags:
				n = addSize(n, f.sel.tagsSize(f.tags[it.ID]))
			case kTagCount:
				n += intSize(f.counts[it.ID])
			default:
				n += 4
			}
		}
		return n
	})
}

func (s *Selection) tagSize(t *catalog.Tag) int64 {
	return s.memo(t.ID, func() int64 {
		n := s.frameSize()
		for _, f := range s.fields {
			switch f.kind {
			case kTypename:
				n += int64(len(`"Tag"`))
			case kID:
				n += idSize(t.ID)
			case kName:
				n += stringSize(t.Name)
			case kStore:
				n = addSize(n, f.sel.storeSize(f.stores[t.StoreID]))
			case kItems:
				n = addSize(n, f.sel.itemsSize(f.items[t.ID]))
			case kItemCount:
				n += intSize(f.counts[t.ID])
			default:
				n += 4
			}
		}
		return n
	})
}

// itemsSize is the size appendItems writes for items.
func (s *Selection) itemsSize(items []*catalog.Item) int64 {
	n := listFrame(len(items))
	for _, it := range items {
		n = addSize(n, s.itemSize(it))
	}
	return n
}

// tagsSize is the size appendTags writes for tags.
func (s *Selection) tagsSize(tags []*catalog.Tag) int64 {
	n := listFrame(len(tags))
	for _, t := range tags {
		n = addSize(n, s.tagSize(t))
	}
	return n
}

// listFrame is the size of a list's brackets and commas.
func listFrame(n int) int64 {
	if n == 0 {
		return 2
	}
	return int64(2 + n - 1)
}

func idSize(id catalog.ID) int64 {
	var buf [32]byte
	return int64(len(id.AppendJSON(buf[:0])))
}

func intSize(v int) int64 {
	n := int64(1)
	if v < 0 {
		n++
		v = -v
	}
	for ; v >= 10; v /= 10 {
		n++
	}
	return n
}

// stringSize is the size appendString writes for s.
func stringSize(s string) int64 {
	n := int64(2)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				n += 6 // \ufffd
			} else {
				n += int64(size)
			}
			i += size
			continue
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n += 2
		case c < 0x20:
			n += 6
		default:
			n++
		}
		i++
	}
	return n
}
