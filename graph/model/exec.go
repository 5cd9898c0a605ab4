package model

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
)

// A relationship list (Store.items, Store.tags, Item.tags, Tag.items) is resolved whole: its
// method loads every level selected below it through the request's loaders, one loader call
// per field and level, and returns a list that writes the selected fields in one pass when
// gqlgen marshals it. gqlgen's generic execution costs goroutines and dozens of allocations
// per object; this costs appending bytes.
//
// What each field of Store, Item and Tag is, is told once, by the tables in tables.go;
// compiling a selection, loading it and writing it are walks over those tables, and
// CheckSchema holds the tables to the schema at start-up.

// ItemList is the value of an items field.
type ItemList struct{ list list[catalog.Item] }

// TagList is the value of a tags field.
type TagList struct{ list list[catalog.Tag] }

// list is a loaded list with what its field selects.
type list[T any] struct {
	sel  *Selection[T]
	rows []*T
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// MarshalGQL writes the list with its selected fields.
func (l ItemList) MarshalGQL(w io.Writer) { l.list.marshal(w) }

// MarshalGQL writes the list with its selected fields.
func (l TagList) MarshalGQL(w io.Writer) { l.list.marshal(w) }

var errOutputOnly = fmt.Errorf("a list of objects is output only")

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*ItemList) UnmarshalGQL(any) error { return errOutputOnly }

// UnmarshalGQL exists for gqlgen's marshaler binding; lists of objects are never input.
func (*TagList) UnmarshalGQL(any) error { return errOutputOnly }

func (l list[T]) marshal(w io.Writer) {
	bp := bufPool.Get().(*[]byte)
	b := l.sel.appendList((*bp)[:0], l.rows)
	_, _ = w.Write(b)
	if cap(b) <= 1<<20 { // keep only buffers of a usual size
		*bp = b
		bufPool.Put(bp)
	}
}

// resolveList resolves a list field that gqlgen executes (the first list below an object
// gqlgen writes): it reads the field's arguments through its table entry, as every nested
// list does, loads what the field selects below it, and takes the bytes the list will write
// from the request's budget; a list over it is refused before it is built.
func resolveList[P, C any](ctx context.Context, rel *listRelation[P, C], parent *P) (list[C], error) {
	fc := graphql.GetFieldContext(ctx)
	f, argErr, err := rel.compileList(graphql.GetOperationContext(ctx), fc.Field)
	if argErr != nil {
		return list[C]{}, argErrorAt(fc.Path(), argErr)
	}
	if err != nil {
		return list[C]{}, err
	}
	// One parent: its list loads on its own, without the maps a level of many parents needs.
	rows, err := rel.batch(loader.For(ctx), f.args).Load(ctx, rel.parent.id(parent))
	if err != nil {
		return list[C]{}, err
	}
	return loadList(ctx, fc, f.sel, rows)
}

// resolveRows resolves a list field of rows its parent holds already (a connection's nodes,
// edges and facets) as resolveList does: one list written in one pass, instead of an object
// gqlgen executes field by field for every row. preloaded holds, by the fields' aliases, the
// selections the parent's resolver compiled and loaded already.
func resolveRows[T any](ctx context.Context, t *objectTable[T], rows []*T, preloaded map[string]*Selection[T]) (list[T], error) {
	fc := graphql.GetFieldContext(ctx)
	if sel := preloaded[fc.Field.Alias]; sel != nil && sel.table == t {
		return checkList(ctx, fc, sel, rows)
	}
	sel, err := compile(graphql.GetOperationContext(ctx), t, fc.Field.Selections)
	if err != nil {
		return list[T]{}, err
	}
	return loadList(ctx, fc, sel, rows)
}

// loadList loads what sel selects below the rows of the list field fc, then checks the list.
func loadList[T any](ctx context.Context, fc *graphql.FieldContext, sel *Selection[T], rows []*T) (list[T], error) {
	if err := sel.Load(ctx, loader.For(ctx), rows, false); err != nil {
		return list[T]{}, err
	}
	return checkList(ctx, fc, sel, rows)
}

// checkList reports the arguments refused below the rows of the list field fc, and takes the
// bytes the list will write from the request's budget.
func checkList[T any](ctx context.Context, fc *graphql.FieldContext, sel *Selection[T], rows []*T) (list[T], error) {
	if sel.failing {
		if err := firstArgError(ctx, fc.Path(), sel, rows); err != nil {
			return list[T]{}, err
		}
	}
	if err := loader.For(ctx).ReserveBytes(sel.listSize(rows)); err != nil {
		return list[T]{}, err
	}
	return list[T]{sel: sel, rows: rows}, nil
}

// maxArgErrors bounds the errors one list reports for arguments refused below it: a refused
// field repeated over every row of a large answer reports a sample, not a copy per row.
const maxArgErrors = 20

// firstArgError reports a refused argument at every place below rows where its field would
// run, as gqlgen reports a failing field at each of its paths: the first is returned, to
// null the list (every field below it is non-null), the others are added.
func firstArgError[T any](ctx context.Context, listPath ast.Path, sel *Selection[T], rows []*T) error {
	var errs []error
	sel.argErrors(rows, listPath, &errs)
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs[1:] {
		graphql.AddError(ctx, err)
	}
	return errs[0]
}

// Selection is what a query selects on one type (Store, Item or Tag) below a field, with the
// values each of its relationship fields holds once loaded.
type Selection[T any] struct {
	table   *objectTable[T]
	fields  []selField[T]
	sizes   map[catalog.ID]int64 // bytes each row sized so far writes, see size.go
	failing bool                 // a field here or below has refused arguments
	frame   int64                // the size of a row's braces, keys and commas
}

type selField[T any] struct {
	key   []byte // `"alias":`
	alias string
	// A scalar: its JSON and the JSON's size.
	appendTo func([]byte, *T) []byte
	size     func(*T) int64
	// A relation: its loaded values.
	rel loaded[T]
	// The field's arguments were refused: it fails where it runs, that is, below a row.
	argErr error
	pos    *ast.Position
}

// loaded is a relationship field of a compiled selection on T.
type loaded[T any] interface {
	// load reads the field's values for rows (ids are theirs), and what is selected below.
	load(ctx context.Context, l *loader.Loaders, rows []*T, ids []catalog.ID, now bool) error
	appendTo(b []byte, row *T, id catalog.ID) []byte
	size(row *T, id catalog.ID) int64
	failing() bool
	argErrors(row *T, id catalog.ID, path ast.Path, errs *[]error)
}

// Compile reads the selection set sel on T (catalog.Store, catalog.Item or catalog.Tag),
// with its fragments, directives and arguments resolved. A refused argument does not fail
// the compile: it fails its field where the field runs.
func Compile[T catalog.Store | catalog.Item | catalog.Tag](op *graphql.OperationContext, sel ast.SelectionSet) (*Selection[T], error) {
	return compile(op, tableOf[T](), sel)
}

// CompileEdges reads the selection set sel of the edges of a connection of T.
func CompileEdges[T catalog.Store | catalog.Item | catalog.Tag](op *graphql.OperationContext, sel ast.SelectionSet) (*Selection[T], error) {
	_, edges := tablesOf[T]()
	return compile(op, edges, sel)
}

func compile[T any](op *graphql.OperationContext, t *objectTable[T], sel ast.SelectionSet) (*Selection[T], error) {
	fields := graphql.CollectFields(op, sel, t.satisfies)
	s := &Selection[T]{table: t, fields: make([]selField[T], 0, len(fields))}
	for _, f := range fields {
		sf := selField[T]{key: append(appendString(nil, f.Alias), ':'), alias: f.Alias, pos: f.Position}
		e, ok := t.field(f.Name)
		if !ok {
			return nil, fmt.Errorf("executor: %s.%s has no entry", t.name, f.Name)
		}
		if e.rel == nil {
			sf.appendTo, sf.size = e.appendTo, e.size
		} else {
			var err error
			if sf.rel, sf.argErr, err = e.rel.compile(op, f); err != nil {
				return nil, err
			}
			if sf.argErr != nil {
				sf.appendTo, sf.size = appendNull[T], sizeNull[T]
				s.failing = true
			} else if sf.rel.failing() {
				s.failing = true
			}
		}
		s.fields = append(s.fields, sf)
	}
	s.frame = frameSize(s.fields)
	return s, nil
}

func appendNull[T any](b []byte, _ *T) []byte { return append(b, "null"...) }
func sizeNull[T any](*T) int64                { return 4 }

// FirstList returns the arguments of the first relationship list s selects, when they were
// accepted.
func (s *Selection[T]) FirstList() (catalog.ListArgs, bool) {
	for i := range s.fields {
		if lf, ok := s.fields[i].rel.(listArgsHolder); ok {
			return lf.listArgs(), true
		}
		if s.fields[i].argErr != nil {
			return catalog.ListArgs{}, false
		}
	}
	return catalog.ListArgs{}, false
}

type listArgsHolder interface{ listArgs() catalog.ListArgs }

// Load loads what s selects below rows: fetched at once when now (nothing else is loading
// at the root of a request), else through the loaders' batch windows. A field whose
// arguments were refused is not loaded.
func (s *Selection[T]) Load(ctx context.Context, l *loader.Loaders, rows []*T, now bool) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]catalog.ID, len(rows))
	for i, r := range rows {
		ids[i] = s.table.id(r)
	}
	for i := range s.fields {
		f := &s.fields[i]
		if f.rel == nil || f.argErr != nil {
			continue
		}
		if err := f.rel.load(ctx, l, rows, ids, now); err != nil {
			return err
		}
	}
	return nil
}

// argErrors appends an error for every place below rows, in the order of the answer, where
// a field with refused arguments would run, up to maxArgErrors.
func (s *Selection[T]) argErrors(rows []*T, path ast.Path, errs *[]error) {
	for i, r := range rows {
		if len(*errs) >= maxArgErrors {
			return
		}
		s.rowArgErrors(r, append(path, ast.PathIndex(i)), errs)
	}
}

func (s *Selection[T]) rowArgErrors(r *T, path ast.Path, errs *[]error) {
	if r == nil || !s.failing {
		return
	}
	id := s.table.id(r)
	for i := range s.fields {
		f := &s.fields[i]
		if len(*errs) >= maxArgErrors {
			return
		}
		at := append(path[:len(path):len(path)], ast.PathName(f.alias))
		switch {
		case f.argErr != nil:
			err := argErrorAt(at, f.argErr)
			if f.pos != nil {
				err.Locations = []gqlerror.Location{{Line: f.pos.Line, Column: f.pos.Column}}
			}
			*errs = append(*errs, err)
		case f.rel != nil && f.rel.failing():
			f.rel.argErrors(r, id, at, errs)
		}
	}
}

func (s *Selection[T]) appendRow(b []byte, r *T) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	id := s.table.id(r)
	b = append(b, '{')
	for i := range s.fields {
		f := &s.fields[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		if f.rel != nil && f.argErr == nil {
			b = f.rel.appendTo(b, r, id)
		} else {
			b = f.appendTo(b, r)
		}
	}
	return append(b, '}')
}

func (s *Selection[T]) appendList(b []byte, rows []*T) []byte {
	b = append(b, '[')
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendRow(b, r)
	}
	return append(b, ']')
}

// get returns the values of ids from b: fetched at once when now, else through the loader's
// batch window. A missing value fails the whole field.
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

// listField is a compiled list relation: Store.items, Item.tags and the like.
type listField[P, C any] struct {
	rel    *listRelation[P, C]
	args   catalog.ListArgs
	sel    *Selection[C]
	values map[catalog.ID][]*C // by parent id
}

func (f *listField[P, C]) listArgs() catalog.ListArgs { return f.args }

func (f *listField[P, C]) load(ctx context.Context, l *loader.Loaders, _ []*P, ids []catalog.ID, now bool) error {
	lists, err := get(ctx, f.rel.batch(l, f.args), ids, now)
	if err != nil {
		return err
	}
	f.values = byParent(ids, lists)
	return f.sel.Load(ctx, l, flatten(lists, f.sel.table.id), now)
}

func (f *listField[P, C]) appendTo(b []byte, _ *P, id catalog.ID) []byte {
	return f.sel.appendList(b, f.values[id])
}

func (f *listField[P, C]) size(_ *P, id catalog.ID) int64 { return f.sel.listSize(f.values[id]) }

func (f *listField[P, C]) failing() bool { return f.sel.failing }

func (f *listField[P, C]) argErrors(_ *P, id catalog.ID, path ast.Path, errs *[]error) {
	f.sel.argErrors(f.values[id], path, errs)
}

// objectField is a compiled object relation: Item.store and Tag.store.
type objectField[P, C any] struct {
	rel    *objectRelation[P, C]
	sel    *Selection[C]
	values map[catalog.ID]*C // by key
}

func (f *objectField[P, C]) load(ctx context.Context, l *loader.Loaders, rows []*P, _ []catalog.ID, now bool) error {
	keys := make([]catalog.ID, len(rows))
	for i, r := range rows {
		keys[i] = f.rel.key(r)
	}
	values, err := get(ctx, f.rel.batch(l), keys, now)
	if err != nil {
		return err
	}
	f.values = byParent(keys, values)
	unique := make([]*C, 0, len(f.values))
	for _, v := range f.values {
		unique = append(unique, v)
	}
	return f.sel.Load(ctx, l, unique, now)
}

func (f *objectField[P, C]) appendTo(b []byte, row *P, _ catalog.ID) []byte {
	return f.sel.appendRow(b, f.values[f.rel.key(row)])
}

func (f *objectField[P, C]) size(row *P, _ catalog.ID) int64 {
	return f.sel.rowSize(f.values[f.rel.key(row)])
}

func (f *objectField[P, C]) failing() bool { return f.sel.failing }

func (f *objectField[P, C]) argErrors(row *P, _ catalog.ID, path ast.Path, errs *[]error) {
	f.sel.rowArgErrors(f.values[f.rel.key(row)], path, errs)
}

// ownField is a compiled own object: an edge's node, a facet's tag.
type ownField[P, C any] struct {
	rel *ownRelation[P, C]
	sel *Selection[C]
}

func (f *ownField[P, C]) load(ctx context.Context, l *loader.Loaders, rows []*P, _ []catalog.ID, now bool) error {
	children := make([]*C, len(rows))
	for i, r := range rows {
		children[i] = f.rel.get(r)
	}
	return f.sel.Load(ctx, l, children, now)
}

func (f *ownField[P, C]) appendTo(b []byte, row *P, _ catalog.ID) []byte {
	return f.sel.appendRow(b, f.rel.get(row))
}

func (f *ownField[P, C]) size(row *P, _ catalog.ID) int64 { return f.sel.rowSize(f.rel.get(row)) }

func (f *ownField[P, C]) failing() bool { return f.sel.failing }

func (f *ownField[P, C]) argErrors(row *P, _ catalog.ID, path ast.Path, errs *[]error) {
	f.sel.rowArgErrors(f.rel.get(row), path, errs)
}

// countField is a compiled count: Store.itemCount and the like.
type countField[P any] struct {
	batch  func(*loader.Loaders) *loader.Batch[int]
	values map[catalog.ID]int
}

func (f *countField[P]) load(ctx context.Context, l *loader.Loaders, _ []*P, ids []catalog.ID, now bool) error {
	counts, err := get(ctx, f.batch(l), ids, now)
	if err != nil {
		return err
	}
	f.values = byParent(ids, counts)
	return nil
}

func (f *countField[P]) appendTo(b []byte, _ *P, id catalog.ID) []byte {
	return strconv.AppendInt(b, int64(f.values[id]), 10)
}

func (f *countField[P]) size(_ *P, id catalog.ID) int64 { return intSize(f.values[id]) }

func (f *countField[P]) failing() bool { return false }

func (f *countField[P]) argErrors(*P, catalog.ID, ast.Path, *[]error) {}

// appendString appends s as a JSON string exactly as gqlgen's graphql.MarshalString writes
// it, so a name reads the same on the root and the nested paths: '"', '\\' and control
// characters escaped (\t, \r, \n, else \u00XX in upper case), every other byte, invalid
// UTF-8 included, copied as it is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
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
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
