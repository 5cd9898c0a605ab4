package graph_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/storegraph/storegraph/internal/apitest"
)

func TestPriceRoundTrip(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Prices")

	for _, price := range []float64{0, 0.01, 0.1, 1, 19.99, 19.9, 0.07, 1234567.89, 9999999999.99} {
		// The text a client wrote is the shortest decimal that reads back as the same float.
		text := strconv.FormatFloat(price, 'f', -1, 64)
		for _, how := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"Variable", `mutation($s: ID!, $n: String!, $p: Float!) {
				createItem(input: {storeId: $s, name: $n, price: $p}) { id price } }`,
				map[string]any{"s": storeID, "n": "variable " + text, "p": price}},
			{"Literal", fmt.Sprintf(`mutation($s: ID!, $n: String!) {
				createItem(input: {storeId: $s, name: $n, price: %s}) { id price } }`, text),
				map[string]any{"s": storeID, "n": "literal " + text}},
		} {
			t.Run(how.name+"/"+text, func(t *testing.T) {
				t.Parallel()
				var created struct{ CreateItem itemJSON }
				s.MustPost(t, how.query, how.vars, &created)
				id := created.CreateItem.ID
				if got := string(created.CreateItem.Price); got != text {
					t.Errorf("createItem(price: %s) price = %s; want %s", text, got, text)
				}
				wantDB := fmt.Sprintf("%.2f", price)
				if n := count(t, s, "SELECT count(*) FROM items WHERE id = ? AND price::text = ?", dbID(t, id), wantDB); n != 1 {
					t.Errorf("item %s with price::text %s in the database: got %d rows; want 1", id, wantDB, n)
				}
				var read struct{ Item itemJSON }
				s.MustPost(t, `query($id: ID!) { item(id: $id) { price } }`, map[string]any{"id": id}, &read)
				if got := string(read.Item.Price); got != text {
					t.Errorf("item(%s) price = %s; want %s", id, got, text)
				}
			})
		}

		t.Run("Update/"+text, func(t *testing.T) {
			t.Parallel()
			id := s.CreateItem(t, storeID, "updated "+text, 5.55)
			var out struct{ UpdateItem itemJSON }
			s.MustPost(t, `mutation($id: ID!, $p: Float!) { updateItem(id: $id, input: {price: $p}) { price } }`,
				map[string]any{"id": id, "p": price}, &out)
			if got := string(out.UpdateItem.Price); got != text {
				t.Errorf("updateItem(price: %s) price = %s; want %s", text, got, text)
			}
			wantDB := fmt.Sprintf("%.2f", price)
			if n := count(t, s, "SELECT count(*) FROM items WHERE id = ? AND price::text = ?", dbID(t, id), wantDB); n != 1 {
				t.Errorf("item %s with price::text %s after the update: got %d rows; want 1", id, wantDB, n)
			}
		})
	}
}

func TestBadPriceIsBadUserInput(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "Bad Prices")
	item := s.CreateItem(t, storeID, "Kept", 5.55)

	for _, tc := range []struct {
		name  string
		price string // as written in the query, so that no JSON encoder rewrites it
	}{
		{"Negative", "-1"},
		{"NegativeCent", "-0.01"},
		{"ThreeDecimals", "1.999"},
		{"TenthOfACent", "0.001"},
		{"ThreeDecimalsBelowMax", "19.999"},
		{"OneTrillion", "1e12"},
		{"JustOverMax", "10000000000"},
		{"MaxWithThirdDecimal", "9999999999.999"},
		{"HugeExponent", "1e300"},
	} {
		t.Run("Create/"+tc.name, func(t *testing.T) {
			t.Parallel()
			name := "refused " + tc.name
			r := s.Post(t, fmt.Sprintf(`mutation($s: ID!, $n: String!) {
				createItem(input: {storeId: $s, name: $n, price: %s}) { id price } }`, tc.price),
				map[string]any{"s": storeID, "n": name})
			wantCode(t, r, "BAD_USER_INPUT")
			wantNullField(t, r, "createItem")
			if n := count(t, s, "SELECT count(*) FROM items WHERE name = ?", name); n != 0 {
				t.Errorf("items created with price %s: got %d; want 0", tc.price, n)
			}
		})
		t.Run("Update/"+tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.Post(t, fmt.Sprintf(`mutation($id: ID!) { updateItem(id: $id, input: {price: %s}) { price } }`, tc.price),
				map[string]any{"id": item})
			wantCode(t, r, "BAD_USER_INPUT")
			wantNullField(t, r, "updateItem")
			if n := count(t, s, "SELECT count(*) FROM items WHERE id = ? AND price::text = '5.55'", dbID(t, item)); n != 1 {
				t.Errorf("item %s kept its price 5.55 after updateItem(price: %s): got %d rows; want 1", item, tc.price, n)
			}
		})
	}
}

// A Float is a number: a string that reads as one ("0x1p-2", "1_0") is refused wherever a
// price goes, in the variables (BAD_USER_INPUT) or in the document (which does not validate).
func TestFloatFromStringRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	storeID := s.CreateStore(t, "String Prices")
	item := s.CreateItem(t, storeID, "Kept", 5.55)
	const filter = `query($f: ItemFilter, $min: Float) { a: items(filter: $f) { totalCount } b: items(filter: {minPrice: $min}) { totalCount } }`

	for _, str := range []string{"0x1p-2", "1_0", "10", "Inf"} {
		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"CreateVariable", `mutation($s: ID!, $p: Float!) { createItem(input: {storeId: $s, name: "from string", price: $p}) { id } }`,
				map[string]any{"s": storeID, "p": str}},
			{"CreateInputVariable", `mutation($in: CreateItemInput!) { createItem(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"storeId": storeID, "name": "from string", "price": str}}},
			{"UpdateVariable", `mutation($id: ID!, $p: Float) { updateItem(id: $id, input: {price: $p}) { id } }`,
				map[string]any{"id": item, "p": str}},
			{"MinPriceVariable", filter, map[string]any{"min": str}},
			{"MaxPriceInFilterVariable", filter, map[string]any{"f": map[string]any{"maxPrice": str}}},
		} {
			t.Run(tc.name+"/"+str, func(t *testing.T) {
				t.Parallel()
				r := s.Post(t, tc.query, tc.vars)
				wantCode(t, r, "BAD_USER_INPUT")
			})
		}
	}
	// In the document a string where a Float goes does not validate.
	for _, str := range []string{"0x1p-2", "1_0"} {
		r := s.Post(t, fmt.Sprintf(`mutation($s: ID!) { createItem(input: {storeId: $s, name: "from string", price: %q}) { id } }`, str),
			map[string]any{"s": storeID})
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED")
		r = s.Post(t, fmt.Sprintf(`{ items(filter: {minPrice: %q}) { totalCount } }`, str), nil)
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED")
	}
	if n := count(t, s, "SELECT count(*) FROM items WHERE name = 'from string'"); n != 0 {
		t.Errorf("items created with a price from a string: %d; want 0", n)
	}
	if n := count(t, s, "SELECT count(*) FROM items WHERE id = ? AND price::text = '5.55'", dbID(t, item)); n != 1 {
		t.Errorf("item %s lost its price 5.55 to a string: got %d rows; want 1", item, n)
	}

	// Numbers stay accepted: in the variables' JSON, top level or inside an input, and as
	// Int and Float literals.
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  string
	}{
		{"Variable", `mutation($s: ID!, $p: Float!) { createItem(input: {storeId: $s, name: "n1", price: $p}) { price } }`,
			map[string]any{"s": storeID, "p": 0.25}, "0.25"},
		{"InputVariable", `mutation($in: CreateItemInput!) { createItem(input: $in) { price } }`,
			map[string]any{"in": map[string]any{"storeId": storeID, "name": "n2", "price": 10}}, "10"},
		{"IntLiteral", `mutation($s: ID!) { createItem(input: {storeId: $s, name: "n3", price: 10}) { price } }`,
			map[string]any{"s": storeID}, "10"},
		{"FloatLiteral", `mutation($s: ID!) { createItem(input: {storeId: $s, name: "n4", price: 0.25}) { price } }`,
			map[string]any{"s": storeID}, "0.25"},
	} {
		var out struct {
			CreateItem struct{ Price json.RawMessage }
		}
		s.MustPost(t, tc.query, tc.vars, &out)
		if got := string(out.CreateItem.Price); got != tc.want {
			t.Errorf("%s: price = %s; want %s", tc.name, got, tc.want)
		}
	}
	var out struct{ A, B struct{ TotalCount int } }
	s.MustPost(t, filter, map[string]any{"f": map[string]any{"minPrice": 5, "maxPrice": 5.55}, "min": 10}, &out)
	if out.A.TotalCount != 1 || out.B.TotalCount != 2 {
		t.Errorf("filters with numbers: %d and %d items; want 1 (5 to 5.55) and 2 (10 and up)", out.A.TotalCount, out.B.TotalCount)
	}
}

func TestIntFromStringRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const root = `query($f: Int) { stores(first: $f) { totalCount } }`
	const nested = `query($f: Int) { stores(first: 1) { nodes { items(first: $f) { id } } } }`
	storeID := s.CreateStore(t, "Int Inputs")
	s.CreateItem(t, storeID, "One", 1)
	for _, tc := range []struct {
		name string
		f    any
	}{{"String", "5"}, {"Fraction", 5.5}, {"Over32Bits", int64(3_000_000_000)}} {
		for _, q := range []string{root, nested} {
			r := s.Post(t, q, map[string]any{"f": tc.f})
			if len(r.Errors) == 0 {
				t.Errorf("%s: first = %v accepted; want an error", tc.name, tc.f)
				continue
			}
			if code := r.Errors[0].Extensions["code"]; code != "BAD_USER_INPUT" && code != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("%s: code %v; want BAD_USER_INPUT or GRAPHQL_VALIDATION_FAILED", tc.name, code)
			}
		}
	}
	var out struct{ Stores struct{ TotalCount int } }
	s.MustPost(t, root, map[string]any{"f": 5}, &out)
	if out.Stores.TotalCount != 1 {
		t.Errorf("first from a number: totalCount %d; want 1", out.Stores.TotalCount)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		input string
		want  string // the stored name; "" when the name is refused with BAD_USER_INPUT
	}{
		{"SurroundingSpaceTrimmed", " \t Tea  \n", "Tea"},
		{"InnerSpaceKept", "Corner  Books", "Corner  Books"},
		{"EightyASCIIAccepted", strings.Repeat("a", 80), strings.Repeat("a", 80)},
		{"EightyOneASCIIRefused", strings.Repeat("a", 81), ""},
		{"EightyAccentedAccepted", strings.Repeat("é", 80), strings.Repeat("é", 80)},
		{"EightyOneAccentedRefused", strings.Repeat("é", 81), ""},
		{"EightyEmojiAccepted", strings.Repeat("🍵", 80), strings.Repeat("🍵", 80)},
		{"EightyOneEmojiRefused", strings.Repeat("🍵", 81), ""},
		{"EightyAfterTrimmingAccepted", "   " + strings.Repeat("x", 80) + "\t ", strings.Repeat("x", 80)},
		{"BlankRefused", "   ", ""},
		{"EmptyRefused", "", ""},
		{"ComposedToNFC", "Cafe\u0301", "Caf\u00e9"},
		{"EightyAfterNFCAccepted", strings.Repeat("o\u0308", 80), strings.Repeat("\u00f6", 80)},
		{"ZeroWidthOnlyRefused", "\u200b\u200b", ""},
		{"TrailingZeroWidthRefused", "Corner Books\u200b", ""},
		{"RightToLeftOverrideRefused", "Corner \u202eskooB", ""},
		{"HangulFillerRefused", "\u3164", ""},
		{"EmojiZWJSequenceAccepted", "Dev \U0001F469\u200d\U0001F4BB", "Dev \U0001F469\u200d\U0001F4BB"},
	}

	// Each kind of write runs on a server of its own, so that the same names can be used
	// for stores (unique across the server) by every case.
	for _, kind := range []struct {
		name  string
		table string
		query string
		field string
		// setup makes what the write needs and returns its variables, without $n.
		setup func(t *testing.T, s *apitest.Server, label string) map[string]any
	}{
		{name: "createStore", table: "stores", field: "createStore",
			query: `mutation($n: String!) { createStore(input: {name: $n}) { id name } }`,
			setup: func(*testing.T, *apitest.Server, string) map[string]any { return map[string]any{} }},
		{name: "updateStore", table: "stores", field: "updateStore",
			query: `mutation($id: ID!, $n: String!) { updateStore(id: $id, input: {name: $n}) { id name } }`,
			setup: func(t *testing.T, s *apitest.Server, label string) map[string]any {
				return map[string]any{"id": s.CreateStore(t, "Original "+label)}
			}},
		{name: "createItem", table: "items", field: "createItem",
			query: `mutation($s: ID!, $n: String!) { createItem(input: {storeId: $s, name: $n, price: 1}) { id name } }`,
			setup: func(t *testing.T, s *apitest.Server, label string) map[string]any {
				return map[string]any{"s": s.CreateStore(t, label)}
			}},
		{name: "updateItem", table: "items", field: "updateItem",
			query: `mutation($id: ID!, $n: String!) { updateItem(id: $id, input: {name: $n}) { id name } }`,
			setup: func(t *testing.T, s *apitest.Server, label string) map[string]any {
				return map[string]any{"id": s.CreateItem(t, s.CreateStore(t, label), "Original "+label, 1)}
			}},
		{name: "createTag", table: "tags", field: "createTag",
			query: `mutation($s: ID!, $n: String!) { createTag(input: {storeId: $s, name: $n}) { id name } }`,
			setup: func(t *testing.T, s *apitest.Server, label string) map[string]any {
				return map[string]any{"s": s.CreateStore(t, label)}
			}},
		{name: "updateTag", table: "tags", field: "updateTag",
			query: `mutation($id: ID!, $n: String!) { updateTag(id: $id, input: {name: $n}) { id name } }`,
			setup: func(t *testing.T, s *apitest.Server, label string) map[string]any {
				return map[string]any{"id": s.CreateTag(t, s.CreateStore(t, label), "Original "+label)}
			}},
	} {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					label := kind.name + " " + tc.name
					vars := kind.setup(t, s, label)
					vars["n"] = tc.input
					r := s.Post(t, kind.query, vars)

					if tc.want == "" {
						wantCode(t, r, "BAD_USER_INPUT")
						wantNullField(t, r, kind.field)
						checkNameRefused(t, s, kind.table, vars, tc.input, "Original "+label)
						return
					}
					if len(r.Errors) > 0 {
						t.Fatalf("%s(name: %q) failed: %+v", kind.name, tc.input, r.Errors)
					}
					var out map[string]struct{ ID, Name string }
					r.Decode(t, &out)
					got := out[kind.field]
					if got.Name != tc.want {
						t.Errorf("%s(name: %q) name = %q; want %q", kind.name, tc.input, got.Name, tc.want)
					}
					n := count(t, s, fmt.Sprintf("SELECT count(*) FROM %s WHERE id = ? AND name = ? AND char_length(name) = ?", kind.table),
						dbID(t, got.ID), tc.want, utf8.RuneCountInString(tc.want))
					if n != 1 {
						t.Errorf("%s %s named %q in the database: got %d rows; want 1", kind.table, got.ID, tc.want, n)
					}
				})
			}
		})
	}
}

// Names are stored in NFC, so two ways of writing the same text collide in the unique
// indexes: "Cafe\u0301" (e and a combining accent) and "Café" (one character).
func TestNamesThatReadTheSameCollide(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const composed, decomposed = "Caf\u00e9", "Cafe\u0301"
	storeID := s.CreateStore(t, composed)
	s.CreateItem(t, storeID, decomposed, 1)
	s.CreateTag(t, storeID, composed)
	other := s.CreateStore(t, "Other")
	otherItem := s.CreateItem(t, storeID, "Other item", 1)

	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"createStore", `mutation($n: String!) { createStore(input: {name: $n}) { id } }`,
			map[string]any{"n": decomposed}},
		{"updateStore", `mutation($id: ID!, $n: String!) { updateStore(id: $id, input: {name: $n}) { id } }`,
			map[string]any{"id": other, "n": decomposed}},
		{"createItem", `mutation($s: ID!, $n: String!) { createItem(input: {storeId: $s, name: $n, price: 1}) { id } }`,
			map[string]any{"s": storeID, "n": composed}},
		{"updateItem", `mutation($id: ID!, $n: String!) { updateItem(id: $id, input: {name: $n}) { id } }`,
			map[string]any{"id": otherItem, "n": composed}},
		{"createTag", `mutation($s: ID!, $n: String!) { createTag(input: {storeId: $s, name: $n}) { id } }`,
			map[string]any{"s": storeID, "n": decomposed}},
	} {
		r := s.Post(t, tc.query, tc.vars)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
			t.Errorf("%s(name: %+q) next to %+q: %s %+v; want CONFLICT", tc.name, tc.vars["n"], composed, r.Data, r.Errors)
		}
	}
	for table, want := range map[string]int{"stores": 1, "items": 1, "tags": 1} {
		if n := count(t, s, fmt.Sprintf("SELECT count(*) FROM %s WHERE name = ?", table), composed); n != want {
			t.Errorf("%s named %+q: %d; want %d", table, composed, n, want)
		}
		if n := count(t, s, fmt.Sprintf("SELECT count(*) FROM %s WHERE name = ?", table), decomposed); n != 0 {
			t.Errorf("%s named %+q: %d; want 0, names are stored in NFC", table, decomposed, n)
		}
	}
}

// checkNameRefused checks that a refused name left no trace: an update kept the row's
// original name, a create made no row with the name as sent or trimmed.
func checkNameRefused(t *testing.T, s *apitest.Server, table string, vars map[string]any, input, original string) {
	t.Helper()
	if id, ok := vars["id"].(string); ok {
		if n := count(t, s, fmt.Sprintf("SELECT count(*) FROM %s WHERE id = ? AND name = ?", table), dbID(t, id), original); n != 1 {
			t.Errorf("%s %s kept its name %q: got %d rows; want 1", table, id, original, n)
		}
		return
	}
	query := fmt.Sprintf("SELECT count(*) FROM %s WHERE name IN (?, ?)", table)
	args := []any{input, strings.TrimSpace(input)}
	if storeID, ok := vars["s"].(string); ok {
		query = fmt.Sprintf("SELECT count(*) FROM %s WHERE store_id = ?", table)
		args = []any{dbID(t, storeID)}
	}
	if n := count(t, s, query, args...); n != 0 {
		t.Errorf("%s created for the refused name %q: got %d; want 0", table, input, n)
	}
}
