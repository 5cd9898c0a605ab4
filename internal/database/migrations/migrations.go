// Package migrations holds the database schema as bun/migrate SQL migrations, embedded in the
// binary.
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

// Files are the migration files.
//
//go:embed *.sql
var Files embed.FS

// Migrations are the schema changes, in order.
var Migrations = migrate.NewMigrations()

func init() {
	if err := Migrations.Discover(Files); err != nil {
		panic(err)
	}
}
