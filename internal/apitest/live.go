package apitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Live clients: a WebSocket speaking graphql-transport-ws, as the graphql-ws library
// does, and a Server-Sent Events stream, as graphql-sse does in its distinct connections
// mode. They touch no testing.T, so any goroutine may use them.

// Message is one graphql-transport-ws message.
type Message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Wait bounds how long a client waits for the next message before it gives up, so that a
// test that would hang fails instead; it is no measure of speed.
const Wait = 20 * time.Second

// Socket is a graphql-transport-ws connection.
type Socket struct {
	Conn *websocket.Conn
}

// DialOptions are what a client may send when it opens a socket.
type DialOptions struct {
	Origin      string         // the page's origin, as a browser sends it
	InitPayload map[string]any // connection_init's payload, e.g. {"Authorization": "Bearer ..."}
	Subprotocol string         // graphql-transport-ws unless set
}

// DialSocket opens a socket to the server and completes connection_init; the HTTP response
// is returned too, for a refused upgrade.
func (s *Server) DialSocket(ctx context.Context, o DialOptions) (*Socket, *http.Response, error) {
	return DialSocket(ctx, s.URL, o)
}

// DialSocket opens a socket to the server at base (http://host:port) and completes
// connection_init.
func DialSocket(ctx context.Context, base string, o DialOptions) (*Socket, *http.Response, error) {
	if o.Subprotocol == "" {
		o.Subprotocol = "graphql-transport-ws"
	}
	h := http.Header{}
	if o.Origin != "" {
		h.Set("Origin", o.Origin)
	}
	dctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	conn, res, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{o.Subprotocol}, HTTPHeader: h})
	if err != nil {
		return nil, res, err
	}
	conn.SetReadLimit(16 << 20)
	c := &Socket{Conn: conn}
	if err := c.Send(ctx, Message{Type: "connection_init", Payload: mustJSON(o.InitPayload)}); err != nil {
		return nil, res, err
	}
	m, err := c.Next(ctx)
	if err != nil {
		return nil, res, err
	}
	if m.Type != "connection_ack" {
		return nil, res, fmt.Errorf("got %s after connection_init; want connection_ack", m.Type)
	}
	return c, res, nil
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Send writes one message.
func (c *Socket) Send(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.Conn.Write(ctx, websocket.MessageText, b)
}

// Subscribe starts operation id.
func (c *Socket) Subscribe(ctx context.Context, id, query string, vars map[string]any) error {
	return c.Send(ctx, Message{ID: id, Type: "subscribe", Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

// Next returns the next message other than ping and pong, answering pings; it waits at
// most Wait.
func (c *Socket) Next(ctx context.Context) (Message, error) {
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	for {
		_, b, err := c.Conn.Read(ctx)
		if err != nil {
			return Message{}, err
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			return Message{}, fmt.Errorf("message is not JSON: %s", b)
		}
		switch m.Type {
		case "ping":
			if err := c.Send(ctx, Message{Type: "pong"}); err != nil {
				return Message{}, err
			}
		case "pong":
		default:
			return m, nil
		}
	}
}

// Close closes the socket normally.
func (c *Socket) Close() { _ = c.Conn.Close(websocket.StatusNormalClosure, "") }

// Event is one Server-Sent Event.
type Event struct {
	Name string // next or complete
	Data json.RawMessage
}

// EventStream is one operation served as Server-Sent Events.
type EventStream struct {
	Response *http.Response
	events   chan Event
	err      error // why the stream ended, once events is closed
	cancel   context.CancelFunc
}

// Stream posts an operation asking for Server-Sent Events; headers are added to the
// request. The stream is open once the response's headers are in.
func (s *Server) Stream(ctx context.Context, query string, vars map[string]any, headers map[string]string) (*EventStream, error) {
	return Stream(ctx, s.URL, query, vars, headers)
}

// Stream is Server.Stream for the server at base.
func Stream(ctx context.Context, base, query string, vars map[string]any, headers map[string]string) (*EventStream, error) {
	body := mustJSON(map[string]any{"query": query, "variables": vars})
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	es := &EventStream{Response: res, events: make(chan Event, 1024), cancel: cancel}
	go es.read()
	return es, nil
}

func (es *EventStream) read() {
	defer es.Response.Body.Close()
	sc := bufio.NewScanner(es.Response.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var ev Event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" {
				es.events <- ev
			}
			ev = Event{}
		case strings.HasPrefix(line, "event:"):
			ev.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			ev.Data = json.RawMessage(strings.TrimSpace(strings.TrimPrefix(line, "data:")))
		}
	}
	es.err = sc.Err()
	if es.err == nil {
		es.err = fmt.Errorf("event stream ended")
	}
	close(es.events)
}

// Next returns the next event; it waits at most Wait.
func (es *EventStream) Next(ctx context.Context) (Event, error) {
	t := time.NewTimer(Wait)
	defer t.Stop()
	select {
	case ev, ok := <-es.events:
		if !ok {
			return Event{}, es.err
		}
		return ev, nil
	case <-t.C:
		return Event{}, fmt.Errorf("no event within %s", Wait)
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Close ends the stream from the client's side.
func (es *EventStream) Close() {
	es.cancel()
	for range es.events {
	}
}
