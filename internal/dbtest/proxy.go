package dbtest

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Proxy stands between a server and PostgreSQL and fails the way a network or a stopped
// database does: Cut drops every connection and refuses new ones; Stall drops every
// connection and takes new ones but never answers, as a host whose packets vanish; Restore
// lets connections through again.
// It listens on a Unix socket when PostgreSQL does (so peer authentication still sees this
// process's user), else on a local TCP port.
type Proxy struct {
	DirectURL string // the same database, reached without the proxy

	network, addr string // where the proxy listens
	upstream      string // PostgreSQL's address, on the same network
	dir           string // holds the socket, for Unix

	mu      sync.Mutex
	ln      net.Listener // nil while cut
	stalled bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// NewProxied creates a database for t, as New does, and returns a URL that reaches it
// through a new Proxy.
func NewProxied(t testing.TB) (string, *Proxy) {
	t.Helper()
	dbURL := New(t)
	cfg, err := pgconn.ParseConfig(AdminURL())
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", AdminURL(), err)
	}
	port := strconv.Itoa(int(cfg.Port))
	p := &Proxy{DirectURL: dbURL, conns: map[net.Conn]struct{}{}}
	if strings.HasPrefix(cfg.Host, "/") {
		// Not t.TempDir: a socket path must fit in 108 bytes.
		p.dir, err = os.MkdirTemp("", "pgproxy")
		if err != nil {
			t.Fatal(err)
		}
		p.network, p.addr = "unix", filepath.Join(p.dir, ".s.PGSQL."+port)
		p.upstream = filepath.Join(cfg.Host, ".s.PGSQL."+port)
	} else {
		p.network, p.addr = "tcp", "127.0.0.1:0"
		p.upstream = net.JoinHostPort(cfg.Host, port)
	}
	if err := p.Restore(); err != nil {
		t.Fatalf("dbtest: proxy: %v", err)
	}
	t.Cleanup(p.close)

	if p.network == "unix" {
		return WithHost(dbURL, p.dir, int(cfg.Port)), p
	}
	return WithHost(dbURL, "127.0.0.1", p.ln.Addr().(*net.TCPAddr).Port), p
}

// Cut closes every connection through the proxy and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close() // for Unix, this also removes the socket file
		p.ln = nil
	}
	p.closeConns()
}

func (p *Proxy) closeConns() {
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// Stall closes every connection through the proxy; new ones are held open, unanswered,
// until Restore.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
	p.closeConns()
}

// Restore lets connections through again after Cut or Stall.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled {
		p.stalled = false
		p.closeConns()
	}
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen(p.network, p.addr)
	if err != nil {
		return err
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Add(1)
	go p.accept(ln)
	return nil
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	if p.stalled {
		p.conns[client] = struct{}{} // closed by Restore, unread until then
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	server, err := net.Dial(p.network, p.upstream)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	p.untrack(client, server)
	<-done
}

// track registers a pair of connections, or closes them when the proxy was cut meanwhile.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) close() {
	p.Cut()
	p.wg.Wait()
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}
