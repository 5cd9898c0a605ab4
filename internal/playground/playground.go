// Package playground serves GraphiQL from the binary: dist/ is built from the pinned npm
// packages in this folder (npm ci && npm run build) and embedded, so the page loads nothing
// from any other host.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed dist
var dist embed.FS

// AssetPrefix is the path the page loads its scripts, styles and fonts from.
const AssetPrefix = "/playground/"

// ContentSecurityPolicy lets the page load and connect to its own origin only. 'self' in
// connect-src also covers ws: and wss: to the same host and port, where subscriptions go.
// Styles allow inline ones because Monaco and GraphiQL's dialogs add <style> elements at
// run time; scripts do not.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	body         []byte
	contentType  string
	etag         string
	cacheControl string

	compress sync.Once
	gzipped  atomic.Pointer[[]byte] // set once compressed, when that pays
}

// gzipBody returns the compressed body, or nil while there is none. The first call starts
// compressing in the background, once per process, so that no response waits for it: the
// largest file takes a few hundred milliseconds, and many times that under the race detector.
func (a *asset) gzipBody() []byte {
	a.compress.Do(func() {
		go func() {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
			_, _ = zw.Write(a.body)
			_ = zw.Close()
			if b.Len() < len(a.body) {
				gz := b.Bytes()
				a.gzipped.Store(&gz)
			}
		}()
	})
	if gz := a.gzipped.Load(); gz != nil {
		return *gz
	}
	return nil
}

// assets maps request paths (/ and AssetPrefix+file) to the embedded files.
var assets = sync.OnceValue(func() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := dist.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a := &asset{body: body, contentType: ct, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
			cacheControl: "no-cache"}
		rel := strings.TrimPrefix(name, "dist/")
		if strings.HasPrefix(rel, "chunks/") || strings.HasPrefix(rel, "assets/") {
			a.cacheControl = "public, max-age=31536000, immutable" // named after their content
		}
		if rel == "index.html" {
			out["/"] = a
		} else {
			out[AssetPrefix+rel] = a
		}
		return nil
	})
	if err != nil {
		panic("playground: reading the embedded dist: " + err.Error()) // the embed is part of the binary
	}
	return out
})

// Handler serves the page at / and its files under AssetPrefix, each with the content
// security policy and an ETag, and, once compressed, gzip when the client accepts it. Files
// named after their content may be cached for good; the others are revalidated.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets()[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", a.cacheControl)
		h.Set("Content-Type", a.contentType)
		h.Add("Vary", "Accept-Encoding")
		body, etag := a.body, a.etag
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			if gz := a.gzipBody(); gz != nil {
				body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gzip"`
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: listed, or covered by
// *, and not given q=0.
func acceptsGzip(header string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := strings.ReplaceAll(params, " ", "")
		refused := q == "q=0" || strings.HasPrefix(q, "q=0.") && strings.Trim(q[len("q=0."):], "0") == ""
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip":
			return !refused
		case "*":
			star = !refused
		}
	}
	return star
}
