// Package config reads storegraph's settings from the environment.
package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting, with its default applied.
type Config struct {
	DatabaseURL        string        // DATABASE_URL
	DatabaseListenURL  string        // DATABASE_LISTEN_URL: the live updates' listening connection, past any pooler
	Port               string        // PORT
	CORSAllowedOrigins []string      // CORS_ALLOWED_ORIGINS, comma-separated
	DBMaxConns         int           // DB_MAX_CONNS
	StatementTimeout   time.Duration // DB_STATEMENT_TIMEOUT
	LoaderWait         time.Duration // LOADER_WAIT
	Playground         bool          // PLAYGROUND
	Introspection      bool          // INTROSPECTION
	LogLevel           slog.Level    // LOG_LEVEL
	LogFormat          string        // LOG_FORMAT: text or json
	ShutdownTimeout    time.Duration // SHUTDOWN_TIMEOUT
	ShutdownDrainDelay time.Duration // SHUTDOWN_DRAIN_DELAY: /readyz fails this long before the listener closes
	PprofAddr          string        // PPROF_ADDR: where to serve net/http/pprof; empty for nowhere

	Production          bool          // STOREGRAPH_ENV=production
	JWTSecret           []byte        // JWT_SECRET
	AccessTokenTTL      time.Duration // ACCESS_TOKEN_TTL
	RefreshTokenTTL     time.Duration // REFRESH_TOKEN_TTL
	LoginMaxFailures    int           // LOGIN_MAX_FAILURES: per email, within the window
	LoginMaxPerAddr     int           // LOGIN_MAX_FAILURES_PER_ADDRESS: per client address, within the window
	LoginWindow         time.Duration // LOGIN_FAILURE_WINDOW
	ClientAddrHeader    string        // CLIENT_ADDR_HEADER: header a trusted proxy puts the client's address in
	HashMemoryKiB       int           // PASSWORD_HASH_MEMORY_KIB: argon2id memory
	HashTime            int           // PASSWORD_HASH_TIME: argon2id passes
	AuthMaxPerRequest   int           // AUTH_MAX_PER_REQUEST: register, login and refreshToken fields per request
	RegisterMaxPerAddr  int           // REGISTER_MAX_PER_ADDRESS: within REGISTER_WINDOW
	RegisterWindow      time.Duration // REGISTER_WINDOW
	RefreshMaxPerSignIn int           // REFRESH_MAX_PER_SIGN_IN: rotations of one sign-in within REFRESH_WINDOW
	RefreshWindow       time.Duration // REFRESH_WINDOW
	RefreshSpentKept    int           // REFRESH_SPENT_KEPT: spent tokens kept per sign-in for reuse detection

	QueryMaxDepth        int           // QUERY_MAX_DEPTH: nesting of fields
	QueryMaxCost         int           // QUERY_MAX_COST: estimated cost, see graph.Complexity
	QueryDefaultListSize int           // QUERY_DEFAULT_LIST_SIZE: rows a list without `first` is assumed to have
	QueryMaxFields       int           // QUERY_MAX_FIELDS: field selections, fragments expanded
	QueryMaxAliases      int           // QUERY_MAX_ALIASES
	QueryMaxBytes        int           // QUERY_MAX_BYTES: size of the query document
	QueryMaxRows         int           // QUERY_MAX_ROWS: rows one request may read, as it runs
	QueryMaxResponse     int           // QUERY_MAX_RESPONSE_BYTES: bytes of lists one response may hold
	APQCacheSize         int           // APQ_CACHE_SIZE: persisted queries kept
	MaxBodyBytes         int           // HTTP_MAX_BODY_BYTES
	RequestTimeout       time.Duration // REQUEST_TIMEOUT: deadline of one GraphQL request, SQL included
	ReadHeaderTimeout    time.Duration // HTTP_READ_HEADER_TIMEOUT
	ReadTimeout          time.Duration // HTTP_READ_TIMEOUT
	WriteTimeout         time.Duration // HTTP_WRITE_TIMEOUT
	IdleTimeout          time.Duration // HTTP_IDLE_TIMEOUT

	WSMaxConnections        int           // WS_MAX_CONNECTIONS: WebSockets open at once in the process
	SubscriptionsPerConn    int           // SUBSCRIPTIONS_PER_CONNECTION: open at once on one WebSocket
	SubscriptionsPerProcess int           // SUBSCRIPTIONS_PER_PROCESS: open at once in the process
	SubscriptionQueue       int           // SUBSCRIPTION_QUEUE: changes waiting per subscriber before a RESYNC
	WSMaxMessageBytes       int           // WS_MAX_MESSAGE_BYTES: a message a client sends over a WebSocket
	WSInitTimeout           time.Duration // WS_INIT_TIMEOUT: from the upgrade to connection_init
	WSPingInterval          time.Duration // WS_PING_INTERVAL: keep-alive pings on sockets and event streams
}

// MinJWTSecret is the shortest JWT_SECRET, in bytes, that production mode accepts.
const MinJWTSecret = 32

// Load reads the settings through getenv (os.Getenv in main, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:        or(getenv("DATABASE_URL"), "postgres:///storegraph"),
		Port:               or(getenv("PORT"), "8080"),
		LogFormat:          or(getenv("LOG_FORMAT"), "text"),
		PprofAddr:          getenv("PPROF_ADDR"),
		DBMaxConns:         10,
		StatementTimeout:   30 * time.Second,
		LoaderWait:         2 * time.Millisecond,
		Playground:         true,
		Introspection:      true,
		ShutdownTimeout:    20 * time.Second,
		ShutdownDrainDelay: 2 * time.Second,

		JWTSecret:        []byte(getenv("JWT_SECRET")),
		AccessTokenTTL:   15 * time.Minute,
		RefreshTokenTTL:  30 * 24 * time.Hour,
		LoginMaxFailures: 5,
		LoginMaxPerAddr:  100,
		LoginWindow:      15 * time.Minute,
		ClientAddrHeader: getenv("CLIENT_ADDR_HEADER"),
		HashMemoryKiB:    19 * 1024,
		HashTime:         2,

		AuthMaxPerRequest:   1,
		RegisterMaxPerAddr:  100,
		RegisterWindow:      15 * time.Minute,
		RefreshMaxPerSignIn: 30,
		RefreshWindow:       15 * time.Minute,
		RefreshSpentKept:    1000,

		QueryMaxDepth:        12,
		QueryMaxCost:         1_000_000,
		QueryDefaultListSize: 50,
		QueryMaxFields:       500,
		QueryMaxAliases:      30,
		QueryMaxBytes:        32 << 10,
		QueryMaxRows:         50_000,
		QueryMaxResponse:     4 << 20,
		APQCacheSize:         1000,
		MaxBodyBytes:         1 << 20,
		RequestTimeout:       15 * time.Second,
		ReadHeaderTimeout:    10 * time.Second,
		ReadTimeout:          30 * time.Second,
		WriteTimeout:         60 * time.Second,
		IdleTimeout:          120 * time.Second,

		WSMaxConnections:        10_000,
		SubscriptionsPerConn:    20,
		SubscriptionsPerProcess: 10_000,
		SubscriptionQueue:       64,
		WSMaxMessageBytes:       64 << 10,
		WSInitTimeout:           10 * time.Second,
		WSPingInterval:          15 * time.Second,
	}
	c.DatabaseListenURL = or(getenv("DATABASE_LISTEN_URL"), c.DatabaseURL)
	if v := getenv("CORS_ALLOWED_ORIGINS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
			}
		}
	}
	var errs []string
	parse := func(name string, set func(string) error) {
		if v := getenv(name); v != "" {
			if err := set(v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", name, v, err))
			}
		}
	}
	parse("DB_MAX_CONNS", positiveInt(&c.DBMaxConns))
	parse("DB_STATEMENT_TIMEOUT", duration(&c.StatementTimeout))
	parse("LOADER_WAIT", duration(&c.LoaderWait))
	parse("SHUTDOWN_TIMEOUT", duration(&c.ShutdownTimeout))
	parse("SHUTDOWN_DRAIN_DELAY", duration(&c.ShutdownDrainDelay))
	parse("PLAYGROUND", boolean(&c.Playground))
	parse("INTROSPECTION", boolean(&c.Introspection))
	parse("LOG_LEVEL", func(v string) error { return c.LogLevel.UnmarshalText([]byte(v)) })
	parse("ACCESS_TOKEN_TTL", duration(&c.AccessTokenTTL))
	parse("REFRESH_TOKEN_TTL", duration(&c.RefreshTokenTTL))
	parse("LOGIN_MAX_FAILURES", positiveInt(&c.LoginMaxFailures))
	parse("LOGIN_MAX_FAILURES_PER_ADDRESS", positiveInt(&c.LoginMaxPerAddr))
	parse("LOGIN_FAILURE_WINDOW", duration(&c.LoginWindow))
	parse("PASSWORD_HASH_MEMORY_KIB", positiveInt(&c.HashMemoryKiB))
	parse("PASSWORD_HASH_TIME", positiveInt(&c.HashTime))
	parse("AUTH_MAX_PER_REQUEST", positiveInt(&c.AuthMaxPerRequest))
	parse("REGISTER_MAX_PER_ADDRESS", positiveInt(&c.RegisterMaxPerAddr))
	parse("REGISTER_WINDOW", duration(&c.RegisterWindow))
	parse("REFRESH_MAX_PER_SIGN_IN", positiveInt(&c.RefreshMaxPerSignIn))
	parse("REFRESH_WINDOW", duration(&c.RefreshWindow))
	parse("REFRESH_SPENT_KEPT", positiveInt(&c.RefreshSpentKept))
	parse("QUERY_MAX_DEPTH", positiveInt(&c.QueryMaxDepth))
	parse("QUERY_MAX_COST", positiveInt(&c.QueryMaxCost))
	parse("QUERY_DEFAULT_LIST_SIZE", positiveInt(&c.QueryDefaultListSize))
	parse("QUERY_MAX_FIELDS", positiveInt(&c.QueryMaxFields))
	parse("QUERY_MAX_ALIASES", positiveInt(&c.QueryMaxAliases))
	parse("QUERY_MAX_BYTES", positiveInt(&c.QueryMaxBytes))
	parse("QUERY_MAX_ROWS", positiveInt(&c.QueryMaxRows))
	parse("QUERY_MAX_RESPONSE_BYTES", positiveInt(&c.QueryMaxResponse))
	parse("APQ_CACHE_SIZE", positiveInt(&c.APQCacheSize))
	parse("HTTP_MAX_BODY_BYTES", positiveInt(&c.MaxBodyBytes))
	parse("REQUEST_TIMEOUT", duration(&c.RequestTimeout))
	parse("HTTP_READ_HEADER_TIMEOUT", duration(&c.ReadHeaderTimeout))
	parse("HTTP_READ_TIMEOUT", duration(&c.ReadTimeout))
	parse("HTTP_WRITE_TIMEOUT", duration(&c.WriteTimeout))
	parse("HTTP_IDLE_TIMEOUT", duration(&c.IdleTimeout))
	parse("WS_MAX_CONNECTIONS", positiveInt(&c.WSMaxConnections))
	parse("SUBSCRIPTIONS_PER_CONNECTION", positiveInt(&c.SubscriptionsPerConn))
	parse("SUBSCRIPTIONS_PER_PROCESS", positiveInt(&c.SubscriptionsPerProcess))
	parse("SUBSCRIPTION_QUEUE", positiveInt(&c.SubscriptionQueue))
	parse("WS_MAX_MESSAGE_BYTES", positiveInt(&c.WSMaxMessageBytes))
	parse("WS_INIT_TIMEOUT", duration(&c.WSInitTimeout))
	parse("WS_PING_INTERVAL", duration(&c.WSPingInterval))
	if c.RequestTimeout <= 0 {
		errs = append(errs, "REQUEST_TIMEOUT: must be longer than 0")
	} else if c.WriteTimeout > 0 && c.RequestTimeout >= c.WriteTimeout {
		// Past HTTP_WRITE_TIMEOUT the connection is cut, so the timeout's error would never arrive.
		errs = append(errs, fmt.Sprintf("REQUEST_TIMEOUT=%s: must be shorter than HTTP_WRITE_TIMEOUT (%s)", c.RequestTimeout, c.WriteTimeout))
	}
	switch env := getenv("STOREGRAPH_ENV"); env {
	case "", "development":
	case "production":
		c.Production = true
		if len(c.JWTSecret) < MinJWTSecret {
			errs = append(errs, fmt.Sprintf("JWT_SECRET: production needs a secret of at least %d bytes (have %d)", MinJWTSecret, len(c.JWTSecret)))
		}
	default:
		errs = append(errs, fmt.Sprintf("STOREGRAPH_ENV=%q: want development or production", env))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ACCESS_TOKEN_TTL", c.AccessTokenTTL}, {"REFRESH_TOKEN_TTL", c.RefreshTokenTTL}, {"LOGIN_FAILURE_WINDOW", c.LoginWindow},
		{"REGISTER_WINDOW", c.RegisterWindow}, {"REFRESH_WINDOW", c.RefreshWindow},
		{"WS_INIT_TIMEOUT", c.WSInitTimeout}, {"WS_PING_INTERVAL", c.WSPingInterval}} {
		if d.v <= 0 {
			errs = append(errs, d.name+": must be longer than 0")
		}
	}
	if p, err := strconv.Atoi(c.Port); err != nil || p < 0 || p > 65535 {
		errs = append(errs, fmt.Sprintf("PORT=%q: not a port number", c.Port))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Sprintf("LOG_FORMAT=%q: want text or json", c.LogFormat))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("bad configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func positiveInt(dst *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive whole number")
		}
		*dst = n
		return nil
	}
}

func duration(dst *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 500ms or 30s")
		}
		*dst = d
		return nil
	}
}

func boolean(dst *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*dst = b
		return nil
	}
}
