package catalog_test

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/storegraph/storegraph/internal/catalog"
)

// The fuzz targets check properties of the rules for client input, for any input: no panic,
// an accepted value reads back as itself, a refused one gets BAD_USER_INPUT and a sentence.
// `go test` runs only the seeds and testdata/fuzz; `go test -fuzz FuzzName` searches.

// refused fails t unless err is a domain error a user can read, with code BAD_USER_INPUT.
func refused(t *testing.T, call string, err error) {
	t.Helper()
	if code := catalog.ErrorCode(err); code != catalog.BadUserInput {
		t.Fatalf("%s: error %v has code %s; want %s", call, err, code, catalog.BadUserInput)
	}
	if msg := catalog.ErrorMessage(err); msg == "" || msg == catalog.InternalMessage {
		t.Fatalf("%s: message %q; want a sentence for the user", call, msg)
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{
		"", " ", "Corner Shop", " \t Corner Shop \n", "x", strings.Repeat("a", 80), strings.Repeat("a", 81),
		strings.Repeat("é", 80), strings.Repeat("🛒", 81), "a\x00b", "a\tb", "\u0085", "\u00a0x\u00a0",
		"\u2028x", "\xff", "a\xc3", "\u200b", "%_\\", "'; DROP TABLE stores; --",
		"Cafe\u0301", "Corner Books\u200b", "\u202eskoob", "\u3164", "\u2800", "\U0001F469\u200d\U0001F4BB",
		"\u0915\u094d\u200c\u0937", "\u2764\ufe0f", "x\ufe0f", strings.Repeat("e\u0301", 81),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := catalog.Name("item", in)
		if err != nil {
			refused(t, "Name("+strconv.Quote(in)+")", err)
			if got != "" {
				t.Fatalf("Name(%q) = %q with an error; want \"\"", in, got)
			}
			return
		}
		if want := strings.TrimSpace(norm.NFC.String(in)); got != want {
			t.Fatalf("Name(%q) = %q; want it in NFC and trimmed, %q", in, got, want)
		}
		if i := strings.IndexFunc(got, func(r rune) bool {
			return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) && r != '\u200c' && r != '\u200d' ||
				strings.ContainsRune("\u115f\u1160\u3164\uffa0\u2800\u034f", r)
		}); i >= 0 {
			t.Fatalf("Name(%q) = %q keeps the invisible character %U", in, got, []rune(got[i:])[0])
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > catalog.MaxNameLength {
			t.Fatalf("Name(%q) = %q with %d characters; want 1 to %d", in, got, n, catalog.MaxNameLength)
		}
		if strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Fatalf("Name(%q) = %q keeps a control character", in, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Name(%q) = %q is not valid UTF-8; PostgreSQL cannot store it", in, got)
		}
		// An accepted name is accepted again unchanged: what is stored is valid as is.
		if again, err := catalog.Name("item", got); err != nil || again != got {
			t.Fatalf("Name(Name(%q) = %q) = %q, %v; want the same name, no error", in, got, again, err)
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"1", "42", "9223372036854775807", "9223372036854775808", "", "0", "-1", "01", "+1", "1.5",
		" 1", "1 ", "abc", "1e3", "0x1F", "١٢", "99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, err := catalog.ParseID(in)
		var viaGQL catalog.ID
		gqlErr := viaGQL.UnmarshalGQL(in)
		if (err == nil) != (gqlErr == nil) || viaGQL != id {
			t.Fatalf("ParseID(%q) = %d, %v but UnmarshalGQL gives %d, %v; want the same", in, id, err, viaGQL, gqlErr)
		}
		if err != nil {
			refused(t, "ParseID("+strconv.Quote(in)+")", err)
			if id != 0 {
				t.Fatalf("ParseID(%q) = %d with an error; want 0", in, id)
			}
			if n, convErr := strconv.ParseInt(in, 10, 64); convErr == nil && n > 0 && strconv.FormatInt(n, 10) == in {
				t.Fatalf("ParseID(%q) refused a canonical positive integer: %v", in, err)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("ParseID(%q) = %d; want a positive id", in, id)
		}
		if got := id.String(); got != in {
			t.Fatalf("ParseID(%q).String() = %q; want the input back", in, got)
		}
		var back string
		if err := json.Unmarshal(id.AppendJSON(nil), &back); err != nil || back != in {
			t.Fatalf("ParseID(%q) writes %s (%v); want the JSON string %q", in, id.AppendJSON(nil), err, in)
		}
	})
}

// acceptablePrice is the rule for prices written independently of ParsePrice: f is the
// double nearest to some whole number of cents between 0 and MaxPrice.
func acceptablePrice(f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 9999999999.99 {
		return false
	}
	cents := math.Round(f * 100)
	return cents >= 0 && cents <= float64(catalog.MaxPrice) && cents/100 == f
}

func FuzzParsePrice(f *testing.F) {
	for _, p := range []float64{
		0, 0.01, 0.1, 0.29, 1.1, 19.99, 100, 9999999999.99, 9999999999.991, 10000000000,
		-0.01, 1.999, 0.001, 0.125, 1e12, 1e-300, 5e-324, math.MaxFloat64, math.Copysign(0, -1),
		math.NaN(), math.Inf(1), math.Inf(-1), 1234567.89, 0.07, 0.3,
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, in float64) {
		call := "ParsePrice(" + strconv.FormatFloat(in, 'g', -1, 64) + ")"
		m, err := catalog.ParsePrice(in)
		var viaGQL catalog.Money
		gqlErr := viaGQL.UnmarshalGQL(in)
		if (err == nil) != (gqlErr == nil) || viaGQL != m {
			t.Fatalf("%s = %d, %v but UnmarshalGQL gives %d, %v; want the same", call, m, err, viaGQL, gqlErr)
		}
		if want := acceptablePrice(in); (err == nil) != want {
			t.Fatalf("%s = %d, %v; want accepted = %v (a whole number of cents in range)", call, m, err, want)
		}
		if err != nil {
			refused(t, call, err)
			if m != 0 {
				t.Fatalf("%s = %d with an error; want 0", call, m)
			}
			return
		}
		if m < 0 || m > catalog.MaxPrice {
			t.Fatalf("%s = %d cents; want 0 to %d", call, m, catalog.MaxPrice)
		}
		// What the API answers reads back as the number the client sent.
		out := m.AppendJSON(nil)
		back, perr := strconv.ParseFloat(string(out), 64)
		if perr != nil || back != in {
			t.Fatalf("%s is written back as %s (%v, %v); want %v", call, out, back, perr, in)
		}
		// What goes to PostgreSQL reads back as the same amount.
		v, verr := m.Value()
		var scanned catalog.Money
		if verr != nil || scanned.Scan(v) != nil || scanned != m {
			t.Fatalf("%s: Value %v (%v) scans back as %d; want %d", call, v, verr, scanned, m)
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add("", int64(1))
	f.Add(catalog.Cursor(1), int64(42))
	f.Add(catalog.Cursor(9223372036854775807), int64(9223372036854775807))
	f.Add("Y3Vyc29yOjE", int64(0))  // "cursor:1"
	f.Add("Y3Vyc29yOjF", int64(-1)) // the same bytes with padding bits set
	f.Add("Y3Vyc29yOjA", int64(7))  // "cursor:0"
	f.Add("Y3Vyc29yOjE=", int64(7)) // padded
	f.Add("!!!", int64(7))
	f.Add("NDI", int64(7)) // "42"
	f.Fuzz(func(t *testing.T, in string, n int64) {
		id, err := catalog.ParseCursor(in)
		if err != nil {
			refused(t, "ParseCursor("+strconv.Quote(in)+")", err)
			if id != 0 {
				t.Fatalf("ParseCursor(%q) = %d with an error; want 0", in, id)
			}
		} else {
			if id <= 0 {
				t.Fatalf("ParseCursor(%q) = %d; want a positive id", in, id)
			}
			// An accepted cursor and the one the server makes for its row name the same row.
			c := catalog.Cursor(id)
			if back, err := catalog.ParseCursor(c); err != nil || back != id {
				t.Fatalf("ParseCursor(%q) = %d, whose cursor %q reads back as %d, %v", in, id, c, back, err)
			}
			if p, err := catalog.NewPage(nil, &in); err != nil || p.After != id {
				t.Fatalf("NewPage(after: %q) = %+v, %v; want After %d", in, p, err, id)
			}
		}
		if n > 0 {
			c := catalog.Cursor(catalog.ID(n))
			if back, err := catalog.ParseCursor(c); err != nil || back != catalog.ID(n) {
				t.Fatalf("ParseCursor(Cursor(%d) = %q) = %d, %v; want %d", n, c, back, err, n)
			}
		}
	})
}

// unlike reads an ILIKE pattern with ESCAPE '\' as PostgreSQL does and returns the text it
// matches when it has no wildcard; ok is false when a wildcard or a dangling escape is left.
func unlike(p string) (text string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%', '_':
			return "", false
		case '\\':
			if i++; i == len(p) {
				return "", false
			}
		}
		b.WriteByte(p[i])
	}
	return b.String(), true
}

func FuzzLikePattern(f *testing.F) {
	for _, s := range []string{
		"", "book", "50%", "a_b", `C:\dir`, `\%_`, `\`, `\\`, "%%", "Écrit", "a\x00b", "'",
		strings.Repeat("é", catalog.MaxSearchLength), strings.Repeat("_", catalog.MaxSearchLength+1), "\xff%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := catalog.LikePattern(in)
		tooLong := utf8.RuneCountInString(in) > catalog.MaxSearchLength
		if err != nil {
			refused(t, "LikePattern("+strconv.Quote(in)+")", err)
			if !tooLong && !strings.ContainsRune(in, 0) && utf8.ValidString(in) {
				t.Fatalf("LikePattern(%q) refused a search within the rules: %v", in, err)
			}
			return
		}
		if tooLong || strings.ContainsRune(in, 0) || !utf8.ValidString(in) {
			t.Fatalf("LikePattern(%q) = %q; want a refusal", in, p)
		}
		inner, found := strings.CutPrefix(p, "%")
		inner, found2 := strings.CutSuffix(inner, "%")
		if !found || !found2 {
			t.Fatalf("LikePattern(%q) = %q; want %%...%%", in, p)
		}
		// Between the outer wildcards the pattern matches the search and nothing else.
		if text, ok := unlike(inner); !ok || text != in {
			t.Fatalf("LikePattern(%q) = %q, whose middle matches %q (literal: %v); want exactly the search", in, p, text, ok)
		}
	})
}

func FuzzPage(f *testing.F) {
	f.Add(20, true, "", false)
	f.Add(0, true, catalog.Cursor(3), true)
	f.Add(100, true, "", false)
	f.Add(101, true, "", false)
	f.Add(-1, true, "x", true)
	f.Add(5, false, "", true)
	f.Add(math.MaxInt, true, catalog.Cursor(1), true)
	f.Fuzz(func(t *testing.T, first int, hasFirst bool, after string, hasAfter bool) {
		var fp *int
		var ap *string
		if hasFirst {
			fp = &first
		}
		if hasAfter {
			ap = &after
		}
		p, err := catalog.NewPage(fp, ap)
		_, cursorErr := catalog.ParseCursor(after)
		wantOK := (!hasFirst || 0 <= first && first <= catalog.MaxPageSize) && (!hasAfter || cursorErr == nil)
		if (err == nil) != wantOK {
			t.Fatalf("NewPage(%d/%v, %q/%v) = %+v, %v; want accepted = %v", first, hasFirst, after, hasAfter, p, err, wantOK)
		}
		if err != nil {
			refused(t, "NewPage", err)
			return
		}
		if p.First < 0 || p.First > catalog.MaxPageSize || (hasFirst && p.First != first) || (!hasFirst && p.First != 20) {
			t.Fatalf("NewPage(%d/%v, ...) = %+v; want First as given, or 20", first, hasFirst, p)
		}
		if hasAfter == (p.After == 0) {
			t.Fatalf("NewPage(..., %q/%v) = %+v; want After set exactly when a cursor is given", after, hasAfter, p)
		}
	})
}

func FuzzListArgs(f *testing.F) {
	f.Add(0, true, 0, true, uint8(0))
	f.Add(-1, true, 0, false, uint8(1))
	f.Add(5, false, -3, true, uint8(2))
	f.Add(math.MaxInt, true, math.MaxInt, true, uint8(2))
	f.Add(math.MinInt, true, math.MinInt, true, uint8(0))
	f.Fuzz(func(t *testing.T, first int, hasFirst bool, offset int, hasOffset bool, order uint8) {
		var fp, op *int
		if hasFirst {
			fp = &first
		}
		if hasOffset {
			op = &offset
		}
		o := catalog.Order(order % 3)
		a, err := catalog.NewListArgs(fp, op, o)
		wantOK := (!hasFirst || first >= 0) && (!hasOffset || offset >= 0)
		if (err == nil) != wantOK {
			t.Fatalf("NewListArgs(%d/%v, %d/%v) = %+v, %v; want accepted = %v", first, hasFirst, offset, hasOffset, a, err, wantOK)
		}
		if err != nil {
			refused(t, "NewListArgs", err)
			return
		}
		want := catalog.ListArgs{Limit: -1, Order: o}
		if hasFirst {
			want.Limit = first
		}
		if hasOffset {
			want.Offset = offset
		}
		if a != want {
			t.Fatalf("NewListArgs(%d/%v, %d/%v) = %+v; want %+v", first, hasFirst, offset, hasOffset, a, want)
		}
	})
}

func FuzzPriceBound(f *testing.F) {
	for _, p := range []float64{0, -1, 1e308, math.NaN(), math.Inf(1), math.Inf(-1), 19.999} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, in float64) {
		err := catalog.CheckPriceBound(&in)
		finite := !math.IsNaN(in) && !math.IsInf(in, 0)
		if (err == nil) != finite {
			t.Fatalf("CheckPriceBound(%v) = %v; want accepted = %v (any finite bound)", in, err, finite)
		}
		if err != nil {
			refused(t, "CheckPriceBound", err)
		}
		if err := catalog.CheckPriceBound(nil); err != nil {
			t.Fatalf("CheckPriceBound(nil) = %v; want no error: an absent bound does not filter", err)
		}
	})
}
