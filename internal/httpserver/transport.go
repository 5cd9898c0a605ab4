package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/storegraph/storegraph/internal/trusted"
)

// The media types of a GraphQL response (GraphQL over HTTP).
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// POST is the GraphQL over HTTP transport for POST requests with a JSON body. It differs
// from gqlgen's in what the specification asks of a request that fails before it runs (a
// document that does not parse or validate, variables that do not coerce, a refusal of the
// extensions): under application/json it is answered 200 with data null, under
// application/graphql-response+json 400 with no data entry at all. ReadBody has checked
// the body's shape before.
type POST struct{}

// GET is POST's counterpart for queries sent as URL parameters; WellFormed has checked them.
type GET struct{}

var (
	_ graphql.Transport = POST{}
	_ graphql.Transport = GET{}
)

// Supports implements graphql.Transport.
func (POST) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == mediaJSON
}

// Do implements graphql.Transport.
func (POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	var body struct {
		graphql.RawParams
		DocumentID string `json:"documentId"` // a persisted document's id, sent in place of the query
	}
	var err error
	if rb, ok := r.Body.(*readBody); ok && rb.request != nil {
		body.DocumentID, err = rb.request.DocumentID, rb.request.params(&body.RawParams)
	} else {
		err = decodeJSON(r.Body, &body)
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, CodeBadRequest, "The request body is not a GraphQL request.")
		return
	}
	params := &body.RawParams
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	run(w, r, exec, params, body.DocumentID)
}

// params sets p from the request, as decoding the body into p would.
func (b *bodyRequest) params(p *graphql.RawParams) error {
	if b.Query != nil {
		p.Query = *b.Query
	}
	p.OperationName = b.OperationName
	for _, v := range []struct {
		raw json.RawMessage
		dst *map[string]any
	}{{b.Variables, &p.Variables}, {b.Extensions, &p.Extensions}} {
		if len(v.raw) > 0 {
			if err := decodeJSON(bytes.NewReader(v.raw), v.dst); err != nil {
				return err
			}
		}
	}
	return nil
}

// Supports implements graphql.Transport.
func (GET) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method == http.MethodGet
}

// Do implements graphql.Transport.
func (GET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	q := r.URL.Query()
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	for _, p := range []struct {
		name string
		dst  *map[string]any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(p.name); v != "" {
			if err := decodeJSON(strings.NewReader(v), p.dst); err != nil {
				writeError(w, r, http.StatusBadRequest, CodeBadRequest, "The "+p.name+" parameter must be a JSON object.")
				return
			}
		}
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	run(w, r, exec, params, q.Get("documentId"))
}

// run prepares the operation and executes it, answering in the media type the client
// accepts. documentID is the persisted document the request names, if any.
func run(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, documentID string) {
	media, ok := responseMediaType(r)
	if !ok {
		writeError(w, r, http.StatusNotAcceptable, CodeBadRequest,
			"The Accept header allows no response this server sends: accept application/graphql-response+json or application/json.")
		return
	}
	w.Header().Set("Content-Type", media)
	ctx := r.Context()
	if documentID != "" {
		ctx = trusted.WithDocumentID(ctx, documentID)
	}
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		if media == mediaGraphQLResponse {
			// The request never ran, so there is no data entry, and the status says so.
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, struct {
				Errors     gqlerror.List  `json:"errors"`
				Extensions map[string]any `json:"extensions,omitempty"`
			}{resp.Errors, resp.Extensions})
			return
		}
		writeJSON(w, resp)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, responses(ctx))
}

// responseMediaType picks the response's media type from the request's Accept header: the
// one with the highest quality of application/graphql-response+json and application/json
// (which application/* and */* stand for), the former on a tie. No Accept header means
// application/json; one that allows neither, false.
func responseMediaType(r *http.Request) (string, bool) {
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return mediaJSON, true
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(strings.Join(accept, ","), ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		var media string
		switch mediaType {
		case mediaGraphQLResponse:
			media = mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			media = mediaJSON
		default:
			continue
		}
		if q > bestQ || (q == bestQ && q > 0 && media == mediaGraphQLResponse) {
			best, bestQ = media, q
		}
	}
	return best, bestQ > 0
}

// decodeJSON decodes as gqlgen does: numbers stay json.Number, so that an Int variable too
// large for an int is refused rather than rounded.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec.Decode(v)
}

// writeResponse writes resp as writeJSON does. A response that is data alone is written as
// it is, without json.Marshal copying and checking it again, unless its text has a
// character json.Marshal escapes (<, >, &, U+2028 and U+2029, whose UTF-8 starts with
// 0xE2), so that the bytes are the same either way.
func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	if resp == nil || len(resp.Errors) > 0 || len(resp.Data) == 0 || resp.Label != "" || resp.Path != nil ||
		resp.HasNext != nil || len(resp.Extensions) > 0 || marshalEscapes(resp.Data) {
		writeJSON(w, resp)
		return
	}
	_, _ = w.Write(dataOpen)
	_, _ = w.Write(resp.Data)
	_, _ = w.Write(dataClose)
}

var dataOpen, dataClose = []byte(`{"data":`), []byte("}")

// marshalEscapes reports whether b may hold a character json.Marshal escapes.
func marshalEscapes(b []byte) bool {
	for _, c := range []byte{'<', '>', '&', 0xE2} {
		if bytes.IndexByte(b, c) >= 0 {
			return true
		}
	}
	return false
}

// writeJSON writes v as gqlgen's transports do.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a response gqlgen built always encodes
	}
	_, _ = w.Write(b)
}
