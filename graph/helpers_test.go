package graph_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/dbtest"
)

// The subtests of a table share their parent's server (a fresh database per subtest costs
// too much), so each subtest builds the rows it needs in a store of its own, and passes its
// own t to the server's methods.

// newServer starts the app for t on a fresh database. The server keeps at most one idle
// database connection: the suite has dozens of servers alive at once (every parallel test
// holds its own until it ends), and PostgreSQL allows 100 connections in all.
func newServer(t testing.TB) *apitest.Server {
	t.Helper()
	s := apitest.New(t, nil)
	s.DB().SetMaxIdleConns(1)
	return s
}

// wantCode fails t unless the response carries errors and every one has code.
func wantCode(t testing.TB, r *apitest.Response, code string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("got no error (data %s); want %s", r.Data, code)
	}
	for _, e := range r.Errors {
		if e.Code() != code {
			t.Errorf("got error code %q (%q); want %s", e.Code(), e.Message, code)
		}
	}
}

// wantNullField fails t unless the response's data, or its field, is null: a refused
// operation returns no value.
func wantNullField(t testing.TB, r *apitest.Response, field string) {
	t.Helper()
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return
	}
	var m map[string]json.RawMessage
	r.Decode(t, &m)
	if v, ok := m[field]; ok && string(v) != "null" {
		t.Errorf("got %s = %s; want null", field, v)
	}
}

// The shapes of the API's objects, as the tests decode them. Price stays a json.Number so
// its exact text can be compared.
type (
	storeJSON struct {
		ID        string
		Name      string
		ItemCount int
		TagCount  int
		Items     []itemJSON
		Tags      []tagJSON
	}
	itemJSON struct {
		ID       string
		Name     string
		Price    json.Number
		Store    *storeJSON
		Tags     []tagJSON
		TagCount int
	}
	tagJSON struct {
		ID        string
		Name      string
		Store     *storeJSON
		Items     []itemJSON
		ItemCount int
	}
	pageInfoJSON struct {
		HasNextPage     bool
		HasPreviousPage bool
		StartCursor     *string
		EndCursor       *string
	}
	deleteJSON struct {
		ID      string
		Message string
	}
	linkJSON struct {
		Message string
		Item    itemJSON
		Tag     tagJSON
	}
)

// count runs a SELECT count(*) (or any single-integer query) on the test's database, with
// bun's ? placeholders.
func count(t testing.TB, s *apitest.Server, query string, args ...any) int {
	t.Helper()
	return dbtest.Count(t, s.DB(), query, args...)
}

// exec runs a statement on the test's database.
func exec(t testing.TB, s *apitest.Server, query string, args ...any) {
	t.Helper()
	dbtest.Exec(t, s.DB(), query, args...)
}

// dbID turns an API id into the database's.
func dbID(t testing.TB, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("id %q from the API is not an integer: %v", id, err)
	}
	return n
}

// names lists the names of the rows, in order, for compact comparisons.
func itemNames(items []itemJSON) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.Name)
	}
	return b.String()
}

func tagNames(tags []tagJSON) string {
	var b strings.Builder
	for i, tg := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tg.Name)
	}
	return b.String()
}

// malformedIDs are ids no client may send: the API refuses them with BAD_USER_INPUT.
var malformedIDs = []string{"abc", "0", "-1", "1.5", "", " 1", "01", "+1", "1e3", "99999999999999999999"}

// ownAllStores gives every store to the server's owner, for stores inserted with SQL.
func ownAllStores(t testing.TB, s *apitest.Server) {
	t.Helper()
	exec(t, s, "UPDATE stores SET owner_id = (SELECT id FROM users WHERE email = ?)", apitest.OwnerEmail)
}
