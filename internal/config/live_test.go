package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/config"
)

// TestLoadLiveUpdates checks the defaults of the live updates' settings against README.md's
// table, that each is read, and that bad values are refused.
func TestLoadLiveUpdates(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.WSMaxConnections, c.SubscriptionsPerConn, c.SubscriptionsPerProcess, c.SubscriptionQueue, c.WSMaxMessageBytes, c.WSInitTimeout, c.WSPingInterval,
		c.StreamsPerClient, c.StreamWriteTimeout}
	want := []any{10000, 20, 10000, 64, 65536, 10 * time.Second, 15 * time.Second, 100, 30 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d = %v; want %v (all: %v)", i, got[i], want[i], got)
		}
	}
	c, err = config.Load(env(map[string]string{
		"WS_MAX_CONNECTIONS": "50", "SUBSCRIPTIONS_PER_CONNECTION": "2", "SUBSCRIPTIONS_PER_PROCESS": "300", "SUBSCRIPTION_QUEUE": "8",
		"WS_MAX_MESSAGE_BYTES": "4096", "WS_INIT_TIMEOUT": "3s", "WS_PING_INTERVAL": "1m",
		"STREAMS_PER_CLIENT": "5", "STREAM_WRITE_TIMEOUT": "2s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	got = []any{c.WSMaxConnections, c.SubscriptionsPerConn, c.SubscriptionsPerProcess, c.SubscriptionQueue, c.WSMaxMessageBytes, c.WSInitTimeout, c.WSPingInterval,
		c.StreamsPerClient, c.StreamWriteTimeout}
	want = []any{50, 2, 300, 8, 4096, 3 * time.Second, time.Minute, 5, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("setting %d = %v; want %v (all: %v)", i, got[i], want[i], got)
		}
	}
	for _, name := range []string{"WS_MAX_CONNECTIONS", "SUBSCRIPTIONS_PER_CONNECTION", "SUBSCRIPTIONS_PER_PROCESS", "SUBSCRIPTION_QUEUE",
		"WS_MAX_MESSAGE_BYTES", "WS_INIT_TIMEOUT", "WS_PING_INTERVAL", "STREAMS_PER_CLIENT", "STREAM_WRITE_TIMEOUT"} {
		if _, err := config.Load(env(map[string]string{name: "0"})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Load(%s=0) error = %v; want one naming it", name, err)
		}
	}
}
