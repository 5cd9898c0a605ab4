package catalog

import (
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ID identifies a store, item or tag. Clients see it as a decimal string ("42").
type ID int64

// ParseID reads an id as clients send it.
func ParseID(s string) (ID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, Errorf(BadUserInput, "%q is not a valid id.", truncate(s, 40))
	}
	return ID(n), nil
}

func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// AppendJSON appends the id as a GraphQL ID: a JSON string.
func (id ID) AppendJSON(b []byte) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(id), 10)
	return append(b, '"')
}

// MarshalGQL writes the id as a GraphQL ID.
func (id ID) MarshalGQL(w io.Writer) {
	var buf [24]byte
	_, _ = w.Write(id.AppendJSON(buf[:0]))
}

// UnmarshalGQL reads an id from a GraphQL input value: a string, or a number literal or
// variable, read as the text gqlgen's own ID would hold, so it is refused with that text.
func (id *ID) UnmarshalGQL(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = string(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case int:
		s = strconv.Itoa(v)
	case float64:
		s = strconv.FormatFloat(v, 'f', 6, 64)
	case bool:
		s = strconv.FormatBool(v)
	case nil:
		s = "null"
	default:
		return Errorf(BadUserInput, "An id must be a string of digits.")
	}
	parsed, err := ParseID(s)
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// Money is an amount in cents, stored as NUMERIC(12,2) so it never passes through a binary float.
type Money int64

// MaxPrice is the largest price NUMERIC(12,2) holds.
const MaxPrice Money = 999_999_999_999

// ParsePrice checks a price as clients send it: finite, 0 to 9999999999.99, at most two
// decimal places. Nothing is rounded.
func ParsePrice(f float64) (Money, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, Errorf(BadUserInput, "A price must be a finite number.")
	}
	if f < 0 {
		return 0, Errorf(BadUserInput, "A price cannot be negative.")
	}
	if f > 9999999999.99 {
		return 0, Errorf(BadUserInput, "A price can be at most 9999999999.99.")
	}
	// The shortest decimal that reads back as f is what the client wrote.
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 2 {
		return 0, Errorf(BadUserInput, "A price can have at most two decimal places.")
	}
	return Money(math.Round(f * 100)), nil
}

// Float returns the amount in currency units, for comparisons in filters.
func (m Money) Float() float64 { return float64(m) / 100 }

// String writes the amount as a decimal with two places ("19.90").
func (m Money) String() string {
	return string(m.appendDecimal(nil, true))
}

func (m Money) appendDecimal(b []byte, fixed bool) []byte {
	n := int64(m)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/100, 10)
	cents := n % 100
	switch {
	case fixed || cents%10 != 0:
		b = append(b, '.', byte('0'+cents/10), byte('0'+cents%10))
	case cents != 0:
		b = append(b, '.', byte('0'+cents/10))
	}
	return b
}

// AppendJSON appends the amount as a JSON number with no binary rounding ("19.99").
func (m Money) AppendJSON(b []byte) []byte { return m.appendDecimal(b, false) }

// MarshalGQL writes the amount as a JSON number.
func (m Money) MarshalGQL(w io.Writer) {
	var buf [24]byte
	_, _ = w.Write(m.AppendJSON(buf[:0]))
}

// UnmarshalGQL reads a price from a GraphQL input value with the rules of ParsePrice.
func (m *Money) UnmarshalGQL(v any) error {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	default:
		return Errorf(BadUserInput, "A price must be a number.")
	}
	parsed, err := ParsePrice(f)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}

// Scan reads a NUMERIC(12,2) column.
func (m *Money) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case int64:
		*m = Money(v * 100)
		return nil
	case float64:
		*m = Money(math.Round(v * 100))
		return nil
	default:
		return fmt.Errorf("money: cannot scan %T", src)
	}
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	w, err := strconv.ParseInt(strings.TrimPrefix(whole, "-"), 10, 64)
	if err != nil {
		return fmt.Errorf("money: scan %q: %w", s, err)
	}
	frac = (frac + "00")[:2]
	c, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return fmt.Errorf("money: scan %q: %w", s, err)
	}
	n := w*100 + c
	if neg {
		n = -n
	}
	*m = Money(n)
	return nil
}

// Value writes the amount as a numeric literal.
func (m Money) Value() (driver.Value, error) { return m.String(), nil }

// MaxNameLength is the longest name, in characters, after normalizing and trimming.
const MaxNameLength = 80

// Name checks a name of a kind of thing ("store", "item", "tag") and returns it as stored:
// in NFC, so that "Cafe\u0301" and "Café" are one name to the unique indexes, and trimmed.
// Characters that draw nothing where they stand (format characters such as zero-width
// spaces and bidi overrides, Hangul fillers, the blank braille pattern) are refused, so that
// no name can pass for another.
func Name(kind, s string) (string, error) {
	a := "A"
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		a = "An"
	}
	if !utf8.ValidString(s) {
		return "", Errorf(BadUserInput, "%s %s name must be valid UTF-8 text.", a, kind)
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	visible := false
	var hidden rune = -1
	prev := rune(-1)
	for i, r := range s {
		next := rune(-1)
		if n, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]); n != utf8.RuneError {
			next = n
		}
		switch {
		case control(r):
			if !unicode.IsSpace(r) {
				visible = true // refused below for what it is, not as blank
			}
		case invisible(prev, r, next):
			if hidden < 0 {
				hidden = r
			}
		case !unicode.IsSpace(r):
			visible = true
		}
		prev = r
	}
	if !visible {
		return "", Errorf(BadUserInput, "%s %s name cannot be blank.", a, kind)
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return "", Errorf(BadUserInput, "%s %s name can be at most %d characters long (this one has %d).", a, kind, MaxNameLength, n)
	}
	if strings.IndexFunc(s, control) >= 0 {
		return "", Errorf(BadUserInput, "%s %s name cannot contain control characters.", a, kind)
	}
	if hidden >= 0 {
		return "", Errorf(BadUserInput, "%s %s name cannot contain invisible or direction-changing characters (it has U+%04X).", a, kind, hidden)
	}
	return s, nil
}

// control reports whether r is a control character or a line or paragraph separator.
func control(r rune) bool { return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) }

// Characters that draw nothing and are not format characters, which unicode.Cf covers.
var fillers = &unicode.RangeTable{R16: []unicode.Range16{
	{Lo: 0x034f, Hi: 0x034f, Stride: 1}, // combining grapheme joiner
	{Lo: 0x115f, Hi: 0x1160, Stride: 1}, // Hangul choseong and jungseong fillers
	{Lo: 0x17b4, Hi: 0x17b5, Stride: 1}, // Khmer inherent vowels
	{Lo: 0x2800, Hi: 0x2800, Stride: 1}, // braille pattern blank
	{Lo: 0x3164, Hi: 0x3164, Stride: 1}, // Hangul filler
	{Lo: 0xffa0, Hi: 0xffa0, Stride: 1}, // halfwidth Hangul filler
}}

const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

// invisible reports whether r, between prev and next (-1 at either end), draws nothing. The
// joiners and variation selectors pass only where they change how their neighbours look:
// ZWJ between emoji (👩‍💻), ZWJ and ZWNJ after a virama (Indic conjuncts) or between letters
// of the joining scripts, a variation selector after the base it selects a form of.
func invisible(prev, r, next rune) bool {
	switch {
	case r == zwj && emoji(prev) && unicode.Is(unicode.So, next):
		return false
	case r == zwj || r == zwnj:
		return !(virama(prev) || joining(prev) && joining(next))
	case r == '\ufe0e' || r == '\ufe0f': // text and emoji presentation
		return !(unicode.In(prev, unicode.So, unicode.Sk) || strings.ContainsRune("0123456789#*", prev))
	case unicode.Is(unicode.Variation_Selector, r) && r >= 0x180b && r <= 0x180f:
		return !unicode.Is(unicode.Mongolian, prev)
	case unicode.Is(unicode.Variation_Selector, r): // ideographic variation sequences
		return !unicode.Is(unicode.Han, prev)
	}
	return unicode.In(r, unicode.Cf, fillers)
}

// emoji reports whether r may end an emoji that a ZWJ joins to the next: a symbol, a skin
// tone (Sk) or the emoji presentation selector.
func emoji(r rune) bool { return r == '\ufe0f' || unicode.In(r, unicode.So, unicode.Sk) }

func virama(r rune) bool {
	return r >= 0 && norm.NFC.PropertiesString(string(r)).CCC() == 9
}

func joining(r rune) bool {
	return unicode.IsLetter(r) && unicode.In(r, unicode.Arabic, unicode.Syriac, unicode.Nko, unicode.Mongolian,
		unicode.Mandaic, unicode.Manichaean, unicode.Psalter_Pahlavi, unicode.Sogdian, unicode.Adlam,
		unicode.Hanifi_Rohingya, unicode.Phags_Pa)
}

// MaxSearchLength bounds a nameContains filter, in characters.
const MaxSearchLength = 200

// LikePattern turns a nameContains filter into an ILIKE pattern that matches it literally.
func LikePattern(s string) (string, error) {
	if utf8.RuneCountInString(s) > MaxSearchLength {
		return "", Errorf(BadUserInput, "nameContains can be at most %d characters long.", MaxSearchLength)
	}
	if strings.ContainsRune(s, 0) {
		return "", Errorf(BadUserInput, "nameContains cannot contain a NUL character.")
	}
	if !utf8.ValidString(s) {
		return "", Errorf(BadUserInput, "nameContains must be valid UTF-8 text.")
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%", nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Order sorts a relationship list by the column it names, ascending, ties broken by id;
// the zero Order sorts by id. An order enum's value is one, so a new value needs only the
// name of a column of the list's model.
type Order string

// The orders of ItemOrder and TagOrder.
const (
	ByID    Order = ""
	ByName  Order = "name"
	ByPrice Order = "price"
)

// ListArgs are the per-parent arguments of a relationship list (Store.items, Item.tags, ...).
// It is comparable: loaders are kept per distinct ListArgs.
type ListArgs struct {
	Limit  int // -1: no limit
	Offset int
	Order  Order
}

// NewListArgs checks first and offset as clients send them.
func NewListArgs(first *int, offset *int, order Order) (ListArgs, error) {
	a := ListArgs{Limit: -1, Order: order}
	if first != nil {
		if *first < 0 {
			return a, Errorf(BadUserInput, "first cannot be negative.")
		}
		a.Limit = *first
	}
	if offset != nil {
		if *offset < 0 {
			return a, Errorf(BadUserInput, "offset cannot be negative.")
		}
		a.Offset = *offset
	}
	return a, nil
}

// MaxPageSize is the largest `first` of a connection.
const MaxPageSize = 100

// Page is one page of a connection: rows with ids after After, First of them.
type Page struct {
	First int
	After ID // 0: from the start
}

// NewPage checks a connection's first and after as clients send them.
func NewPage(first *int, after *string) (Page, error) {
	p := Page{First: 20}
	if first != nil {
		if *first < 0 || *first > MaxPageSize {
			return p, Errorf(BadUserInput, "first must be between 0 and %d.", MaxPageSize)
		}
		p.First = *first
	}
	if after != nil {
		id, err := ParseCursor(*after)
		if err != nil {
			return p, err
		}
		p.After = id
	}
	return p, nil
}

const cursorPrefix = "cursor:"

// Cursor returns the opaque cursor of the row with this id.
func Cursor(id ID) string { return string(AppendCursor(nil, id)) }

// AppendCursor appends the cursor of the row with this id to b.
func AppendCursor(b []byte, id ID) []byte {
	var raw [len(cursorPrefix) + 20]byte
	return base64.RawURLEncoding.AppendEncode(b, strconv.AppendInt(append(raw[:0], cursorPrefix...), int64(id), 10))
}

// CursorLen is the length of the cursor of the row with this id.
func CursorLen(id ID) int {
	var raw [20]byte
	return base64.RawURLEncoding.EncodedLen(len(cursorPrefix) + len(strconv.AppendInt(raw[:0], int64(id), 10)))
}

// ParseCursor reads a cursor made by Cursor.
func ParseCursor(s string) (ID, error) {
	bad := Errorf(BadUserInput, "That cursor is not valid: use a cursor from a page of the same list.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, bad
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, bad
	}
	id, err := ParseID(rest)
	if err != nil {
		return 0, bad
	}
	return id, nil
}
