package httpserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
)

// auditDir holds the Node script that runs graphql-http's server audits, with its lockfile.
const auditDir = "testdata/audit"

// TestGraphQLOverHTTPAudit runs the GraphQL over HTTP conformance audits of the graphql-http
// package against the real server. Every audit must pass: a warning or a notice fails too.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("the GraphQL over HTTP audit needs Node.js (node and npm) on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(auditDir, "node_modules")); err != nil {
		npm := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		npm.Dir = auditDir
		if out, err := npm.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", auditDir, err, out)
		}
	}
	s := apitest.New(t, nil)

	node := exec.CommandContext(ctx, "node", "audit.js", s.URL+"/graphql")
	node.Dir = auditDir
	var stderr bytes.Buffer
	node.Stderr = &stderr
	out, err := node.Output()
	if err != nil {
		t.Fatalf("node audit.js: %v\n%s", err, stderr.Bytes())
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			ID, Name, Status, Reason string
			HTTPStatus               int
			ContentType, Body        string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit output line %q: %v", sc.Text(), err)
		}
		counts[r.Status]++
		if r.Status != "ok" {
			t.Errorf("%s %s %q: %s\n\tresponse: %d %s %s", r.Status, r.ID, r.Name, r.Reason, r.HTTPStatus, r.ContentType, r.Body)
		}
	}
	if counts["ok"] == 0 {
		t.Fatalf("the audit ran no checks:\n%s", out)
	}
	t.Logf("graphql-http server audits: %d ok, %d warn, %d notice, %d error",
		counts["ok"], counts["warn"], counts["notice"], counts["error"])
}
