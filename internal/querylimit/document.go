package querylimit

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CheckDocument measures a document known ahead of its requests (a trusted document) as a
// request's is measured: its size and shape against l, its validity against the schema,
// and the estimated cost of each of its operations against c, with variables at their
// defaults (a request's own variables are measured again when it runs). c must have been
// added to a server, which gives it the schema.
func CheckDocument(ctx context.Context, l Limits, c *Cost, query string) *gqlerror.Error {
	if c.es == nil {
		return gqlerror.Wrap(errors.New("querylimit: the cost check has no schema yet"))
	}
	l.Known = nil
	if err := l.MutateOperationParameters(ctx, &graphql.RawParams{Query: query}); err != nil {
		return err
	}
	doc, errs := gqlparser.LoadQuery(c.es.Schema(), query)
	if len(errs) > 0 {
		return errs[0]
	}
	if len(doc.Operations) == 0 {
		return gqlerror.Errorf("the document has no operation")
	}
	for _, op := range doc.Operations {
		if err := c.check(ctx, op, nil); err != nil {
			return err
		}
	}
	return nil
}
