package apply

import (
	"math"
	"strconv"
)

// Number parsing with the exact acceptance rules of Redis's util.c and
// object.c, since a replica must accept and reject the same arguments as
// its master.

const longStrSize = 21 // LONG_STR_SIZE: string2ll rejects anything this long

// parseInt64 is Redis's string2ll: an optional '-', then digits with no
// leading zero (except "0" itself), no spaces, no '+', in int64 range.
func parseInt64(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n >= longStrSize {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := false
	if b[0] == '-' {
		neg = true
		i++
		if i == n {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		d := uint64(c - '0')
		if v > math.MaxUint64-d {
			return 0, false
		}
		v += d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// parseInt32 is getIntFromObject: string2ll within int range.
func parseInt32(b []byte) (int, bool) {
	v, ok := parseInt64(b)
	if !ok || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// parseUint64 is Redis's string2ull: string2ll for non-negative values,
// else C strtoull (which accepts leading spaces and a sign, and wraps "-1").
func parseUint64(b []byte) (uint64, bool) {
	if v, ok := parseInt64(b); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	s := cString(b)
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	// strtoull must consume everything (*endptr == '\0'), the string must be
	// non-empty, and a string with no digits is EINVAL-free but leaves
	// endptr at the start, which is only "valid" when s is empty (rejected).
	if len(s) == 0 || i != len(s) || i == start || overflow {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// cString returns b up to its first NUL byte, as C string functions see it.
func cString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// strtod emulates glibc strtod on s (which must not contain NUL): it returns
// the value, how many bytes formed the number (0 when no conversion), and
// whether glibc would set ERANGE with a zero or infinite result (overflow,
// or underflow of a non-zero number to zero).
func strtod(s []byte) (v float64, n int, rangeErr bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := s[i:]
	if hasPrefixFold(rest, "inf") {
		j := i + 3
		if hasPrefixFold(rest, "infinity") {
			j = i + 8
		}
		return sign(math.Inf(1)), j, false
	}
	if hasPrefixFold(rest, "nan") {
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return sign(math.NaN()), j, false
	}
	if len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		if f, j, re, ok := strtodHex(s, i+2, neg); ok {
			return f, j, re
		}
		// "0x" without hex digits: only the "0" converts.
		return sign(0), i + 1, false
	}
	// Decimal.
	j := i
	digits, nonzero := 0, false
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		if s[j] != '0' {
			nonzero = true
		}
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if s[j] != '0' {
				nonzero = true
			}
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	end := j
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			end = k
		}
	}
	f, err := strconv.ParseFloat(string(s[i:end]), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return sign(f), end, true // ±Inf
		}
		// Exponents too large for ParseFloat's syntax never happen: it
		// accepts any digit count. Treat anything else as no conversion.
		return 0, 0, false
	}
	if f == 0 && nonzero {
		return sign(0), end, true // underflow to zero
	}
	return sign(f), end, false
}

// strtodHex parses the hex-float body starting at s[i] (after "0x").
func strtodHex(s []byte, i int, neg bool) (float64, int, bool, bool) {
	j := i
	digits := 0
	var b []byte
	b = append(b, "0x"...)
	for j < len(s) && isHex(s[j]) {
		b = append(b, s[j])
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		b = append(b, '.')
		j++
		for j < len(s) && isHex(s[j]) {
			b = append(b, s[j])
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false, false
	}
	exp := []byte("p0")
	if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			exp = append([]byte{'p'}, s[j+1:k]...)
			j = k
		}
	}
	b = append(b, exp...)
	f, err := strconv.ParseFloat(string(b), 64)
	re := false
	if err != nil {
		ne, ok := err.(*strconv.NumError)
		if !ok || ne.Err != strconv.ErrRange {
			return 0, 0, false, false
		}
		re = true
	}
	if neg {
		f = -f
	}
	return f, j, re, true
}

func hasPrefixFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// parseFloat64 is Redis's string2d (getDoubleFromObject): the whole string
// must be a number, no leading space, no NaN, no overflow or underflow to
// zero. Infinity spelled out ("inf", "-infinity") is accepted.
func parseFloat64(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	v, n, re := strtod(b)
	if n != len(b) || re || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// parseRangeFloat is the strtod use in zslParseRange: the C string (up to
// a NUL) must be consumed entirely, leading spaces are fine, NaN is not,
// and overflow is not checked. An empty string parses as 0.
func parseRangeFloat(b []byte) (float64, bool) {
	s := cString(b)
	v, n, _ := strtod(s)
	if n != len(s) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// eqFold reports whether b equals the lower-case ASCII word s, ignoring case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
