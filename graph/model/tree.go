package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// A relationship list (Store.items, Store.tags, Item.tags, Tag.items) is resolved whole: its
// method loads every level selected below it through the request's loaders, one loader call
// per field and level, and returns a list that writes the selected fields in one pass when
// gqlgen marshals it. gqlgen's generic execution costs goroutines and dozens of allocations
// per object; this costs appending bytes. Errors surface while loading, from the list's
// method, so gqlgen reports them and propagates nulls as for any field.

// ItemList is the value of an items field.
type ItemList struct {
	sel   *Selection
	items []*catalog.Item
}

// TagList is the value of a tags field.
type TagList struct {
	sel  *Selection
	tags []*catalog.Tag
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// MarshalGQL writes the list with its selected fields.
func (l ItemList) MarshalGQL(w io.Writer) {
	write(w, func(b []byte) []byte { return l.sel.appendItems(b, l.items) })
}

// MarshalGQL writes the list with its selected fields.
func (l TagList) MarshalGQL(w io.Writer) {
	write(w, func(b []byte) []byte { return l.sel.appendTags(b, l.tags) })
}

var errOutputOnly = errors.New("a list of objects is output only")

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*ItemList) UnmarshalGQL(any) error { return errOutputOnly }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*TagList) UnmarshalGQL(any) error { return errOutputOnly }

func write(w io.Writer, appendTo func([]byte) []byte) {
	bp := bufPool.Get().(*[]byte)
	b := appendTo((*bp)[:0])
	_, _ = w.Write(b)
	if cap(b) <= 1<<20 { // keep only buffers of a usual size
		*bp = b
		bufPool.Put(bp)
	}
}

// newItemList loads what the field selects below items and takes the bytes the list will
// write from the request's budget; a list over it is refused before it is built.
func newItemList(ctx context.Context, items []*catalog.Item) (ItemList, error) {
	l := loader.For(ctx)
	sel, err := compileField(ctx, "Item")
	if err == nil {
		err = sel.LoadItems(ctx, l, items, false)
	}
	if err == nil {
		err = l.ReserveBytes(sel.itemsSize(items))
	}
	if err != nil {
		return ItemList{}, err
	}
	return ItemList{sel: sel, items: items}, nil
}

// newTagList is newItemList for tags.
func newTagList(ctx context.Context, tags []*catalog.Tag) (TagList, error) {
	l := loader.For(ctx)
	sel, err := compileField(ctx, "Tag")
	if err == nil {
		err = sel.LoadTags(ctx, l, tags, false)
	}
	if err == nil {
		err = l.ReserveBytes(sel.tagsSize(tags))
	}
	if err != nil {
		return TagList{}, err
	}
	return TagList{sel: sel, tags: tags}, nil
}

// compileField compiles the selection of the field being resolved.
func compileField(ctx context.Context, typeName string) (*Selection, error) {
	return Compile(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections, typeName)
}

type kind uint8

const (
	kTypename kind = iota
	kID
	kName
	kPrice
	kStore
	kItems
	kTags
	kItemCount
	kTagCount
)

var kinds = map[string]kind{
	"__typename": kTypename, "id": kID, "name": kName, "price": kPrice, "store": kStore,
	"items": kItems, "tags": kTags, "itemCount": kItemCount, "tagCount": kTagCount,
}

// Selection is what a query selects on one type (Store, Item or Tag) below a field, with
// the values each of its relationship fields needs once loaded.
type Selection struct {
	fields []*selField
	sizes  map[catalog.ID]int64 // bytes each row sized so far writes, see size.go
}

type selField struct {
	key  []byte // `"alias":`
	kind kind
	args catalog.ListArgs
	sel  *Selection // below store, items and tags

	stores map[catalog.ID]*catalog.Store
	items  map[catalog.ID][]*catalog.Item
	tags   map[catalog.ID][]*catalog.Tag
	counts map[catalog.ID]int
}

// Compile reads the selection set sel on typeName ("Store", "Item" or "Tag"), with its
// fragments, directives and arguments resolved.
func Compile(op *graphql.OperationContext, sel ast.SelectionSet, typeName string) (*Selection, error) {
	fields := graphql.CollectFields(op, sel, []string{typeName})
	s := &Selection{fields: make([]*selField, 0, len(fields))}
	for _, f := range fields {
		k, ok := kinds[f.Name]
		if !ok {
			return nil, fmt.Errorf("compile selection: unknown field %s.%s", typeName, f.Name)
		}
		sf := &selField{key: append(appendString(nil, f.Alias), ':'), kind: k}
		var err error
		switch k {
		case kStore:
			sf.sel, err = Compile(op, f.Selections, "Store")
		case kItems:
			if sf.args, err = ListArgs(f, op.Variables); err == nil {
				sf.sel, err = Compile(op, f.Selections, "Item")
			}
		case kTags:
			if sf.args, err = ListArgs(f, op.Variables); err == nil {
				sf.sel, err = Compile(op, f.Selections, "Tag")
			}
		}
		if err != nil {
			return nil, err
		}
		s.fields = append(s.fields, sf)
	}
	return s, nil
}

// FirstList returns the arguments of the first relationship list s selects (items or tags).
func (s *Selection) FirstList() (catalog.ListArgs, bool) {
	for _, f := range s.fields {
		if f.kind == kItems || f.kind == kTags {
			return f.args, true
		}
	}
	return catalog.ListArgs{}, false
}

// ListArgs reads first, offset and orderBy of a relationship field, with their defaults.
func ListArgs(f graphql.CollectedField, vars map[string]any) (catalog.ListArgs, error) {
	m := f.ArgumentMap(vars)
	var first, offset *int
	for name, dst := range map[string]**int{"first": &first, "offset": &offset} {
		if v := m[name]; v != nil {
			n, ok := toInt(v)
			if !ok {
				return catalog.ListArgs{}, catalog.Errorf(catalog.BadUserInput, "%s must be a whole number.", name)
			}
			*dst = &n
		}
	}
	order := catalog.ByID
	switch m["orderBy"] {
	case "NAME":
		order = catalog.ByName
	case "PRICE":
		order = catalog.ByPrice
	}
	return catalog.NewListArgs(first, offset, order)
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), int64(int(n)) == n
	case float64:
		return int(n), float64(int(n)) == n
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil && int64(int(i)) == i
	}
	return 0, false
}

// get returns the values of ids from b: fetched at once when now (nothing else is loading
// at the root of a request), else through the loader's batch window. A missing value fails
// the whole field.
func get[V any](ctx context.Context, b *loader.Batch[V], ids []catalog.ID, now bool) ([]V, error) {
	var values []V
	var errs []error
	if now {
		var err error
		if values, errs, err = b.Prefetch(ctx, ids); err != nil {
			return nil, err
		}
	} else {
		values, errs = b.LoadAll(ctx, ids)
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return values, nil
}

func byParent[V any](ids []catalog.ID, values []V) map[catalog.ID]V {
	m := make(map[catalog.ID]V, len(ids))
	for i, id := range ids {
		m[id] = values[i]
	}
	return m
}

// flatten returns the distinct rows of lists: the next level loads below each row once,
// however many parents share it, so loading costs the rows read, not the rows written.
func flatten[T any](lists [][]*T, id func(*T) catalog.ID) []*T {
	seen := make(map[catalog.ID]bool)
	var out []*T
	for _, l := range lists {
		for _, r := range l {
			if k := id(r); !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
	}
	return out
}

func itemID(it *catalog.Item) catalog.ID { return it.ID }

func tagID(t *catalog.Tag) catalog.ID { return t.ID }

// LoadStores loads what s selects below these stores.
func (s *Selection) LoadStores(ctx context.Context, l *loader.Loaders, stores []*catalog.Store, now bool) error {
	if len(stores) == 0 {
		return nil
	}
	ids := make([]catalog.ID, len(stores))
	for i, st := range stores {
		ids[i] = st.ID
	}
	for _, f := range s.fields {
		switch f.kind {
		case kItems:
			lists, err := get(ctx, l.ItemsOfStore(f.args), ids, now)
			if err != nil {
				return err
			}
			f.items = byParent(ids, lists)
			if err := f.sel.LoadItems(ctx, l, flatten(lists, itemID), now); err != nil {
				return err
			}
		case kTags:
			lists, err := get(ctx, l.TagsOfStore(f.args), ids, now)
			if err != nil {
				return err
			}
			f.tags = byParent(ids, lists)
			if err := f.sel.LoadTags(ctx, l, flatten(lists, tagID), now); err != nil {
				return err
			}
		case kItemCount, kTagCount:
			b := l.ItemCountOfStore
			if f.kind == kTagCount {
				b = l.TagCountOfStore
			}
			counts, err := get(ctx, b, ids, now)
			if err != nil {
				return err
			}
			f.counts = byParent(ids, counts)
		}
	}
	return nil
}

// LoadItems loads what s selects below these items.
func (s *Selection) LoadItems(ctx context.Context, l *loader.Loaders, items []*catalog.Item, now bool) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]catalog.ID, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	for _, f := range s.fields {
		switch f.kind {
		case kStore:
			storeIDs := make([]catalog.ID, len(items))
			for i, it := range items {
				storeIDs[i] = it.StoreID
			}
			if err := f.loadStores(ctx, l, storeIDs, now); err != nil {
				return err
			}
		case kTags:
			lists, err := get(ctx, l.TagsOfItem(f.args), ids, now)
			if err != nil {
				return err
			}
			f.tags = byParent(ids, lists)
			if err := f.sel.LoadTags(ctx, l, flatten(lists, tagID), now); err != nil {
				return err
			}
		case kTagCount:
			counts, err := get(ctx, l.TagCountOfItem, ids, now)
			if err != nil {
				return err
			}
			f.counts = byParent(ids, counts)
		}
	}
	return nil
}

// LoadTags loads what s selects below these tags.
func (s *Selection) LoadTags(ctx context.Context, l *loader.Loaders, tags []*catalog.Tag, now bool) error {
	if len(tags) == 0 {
		return nil
	}
	ids := make([]catalog.ID, len(tags))
	for i, t := range tags {
		ids[i] = t.ID
	}
	for _, f := range s.fields {
		switch f.kind {
		case kStore:
			storeIDs := make([]catalog.ID, len(tags))
			for i, t := range tags {
				storeIDs[i] = t.StoreID
			}
			if err := f.loadStores(ctx, l, storeIDs, now); err != nil {
				return err
			}
		case kItems:
			lists, err := get(ctx, l.ItemsOfTag(f.args), ids, now)
			if err != nil {
				return err
			}
			f.items = byParent(ids, lists)
			if err := f.sel.LoadItems(ctx, l, flatten(lists, itemID), now); err != nil {
				return err
			}
		case kItemCount:
			counts, err := get(ctx, l.ItemCountOfTag, ids, now)
			if err != nil {
				return err
			}
			f.counts = byParent(ids, counts)
		}
	}
	return nil
}

// loadStores loads the stores a store field points to, and what is selected below them.
func (f *selField) loadStores(ctx context.Context, l *loader.Loaders, ids []catalog.ID, now bool) error {
	stores, err := get(ctx, l.Store, ids, now)
	if err != nil {
		return err
	}
	f.stores = byParent(ids, stores)
	unique := make([]*catalog.Store, 0, len(f.stores))
	for _, st := range f.stores {
		unique = append(unique, st)
	}
	return f.sel.LoadStores(ctx, l, unique, now)
}

func (s *Selection) appendStore(b []byte, st *catalog.Store) []byte {
	b = append(b, '{')
	for i, f := range s.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		switch f.kind {
		case kTypename:
			b = append(b, `"Store"`...)
		case kID:
			b = st.ID.AppendJSON(b)
		case kName:
			b = appendString(b, st.Name)
		case kItems:
			b = f.sel.appendItems(b, f.items[st.ID])
		case kTags:
			b = f.sel.appendTags(b, f.tags[st.ID])
		case kItemCount, kTagCount:
			b = strconv.AppendInt(b, int64(f.counts[st.ID]), 10)
		default:
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

func (s *Selection) appendItem(b []byte, it *catalog.Item) []byte {
	b = append(b, '{')
	for i, f := range s.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		switch f.kind {
		case kTypename:
			b = append(b, `"Item"`...)
		case kID:
			b = it.ID.AppendJSON(b)
		case kName:
			b = appendString(b, it.Name)
		case kPrice:
			b = it.Price.AppendJSON(b)
		case kStore:
			b = f.sel.appendStore(b, f.stores[it.StoreID])
		case kTags:
			b = f.sel.appendTags(b, f.tags[it.ID])
		case kTagCount:
			b = strconv.AppendInt(b, int64(f.counts[it.ID]), 10)
		default:
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

func (s *Selection) appendTag(b []byte, t *catalog.Tag) []byte {
	b = append(b, '{')
	for i, f := range s.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		switch f.kind {
		case kTypename:
			b = append(b, `"Tag"`...)
		case kID:
			b = t.ID.AppendJSON(b)
		case kName:
			b = appendString(b, t.Name)
		case kStore:
			b = f.sel.appendStore(b, f.stores[t.StoreID])
		case kItems:
			b = f.sel.appendItems(b, f.items[t.ID])
		case kItemCount:
			b = strconv.AppendInt(b, int64(f.counts[t.ID]), 10)
		default:
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

func (s *Selection) appendItems(b []byte, items []*catalog.Item) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendItem(b, it)
	}
	return append(b, ']')
}

func (s *Selection) appendTags(b []byte, tags []*catalog.Tag) []byte {
	b = append(b, '[')
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendTag(b, t)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as gqlgen escapes strings.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
