// Package config reads storegraph's settings from the environment.
package config

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting, with its default applied.
type Config struct {
	DatabaseURL        string        // DATABASE_URL
	DatabaseListenURL  string        // DATABASE_LISTEN_URL: the live updates' listening connection, past any pooler
	ReplicaURLs        []string      // DATABASE_REPLICA_URLS, comma-separated: streaming replicas that serve reads
	ReplicaMaxLag      time.Duration // REPLICA_MAX_LAG: a replica further behind serves no reads
	PreparedStatements bool          // DB_PREPARED_STATEMENTS: false behind a pooler that cannot keep them
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
	MaxInFlight          int           // HTTP_MAX_IN_FLIGHT: /graphql requests running at once, queries over streams included
	InFlightWait         time.Duration // HTTP_IN_FLIGHT_WAIT: how long a request past HTTP_MAX_IN_FLIGHT waits for a slot
	RequestTimeout       time.Duration // REQUEST_TIMEOUT: deadline of one GraphQL request, SQL included
	ReadHeaderTimeout    time.Duration // HTTP_READ_HEADER_TIMEOUT
	ReadTimeout          time.Duration // HTTP_READ_TIMEOUT
	WriteTimeout         time.Duration // HTTP_WRITE_TIMEOUT
	IdleTimeout          time.Duration // HTTP_IDLE_TIMEOUT

	TrustedDocuments     string // TRUSTED_DOCUMENTS: path of the trusted documents; every document runs when empty
	TrustedDocumentsMode string // TRUSTED_DOCUMENTS_MODE: enforce or log

	WSMaxConnections        int           // WS_MAX_CONNECTIONS: WebSockets open at once in the process
	SubscriptionsPerConn    int           // SUBSCRIPTIONS_PER_CONNECTION: open at once on one WebSocket
	SubscriptionsPerProcess int           // SUBSCRIPTIONS_PER_PROCESS: open at once in the process
	SubscriptionQueue       int           // SUBSCRIPTION_QUEUE: changes waiting per subscriber before a RESYNC
	WSMaxMessageBytes       int           // WS_MAX_MESSAGE_BYTES: a message a client sends over a WebSocket
	WSInitTimeout           time.Duration // WS_INIT_TIMEOUT: from the upgrade to connection_init
	WSPingInterval          time.Duration // WS_PING_INTERVAL: keep-alive pings on sockets and event streams
	StreamsPerClient        int           // STREAMS_PER_CLIENT: WebSockets and event streams open at once from one client address
	StreamWriteTimeout      time.Duration // STREAM_WRITE_TIMEOUT: for a stream's client to take (and acknowledge) a write

	OTLPEndpoint       string // OTEL_EXPORTER_OTLP_ENDPOINT: where to export traces over OTLP/HTTP
	OTLPTracesEndpoint string // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the same, for traces only
}

// Tracing reports whether traces are to be exported: an OTLP endpoint is set. The
// OpenTelemetry SDK reads that and the other OTEL_* variables itself.
func (c Config) Tracing() bool { return c.OTLPEndpoint != "" || c.OTLPTracesEndpoint != "" }

// MinJWTSecret is the shortest JWT_SECRET, in bytes, that production mode accepts.
const MinJWTSecret = 32

// Setting is one environment variable the server reads. The table of them, settings, is the
// one place a setting is declared: Load reads them through it and help lists it.
type Setting struct {
	Name    string // the environment variable
	Default string // the value when it is unset or empty, written as in the environment; "" for none
	Usage   string // what it sets, in a line
	set     func(c *Config, v string) error
}

// Settings returns every setting, in the order of the table.
func Settings() []Setting { return slices.Clone(settings) }

var settings = []Setting{
	{"DATABASE_URL", "postgres:///storegraph", "libpq-style URL of the database, created when missing",
		text(func(c *Config) *string { return &c.DatabaseURL })},
	{"DATABASE_LISTEN_URL", "", "where the connection that listens for live updates goes, past any transaction pooler; DATABASE_URL when unset",
		text(func(c *Config) *string { return &c.DatabaseListenURL })},
	{"DATABASE_REPLICA_URLS", "", "comma-separated URLs of streaming replicas of DATABASE_URL that serve queries; none when unset",
		list(func(c *Config) *[]string { return &c.ReplicaURLs })},
	{"REPLICA_MAX_LAG", "5s", "a replica further behind the primary than this serves no reads until it catches up",
		positiveDuration(func(c *Config) *time.Duration { return &c.ReplicaMaxLag })},
	{"DB_PREPARED_STATEMENTS", "true", "false behind a pooler in transaction mode that cannot keep prepared statements",
		boolean(func(c *Config) *bool { return &c.PreparedStatements })},
	{"PORT", "8080", "HTTP port", port},
	{"CORS_ALLOWED_ORIGINS", "", "comma-separated origins allowed to call the API from a browser; none when unset",
		list(func(c *Config) *[]string { return &c.CORSAllowedOrigins })},
	{"DB_MAX_CONNS", "10", "database connections at most", positiveInt(func(c *Config) *int { return &c.DBMaxConns })},
	{"DB_STATEMENT_TIMEOUT", "30s", "server-side limit on one SQL statement", duration(func(c *Config) *time.Duration { return &c.StatementTimeout })},
	{"LOADER_WAIT", "2ms", "how long a dataloader batch waits for more keys", duration(func(c *Config) *time.Duration { return &c.LoaderWait })},
	{"PLAYGROUND", "true", "serve the GraphQL playground at /", boolean(func(c *Config) *bool { return &c.Playground })},
	{"INTROSPECTION", "true", "answer introspection queries", boolean(func(c *Config) *bool { return &c.Introspection })},
	{"LOG_LEVEL", "INFO", "DEBUG, INFO, WARN or ERROR", func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"LOG_FORMAT", "text", "text or json", oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	{"SHUTDOWN_TIMEOUT", "20s", "on SIGINT/SIGTERM, how long requests in flight get to finish",
		duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{"SHUTDOWN_DRAIN_DELAY", "2s", "on SIGINT/SIGTERM, how long /readyz fails before the listener closes",
		duration(func(c *Config) *time.Duration { return &c.ShutdownDrainDelay })},
	{"PPROF_ADDR", "", "address to serve net/http/pprof on; nowhere when unset", text(func(c *Config) *string { return &c.PprofAddr })},

	{"STOREGRAPH_ENV", "development", "development or production (which needs a strong JWT_SECRET)", environment},
	{"JWT_SECRET", "", "key that signs access tokens, at least 32 bytes in production; random (with a warning) when unset",
		func(c *Config, v string) error { c.JWTSecret = []byte(v); return nil }},
	{"ACCESS_TOKEN_TTL", "15m", "lifetime of an access token", positiveDuration(func(c *Config) *time.Duration { return &c.AccessTokenTTL })},
	{"REFRESH_TOKEN_TTL", "720h", "lifetime of a refresh token", positiveDuration(func(c *Config) *time.Duration { return &c.RefreshTokenTTL })},
	{"LOGIN_MAX_FAILURES", "5", "failed logins for one email within the window before it is refused",
		positiveInt(func(c *Config) *int { return &c.LoginMaxFailures })},
	{"LOGIN_MAX_FAILURES_PER_ADDRESS", "100", "failed logins from one client address within the window before it is refused",
		positiveInt(func(c *Config) *int { return &c.LoginMaxPerAddr })},
	{"LOGIN_FAILURE_WINDOW", "15m", "how long failed logins count", positiveDuration(func(c *Config) *time.Duration { return &c.LoginWindow })},
	{"CLIENT_ADDR_HEADER", "", "header a trusted proxy puts the client's address in; the peer's address when unset",
		text(func(c *Config) *string { return &c.ClientAddrHeader })},
	{"PASSWORD_HASH_MEMORY_KIB", "19456", "argon2id memory of new password hashes", positiveInt(func(c *Config) *int { return &c.HashMemoryKiB })},
	{"PASSWORD_HASH_TIME", "2", "argon2id passes of new password hashes", positiveInt(func(c *Config) *int { return &c.HashTime })},
	{"AUTH_MAX_PER_REQUEST", "1", "register, login and refreshToken fields run per request",
		positiveInt(func(c *Config) *int { return &c.AuthMaxPerRequest })},
	{"REGISTER_MAX_PER_ADDRESS", "100", "sign-ups from one client address within REGISTER_WINDOW",
		positiveInt(func(c *Config) *int { return &c.RegisterMaxPerAddr })},
	{"REGISTER_WINDOW", "15m", "how long sign-ups count", positiveDuration(func(c *Config) *time.Duration { return &c.RegisterWindow })},
	{"REFRESH_MAX_PER_SIGN_IN", "30", "refreshes of one sign-in within REFRESH_WINDOW",
		positiveInt(func(c *Config) *int { return &c.RefreshMaxPerSignIn })},
	{"REFRESH_WINDOW", "15m", "how long refreshes count", positiveDuration(func(c *Config) *time.Duration { return &c.RefreshWindow })},
	{"REFRESH_SPENT_KEPT", "1000", "spent refresh tokens kept per sign-in for reuse detection",
		positiveInt(func(c *Config) *int { return &c.RefreshSpentKept })},

	{"QUERY_MAX_DEPTH", "12", "nesting of fields in an operation", positiveInt(func(c *Config) *int { return &c.QueryMaxDepth })},
	{"QUERY_MAX_COST", "1000000", "estimated cost of an operation", positiveInt(func(c *Config) *int { return &c.QueryMaxCost })},
	{"QUERY_DEFAULT_LIST_SIZE", "50", "rows the estimate assumes for a relationship list without first",
		positiveInt(func(c *Config) *int { return &c.QueryDefaultListSize })},
	{"QUERY_MAX_FIELDS", "500", "field selections of an operation, fragments expanded", positiveInt(func(c *Config) *int { return &c.QueryMaxFields })},
	{"QUERY_MAX_ALIASES", "30", "aliased fields of an operation", positiveInt(func(c *Config) *int { return &c.QueryMaxAliases })},
	{"QUERY_MAX_BYTES", "32768", "size of the query document", positiveInt(func(c *Config) *int { return &c.QueryMaxBytes })},
	{"QUERY_MAX_ROWS", "50000", "rows one request may read", positiveInt(func(c *Config) *int { return &c.QueryMaxRows })},
	{"QUERY_MAX_RESPONSE_BYTES", "4194304", "bytes the relationship lists of one response may write",
		positiveInt(func(c *Config) *int { return &c.QueryMaxResponse })},
	{"APQ_CACHE_SIZE", "1000", "automatic persisted queries each process keeps", positiveInt(func(c *Config) *int { return &c.APQCacheSize })},
	{"HTTP_MAX_BODY_BYTES", "1048576", "request body of /graphql", positiveInt(func(c *Config) *int { return &c.MaxBodyBytes })},
	{"HTTP_MAX_IN_FLIGHT", "64", "/graphql requests running at once, queries over sockets and event streams included", positiveInt(func(c *Config) *int { return &c.MaxInFlight })},
	{"HTTP_IN_FLIGHT_WAIT", "2s", "how long a request past HTTP_MAX_IN_FLIGHT waits for one to end before it gets 503",
		duration(func(c *Config) *time.Duration { return &c.InFlightWait })},
	{"REQUEST_TIMEOUT", "15s", "deadline of one /graphql request, SQL included", positiveDuration(func(c *Config) *time.Duration { return &c.RequestTimeout })},
	{"HTTP_READ_HEADER_TIMEOUT", "10s", "to read a request's headers", duration(func(c *Config) *time.Duration { return &c.ReadHeaderTimeout })},
	{"HTTP_READ_TIMEOUT", "30s", "to read a whole request", duration(func(c *Config) *time.Duration { return &c.ReadTimeout })},
	{"HTTP_WRITE_TIMEOUT", "60s", "from the end of a request's headers to the end of its response",
		duration(func(c *Config) *time.Duration { return &c.WriteTimeout })},
	{"HTTP_IDLE_TIMEOUT", "120s", "a keep-alive connection waiting for its next request", duration(func(c *Config) *time.Duration { return &c.IdleTimeout })},

	{"TRUSTED_DOCUMENTS", "", "file of the only operations to run: Apollo's persisted-query manifest or GraphQL Codegen's persisted documents; all when unset",
		text(func(c *Config) *string { return &c.TrustedDocuments })},
	{"TRUSTED_DOCUMENTS_MODE", "enforce", "enforce (refuse other operations) or log (run and log them)",
		oneOf(func(c *Config) *string { return &c.TrustedDocumentsMode }, "enforce", "log")},

	{"WS_MAX_CONNECTIONS", "10000", "WebSockets open at once in one process", positiveInt(func(c *Config) *int { return &c.WSMaxConnections })},
	{"SUBSCRIPTIONS_PER_CONNECTION", "20", "subscriptions open at once on one WebSocket", positiveInt(func(c *Config) *int { return &c.SubscriptionsPerConn })},
	{"SUBSCRIPTIONS_PER_PROCESS", "10000", "subscriptions open at once in one process", positiveInt(func(c *Config) *int { return &c.SubscriptionsPerProcess })},
	{"SUBSCRIPTION_QUEUE", "64", "changes waiting for one subscriber before its queue is dropped for a RESYNC",
		positiveInt(func(c *Config) *int { return &c.SubscriptionQueue })},
	{"WS_MAX_MESSAGE_BYTES", "65536", "a message a client sends over a WebSocket", positiveInt(func(c *Config) *int { return &c.WSMaxMessageBytes })},
	{"WS_INIT_TIMEOUT", "10s", "from a WebSocket's upgrade to its connection_init", positiveDuration(func(c *Config) *time.Duration { return &c.WSInitTimeout })},
	{"WS_PING_INTERVAL", "15s", "keep-alive pings on WebSockets and event streams", positiveDuration(func(c *Config) *time.Duration { return &c.WSPingInterval })},
	{"STREAMS_PER_CLIENT", "100", "WebSockets and event streams open at once from one client address",
		positiveInt(func(c *Config) *int { return &c.StreamsPerClient })},
	{"STREAM_WRITE_TIMEOUT", "30s", "for a WebSocket's or event stream's client to take what is written to it, and acknowledge it; then it is dropped",
		positiveDuration(func(c *Config) *time.Duration { return &c.StreamWriteTimeout })},

	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/HTTP collector to export traces to, e.g. http://localhost:4318; no tracing when unset (the SDK reads the other OTEL_* variables)",
		text(func(c *Config) *string { return &c.OTLPEndpoint })},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP/HTTP URL for traces only, e.g. http://localhost:4318/v1/traces; also turns tracing on",
		text(func(c *Config) *string { return &c.OTLPTracesEndpoint })},
}

// Load reads the settings through getenv (os.Getenv in main, a map in tests). The error
// names every variable that is wrong.
func Load(getenv func(string) string) (Config, error) {
	c := Config{JWTSecret: []byte{}}
	var errs []string
	for _, s := range settings {
		v := getenv(s.Name)
		if v == "" {
			v = s.Default
		}
		if v == "" {
			continue
		}
		if err := s.set(&c, v); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", s.Name, v, err))
		}
	}
	if c.DatabaseListenURL == "" {
		c.DatabaseListenURL = c.DatabaseURL
	}
	if c.RequestTimeout > 0 && c.WriteTimeout > 0 && c.RequestTimeout >= c.WriteTimeout {
		// Past HTTP_WRITE_TIMEOUT the connection is cut, so the timeout's error would never arrive.
		errs = append(errs, fmt.Sprintf("REQUEST_TIMEOUT=%s: must be shorter than HTTP_WRITE_TIMEOUT (%s)", c.RequestTimeout, c.WriteTimeout))
	}
	if c.Production && len(c.JWTSecret) < MinJWTSecret {
		errs = append(errs, fmt.Sprintf("JWT_SECRET: production needs a secret of at least %d bytes (have %d)", MinJWTSecret, len(c.JWTSecret)))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("bad configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func text(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("want %s", strings.Join(allowed, " or "))
		}
		*field(c) = v
		return nil
	}
}

func port(c *Config, v string) error {
	if p, err := strconv.Atoi(v); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("not a port number")
	}
	c.Port = v
	return nil
}

// list reads comma-separated values, blanks around them and empty ones dropped.
func list(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				*field(c) = append(*field(c), o)
			}
		}
		return nil
	}
}

func environment(c *Config, v string) error {
	switch v {
	case "development":
	case "production":
		c.Production = true
	default:
		return fmt.Errorf("want development or production")
	}
	return nil
}

func positiveInt(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive whole number")
		}
		*field(c) = n
		return nil
	}
}

func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 500ms or 30s")
		}
		*field(c) = d
		return nil
	}
}

func positiveDuration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a duration longer than 0, such as 500ms or 30s")
		}
		*field(c) = d
		return nil
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*field(c) = b
		return nil
	}
}
