package app

import (
	"encoding"
	"encoding/json"
	"reflect"
	"sync"
)

// encodeMessage encodes a message of gqlgen's WebSocket protocols. A delivery's message
// ("next", or "data" in graphql-ws) carries a response that the transport has just
// encoded as JSON; json.Marshal would check and copy it once more for every socket, so
// its envelope is written around it. Any other message, or one whose id would need
// escaping, goes through json.Marshal.
func encodeMessage(v any) ([]byte, error) {
	if payload, id, typ, ok := delivery(v); ok {
		b := make([]byte, 0, len(payload)+len(id)+len(typ)+32)
		b = append(b, `{"payload":`...)
		b = append(b, payload...)
		if id != "" {
			b = append(b, `,"id":"`...)
			b = append(b, id...)
			b = append(b, '"')
		}
		b = append(b, `,"type":"`...)
		b = append(b, typ...)
		return append(b, `"}`...), nil
	}
	return json.Marshal(v)
}

// envelope is where a protocol message type keeps its fields; nil for a type that is no
// such message.
type envelope struct{ payload, id, typ int }

var envelopes sync.Map // reflect.Type → *envelope

// delivery returns the fields of v when it is a delivery's message whose id is plain.
func delivery(v any) (payload []byte, id, typ string, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, "", "", false
	}
	rv = rv.Elem()
	e := envelopeOf(rv.Type())
	if e == nil {
		return nil, "", "", false
	}
	t := rv.Field(e.typ)
	if m, isText := t.Interface().(encoding.TextMarshaler); isText {
		text, err := m.MarshalText()
		if err != nil {
			return nil, "", "", false
		}
		typ = string(text)
	} else {
		typ = t.String()
	}
	payload, id = rv.Field(e.payload).Bytes(), rv.Field(e.id).String()
	if (typ != "next" && typ != "data") || len(payload) == 0 || !plain(id) {
		return nil, "", "", false
	}
	return payload, id, typ, true
}

// envelopeOf finds the fields of a protocol message: Payload (json.RawMessage), ID and
// Type, tagged as gqlgen tags them, and no other exported field.
func envelopeOf(t reflect.Type) *envelope {
	if e, ok := envelopes.Load(t); ok {
		return e.(*envelope)
	}
	e := &envelope{-1, -1, -1}
fields:
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case !f.IsExported():
		case f.Name == "Payload" && f.Type == reflect.TypeFor[json.RawMessage]() && f.Tag.Get("json") == "payload,omitempty":
			e.payload = i
		case f.Name == "ID" && f.Type.Kind() == reflect.String && f.Tag.Get("json") == "id,omitempty":
			e.id = i
		case f.Name == "Type" && f.Type.Kind() == reflect.String && f.Tag.Get("json") == "type":
			e.typ = i
		default: // a field the envelope would leave out
			e.payload = -1
			break fields
		}
	}
	if e.payload < 0 || e.id < 0 || e.typ < 0 {
		e = nil
	}
	envelopes.Store(t, e)
	return e
}

// plain reports whether json.Marshal would write s as it is, between quotes.
func plain(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
