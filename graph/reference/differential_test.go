package reference_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storegraph/storegraph/graph/reference"
	"github.com/storegraph/storegraph/internal/apitest"
)

var (
	seedFlag    = flag.Uint64("seed", 0, "seed of the differential test's data and queries (default: $DIFFERENTIAL_SEED, else 1)")
	queriesFlag = flag.Int("queries", 300, "queries the differential test sends")
)

// testSeed is the differential test's seed: -seed, else $DIFFERENTIAL_SEED, else 1.
func testSeed(t *testing.T) uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	if s := os.Getenv("DIFFERENTIAL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DIFFERENTIAL_SEED=%q: %v", s, err)
		}
		return n
	}
	return 1
}

// sampledErrors is how many errors the server reports at most for a refused argument below
// a list (graph/model's maxArgErrors), where plain execution reports one per row.
const sampledErrors = 20

// TestServerAnswersAsTheReference sends random queries over a random data set to the server
// and to the reference execution (plain gqlgen, one loader call per field) on the same
// database: the answers must be equal byte for byte, data and errors with their paths.
// Errors are compared as a set, since gqlgen adds the errors of a list's rows in no set
// order. Run it with -seed N (or DIFFERENTIAL_SEED=N) and -queries N for other data and
// queries; a mismatch names the seed and the query's number.
func TestServerAnswersAsTheReference(t *testing.T) {
	t.Parallel()
	seed := testSeed(t)
	// The reference has no limits; the server's are raised out of the corpus's way (the
	// cost estimate alone would refuse most deep queries without first).
	s := apitest.New(t, map[string]string{
		"QUERY_MAX_COST": "2000000000", "QUERY_MAX_FIELDS": "100000", "QUERY_MAX_ALIASES": "100000",
		"QUERY_MAX_ROWS": "10000000", "QUERY_MAX_RESPONSE_BYTES": "1000000000",
		"DB_MAX_CONNS":    "4",   // shared by the two, out of PostgreSQL's 100 for the whole suite
		"REQUEST_TIMEOUT": "50s", // the reference has none; a loaded machine must not make one side time out
	})
	ref := httptest.NewServer(reference.Handler(s.App.Resolver, time.Millisecond))
	t.Cleanup(ref.Close)

	data := loadRandomData(t, s, rand.New(rand.NewPCG(seed, 0)))
	gen := newGenerator(t, reference.NewExecutableSchema(reference.Config{}).Schema(), data)

	// The reference's mutations are the server's: signed out, both refuse them alike.
	for _, q := range []query{
		{text: `mutation { a: createStore(input: {name: "x"}) { id } b: linkTag(itemId: "1", tagId: "2") { message } }`},
		{text: `mutation($id: ID!) { setItemTags(itemId: $id, tagIds: []) { item { id tags { id } } } }`, vars: map[string]any{"id": "1"}},
	} {
		got, err := send(s.URL+"/graphql", q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := send(ref.URL, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := compare(got, want); diff != "" {
			t.Errorf("the server and the reference differ\n%s\n%s", q, diff)
		}
		if !bytes.Contains(want.body, []byte(`"UNAUTHENTICATED"`)) {
			t.Errorf("%s\nreference: %s; want UNAUTHENTICATED", q, want.body)
		}
	}

	n := *queriesFlag
	type mismatch struct {
		i    int
		q    query
		diff string
	}
	var (
		mu         sync.Mutex
		mismatches []mismatch
		withErrors int
		next       = make(chan int)
		wg         sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				q := gen.query(rand.New(rand.NewPCG(seed, uint64(i)+1)))
				got, err := send(s.URL+"/graphql", q)
				if err != nil {
					t.Errorf("query %d: server: %v\n%s", i, err, q)
					continue
				}
				want, err := send(ref.URL, q)
				if err != nil {
					t.Errorf("query %d: reference: %v\n%s", i, err, q)
					continue
				}
				diff := compare(got, want)
				mu.Lock()
				if len(want.errors) > 0 {
					withErrors++
				}
				if diff != "" {
					mismatches = append(mismatches, mismatch{i, q, diff})
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()

	slices.SortFunc(mismatches, func(a, b mismatch) int { return a.i - b.i })
	for _, m := range mismatches[:min(len(mismatches), 5)] {
		t.Errorf("seed %d, query %d: the server and the reference differ\n%s\n%s", seed, m.i, m.q, m.diff)
	}
	if len(mismatches) > 0 {
		t.Errorf("seed %d: %d of %d queries differ; rerun with -seed %d", seed, len(mismatches), n, seed)
	}
	// The corpus must reach errors as well as data, or it compares half the contract.
	if n >= 100 && (withErrors == 0 || withErrors == n) {
		t.Errorf("seed %d: %d of %d answers have errors; the generator should produce both", seed, withErrors, n)
	}
	t.Logf("seed %d: %d queries, %d with errors, %d differ", seed, n, withErrors, len(mismatches))
}

// answer is a response as sent: the status, the data's bytes and each error's bytes.
type answer struct {
	status int
	data   json.RawMessage
	errors []json.RawMessage
	body   []byte
}

func send(url string, q query) (*answer, error) {
	body, err := json.Marshal(map[string]any{"query": q.text, "variables": q.vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("status %d, not JSON: %s", res.StatusCode, raw)
	}
	return &answer{status: res.StatusCode, data: out.Data, errors: out.Errors, body: raw}, nil
}

// compare returns "" when got (the server's) equals want (the reference's), else what differs.
// Below one list the server reports a sample of sampledErrors errors for refused arguments
// where the reference reports one per row: when the server has that many errors or more and
// the reference more still, each of the server's must be one of the reference's.
func compare(got, want *answer) string {
	var b strings.Builder
	if got.status != want.status {
		fmt.Fprintf(&b, "status: server %d, reference %d\n", got.status, want.status)
	}
	if !bytes.Equal(got.data, want.data) {
		fmt.Fprintf(&b, "data (- server, + reference):\n%s", lineDiff(indent(got.data), indent(want.data)))
	}
	g, w := sortedErrors(got.errors), sortedErrors(want.errors)
	if len(g) >= sampledErrors && len(w) > len(g) {
		if missing := notIn(g, w); len(missing) > 0 {
			fmt.Fprintf(&b, "errors of the server's sample the reference does not report:\n%s\n", strings.Join(missing, "\n"))
		}
	} else if !slices.Equal(g, w) {
		fmt.Fprintf(&b, "errors (- server, + reference):\n%s", lineDiff(g, w))
	}
	if b.Len() > 0 {
		fmt.Fprintf(&b, "server's body:    %s\nreference's body: %s\n", clip(got.body), clip(want.body))
	}
	return b.String()
}

func sortedErrors(errs []json.RawMessage) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = string(e)
	}
	slices.Sort(out)
	return out
}

// notIn returns the elements of a that b lacks, counting repeats.
func notIn(a, b []string) []string {
	left := map[string]int{}
	for _, s := range b {
		left[s]++
	}
	var out []string
	for _, s := range a {
		if left[s] == 0 {
			out = append(out, s)
			continue
		}
		left[s]--
	}
	return out
}

func indent(raw json.RawMessage) []string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return []string{string(raw)}
	}
	return strings.Split(b.String(), "\n")
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// lineDiff is a line diff of a and b (longest common subsequence), with two lines of
// context around each change.
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			lines = append(lines, line{' ', a[i]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			lines = append(lines, line{'+', b[j]})
			j++
		default:
			lines = append(lines, line{'-', a[i]})
			i++
		}
	}
	var out strings.Builder
	for k, l := range lines {
		near := false
		for d := max(0, k-2); d <= min(len(lines)-1, k+2); d++ {
			near = near || lines[d].op != ' '
		}
		if near {
			fmt.Fprintf(&out, "%c %s\n", l.op, l.text)
		}
	}
	return out.String()
}
