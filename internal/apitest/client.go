package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Client sends GraphQL requests to one storegraph, as a client would. Send and SendWith
// touch no testing.TB, so any goroutine may call them; the other methods report to the t
// they are given, which may be a subtest's.
type Client struct {
	URL   string       // base URL, without a path
	Token string       // access token sent by Send, Post and MustPost; "" sends none
	HTTP  *http.Client // nil is http.DefaultClient
}

// Send posts a query with variables (may be nil) with Token and returns the response, or
// an error when there is none to return.
func (c *Client) Send(ctx context.Context, query string, vars map[string]any) (*Response, error) {
	return c.SendWith(ctx, bearer(c.Token), query, vars)
}

// SendWith posts a query with a JSON content type and these headers, and no others.
func (c *Client) SendWith(ctx context.Context, headers map[string]string, query string, vars map[string]any) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []Error         `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("response is not JSON (status %d): %s", res.StatusCode, raw)
	}
	return &Response{Status: res.StatusCode, Data: out.Data, Errors: out.Errors}, nil
}

// bearer is the Authorization header of an access token; none for "".
func bearer(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// Post sends a query with Token and returns the response; it does not judge the errors.
func (c *Client) Post(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	return c.PostWith(t, bearer(c.Token), query, vars)
}

// PostAs is Post with another access token; "" sends none.
func (c *Client) PostAs(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	return c.PostWith(t, bearer(token), query, vars)
}

// PostWith is Post with these headers instead of Token.
func (c *Client) PostWith(t testing.TB, headers map[string]string, query string, vars map[string]any) *Response {
	t.Helper()
	r, err := c.SendWith(context.Background(), headers, query, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v\nquery: %s", err, query)
	}
	return r
}

// MustPost is Post that fails t on any error, and decodes the data into v (when not nil).
func (c *Client) MustPost(t testing.TB, query string, vars map[string]any, v any) {
	t.Helper()
	c.MustPostAs(t, c.Token, query, vars, v)
}

// MustPostAs is MustPost with another access token; "" sends none.
func (c *Client) MustPostAs(t testing.TB, token, query string, vars map[string]any, v any) {
	t.Helper()
	r := c.PostAs(t, token, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed (status %d): %+v\nquery: %s\nvariables: %v", r.Status, r.Errors, query, vars)
	}
	if v != nil {
		r.Decode(t, v)
	}
}

// RegisterMutation is the document Register sends: a server that runs only trusted
// documents must trust it for New to sign up Owner.
const RegisterMutation = `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p}) { accessToken } }`

// Register signs up an account and returns its access token.
func (c *Client) Register(t testing.TB, email, password string) string {
	t.Helper()
	var out struct {
		Register struct{ AccessToken string }
	}
	c.MustPostAs(t, "", RegisterMutation, map[string]any{"e": email, "p": password}, &out)
	return out.Register.AccessToken
}

// Response is a GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage
	Errors []Error
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (e Error) Code() string { c, _ := e.Extensions["code"].(string); return c }

// Codes lists the codes of the response's errors.
func (r *Response) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Code())
	}
	return out
}

// Decode reads the data into v, failing the test when it does not fit.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}
