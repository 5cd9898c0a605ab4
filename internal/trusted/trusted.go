// Package trusted holds the operations the server's own clients ship (trusted, or
// persisted, documents) and, as a gqlgen extension, runs only those, or runs the others too
// and logs them. It reads Apollo's persisted-query manifest and GraphQL Codegen's
// persisted-documents map.
package trusted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Mode says what happens to a request for a document that is not trusted.
type Mode string

const (
	Enforce Mode = "enforce" // refused with a coded error, before anything runs
	Log     Mode = "log"     // run, and logged with its operation name and hash
)

// Codes of refused requests, as Apollo's router names them.
const (
	CodeNotInList     = "PERSISTED_QUERY_NOT_IN_LIST" // an id that names no trusted document
	CodeNotInSafelist = "QUERY_NOT_IN_SAFELIST"       // a query that is no trusted document
)

// Document is one trusted operation document.
type Document struct {
	ID   string // the id clients send for it
	Name string // its operation's name, when the manifest gives one
	Body string // the GraphQL document
}

func (d Document) String() string {
	if d.Name != "" {
		return fmt.Sprintf("%s (%s)", d.ID, d.Name)
	}
	return d.ID
}

// Documents are the trusted documents, found by id or by the SHA-256 of their body.
type Documents struct {
	all    []Document
	byID   map[string]int
	byHash map[string]int // hex SHA-256 of the body
}

// Load reads the documents from a file in either format.
func Load(path string) (*Documents, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	docs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return docs, nil
}

// apolloFormat is the format field of Apollo's manifest
// (@apollo/generate-persisted-query-manifest).
const apolloFormat = "apollo-persisted-query-manifest"

// Parse reads Apollo's persisted-query manifest ({format, version: 1, operations: [{id,
// name, type, body}]}) or GraphQL Codegen's persisted-documents map ({hash: document}).
func Parse(data []byte) (*Documents, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("want a JSON object: Apollo's persisted-query manifest or a map of hashes to documents: %w", err)
	}
	var docs []Document
	if format, ok := top["format"]; ok && format[0] == '"' {
		var m struct {
			Format     string `json:"format"`
			Version    int    `json:"version"`
			Operations []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
				Body string `json:"body"`
			} `json:"operations"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("read %s: %w", apolloFormat, err)
		}
		if m.Format != apolloFormat || m.Version != 1 {
			return nil, fmt.Errorf("format %q version %d: want %s version 1", m.Format, m.Version, apolloFormat)
		}
		for _, op := range m.Operations {
			docs = append(docs, Document{ID: op.ID, Name: op.Name, Body: op.Body})
		}
	} else {
		for id, raw := range top {
			var body string
			if err := json.Unmarshal(raw, &body); err != nil {
				return nil, fmt.Errorf("document %s: want a string holding the GraphQL document", id)
			}
			docs = append(docs, Document{ID: id, Body: body})
		}
		sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	}
	if len(docs) == 0 {
		return nil, errors.New("holds no document")
	}
	d := &Documents{all: docs, byID: map[string]int{}, byHash: map[string]int{}}
	for i, doc := range docs {
		switch {
		case doc.ID == "":
			return nil, fmt.Errorf("document %d has no id", i+1)
		case strings.TrimSpace(doc.Body) == "":
			return nil, fmt.Errorf("document %s has no body", doc)
		}
		if j, dup := d.byID[doc.ID]; dup && docs[j].Body != doc.Body {
			return nil, fmt.Errorf("id %s stands for two different documents", doc.ID)
		}
		d.byID[doc.ID] = i
		d.byHash[hash(doc.Body)] = i
	}
	return d, nil
}

// All lists the documents in the file's order (a map's by id).
func (d *Documents) All() []Document { return d.all }

// ByID finds a document by the id a client sent: its id in the file, or the SHA-256 of its
// body in hex, bare (Apollo's persisted queries) or after "sha256:" (GraphQL over HTTP's
// persisted documents), whichever form the file's ids take.
func (d *Documents) ByID(id string) (Document, bool) {
	if i, ok := d.byID[id]; ok {
		return d.all[i], true
	}
	if i, ok := d.byHash[strings.ToLower(strings.TrimPrefix(id, "sha256:"))]; ok {
		return d.all[i], true
	}
	return Document{}, false
}

// ByBody finds the document whose body is exactly query.
func (d *Documents) ByBody(query string) (Document, bool) {
	return d.byBody(query, hash(query))
}

// byBody is ByBody with the query's hash already computed.
func (d *Documents) byBody(query, sha string) (Document, bool) {
	i, ok := d.byHash[sha]
	if !ok || d.all[i].Body != query {
		return Document{}, false
	}
	return d.all[i], true
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type documentIDKey struct{}

// WithDocumentID carries the documentId a request sent beside its GraphQL parameters
// (GraphQL Codegen's and GraphQL over HTTP's way of naming a persisted document), which
// gqlgen's parameters have no place for.
func WithDocumentID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, documentIDKey{}, id)
}

// Extension is the gqlgen extension that lets only trusted documents run. It prepares the
// parameters of every operation, whatever its transport, before the document is parsed;
// add it before the query limits and automatic persisted queries.
type Extension struct {
	Documents *Documents
	Mode      Mode
	Log       *slog.Logger

	logged logged
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Extension)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return "TrustedDocuments" }

// Validate implements graphql.HandlerExtension.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator. A request with a
// query is judged by its body; one without, by the id it sends (documentId, or Apollo's
// extensions.persistedQuery.sha256Hash), which is replaced with the document's body.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query != "" {
		sha := hash(p.Query) // once per request: the lookup and the log share it
		if _, ok := e.Documents.byBody(p.Query, sha); ok {
			return nil
		}
		return e.untrusted(ctx, p, CodeNotInSafelist, "This server runs only the operations its own clients ship, and this is not one of them.",
			slog.String("sha256", sha))
	}
	id, fromAPQ := requestedID(ctx, p)
	if id == "" {
		return nil // no document at all: gqlgen reports it
	}
	if doc, ok := e.Documents.ByID(id); ok {
		p.Query = doc.Body
		if fromAPQ {
			// The document is known: automatic persisted queries have nothing to look up.
			delete(p.Extensions, "persistedQuery")
		}
		return nil
	}
	return e.untrusted(ctx, p, CodeNotInList, "No trusted document has this id.", slog.String("id", clip(id)))
}

// untrusted refuses a request, or in Log mode logs it by its operation name and which
// sends it on; never its body, since literals in it may be secrets.
func (e *Extension) untrusted(ctx context.Context, p *graphql.RawParams, code, message string, which slog.Attr) *gqlerror.Error {
	if e.Mode == Log {
		if ok, left := e.logged.admit(which.String(), time.Now()); ok {
			attrs := []slog.Attr{slog.String("operation", clip(p.OperationName)), which, slog.String("code", code)}
			if left > 0 {
				attrs = append(attrs, slog.Int("unlogged_before", left))
			}
			e.Log.LogAttrs(ctx, slog.LevelWarn, "untrusted document", attrs...)
		}
		return nil
	}
	err := &gqlerror.Error{Message: message}
	errcode.Set(err, code)
	return err
}

// MaxLogged is the most bytes of a client's id or operation name that Log mode logs and
// remembers, so that a request cannot make its warning, nor what Log mode keeps to log each
// document once, as large as its body.
const MaxLogged = 128

// clip shortens s to MaxLogged bytes, marking that it did.
func clip(s string) string {
	if len(s) <= MaxLogged {
		return s
	}
	return strings.ToValidUTF8(s[:MaxLogged], "") + "…"
}

// requestedID is the id a request names its document by, and whether it is an automatic
// persisted query's hash.
func requestedID(ctx context.Context, p *graphql.RawParams) (string, bool) {
	if id, _ := ctx.Value(documentIDKey{}).(string); id != "" {
		return id, false
	}
	pq, _ := p.Extensions["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h, h != ""
}

// LogLimit is how many different untrusted documents Log mode logs a minute, each once, so
// that clients sending a new document with every request cost a bounded log and memory.
const LogLimit = 100

// logged remembers the documents Log mode logged in the current minute.
type logged struct {
	mu      sync.Mutex
	start   time.Time
	seen    map[string]bool
	skipped int
}

// admit says whether the document key is logged now, and how many documents the previous
// minute left unlogged once it had logged LogLimit.
func (l *logged) admit(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	left := 0
	if l.seen == nil || now.Sub(l.start) >= time.Minute {
		left = l.skipped
		l.start, l.seen, l.skipped = now, map[string]bool{}, 0
	}
	switch {
	case l.seen[key]:
		return false, 0
	case len(l.seen) >= LogLimit:
		l.skipped++
		return false, 0
	}
	l.seen[key] = true
	return true, left
}
