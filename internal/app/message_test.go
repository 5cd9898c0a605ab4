package app

import (
	"encoding/json"
	"testing"
)

// kind and message are shaped as gqlgen's protocol messages are.
type kind string

func (k kind) MarshalText() ([]byte, error) { return []byte(k), nil }

type message struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    kind            `json:"type"`
	noOp    bool
}

// A message written around its payload reads as json.Marshal would have written it.
func TestEncodeMessageAsJSONMarshal(t *testing.T) {
	t.Parallel()
	for _, m := range []*message{
		{Payload: json.RawMessage(`{"data":{"storeChanged":{"kind":"CREATED","itemId":"SXRlbTox"}}}`), ID: "1", Type: "next"},
		{Payload: json.RawMessage(`{"data":null}`), ID: "op \"2\" <a&b>\n", Type: "next"},
		{Payload: json.RawMessage(`{"data":{}}`), Type: "data"},
		{ID: "3", Type: "complete"},
		{Payload: json.RawMessage(`[{"message":"no"}]`), ID: "4", Type: "error"},
		{Type: "ping", noOp: true},
	} {
		got, err := encodeMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(m)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s is not JSON: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if gj, wj := mustMarshal(t, g), mustMarshal(t, w); gj != wj {
			t.Errorf("encodeMessage = %s; json.Marshal = %s", got, want)
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
