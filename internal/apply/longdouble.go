package apply

import (
	"math/big"
)

// INCRBYFLOAT and HINCRBYFLOAT compute in C long double, which on the
// x86-64 builds of Redis is the x87 80-bit extended format: a 64-bit
// significand, round-to-nearest-even, and an exponent range up to 2^16384.
// These commands reach a replica already rewritten to SET/HSET by every
// master since 2.6, but applying them directly must still give the bytes a
// master would store, so the arithmetic is emulated with big.Float at 64
// bits of precision. Subnormal long doubles (below 2^-16382) are not
// modelled; they keep full precision here.

const (
	ldPrec        = 64
	ldMaxExp      = 16384  // |x| < 2^16384 (big.Float exponent of the max is 16384)
	ldMinExp      = -16444 // smallest subnormal 2^-16445 has big.Float exponent -16444
	maxLDChars    = 5 * 1024
	ldDecOverflow = 4933 // 10^4933 > max long double
	ldDecUnder    = -4952
)

// longDouble is a finite or infinite long double value (never NaN).
type longDouble struct {
	f   big.Float // valid when inf == 0
	inf int       // +1 or -1 for ±Inf
}

func newLD() *longDouble {
	ld := &longDouble{}
	ld.f.SetPrec(ldPrec).SetMode(big.ToNearestEven)
	return ld
}

// parseLongDouble is Redis's string2ld: strtold must consume the whole
// string, with no leading space, and the result must not be NaN nor an
// overflow/underflow (ERANGE with an infinite or zero result).
func parseLongDouble(b []byte) (*longDouble, bool) {
	if len(b) == 0 || len(b) >= maxLDChars || isCSpace(b[0]) {
		return nil, false
	}
	i := 0
	neg := false
	if b[i] == '+' || b[i] == '-' {
		neg = b[i] == '-'
		i++
	}
	ld := newLD()
	rest := b[i:]
	switch {
	case eqFold(rest, "inf") || eqFold(rest, "infinity"):
		ld.inf = 1
		if neg {
			ld.inf = -1
		}
		return ld, true
	case hasPrefixFold(rest, "nan"):
		return nil, false
	case len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'):
		if !ld.parseHex(rest[2:]) {
			// Only "0" would convert; the rest is left over.
			return nil, false
		}
	default:
		if !ld.parseDec(rest) {
			return nil, false
		}
	}
	if neg {
		ld.f.Neg(&ld.f)
	}
	return ld, true
}

// parseDec parses digits[.digits][e[sign]digits] covering all of s.
func (ld *longDouble) parseDec(s []byte) bool {
	var mant []byte
	j, digits, frac := 0, 0, 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		mant = append(mant, s[j])
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			mant = append(mant, s[j])
			j++
			digits++
			frac++
		}
	}
	if digits == 0 {
		return false
	}
	exp := int64(0)
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		eneg := false
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			eneg = s[k] == '-'
			k++
		}
		if k >= len(s) || s[k] < '0' || s[k] > '9' {
			return false // "1e" leaves "e" unconsumed
		}
		for ; k < len(s) && s[k] >= '0' && s[k] <= '9'; k++ {
			if exp < 1<<40 {
				exp = exp*10 + int64(s[k]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		j = k
	}
	if j != len(s) {
		return false
	}
	// Strip leading zeros of the mantissa.
	z := 0
	for z < len(mant) && mant[z] == '0' {
		z++
	}
	mant = mant[z:]
	if len(mant) == 0 {
		ld.f.SetInt64(0)
		return true
	}
	e10 := exp - int64(frac)
	mag := int64(len(mant)) + e10 - 1 // floor(log10(|x|))
	if mag > ldDecOverflow || mag < ldDecUnder {
		return false // ERANGE: overflow to inf or underflow to zero
	}
	var n big.Int
	n.SetString(string(mant), 10)
	if e10 >= 0 {
		var p big.Int
		p.Exp(big.NewInt(10), big.NewInt(e10), nil)
		n.Mul(&n, &p)
		ld.f.SetInt(&n)
	} else {
		var p big.Int
		p.Exp(big.NewInt(10), big.NewInt(-e10), nil)
		var r big.Rat
		r.SetFrac(&n, &p)
		ld.f.SetRat(&r)
	}
	return ld.inRange()
}

// parseHex parses hexdigits[.hexdigits][p[sign]digits] covering all of s.
func (ld *longDouble) parseHex(s []byte) bool {
	var mant big.Int
	j, digits, frac := 0, 0, 0
	add := func(c byte) {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		default:
			d = int64(c-'A') + 10
		}
		mant.Lsh(&mant, 4)
		mant.Add(&mant, big.NewInt(d))
	}
	for j < len(s) && isHex(s[j]) {
		add(s[j])
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isHex(s[j]) {
			add(s[j])
			j++
			digits++
			frac++
		}
	}
	if digits == 0 {
		return false
	}
	exp := int64(0)
	if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
		k := j + 1
		eneg := false
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			eneg = s[k] == '-'
			k++
		}
		if k >= len(s) || s[k] < '0' || s[k] > '9' {
			return false
		}
		for ; k < len(s) && s[k] >= '0' && s[k] <= '9'; k++ {
			if exp < 1<<40 {
				exp = exp*10 + int64(s[k]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		j = k
	}
	if j != len(s) {
		return false
	}
	if mant.Sign() == 0 {
		ld.f.SetInt64(0)
		return true
	}
	e2 := exp - 4*int64(frac)
	if e2+int64(mant.BitLen()) > ldMaxExp+1 || e2+int64(mant.BitLen()) < ldMinExp-1 {
		return false
	}
	ld.f.SetInt(&mant)
	ld.f.SetMantExp(&ld.f, int(e2))
	return ld.inRange()
}

// inRange reports whether the (rounded) value is representable: not an
// overflow to infinity and not an underflow to zero.
func (ld *longDouble) inRange() bool {
	if ld.f.Sign() == 0 {
		return true
	}
	e := ld.f.MantExp(nil)
	return e <= ldMaxExp && e >= ldMinExp
}

// add sets ld to ld+o rounded to a long double. It reports false when the
// result is NaN or infinite ("increment would produce NaN or Infinity").
func (ld *longDouble) add(o *longDouble) bool {
	if ld.inf != 0 || o.inf != 0 {
		return false
	}
	ld.f.Add(&ld.f, &o.f)
	if ld.f.Sign() != 0 && ld.f.MantExp(nil) > ldMaxExp {
		return false
	}
	return true
}

// humanString is ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros
// (and a trailing '.') removed, and "-0" turned into "0".
func (ld *longDouble) humanString() []byte {
	if ld.inf > 0 {
		return []byte("inf")
	}
	if ld.inf < 0 {
		return []byte("-inf")
	}
	b := ld.f.Append(nil, 'f', 17)
	if len(b)+1 > maxLDChars {
		return []byte{}
	}
	for _, c := range b {
		if c == '.' {
			for b[len(b)-1] == '0' {
				b = b[:len(b)-1]
			}
			if b[len(b)-1] == '.' {
				b = b[:len(b)-1]
			}
			break
		}
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[:1]
		b[0] = '0'
	}
	return b
}
