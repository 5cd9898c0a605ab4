package postgres

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

// table is one of the catalog's tables as every statement that reads it reads it: the
// columns of its Bun model, in the model's order, and the field of T each is scanned into.
// The statements' column lists and their scans are made from it, so a column added to the
// migration and to the model reaches every read.
type table[T any] struct {
	name, alias string
	columns     []column
	id          int    // the index of the primary key in columns
	key         string // the primary key, as alias.column

	// Column lists, written once: each column as alias.column; as column; and as
	// alias.column or, where a join found no row, the column's zero value.
	list, bare, orZero string
	zeros              string // each column's zero value

	orders map[catalog.Order]string // ORDER BY for a list sorted by each column, ties by id
}

type column struct {
	name  string // quoted
	field int    // the index of its field in T
	// The pointer rows are scanned through: to the field, or to its basic type (*int64 for
	// a catalog.ID), which database/sql assigns without converting a value per row.
	dest reflect.Type
	zero string // the field's zero value, as SQL of the column's type
}

var scannerType = reflect.TypeFor[sql.Scanner]()

// basicTypes are the types database/sql assigns a driver's value to directly.
var basicTypes = map[reflect.Kind]reflect.Type{
	reflect.Int64:   reflect.TypeFor[int64](),
	reflect.String:  reflect.TypeFor[string](),
	reflect.Bool:    reflect.TypeFor[bool](),
	reflect.Float64: reflect.TypeFor[float64](),
}

// newTable reads T's columns from the Bun model registered with db. A model the readers
// cannot scan without reflection per row is a mistake in the code, so it panics.
func newTable[T any](db *bun.DB) *table[T] {
	meta := db.Table(reflect.TypeFor[T]())
	t := &table[T]{name: meta.Name, alias: meta.Alias, id: -1, orders: map[catalog.Order]string{}}
	var list, bare, orZero, zeros []string
	for i, f := range meta.Fields {
		if len(f.Index) != 1 {
			panic(fmt.Sprintf("postgres: %s.%s is in an embedded struct; the readers scan top-level fields", meta.Name, f.Name))
		}
		c := column{name: string(f.SQLName), field: f.Index[0], dest: reflect.PointerTo(f.StructField.Type)}
		if basic, ok := basicTypes[f.StructField.Type.Kind()]; ok && !c.dest.Implements(scannerType) {
			c.dest = reflect.PointerTo(basic)
		}
		sqlType := f.UserSQLType // as the model's tag says; else as Bun reads the Go type
		if sqlType == "" {
			sqlType = f.DiscoveredSQLType
		}
		zero := "NULL"
		if !f.IsPtr { // not as Bun writes a nullzero field's zero value: NULL
			zero = string(f.Append(db.QueryGen(), nil, reflect.Zero(f.StructField.Type)))
		}
		c.zero = zero + "::" + sqlType
		if f.IsPK {
			if t.id >= 0 || c.dest != reflect.TypeFor[*int64]() {
				panic(fmt.Sprintf("postgres: %s must have one bigint primary key", meta.Name))
			}
			t.id = i
		}
		t.columns = append(t.columns, c)
		qualified := t.alias + "." + c.name
		list = append(list, qualified)
		bare = append(bare, c.name)
		if f.IsPtr {
			orZero = append(orZero, qualified)
		} else {
			orZero = append(orZero, "coalesce("+qualified+", "+c.zero+")")
		}
		zeros = append(zeros, c.zero)
	}
	if t.id < 0 {
		panic(fmt.Sprintf("postgres: %s has no primary key", meta.Name))
	}
	t.key = list[t.id]
	for i, f := range meta.Fields {
		t.orders[catalog.Order(f.Name)] = list[i] + ", " + t.key
	}
	t.orders[catalog.ByID] = t.key
	t.list, t.bare = strings.Join(list, ", "), strings.Join(bare, ", ")
	t.orZero, t.zeros = strings.Join(orZero, ", "), strings.Join(zeros, ", ")
	return t
}

// orderBy is the ORDER BY of a list of this table in order o. Orders are checked against
// the columns at start-up (CheckOrders), so an unknown one here is a mistake in the code.
func (t *table[T]) orderBy(o catalog.Order) string {
	order, ok := t.orders[o]
	if !ok {
		panic(fmt.Sprintf("postgres: %s has no column %q to sort by", t.name, o))
	}
	return order
}

// CheckOrders fails when an order of a list of items or of tags names no column of its model.
func (s *Catalog) CheckOrders(items, tags []catalog.Order) error {
	for _, o := range items {
		if _, ok := s.items.orders[o]; !ok {
			return fmt.Errorf("items have no column %q to sort by", o)
		}
	}
	for _, o := range tags {
		if _, ok := s.tags.orders[o]; !ok {
			return fmt.Errorf("tags have no column %q to sort by", o)
		}
	}
	return nil
}

// byKey is a subquery, aliased as the table, that reads the one row whose id is key. The
// OFFSET 0 fences it: the planner cannot flatten it into the join, so each key is a probe
// of the primary key (see fewParents).
func (t *table[T]) byKey(key string) string {
	return "(SELECT " + t.bare + " FROM " + t.name + " WHERE " + t.name + "." + t.columns[t.id].name +
		" = " + key + " OFFSET 0) AS " + t.alias
}

// rowScan is where one statement scans its rows of a table, one row after the other.
type rowScan[T any] struct {
	row T
	id  *int64 // the row's id, in row
}

// bind appends to dest where rows.Scan puts each column of the table, in s. Done once per
// statement, so that no row pays for reflection.
func (t *table[T]) bind(s *rowScan[T], dest []any) []any {
	v := reflect.ValueOf(&s.row).Elem()
	for i, c := range t.columns {
		p := v.Field(c.field).Addr().Convert(c.dest).Interface()
		if i == t.id {
			s.id = p.(*int64)
		}
		dest = append(dest, p)
	}
	return dest
}

// copy returns the row scanned last as a T of its own.
func (s *rowScan[T]) copy() *T {
	c := new(T)
	*c = s.row
	return c
}

// key is the id of the row scanned last.
func (s *rowScan[T]) key() catalog.ID { return catalog.ID(*s.id) }
