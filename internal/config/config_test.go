package config_test

import (
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/config"
)

// env returns a getenv that reads only vars.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// TestLoadDefaults checks the defaults against README.md's Configuration table.
func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	got, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty environment) error: %v", err)
	}
	want := config.Config{
		DatabaseURL:        "postgres:///storegraph",
		DatabaseListenURL:  "postgres:///storegraph", // DATABASE_URL's
		Port:               "8080",
		CORSAllowedOrigins: nil,
		ReplicaMaxLag:      5 * time.Second,
		PreparedStatements: true,
		DBMaxConns:         10,
		StatementTimeout:   30 * time.Second,
		LoaderWait:         2 * time.Millisecond,
		Playground:         true,
		Introspection:      true,
		LogLevel:           slog.LevelInfo,
		LogFormat:          "text",
		ShutdownTimeout:    20 * time.Second,
		ShutdownDrainDelay: 2 * time.Second,
		PprofAddr:          "",

		JWTSecret:        []byte{},
		AccessTokenTTL:   15 * time.Minute,
		RefreshTokenTTL:  30 * 24 * time.Hour,
		LoginMaxFailures: 5,
		LoginMaxPerAddr:  100,
		LoginWindow:      15 * time.Minute,
		HashMemoryKiB:    19 * 1024,
		HashTime:         2,

		AuthMaxPerRequest:   1,
		RegisterMaxPerAddr:  100,
		RegisterWindow:      15 * time.Minute,
		RefreshMaxPerSignIn: 30,
		RefreshWindow:       15 * time.Minute,
		RefreshSpentKept:    1000,

		TrustedDocumentsMode: "enforce",
	}
	// The limits have a test of their own (limits_test.go).
	got = withoutLimits(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(empty environment) = %+v; want %+v", got, want)
	}
}

func TestLoadReadsEveryVariable(t *testing.T) {
	t.Parallel()
	got, err := config.Load(env(map[string]string{
		"DATABASE_URL":           "postgres://app:secret@db:5432/shop?sslmode=disable",
		"DATABASE_LISTEN_URL":    "postgres://app:secret@db-direct:5432/shop?sslmode=disable",
		"PORT":                   "9090",
		"CORS_ALLOWED_ORIGINS":   "http://localhost:3000",
		"DATABASE_REPLICA_URLS":  " postgres://app:secret@replica1:5432/shop, ,postgres://app:secret@replica2:5432/shop ",
		"REPLICA_MAX_LAG":        "2s",
		"DB_PREPARED_STATEMENTS": "false",
		"DB_MAX_CONNS":           "25",
		"DB_STATEMENT_TIMEOUT":   "5s",
		"LOADER_WAIT":            "0s",
		"PLAYGROUND":             "false",
		"INTROSPECTION":          "0",
		"LOG_LEVEL":              "debug",
		"LOG_FORMAT":             "json",
		"SHUTDOWN_TIMEOUT":       "1m",
		"SHUTDOWN_DRAIN_DELAY":   "0s",
		"PPROF_ADDR":             "localhost:6060",

		"STOREGRAPH_ENV":                 "production",
		"JWT_SECRET":                     "0123456789abcdef0123456789abcdef",
		"ACCESS_TOKEN_TTL":               "5m",
		"REFRESH_TOKEN_TTL":              "24h",
		"LOGIN_MAX_FAILURES":             "3",
		"LOGIN_MAX_FAILURES_PER_ADDRESS": "20",
		"LOGIN_FAILURE_WINDOW":           "1m",
		"CLIENT_ADDR_HEADER":             "X-Forwarded-For",
		"PASSWORD_HASH_MEMORY_KIB":       "65536",
		"PASSWORD_HASH_TIME":             "3",
		"AUTH_MAX_PER_REQUEST":           "2",
		"REGISTER_MAX_PER_ADDRESS":       "4",
		"REGISTER_WINDOW":                "10m",
		"REFRESH_MAX_PER_SIGN_IN":        "12",
		"REFRESH_WINDOW":                 "1m",
		"REFRESH_SPENT_KEPT":             "50",
		"TRUSTED_DOCUMENTS":              "/etc/storegraph/trusted.json",
		"TRUSTED_DOCUMENTS_MODE":         "log",
	}))
	if err != nil {
		t.Fatalf("Load error: %v", err)
	}
	want := config.Config{
		DatabaseURL:        "postgres://app:secret@db:5432/shop?sslmode=disable",
		DatabaseListenURL:  "postgres://app:secret@db-direct:5432/shop?sslmode=disable",
		Port:               "9090",
		CORSAllowedOrigins: []string{"http://localhost:3000"},
		ReplicaURLs:        []string{"postgres://app:secret@replica1:5432/shop", "postgres://app:secret@replica2:5432/shop"},
		ReplicaMaxLag:      2 * time.Second,
		PreparedStatements: false,
		DBMaxConns:         25,
		StatementTimeout:   5 * time.Second,
		LoaderWait:         0,
		Playground:         false,
		Introspection:      false,
		LogLevel:           slog.LevelDebug,
		LogFormat:          "json",
		ShutdownTimeout:    time.Minute,
		PprofAddr:          "localhost:6060",

		Production:       true,
		JWTSecret:        []byte("0123456789abcdef0123456789abcdef"),
		AccessTokenTTL:   5 * time.Minute,
		RefreshTokenTTL:  24 * time.Hour,
		LoginMaxFailures: 3,
		LoginMaxPerAddr:  20,
		LoginWindow:      time.Minute,
		ClientAddrHeader: "X-Forwarded-For",
		HashMemoryKiB:    65536,
		HashTime:         3,

		AuthMaxPerRequest:   2,
		RegisterMaxPerAddr:  4,
		RegisterWindow:      10 * time.Minute,
		RefreshMaxPerSignIn: 12,
		RefreshWindow:       time.Minute,
		RefreshSpentKept:    50,

		TrustedDocuments:     "/etc/storegraph/trusted.json",
		TrustedDocumentsMode: "log",
	}
	got = withoutLimits(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v; want %+v", got, want)
	}
}

// withoutLimits zeroes the query and request limits, which limits_test.go checks.
func withoutLimits(c config.Config) config.Config {
	c.QueryMaxDepth, c.QueryMaxCost, c.QueryDefaultListSize = 0, 0, 0
	c.QueryMaxFields, c.QueryMaxAliases, c.QueryMaxBytes = 0, 0, 0
	c.QueryMaxRows, c.QueryMaxResponse = 0, 0
	c.APQCacheSize, c.MaxBodyBytes, c.MaxInFlight, c.InFlightWait = 0, 0, 0, 0
	c.RequestTimeout, c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout = 0, 0, 0, 0, 0
	c.WSMaxConnections, c.SubscriptionsPerConn, c.SubscriptionsPerProcess, c.SubscriptionQueue, c.WSMaxMessageBytes = 0, 0, 0, 0, 0
	c.WSInitTimeout, c.WSPingInterval = 0, 0
	c.StreamsPerClient, c.StreamWriteTimeout = 0, 0
	return c
}

func TestLoadProductionNeedsAStrongSecret(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"", "too short"} {
		_, err := config.Load(env(map[string]string{"STOREGRAPH_ENV": "production", "JWT_SECRET": secret}))
		if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
			t.Errorf("production with JWT_SECRET=%q: error %v; want one naming JWT_SECRET", secret, err)
		}
	}
	if _, err := config.Load(env(map[string]string{"JWT_SECRET": ""})); err != nil {
		t.Errorf("development without JWT_SECRET: %v; want it to start", err)
	}
}

func TestLoadRefusesBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
	}{
		{"PORT", "abc"},
		{"PORT", "65536"},
		{"PORT", "-1"},
		{"DB_MAX_CONNS", "0"},
		{"DB_MAX_CONNS", "-3"},
		{"DB_MAX_CONNS", "ten"},
		{"DB_STATEMENT_TIMEOUT", "30"},
		{"REPLICA_MAX_LAG", "0s"},
		{"REPLICA_MAX_LAG", "-1s"},
		{"DB_PREPARED_STATEMENTS", "sometimes"},
		{"LOADER_WAIT", "-1s"},
		{"LOADER_WAIT", "soon"},
		{"SHUTDOWN_TIMEOUT", "-5s"},
		{"PLAYGROUND", "maybe"},
		{"INTROSPECTION", "yes"},
		{"LOG_FORMAT", "xml"},
		{"LOG_LEVEL", "loud"},
		{"STOREGRAPH_ENV", "staging"},
		{"ACCESS_TOKEN_TTL", "0s"},
		{"REFRESH_TOKEN_TTL", "forever"},
		{"LOGIN_MAX_FAILURES", "0"},
		{"LOGIN_FAILURE_WINDOW", "-1m"},
		{"PASSWORD_HASH_TIME", "0"},
		{"AUTH_MAX_PER_REQUEST", "0"},
		{"REGISTER_MAX_PER_ADDRESS", "-1"},
		{"REGISTER_WINDOW", "0s"},
		{"REFRESH_MAX_PER_SIGN_IN", "many"},
		{"REFRESH_WINDOW", "0s"},
		{"REFRESH_SPENT_KEPT", "0"},
		{"TRUSTED_DOCUMENTS_MODE", "warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) gave no error; want one naming %s", tt.name, tt.value, tt.name)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("Load(%s=%q) error = %q; want it to name %s", tt.name, tt.value, err, tt.name)
			}
		})
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	t.Parallel()
	bad := map[string]string{"PORT": "abc", "DB_MAX_CONNS": "0", "LOG_FORMAT": "xml", "LOG_LEVEL": "loud"}
	_, err := config.Load(env(bad))
	if err == nil {
		t.Fatalf("Load(%v) gave no error; want one naming each variable", bad)
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Load(%v) error = %q; want it to name %s", bad, err, name)
		}
	}
}

func TestLoadCORSAllowedOrigins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"Unset", "", nil},
		{"One", "http://localhost:3000", []string{"http://localhost:3000"}},
		{"Several", "http://a.example,https://b.example", []string{"http://a.example", "https://b.example"}},
		{"Trimmed", "  http://a.example , https://b.example\t", []string{"http://a.example", "https://b.example"}},
		{"EmptyEntriesDropped", ",http://a.example,, ,https://b.example,", []string{"http://a.example", "https://b.example"}},
		{"OnlyCommas", " , ,", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.Load(env(map[string]string{"CORS_ALLOWED_ORIGINS": tt.in}))
			if err != nil {
				t.Fatalf("Load(CORS_ALLOWED_ORIGINS=%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got.CORSAllowedOrigins, tt.want) {
				t.Errorf("Load(CORS_ALLOWED_ORIGINS=%q).CORSAllowedOrigins = %q; want %q", tt.in, got.CORSAllowedOrigins, tt.want)
			}
		})
	}
}

// TestREADMEDocumentsEverySetting keeps README.md's tables in step with the settings the
// server reads.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings() {
		if !strings.Contains(string(readme), "`"+s.Name+"`") {
			t.Errorf("README.md does not document %s", s.Name)
		}
	}
}
