package replica_test

import (
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/replica"
)

func TestParseLSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want replica.LSN
		text string // as String writes it back; "" when in is no position
	}{
		{"0/0", 0, "0/0"},
		{"16/B374D848", 0x16_B374D848, "16/B374D848"},
		{"FFFFFFFF/FFFFFFFF", 1<<64 - 1, "FFFFFFFF/FFFFFFFF"},
		{"a/01", 0xA_00000001, "A/1"},
		{"", 0, ""},
		{"16", 0, ""},
		{"16/", 0, ""},
		{"/16", 0, ""},
		{"1/2/3", 0, ""},
		{"G/0", 0, ""},
		{"100000000/0", 0, ""},
		{"-1/0", 0, ""},
	}
	for _, tt := range tests {
		got, err := replica.ParseLSN(tt.in)
		switch {
		case tt.text == "" && err == nil:
			t.Errorf("ParseLSN(%q) = %v; want an error", tt.in, got)
		case tt.text != "" && (err != nil || got != tt.want || got.String() != tt.text):
			t.Errorf("ParseLSN(%q) = %d (%v), %v; want %d (%s)", tt.in, uint64(got), got, err, uint64(tt.want), tt.text)
		}
	}
}

func TestMalformedPositionIsRefused(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, nil)
	r := s.PostWith(t, map[string]string{replica.Header: "yesterday"}, `{ stores { nodes { name } } }`, nil)
	if r.Status != 400 || len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_REQUEST" {
		t.Errorf("a query with %s: yesterday = status %d, errors %+v; want 400 and BAD_REQUEST", replica.Header, r.Status, r.Errors)
	}
	// Without replicas, a mutation has no position to give.
	r = s.Post(t, `mutation { createStore(input: {name: "Corner Books"}) { id } }`, nil)
	if _, ok := r.Extensions["lsn"]; ok || r.Header.Get(replica.Header) != "" || len(r.Errors) > 0 {
		t.Errorf("createStore without replicas = extensions %v, header %q, errors %+v; want no position", r.Extensions, r.Header.Get(replica.Header), r.Errors)
	}
}
