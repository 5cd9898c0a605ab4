package model

import (
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

// frameSize is the size of the braces and the `"key":` and commas of fields.
func frameSize[T any](fields []selField[T]) int64 {
	n := int64(2)
	for i := range fields {
		if i > 0 {
			n++
		}
		n += int64(len(fields[i].key))
	}
	return n
}

// rowSize is the size appendRow writes for r.
func (s *Selection[T]) rowSize(r *T) int64 {
	if r == nil {
		return 4 // null
	}
	id := s.table.id(r)
	if n, ok := s.sizes[id]; ok {
		return n
	}
	n := s.frame
	for i := range s.fields {
		f := &s.fields[i]
		if f.rel != nil && f.argErr == nil {
			n = addSize(n, f.rel.size(r, id))
		} else {
			n = addSize(n, f.size(r))
		}
	}
	if s.sizes == nil {
		s.sizes = make(map[catalog.ID]int64)
	}
	s.sizes[id] = n
	return n
}

// listSize is the size appendList writes for rows.
func (s *Selection[T]) listSize(rows []*T) int64 {
	n := listFrame(len(rows))
	for _, r := range rows {
		n = addSize(n, s.rowSize(r))
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

func moneySize(m catalog.Money) int64 {
	var buf [32]byte
	return int64(len(m.AppendJSON(buf[:0])))
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
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n += 2
		case c < 0x20:
			n += 6
		default:
			n++
		}
	}
	return n
}
