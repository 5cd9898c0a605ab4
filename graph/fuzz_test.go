package graph_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/catalog"
)

// leakWords are fragments of SQL, driver and runtime text that no error message may carry
// unless the client itself sent them.
var leakWords = []string{
	"sqlstate", "pq:", "pgx", "pgconn", "syntax error at", "relation ", "duplicate key",
	"violates", "constraint", "bun:", "sql:", "goroutine ", "panic", "runtime error", ".go:",
}

// fuzzClient gives up on a request after a while far longer than any of them needs, so a
// request that hangs fails with its input instead of stalling the fuzzer.
var fuzzClient = &http.Client{Timeout: time.Minute}

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// fuzzGen turns the fuzzer's bytes into choices; once they run out every choice is 0.
type fuzzGen struct{ data []byte }

func (g *fuzzGen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *fuzzGen) intn(n int) int { return int(g.byte()) % n }

func (g *fuzzGen) bytes(n int) []byte {
	n = min(n, len(g.data))
	b := g.data[:n]
	g.data = g.data[n:]
	return b
}

// uint64 reads eight bytes, zeros past the end; the input itself is never written to.
func (g *fuzzGen) uint64() uint64 {
	var b [8]byte
	copy(b[:], g.bytes(8))
	return binary.LittleEndian.Uint64(b[:])
}

// text is a string taken from the input; often short, sometimes long enough to pass a limit.
func (g *fuzzGen) text() string {
	n := g.intn(24)
	switch g.intn(8) {
	case 0:
		return strings.Repeat(string(g.bytes(1)), 81+g.intn(130))
	case 1:
		return " " + string(g.bytes(n)) + "\t"
	}
	return string(g.bytes(n))
}

// value is a GraphQL value of the kind an argument wants, or of another kind: the document
// text for it, and its JSON for when it travels as a variable.
type value struct {
	literal string
	json    string
}

func jsonValue(v any) value {
	b, _ := json.Marshal(v)
	return value{literal: string(b), json: string(b)}
}

func (g *fuzzGen) value(kind string, ids []string) value {
	switch g.intn(32) {
	case 0, 1:
		return value{"null", "null"}
	case 2:
		// Something of another kind.
		return g.value([]string{"ID", "Int", "Float", "String", "Order"}[g.intn(5)], ids)
	case 3:
		return value{"{a: 1}", `{"a": 1}`}
	}
	switch kind {
	case "ID":
		switch g.intn(6) {
		case 0, 1, 2:
			return jsonValue(ids[g.intn(len(ids))])
		case 3:
			n := strconv.FormatInt(int64(g.uint64()), 10)
			return value{n, n}
		case 4:
			return jsonValue(catalog.Cursor(catalog.ID(g.intn(50) + 1)))
		}
		return jsonValue(g.text())
	case "Int":
		switch g.intn(5) {
		case 0:
			return value{"99999999999", "99999999999"}
		case 1:
			return value{"1.5", "1.5"}
		}
		n := strconv.Itoa(int(int8(g.byte())))
		return value{n, n}
	case "Float":
		switch g.intn(6) {
		case 0:
			return value{"1e400", "1e400"}
		case 1, 2:
			c := strconv.FormatFloat(float64(int(g.byte())<<8|int(g.byte()))/100, 'f', -1, 64)
			return value{c, c}
		case 3:
			f := math.Float64frombits(g.uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return value{"NaN", `"NaN"`}
			}
			s := strconv.FormatFloat(f, 'g', -1, 64)
			return value{s, s}
		}
		return value{"19.999", "19.999"}
	case "Order":
		o := []string{"ID", "NAME", "PRICE", "name", "PRICEY"}[g.intn(5)]
		return value{o, strconv.Quote(o)}
	}
	return jsonValue(g.text())
}

// docBuilder writes one operation, moving some argument values into variables.
type docBuilder struct {
	g     *fuzzGen
	ids   []string
	decls []string
	vars  map[string]json.RawMessage
}

var varTypes = map[string]string{"ID": "ID", "Int": "Int", "Float": "Float", "String": "String", "Order": "ItemOrder"}

func (d *docBuilder) arg(kind string, required bool) string {
	v := d.g.value(kind, d.ids)
	if d.g.intn(3) != 0 {
		return v.literal
	}
	name := fmt.Sprintf("v%d", len(d.decls))
	typ := varTypes[kind]
	switch n := d.g.intn(16); {
	case n == 0:
		typ = []string{"ID", "Int", "Float", "String", "Boolean", "TagOrder"}[d.g.intn(6)]
	case required && n > 1, n > 11:
		typ += "!"
	}
	d.decls = append(d.decls, "$"+name+": "+typ)
	if d.g.intn(8) != 0 {
		d.vars[name] = json.RawMessage(v.json)
	}
	return "$" + name
}

// args writes an argument list from specs such as "id:ID!" (required), "first:Int" and
// "input:{name:String!}"; an optional argument is often left out, a required one rarely.
func (d *docBuilder) args(specs ...string) string {
	var parts []string
	for _, spec := range specs {
		name, kind, _ := strings.Cut(spec, ":")
		required := strings.HasSuffix(kind, "!")
		kind = strings.TrimSuffix(kind, "!")
		if required && d.g.intn(32) == 0 || !required && d.g.intn(3) == 0 {
			continue
		}
		if strings.HasPrefix(kind, "{") {
			parts = append(parts, name+": {"+d.args(strings.Split(strings.Trim(kind, "{}"), ",")...)+"}")
			continue
		}
		parts = append(parts, name+": "+d.arg(kind, required))
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (d *docBuilder) selection(typ string, depth int) string {
	fields := map[string][]string{
		"Store": {"id", "name", "itemCount", "tagCount", "items", "tags", "__typename"},
		"Item":  {"id", "name", "price", "tagCount", "store", "tags"},
		"Tag":   {"id", "name", "itemCount", "store", "items"},
	}[typ]
	n := 1 + d.g.intn(4)
	var parts []string
	for range n {
		f := fields[d.g.intn(len(fields))]
		switch f {
		case "items", "tags":
			if depth >= 3 {
				f = "id"
				break
			}
			child := map[string]string{"items": "Item", "tags": "Tag"}[f]
			f += d.args("first:Int", "offset:Int", "orderBy:Order") + " { " + d.selection(child, depth+1) + " }"
		case "store":
			if depth >= 3 {
				f = "id"
				break
			}
			f += " { " + d.selection("Store", depth+1) + " }"
		}
		parts = append(parts, f)
	}
	if d.g.intn(48) == 0 {
		parts = append(parts, "nope")
	}
	return strings.Join(parts, " ")
}

func (d *docBuilder) connection(typ string) string {
	sel := d.selection(typ, 1)
	switch d.g.intn(4) {
	case 0:
		return "{ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"
	case 1:
		return "{ edges { cursor node { " + sel + " } } totalCount }"
	}
	return "{ nodes { " + sel + " } pageInfo { endCursor hasNextPage } }"
}

// rootField writes one root field of a query or a mutation.
func (d *docBuilder) rootField(mutation bool) string {
	if !mutation {
		switch d.g.intn(7) {
		case 0:
			return "store" + d.args("id:ID!") + " { " + d.selection("Store", 1) + " }"
		case 1:
			return "item" + d.args("id:ID!") + " { " + d.selection("Item", 1) + " }"
		case 2:
			return "tag" + d.args("id:ID!") + " { " + d.selection("Tag", 1) + " }"
		case 3:
			return "stores" + d.args("first:Int", "after:String", "filter:{nameContains:String}") + " " + d.connection("Store")
		case 4:
			return "items" + d.args("first:Int", "after:String", "filter:{storeId:ID,tagId:ID,nameContains:String,minPrice:Float,maxPrice:Float}") + " " + d.connection("Item")
		case 5:
			return "tags" + d.args("first:Int", "after:String", "filter:{storeId:ID,nameContains:String}") + " " + d.connection("Tag")
		}
		return "me { id email stores" + d.args("first:Int", "offset:Int") + " { id name } }"
	}
	switch d.g.intn(12) {
	case 0:
		return "createStore" + d.args("input:{name:String!}!") + " { " + d.selection("Store", 1) + " }"
	case 1:
		return "updateStore" + d.args("id:ID!", "input:{name:String!}!") + " { id name }"
	case 2:
		return "deleteStore" + d.args("id:ID!") + " { id message }"
	case 3:
		return "createItem" + d.args("input:{storeId:ID!,name:String!,price:Float!}!") + " { " + d.selection("Item", 1) + " }"
	case 4:
		return "updateItem" + d.args("id:ID!", "input:{name:String,price:Float}!") + " { id name price }"
	case 5:
		return "deleteItem" + d.args("id:ID!") + " { id message }"
	case 6:
		return "createTag" + d.args("input:{storeId:ID!,name:String!}!") + " { id name }"
	case 7:
		return "updateTag" + d.args("id:ID!", "input:{name:String!}!") + " { id name }"
	case 8:
		return "deleteTag" + d.args("id:ID!") + " { id message }"
	case 9:
		return "linkTag" + d.args("itemId:ID!", "tagId:ID!") + " { message item { id tagCount } tag { id itemCount } }"
	case 10:
		return "unlinkTag" + d.args("itemId:ID!", "tagId:ID!") + " { message }"
	}
	return []string{"register", "login"}[d.g.intn(2)] + d.args("input:{email:String!,password:String!}!") + " { accessToken user { id } }"
}

// fuzzRequest is one request built from fuzzer bytes.
type fuzzRequest struct {
	query string
	vars  map[string]json.RawMessage
	get   bool // send over GET
	token bool // send the owner's access token
}

func buildRequest(data []byte, ids []string) fuzzRequest {
	g := &fuzzGen{data: data}
	mode := g.byte()
	r := fuzzRequest{get: mode&0x10 != 0, token: mode&0x20 == 0}
	if mode&0x0f == 0 {
		// The rest is the document as it is.
		r.query = string(g.data)
		return r
	}
	d := &docBuilder{g: g, ids: ids, vars: map[string]json.RawMessage{}}
	mutation := mode&0x40 != 0
	var fields []string
	for i := range 1 + g.intn(3) {
		fields = append(fields, fmt.Sprintf("f%d: %s", i, d.rootField(mutation)))
	}
	op := "query"
	if mutation {
		op = "mutation"
	}
	decl := ""
	if len(d.decls) > 0 {
		decl = "(" + strings.Join(d.decls, ", ") + ")"
	}
	r.query = op + decl + " { " + strings.Join(fields, " ") + " }"
	r.vars = d.vars
	if mode&0x0f == 1 && len(r.query) > 0 {
		// One byte of the document changed, for the parser and the validator.
		i := g.intn(len(r.query))
		r.query = r.query[:i] + string(rune(g.byte())) + r.query[i+1:]
	}
	return r
}

// fuzzAnswer is what the server sent back: its status and, when it is JSON, its errors.
type fuzzAnswer struct {
	status int
	body   []byte
	errors []apitest.Error
	isJSON bool
}

func sendFuzz(s *apitest.Server, r fuzzRequest) (fuzzAnswer, error) {
	var req *http.Request
	var err error
	if r.get {
		q := url.Values{"query": {r.query}}
		if len(r.vars) > 0 {
			vb, _ := json.Marshal(r.vars)
			q.Set("variables", string(vb))
		}
		req, err = http.NewRequest(http.MethodGet, s.URL+"/graphql?"+q.Encode(), nil)
	} else {
		body, merr := json.Marshal(map[string]any{"query": r.query, "variables": r.vars})
		if merr != nil {
			// A variable the generator wrote is not JSON: send the text as it is.
			body = []byte(`{"query": ` + string(mustJSON(r.query)) + `, "variables": {` + rawVars(r.vars) + `}}`)
		}
		req, err = http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
		if req != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return fuzzAnswer{}, err
	}
	if r.token {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	res, err := fuzzClient.Do(req)
	if err != nil {
		return fuzzAnswer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fuzzAnswer{}, err
	}
	a := fuzzAnswer{status: res.StatusCode, body: raw}
	var body struct {
		Errors []apitest.Error `json:"errors"`
	}
	if json.Unmarshal(raw, &body) == nil {
		a.isJSON, a.errors = true, body.Errors
	}
	return a, nil
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func rawVars(vars map[string]json.RawMessage) string {
	var parts []string
	for k, v := range vars {
		parts = append(parts, strconv.Quote(k)+": "+string(v))
	}
	return strings.Join(parts, ", ")
}

// checkAnswer holds the server to the contract for any request: no 5xx, JSON errors that
// each carry a code, never an internal error (a resolver's panic ends as one), and no SQL,
// driver or runtime text in a message.
func checkAnswer(t *testing.T, r fuzzRequest, a fuzzAnswer) {
	t.Helper()
	sent := strings.ToLower(r.query + rawVars(r.vars))
	if a.status >= 500 {
		t.Fatalf("status %d for\n%s\nvariables {%s}\nbody: %s", a.status, r.query, rawVars(r.vars), a.body)
	}
	if !a.isJSON {
		t.Fatalf("status %d with a body that is not a GraphQL response for\n%s\nbody: %s", a.status, r.query, a.body)
	}
	for _, e := range a.errors {
		if e.Code() == "" {
			t.Errorf("error %q has no extensions.code for\n%s\nvariables {%s}", e.Message, r.query, rawVars(r.vars))
		}
		if e.Code() == string(catalog.Internal) {
			t.Errorf("internal error %q for\n%s\nvariables {%s}", e.Message, r.query, rawVars(r.vars))
		}
		// Quoted parts of a message echo the request; the rest is the server's own words.
		msg := strings.ToLower(quoted.ReplaceAllString(e.Message, `""`))
		for _, w := range leakWords {
			if strings.Contains(msg, w) && !strings.Contains(sent, w) {
				t.Errorf("message %q carries %q for\n%s\nvariables {%s}", e.Message, w, r.query, rawVars(r.vars))
			}
		}
	}
}

// FuzzGraphQL sends documents and variables built from the fuzzer's bytes to the real server:
// queries and mutations with arguments of every kind, right and wrong, inline or as
// variables, with and without a token, over POST and GET, and raw text as a document.
func FuzzGraphQL(f *testing.F) {
	s := newServer(f)
	storeID := s.CreateStore(f, "Fuzz Store")
	itemID := s.CreateItem(f, storeID, "100% cotton_shirt", 19.99)
	tagID := s.CreateTag(f, storeID, `back\slash`)
	s.Link(f, itemID, tagID)
	ids := []string{storeID, itemID, tagID, "999999"}

	// Raw documents, sent with the owner's token, that reach the writes and their refusals.
	for _, doc := range []string{
		`mutation { createStore(input: {name: "Fuzz Store"}) { id } }`,
		`mutation { createStore(input: {name: "  "}) { id } }`,
		`mutation($s: ID!) { createItem(input: {storeId: $s, name: "x", price: 1e400}) { id } }`,
		`mutation { createItem(input: {storeId: "` + storeID + `", name: "100% cotton_shirt", price: 1}) { id } }`,
		`mutation { createItem(input: {storeId: "` + storeID + `", name: "cheap", price: 0.001}) { id } }`,
		`mutation { updateItem(id: "` + itemID + `", input: {price: -1}) { id } }`,
		`mutation { deleteTag(id: "` + tagID + `") { id } }`,
		`mutation { other: createStore(input: {name: "Other"}) { id } }`,
		`mutation { createTag(input: {storeId: "` + storeID + `", name: "` + strings.Repeat("é", 81) + `"}) { id } }`,
		`mutation { linkTag(itemId: "` + itemID + `", tagId: "999999") { message } }`,
		`{ items(filter: {nameContains: "%_\\", minPrice: 1, maxPrice: 0}) { totalCount } }`,
		`{ stores(first: 101) { totalCount } }`,
		`{ tags(after: "Y3Vyc29yOjF") { nodes { id } } }`,
		`{ store(id: "` + storeID + `") { items(first: -1) { id } tags(offset: -1) { id } } }`,
	} {
		f.Add(append([]byte{0x00}, doc...))
	}
	f.Add([]byte{0x00, '{', 'x'})
	f.Add([]byte("\x00{ stores { nodes { id } } }"))
	f.Add([]byte("\x00query { __schema { types { name } } }"))
	f.Add([]byte("\x00{ a: stores { totalCount } a: items { totalCount } }"))
	f.Add([]byte("\x00mutation { linkTag(itemId: \"1\", tagId: \"1\") { message } }"))
	f.Add([]byte("\x00{ items(filter: {minPrice: 1e400}) { totalCount } }"))
	f.Add([]byte("\x10{ stores(first: 1) { nodes { name } } }"))
	f.Add([]byte("\x10mutation { deleteStore(id: \"1\") { id } }"))
	f.Add([]byte("\x10{ stores(filter: {nameContains: \"\xff\"}) { totalCount } }"))
	f.Add([]byte("\x00{ item(id: \"\xc3\") { id } }"))
	for mode := range byte(8) {
		f.Add([]byte{0x02 + mode, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9})
		f.Add([]byte{0x42 + mode, mode, 0xff, 0x80, 7, 0, 9, 1, 3})
		f.Add([]byte{0x62 + mode, 3, 5, 7, 11, 13, 17, 19, 23})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := buildRequest(data, ids)
		a, err := sendFuzz(s, r)
		if err != nil {
			t.Fatalf("request failed: %v\n%s", err, r.query)
		}
		checkAnswer(t, r, a)
	})
}
