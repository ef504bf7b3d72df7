package store

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"unsafe"
)

// Packed forms. A small hash, set or sorted set keeps its elements in one
// byte slice, scanned linearly (Redis keeps small collections in a
// listpack for the same reason: a few dozen bytes instead of a hash table
// and an allocation per element). An element is its length as a uvarint
// followed by its bytes; a hash alternates field and value, a sorted set
// precedes each member with its score (8 bytes, little-endian IEEE bits)
// and keeps them ordered by (score, member). A list node also ends each
// element with its length written backwards, so it can be walked from
// both ends (list.go).
//
// A packed value turns into its big form (ctab.go, ztree.go; lists become
// chains of nodes) once it holds more than packMaxEntries elements or
// packMaxBytes bytes, and stays big (as Redis does). Packed buffers are
// written only by this package, so the scans trust them.

const (
	packMaxEntries = 128
	packMaxBytes   = 8192
)

// pkSize is the encoded size of an element of n bytes.
func pkSize(n int) int {
	if n < 0x80 {
		return 1 + n
	}
	return uvarintLen(n) + n
}

func uvarintLen(n int) int { return (bits.Len64(uint64(n)|1) + 6) / 7 }

// pkAppend appends the element v.
func pkAppend(b, v []byte) []byte {
	if len(v) < 0x80 {
		b = append(b, byte(len(v)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(v)))
	}
	return append(b, v...)
}

// pkPut writes the element v at b[p:] (which has room) and returns the
// offset after it.
func pkPut(b []byte, p int, v []byte) int {
	if len(v) < 0x80 {
		b[p] = byte(len(v))
		p++
	} else {
		p += binary.PutUvarint(b[p:], uint64(len(v)))
	}
	return p + copy(b[p:], v)
}

// pkNext returns the element at p (a view, capacity clipped) and the
// offset of the next one.
func pkNext(b []byte, p int) ([]byte, int) {
	if c := b[p]; c < 0x80 {
		e := p + 1 + int(c)
		return b[p+1 : e : e], e
	}
	n, k := binary.Uvarint(b[p:])
	s := p + k
	e := s + int(n)
	return b[s:e:e], e
}

// pkSkip returns the offset of the element after the one at p.
func pkSkip(b []byte, p int) int {
	if c := b[p]; c < 0x80 {
		return p + 1 + int(c)
	}
	n, k := binary.Uvarint(b[p:])
	return p + k + int(n)
}

// pkFind returns the offset of the first element equal to v, stepping
// over stride-1 elements after each compared one (2 for a hash's fields),
// or -1. Elements shorter than 128 bytes (one length byte) take the fast
// path; the last byte is compared before the whole element.
func pkFind(b, v []byte, stride int) int {
	n := len(v)
	var last byte
	if n > 0 {
		last = v[n-1]
	}
	for p := 0; p < len(b); {
		c := int(b[p])
		if c < 0x80 {
			e := p + 1 + c
			if c == n && (n == 0 || b[e-1] == last) && string(b[p+1:e]) == string(v) {
				return p
			}
			p = e
		} else {
			x, e := pkNext(b, p)
			if string(x) == string(v) {
				return p
			}
			p = e
		}
		if stride == 2 {
			if c := int(b[p]); c < 0x80 {
				p += 1 + c
			} else {
				p = pkSkip(b, p)
			}
		}
	}
	return -1
}

// spliceN resizes b[i:j] to n bytes (moving what follows) and returns the
// resized slice; the caller fills b[i:i+n]. It grows b as append does.
func spliceN(b []byte, i, j, n int) []byte {
	d := n - (j - i)
	if d <= 0 {
		copy(b[i+n:], b[j:])
		return b[:len(b)+d]
	}
	old := len(b)
	b = slices.Grow(b, d)[:old+d]
	copy(b[j+d:], b[j:old])
	return b
}

// view returns the bytes of s without copying (read only).
func view(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// viewString returns b as a string without copying: b must never be written
// again while the string lives.
func viewString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// score encoding in packed sorted sets.
func putScore(b []byte, f float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(f)) }
func getScore(b []byte) float64    { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
