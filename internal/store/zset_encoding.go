package store

import "math"

// Redis keeps small sorted sets in a listpack and large ones in a
// skiplist, and the two differ in one observable way: a listpack stores a
// score that is a whole number as an integer, so -0 becomes 0, while a
// skiplist keeps -0. The encoding depends on the set's history (a set that
// grew past the limits stays a skiplist when it shrinks), so command
// application tracks it here. A set whose encoding was never set (built by
// the RDB loader) gets the encoding Redis picks when loading: listpack
// when it is within the limits.

const (
	zsetEncUnknown uint8 = iota
	zsetEncListpack
	zsetEncSkiplist
)

// ZSetLimits are the zset-max-listpack-entries/value settings of the
// master (128 and 64 by default).
type ZSetLimits struct {
	MaxEntries int
	MaxValue   int
}

// DefaultZSetLimits are Redis's defaults.
var DefaultZSetLimits = ZSetLimits{MaxEntries: 128, MaxValue: 64}

// IsListpack reports whether Redis would hold z as a listpack, inferring
// (and remembering) it from the limits when it is not known yet.
func (z *ZSet) IsListpack(lim ZSetLimits) bool {
	if z.e.zenc == zsetEncUnknown {
		z.e.zenc = zsetEncSkiplist
		if z.Len() <= lim.MaxEntries {
			z.e.zenc = zsetEncListpack
			for m := range z.All() {
				if len(m) > lim.MaxValue {
					z.e.zenc = zsetEncSkiplist
					break
				}
			}
		}
	}
	return z.e.zenc == zsetEncListpack
}

// Encoding reports the encoding recorded for z without inferring one:
// known is false for a set whose encoding was never set.
func (z *ZSet) Encoding() (listpack, known bool) {
	return z.e.zenc == zsetEncListpack, z.e.zenc != zsetEncUnknown
}

// SetListpack records the encoding Redis has for z.
func (z *ZSet) SetListpack(listpack bool) {
	if listpack {
		z.e.zenc = zsetEncListpack
	} else {
		z.e.zenc = zsetEncSkiplist
	}
}

// NormalizeNegZero turns every -0 score into 0, as converting a set to a
// listpack does. The order is unchanged (-0 and 0 compare equal).
func (z *ZSet) NormalizeNegZero() {
	if !z.e.big {
		b := z.e.str
		for p := 0; p < len(b); p = pkSkip(b, p+8) {
			if sc := getScore(b[p:]); sc == 0 && math.Signbit(sc) {
				putScore(b[p:], 0)
			}
		}
		return
	}
	zb := z.big()
	for x := zb.tree.first; x != nil; x = x.next {
		for p := 0; p < len(x.b); {
			sc, m, next := zpNext(x.b, p)
			if sc == 0 && math.Signbit(sc) {
				putScore(x.b[p:], 0)
				if s, ok := zb.dict.get(m); ok {
					_, v := zb.dict.kv(s)
					putScore(v, 0)
				}
			}
			p = next
		}
	}
}
