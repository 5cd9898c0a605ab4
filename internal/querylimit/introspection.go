package querylimit

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// NoIntrospection refuses an operation that asks for __schema or __type with gqlgen's
// validation code. Without it, gqlgen still refuses introspection when extension.Introspection
// is not in use, but with an uncoded error that reads as an internal one.
type NoIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = NoIntrospection{}

// ExtensionName implements graphql.HandlerExtension.
func (NoIntrospection) ExtensionName() string { return "NoIntrospection" }

// Validate implements graphql.HandlerExtension.
func (NoIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (NoIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation != nil && introspects(oc.Doc, oc.Operation.SelectionSet, map[string]bool{}) {
		err := gqlerror.Errorf("Introspection is disabled on this server.")
		errcode.Set(err, errcode.ValidationFailed)
		return err
	}
	return nil
}

// introspects reports whether set selects __schema or __type; both exist only on the root
// type, so only the root selection and the fragments spread in it are looked at, each
// fragment once however often it is spread.
func introspects(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(doc, s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if def := doc.Fragments.ForName(s.Name); def != nil && introspects(doc, def.SelectionSet, seen) {
				return true
			}
		}
	}
	return false
}
