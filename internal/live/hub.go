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
	Queue      int // changes waiting for one subscriber; past it the queue is dropped for a RESYNC
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
// T is what a subscriber receives; wrap makes it from a change once for all subscribers.
// Sending never blocks: a subscriber whose queue is full loses it and gets a RESYNC.
type Hub[T any] struct {
	wrap    func(Change) T
	limits  Limits
	metrics Metrics

	start func(context.Context) error // starts the feed before the first subscription

	mu     sync.Mutex
	stores map[catalog.ID]map[*Subscription[T]]struct{}
	open   int
	closed bool
}

// NewHub returns a hub that hands subscribers wrap(change).
func NewHub[T any](wrap func(Change) T, limits Limits, metrics Metrics) *Hub[T] {
	return &Hub[T]{wrap: wrap, limits: limits, metrics: metrics, stores: make(map[catalog.ID]map[*Subscription[T]]struct{})}
}

// StartWith makes every subscription call start first, which starts the feed (once) and
// fails when it cannot.
func (h *Hub[T]) StartWith(start func(context.Context) error) { h.start = start }

// Subscription is one subscriber's feed of a store's changes. C is closed after the
// store's deletion and at shutdown; otherwise the subscription ends with its context.
type Subscription[T any] struct {
	C     <-chan T
	ch    chan T
	hub   *Hub[T]
	store catalog.ID
	stop  func() bool
	ended bool // guarded by hub.mu
}

// Subscribe opens a feed of store's changes until ctx ends. Over the process's limit it
// is TOO_MANY_REQUESTS; without a database feed, SERVICE_UNAVAILABLE.
func (h *Hub[T]) Subscribe(ctx context.Context, store catalog.ID) (*Subscription[T], error) {
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
	// One slot more than the queue, for the store's DELETED after a RESYNC.
	ch := make(chan T, h.limits.Queue+1)
	s := &Subscription[T]{C: ch, ch: ch, hub: h, store: store}
	subs := h.stores[store]
	if subs == nil {
		subs = make(map[*Subscription[T]]struct{})
		h.stores[store] = subs
	}
	subs[s] = struct{}{}
	h.open++
	h.metrics.Active.Inc()
	s.stop = context.AfterFunc(ctx, s.Close)
	return s, nil
}

// Close ends the subscription; it may be called more than once.
func (s *Subscription[T]) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

// remove takes s out of the hub; h.mu is held.
func (h *Hub[T]) remove(s *Subscription[T]) {
	if s.ended {
		return
	}
	s.ended = true
	if s.stop != nil {
		s.stop()
	}
	subs := h.stores[s.store]
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.stores, s.store)
	}
	h.open--
	h.metrics.Active.Dec()
}

// Publish hands c to the subscribers of its store; the store's deletion ends their
// subscriptions after it.
func (h *Hub[T]) Publish(c Change) {
	h.metrics.Received.Inc()
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.stores[c.Store]
	if len(subs) == 0 {
		return
	}
	v, final := h.wrap(c), c.StoreGone()
	for s := range subs {
		h.send(s, v, final)
	}
	if final {
		for s := range subs {
			close(s.ch)
			h.remove(s)
		}
	}
}

// send queues v for s or, when s's queue is full, drops the queue for a RESYNC; a final
// change, the store's deletion, still follows it, in the slot kept for it. h.mu is held,
// and the hub is the only sender, so the queue can only shrink meanwhile.
func (h *Hub[T]) send(s *Subscription[T], v T, final bool) {
	if len(s.ch) >= h.limits.Queue {
		h.resync(s, "behind")
		if !final {
			return
		}
	}
	s.ch <- v
}

// resync queues a RESYNC for s, dropping its queue when it is full.
func (h *Hub[T]) resync(s *Subscription[T], reason string) {
	if len(s.ch) >= h.limits.Queue {
		for len(s.ch) > 0 {
			select {
			case <-s.ch:
			default:
			}
		}
	}
	s.ch <- h.wrap(Change{Kind: Resync, Store: s.store})
	h.metrics.Resyncs.WithLabelValues(reason).Inc()
}

// ResyncAll tells every subscriber that changes may have been missed: the feed was lost.
func (h *Hub[T]) ResyncAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.stores {
		for s := range subs {
			h.resync(s, "feed")
		}
	}
}

// Close ends every subscription, closing its channel, and refuses new ones: the process
// is shutting down.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, subs := range h.stores {
		for s := range subs {
			close(s.ch)
			h.remove(s)
		}
	}
}

// Open returns how many subscriptions are open.
func (h *Hub[T]) Open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open
}
