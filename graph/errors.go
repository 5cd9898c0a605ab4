package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/database"
)

// ErrorPresenter is the one place an error becomes what a client sees. A catalog error keeps
// its code and message; an error gqlgen already coded (parse, validation, complexity) keeps
// its own; a lost or refused database connection is shown as SERVICE_UNAVAILABLE, a request
// past its deadline or PostgreSQL's statement_timeout as TIMEOUT; anything
// else is logged and shown as INTERNAL_SERVER_ERROR with a fixed sentence, so SQL and driver
// text never reach a client.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var ce *catalog.Error
		if errors.As(err, &ce) {
			gqlErr := gqlerror.WrapPath(graphql.GetPath(ctx), err)
			var wrapped *gqlerror.Error
			if errors.As(err, &wrapped) && wrapped.Path != nil {
				gqlErr.Path = wrapped.Path
			}
			gqlErr.Message = ce.Message
			gqlErr.Extensions = map[string]any{"code": string(ce.Code)}
			return gqlErr
		}
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			if _, coded := gqlErr.Extensions["code"]; coded {
				return gqlErr
			}
		}
		presented := graphql.DefaultErrorPresenter(ctx, err)
		shown := &catalog.Error{Code: catalog.Internal, Message: catalog.InternalMessage}
		level, what := slog.LevelError, "internal error"
		switch {
		case database.Unavailable(err):
			// An outage is no bug in the server: a warning, and the client may try again.
			shown, level, what = catalog.ErrUnavailable, slog.LevelWarn, "database unavailable"
		case errors.Is(ctx.Err(), context.DeadlineExceeded) || database.TimedOut(err):
			shown, level, what = catalog.ErrTimeout, slog.LevelWarn, "request timed out"
		case errors.Is(ctx.Err(), context.Canceled):
			// The client went away (or shutdown cut it off); no one reads the answer.
			level, what = slog.LevelDebug, "request cancelled"
		}
		log.Log(ctx, level, what, "err", err, "path", presented.Path.String())
		return &gqlerror.Error{
			Message:    shown.Message,
			Path:       presented.Path,
			Locations:  presented.Locations,
			Extensions: map[string]any{"code": string(shown.Code)},
		}
	}
}

// RecoverFunc turns a panic in a resolver into an internal error, logging the value.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", v, "path", graphql.GetPath(ctx).String())
		return errors.New("panic in resolver")
	}
}
