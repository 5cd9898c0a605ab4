package graph_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/auth"
)

// jwtSecret is the secret the servers of these tests sign with, so that tests can forge
// tokens the way an attacker who knew it, or guessed its shape, would.
const jwtSecret = "0123456789abcdef0123456789abcdef-test-only"

// authServer is newServer with settings: env adds to the test environment.
func authServer(t testing.TB, env map[string]string) *apitest.Server {
	t.Helper()
	all := map[string]string{"JWT_SECRET": jwtSecret}
	for k, v := range env {
		all[k] = v
	}
	s := apitest.New(t, all)
	s.DB().SetMaxIdleConns(1)
	return s
}

type userJSON struct {
	ID     string
	Email  string
	Stores []storeJSON
}

type sessionJSON struct {
	AccessToken  string
	RefreshToken string
	User         userJSON
}

const (
	sessionFields = `accessToken refreshToken user { id email }`
	registerQuery = `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p}) { ` + sessionFields + ` } }`
	loginQuery    = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { ` + sessionFields + ` } }`
	refreshQuery  = `mutation($r: String!) { refreshToken(refreshToken: $r) { ` + sessionFields + ` } }`
	logoutQuery   = `mutation($r: String!) { logout(refreshToken: $r) }`
	meQuery       = `{ me { id email } }`
	// createStoreQuery is the mutation the token tests try: its effect is easy to see.
	createStoreQuery = `mutation($n: String!) { createStore(input: {name: $n}) { id name } }`
)

func credentials(email, password string) map[string]any {
	return map[string]any{"e": email, "p": password}
}

// register signs up an account and returns its session.
func register(t testing.TB, s *apitest.Server, email, password string) sessionJSON {
	t.Helper()
	var out struct{ Register sessionJSON }
	s.MustPostAs(t, "", registerQuery, credentials(email, password), &out)
	return out.Register
}

// login signs in and returns the response, without judging it.
func login(t testing.TB, s *apitest.Server, email, password string) *apitest.Response {
	t.Helper()
	return s.PostAs(t, "", loginQuery, credentials(email, password))
}

// refresh spends a refresh token and returns the response, without judging it.
func refresh(t testing.TB, s *apitest.Server, token string) *apitest.Response {
	t.Helper()
	return s.PostAs(t, "", refreshQuery, map[string]any{"r": token})
}

// mustRefresh spends a refresh token that must work and returns the new session.
func mustRefresh(t testing.TB, s *apitest.Server, token string) sessionJSON {
	t.Helper()
	var out struct{ RefreshToken sessionJSON }
	s.MustPostAs(t, "", refreshQuery, map[string]any{"r": token}, &out)
	return out.RefreshToken
}

// wantTokenWorks fails t unless token may create a store.
func wantTokenWorks(t testing.TB, s *apitest.Server, token, storeName string) {
	t.Helper()
	s.MustPostAs(t, token, createStoreQuery, map[string]any{"n": storeName}, nil)
	if n := count(t, s, "SELECT count(*) FROM stores WHERE name = ?", storeName); n != 1 {
		t.Errorf("stores named %q after createStore: got %d; want 1", storeName, n)
	}
}

// wantRefused fails t unless createStore with these headers is refused with
// UNAUTHENTICATED and creates nothing.
func wantRefused(t testing.TB, s *apitest.Server, headers map[string]string, storeName string) *apitest.Response {
	t.Helper()
	r := s.PostWith(t, headers, createStoreQuery, map[string]any{"n": storeName})
	wantCode(t, r, "UNAUTHENTICATED")
	wantNullField(t, r, "createStore")
	if n := count(t, s, "SELECT count(*) FROM stores WHERE name = ?", storeName); n != 0 {
		t.Errorf("stores named %q after a refused createStore: got %d; want 0", storeName, n)
	}
	return r
}

// snapshot renders every store, item, tag and link, to show that a refused mutation
// changed nothing.
func snapshot(t testing.TB, s *apitest.Server) string {
	t.Helper()
	var out string
	err := s.DB().NewRaw(`SELECT concat_ws(E'\n',
		(SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text FROM stores x),
		(SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text FROM items x),
		(SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text FROM tags x),
		(SELECT coalesce(json_agg(x ORDER BY x.item_id, x.tag_id), '[]')::text FROM items_tags x))`).
		Scan(context.Background(), &out)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return out
}

// fixture is a store with what every mutation needs: item is linked with tag; item2,
// tag2 and tag3 are linked with nothing.
type fixture struct{ store, item, item2, tag, tag2, tag3 string }

func newFixture(t testing.TB, s *apitest.Server, token, storeName string) fixture {
	t.Helper()
	as := &apitest.Client{URL: s.URL, Token: token}
	f := fixture{store: as.CreateStore(t, storeName)}
	f.item = as.CreateItem(t, f.store, "Item", 5)
	f.item2 = as.CreateItem(t, f.store, "Item 2", 5)
	f.tag = as.CreateTag(t, f.store, "tag")
	f.tag2 = as.CreateTag(t, f.store, "tag 2")
	f.tag3 = as.CreateTag(t, f.store, "tag 3")
	as.Link(t, f.item, f.tag)
	return f
}

// mutation is one of the API's changes to stores, items and tags, with arguments that
// succeed on a fixture.
type mutation struct {
	field string
	query string
	vars  func(fixture) map[string]any
}

// mutations lists every mutation of stores, items and tags, in an order in which each
// succeeds on one fixture after the others.
var mutations = []mutation{
	{"createStore", createStoreQuery, func(fixture) map[string]any { return map[string]any{"n": "Another Store"} }},
	{"updateStore", `mutation($id: ID!) { updateStore(id: $id, input: {name: "Renamed Store"}) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"id": f.store} }},
	{"createItem", `mutation($s: ID!) { createItem(input: {storeId: $s, name: "New Item", price: 1.5}) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"s": f.store} }},
	{"updateItem", `mutation($id: ID!) { updateItem(id: $id, input: {name: "Renamed Item", price: 2}) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"id": f.item} }},
	{"createTag", `mutation($s: ID!) { createTag(input: {storeId: $s, name: "new tag"}) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"s": f.store} }},
	{"updateTag", `mutation($id: ID!) { updateTag(id: $id, input: {name: "renamed tag"}) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"id": f.tag} }},
	{"linkTag", `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
		func(f fixture) map[string]any { return map[string]any{"i": f.item2, "t": f.tag2} }},
	{"unlinkTag", `mutation($i: ID!, $t: ID!) { unlinkTag(itemId: $i, tagId: $t) { message } }`,
		func(f fixture) map[string]any { return map[string]any{"i": f.item, "t": f.tag} }},
	{"deleteTag", `mutation($id: ID!) { deleteTag(id: $id) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"id": f.tag3} }},
	{"deleteItem", `mutation($id: ID!) { deleteItem(id: $id) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"id": f.item} }},
	{"deleteStore", `mutation($id: ID!) { deleteStore(id: $id) { id } }`,
		func(f fixture) map[string]any { return map[string]any{"id": f.store} }},
}

func TestRegister(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)

	t.Run("CreatesAccountAndSignsIn", func(t *testing.T) {
		t.Parallel()
		const email, password = "new.user@example.com", "a long enough password"
		got := register(t, s, email, password)
		if got.AccessToken == "" || got.RefreshToken == "" || got.User.ID == "" || got.User.Email != email {
			t.Fatalf("register = %+v; want tokens and the user %s", got, email)
		}
		var me struct{ Me *userJSON }
		s.MustPostAs(t, got.AccessToken, meQuery, nil, &me)
		if me.Me == nil || me.Me.ID != got.User.ID || me.Me.Email != email {
			t.Errorf("me with the new access token = %+v; want %s", me.Me, email)
		}
		var hash string
		if err := s.DB().NewRaw("SELECT password_hash FROM users WHERE email = ?", email).Scan(context.Background(), &hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, password) {
			t.Errorf("stored password %q; want an argon2id hash that does not hold the password", hash)
		}
		if n := count(t, s, "SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8'))", got.RefreshToken); n != 1 {
			t.Errorf("refresh tokens stored as the hash of the one returned: got %d; want 1", n)
		}
		if n := count(t, s, "SELECT count(*) FROM refresh_tokens WHERE token_hash = convert_to(?, 'UTF8')", got.RefreshToken); n != 0 {
			t.Errorf("refresh tokens stored in the clear: got %d; want 0", n)
		}
	})

	t.Run("DuplicateEmailInAnotherCaseIsConflict", func(t *testing.T) {
		t.Parallel()
		register(t, s, "Case.Test@example.com", "password one")
		for _, email := range []string{"case.test@example.com", "CASE.TEST@EXAMPLE.COM", " Case.Test@example.com "} {
			r := s.PostAs(t, "", registerQuery, credentials(email, "password two"))
			wantCode(t, r, "CONFLICT")
			wantNullField(t, r, "register")
		}
		if n := count(t, s, "SELECT count(*) FROM users WHERE lower(email) = 'case.test@example.com'"); n != 1 {
			t.Errorf("accounts for case.test@example.com: got %d; want 1", n)
		}
		// The first account keeps its password.
		if r := login(t, s, "case.test@example.com", "password one"); len(r.Errors) > 0 {
			t.Errorf("login with the first password after refused duplicates: %+v", r.Errors)
		}
	})

	for _, tc := range []struct {
		name     string
		email    string
		password string
		code     string
	}{
		{"SevenCharactersIsBadUserInput", "short@example.com", "1234567", "BAD_USER_INPUT"},
		{"SevenMultibyteCharactersIsBadUserInput", "short.mb@example.com", "ééééééé", "BAD_USER_INPUT"},
		{"EmptyPasswordIsBadUserInput", "empty@example.com", "", "BAD_USER_INPUT"},
		{"EightCharactersIsAccepted", "eight@example.com", "12345678", ""},
		{"EightMultibyteCharactersIsAccepted", "eight.mb@example.com", "éééééééé", ""},
		{"128CharactersIsAccepted", "long@example.com", strings.Repeat("p", 128), ""},
		{"129CharactersIsBadUserInput", "toolong@example.com", strings.Repeat("p", 129), "BAD_USER_INPUT"},
		{"NotAnEmailIsBadUserInput", "not-an-email", "a good password", "BAD_USER_INPUT"},
		{"EmptyEmailIsBadUserInput", "", "a good password", "BAD_USER_INPUT"},
		{"EmailWithoutDomainDotIsBadUserInput", "someone@localhost", "a good password", "BAD_USER_INPUT"},
		{"EmailWithTwoAtsIsBadUserInput", "two@@example.com", "a good password", "BAD_USER_INPUT"},
		{"EmailWithDisplayNameIsBadUserInput", "Someone <someone@example.com>", "a good password", "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.PostAs(t, "", registerQuery, credentials(tc.email, tc.password))
			want := 0
			if tc.code != "" {
				wantCode(t, r, tc.code)
				wantNullField(t, r, "register")
			} else {
				if len(r.Errors) > 0 {
					t.Fatalf("register %q with a %d-character password: %+v", tc.email, len([]rune(tc.password)), r.Errors)
				}
				want = 1
			}
			if n := count(t, s, "SELECT count(*) FROM users WHERE email = ?", tc.email); n != want {
				t.Errorf("accounts for %q: got %d; want %d", tc.email, n, want)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)

	t.Run("RightPasswordSignsIn", func(t *testing.T) {
		t.Parallel()
		const email, password = "login.ok@example.com", "the right password"
		signup := register(t, s, email, password)
		for _, typed := range []string{email, "LOGIN.OK@example.com"} {
			r := login(t, s, typed, password)
			var out struct{ Login sessionJSON }
			if len(r.Errors) > 0 {
				t.Fatalf("login as %q: %+v", typed, r.Errors)
			}
			r.Decode(t, &out)
			if out.Login.User.ID != signup.User.ID || out.Login.RefreshToken == signup.RefreshToken {
				t.Errorf("login as %q = %+v; want user %s with a new refresh token", typed, out.Login, signup.User.ID)
			}
			wantTokenWorks(t, s, out.Login.AccessToken, "Signed In As "+typed)
			mustRefresh(t, s, out.Login.RefreshToken)
		}
	})

	t.Run("UnknownEmailAndWrongPasswordLookAlike", func(t *testing.T) {
		t.Parallel()
		register(t, s, "login.wrong@example.com", "the right password")
		unknown := login(t, s, "nobody.here@example.com", "the right password")
		wrong := login(t, s, "login.wrong@example.com", "the wrong password")
		wantCode(t, unknown, "UNAUTHENTICATED")
		wantCode(t, wrong, "UNAUTHENTICATED")
		wantNullField(t, unknown, "login")
		wantNullField(t, wrong, "login")
		if len(unknown.Errors) != 1 || len(wrong.Errors) != 1 || unknown.Errors[0].Message != wrong.Errors[0].Message {
			t.Errorf("unknown email: %+v; wrong password: %+v; want one error with the same message", unknown.Errors, wrong.Errors)
		}
	})
}

func TestMutationsNeedAToken(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	f := newFixture(t, s, s.Token, "Token Store")

	// Each mutation is refused without a token, then done with one; a refused mutation
	// changes nothing, a done one changes something.
	for _, m := range mutations {
		before := snapshot(t, s)
		for name, headers := range map[string]map[string]string{
			"NoHeader":     nil,
			"InvalidToken": {"Authorization": "Bearer not-a-token"},
		} {
			r := s.PostWith(t, headers, m.query, m.vars(f))
			if len(r.Errors) == 0 {
				t.Fatalf("%s with %s: no error (data %s); want UNAUTHENTICATED", m.field, name, r.Data)
			}
			for _, e := range r.Errors {
				if e.Code() != "UNAUTHENTICATED" {
					t.Errorf("%s with %s: code %q (%q); want UNAUTHENTICATED", m.field, name, e.Code(), e.Message)
				}
			}
			wantNullField(t, r, m.field)
			if after := snapshot(t, s); after != before {
				t.Errorf("%s with %s changed the database:\nbefore %s\nafter  %s", m.field, name, before, after)
			}
		}
		r := s.PostAs(t, s.Token, m.query, m.vars(f))
		if len(r.Errors) > 0 {
			t.Fatalf("%s with a token: %+v", m.field, r.Errors)
		}
		if after := snapshot(t, s); after == before {
			t.Errorf("%s with a token changed nothing", m.field)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM stores WHERE id = ?", dbID(t, f.store)); n != 0 {
		t.Errorf("store %s after deleteStore with a token: %d rows; want 0", f.store, n)
	}
}

func TestOwnerAloneChangesStore(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	f := newFixture(t, s, s.Token, "Owned Store")
	intruder := register(t, s, "intruder@example.com", "intruder password")
	// The intruder's token is valid: it may change a store of its own.
	own := newFixture(t, s, intruder.AccessToken, "Intruder Store")

	for _, m := range mutations[1:] { // anyone may create a store
		t.Run(m.field, func(t *testing.T) {
			before := snapshot(t, s)
			r := s.PostAs(t, intruder.AccessToken, m.query, m.vars(f))
			wantCode(t, r, "FORBIDDEN")
			wantNullField(t, r, m.field)
			if after := snapshot(t, s); after != before {
				t.Errorf("refused %s changed the database:\nbefore %s\nafter  %s", m.field, before, after)
			}
		})
	}

	t.Run("linkTagOfOthersItemWithOwnTag", func(t *testing.T) {
		before := snapshot(t, s)
		r := s.PostAs(t, intruder.AccessToken, `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
			map[string]any{"i": f.item2, "t": own.tag2})
		if len(r.Errors) == 0 {
			t.Fatalf("linkTag across stores and owners succeeded: %s", r.Data)
		}
		wantCode(t, r, "FORBIDDEN")
		if after := snapshot(t, s); after != before {
			t.Errorf("refused linkTag changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("linkTagOfOwnItemWithOthersTag", func(t *testing.T) {
		before := snapshot(t, s)
		r := s.PostAs(t, intruder.AccessToken, `mutation($i: ID!, $t: ID!) { linkTag(itemId: $i, tagId: $t) { message } }`,
			map[string]any{"i": own.item2, "t": f.tag2})
		// Refused either as another's tag or as a link across stores; both change nothing.
		if len(r.Errors) != 1 || (r.Errors[0].Code() != "FORBIDDEN" && r.Errors[0].Code() != "BAD_USER_INPUT") {
			t.Errorf("linkTag of an own item with another's tag: %+v, data %s; want FORBIDDEN or BAD_USER_INPUT", r.Errors, r.Data)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("refused linkTag changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	// The owner still may do every one of them.
	for _, m := range mutations[1:] {
		s.MustPostAs(t, s.Token, m.query, m.vars(f), nil)
	}
}

func TestStoreWithoutOwnerIsForbidden(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	// A store from before accounts existed, with an item and tags.
	exec(t, s, "INSERT INTO stores (name) VALUES ('Ownerless')")
	var ids struct{ Store, Item, Item2, Tag, Tag2, Tag3 int64 }
	err := s.DB().NewRaw(`WITH st AS (SELECT id FROM stores WHERE name = 'Ownerless'),
		i1 AS (INSERT INTO items (store_id, name, price) SELECT id, 'Item', 1 FROM st RETURNING id),
		i2 AS (INSERT INTO items (store_id, name, price) SELECT id, 'Item 2', 1 FROM st RETURNING id),
		t1 AS (INSERT INTO tags (store_id, name) SELECT id, 'tag' FROM st RETURNING id),
		t2 AS (INSERT INTO tags (store_id, name) SELECT id, 'tag 2' FROM st RETURNING id),
		t3 AS (INSERT INTO tags (store_id, name) SELECT id, 'tag 3' FROM st RETURNING id),
		l AS (INSERT INTO items_tags (item_id, tag_id, store_id) SELECT i1.id, t1.id, st.id FROM i1, t1, st)
		SELECT st.id AS store, i1.id AS item, i2.id AS item2, t1.id AS tag, t2.id AS tag2, t3.id AS tag3
		FROM st, i1, i2, t1, t2, t3`).Scan(context.Background(), &ids)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{
		store: strconv.FormatInt(ids.Store, 10),
		item:  strconv.FormatInt(ids.Item, 10), item2: strconv.FormatInt(ids.Item2, 10),
		tag: strconv.FormatInt(ids.Tag, 10), tag2: strconv.FormatInt(ids.Tag2, 10), tag3: strconv.FormatInt(ids.Tag3, 10),
	}
	if n := count(t, s, "SELECT count(*) FROM items_tags"); n != 1 {
		t.Fatalf("links in the ownerless store: %d; want 1", n)
	}
	before := snapshot(t, s)
	for _, m := range mutations[1:] {
		r := s.PostAs(t, s.Token, m.query, m.vars(f))
		if len(r.Errors) == 0 {
			t.Errorf("%s on a store without an owner succeeded: %s", m.field, r.Data)
			continue
		}
		for _, e := range r.Errors {
			if e.Code() != "FORBIDDEN" {
				t.Errorf("%s on a store without an owner: code %q (%q); want FORBIDDEN", m.field, e.Code(), e.Message)
			}
		}
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("refused mutations changed the ownerless store:\nbefore %s\nafter  %s", before, after)
	}
	// Given an owner, it can be changed.
	ownAllStores(t, s)
	s.MustPost(t, `mutation($id: ID!) { updateStore(id: $id, input: {name: "Owned At Last"}) { id } }`,
		map[string]any{"id": f.store}, nil)
}

// forge signs claims with method and key, as an attacker would.
func forge(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return token
}

func TestBadAccessTokensRefused(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	var me struct{ Me userJSON }
	s.MustPost(t, meQuery, nil, &me)
	owner := me.Me.ID

	// claims are those of a valid token for the owner, changed by edit.
	claims := func(edit func(c jwt.MapClaims)) jwt.MapClaims {
		now := time.Now()
		c := jwt.MapClaims{
			"iss": auth.Issuer, "aud": auth.Audience, "sub": owner,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	hs256 := func(t testing.TB, edit func(c jwt.MapClaims)) string {
		return forge(t, jwt.SigningMethodHS256, []byte(jwtSecret), claims(edit))
	}
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

	// The forged tokens differ from one the server accepts only where each case says.
	t.Run("ForgedValidTokenAccepted", func(t *testing.T) {
		t.Parallel()
		wantTokenWorks(t, s, hs256(t, nil), "Forged But Valid")
	})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		token func(t testing.TB) string
	}{
		{"Expired", func(t testing.TB) string {
			return hs256(t, func(c jwt.MapClaims) {
				c["iat"], c["nbf"], c["exp"] = past.Unix(), past.Unix(), past.Add(15*time.Minute).Unix()
			})
		}},
		{"ExpiredAMinuteAgo", func(t testing.TB) string {
			return hs256(t, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
		}},
		{"WithoutExpiry", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { delete(c, "exp") }) }},
		{"NotYetValid", func(t testing.TB) string {
			return hs256(t, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })
		}},
		{"IssuedInTheFuture", func(t testing.TB) string {
			return hs256(t, func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })
		}},
		{"SignatureChanged", func(t testing.TB) string {
			tok := hs256(t, nil)
			i := strings.LastIndexByte(tok, '.') + 5 // inside the signature, not its padding bits
			b := []byte(tok)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}},
		{"PayloadChanged", func(t testing.TB) string {
			// Another user's claims under the owner's signature.
			parts := strings.Split(hs256(t, nil), ".")
			other, _ := json.Marshal(claims(func(c jwt.MapClaims) { c["sub"] = "999" }))
			parts[1] = base64.RawURLEncoding.EncodeToString(other)
			return strings.Join(parts, ".")
		}},
		{"OtherSecret", func(t testing.TB) string {
			return forge(t, jwt.SigningMethodHS256, []byte("not the server's secret, but as long"), claims(nil))
		}},
		{"WrongAudience", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { c["aud"] = "another-api" }) }},
		{"WithoutAudience", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { delete(c, "aud") }) }},
		{"WrongIssuer", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { c["iss"] = "someone-else" }) }},
		{"WithoutIssuer", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { delete(c, "iss") }) }},
		{"HS512WithTheSecret", func(t testing.TB) string {
			return forge(t, jwt.SigningMethodHS512, []byte(jwtSecret), claims(nil))
		}},
		{"HS384WithTheSecret", func(t testing.TB) string {
			return forge(t, jwt.SigningMethodHS384, []byte(jwtSecret), claims(nil))
		}},
		{"ES256", func(t testing.TB) string { return forge(t, jwt.SigningMethodES256, ecKey, claims(nil)) }},
		{"AlgNone", func(t testing.TB) string {
			return forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))
		}},
		{"AlgNoneKeepingTheSignature", func(t testing.TB) string {
			// A valid token whose header is swapped for alg none.
			parts := strings.Split(hs256(t, nil), ".")
			parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			return strings.Join(parts, ".")
		}},
		{"SubjectNotAnID", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { c["sub"] = "owner" }) }},
		{"WithoutSubject", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { delete(c, "sub") }) }},
		// Well signed, for an account that does not exist (deleted since, or a leaked secret).
		{"UserNoLongerExists", func(t testing.TB) string { return hs256(t, func(c jwt.MapClaims) { c["sub"] = "999999" }) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := wantRefused(t, s, bearer(tc.token(t)), "Refused "+tc.name)
			if tc.name == "Expired" && len(r.Errors) == 1 && !strings.Contains(r.Errors[0].Message, "expired") {
				t.Errorf("expired token: message %q; want it to say the token expired", r.Errors[0].Message)
			}
			// A token that does not count makes no one signed in.
			var out struct{ Me *userJSON }
			s.MustPostAs(t, tc.token(t), meQuery, nil, &out)
			if out.Me != nil {
				t.Errorf("me with a %s token = %+v; want null", tc.name, out.Me)
			}
		})
	}
}

func TestMalformedAuthorizationHeader(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	for _, tc := range []struct{ name, header string }{
		{"SchemeOnly", "Bearer"},
		{"SchemeAndSpace", "Bearer "},
		{"Basic", "Basic b3duZXJAZXhhbXBsZS5jb206cGFzc3dvcmQ="},
		{"OtherScheme", "Token " + s.Token},
		{"NoScheme", s.Token},
		{"NotAJWT", "Bearer not.a.jwt"},
		{"TwoTokens", "Bearer " + s.Token + " " + s.Token},
		{"Truncated", "Bearer " + s.Token[:len(s.Token)/2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{"Authorization": tc.header}
			wantRefused(t, s, h, "Malformed "+tc.name)
			// Reading stays public whatever the header says.
			r := s.PostWith(t, h, `{ stores(first: 1) { totalCount } me { id } }`, nil)
			if len(r.Errors) > 0 {
				t.Errorf("query with Authorization %q: %+v; want data", tc.header, r.Errors)
			}
		})
	}
	t.Run("SchemeInAnyCaseAccepted", func(t *testing.T) {
		t.Parallel()
		r := s.PostWith(t, map[string]string{"Authorization": "bearer " + s.Token}, createStoreQuery, map[string]any{"n": "Lower Case Scheme"})
		if len(r.Errors) > 0 {
			t.Errorf("createStore with scheme %q: %+v", "bearer", r.Errors)
		}
	})
}

func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)

	t.Run("NewPairWorksOldRefreshTokenRefused", func(t *testing.T) {
		t.Parallel()
		first := register(t, s, "rotate@example.com", "rotate password")
		second := mustRefresh(t, s, first.RefreshToken)
		if second.RefreshToken == first.RefreshToken || second.User.ID != first.User.ID {
			t.Fatalf("refresh = %+v; want a new refresh token for user %s", second, first.User.ID)
		}
		wantTokenWorks(t, s, second.AccessToken, "Rotated Access")
		third := mustRefresh(t, s, second.RefreshToken)
		wantTokenWorks(t, s, third.AccessToken, "Rotated Twice")

		r := refresh(t, s, first.RefreshToken)
		wantCode(t, r, "UNAUTHENTICATED")
		wantNullField(t, r, "refreshToken")
	})

	t.Run("ReuseRevokesTheFamily", func(t *testing.T) {
		t.Parallel()
		const email, password = "reuse@example.com", "reuse password"
		first := register(t, s, email, password)
		var other struct{ Login sessionJSON }
		s.MustPostAs(t, "", loginQuery, credentials(email, password), &other) // another sign-in
		second := mustRefresh(t, s, first.RefreshToken)

		// Whoever replays the spent token is refused, and so is whoever holds the newer one.
		wantCode(t, refresh(t, s, first.RefreshToken), "UNAUTHENTICATED")
		wantCode(t, refresh(t, s, second.RefreshToken), "UNAUTHENTICATED")
		uid := dbID(t, first.User.ID)
		if n := count(t, s, "SELECT count(*) FROM refresh_tokens WHERE user_id = ? AND token_hash = sha256(convert_to(?, 'UTF8')) AND revoked_at IS NULL", uid, second.RefreshToken); n != 0 {
			t.Errorf("the newer refresh token is still live after reuse of its predecessor")
		}
		// The other sign-in is another family and keeps working.
		mustRefresh(t, s, other.Login.RefreshToken)
	})

	t.Run("ExpiredRefused", func(t *testing.T) {
		t.Parallel()
		session := register(t, s, "expired.refresh@example.com", "expired password")
		exec(t, s, "UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = sha256(convert_to(?, 'UTF8'))", session.RefreshToken)
		wantCode(t, refresh(t, s, session.RefreshToken), "UNAUTHENTICATED")
	})

	for _, tc := range []struct{ name, token string }{
		{"UnknownRefused", "bm90IGEgcmVmcmVzaCB0b2tlbiBvZiB0aGlzIHNlcnZlcg"},
		{"EmptyRefused", ""},
		{"AccessTokenRefused", s.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := refresh(t, s, tc.token)
			wantCode(t, r, "UNAUTHENTICATED")
			wantNullField(t, r, "refreshToken")
		})
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	logout := func(t *testing.T, token string) bool {
		t.Helper()
		var out struct{ Logout bool }
		s.MustPostAs(t, "", logoutQuery, map[string]any{"r": token}, &out)
		return out.Logout
	}

	t.Run("RevokedTokenCannotRefresh", func(t *testing.T) {
		t.Parallel()
		session := register(t, s, "logout@example.com", "logout password")
		if !logout(t, session.RefreshToken) {
			t.Errorf("first logout = false; want true")
		}
		if logout(t, session.RefreshToken) {
			t.Errorf("second logout = true; want false")
		}
		r := refresh(t, s, session.RefreshToken)
		wantCode(t, r, "UNAUTHENTICATED")
		if len(r.Errors) == 1 && !strings.Contains(r.Errors[0].Message, "signed out") {
			t.Errorf("refresh after logout: %q; want a message saying it was signed out", r.Errors[0].Message)
		}
	})

	t.Run("WithASpentTokenEndsTheSignIn", func(t *testing.T) {
		t.Parallel()
		first := register(t, s, "logout.spent@example.com", "logout password")
		second := mustRefresh(t, s, first.RefreshToken)
		if !logout(t, first.RefreshToken) {
			t.Errorf("logout with the spent token = false; want true, its sign-in was live")
		}
		wantCode(t, refresh(t, s, second.RefreshToken), "UNAUTHENTICATED")
	})

	t.Run("EndsTheSignInAfterRotation", func(t *testing.T) {
		t.Parallel()
		first := register(t, s, "logout.rotated@example.com", "logout password")
		second := mustRefresh(t, s, first.RefreshToken)
		if !logout(t, second.RefreshToken) {
			t.Errorf("logout of the rotated token = false; want true")
		}
		wantCode(t, refresh(t, s, second.RefreshToken), "UNAUTHENTICATED")
		if n := count(t, s, "SELECT count(*) FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL", dbID(t, first.User.ID)); n != 0 {
			t.Errorf("live refresh tokens after logout: %d; want 0", n)
		}
	})

	t.Run("UnknownTokenIsFalse", func(t *testing.T) {
		t.Parallel()
		if logout(t, "bm90IGEgcmVmcmVzaCB0b2tlbg") {
			t.Errorf("logout of an unknown token = true; want false")
		}
	})
}

func TestMe(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)

	t.Run("NullWithoutToken", func(t *testing.T) {
		t.Parallel()
		r := s.PostAs(t, "", meQuery, nil)
		if len(r.Errors) > 0 || string(r.Data) != `{"me":null}` {
			t.Errorf("me without a token: data %s, errors %+v; want {\"me\":null}", r.Data, r.Errors)
		}
	})

	t.Run("ListsExactlyOwnStores", func(t *testing.T) {
		t.Parallel()
		user := register(t, s, "me@example.com", "me password")
		var want []string
		for _, name := range []string{"Me First", "Me Second", "Me Third"} {
			var out struct{ CreateStore storeJSON }
			s.MustPostAs(t, user.AccessToken, createStoreQuery, map[string]any{"n": name}, &out)
			want = append(want, out.CreateStore.ID+" "+name)
		}
		s.CreateStore(t, "Not Me")
		exec(t, s, "INSERT INTO stores (name) VALUES ('Nobody''s')")

		const q = `query($f: Int, $o: Int) { me { id email stores(first: $f, offset: $o) { id name } } }`
		for _, tc := range []struct {
			first, offset any
			want          []string
		}{
			{nil, nil, want},
			{2, 0, want[:2]},
			{2, 1, want[1:]},
			{nil, 2, want[2:]},
			{0, 0, nil},
			{10, 5, nil},
		} {
			var out struct{ Me userJSON }
			s.MustPostAs(t, user.AccessToken, q, map[string]any{"f": tc.first, "o": tc.offset}, &out)
			if out.Me.ID != user.User.ID || out.Me.Email != "me@example.com" {
				t.Errorf("me = %s %s; want %s me@example.com", out.Me.ID, out.Me.Email, user.User.ID)
			}
			var got []string
			for _, st := range out.Me.Stores {
				got = append(got, st.ID+" "+st.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("me.stores(first: %v, offset: %v) = %v; want %v", tc.first, tc.offset, got, tc.want)
			}
		}
	})

	t.Run("NoStoresIsEmptyList", func(t *testing.T) {
		t.Parallel()
		user := register(t, s, "me.empty@example.com", "me password")
		r := s.PostAs(t, user.AccessToken, `{ me { stores { id } } }`, nil)
		if len(r.Errors) > 0 || string(r.Data) != `{"me":{"stores":[]}}` {
			t.Errorf("me.stores of a user without stores: data %s, errors %+v; want []", r.Data, r.Errors)
		}
	})

	t.Run("BadOffsetIsBadUserInput", func(t *testing.T) {
		t.Parallel()
		wantCode(t, s.Post(t, `{ me { stores(offset: -1) { id } } }`, nil), "BAD_USER_INPUT")
	})
}

// retryAfter matches the wait the TOO_MANY_REQUESTS message gives, in seconds.
var retryAfter = regexp.MustCompile(`try again in (\d+) seconds?`)

// wantLimited fails t unless r is TOO_MANY_REQUESTS, with field null and a message saying
// when to retry, no later than window from now.
func wantLimited(t testing.TB, r *apitest.Response, field string, window time.Duration) {
	t.Helper()
	wantCode(t, r, "TOO_MANY_REQUESTS")
	wantNullField(t, r, field)
	if len(r.Errors) != 1 {
		return
	}
	m := retryAfter.FindStringSubmatch(r.Errors[0].Message)
	if m == nil {
		t.Errorf("message %q does not say when to try again", r.Errors[0].Message)
		return
	}
	if n, _ := strconv.Atoi(m[1]); n < 1 || time.Duration(n)*time.Second > window {
		t.Errorf("message %q: want a wait of 1 to %v seconds", r.Errors[0].Message, window.Seconds())
	}
}

func TestLoginLimitPerEmail(t *testing.T) {
	t.Parallel()
	s := authServer(t, map[string]string{
		"LOGIN_MAX_FAILURES":             "3",
		"LOGIN_MAX_FAILURES_PER_ADDRESS": "1000", // every subtest logs in from one address
		"LOGIN_FAILURE_WINDOW":           "1h",
	})

	t.Run("RightPasswordRefusedAfterFailures", func(t *testing.T) {
		t.Parallel()
		const email, password = "victim@example.com", "victim password"
		register(t, s, email, password)
		for _, typed := range []string{email, "VICTIM@example.com", " victim@EXAMPLE.com"} {
			wantCode(t, login(t, s, typed, "guess"), "UNAUTHENTICATED")
		}
		wantLimited(t, login(t, s, email, password), "login", time.Hour)
		wantLimited(t, login(t, s, email, "guess"), "login", time.Hour)
		// Another account from the same address is not held back.
		const other = "bystander@example.com"
		register(t, s, other, password)
		if r := login(t, s, other, password); len(r.Errors) > 0 {
			t.Errorf("login of another account: %+v", r.Errors)
		}
		// The counters live in the database: forgetting them there lets the owner in.
		exec(t, s, "DELETE FROM login_failures WHERE key LIKE '%victim@example.com'")
		if r := login(t, s, email, password); len(r.Errors) > 0 {
			t.Errorf("login after the failures were cleared: %+v", r.Errors)
		}
	})

	t.Run("UnknownEmailLimitedToo", func(t *testing.T) {
		t.Parallel()
		for range 3 {
			wantCode(t, login(t, s, "ghost@example.com", "guess"), "UNAUTHENTICATED")
		}
		wantLimited(t, login(t, s, "ghost@example.com", "guess"), "login", time.Hour)
	})

	t.Run("GuessesSentAtOnceGetNoMoreTries", func(t *testing.T) {
		t.Parallel()
		const email, password = "rushed@example.com", "rushed password"
		register(t, s, email, password)
		const guesses = 20
		codes := make(chan string, guesses)
		var wg sync.WaitGroup
		for range guesses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.SendWith(context.Background(), nil, loginQuery, credentials(email, "guess"))
				switch {
				case err != nil:
					codes <- err.Error()
				case len(r.Errors) != 1:
					codes <- fmt.Sprintf("%d errors", len(r.Errors))
				default:
					codes <- r.Errors[0].Code()
				}
			}()
		}
		wg.Wait()
		close(codes)
		got := map[string]int{}
		for c := range codes {
			got[c]++
		}
		// Only as many guesses as the limit allows have their password checked.
		if got["UNAUTHENTICATED"] > 3 || got["UNAUTHENTICATED"]+got["TOO_MANY_REQUESTS"] != guesses {
			t.Errorf("%d guesses at once: %v; want at most 3 UNAUTHENTICATED, the rest TOO_MANY_REQUESTS", guesses, got)
		}
		wantLimited(t, login(t, s, email, password), "login", time.Hour)
	})

	t.Run("RightPasswordsSentAtOnceAllSignIn", func(t *testing.T) {
		t.Parallel()
		const email, password = "eager@example.com", "eager password"
		register(t, s, email, password)
		for trial := range 3 {
			const logins = 10
			codes := make(chan string, logins)
			var wg sync.WaitGroup
			for range logins {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := s.SendWith(context.Background(), nil, loginQuery, credentials(email, password))
					switch {
					case err != nil:
						codes <- err.Error()
					case len(r.Errors) > 0:
						codes <- r.Errors[0].Code() + ": " + r.Errors[0].Message
					default:
						codes <- "ok"
					}
				}()
			}
			wg.Wait()
			close(codes)
			got := map[string]int{}
			for c := range codes {
				got[c]++
			}
			if got["ok"] != logins {
				t.Errorf("trial %d: %d logins at once with the right password: %v; want all ok", trial, logins, got)
			}
		}
		if n := count(t, s, "SELECT coalesce(sum(failures), 0) FROM login_failures WHERE key = 'email:eager@example.com'"); n != 0 {
			t.Errorf("failures counted for right passwords: %d; want 0", n)
		}
	})

	t.Run("SuccessForgetsFailures", func(t *testing.T) {
		t.Parallel()
		const email, password = "forgetful@example.com", "forgetful password"
		register(t, s, email, password)
		for range 2 {
			wantCode(t, login(t, s, email, "guess"), "UNAUTHENTICATED")
		}
		if r := login(t, s, email, password); len(r.Errors) > 0 {
			t.Fatalf("login after two failures: %+v", r.Errors)
		}
		for range 2 {
			wantCode(t, login(t, s, email, "guess"), "UNAUTHENTICATED")
		}
		if r := login(t, s, email, password); len(r.Errors) > 0 {
			t.Errorf("login after two more failures: %+v", r.Errors)
		}
	})
}

func TestLoginLimitPerAddress(t *testing.T) {
	t.Parallel()
	s := authServer(t, map[string]string{
		"LOGIN_MAX_FAILURES":             "100",
		"LOGIN_MAX_FAILURES_PER_ADDRESS": "3",
		"LOGIN_FAILURE_WINDOW":           "1h",
		"CLIENT_ADDR_HEADER":             "X-Forwarded-For",
	})
	// from sends a login as the proxy passes it on: after whatever the client put in
	// X-Forwarded-For, the proxy appends the address it saw.
	from := func(t *testing.T, spoofed, addr, email, password string) *apitest.Response {
		t.Helper()
		return s.PostWith(t, map[string]string{"X-Forwarded-For": spoofed + addr}, loginQuery, credentials(email, password))
	}
	const attacker, victim = "203.0.113.7", "198.51.100.20"
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		spoofed := fmt.Sprintf("192.0.2.%d, ", i+1) // a new address each time, as a client would fake it
		wantCode(t, from(t, spoofed, attacker, email, "guess"), "UNAUTHENTICATED")
	}
	wantLimited(t, from(t, "192.0.2.99, ", attacker, apitest.OwnerEmail, apitest.OwnerPassword), "login", time.Hour)
	wantLimited(t, from(t, "", attacker, "d@example.com", "guess"), "login", time.Hour)
	// From another address the owner signs in.
	if r := from(t, attacker+", ", victim, apitest.OwnerEmail, apitest.OwnerPassword); len(r.Errors) > 0 {
		t.Errorf("login from another address: %+v", r.Errors)
	}
}

func TestLoginLimitWindowCloses(t *testing.T) {
	t.Parallel()
	const window = 2 * time.Second
	s := authServer(t, map[string]string{"LOGIN_MAX_FAILURES": "2", "LOGIN_FAILURE_WINDOW": window.String()})
	for range 2 {
		wantCode(t, login(t, s, apitest.OwnerEmail, "guess"), "UNAUTHENTICATED")
	}
	// Refused for a while, never for good: the owner gets back in once the window closes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := login(t, s, apitest.OwnerEmail, apitest.OwnerPassword)
		if len(r.Errors) == 0 {
			break
		}
		wantLimited(t, r, "login", window)
		if t.Failed() || time.Now().After(deadline) {
			t.Fatalf("owner still refused after the failure window of %v closed", window)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestNoPasswordOrTokenInLogs(t *testing.T) {
	t.Parallel()
	s := authServer(t, map[string]string{"LOG_LEVEL": "DEBUG"})
	secrets := map[string]string{
		"owner password":       apitest.OwnerPassword,
		"owner access token":   s.Token,
		"JWT secret":           jwtSecret,
		"wrong password tried": "wrong-password-typed-by-someone",
	}
	const email, password = "quiet@example.com", "a password to keep quiet"
	secrets["password"] = password
	first := register(t, s, email, password)
	secrets["register access token"], secrets["register refresh token"] = first.AccessToken, first.RefreshToken

	wantCode(t, login(t, s, email, secrets["wrong password tried"]), "UNAUTHENTICATED")
	wantCode(t, login(t, s, "nobody@example.com", password), "UNAUTHENTICATED")
	var in struct{ Login sessionJSON }
	s.MustPostAs(t, "", loginQuery, credentials(email, password), &in)
	secrets["login access token"], secrets["login refresh token"] = in.Login.AccessToken, in.Login.RefreshToken
	next := mustRefresh(t, s, in.Login.RefreshToken)
	secrets["refreshed access token"], secrets["refreshed refresh token"] = next.AccessToken, next.RefreshToken
	wantCode(t, refresh(t, s, in.Login.RefreshToken), "UNAUTHENTICATED") // reuse
	wantTokenWorks(t, s, first.AccessToken, "Quiet Store")
	wantRefused(t, s, map[string]string{"Authorization": "Bearer " + first.AccessToken + "x"}, "Never Made")
	s.MustPostAs(t, "", logoutQuery, map[string]any{"r": first.RefreshToken}, nil)

	logs := s.Logs()
	if !strings.Contains(logs, "msg=request") {
		t.Fatalf("the server's log holds no request lines; got:\n%s", logs)
	}
	for what, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the server's log holds the %s", what)
		}
		// A JWT's signature alone is as good as the token to a forger's check.
		if i := strings.LastIndexByte(secret, '.'); strings.Count(secret, ".") == 2 && strings.Contains(logs, secret[i+1:]) {
			t.Errorf("the server's log holds the signature of the %s", what)
		}
	}
}

func TestLoginChecksTheEmailFirst(t *testing.T) {
	t.Parallel()
	s := authServer(t, map[string]string{"LOG_LEVEL": "DEBUG", "CLIENT_ADDR_HEADER": "X-Forwarded-For"})
	for _, email := range []string{
		"nul\x00byte@example.com",
		strings.Repeat("a", 3000) + "@example.com",
		"not-an-email",
		"",
	} {
		r := login(t, s, email, "some password")
		wantCode(t, r, "BAD_USER_INPUT")
		wantNullField(t, r, "login")
	}
	if n := count(t, s, "SELECT count(*) FROM login_failures WHERE key LIKE 'email:%'"); n != 0 {
		t.Errorf("failure counters after malformed emails: %d; want 0", n)
	}
	// A proxy's header may hold anything; its key stays short.
	r := s.PostWith(t, map[string]string{"X-Forwarded-For": strings.Repeat("x", 3000)},
		loginQuery, credentials("nobody@example.com", "some password"))
	wantCode(t, r, "UNAUTHENTICATED")
	if n := count(t, s, "SELECT coalesce(max(octet_length(key)), 0) FROM login_failures"); n > 300 {
		t.Errorf("longest login_failures key: %d bytes; want at most 300", n)
	}
	if logs := s.Logs(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "SELECT") {
		t.Errorf("the server logged an error or SQL:\n%s", logs)
	}
}

// sendRefresh spends a refresh token from any goroutine: the new one, or "" when refused.
func sendRefresh(s *apitest.Server, token string) (string, error) {
	r, err := s.SendWith(context.Background(), nil, refreshQuery, map[string]any{"r": token})
	if err != nil || len(r.Errors) > 0 {
		return "", err
	}
	var out struct{ RefreshToken sessionJSON }
	if err := json.Unmarshal(r.Data, &out); err != nil {
		return "", err
	}
	return out.RefreshToken.RefreshToken, nil
}

// After a replay or a logout no token of the sign-in works, even one a rotation was
// writing at that very moment. Each trial races them; the race is lost only now and then,
// hence the trials.
func TestSignOutOutrunsNoRotation(t *testing.T) {
	t.Parallel()
	s := authServer(t, nil)
	const trials = 25

	t.Run("ReplayWhileTheThiefRotates", func(t *testing.T) {
		t.Parallel()
		for trial := range trials {
			first := register(t, s, fmt.Sprintf("replay.race%d@example.com", trial), "race password")
			stolen := mustRefresh(t, s, first.RefreshToken).RefreshToken
			var wg sync.WaitGroup
			var thief string
			var thiefErr error
			wg.Add(1)
			go func() { // the thief keeps rotating while it can
				defer wg.Done()
				thief = stolen
				for range 20 {
					next, err := sendRefresh(s, thief)
					if err != nil || next == "" {
						thiefErr = err
						return
					}
					thief = next
				}
			}()
			// The owner replays the token the thief spent.
			wantCode(t, refresh(t, s, first.RefreshToken), "UNAUTHENTICATED")
			wg.Wait()
			if thiefErr != nil {
				t.Fatal(thiefErr)
			}
			if next, err := sendRefresh(s, thief); err != nil || next != "" {
				t.Fatalf("trial %d: the thief's newest token still refreshes after the owner's replay (err %v)", trial, err)
			}
		}
	})

	t.Run("LogoutWhileRefreshing", func(t *testing.T) {
		t.Parallel()
		for trial := range trials {
			session := register(t, s, fmt.Sprintf("logout.race%d@example.com", trial), "race password")
			var wg sync.WaitGroup
			var next string
			var err error
			wg.Add(1)
			go func() {
				defer wg.Done()
				next, err = sendRefresh(s, session.RefreshToken)
			}()
			var out struct{ Logout bool }
			s.MustPostAs(t, "", logoutQuery, map[string]any{"r": session.RefreshToken}, &out)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if !out.Logout {
				t.Errorf("trial %d: logout of a live sign-in = false; want true", trial)
			}
			if next == "" {
				continue // the refresh came second and was refused
			}
			if again, err := sendRefresh(s, next); err != nil || again != "" {
				t.Fatalf("trial %d: a token minted during logout still refreshes after it (err %v)", trial, err)
			}
		}
	})
}

// Password hashes are the dearest thing a client can ask for: aliases do not multiply them,
// and sign-ups from one address are limited.
func TestCostlyFieldsAreLimited(t *testing.T) {
	t.Parallel()
	s := authServer(t, map[string]string{
		"REGISTER_MAX_PER_ADDRESS": "3",
		"REGISTER_WINDOW":          "1h",
		"CLIENT_ADDR_HEADER":       "X-Forwarded-For",
	})
	codes := func(r *apitest.Response) map[string]int {
		got := map[string]int{}
		for _, e := range r.Errors {
			got[e.Code()]++
		}
		return got
	}

	t.Run("OnePerRequest", func(t *testing.T) {
		t.Parallel()
		var q strings.Builder
		q.WriteString("mutation {")
		for i := range 30 {
			fmt.Fprintf(&q, ` r%d: register(input: {email: "alias%d@example.com", password: "alias password"}) { accessToken }`, i, i)
		}
		q.WriteString(" }")
		r := s.PostWith(t, map[string]string{"X-Forwarded-For": "198.51.100.1"}, q.String(), nil)
		if got := codes(r); len(r.Errors) != 29 || got["TOO_MANY_REQUESTS"] != 29 {
			t.Errorf("30 aliased register fields: errors %v; want 29 TOO_MANY_REQUESTS", got)
		}
		if n := count(t, s, "SELECT count(*) FROM users WHERE email LIKE 'alias%'"); n != 1 {
			t.Errorf("accounts made by 30 aliased register fields: %d; want 1", n)
		}

		q.Reset()
		q.WriteString("mutation {")
		for i := range 30 {
			fmt.Fprintf(&q, ` l%d: login(input: {email: "%s", password: "guess %d"}) { accessToken }`, i, apitest.OwnerEmail, i)
		}
		q.WriteString(" }")
		r = s.PostWith(t, map[string]string{"X-Forwarded-For": "198.51.100.1"}, q.String(), nil)
		if got := codes(r); got["UNAUTHENTICATED"] != 1 || got["TOO_MANY_REQUESTS"] != 29 {
			t.Errorf("30 aliased login fields: errors %v; want 1 UNAUTHENTICATED, 29 TOO_MANY_REQUESTS", got)
		}

		session := register(t, s, "alias.refresh@example.com", "alias password")
		r = s.PostAs(t, "", `mutation($r: String!) { a: refreshToken(refreshToken: $r) { accessToken } b: refreshToken(refreshToken: $r) { accessToken } }`,
			map[string]any{"r": session.RefreshToken})
		if got := codes(r); len(r.Errors) != 1 || got["TOO_MANY_REQUESTS"] != 1 {
			t.Errorf("2 aliased refreshToken fields: errors %v; want 1 TOO_MANY_REQUESTS", got)
		}
	})

	t.Run("SignUpsPerAddress", func(t *testing.T) {
		t.Parallel()
		from := func(addr, email string) *apitest.Response {
			return s.PostWith(t, map[string]string{"X-Forwarded-For": addr}, registerQuery, credentials(email, "signup password"))
		}
		for i := range 3 {
			if r := from("203.0.113.50", fmt.Sprintf("signup%d@example.com", i)); len(r.Errors) > 0 {
				t.Fatalf("sign-up %d: %+v", i+1, r.Errors)
			}
		}
		wantLimited(t, from("203.0.113.50", "signup3@example.com"), "register", time.Hour)
		if n := count(t, s, "SELECT count(*) FROM users WHERE email = 'signup3@example.com'"); n != 0 {
			t.Errorf("accounts made past the limit: %d; want 0", n)
		}
		// The count is in PostgreSQL, per address: another address signs up.
		if r := from("203.0.113.51", "signup3@example.com"); len(r.Errors) > 0 {
			t.Errorf("sign-up from another address: %+v", r.Errors)
		}
	})
}

// One sign-in rotates at most REFRESH_MAX_PER_SIGN_IN times a window, and keeps at most
// REFRESH_SPENT_KEPT spent tokens.
func TestRefreshIsBounded(t *testing.T) {
	t.Parallel()
	s := authServer(t, map[string]string{
		"REFRESH_MAX_PER_SIGN_IN": "5",
		"REFRESH_WINDOW":          "1h",
		"REFRESH_SPENT_KEPT":      "3",
	})
	first := register(t, s, "bounded@example.com", "bounded password")
	token := first.RefreshToken
	for range 5 {
		token = mustRefresh(t, s, token).RefreshToken
	}
	r := refresh(t, s, token)
	wantCode(t, r, "TOO_MANY_REQUESTS")
	if len(r.Errors) == 1 {
		if m := retryAfter.FindStringSubmatch(r.Errors[0].Message); m == nil {
			t.Errorf("message %q does not say when to try again", r.Errors[0].Message)
		}
	}
	uid := dbID(t, first.User.ID)
	if n := count(t, s, "SELECT count(*) FROM refresh_tokens WHERE user_id = ? AND used_at IS NOT NULL", uid); n != 3 {
		t.Errorf("spent tokens kept after 5 rotations: %d; want 3", n)
	}
	// The refused refresh spent nothing: the token still works once the window allows.
	exec(t, s, "UPDATE request_counts SET window_end = now() WHERE key LIKE 'refresh:%'")
	next := mustRefresh(t, s, token)
	// A replay of a kept spent token still signs the sign-in out.
	wantCode(t, refresh(t, s, token), "UNAUTHENTICATED")
	wantCode(t, refresh(t, s, next.RefreshToken), "UNAUTHENTICATED")
	// Another sign-in of the same user has a budget of its own.
	var other struct{ Login sessionJSON }
	s.MustPostAs(t, "", loginQuery, credentials("bounded@example.com", "bounded password"), &other)
	mustRefresh(t, s, other.Login.RefreshToken)
}
