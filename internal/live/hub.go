package live

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/storegraph/storegraph/internal/catalog"
)

// Limits bound what subscribers may make a process hold.
type Limits struct {
	PerProcess int // subscriptions open at once in the process
	Queue      int // changes waiting for one subscriber, or for its group to render them; past it the queue is dropped for a RESYNC
}

// Metrics are the hub's Prometheus collectors.
type Metrics struct {
	Active    prometheus.Gauge       // subscriptions open
	Received  prometheus.Counter     // changes received from PostgreSQL
	Resyncs   *prometheus.CounterVec // RESYNCs sent, by reason: "feed" or "behind"
	Delivered prometheus.Counter     // changes delivered to subscribers, counted by the transport's side
}

// NewMetrics registers the hub's collectors with reg.
func NewMetrics(reg prometheus.Registerer) Metrics {
	m := Metrics{
		Active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "subscriptions_active", Help: "Subscriptions open in this process.",
		}),
		Received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "live_changes_received_total", Help: "Changes received from PostgreSQL's notifications.",
		}),
		Resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "subscription_resyncs_total",
			Help: "RESYNCs sent to subscribers, by reason: feed (the database feed was lost) or behind (the subscriber's queue overflowed).",
		}, []string{"reason"}),
		Delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "subscription_deliveries_total", Help: "Changes delivered to subscribers.",
		}),
	}
	reg.MustRegister(m.Active, m.Received, m.Resyncs, m.Delivered)
	return m
}

// ErrShuttingDown refuses a subscription while the process shuts down.
var ErrShuttingDown = catalog.Errorf(catalog.Unavailable, "The server is shutting down; subscribe again to reach another.")

// Hub fans the changes of this process's listener out to the subscribers of each store.
// Subscribers whose answers are alike (the same store, selection, variables and user) form
// a group: each change is rendered once for the group, through one of its subscribers, and
// the same T is queued for all of them. Sending never blocks: a subscriber whose queue is
// full loses it and gets a RESYNC, and so does a whole group whose rendering falls behind.
type Hub[T any] struct {
	limits  Limits
	metrics Metrics

	start func(context.Context) error // starts the feed before the first subscription

	mu     sync.Mutex
	stores map[catalog.ID]map[string]*group[T]
	open   int
	closed bool
}

// NewHub returns a hub with no subscribers.
func NewHub[T any](limits Limits, metrics Metrics) *Hub[T] {
	return &Hub[T]{limits: limits, metrics: metrics, stores: make(map[catalog.ID]map[string]*group[T])}
}

// StartWith makes every subscription call start first, which starts the feed (once) and
// fails when it cannot.
func (h *Hub[T]) StartWith(start func(context.Context) error) { h.start = start }

// Render turns a change into what a group's subscribers receive, through one of them;
// false when it cannot because that subscriber has ended.
type Render[T any] func(Change) (T, bool)

// Subscription is one subscriber's feed of a store's changes. C is closed after the
// store's deletion and at shutdown; otherwise the subscription ends with its context.
type Subscription[T any] struct {
	C      <-chan T
	ch     chan T
	group  *group[T]
	stop   func() bool
	render Render[T] // guarded by hub.mu; nil until Serve, and once it failed
	ended  bool      // guarded by hub.mu
}

// pending is a change waiting for its group to render it.
type pending struct {
	Change
	reason string // a RESYNC's: "feed" or "behind"
}

// group is the subscribers of one store whose answers are alike. Its goroutine renders
// each change once and queues the result for every member, in commit order.
type group[T any] struct {
	hub     *Hub[T]
	store   catalog.ID
	key     string
	subs    map[*Subscription[T]]struct{} // guarded by hub.mu
	changes chan pending                  // sent to under hub.mu only
	served  chan struct{}                 // a member can render now
	done    chan struct{}                 // closed once the group has no members
}

// Subscribe opens a feed of store's changes until ctx ends, in the group of the
// subscribers with the same key. Its changes are rendered once Serve gave the group a way
// to. Over the process's limit it is TOO_MANY_REQUESTS; without a database feed,
// SERVICE_UNAVAILABLE.
func (h *Hub[T]) Subscribe(ctx context.Context, store catalog.ID, key string) (*Subscription[T], error) {
	if h.start != nil {
		if err := h.start(ctx); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, ErrShuttingDown
	case h.open >= h.limits.PerProcess:
		return nil, catalog.Errorf(catalog.TooManyRequests,
			"This server has as many subscriptions as it may hold (%d); try again later or another server.", h.limits.PerProcess)
	}
	groups := h.stores[store]
	if groups == nil {
		groups = make(map[string]*group[T])
		h.stores[store] = groups
	}
	g := groups[key]
	if g == nil {
		// One slot more than the queue, for the store's DELETED after a RESYNC.
		g = &group[T]{hub: h, store: store, key: key, subs: make(map[*Subscription[T]]struct{}),
			changes: make(chan pending, h.limits.Queue+1), served: make(chan struct{}, 1), done: make(chan struct{})}
		groups[key] = g
		go g.run()
	}
	ch := make(chan T, h.limits.Queue+1)
	s := &Subscription[T]{C: ch, ch: ch, group: g}
	g.subs[s] = struct{}{}
	h.open++
	h.metrics.Active.Inc()
	s.stop = context.AfterFunc(ctx, s.Close)
	return s, nil
}

// Serve lets the subscription's group render its changes through render.
func (s *Subscription[T]) Serve(render Render[T]) {
	h := s.group.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.ended {
		return
	}
	s.render = render
	select {
	case s.group.served <- struct{}{}:
	default:
	}
}

// Close ends the subscription; it may be called more than once.
func (s *Subscription[T]) Close() {
	h := s.group.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(s)
}

// remove takes s out of the hub, and its group once it is empty; h.mu is held.
func (h *Hub[T]) remove(s *Subscription[T]) {
	if s.ended {
		return
	}
	s.ended = true
	s.render = nil
	if s.stop != nil {
		s.stop()
	}
	g := s.group
	delete(g.subs, s)
	if len(g.subs) == 0 {
		close(g.done)
		groups := h.stores[g.store]
		delete(groups, g.key)
		if len(groups) == 0 {
			delete(h.stores, g.store)
		}
	}
	h.open--
	h.metrics.Active.Dec()
}

// Publish queues c for every group of its store; the store's deletion ends their
// subscriptions once it is delivered.
func (h *Hub[T]) Publish(c Change) {
	h.metrics.Received.Inc()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, g := range h.stores[c.Store] {
		g.queue(pending{Change: c})
	}
}

// ResyncAll tells every subscriber that changes may have been missed: the feed was lost.
func (h *Hub[T]) ResyncAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for store, groups := range h.stores {
		for _, g := range groups {
			g.queue(pending{Change: Change{Kind: Resync, Store: store}, reason: "feed"})
		}
	}
}

// queue hands p to the group's goroutine or, when it has fallen behind, drops what waits
// for a RESYNC; the store's deletion still follows it, in the slot kept for it. h.mu is
// held, and the hub is the only sender, so the queue can only shrink meanwhile.
func (g *group[T]) queue(p pending) {
	if len(g.changes) >= g.hub.limits.Queue {
		empty(g.changes)
		g.changes <- pending{Change: Change{Kind: Resync, Store: g.store}, reason: "behind"}
		if !p.StoreGone() {
			return
		}
	}
	g.changes <- p
}

// run renders the group's changes in order and queues each for every member, until the
// group has none left.
func (g *group[T]) run() {
	var resync T
	rendered := false
	for {
		var p pending
		select {
		case p = <-g.changes:
		case <-g.done:
			return
		}
		if !rendered {
			// A RESYNC of one member that falls behind is rendered once for all.
			if resync, rendered = g.render(Change{Kind: Resync, Store: g.store}); !rendered {
				return
			}
		}
		v := resync
		if p.Kind != Resync {
			var ok bool
			if v, ok = g.render(p.Change); !ok {
				return
			}
		}
		g.deliver(p, v, resync)
	}
}

// render renders c through a member that can, waiting for one; false once the group has
// no members.
func (g *group[T]) render(c Change) (T, bool) {
	h := g.hub
	for {
		h.mu.Lock()
		var by *Subscription[T]
		var render Render[T]
		for s := range g.subs {
			if s.render != nil {
				by, render = s, s.render
				break
			}
		}
		h.mu.Unlock()
		if render == nil {
			select {
			case <-g.served:
				continue
			case <-g.done:
				var zero T
				return zero, false
			}
		}
		if v, ok := render(c); ok {
			return v, true
		}
		h.mu.Lock()
		by.render = nil // it has ended; its context's end removes it
		h.mu.Unlock()
	}
}

// deliver queues v for every member of the group, or resync for one whose queue is full,
// and ends the subscriptions after the store's deletion.
func (g *group[T]) deliver(p pending, v, resync T) {
	h := g.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	final := p.StoreGone()
	for s := range g.subs {
		switch {
		case p.Kind == Resync:
			s.drop()
			h.metrics.Resyncs.WithLabelValues(p.reason).Inc()
		case len(s.ch) >= h.limits.Queue:
			s.drop()
			h.metrics.Resyncs.WithLabelValues("behind").Inc()
			s.ch <- resync
			if !final {
				continue
			}
		}
		s.ch <- v
	}
	if final {
		for s := range g.subs {
			close(s.ch)
			h.remove(s)
		}
	}
}

// drop empties s's queue when it is full, for a RESYNC; h.mu is held.
func (s *Subscription[T]) drop() {
	if len(s.ch) >= s.group.hub.limits.Queue {
		empty(s.ch)
	}
}

// empty takes out what ch holds; its receiver may take some of it meanwhile, and h.mu,
// held, keeps anything from being sent.
func empty[E any](ch chan E) {
	for len(ch) > 0 {
		select {
		case <-ch:
		default:
		}
	}
}

// Close ends every subscription, closing its channel, and refuses new ones: the process
// is shutting down.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, groups := range h.stores {
		for _, g := range groups {
			for s := range g.subs {
				close(s.ch)
				h.remove(s)
			}
		}
	}
}

// Open returns how many subscriptions are open.
func (h *Hub[T]) Open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open
}
