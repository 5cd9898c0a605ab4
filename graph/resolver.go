package graph

//go:generate go tool gqlgen generate

import (
	"log/slog"

	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/store"
)

// Resolver holds what the resolvers need; it is built once, in main.
type Resolver struct {
	Data *store.Store
	Auth *auth.Service
	Log  *slog.Logger
}

var _ ResolverRoot = (*Resolver)(nil)
