package catalog_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/storegraph/storegraph/internal/catalog"
)

// wantCode fails t unless err is a domain error with code want.
func wantCode(t *testing.T, call string, err error, want catalog.Code) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error; want %s", call, want)
		return
	}
	if got := catalog.ErrorCode(err); got != want {
		t.Errorf("%s: got error %v with code %s; want code %s", call, err, got, want)
	}
	if got := catalog.ErrorMessage(err); got == "" || got == catalog.InternalMessage {
		t.Errorf("%s: got message %q; want a sentence for the user", call, got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseID(t *testing.T) {
	t.Parallel()
	valid := []struct {
		in   string
		want catalog.ID
	}{
		{"1", 1},
		{"42", 42},
		{"9223372036854775807", math.MaxInt64},
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParseID(tt.in)
			if err != nil {
				t.Fatalf("ParseID(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseID(%q) = %d; want %d", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("ParseID(%q).String() = %q; want %q", tt.in, s, tt.in)
			}
		})
	}
	invalid := []string{
		"", "0", "-1", "01", "+1", "1.5", " 1", "1 ", "abc", "1e3", "0x1F",
		"9223372036854775808", // one past the largest int64
	}
	for _, in := range invalid {
		t.Run("Invalid"+strconv.Quote(in), func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParseID(in)
			wantCode(t, "ParseID("+strconv.Quote(in)+")", err, catalog.BadUserInput)
			if got != 0 {
				t.Errorf("ParseID(%q) = %d; want 0 with the error", in, got)
			}
		})
	}
}

func TestIDMarshalGQL(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	catalog.ID(42).MarshalGQL(&buf)
	if got, want := buf.String(), `"42"`; got != want {
		t.Errorf("ID(42).MarshalGQL wrote %s; want %s", got, want)
	}
}

func TestParsePrice(t *testing.T) {
	t.Parallel()
	valid := []struct {
		in   float64
		want catalog.Money
	}{
		{0, 0},
		{0.01, 1},
		{0.1, 10},
		{0.29, 29}, // 0.29*100 is 28.999999999999996 in binary
		{19.99, 1999},
		{1.1, 110},
		{100, 10000},
		{9999999999.99, catalog.MaxPrice},
	}
	for _, tt := range valid {
		t.Run(strconv.FormatFloat(tt.in, 'f', -1, 64), func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParsePrice(tt.in)
			if err != nil {
				t.Fatalf("ParsePrice(%v) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParsePrice(%v) = %d cents; want %d", tt.in, got, tt.want)
			}
			// What the API writes back reads as the number the client sent.
			back, err := strconv.ParseFloat(string(got.AppendJSON(nil)), 64)
			if err != nil || back != tt.in {
				t.Errorf("ParsePrice(%v) writes back as %s (%v, %v); want %v", tt.in, got.AppendJSON(nil), back, err, tt.in)
			}
		})
	}
	invalid := []float64{
		-1, -0.01, 1.999, 0.001, 0.125, 10000000000, 9999999999.991, 1e12,
		math.NaN(), math.Inf(1), math.Inf(-1),
	}
	for _, in := range invalid {
		t.Run("Invalid"+strconv.FormatFloat(in, 'g', -1, 64), func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParsePrice(in)
			wantCode(t, "ParsePrice("+strconv.FormatFloat(in, 'g', -1, 64)+")", err, catalog.BadUserInput)
			if got != 0 {
				t.Errorf("ParsePrice(%v) = %d; want 0 with the error", in, got)
			}
		})
	}
}

func TestMoneyOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         catalog.Money
		wantString string // two decimal places, always
		wantJSON   string // the shortest decimal: what GraphQL clients get
	}{
		{0, "0.00", "0"},
		{1, "0.01", "0.01"},
		{10, "0.10", "0.1"},
		{100, "1.00", "1"},
		{1050, "10.50", "10.5"},
		{1999, "19.99", "19.99"},
		{catalog.MaxPrice, "9999999999.99", "9999999999.99"},
	}
	for _, tt := range tests {
		t.Run(tt.wantString, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.wantString {
				t.Errorf("Money(%d).String() = %q; want %q", int64(tt.in), got, tt.wantString)
			}
			if got := string(tt.in.AppendJSON([]byte("price:"))); got != "price:"+tt.wantJSON {
				t.Errorf("Money(%d).AppendJSON(\"price:\") = %q; want %q", int64(tt.in), got, "price:"+tt.wantJSON)
			}
			var buf bytes.Buffer
			tt.in.MarshalGQL(&buf)
			if got := buf.String(); got != tt.wantJSON {
				t.Errorf("Money(%d).MarshalGQL wrote %q; want %q", int64(tt.in), got, tt.wantJSON)
			}
		})
	}
}

func TestMoneyScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  any
		want catalog.Money
	}{
		{"TwoPlaces", "19.99", 1999},
		{"LeadingZero", "0.10", 10},
		{"Whole", "5", 500},
		{"OnePlace", "0.5", 50},
		{"Zero", "0.00", 0},
		{"Max", "9999999999.99", catalog.MaxPrice},
		{"Bytes", []byte("12.30"), 1230},
		{"Negative", "-3.25", -325},
		{"Int64", int64(7), 700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got catalog.Money
			if err := got.Scan(tt.src); err != nil {
				t.Fatalf("Scan(%#v) error: %v", tt.src, err)
			}
			if got != tt.want {
				t.Errorf("Scan(%#v) = %d cents; want %d", tt.src, got, tt.want)
			}
		})
	}
	garbage := []any{"abc", "", "1.x5", "twelve.50", "1,50", []byte("NaN"), nil, true}
	for _, src := range garbage {
		t.Run(fmt.Sprintf("Garbage%T(%v)", src, src), func(t *testing.T) {
			t.Parallel()
			m := catalog.Money(123)
			if err := m.Scan(src); err == nil {
				t.Errorf("Scan(%#v) = %d, no error; want an error", src, m)
			}
		})
	}
}

func TestMoneyValueRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []catalog.Money{0, 1, 10, 1050, 1999, catalog.MaxPrice} {
		v, err := in.Value()
		if err != nil {
			t.Fatalf("Money(%d).Value() error: %v", int64(in), err)
		}
		var got catalog.Money
		if err := got.Scan(v); err != nil {
			t.Fatalf("Scan(Money(%d).Value() = %#v) error: %v", int64(in), v, err)
		}
		if got != in {
			t.Errorf("Scan(Money(%d).Value() = %#v) = %d; want %d", int64(in), v, got, in)
		}
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	valid := []struct {
		name string
		in   string
		want string
	}{
		{"Plain", "Corner Shop", "Corner Shop"},
		{"Trimmed", " \t Corner Shop \n", "Corner Shop"},
		{"InnerSpacesKept", "Corner  Shop", "Corner  Shop"},
		{"OneCharacter", "x", "x"},
		{"80Accented", strings.Repeat("é", 80), strings.Repeat("é", 80)},
		{"80Emoji", strings.Repeat("🛒", 80), strings.Repeat("🛒", 80)},
		{"80AfterTrimming", "  " + strings.Repeat("a", 80) + "  ", strings.Repeat("a", 80)},
		{"ComposedToNFC", "Cafe\u0301", "Caf\u00e9"},
		{"80ComposedAfterNFC", strings.Repeat("e\u0301", 80), strings.Repeat("\u00e9", 80)},
		{"HangulSyllablesComposed", "\u1100\u1161", "\uac00"},
		{"EmojiZWJSequence", "Dev \U0001F469\u200D\U0001F4BB", "Dev \U0001F469\u200D\U0001F4BB"},
		{"EmojiSkinToneZWJ", "\U0001F469\U0001F3FD\u200D\U0001F680", "\U0001F469\U0001F3FD\u200D\U0001F680"},
		{"EmojiPresentation", "I \u2764\uFE0F tea", "I \u2764\uFE0F tea"},
		{"EmojiPresentationZWJ", "\u2764\uFE0F\u200D\U0001F525", "\u2764\uFE0F\u200D\U0001F525"},
		{"Keycap", "1\uFE0F\u20E3 Shop", "1\uFE0F\u20E3 Shop"},
		{"ZWNJAfterVirama", "\u0915\u094D\u200C\u0937", "\u0915\u094D\u200C\u0937"},
		{"ZWNJInPersian", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645"},
		{"IdeographicVariation", "\u845B\U000E0100", "\u845B\U000E0100"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.Name("store", tt.in)
			if err != nil {
				t.Fatalf("Name(store, %q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Name(store, %q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
	invalid := []struct {
		name string
		in   string
	}{
		{"Empty", ""},
		{"Blank", "   "},
		{"BlankControls", "\t\n\r"},
		{"81Ascii", strings.Repeat("a", 81)},
		{"81Accented", strings.Repeat("é", 81)},
		{"81Emoji", strings.Repeat("🛒", 81)},
		{"81Mixed", strings.Repeat("é🛒", 40) + "a"},
		{"Tab", "Corner\tShop"},
		{"Newline", "Corner\nShop"},
		{"NUL", "Corner\x00Shop"},
		{"Escape", "Corner\x1b[31mShop"},
		{"DEL", "Corner\x7fShop"},
		{"C1Control", "Corner\u0085Shop"},
		{"LineSeparator", "Corner\u2028Shop"},
		{"81AfterNFC", strings.Repeat("e\u0301", 81)},
		{"InvalidUTF8", "Corner\xffShop"},
		{"ZeroWidthSpaceOnly", "\u200B"},
		{"ZeroWidthSpacesAndSpaces", " \u200B \u200B "},
		{"TrailingZeroWidthSpace", "Corner Books\u200B"},
		{"InnerZeroWidthSpace", "Corner\u200BBooks"},
		{"ZWNJBetweenLatin", "Corner\u200CBooks"},
		{"ZWJBetweenLatin", "Corner\u200DBooks"},
		{"ZWJAfterEmojiAtEnd", "Tea \U0001F375\u200D"},
		{"WordJoiner", "Corner\u2060Books"},
		{"BOM", "\uFEFFCorner Books"},
		{"SoftHyphen", "Corner Boo\u00ADks"},
		{"RightToLeftOverride", "Corner \u202Eskoob"},
		{"LeftToRightIsolate", "\u2066Corner Books\u2069"},
		{"RightToLeftMark", "Corner Books\u200F"},
		{"ArabicLetterMark", "Corner\u061CBooks"},
		{"MongolianVowelSeparator", "Corner\u180EBooks"},
		{"TagCharacters", "Corner\U000E0041Books"},
		{"HangulFiller", "\u3164"},
		{"HangulFillerInName", "Corner\u3164Books"},
		{"HangulChoseongFiller", "\u115F"},
		{"HangulJungseongFiller", "Corner \u1160"},
		{"HalfwidthHangulFiller", "\uFFA0Corner"},
		{"BrailleBlank", "\u2800"},
		{"BrailleBlankInName", "Corner\u2800Books"},
		{"CombiningGraphemeJoiner", "Corner\u034FBooks"},
		{"KhmerInherentVowel", "Corner\u17B4Books"},
		{"VariationSelectorOnLatin", "Corner Books\uFE0F"},
		{"VariationSelectorAlone", "\uFE0F"},
		{"IdeographicSelectorOnLatin", "Corner Books\U000E0100"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.Name("tag", tt.in)
			wantCode(t, "Name(tag, "+strconv.Quote(tt.in)+")", err, catalog.BadUserInput)
			if got != "" {
				t.Errorf("Name(tag, %q) = %q; want \"\" with the error", tt.in, got)
			}
		})
	}
}

func TestLikePattern(t *testing.T) {
	t.Parallel()
	valid := []struct {
		in   string
		want string
	}{
		{"book", "%book%"},
		{"", "%%"},
		{"50%", `%50\%%`},
		{"a_b", `%a\_b%`},
		{`C:\dir`, `%C:\\dir%`},
		{`\%_`, `%\\\%\_%`},
		{"Écrit", "%Écrit%"},
		{strings.Repeat("é", catalog.MaxSearchLength), "%" + strings.Repeat("é", catalog.MaxSearchLength) + "%"},
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.LikePattern(tt.in)
			if err != nil {
				t.Fatalf("LikePattern(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("LikePattern(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
	invalid := []struct {
		name string
		in   string
	}{
		{"201Characters", strings.Repeat("é", catalog.MaxSearchLength+1)},
		{"NUL", "a\x00b"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := catalog.LikePattern(tt.in)
			wantCode(t, "LikePattern("+tt.name+")", err, catalog.BadUserInput)
		})
	}
}

func TestNewListArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		first  *int
		offset *int
		want   catalog.ListArgs
	}{
		{"Defaults", nil, nil, catalog.ListArgs{Limit: -1, Offset: 0, Order: catalog.ByName}},
		{"FirstZero", ptr(0), nil, catalog.ListArgs{Limit: 0, Offset: 0, Order: catalog.ByName}},
		{"Both", ptr(2), ptr(1), catalog.ListArgs{Limit: 2, Offset: 1, Order: catalog.ByName}},
		{"OffsetOnly", nil, ptr(5), catalog.ListArgs{Limit: -1, Offset: 5, Order: catalog.ByName}},
		{"FirstAboveMaxPageSize", ptr(1000), nil, catalog.ListArgs{Limit: 1000, Offset: 0, Order: catalog.ByName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.NewListArgs(tt.first, tt.offset, catalog.ByName)
			if err != nil {
				t.Fatalf("NewListArgs error: %v", err)
			}
			if got != tt.want {
				t.Errorf("NewListArgs = %+v; want %+v", got, tt.want)
			}
		})
	}
	refused := []struct {
		name   string
		first  *int
		offset *int
	}{
		{"NegativeFirst", ptr(-1), nil},
		{"NegativeOffset", nil, ptr(-1)},
		{"BothNegative", ptr(-5), ptr(-5)},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := catalog.NewListArgs(tt.first, tt.offset, catalog.ByID)
			wantCode(t, "NewListArgs("+tt.name+")", err, catalog.BadUserInput)
		})
	}
}

func TestNewPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		first *int
		after *string
		want  catalog.Page
	}{
		{"Defaults", nil, nil, catalog.Page{First: 20}},
		{"FirstZero", ptr(0), nil, catalog.Page{First: 0}},
		{"FirstMax", ptr(100), nil, catalog.Page{First: 100}},
		{"After", ptr(5), ptr(catalog.Cursor(42)), catalog.Page{First: 5, After: 42}},
		{"AfterDefaultFirst", nil, ptr(catalog.Cursor(7)), catalog.Page{First: 20, After: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.NewPage(tt.first, tt.after)
			if err != nil {
				t.Fatalf("NewPage error: %v", err)
			}
			if got != tt.want {
				t.Errorf("NewPage = %+v; want %+v", got, tt.want)
			}
		})
	}
	refused := []struct {
		name  string
		first *int
		after *string
	}{
		{"First101", ptr(101), nil},
		{"FirstNegative", ptr(-1), nil},
		{"BadCursor", nil, ptr("not a cursor")},
		{"EmptyCursor", nil, ptr("")},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := catalog.NewPage(tt.first, tt.after)
			wantCode(t, "NewPage("+tt.name+")", err, catalog.BadUserInput)
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []catalog.ID{1, 42, 1 << 40, math.MaxInt64} {
		c := catalog.Cursor(id)
		got, err := catalog.ParseCursor(c)
		if err != nil {
			t.Fatalf("ParseCursor(Cursor(%d) = %q) error: %v", id, c, err)
		}
		if got != id {
			t.Errorf("ParseCursor(Cursor(%d) = %q) = %d; want %d", id, c, got, id)
		}
		if strings.Contains(c, id.String()) {
			t.Errorf("Cursor(%d) = %q; want an opaque cursor that does not show the id", id, c)
		}
	}
	if a, b := catalog.Cursor(1), catalog.Cursor(2); a == b {
		t.Errorf("Cursor(1) = Cursor(2) = %q; want different cursors", a)
	}
}

func TestParseCursorRefusesMalformed(t *testing.T) {
	t.Parallel()
	enc := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name string
		in   string
	}{
		{"Empty", ""},
		{"NotBase64", "!!!"},
		{"PaddedStdBase64", base64.StdEncoding.EncodeToString([]byte("cursor:1"))},
		{"BareID", "42"},
		{"NoPrefix", enc([]byte("42"))},
		{"OtherPrefix", enc([]byte("offset:42"))},
		{"ZeroID", enc([]byte("cursor:0"))},
		{"NegativeID", enc([]byte("cursor:-1"))},
		{"LeadingZero", enc([]byte("cursor:042"))},
		{"NotANumber", enc([]byte("cursor:abc"))},
		{"Overflow", enc([]byte("cursor:9223372036854775808"))},
		{"TrailingJunk", catalog.Cursor(1) + "."},
		{"Spaces", " " + catalog.Cursor(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.ParseCursor(tt.in)
			wantCode(t, "ParseCursor("+strconv.Quote(tt.in)+")", err, catalog.BadUserInput)
			if got != 0 {
				t.Errorf("ParseCursor(%q) = %d; want 0 with the error", tt.in, got)
			}
		})
	}
}

// The messages are sentences a frontend shows as they are.
func TestNameMessagesReadAsSentences(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]string{
		"store": "A store name cannot be blank.",
		"item":  "An item name cannot be blank.",
		"tag":   "A tag name cannot be blank.",
	} {
		_, err := catalog.Name(kind, "  ")
		var ce *catalog.Error
		if !errors.As(err, &ce) || ce.Message != want {
			t.Errorf("Name(%q, blank) = %v; want %q", kind, err, want)
		}
	}
	for in, want := range map[string]string{
		"\u200B \u3164":         "A store name cannot be blank.",
		"\u00A0\u2003":          "A store name cannot be blank.",
		"Corner Books\u200B":    "A store name cannot contain invisible or direction-changing characters (it has U+200B).",
		"Corner \u202Eskoob":    "A store name cannot contain invisible or direction-changing characters (it has U+202E).",
		"Corner\x00Books\u200B": "A store name cannot contain control characters.",
	} {
		_, err := catalog.Name("store", in)
		var ce *catalog.Error
		if !errors.As(err, &ce) || ce.Message != want {
			t.Errorf("Name(store, %q) = %v; want %q", in, err, want)
		}
	}
}
