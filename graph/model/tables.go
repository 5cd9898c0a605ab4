package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/loader"
	"github.com/storegraph/storegraph/internal/postgres"
)

// The tables below are the one place that says how each field of Store, Item and Tag is
// written by the relationship lists: a scalar's JSON and size, or the relation (loader,
// argument readers, row type) that serves it. CheckSchema fails the start-up when the schema
// has a field, an argument or an enum value they do not cover.

var (
	storeTable = &objectTable[catalog.Store]{name: "Store", id: func(s *catalog.Store) catalog.ID { return s.ID }}
	itemTable  = &objectTable[catalog.Item]{name: "Item", id: func(i *catalog.Item) catalog.ID { return i.ID }}
	tagTable   = &objectTable[catalog.Tag]{name: "Tag", id: func(t *catalog.Tag) catalog.ID { return t.ID }}
)

// The rows of a connection's edges are its nodes, each written with its cursor; a facet is
// a tag with its count.
var (
	storeEdgeTable = edgeTable("StoreEdge", storeTable)
	itemEdgeTable  = edgeTable("ItemEdge", itemTable)
	tagEdgeTable   = edgeTable("TagEdge", tagTable)
	tagFacetTable  = &objectTable[postgres.TagFacet]{name: "TagFacet", id: func(f *postgres.TagFacet) catalog.ID { return f.Tag.ID }}
)

// The list relations; gqlgen resolves the first list below an object it writes through the
// methods in nodes.go, which use these too.
var (
	storeItems = &listRelation[catalog.Store, catalog.Item]{parent: storeTable, child: itemTable, args: itemListArgs, batch: (*loader.Loaders).ItemsOfStore}
	storeTags  = &listRelation[catalog.Store, catalog.Tag]{parent: storeTable, child: tagTable, args: tagListArgs, batch: (*loader.Loaders).TagsOfStore}
	itemTags   = &listRelation[catalog.Item, catalog.Tag]{parent: itemTable, child: tagTable, args: tagListArgs, batch: (*loader.Loaders).TagsOfItem}
	tagItems   = &listRelation[catalog.Tag, catalog.Item]{parent: tagTable, child: itemTable, args: itemListArgs, batch: (*loader.Loaders).ItemsOfTag}
)

// The orders of the ItemOrder and TagOrder enums.
var (
	itemOrders = map[string]catalog.Order{"ID": catalog.ByID, "NAME": catalog.ByName, "PRICE": catalog.ByPrice}
	tagOrders  = map[string]catalog.Order{"ID": catalog.ByID, "NAME": catalog.ByName}
)

// Orders returns the orders the ItemOrder and TagOrder enums name, so that the store can
// check at start-up that it sorts by each.
func Orders() (items, tags []catalog.Order) {
	return slices.Collect(maps.Values(itemOrders)), slices.Collect(maps.Values(tagOrders))
}

// ListOrder returns the order a value of an order enum (ItemOrder, TagOrder) names, from the
// entries the lists read it with; the reference execution the tests compare with sorts by it.
func ListOrder(enum, value string) (catalog.Order, bool) {
	for _, args := range []map[string]argReader{itemListArgs, tagListArgs} {
		if r := args["orderBy"]; r.typeName == enum {
			o, ok := r.orders[value]
			return o, ok
		}
	}
	return catalog.ByID, false
}

// The arguments of the lists of items and of tags.
var (
	itemListArgs = map[string]argReader{"first": firstArg, "offset": offsetArg, "orderBy": orderArg("ItemOrder", itemOrders)}
	tagListArgs  = map[string]argReader{"first": firstArg, "offset": offsetArg, "orderBy": orderArg("TagOrder", tagOrders)}
)

func init() {
	storeTable.setFields(nil, map[string]field[catalog.Store]{
		"id":        idField(storeTable.id),
		"name":      stringField(func(s *catalog.Store) string { return s.Name }),
		"items":     relationField[catalog.Store](storeItems),
		"tags":      relationField[catalog.Store](storeTags),
		"itemCount": countOf[catalog.Store](func(l *loader.Loaders) *loader.Batch[int] { return l.ItemCountOfStore }),
		"tagCount":  countOf[catalog.Store](func(l *loader.Loaders) *loader.Batch[int] { return l.TagCountOfStore }),
	})
	itemTable.setFields(nil, map[string]field[catalog.Item]{
		"id":       idField(itemTable.id),
		"name":     stringField(func(i *catalog.Item) string { return i.Name }),
		"price":    moneyField(func(i *catalog.Item) catalog.Money { return i.Price }),
		"store":    storeOf(func(i *catalog.Item) catalog.ID { return i.StoreID }),
		"tags":     relationField[catalog.Item](itemTags),
		"tagCount": countOf[catalog.Item](func(l *loader.Loaders) *loader.Batch[int] { return l.TagCountOfItem }),
	})
	tagTable.setFields(nil, map[string]field[catalog.Tag]{
		"id":        idField(tagTable.id),
		"name":      stringField(func(t *catalog.Tag) string { return t.Name }),
		"store":     storeOf(func(t *catalog.Tag) catalog.ID { return t.StoreID }),
		"items":     relationField[catalog.Tag](tagItems),
		"itemCount": countOf[catalog.Tag](func(l *loader.Loaders) *loader.Batch[int] { return l.ItemCountOfTag }),
	})
	tagFacetTable.setFields(nil, map[string]field[postgres.TagFacet]{
		"tag":   relationField[postgres.TagFacet](&ownRelation[postgres.TagFacet, catalog.Tag]{child: tagTable, get: func(f *postgres.TagFacet) *catalog.Tag { return f.Tag }}),
		"count": intField(func(f *postgres.TagFacet) int { return f.Count }),
	})
}

// edgeTable is the table of the edges of a connection of node's rows.
func edgeTable[T any](name string, node *objectTable[T]) *objectTable[T] {
	t := &objectTable[T]{name: name, id: node.id}
	t.setFields(nil, map[string]field[T]{
		"cursor": cursorField(node.id),
		"node":   relationField[T](&ownRelation[T, T]{child: node, get: func(r *T) *T { return r }}),
	})
	return t
}

// objectTable is how the relationship lists write one object type.
type objectTable[T any] struct {
	name      string
	id        func(*T) catalog.ID
	fields    map[string]field[T]
	typename  field[T]
	satisfies []string // the type and the interfaces and unions it belongs to
}

// setFields sets the fields of t and the interfaces and unions its type belongs to, so that
// fragments on them apply inside lists; CheckSchema compares both with the schema.
func (t *objectTable[T]) setFields(belongsTo []string, fields map[string]field[T]) {
	t.fields = fields
	t.satisfies = append([]string{t.name}, belongsTo...)
	quoted := appendString(nil, t.name)
	t.typename = field[T]{
		valueType: "String",
		appendTo:  func(b []byte, _ *T) []byte { return append(b, quoted...) },
		size:      func(*T) int64 { return int64(len(quoted)) },
	}
}

func (t *objectTable[T]) field(name string) (field[T], bool) {
	if name == "__typename" {
		return t.typename, true
	}
	f, ok := t.fields[name]
	return f, ok
}

// field is one entry of a table: a scalar with its JSON and that JSON's size, or a relation.
type field[T any] struct {
	valueType string // the named GraphQL type of its value
	appendTo  func([]byte, *T) []byte
	size      func(*T) int64
	rel       relation[T]
}

func idField[T any](get func(*T) catalog.ID) field[T] {
	return field[T]{
		valueType: "ID",
		appendTo:  func(b []byte, r *T) []byte { return get(r).AppendJSON(b) },
		size:      func(r *T) int64 { return idSize(get(r)) },
	}
}

func stringField[T any](get func(*T) string) field[T] {
	return field[T]{
		valueType: "String",
		appendTo:  func(b []byte, r *T) []byte { return appendString(b, get(r)) },
		size:      func(r *T) int64 { return stringSize(get(r)) },
	}
}

func moneyField[T any](get func(*T) catalog.Money) field[T] {
	return field[T]{
		valueType: "Float",
		appendTo:  func(b []byte, r *T) []byte { return get(r).AppendJSON(b) },
		size:      func(r *T) int64 { return moneySize(get(r)) },
	}
}

func intField[T any](get func(*T) int) field[T] {
	return field[T]{
		valueType: "Int",
		appendTo:  func(b []byte, r *T) []byte { return strconv.AppendInt(b, int64(get(r)), 10) },
		size:      func(r *T) int64 { return intSize(get(r)) },
	}
}

func cursorField[T any](id func(*T) catalog.ID) field[T] {
	return field[T]{
		valueType: "String",
		appendTo:  func(b []byte, r *T) []byte { return append(catalog.AppendCursor(append(b, '"'), id(r)), '"') },
		size:      func(r *T) int64 { return 2 + int64(catalog.CursorLen(id(r))) },
	}
}

func relationField[T any](r relation[T]) field[T] {
	return field[T]{valueType: r.valueType(), rel: r}
}

func countOf[T any](batch func(*loader.Loaders) *loader.Batch[int]) field[T] {
	return relationField[T](countRelation[T]{batch: batch})
}

func storeOf[T any](key func(*T) catalog.ID) field[T] {
	return relationField[T](&objectRelation[T, catalog.Store]{child: storeTable, key: key,
		batch: func(l *loader.Loaders) *loader.Batch[*catalog.Store] { return l.Store }})
}

// relation is a field whose values are loaded: a list, an object or a count.
type relation[T any] interface {
	valueType() string
	arguments() map[string]argReader
	// compile compiles the field f; argErr is a refused argument, err a failed compile.
	compile(op *graphql.OperationContext, f graphql.CollectedField) (_ loaded[T], argErr, err error)
}

type listRelation[P, C any] struct {
	parent *objectTable[P]
	child  *objectTable[C]
	args   map[string]argReader
	batch  func(*loader.Loaders, catalog.ListArgs) *loader.Batch[[]*C]
}

func (r *listRelation[P, C]) valueType() string               { return r.child.name }
func (r *listRelation[P, C]) arguments() map[string]argReader { return r.args }

func (r *listRelation[P, C]) compile(op *graphql.OperationContext, f graphql.CollectedField) (loaded[P], error, error) {
	lf, argErr, err := r.compileList(op, f)
	if lf == nil {
		return nil, argErr, err
	}
	return lf, nil, nil
}

func (r *listRelation[P, C]) compileList(op *graphql.OperationContext, f graphql.CollectedField) (*listField[P, C], error, error) {
	args, err := readListArgs(r.args, f, op.Variables)
	if err != nil {
		return nil, err, nil
	}
	sel, err := compile(op, r.child, f.Selections)
	if err != nil {
		return nil, nil, err
	}
	return &listField[P, C]{rel: r, args: args, sel: sel}, nil, nil
}

type objectRelation[P, C any] struct {
	child *objectTable[C]
	key   func(*P) catalog.ID
	batch func(*loader.Loaders) *loader.Batch[*C]
}

func (r *objectRelation[P, C]) valueType() string               { return r.child.name }
func (r *objectRelation[P, C]) arguments() map[string]argReader { return nil }

func (r *objectRelation[P, C]) compile(op *graphql.OperationContext, f graphql.CollectedField) (loaded[P], error, error) {
	sel, err := compile(op, r.child, f.Selections)
	if err != nil {
		return nil, nil, err
	}
	return &objectField[P, C]{rel: r, sel: sel}, nil, nil
}

// ownRelation is an object its parent row holds: an edge's node, a facet's tag.
type ownRelation[P, C any] struct {
	child *objectTable[C]
	get   func(*P) *C
}

func (r *ownRelation[P, C]) valueType() string               { return r.child.name }
func (r *ownRelation[P, C]) arguments() map[string]argReader { return nil }

func (r *ownRelation[P, C]) compile(op *graphql.OperationContext, f graphql.CollectedField) (loaded[P], error, error) {
	sel, err := compile(op, r.child, f.Selections)
	if err != nil {
		return nil, nil, err
	}
	return &ownField[P, C]{rel: r, sel: sel}, nil, nil
}

type countRelation[P any] struct {
	batch func(*loader.Loaders) *loader.Batch[int]
}

func (countRelation[P]) valueType() string               { return "Int" }
func (countRelation[P]) arguments() map[string]argReader { return nil }

func (r countRelation[P]) compile(*graphql.OperationContext, graphql.CollectedField) (loaded[P], error, error) {
	return &countField[P]{batch: r.batch}, nil, nil
}

// listInput gathers a list's arguments as their readers read them.
type listInput struct {
	first, offset *int
	order         catalog.Order
}

// argReader reads one argument of a list field.
type argReader struct {
	typeName string                   // the argument's named GraphQL type
	orders   map[string]catalog.Order // an enum argument's values
	read     func(in *listInput, v any) error
}

var (
	firstArg  = intArg(func(in *listInput, n *int) { in.first = n })
	offsetArg = intArg(func(in *listInput, n *int) { in.offset = n })
)

// intArg reads an Int as the root path does (UnmarshalInt); null leaves it unset.
func intArg(set func(*listInput, *int)) argReader {
	return argReader{typeName: "Int", read: func(in *listInput, v any) error {
		if v == nil {
			return nil
		}
		n, err := UnmarshalInt(v)
		if err != nil {
			return err
		}
		set(in, &n)
		return nil
	}}
}

// orderArg reads an order enum through its table; null keeps the order by id.
func orderArg(enum string, orders map[string]catalog.Order) argReader {
	return argReader{typeName: enum, orders: orders, read: func(in *listInput, v any) error {
		if v == nil {
			return nil
		}
		name, ok := v.(string)
		if !ok {
			return catalog.Errorf(catalog.BadUserInput, "%s must be one of the enum's values.", enum)
		}
		o, ok := orders[name]
		if !ok {
			return fmt.Errorf("executor: %s.%s has no entry", enum, name)
		}
		in.order = o
		return nil
	}}
}

// readListArgs reads every argument of f as its definition declares it (the schema's
// defaults included) through readers; an argument without a reader is an error.
func readListArgs(readers map[string]argReader, f graphql.CollectedField, vars map[string]any) (catalog.ListArgs, error) {
	values := f.ArgumentMap(vars)
	var in listInput
	for _, def := range f.Definition.Arguments {
		r, ok := readers[def.Name]
		if !ok {
			return catalog.ListArgs{}, fmt.Errorf("executor: argument %s.%s(%s:) has no entry", f.ObjectDefinition.Name, f.Name, def.Name)
		}
		if err := r.read(&in, values[def.Name]); err != nil {
			return catalog.ListArgs{}, &valueError{arg: def.Name, err: err}
		}
	}
	return catalog.NewListArgs(in.first, in.offset, in.order)
}

// valueError is an argument's value its reader refused. gqlgen reports a value it cannot
// read at the argument's path, below the field's, and so does argErrorAt.
type valueError struct {
	arg string
	err error
}

func (e *valueError) Error() string { return e.err.Error() }
func (e *valueError) Unwrap() error { return e.err }

// argErrorAt is err, a refused argument of the field at path, as it is reported: at the
// argument when its value was refused, else at the field.
func argErrorAt(path ast.Path, err error) *gqlerror.Error {
	if ve, ok := errors.AsType[*valueError](err); ok {
		path = append(path[:len(path):len(path)], ast.PathName(ve.arg))
	}
	return gqlerror.WrapPath(path, err)
}

// tablesOf returns the table of T and the table of the edges of a connection of T.
func tablesOf[T catalog.Store | catalog.Item | catalog.Tag]() (node, edge *objectTable[T]) {
	var n, e any
	switch any((*T)(nil)).(type) {
	case *catalog.Store:
		n, e = storeTable, storeEdgeTable
	case *catalog.Item:
		n, e = itemTable, itemEdgeTable
	case *catalog.Tag:
		n, e = tagTable, tagEdgeTable
	}
	return n.(*objectTable[T]), e.(*objectTable[T])
}

// tableOf returns the table of T.
func tableOf[T catalog.Store | catalog.Item | catalog.Tag]() *objectTable[T] {
	node, _ := tablesOf[T]()
	return node
}
