// Package querylimit refuses GraphQL documents too large, too deep or too wide before
// anything runs. gqlgen's complexity limit covers the estimated cost; this covers what it
// does not: the document's size in bytes, its depth, and its field and alias counts.
package querylimit

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Code is the extensions.code of a refused document: gqlgen's own complexity code, so that
// clients see one code for every query-shape limit.
const Code = "COMPLEXITY_LIMIT_EXCEEDED"

// Limits is a gqlgen extension. Use it before extension.AutomaticPersistedQuery, so that no
// oversized document enters the persisted-query cache, and before extension.ComplexityLimit,
// whose walk expands every fragment spread without bound: this walk stops at MaxFields.
type Limits struct {
	MaxBytes   int // of the query document
	MaxDepth   int // nested field levels; a root field is at depth 1
	MaxFields  int // field selections of the operation, fragments expanded where they are spread
	MaxAliases int // aliased field selections, counted as MaxFields
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName implements graphql.HandlerExtension.
func (Limits) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses an oversized document before it is parsed.
func (l Limits) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if n := len(p.Query); n > l.MaxBytes {
		return refuse("query document has %d bytes, which exceeds the limit of %d", n, l.MaxBytes)
	}
	return nil
}

// MutateOperationContext measures the operation to run, after validation.
func (l Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := measure{doc: oc.Doc, maxFields: l.MaxFields}
	m.walk(oc.Operation.SelectionSet, 1)
	switch {
	case m.fields > l.MaxFields:
		return refuse("operation has at least %d fields, which exceeds the limit of %d", m.fields, l.MaxFields)
	case m.depth > l.MaxDepth:
		return refuse("operation has depth %d, which exceeds the limit of %d", m.depth, l.MaxDepth)
	case m.aliases > l.MaxAliases:
		return refuse("operation has %d aliases, which exceeds the limit of %d", m.aliases, l.MaxAliases)
	}
	return nil
}

type measure struct {
	doc                    *ast.QueryDocument
	maxFields              int
	fields, aliases, depth int
}

// walk counts the fields of set, which sits at depth. It gives up once fields pass
// maxFields, so a document whose fragments spread each other many times over costs no more
// than that to measure.
func (m *measure) walk(set ast.SelectionSet, depth int) {
	for _, sel := range set {
		if m.fields > m.maxFields {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			m.fields++
			if s.Alias != s.Name {
				m.aliases++
			}
			m.depth = max(m.depth, depth)
			// Introspection answers from the schema in memory, runs no SQL and has its own
			// switch; its standard query nests deeper than any query on the data needs to.
			if s.Name != "__schema" && s.Name != "__type" {
				m.walk(s.SelectionSet, depth+1)
			}
		case *ast.InlineFragment:
			m.walk(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			def := s.Definition
			if def == nil {
				def = m.doc.Fragments.ForName(s.Name)
			}
			if def != nil {
				m.walk(def.SelectionSet, depth)
			}
		}
	}
}

func refuse(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, Code)
	return err
}

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
