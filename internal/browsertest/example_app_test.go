package browsertest_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/browsertest"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/demo"
)

const exampleDir = "examples/react-apollo"

// buildExample builds the example app into a folder of the test's.
func buildExample(t *testing.T) string {
	t.Helper()
	browsertest.NPMInstall(t, exampleDir)
	out := t.TempDir()
	cmd := exec.Command("node", "node_modules/vite/bin/vite.js", "build", "--logLevel", "warn", "--outDir", out, "--emptyOutDir")
	cmd.Dir = filepath.Join(browsertest.Root(t), exampleDir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vite build: %v\n%s", err, b)
	}
	return out
}

// serveExample serves a build of the example app with vite preview, which passes /graphql
// on to the storegraph at api, as the app's README runs it; it returns the app's URL.
func serveExample(t *testing.T, build, api string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	// Other previews or dev servers of the app may run (other tests, a developer's): each
	// has its own port.
	cmd := exec.Command("node", "node_modules/vite/bin/vite.js", "preview", "--outDir", build,
		"--host", "127.0.0.1", "--port", fmt.Sprint(port), "--strictPort", "--bypass-lock")
	cmd.Dir = filepath.Join(browsertest.Root(t), exampleDir)
	cmd.Env = append(os.Environ(), "STOREGRAPH_URL="+api)
	log := &viteLog{t: t}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(time.Minute)
	for {
		if res, err := http.Get(url + "/"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("vite preview exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("vite preview did not answer on %s within a minute", url)
		}
	}
}

// viteLog sends vite's output to the test log.
type viteLog struct{ t *testing.T }

func (l *viteLog) Write(p []byte) (int, error) {
	l.t.Logf("vite: %s", p)
	return len(p), nil
}

// tagIDs returns the ids of a store's tags by name.
func tagIDs(t *testing.T, s *apitest.Server, storeID string) map[string]string {
	t.Helper()
	var out struct {
		Store struct{ Tags []struct{ ID, Name string } }
	}
	s.MustPost(t, `query($id: ID!) { store(id: $id) { tags { id name } } }`, map[string]any{"id": storeID}, &out)
	ids := map[string]string{}
	for _, tag := range out.Store.Tags {
		ids[tag.Name] = tag.ID
	}
	return ids
}

type item struct {
	ID, Name string
	Tags     []struct{ ID, Name string }
}

func (it item) tagNames() []string {
	var names []string
	for _, tag := range it.Tags {
		names = append(names, tag.Name)
	}
	return names
}

func TestExampleApp(t *testing.T) {
	t.Parallel()
	browsertest.Chromium(t)
	build := buildExample(t)

	// Without TRUSTED_DOCUMENTS the app's hashes are unknown and it sends whole documents;
	// with its own list enforced, every operation runs by its hash alone.
	for _, trusted := range []bool{false, true} {
		name := map[bool]string{false: "AllDocuments", true: "TrustedDocumentsOnly"}[trusted]
		t.Run("SignInFilterSetTagsAndSeeThemLive/"+name, func(t *testing.T) {
			t.Parallel()
			signInFilterSetTagsAndSeeThemLive(t, build, trusted)
		})
	}
}

func signInFilterSetTagsAndSeeThemLive(t *testing.T, build string, trusted bool) {
	dbURL := dbtest.New(t)
	s := demoServer(t, map[string]string{"DATABASE_URL": dbURL})
	api := s.URL
	if trusted {
		api = trustedServer(t, dbURL)
	}
	app := serveExample(t, build, api)

	// The first store, two of its tags, the items carrying both, and new tags for the
	// first of them: both filter tags and another it lacks.
	var stores struct {
		Stores struct{ Nodes []struct{ ID string } }
	}
	s.MustPost(t, `{ stores(first: 1) { nodes { id } } }`, nil, &stores)
	storeID := stores.Stores.Nodes[0].ID
	ids := tagIDs(t, s, storeID)
	filter := []string{"fiction", "bestseller"}
	filterIDs := []string{ids[filter[0]], ids[filter[1]]}
	var matched struct {
		Items struct{ Nodes []item }
	}
	s.MustPost(t, `query($store: ID!, $tags: [ID!]) { items(filter: { storeId: $store, tags: { all: $tags } }) {
			nodes { id name tags(orderBy: NAME) { name } } } }`,
		map[string]any{"store": storeID, "tags": filterIDs}, &matched)
	if len(matched.Items.Nodes) < 2 {
		t.Fatalf("the demo data has %d items tagged %v; want 2 or more", len(matched.Items.Nodes), filter)
	}
	var filtered []string
	for _, it := range matched.Items.Nodes {
		filtered = append(filtered, it.Name)
	}
	target := matched.Items.Nodes[0]
	newTags := slices.Clone(filter)
	for name := range ids {
		if !slices.Contains(target.tagNames(), name) {
			newTags = append(newTags, name)
			break
		}
	}
	slices.Sort(newTags)

	expect, _ := json.Marshal(map[string]any{
		"email": demo.UserEmail, "password": demo.UserPassword,
		"storeId": storeID, "tags": filter, "tagIds": filterIDs, "filtered": filtered,
		"item": target.Name, "newTags": newTags,
	})
	browsertest.Script(t, "example-app.mjs", map[string]string{"BASE_URL": app, "API_URL": api, "QUERY_URL": s.URL,
		"EXPECT": string(expect), "BY_HASH": fmt.Sprint(trusted)}, nil)

	var after struct{ Item item }
	s.MustPost(t, `query($id: ID!) { item(id: $id) { name tags(orderBy: NAME) { name } } }`,
		map[string]any{"id": target.ID}, &after)
	if got := after.Item.tagNames(); !slices.Equal(got, newTags) {
		t.Errorf("%s carries %v after the app saved; want %v", target.Name, got, newTags)
	}
}

// trustedServer starts a storegraph on the database at dbURL that runs only the example
// app's persisted documents, and returns its URL.
func trustedServer(t *testing.T, dbURL string) string {
	t.Helper()
	return apitest.Start(t, map[string]string{
		"DATABASE_URL":           dbURL,
		"TRUSTED_DOCUMENTS":      filepath.Join(browsertest.Root(t), exampleDir, "src", "gql", "persisted-documents.json"),
		"TRUSTED_DOCUMENTS_MODE": "enforce",
	}).URL
}
