package querylimit

import (
	"context"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Cost refuses an operation whose estimated cost is over Max. The data fields cost what
// the schema's complexity functions say (gqlgen's estimate); introspection, which gqlgen
// skips, costs like any field, its lists counted at the schema's real sizes, so that a
// document repeating __schema cannot build a response of many megabytes.
type Cost struct {
	Max int

	es    graphql.ExecutableSchema
	sizes map[string]int // rows of each introspection list, from the schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &Cost{}

// ExtensionName implements graphql.HandlerExtension.
func (*Cost) ExtensionName() string { return "QueryCost" }

// Validate implements graphql.HandlerExtension; it reads the sizes of the schema's lists.
func (c *Cost) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	c.sizes = introspectionSizes(es.Schema())
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (c *Cost) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	return c.check(ctx, oc.Operation, oc.Variables)
}

func (c *Cost) check(ctx context.Context, op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	cost := complexity.Calculate(ctx, c.es, op, vars)
	cost = saturatingAdd(cost, c.introspection(op.SelectionSet, false))
	if cost > c.Max {
		return refuse("operation has complexity %d, which exceeds the limit of %d", cost, c.Max)
	}
	return nil
}

// introspection is the cost of the introspection fields in set (validated, so fragments
// are resolved and acyclic); in tells whether set is below __schema or __type.
func (c *Cost) introspection(set ast.SelectionSet, in bool) int {
	total := 0
	for _, sel := range set {
		var n int
		switch s := sel.(type) {
		case *ast.Field:
			below := in || s.Name == "__schema" || s.Name == "__type"
			if !below {
				n = c.introspection(s.SelectionSet, false)
				break
			}
			n = saturatingAdd(1, c.introspection(s.SelectionSet, true))
			if rows, ok := c.sizes[s.Name]; ok && in {
				n = saturatingMul(n, max(rows, 1))
			}
		case *ast.InlineFragment:
			n = c.introspection(s.SelectionSet, in)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n = c.introspection(s.Definition.SelectionSet, in)
			}
		}
		total = saturatingAdd(total, n)
	}
	return total
}

// introspectionSizes gives each list field of the introspection types the most rows it can
// return for this schema.
func introspectionSizes(s *ast.Schema) map[string]int {
	sizes := map[string]int{"types": len(s.Types), "directives": len(s.Directives), "locations": 0}
	grow := func(name string, n int) { sizes[name] = max(sizes[name], n) }
	for _, t := range s.Types {
		if t.Kind == ast.InputObject {
			grow("inputFields", len(t.Fields))
		} else {
			grow("fields", len(t.Fields))
		}
		grow("enumValues", len(t.EnumValues))
		grow("interfaces", len(t.Interfaces))
		grow("possibleTypes", len(s.PossibleTypes[t.Name]))
		for _, f := range t.Fields {
			grow("args", len(f.Arguments))
		}
	}
	for _, d := range s.Directives {
		grow("args", len(d.Arguments))
		grow("locations", len(d.Locations))
	}
	return sizes
}

const maxInt = int(^uint(0) >> 1)

func saturatingAdd(a, b int) int {
	if a > maxInt-b {
		return maxInt
	}
	return a + b
}

func saturatingMul(a, b int) int {
	if a != 0 && b > maxInt/a {
		return maxInt
	}
	return a * b
}
