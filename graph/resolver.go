package graph

//go:generate go tool gqlgen generate

import (
	"log/slog"

	"github.com/storegraph/storegraph/internal/auth"
	"github.com/storegraph/storegraph/internal/postgres"
)

// Resolver holds what the resolvers need; it is built once, in main.
type Resolver struct {
	Catalog *postgres.Catalog
	Auth    *auth.Service
	Log     *slog.Logger
	Live    *Hub // the subscriptions of this process
}

var _ ResolverRoot = (*Resolver)(nil)
