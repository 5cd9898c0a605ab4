package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
)

// The subtests of a table share their parent's server (a fresh database per subtest costs
// too much), so each subtest builds the rows it needs in a store of its own, and the helpers
// below report to the subtest's t rather than to the parent's, as s.Post and s.MustPost do.

// newServer starts the app for t on a fresh database. The server keeps at most one idle
// database connection: the suite has dozens of servers alive at once (every parallel test
// holds its own until it ends), and PostgreSQL allows 100 connections in all.
func newServer(t testing.TB) *apitest.Server {
	t.Helper()
	s := apitest.New(t, nil)
	s.DB().SetMaxIdleConns(1)
	return s
}

// send posts a GraphQL request as the server's owner and returns the response, or an error
// when there is none to return. It touches no testing.T, so any goroutine may call it.
func send(ctx context.Context, s *apitest.Server, query string, vars map[string]any) (*apitest.Response, error) {
	return s.Send(ctx, query, vars, map[string]string{"Authorization": "Bearer " + s.Token})
}

// post sends a request and returns the response without judging its errors.
func post(t testing.TB, s *apitest.Server, query string, vars map[string]any) *apitest.Response {
	t.Helper()
	r, err := send(context.Background(), s, query, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v\nquery: %s", err, query)
	}
	return r
}

// mustPost sends a request that must succeed and decodes its data into v (when not nil).
func mustPost(t testing.TB, s *apitest.Server, query string, vars map[string]any, v any) {
	t.Helper()
	r := post(t, s, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed (status %d): %+v\nquery: %s\nvariables: %v", r.Status, r.Errors, query, vars)
	}
	if v != nil {
		r.Decode(t, v)
	}
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

// createStore creates a store through the API and returns its id.
func createStore(t testing.TB, s *apitest.Server, name string) string {
	t.Helper()
	var out struct{ CreateStore storeJSON }
	mustPost(t, s, `mutation($name: String!) { createStore(input: {name: $name}) { id } }`,
		map[string]any{"name": name}, &out)
	return out.CreateStore.ID
}

// createItem creates an item through the API and returns its id.
func createItem(t testing.TB, s *apitest.Server, storeID, name string, price float64) string {
	t.Helper()
	var out struct{ CreateItem itemJSON }
	mustPost(t, s, `mutation($s: ID!, $name: String!, $price: Float!) {
		createItem(input: {storeId: $s, name: $name, price: $price}) { id } }`,
		map[string]any{"s": storeID, "name": name, "price": price}, &out)
	return out.CreateItem.ID
}

// createTag creates a tag through the API and returns its id.
func createTag(t testing.TB, s *apitest.Server, storeID, name string) string {
	t.Helper()
	var out struct{ CreateTag tagJSON }
	mustPost(t, s, `mutation($s: ID!, $name: String!) { createTag(input: {storeId: $s, name: $name}) { id } }`,
		map[string]any{"s": storeID, "name": name}, &out)
	return out.CreateTag.ID
}

// link links a tag with an item through the API.
func link(t testing.TB, s *apitest.Server, itemID, tagID string) {
	t.Helper()
	mustPost(t, s, `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
		map[string]any{"i": itemID, "t": tagID}, nil)
}

// count runs a SELECT count(*) (or any single-integer query) on the test's database, with
// bun's ? placeholders.
func count(t testing.TB, s *apitest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return n
}

// exec runs a statement on the test's database.
func exec(t testing.TB, s *apitest.Server, query string, args ...any) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
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
