package model

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// trickyStrings need escaping, or look as if they did: quotes, control characters, DEL,
// line and paragraph separators, HTML, multi-byte and invalid UTF-8.
var trickyStrings = []string{
	"", "plain", `"q" \ b`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "\x1b[31m", "é ü 日本 🙂",
	"bad \xff utf8 \xc3", "\xc3(", "\xe2\x28\xa1", "\xed\xa0\x80", "line\u2028para\u2029",
	"<&>", "\ufeffbom", "\\u0041", `\"`,
}

func TestAppendStringMatchesGqlgen(t *testing.T) {
	for _, s := range trickyStrings {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendString(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendString(%q) = %q; want %q, as graphql.MarshalString writes", s, got, want.Bytes())
		}
	}
}

func TestStringSizeMatchesAppendString(t *testing.T) {
	for _, s := range trickyStrings {
		if got, want := stringSize(s), int64(len(appendString(nil, s))); got != want {
			t.Errorf("stringSize(%q) = %d; want %d", s, got, want)
		}
	}
}

func TestIntSize(t *testing.T) {
	for _, v := range []int{0, 7, 10, 99, 100, 123456, -1, -50} {
		if got, want := intSize(v), int64(len(strconv.Itoa(v))); got != want {
			t.Errorf("intSize(%d) = %d; want %d", v, got, want)
		}
	}
}

// FuzzAppendString holds appendString and stringSize to gqlgen's writer on any bytes: the
// database keeps only valid UTF-8, so the differential test over it never sends the rest.
func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendString(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendString(%q) = %q; want %q, as graphql.MarshalString writes", s, got, want.Bytes())
		}
		if got := stringSize(s); got != int64(want.Len()) {
			t.Errorf("stringSize(%q) = %d; want %d", s, got, want.Len())
		}
	})
}
