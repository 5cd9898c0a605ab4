package reference_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The query generator walks the schema, so a new field, argument, enum value, interface or
// union is asked for without changing it. A query has one to three root fields (aliased),
// nests object fields up to maxDepth, and mixes in aliases, inline fragments (with and
// without a type condition, on the type and on its interfaces and unions), named fragments
// (some spread more than once), @skip and @include on literals and variables, __typename,
// and arguments of every kind: valid, refused (first: -1, an Int past 32 bits), null,
// literal, variable, variable left out; ids of rows, of no row, and malformed.

// maxDepth is the deepest field of a query; a root field is at depth 1.
const maxDepth = 6

type generator struct {
	schema *ast.Schema
	data   dataSet
}

func newGenerator(t *testing.T, schema *ast.Schema, data dataSet) *generator {
	t.Helper()
	if schema.Query == nil {
		t.Fatal("the schema has no Query type")
	}
	return &generator{schema: schema, data: data}
}

// query is a request: its document and its variables.
type query struct {
	text string
	vars map[string]any
}

func (q query) String() string {
	vars, _ := json.Marshal(q.vars)
	return fmt.Sprintf("query:\n%s\nvariables: %s", q.text, vars)
}

// build is one query being generated.
type build struct {
	*generator
	r         *rand.Rand
	vars      map[string]any
	decls     []string
	fragments []string
	reusable  map[string][]fragment // by type condition
	names     int
}

type fragment struct {
	name  string
	depth int // of its fields: it may be spread at that depth or above
}

func (g *generator) query(r *rand.Rand) query {
	b := &build{generator: g, r: r, vars: map[string]any{}, reusable: map[string][]fragment{}}
	var roots []string
	for range 1 + r.IntN(3) {
		roots = append(roots, b.rootField())
	}
	var text strings.Builder
	text.WriteString("query Q")
	if len(b.decls) > 0 {
		fmt.Fprintf(&text, "(%s)", strings.Join(b.decls, ", "))
	}
	fmt.Fprintf(&text, " {\n  %s\n}\n", strings.Join(roots, "\n  "))
	for _, f := range b.fragments {
		text.WriteString(f)
	}
	return query{text: text.String(), vars: b.vars}
}

func (b *build) name(prefix string) string {
	b.names++
	return fmt.Sprintf("%s%d", prefix, b.names)
}

// rootField is a field of Query, mostly one that reads Store, Item or Tag.
func (b *build) rootField() string {
	fields := b.schema.Query.Fields
	var f *ast.FieldDefinition
	for f == nil || strings.HasPrefix(f.Name, "__") {
		f = fields[b.r.IntN(len(fields))]
	}
	return b.field(f, 1, true)
}

// field writes a selection of f at depth; alias forces an alias.
func (b *build) field(f *ast.FieldDefinition, depth int, alias bool) string {
	var args []string
	for _, a := range f.Arguments {
		if a.Type.NonNull || b.r.IntN(5) < 2 {
			args = append(args, a.Name+": "+b.argument(a.Type, a.Name))
		}
	}
	var out strings.Builder
	// Fields with arguments get a name of their own, so that no two selections with the same
	// name and different arguments meet.
	if alias || len(args) > 0 || b.r.IntN(5) == 0 {
		out.WriteString(b.name("a") + ": ")
	}
	out.WriteString(f.Name)
	if len(args) > 0 {
		fmt.Fprintf(&out, "(%s)", strings.Join(args, ", "))
	}
	out.WriteString(b.directive())
	if def := b.schema.Types[f.Type.Name()]; def.Kind != ast.Scalar && def.Kind != ast.Enum {
		out.WriteString(" " + b.selection(def, depth+1))
	}
	return out.String()
}

func (b *build) directive() string {
	switch b.r.IntN(12) {
	case 0:
		return " @skip(if: " + b.boolean() + ")"
	case 1:
		return " @include(if: " + b.boolean() + ")"
	}
	return ""
}

func (b *build) boolean() string {
	v := b.r.IntN(2) == 0
	if b.r.IntN(2) == 0 {
		return fmt.Sprint(v)
	}
	return b.variable("Boolean!", v)
}

func (b *build) variable(typ string, v any) string {
	name := b.name("v")
	b.decls = append(b.decls, "$"+name+": "+typ)
	b.vars[name] = v
	return "$" + name
}

// selection writes a selection set on def, whose fields are at depth.
func (b *build) selection(def *ast.Definition, depth int) string {
	var sel []string
	for range 1 + b.r.IntN(4) {
		sel = append(sel, b.selectionItem(def, depth))
	}
	return "{ " + strings.Join(sel, " ") + " }"
}

func (b *build) selectionItem(def *ast.Definition, depth int) string {
	switch b.r.IntN(10) {
	case 0:
		return "__typename" + b.directive()
	case 1:
		cond := b.condition(def)
		if cond == nil {
			return "... " + strings.TrimSpace(b.directive()) + " " + b.selection(def, depth)
		}
		return "... on " + cond.Name + b.directive() + " " + b.selection(cond, depth)
	case 2:
		return "..." + b.fragmentOn(def, depth) + b.directive()
	}
	if def.Kind == ast.Union {
		return "__typename"
	}
	var leaves, objects []*ast.FieldDefinition
	for _, f := range def.Fields {
		switch kind := b.schema.Types[f.Type.Name()].Kind; {
		case strings.HasPrefix(f.Name, "__"):
		case kind == ast.Scalar || kind == ast.Enum:
			leaves = append(leaves, f)
		default:
			objects = append(objects, f)
		}
	}
	if len(objects) > 0 && depth < maxDepth && (len(leaves) == 0 || b.r.IntN(2) == 0) {
		return b.field(objects[b.r.IntN(len(objects))], depth, false)
	}
	if len(leaves) == 0 {
		return "__typename"
	}
	return b.field(leaves[b.r.IntN(len(leaves))], depth, false)
}

// condition is a type a fragment inside a selection on def may name: def, an interface or
// union def belongs to, or for an abstract def one of its types; nil for none.
func (b *build) condition(def *ast.Definition) *ast.Definition {
	options := []*ast.Definition{nil, def}
	if def.Kind == ast.Object {
		options = append(options, b.schema.GetImplements(def)...)
	} else {
		options = append(options, b.schema.GetPossibleTypes(def)...)
	}
	return options[b.r.IntN(len(options))]
}

// fragmentOn names a fragment that applies to def: one made before, when one may be spread
// at this depth, else a new one.
func (b *build) fragmentOn(def *ast.Definition, depth int) string {
	var fit []fragment
	for _, name := range append([]string{def.Name}, typeNames(b.schema.GetImplements(def))...) {
		for _, f := range b.reusable[name] {
			if depth <= f.depth {
				fit = append(fit, f)
			}
		}
	}
	if len(fit) > 0 && b.r.IntN(2) == 0 {
		return fit[b.r.IntN(len(fit))].name
	}
	cond := b.condition(def)
	if cond == nil {
		cond = def
	}
	name := b.name("F")
	body := b.selection(cond, depth)
	b.fragments = append(b.fragments, fmt.Sprintf("fragment %s on %s %s\n", name, cond.Name, body))
	b.reusable[cond.Name] = append(b.reusable[cond.Name], fragment{name, depth})
	return name
}

func typeNames(defs []*ast.Definition) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.Name
	}
	return out
}

// argument writes a value for an argument of type t: a literal, or a variable (sometimes
// left out of the variables, when it may be).
func (b *build) argument(t *ast.Type, name string) string {
	lit, v := b.value(t, name)
	switch b.r.IntN(10) {
	case 0, 1, 2:
		return b.variable(t.String(), v)
	case 3:
		if !t.NonNull {
			name := b.name("v")
			b.decls = append(b.decls, "$"+name+": "+t.String())
			return "$" + name
		}
	}
	return lit
}

// value returns a value of type t as a literal and as JSON; name is the argument's or
// input field's, which picks among values that mean something for it.
func (b *build) value(t *ast.Type, name string) (string, any) {
	if !t.NonNull && b.r.IntN(12) == 0 {
		return "null", nil
	}
	if t.Elem != nil {
		var lits []string
		var vals []any
		for range b.r.IntN(4) {
			l, v := b.value(t.Elem, name)
			lits, vals = append(lits, l), append(vals, v)
		}
		return "[" + strings.Join(lits, ", ") + "]", vals
	}
	def := b.schema.Types[t.Name()]
	switch def.Kind {
	case ast.Enum:
		v := def.EnumValues[b.r.IntN(len(def.EnumValues))].Name
		return v, v
	case ast.InputObject:
		var lits []string
		vals := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull || b.r.IntN(3) == 0 {
				l, v := b.value(f.Type, f.Name)
				lits = append(lits, f.Name+": "+l)
				vals[f.Name] = v
			}
		}
		return "{" + strings.Join(lits, ", ") + "}", vals
	}
	switch t.Name() {
	case "Int":
		// Now and then a value the argument refuses: negative, or past 32 bits.
		n := []int64{0, 1, 1, 2, 2, 3, 5, 10}[b.r.IntN(8)]
		switch b.r.IntN(30) {
		case 0:
			n = -1
		case 1:
			n = 1 << 31
		}
		return fmt.Sprint(n), n
	case "Float":
		f := []float64{0, 1.5, 99.99, 500, 1e6, -1, 0.001}[b.r.IntN(7)]
		return fmt.Sprint(f), f
	case "Boolean":
		v := b.r.IntN(2) == 0
		return fmt.Sprint(v), v
	case "ID":
		var id string
		switch b.r.IntN(20) {
		case 0:
			id = "x1"
		case 1:
			id = "0"
		default:
			id = b.data.ids[b.r.IntN(len(b.data.ids))]
		}
		return quote(id), id
	}
	var s string
	switch {
	case name == "after" && b.r.IntN(6) > 0:
		s = b.data.cursors[b.r.IntN(len(b.data.cursors))]
	case name == "after":
		s = "not a cursor"
	default:
		s = []string{"", "a", "é", "%", "_", "\\", "\"", "b c", "🍵"}[b.r.IntN(9)]
	}
	return quote(s), s
}

// quote writes s as a GraphQL string: JSON's escapes are GraphQL's.
func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// TestGeneratorWritesValidQueries validates generated documents against the schema, and
// against the schema with an interface and a union over Store, Item and Tag, so that the
// differential test asks for fragments on them the day the schema has them.
func TestGeneratorWritesValidQueries(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	data := dataSet{ids: []string{"1", "2", "999999"}, cursors: []string{"Y3Vyc29yOjE"}}
	for name, extra := range map[string]string{
		"Schema": "",
		"WithInterfaceAndUnion": `
			interface Node { id: ID! }
			extend type Store implements Node
			extend type Item implements Node
			union Labelled = Item | Tag`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src) + extra})
			if gerr != nil {
				t.Fatal(gerr)
			}
			gen := newGenerator(t, schema, data)
			onInterface, onUnion := false, false
			for i := range 300 {
				q := gen.query(rand.New(rand.NewPCG(1, uint64(i))))
				if _, errs := gqlparser.LoadQuery(schema, q.text); len(errs) > 0 {
					t.Fatalf("query %d does not validate: %v\n%s", i, errs, q)
				}
				onInterface = onInterface || strings.Contains(q.text, " on Node ")
				onUnion = onUnion || strings.Contains(q.text, " on Labelled ")
			}
			if extra != "" && (!onInterface || !onUnion) {
				t.Errorf("fragments on Node: %t, on Labelled: %t; want both", onInterface, onUnion)
			}
		})
	}
}
