package rdbjson

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/redis-follower/redis-follower/internal/store"
)

// Options tune the rendering.
type Options struct {
	// FieldTTLs renders hash fields as [field, value, field-expire-ms].
	FieldTTLs bool
}

// FieldTTLsFor reports whether an RDB of this magic ("REDIS" or
// "VALKEY") and version can carry hash field TTLs, i.e. whether its hash
// values are rendered with the third element.
func FieldTTLsFor(magic string, version int) bool {
	return magic == "VALKEY" || version >= 12
}

// AppendKey appends the JSON line of one key (ending with '\n') to dst.
func AppendKey(dst []byte, db int, key string, e *store.Entry, opts Options) []byte {
	dst = append(dst, `{"db": `...)
	dst = strconv.AppendInt(dst, int64(db), 10)
	dst = append(dst, `, "key": `...)
	dst = AppendString(dst, key)
	dst = append(dst, `, "type": "`...)
	dst = append(dst, e.Kind().String()...)
	dst = append(dst, `", "value": `...)
	dst = AppendValue(dst, e, opts)
	dst = append(dst, `, "expire": `...)
	if e.Expire == 0 {
		dst = append(dst, "-1"...)
	} else {
		dst = strconv.AppendInt(dst, e.Expire, 10)
	}
	return append(dst, "}\n"...)
}

// AppendValue appends the JSON value of e (see the package doc).
func AppendValue(dst []byte, e *store.Entry, opts Options) []byte {
	switch e.Kind() {
	case store.KindString:
		return AppendBytes(dst, e.Str())
	case store.KindList:
		dst = append(dst, '[')
		for i, v := range e.List().All() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendBytes(dst, v)
		}
		return append(dst, ']')
	case store.KindSet:
		dst = append(dst, '[')
		for i, m := range e.Set().Sorted() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendString(dst, m)
		}
		return append(dst, ']')
	case store.KindZSet:
		dst = append(dst, '[')
		i := 0
		for m, s := range e.ZSet().All() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			i++
			dst = append(dst, '[')
			dst = AppendString(dst, m)
			dst = append(dst, ", "...)
			dst = AppendFloat(dst, s)
			dst = append(dst, ']')
		}
		return append(dst, ']')
	case store.KindHash:
		h := e.Hash()
		dst = append(dst, '[')
		for i, f := range h.Fields() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			v, _ := h.Get([]byte(f))
			dst = append(dst, '[')
			dst = AppendString(dst, f)
			dst = append(dst, ", "...)
			dst = AppendBytes(dst, v)
			if opts.FieldTTLs {
				dst = append(dst, ", "...)
				if exp := h.FieldExpire([]byte(f)); exp != 0 {
					dst = strconv.AppendInt(dst, exp, 10)
				} else {
					dst = append(dst, "-1"...)
				}
			}
			dst = append(dst, ']')
		}
		return append(dst, ']')
	case store.KindStream:
		return appendStream(dst, e.Stream())
	case store.KindModule:
		m := e.Module()
		dst = append(dst, `{"module": `...)
		dst = AppendString(dst, m.TypeName)
		dst = append(dst, `, "serialized": {"base64": "`...)
		dst = base64.StdEncoding.AppendEncode(dst, m.Raw)
		return append(dst, `"}}`...)
	}
	return append(dst, "null"...)
}

func appendID(dst []byte, id store.StreamID) []byte {
	dst = append(dst, '"')
	dst = id.AppendTo(dst)
	return append(dst, '"')
}

func appendStream(dst []byte, s *store.Stream) []byte {
	dst = append(dst, "[["...)
	for i, en := range s.Entries() {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '[')
		dst = appendID(dst, en.ID)
		dst = append(dst, ", ["...)
		for j, f := range en.Fields {
			if j > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendBytes(dst, f)
		}
		dst = append(dst, "]]"...)
	}
	dst = append(dst, "], ["...)
	for i, g := range s.Groups() {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '[')
		dst = AppendString(dst, g.Name)
		dst = append(dst, ", "...)
		dst = appendID(dst, g.LastID)
		dst = append(dst, ", ["...)
		for j, p := range g.SortedPEL() {
			if j > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(dst, '[')
			dst = appendID(dst, p.ID)
			dst = append(dst, ", "...)
			dst = strconv.AppendUint(dst, p.DeliveryCount, 10)
			dst = append(dst, ']')
		}
		dst = append(dst, "], ["...)
		n := 0
		for _, c := range g.SortedConsumers() {
			if len(c.Pending) == 0 {
				continue
			}
			if n > 0 {
				dst = append(dst, ", "...)
			}
			n++
			dst = append(dst, '[')
			dst = AppendString(dst, c.Name)
			dst = append(dst, ", ["...)
			for j, p := range c.SortedPending() {
				if j > 0 {
					dst = append(dst, ", "...)
				}
				dst = appendID(dst, p.ID)
			}
			dst = append(dst, "]]"...)
		}
		dst = append(dst, "]]"...)
	}
	dst = append(dst, `], [["entries-added", `...)
	dst = strconv.AppendUint(dst, s.EntriesAdded, 10)
	dst = append(dst, `], ["last-generated-id", `...)
	dst = appendID(dst, s.LastID)
	dst = append(dst, `], ["max-deleted-entry-id", `...)
	dst = appendID(dst, s.MaxDeletedID)
	dst = append(dst, `], ["recorded-first-entry-id", `...)
	dst = appendID(dst, s.FirstID)
	return append(dst, "]]]"...)
}

// Printable reports whether b is rendered as a JSON string: valid UTF-8
// made of printable characters (Python's str.isprintable: no control,
// format, private-use, unassigned or separator characters other than the
// ASCII space).
func Printable(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || !unicode.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}

// AppendString is AppendBytes for a string.
func AppendString(dst []byte, s string) []byte {
	return AppendBytes(dst, unsafeBytes(s))
}

// AppendBytes appends b as a JSON string (printable UTF-8, non-ASCII
// escaped as \uXXXX like json.dumps) or as {"base64": "..."}.
func AppendBytes(dst, b []byte) []byte {
	if !Printable(b) {
		dst = append(dst, `{"base64": "`...)
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, `"}`...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r >= 0x10000 {
			r1, r2 := utf16Surrogates(r)
			dst = appendU(appendU(dst, r1), r2)
		} else {
			dst = appendU(dst, r)
		}
	}
	return append(dst, '"')
}

func utf16Surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

func appendU(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// AppendFloat appends f as Python's repr writes it (shortest round-trip
// digits; fixed notation for 1e-4 <= |f| < 1e16 with at least one
// decimal, else d.ddde±XX), ±infinity as the JSON strings "Infinity" and
// "-Infinity", NaN as "NaN".
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	mant, exp := e, 0
	for i, c := range e {
		if c == 'e' {
			mant = e[:i]
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	var dbuf [24]byte
	digits := dbuf[:0]
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	if neg {
		dst = append(dst, '-')
	}
	decpt := exp + 1 // digits[0] is at 10^exp
	if decpt <= -4 || decpt > 16 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	switch {
	case decpt <= 0:
		dst = append(dst, "0."...)
		for i := 0; i < -decpt; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	case decpt >= len(digits):
		dst = append(dst, digits...)
		for i := len(digits); i < decpt; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, ".0"...)
	default:
		dst = append(dst, digits[:decpt]...)
		dst = append(dst, '.')
		dst = append(dst, digits[decpt:]...)
	}
	return dst
}

func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
