package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/config"
)

// TestLoadLimitsDefaults checks the limits' defaults against README.md's "Limits and
// operations" table.
func TestLoadLimitsDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty environment) error: %v", err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"QUERY_MAX_DEPTH", c.QueryMaxDepth, 12},
		{"QUERY_MAX_COST", c.QueryMaxCost, 1000000},
		{"QUERY_DEFAULT_LIST_SIZE", c.QueryDefaultListSize, 50},
		{"QUERY_MAX_FIELDS", c.QueryMaxFields, 500},
		{"QUERY_MAX_ALIASES", c.QueryMaxAliases, 30},
		{"QUERY_MAX_BYTES", c.QueryMaxBytes, 32768},
		{"QUERY_MAX_ROWS", c.QueryMaxRows, 50000},
		{"QUERY_MAX_RESPONSE_BYTES", c.QueryMaxResponse, 4 << 20},
		{"APQ_CACHE_SIZE", c.APQCacheSize, 1000},
		{"HTTP_MAX_BODY_BYTES", c.MaxBodyBytes, 1 << 20},
		{"HTTP_MAX_IN_FLIGHT", c.MaxInFlight, 64},
		{"HTTP_IN_FLIGHT_WAIT", c.InFlightWait, 2 * time.Second},
		{"REQUEST_TIMEOUT", c.RequestTimeout, 15 * time.Second},
		{"HTTP_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout, 10 * time.Second},
		{"HTTP_READ_TIMEOUT", c.ReadTimeout, 30 * time.Second},
		{"HTTP_WRITE_TIMEOUT", c.WriteTimeout, 60 * time.Second},
		{"HTTP_IDLE_TIMEOUT", c.IdleTimeout, 120 * time.Second},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadLimitsReadsEveryVariable(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{
		"QUERY_MAX_DEPTH":          "8",
		"QUERY_MAX_COST":           "5000",
		"QUERY_DEFAULT_LIST_SIZE":  "25",
		"QUERY_MAX_FIELDS":         "200",
		"QUERY_MAX_ALIASES":        "5",
		"QUERY_MAX_BYTES":          "4096",
		"QUERY_MAX_ROWS":           "1000",
		"QUERY_MAX_RESPONSE_BYTES": "65536",
		"APQ_CACHE_SIZE":           "10",
		"HTTP_MAX_BODY_BYTES":      "65536",
		"HTTP_MAX_IN_FLIGHT":       "8",
		"HTTP_IN_FLIGHT_WAIT":      "0s",
		"REQUEST_TIMEOUT":          "2s",
		"HTTP_READ_HEADER_TIMEOUT": "1s",
		"HTTP_READ_TIMEOUT":        "3s",
		"HTTP_WRITE_TIMEOUT":       "4s",
		"HTTP_IDLE_TIMEOUT":        "0s",
	}))
	if err != nil {
		t.Fatalf("Load error: %v", err)
	}
	got := []any{c.QueryMaxDepth, c.QueryMaxCost, c.QueryDefaultListSize, c.QueryMaxFields, c.QueryMaxAliases,
		c.QueryMaxBytes, c.QueryMaxRows, c.QueryMaxResponse, c.APQCacheSize, c.MaxBodyBytes, c.MaxInFlight, c.InFlightWait,
		c.RequestTimeout, c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout}
	want := []any{8, 5000, 25, 200, 5, 4096, 1000, 65536, 10, 65536, 8, time.Duration(0), 2 * time.Second, time.Second,
		3 * time.Second, 4 * time.Second, time.Duration(0)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("setting %d = %v; want %v (all: %v)", i, got[i], want[i], got)
		}
	}
}

func TestLoadLimitsRefusesBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars map[string]string
		name string // the variable the error must name
	}{
		{map[string]string{"QUERY_MAX_DEPTH": "0"}, "QUERY_MAX_DEPTH"},
		{map[string]string{"QUERY_MAX_COST": "-1"}, "QUERY_MAX_COST"},
		{map[string]string{"QUERY_DEFAULT_LIST_SIZE": "many"}, "QUERY_DEFAULT_LIST_SIZE"},
		{map[string]string{"QUERY_MAX_FIELDS": "0"}, "QUERY_MAX_FIELDS"},
		{map[string]string{"QUERY_MAX_ALIASES": "1.5"}, "QUERY_MAX_ALIASES"},
		{map[string]string{"QUERY_MAX_BYTES": "32k"}, "QUERY_MAX_BYTES"},
		{map[string]string{"QUERY_MAX_ROWS": "0"}, "QUERY_MAX_ROWS"},
		{map[string]string{"QUERY_MAX_RESPONSE_BYTES": "4MB"}, "QUERY_MAX_RESPONSE_BYTES"},
		{map[string]string{"APQ_CACHE_SIZE": "0"}, "APQ_CACHE_SIZE"},
		{map[string]string{"HTTP_MAX_BODY_BYTES": "0"}, "HTTP_MAX_BODY_BYTES"},
		{map[string]string{"HTTP_MAX_IN_FLIGHT": "0"}, "HTTP_MAX_IN_FLIGHT"},
		{map[string]string{"HTTP_IN_FLIGHT_WAIT": "-1s"}, "HTTP_IN_FLIGHT_WAIT"},
		{map[string]string{"REQUEST_TIMEOUT": "0s"}, "REQUEST_TIMEOUT"},
		{map[string]string{"REQUEST_TIMEOUT": "soon"}, "REQUEST_TIMEOUT"},
		{map[string]string{"HTTP_READ_TIMEOUT": "-1s"}, "HTTP_READ_TIMEOUT"},
		{map[string]string{"HTTP_READ_HEADER_TIMEOUT": "10"}, "HTTP_READ_HEADER_TIMEOUT"},
		{map[string]string{"HTTP_IDLE_TIMEOUT": "never"}, "HTTP_IDLE_TIMEOUT"},
		// The timeout's error could not be written once the write timeout has cut the connection.
		{map[string]string{"REQUEST_TIMEOUT": "1m", "HTTP_WRITE_TIMEOUT": "1m"}, "HTTP_WRITE_TIMEOUT"},
		{map[string]string{"REQUEST_TIMEOUT": "90s"}, "HTTP_WRITE_TIMEOUT"},
	} {
		_, err := config.Load(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("Load(%v) error = %v; want one naming %s", tc.vars, err, tc.name)
		}
	}
	// With no write timeout, any request timeout goes.
	if _, err := config.Load(env(map[string]string{"REQUEST_TIMEOUT": "5m", "HTTP_WRITE_TIMEOUT": "0s"})); err != nil {
		t.Errorf("Load(REQUEST_TIMEOUT=5m, HTTP_WRITE_TIMEOUT=0s) error: %v", err)
	}
}
