package playground_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/playground"
)

func get(t *testing.T, h http.Handler, path string, headers map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPageLoadsOnlyItsOwnFiles follows every file the page names and checks each is served
// from the handler, with the policy, and that the page names no other host.
func TestPageLoadsOnlyItsOwnFiles(t *testing.T) {
	t.Parallel()
	h := playground.Handler()
	res := get(t, h, "/", nil)
	page := string(body(t, res))
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q; want 200 text/html", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
		t.Errorf("the page names another host:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="(playground/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 2 {
		t.Fatalf("the page names %d files under playground/; want its script and style at least:\n%s", len(refs), page)
	}
	for _, ref := range refs {
		path := "/" + ref[1]
		res := get(t, h, path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d; want 200", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != playground.ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy = %q; want %q", path, got, playground.ContentSecurityPolicy)
		}
	}
	for _, path := range []string{"/playground/playground.js", "/playground/editor.worker.js", "/playground/json.worker.js", "/playground/graphql.worker.js"} {
		res := get(t, h, path, nil)
		if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("GET %s = %d %q; want 200 text/javascript", path, res.StatusCode, ct)
		}
	}
}

func TestPolicyAllowsOnlyTheOwnOrigin(t *testing.T) {
	t.Parallel()
	res := get(t, playground.Handler(), "/", nil)
	csp := res.Header.Get("Content-Security-Policy")
	for _, directive := range strings.Split(csp, ";") {
		for _, source := range strings.Fields(directive)[1:] {
			switch source {
			case "'self'", "'none'", "data:", "'unsafe-inline'":
			default:
				t.Errorf("directive %q allows %s; want the page's own origin only", strings.TrimSpace(directive), source)
			}
		}
		if f := strings.Fields(directive); f[0] == "script-src" && strings.Join(f[1:], " ") != "'self'" {
			t.Errorf("scripts: %q; want 'self' alone", directive)
		}
	}
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy = %q; want default-src and connect-src 'self'", csp)
	}
}

func TestCompressedWhenAccepted(t *testing.T) {
	t.Parallel()
	h := playground.Handler()
	plain := get(t, h, "/playground/playground.js", nil)
	want := body(t, plain)
	for _, tc := range []struct {
		acceptEncoding string
		gzipped        bool
	}{
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"*", true},
		{"", false},
		{"br", false},
		{"gzip;q=0", false},
		{"*, gzip;q=0", false},
	} {
		t.Run(tc.acceptEncoding, func(t *testing.T) {
			t.Parallel()
			res := get(t, h, "/playground/playground.js", map[string]string{"Accept-Encoding": tc.acceptEncoding})
			// The file is compressed in the background after its first request.
			for deadline := time.Now().Add(time.Minute); tc.gzipped && res.Header.Get("Content-Encoding") == "" && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				res = get(t, h, "/playground/playground.js", map[string]string{"Accept-Encoding": tc.acceptEncoding})
			}
			raw := body(t, res)
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("Accept-Encoding %q: gzipped = %v; want %v", tc.acceptEncoding, got, tc.gzipped)
			}
			if !tc.gzipped {
				if !bytes.Equal(raw, want) {
					t.Errorf("Accept-Encoding %q: body differs from the file", tc.acceptEncoding)
				}
				return
			}
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) || len(raw) >= len(want) {
				t.Errorf("gzipped body: %d bytes unpacking to %d equal=%v; want fewer than %d unpacking to the file",
					len(raw), len(got), bytes.Equal(got, want), len(want))
			}
			if res.Header.Get("ETag") == plain.Header.Get("ETag") {
				t.Errorf("the gzipped and plain bodies share the ETag %s", res.Header.Get("ETag"))
			}
		})
	}
}

func TestRevalidationAnswersNotModified(t *testing.T) {
	t.Parallel()
	h := playground.Handler()
	first := get(t, h, "/", nil)
	etag := first.Header.Get("ETag")
	if etag == "" || first.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /: ETag %q, Cache-Control %q; want an ETag and no-cache", etag, first.Header.Get("Cache-Control"))
	}
	again := get(t, h, "/", map[string]string{"If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with If-None-Match %s = %d; want 304", etag, again.StatusCode)
	}
}

func TestChunksAreCachedForGood(t *testing.T) {
	t.Parallel()
	h := playground.Handler()
	page := string(body(t, get(t, h, "/", nil)))
	chunk := regexp.MustCompile(`href="(playground/chunks/[^"]+)"`).FindStringSubmatch(page)
	if chunk == nil {
		t.Fatalf("the page preloads no chunk:\n%s", page)
	}
	if cc := get(t, h, "/"+chunk[1], nil).Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("GET /%s: Cache-Control %q; want immutable, as its name changes with its content", chunk[1], cc)
	}
	if cc := get(t, h, "/playground/playground.js", nil).Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET /playground/playground.js: Cache-Control %q; want no-cache, as its name stays", cc)
	}
}

func TestUnknownFileIsNotFound(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/playground/", "/playground/nothing.js", "/index.html", "/playground/../go.mod"} {
		if res := get(t, playground.Handler(), path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", path, res.StatusCode)
		}
	}
}
