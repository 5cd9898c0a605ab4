// Package postgres keeps the catalog (stores, items, tags and their links) and the accounts in
// PostgreSQL through Bun, and turns the database's refusals into catalog errors.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
	"github.com/storegraph/storegraph/internal/replica"
)

// Catalog reads and writes stores, items, tags and their links.
type Catalog struct {
	db      *bun.DB           // the primary
	reads   *replica.Set      // where reads go, when not to db
	prepare pgx.QueryExecMode // how parameterized statements are sent
	*statements
}

// statements are the tables and relations the Catalog's statements are written from, made
// once and shared with the Catalog of every replica read.
type statements struct {
	stores *table[catalog.Store]
	items  *table[catalog.Item]
	tags   *table[catalog.Tag]

	itemsOfStores, itemsOfTags relation[catalog.Item]
	tagsOfStores, tagsOfItems  relation[catalog.Tag]
	storesOfOwners             relation[catalog.Store]

	itemWithTags point[catalog.Item, catalog.Tag]
	tagWithItems point[catalog.Tag, catalog.Item]

	tagsOfItem linkSet[catalog.Tag]
	itemsOfTag linkSet[catalog.Item]
}

// Options say where a Catalog reads and how it sends statements.
type Options struct {
	// Replicas serve the reads that need not see the request's own writes; nil reads
	// everything from the primary.
	Replicas *replica.Set
	// UnnamedStatements sends parameterized statements unnamed, with their result
	// descriptions cached, rather than as named prepared statements: for a pooler in
	// transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or
	// with max_prepared_statements = 0).
	UnnamedStatements bool
}

// NewCatalog returns a Catalog that writes to db, the primary, whose Bun models
// (catalog.Models) are registered.
func NewCatalog(db *bun.DB, opts Options) *Catalog {
	c := &Catalog{db: db, reads: opts.Replicas, prepare: pgx.QueryExecModeCacheStatement, statements: newStatements(db)}
	if opts.UnnamedStatements {
		c.prepare = pgx.QueryExecModeCacheDescribe
	}
	return c
}

func newStatements(db *bun.DB) *statements {
	s := &statements{
		stores: newTable[catalog.Store](db),
		items:  newTable[catalog.Item](db),
		tags:   newTable[catalog.Tag](db),
	}
	s.itemsOfStores = ownedBy(s.items, "store_id")
	s.tagsOfStores = ownedBy(s.tags, "store_id")
	s.storesOfOwners = ownedBy(s.stores, "owner_id")
	s.tagsOfItems = linkedBy(s.tags, "item_id", "tag_id")
	s.itemsOfTags = linkedBy(s.items, "tag_id", "item_id")
	s.itemWithTags = point[catalog.Item, catalog.Tag]{root: s.items, list: s.tagsOfItems}
	s.tagWithItems = point[catalog.Tag, catalog.Item]{root: s.tags, list: s.itemsOfTags}
	s.tagsOfItem = linkSet[catalog.Tag]{row: anItem, self: "item_id", other: s.tags, otherColumn: "tag_id",
		missing: catalog.ErrNoTag, foreign: errCrossStore,
		pair: func(item catalog.ID, t *catalog.Tag) (catalog.ID, catalog.ID) { return item, t.ID }}
	s.itemsOfTag = linkSet[catalog.Item]{row: aTag, self: "tag_id", other: s.items, otherColumn: "item_id",
		missing: catalog.ErrNoItem, foreign: catalog.Errorf(catalog.BadUserInput, "An item can only be linked with a tag of its own store."),
		pair: func(tag catalog.ID, i *catalog.Item) (catalog.ID, catalog.ID) { return i.ID, tag }}
	return s
}

// read runs fn with a Catalog on the server that serves ctx's reads: a replica, or the
// primary (see replica.Set.Read). fn may run more than once: the rows a failed run took
// from the request's budget are given back, as the next run reads them again.
func (s *Catalog) read(ctx context.Context, fn func(ctx context.Context, s *Catalog) error) error {
	if !s.reads.HasReplicas() {
		return fn(ctx, s)
	}
	return s.reads.Read(ctx, func(db *bun.DB) error {
		on := s
		if db != s.db {
			// The same tables and statements, on the replica; its reads go nowhere else.
			c := *s
			c.db, c.reads = db, nil
			on = &c
		}
		run := rowBudget(ctx).share()
		err := fn(WithRowBudget(ctx, run), on)
		var ce *catalog.Error
		if err != nil && !errors.As(err, &ce) {
			run.giveBack()
		}
		return err
	})
}

// Accounts reads and writes users, their refresh tokens and sign-in attempts.
type Accounts struct {
	db *bun.DB
}

// NewAccounts returns Accounts over db.
func NewAccounts(db *bun.DB) *Accounts { return &Accounts{db: db} }

// SQLSTATE codes the store translates.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
	numericOutOfRange   = "22003"
)

// constraintErrors maps the schema's constraints to what a client is told when a statement
// breaks one. Foreign keys whose meaning depends on the statement are handled where they occur.
var constraintErrors = map[string]*catalog.Error{
	"stores_name_key":         catalog.Errorf(catalog.Conflict, "A store with that name already exists."),
	"items_store_id_name_key": catalog.Errorf(catalog.Conflict, "An item with that name already exists in that store."),
	"tags_store_id_name_key":  catalog.Errorf(catalog.Conflict, "A tag with that name already exists in that store."),
	"items_store_id_fkey":     catalog.ErrNoStore,
	"tags_store_id_fkey":      catalog.ErrNoStore,
	"items_tags_item_fkey":    catalog.ErrNoItem,
	"stores_owner_id_fkey":    catalog.Errorf(catalog.Unauthenticated, "The account of that access token no longer exists: sign in again."),
}

// translate turns a driver error into a catalog error where the database refused the
// change for a reason the client can act on; anything else is returned wrapped, for the log.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var ce *catalog.Error
	if errors.As(err, &ce) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if e, ok := constraintErrors[pgErr.ConstraintName]; ok {
			return e
		}
		switch pgErr.Code {
		case checkViolation, numericOutOfRange:
			return catalog.Errorf(catalog.BadUserInput, "A value is out of range.")
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func pgCode(err error) (code, constraint string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.ConstraintName
	}
	return "", ""
}

// notFoundIfNoRows turns "no row" into the given NOT_FOUND error.
func notFoundIfNoRows(err error, notFound *catalog.Error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}

// bound is a bun.IConn that sends Bun's statements with parameters of their own ($1, ...).
// Ids written into the text, as Bun would, make every batch a new statement for PostgreSQL
// to parse and plan; with the ids as one array parameter the text stays the same, and each
// connection prepares it once.
type bound struct {
	db   *sql.DB
	args []any
}

var _ bun.IConn = bound{}

// bind returns a connection for a statement whose $1 is ids.
func (s *Catalog) bind(ids []catalog.ID) bound {
	// The pool's default is the simple protocol, for Bun's own statements; these are prepared.
	return bound{db: s.db.DB, args: []any{s.prepare, int64s(ids)}}
}

// params collects a statement's parameters as the text that names them is written.
type params []any

// add appends v and returns its placeholder.
func (a *params) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// bindParams returns a connection for a statement whose parameters are a.
func (s *Catalog) bindParams(a params) bound {
	return bound{db: s.db.DB, args: append([]any{s.prepare}, a...)}
}

func (b bound) QueryContext(ctx context.Context, query string, _ ...any) (*sql.Rows, error) {
	return b.db.QueryContext(ctx, query, b.args...)
}

func (b bound) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	return b.db.ExecContext(ctx, query, b.args...)
}

func (b bound) QueryRowContext(ctx context.Context, query string, _ ...any) *sql.Row {
	return b.db.QueryRowContext(ctx, query, b.args...)
}
