// Package querylimit refuses GraphQL documents too large, too deep, too wide or too costly
// before anything runs, and bounds what a refused document can cost on its way out.
// gqlgen parses and validates a document before any extension sees it, and validation
// costs time and memory that grow with the document's shape (one "fields conflict" error
// per pair of fields), so the shape is measured on a parse of its own, before validation.
package querylimit

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Code is the extensions.code of a refused document: gqlgen's own complexity code, so that
// clients see one code for every query-shape limit.
const Code = "COMPLEXITY_LIMIT_EXCEEDED"

// IntrospectionMaxDepth is the depth allowed inside __schema and __type, whatever
// MaxDepth is: the standard introspection query of graphql-js, which GraphiQL and Apollo's
// tools send, nests 13 levels deep. Its breadth counts towards MaxFields and the cost.
const IntrospectionMaxDepth = 15

// Limits is a gqlgen extension. Use it before extension.AutomaticPersistedQuery, so that no
// oversized document enters the persisted-query cache.
type Limits struct {
	MaxBytes   int // of the query document
	MaxDepth   int // nested field levels; a root field is at depth 1
	MaxFields  int // field selections of an operation, fragments expanded where they are spread
	MaxAliases int // aliased field selections, counted as MaxFields
	// Known holds documents that passed already (gqlgen's parsed-document cache): they
	// are not measured again.
	Known graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = Limits{}

// ExtensionName implements graphql.HandlerExtension.
func (Limits) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses an oversized document before it is parsed, and one too
// deep or too wide before it is validated. Every operation and every fragment of the
// document is measured, used or not, since validation walks them all.
func (l Limits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if n := len(p.Query); n > l.MaxBytes {
		return refuse("query document has %d bytes, which exceeds the limit of %d", n, l.MaxBytes)
	}
	if p.Query == "" {
		return nil // a persisted-query hash alone: its document was measured when it was stored
	}
	if l.Known != nil {
		if _, ok := l.Known.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return nil // gqlgen parses it again and reports the error as a parse failure
	}
	for _, op := range doc.Operations {
		if err := l.check(doc, op.SelectionSet, false); err != nil {
			return err
		}
	}
	for _, f := range doc.Fragments {
		// A fragment on __Type, __Field and the like can only be spread below __schema or
		// __type, so it is measured as introspection.
		if err := l.check(doc, f.SelectionSet, strings.HasPrefix(f.TypeCondition, "__")); err != nil {
			return err
		}
	}
	return nil
}

func (l Limits) check(doc *ast.QueryDocument, set ast.SelectionSet, inIntrospection bool) *gqlerror.Error {
	m := measure{doc: doc, maxFields: l.MaxFields, onPath: map[string]bool{}}
	m.walk(set, 1, inIntrospection)
	switch {
	case m.fields > l.MaxFields || m.steps > maxSteps(l.MaxFields):
		return refuse("operation has at least %d fields, which exceeds the limit of %d", max(m.fields, l.MaxFields+1), l.MaxFields)
	case m.depth > l.MaxDepth:
		return refuse("operation has depth %d, which exceeds the limit of %d", m.depth, l.MaxDepth)
	case m.introspectionDepth > IntrospectionMaxDepth:
		return refuse("introspection has depth %d, which exceeds the limit of %d", m.introspectionDepth, IntrospectionMaxDepth)
	case m.aliases > l.MaxAliases:
		return refuse("operation has %d aliases, which exceeds the limit of %d", m.aliases, l.MaxAliases)
	}
	return nil
}

// maxSteps bounds the selections (fields and fragments) one walk visits: a chain of
// fragments that only spread other fragments visits many selections for few fields.
func maxSteps(maxFields int) int { return 16 * (maxFields + 1) }

type measure struct {
	doc       *ast.QueryDocument
	maxFields int
	onPath    map[string]bool // fragments being expanded: a cycle is left to validation

	fields, aliases, steps    int
	depth, introspectionDepth int
}

// walk counts the fields of set, which sits at depth; inIntrospection tells whether set is
// below __schema or __type. It gives up once fields pass maxFields, so a document whose
// fragments spread each other many times over costs no more than that to measure.
func (m *measure) walk(set ast.SelectionSet, depth int, inIntrospection bool) {
	for _, sel := range set {
		m.steps++
		if m.fields > m.maxFields || m.steps > maxSteps(m.maxFields) {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			m.fields++
			if s.Alias != "" && s.Alias != s.Name {
				m.aliases++
			}
			below := inIntrospection || s.Name == "__schema" || s.Name == "__type"
			if below {
				m.introspectionDepth = max(m.introspectionDepth, depth)
			} else {
				m.depth = max(m.depth, depth)
			}
			m.walk(s.SelectionSet, depth+1, below)
		case *ast.InlineFragment:
			m.walk(s.SelectionSet, depth, inIntrospection)
		case *ast.FragmentSpread:
			if m.onPath[s.Name] {
				continue
			}
			if def := m.doc.Fragments.ForName(s.Name); def != nil {
				m.onPath[s.Name] = true
				m.walk(def.SelectionSet, depth, inIntrospection)
				delete(m.onPath, s.Name)
			}
		}
	}
}

func refuse(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, Code)
	return err
}
