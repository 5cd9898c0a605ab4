package model

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/catalog"
)

// MarshalID writes a GraphQL ID held as a catalog.ID.
func MarshalID(id catalog.ID) graphql.ContextMarshaler { return idValue(id) }

type idValue catalog.ID

func (id idValue) MarshalGQLContext(_ context.Context, w io.Writer) error {
	catalog.ID(id).MarshalGQL(w)
	return nil
}

// UnmarshalID reads a GraphQL ID argument, or an ID inside one, as a catalog.ID. A malformed
// id is reported at the field whose argument holds it, not at the argument: an error's path
// names fields of the response.
func UnmarshalID(ctx context.Context, v any) (catalog.ID, error) {
	var id catalog.ID
	if err := id.UnmarshalGQL(v); err != nil {
		var path ast.Path
		if fc := graphql.GetFieldContext(ctx); fc != nil {
			path = fc.Path()
		}
		return 0, &gqlerror.Error{Err: err, Message: err.Error(), Path: path}
	}
	return id, nil
}
