// Package browsertest runs the frontends in Debian's Chromium against a real storegraph: Go
// tests start the server, and Node scripts in scripts/ drive the browser through
// puppeteer-core, with every host but 127.0.0.1 unreachable. Set STOREGRAPH_SKIP_BROWSER=1 to
// skip them; nothing else does. CHROMIUM may name the browser's binary instead of the one on
// the PATH.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// SkipEnv names the variable that skips the browser tests when set to 1.
const SkipEnv = "STOREGRAPH_SKIP_BROWSER"

// Root is the repository's top folder, found from the test's working folder.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("browsertest: no go.mod above the working folder")
		}
		dir = parent
	}
}

var (
	chromiumOnce sync.Once
	chromiumPath string
	chromiumErr  string
)

// Chromium skips the test when SkipEnv is 1, and otherwise returns the browser's path,
// installing Debian's chromium package first when it is missing (.ci/ensure-chromium). The
// test fails when there is still none.
func Chromium(t testing.TB) string {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s=1: browser tests skipped", SkipEnv)
	}
	chromiumOnce.Do(func() {
		if p := os.Getenv("CHROMIUM"); p != "" {
			chromiumPath = p
			return
		}
		if p, err := exec.LookPath("chromium"); err == nil {
			chromiumPath = p
			return
		}
		out, err := exec.Command(filepath.Join(Root(t), ".ci", "ensure-chromium")).CombinedOutput()
		if p, lerr := exec.LookPath("chromium"); err == nil && lerr == nil {
			chromiumPath = p
			return
		}
		chromiumErr = "chromium is missing and .ci/ensure-chromium could not install it: " + string(out)
	})
	if chromiumPath == "" {
		t.Fatalf("%s (set %s=1 to skip the browser tests)", chromiumErr, SkipEnv)
	}
	return chromiumPath
}

// NPMInstall installs dir's npm packages from its lockfile unless they are in place
// (.ci/npm-ci); dir is relative to the repository.
func NPMInstall(t testing.TB, dir string) {
	t.Helper()
	root := Root(t)
	cmd := exec.Command(filepath.Join(root, ".ci", "npm-ci"), filepath.Join(root, dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}

// Script runs scripts/<name> with Node, the environment extended by env plus CHROMIUM and
// OUT_DIR, and decodes the JSON line it prints into result. When it fails, the test fails
// with its output, which names the screenshot and console log it saved under OutputDir.
func Script(t *testing.T, name string, env map[string]string, result any) {
	t.Helper()
	chromium := Chromium(t)
	NPMInstall(t, "internal/browsertest")
	out := OutputDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(Root(t), "internal", "browsertest", "scripts", name))
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium, "OUT_DIR="+out)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s ran for %v", name, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s: %v\n%s\nscreenshots and console logs are in %s", name, err, stderr.Bytes(), out)
	}
	if result != nil {
		if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), result); err != nil {
			t.Fatalf("%s printed %q, not a JSON result: %v", name, stdout.Bytes(), err)
		}
	}
}

// OutputDir is where a test's screenshots and console logs go: its artifact folder with
// go test -artifacts, otherwise a temporary folder kept when the test fails.
func OutputDir(t *testing.T) string {
	t.Helper()
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "-")
	dir, err := os.MkdirTemp("", "storegraph-"+strings.Trim(name, "-")+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = os.RemoveAll(dir)
		}
	})
	return dir
}
