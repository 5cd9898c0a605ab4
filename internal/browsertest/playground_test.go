package browsertest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/browsertest"
	"github.com/storegraph/storegraph/internal/demo"
)

// demoServer is a storegraph holding the demo data set, on a fresh database unless env names one.
func demoServer(t *testing.T, env map[string]string) *apitest.Server {
	t.Helper()
	s := apitest.New(t, env)
	hash, err := s.App.Hashing.Hash(demo.UserPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(context.Background(), s.DB(), hash); err != nil {
		t.Fatalf("load demo data: %v", err)
	}
	return s
}

// readmeTitles returns the titles of the README's playground examples, in order.
func readmeTitles(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(browsertest.Root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)Paste these into the playground:\\s*```graphql\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no playground examples")
	}
	var titles []string
	for line := range strings.SplitSeq(string(block[1]), "\n") {
		if strings.HasPrefix(line, "# ") {
			titles = append(titles, line)
		}
	}
	return titles
}

func TestPlayground(t *testing.T) {
	t.Parallel()
	browsertest.Chromium(t)
	s := demoServer(t, nil)
	var first struct {
		Items struct{ Nodes []struct{ Name string } }
	}
	s.MustPost(t, `{ items(first: 5) { nodes { name } } }`, nil, &first)
	var names []string
	for _, n := range first.Items.Nodes {
		names = append(names, n.Name)
	}

	// The live tab watches store 1; the change gives its first item a tag it lacks.
	var store struct {
		Store struct {
			Items []item
			Tags  []struct{ ID, Name string }
		}
	}
	s.MustPost(t, `{ store(id: "1") { items(first: 1) { id name tags { id name } } tags { id name } } }`, nil, &store)
	target := store.Store.Items[0]
	var tagIDs []string
	for _, tag := range target.Tags {
		tagIDs = append(tagIDs, tag.ID)
	}
	var added string
	for _, tag := range store.Store.Tags {
		if !slices.Contains(target.tagNames(), tag.Name) {
			tagIDs = append(tagIDs, tag.ID)
			added = tag.Name
			break
		}
	}
	var login struct{ Login struct{ AccessToken string } }
	r := s.PostAs(t, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`,
		map[string]any{"e": demo.UserEmail, "p": demo.UserPassword})
	r.Decode(t, &login)

	expect, _ := json.Marshal(map[string]any{
		"titles": readmeTitles(t), "firstItems": names,
		"change": map[string]any{
			"query":     `mutation($item: ID!, $tags: [ID!]!) { setItemTags(itemId: $item, tagIds: $tags) { message } }`,
			"variables": map[string]any{"item": target.ID, "tags": tagIDs},
			"token":     login.Login.AccessToken,
		},
		"changed": map[string]any{"kind": "LINKED", "itemId": target.ID, "tag": added},
	})
	var result struct{ ReadyMs int }
	browsertest.Script(t, "playground.mjs", map[string]string{"BASE_URL": s.URL, "API_URL": s.URL, "EXPECT": string(expect)}, &result)
	t.Logf("the playground showed its first example %d ms after navigation began", result.ReadyMs)
}
