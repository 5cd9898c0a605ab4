package model

import (
	"strconv"
	"testing"
)

func TestStringSizeMatchesAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `"q" \ b`, "tab\tnl\ncr\r", "\x00\x1f\x7f", "é ü 日本", "bad \xff utf8 \xc3", "<&>"} {
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
