package graph_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/storegraph/storegraph/graph"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// pick returns the raw JSON at path in data: object keys and list indexes.
func pick(t *testing.T, data json.RawMessage, path ...any) json.RawMessage {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("at %q of %s: %v", k, data, err)
			}
			data = m[k]
		case int:
			var l []json.RawMessage
			if err := json.Unmarshal(data, &l); err != nil || k >= len(l) {
				t.Fatalf("at %d of %s: %v", k, data, err)
			}
			data = l[k]
		}
	}
	return data
}

// TestScalarFieldsAgreeOnEveryPath reads every scalar field of Store, Item and Tag, as the
// schema lists them, at the root (gqlgen) and inside relationship lists at every depth
// (the tables): the same row must read the same, byte for byte.
func TestScalarFieldsAgreeOnEveryPath(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Contract")
	item := s.CreateItem(t, storeID, "Widget", 12.5)
	tag := s.CreateTag(t, storeID, "blue")
	s.Link(t, item, tag)
	// Text the API would refuse, but a row may hold: every path must escape it alike. Every
	// column gets a value of its own, so that a path that misses one cannot pass by writing
	// the column's default.
	tricky := "q\" b\\ \x01\x1f\x7f\t\n<&> é\u2028"
	for _, table := range []string{"stores", "items", "tags"} {
		dbtest.FillColumns(t, s.DB(), table, table+" "+tricky)
	}
	vars := map[string]any{"s": storeID, "i": item, "t": tag}

	// Each query selects F at the path after it; the first is the root path.
	paths := map[string][]struct {
		query string
		at    []any
	}{
		"Item": {
			{`item(id: $i) { F }`, []any{"item"}},
			{`store(id: $s) { items { F } }`, []any{"store", "items", 0}},
			{`tag(id: $t) { items { F } }`, []any{"tag", "items", 0}},
			{`item(id: $i) { F tags { id } }`, []any{"item"}},
			{`item(id: $i) { tags { items { F } } }`, []any{"item", "tags", 0, "items", 0}},
		},
		"Store": {
			{`store(id: $s) { F }`, []any{"store"}},
			{`item(id: $i) { store { F } }`, []any{"item", "store"}},
			{`item(id: $i) { tags { store { F } } }`, []any{"item", "tags", 0, "store"}},
			{`tag(id: $t) { items { store { F } } }`, []any{"tag", "items", 0, "store"}},
			{`store(id: $s) { F items { id } }`, []any{"store"}},
		},
		"Tag": {
			{`tag(id: $t) { F }`, []any{"tag"}},
			{`item(id: $i) { tags { F } }`, []any{"item", "tags", 0}},
			{`store(id: $s) { tags { F } }`, []any{"store", "tags", 0}},
			{`tag(id: $t) { F items { id } }`, []any{"tag"}},
			{`store(id: $s) { items { tags { F } } }`, []any{"store", "items", 0, "tags", 0}},
		},
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for typeName, queries := range paths {
		for _, f := range schema.Types[typeName].Fields {
			kind := schema.Types[f.Type.Name()].Kind
			if strings.HasPrefix(f.Name, "__") || f.Type.Elem != nil || (kind != ast.Scalar && kind != ast.Enum) {
				continue
			}
			t.Run(typeName+"."+f.Name, func(t *testing.T) {
				t.Parallel()
				var want json.RawMessage
				for _, q := range queries {
					body := strings.ReplaceAll(q.query, "F", f.Name)
					var decl []string
					used := map[string]any{}
					for _, v := range []string{"s", "i", "t"} {
						if strings.Contains(body, "$"+v+")") {
							decl = append(decl, "$"+v+": ID!")
							used[v] = vars[v]
						}
					}
					query := fmt.Sprintf(`query(%s) { %s }`, strings.Join(decl, ", "), body)
					r := s.Post(t, query, used)
					if len(r.Errors) > 0 {
						t.Fatalf("%s: %+v", query, r.Errors)
					}
					got := pick(t, r.Data, append(q.at, f.Name)...)
					if len(got) == 0 {
						t.Fatalf("%s: no %s in %s", query, f.Name, r.Data)
					}
					if want == nil {
						want = got
					} else if string(got) != string(want) {
						t.Errorf("%s: %s = %s; want %s, as the root path writes it", query, f.Name, got, want)
					}
				}
			})
		}
	}
}

// TestNestedArgumentsFailWhereTheFieldRuns checks that a refused argument of a nested list
// is reported at the path of that list, below the row it runs for, and not at all when no
// row reaches it.
func TestNestedArgumentsFailWhereTheFieldRuns(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	bare := s.CreateStore(t, "No Tags")
	storeID := s.CreateStore(t, "Linked")
	item := s.CreateItem(t, storeID, "Dune", 9.99)
	tag := s.CreateTag(t, storeID, "fiction")
	s.Link(t, item, tag)
	other := s.CreateItem(t, storeID, "Emma", 5)
	s.Link(t, other, tag)

	for _, tc := range []struct {
		name  string
		query string
		id    string
		paths []string // "" when there is no error
		data  string
	}{
		{"NoParentNoError", `query($id: ID!) { store(id: $id) { tags { items(first: -1) { id } } } }`, bare, nil,
			`{"store":{"tags":[]}}`},
		{"NoParentUnderAliasNoError", `query($id: ID!) { store(id: $id) { t: tags { i: items(offset: -1) { id } } } }`, bare, nil,
			`{"store":{"t":[]}}`},
		{"AtEachRow", `query($id: ID!) { tag(id: $id) { items { tags(first: -1) { id } } } }`, tag,
			[]string{"tag.items.0.tags", "tag.items.1.tags"}, `{"tag":null}`},
		{"UnderAliases", `query($id: ID!) { tag(id: $id) { a: items(first: 1) { b: tags(offset: -1) { id } } } }`, tag,
			[]string{"tag.a.0.b"}, `{"tag":null}`},
		{"Deeper", `query($id: ID!) { store(id: $id) { items(first: 1) { tags { items(first: 1) { store { tags(first: -3) { id } } } } } } }`, storeID,
			[]string{"store.items.0.tags.0.items.0.store.tags"}, `{"store":null}`},
		{"OwnArgumentAtTheField", `query($id: ID!) { tag(id: $id) { items(first: -1) { id } } }`, tag,
			[]string{"tag.items"}, `{"tag":null}`},
		// A value that is no Int is refused at the argument, as gqlgen refuses it at the root.
		{"ValueAtTheArgument", `query($id: ID!) { tag(id: $id) { items { tags(first: 2147483648) { id } } } }`, tag,
			[]string{"tag.items.0.tags.first", "tag.items.1.tags.first"}, `{"tag":null}`},
		{"OwnValueAtTheArgument", `query($id: ID!) { tag(id: $id) { items(offset: 2147483648) { id } } }`, tag,
			[]string{"tag.items.offset"}, `{"tag":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.Post(t, tc.query, map[string]any{"id": tc.id})
			var got []string
			for _, e := range r.Errors {
				if e.Code() != "BAD_USER_INPUT" {
					t.Errorf("error %q has code %s; want BAD_USER_INPUT", e.Message, e.Code())
				}
				parts := make([]string, len(e.Path))
				for i, p := range e.Path {
					parts[i] = fmt.Sprint(p)
				}
				got = append(got, strings.Join(parts, "."))
			}
			slices.Sort(got) // gqlgen reports the errors of a list's rows in no set order
			if strings.Join(got, " ") != strings.Join(tc.paths, " ") {
				t.Errorf("errors at %q; want %q", got, tc.paths)
			}
			if string(r.Data) != tc.data {
				t.Errorf("data %s; want %s", r.Data, tc.data)
			}
		})
	}
}

// TestEveryListFieldHasACost walks the schema: a field that returns a list, or pages with
// first, must have its own entry in Complexity, else a nested list costs as one field.
func TestEveryListFieldHasACost(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	costs := reflect.ValueOf(graph.Complexity(50))
	for _, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") || def.BuiltIn {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			// The lists of a connection are bounded by the connection's own first.
			isList := f.Type.Elem != nil && !strings.HasSuffix(def.Name, "Connection")
			if !isList && f.Arguments.ForName("first") == nil {
				continue
			}
			byType := costs.FieldByName(def.Name)
			var cost reflect.Value
			if byType.IsValid() {
				cost = byType.FieldByName(strings.ToUpper(f.Name[:1]) + f.Name[1:])
			}
			if !cost.IsValid() || cost.IsNil() {
				t.Errorf("%s.%s has no cost in Complexity", def.Name, f.Name)
			}
		}
	}
}
