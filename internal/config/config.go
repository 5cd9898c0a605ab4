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
	PprofAddr          string        // PPROF_ADDR: where to serve net/http/pprof; empty for nowhere
}

// Load reads the settings through getenv (os.Getenv in main, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:      or(getenv("DATABASE_URL"), "postgres:///storegraph"),
		Port:             or(getenv("PORT"), "8080"),
		LogFormat:        or(getenv("LOG_FORMAT"), "text"),
		PprofAddr:        getenv("PPROF_ADDR"),
		DBMaxConns:       10,
		StatementTimeout: 30 * time.Second,
		LoaderWait:       2 * time.Millisecond,
		Playground:       true,
		Introspection:    true,
		ShutdownTimeout:  20 * time.Second,
	}
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
	parse("PLAYGROUND", boolean(&c.Playground))
	parse("INTROSPECTION", boolean(&c.Introspection))
	parse("LOG_LEVEL", func(v string) error { return c.LogLevel.UnmarshalText([]byte(v)) })
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
