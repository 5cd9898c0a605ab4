package model

import (
	"fmt"
	"slices"
	"sort"

	"github.com/vektah/gqlparser/v2/ast"
)

// CheckSchema holds the tables to schema: every field of Store, Item and Tag, and of the edges
// and facets written with them, every argument of their fields and every value of an enum
// argument must have an entry, of the type the schema gives it, and every entry a field; the
// interfaces and unions each type belongs to must be the ones its table lists. The error names the first missing one. The server
// refuses to start on it, instead of answering a new field with an error or a blank.
func CheckSchema(schema *ast.Schema) error {
	for _, check := range []func(*ast.Schema) error{storeTable.check, itemTable.check, tagTable.check,
		storeEdgeTable.check, itemEdgeTable.check, tagEdgeTable.check, tagFacetTable.check} {
		if err := check(schema); err != nil {
			return err
		}
	}
	return nil
}

func (t *objectTable[T]) check(schema *ast.Schema) error {
	def := schema.Types[t.name]
	if def == nil || def.Kind != ast.Object {
		return fmt.Errorf("graph/model/tables.go: the schema has no object type %s", t.name)
	}
	for _, f := range def.Fields {
		if len(f.Name) > 1 && f.Name[:2] == "__" {
			continue
		}
		e, ok := t.fields[f.Name]
		if !ok {
			return fmt.Errorf("graph/model/tables.go: %s.%s has no entry", t.name, f.Name)
		}
		if e.valueType != f.Type.Name() {
			return fmt.Errorf("graph/model/tables.go: %s.%s is a %s, its entry writes a %s", t.name, f.Name, f.Type.Name(), e.valueType)
		}
		var readers map[string]argReader
		if e.rel != nil {
			readers = e.rel.arguments()
		}
		for _, a := range f.Arguments {
			r, ok := readers[a.Name]
			if !ok {
				return fmt.Errorf("graph/model/tables.go: argument %s.%s(%s:) has no entry", t.name, f.Name, a.Name)
			}
			if r.typeName != a.Type.Name() {
				return fmt.Errorf("graph/model/tables.go: argument %s.%s(%s:) is a %s, its entry reads a %s", t.name, f.Name, a.Name, a.Type.Name(), r.typeName)
			}
			if enum := schema.Types[a.Type.Name()]; enum != nil && enum.Kind == ast.Enum {
				for _, v := range enum.EnumValues {
					if _, ok := r.orders[v.Name]; !ok {
						return fmt.Errorf("graph/model/tables.go: %s.%s has no entry", enum.Name, v.Name)
					}
				}
			}
		}
		for name := range readers {
			if f.Arguments.ForName(name) == nil {
				return fmt.Errorf("graph/model/tables.go: argument %s.%s(%s:) has an entry but is not in the schema", t.name, f.Name, name)
			}
		}
	}
	names := make([]string, 0, len(t.fields))
	for name := range t.fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if def.Fields.ForName(name) == nil {
			return fmt.Errorf("graph/model/tables.go: %s.%s has an entry but is not in the schema", t.name, name)
		}
	}
	want := []string{t.name}
	for _, d := range schema.GetImplements(def) {
		want = append(want, d.Name)
	}
	sort.Strings(want[1:])
	got := slices.Clone(t.satisfies)
	sort.Strings(got[1:])
	if !slices.Equal(got, want) {
		return fmt.Errorf("graph/model/tables.go: %s belongs to %v in the schema, its table lists %v", t.name, want[1:], got[1:])
	}
	return nil
}
