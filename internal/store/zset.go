package store

import (
	"encoding/binary"
	"iter"
	"math"
	"unsafe"
)

// ZSet is a sorted set: members ordered by (score, member bytewise).
//
// A ZSet is a view of its Entry. Packed (pack.go), each member is its
// score (8 bytes) and its bytes, in order, and every operation is a
// linear scan. Big (more than packMaxEntries members or packMaxBytes
// bytes), a ztree orders the members (O(log n) insert, delete, rank and
// range lookups) and a ctab maps each member to its score; neither
// allocates per member.
type ZSet struct{ e Entry }

type zsetBig struct {
	dict ctab // member -> score (8 bytes, little-endian)
	tree ztree
}

// NewZSet returns an empty sorted set with room for capHint members.
func NewZSet(capHint int) *ZSet {
	z := &ZSet{e: Entry{kind: KindZSet}}
	if capHint > packMaxEntries {
		z.toBig(capHint)
	}
	return z
}

// newZSetBig builds the big form of the packed elements b (in order; a
// repeated member is reported as dup and left out of the dict).
func newZSetBig(b []byte, n int) (zb *zsetBig, dup []byte) {
	zb = &zsetBig{dict: *newCtab(n, true), tree: buildZtree(b)}
	zb.dict.reserve(len(b) + n)
	var sb [8]byte
	for p := 0; p < len(b); {
		sc, m, next := zpNext(b, p)
		putScore(sb[:], sc)
		if !zb.dict.put(m, sb[:]) && dup == nil {
			dup = m
		}
		p = next
	}
	return zb, dup
}

func (z *ZSet) big() *zsetBig { return (*zsetBig)(z.e.obj) }

// toBig converts the packed form.
func (z *ZSet) toBig(capHint int) {
	zb, _ := newZSetBig(z.e.str, max(capHint, int(z.e.n)))
	z.e.str, z.e.n, z.e.big, z.e.obj = nil, 0, true, unsafe.Pointer(zb)
}

// score returns member's score from the dict.
func (zb *zsetBig) score(member []byte) (float64, bool) {
	s, ok := zb.dict.get(member)
	if !ok {
		return 0, false
	}
	_, v := zb.dict.kv(s)
	return getScore(v), true
}

// set gives member (present or not) the score, in dict and tree.
func (zb *zsetBig) add(member []byte, score float64) bool {
	var sb [8]byte
	putScore(sb[:], score)
	old, had := zb.score(member)
	if had {
		if old == score {
			return false
		}
		zb.tree.remove(old, member)
	}
	zb.dict.put(member, sb[:])
	zb.tree.insert(score, member)
	return !had
}

func (zb *zsetBig) del(member []byte) bool {
	old, ok := zb.score(member)
	if !ok {
		return false
	}
	zb.tree.remove(old, member)
	zb.dict.del(member)
	return true
}

// zpNext returns the packed member at p and the offset of the next one.
func zpNext(b []byte, p int) (float64, []byte, int) {
	m, next := pkNext(b, p+8)
	return getScore(b[p:]), m, next
}

// pfind returns the offset, score and presence of member in the packed
// form.
func (z *ZSet) pfind(member []byte) (int, float64, bool) {
	b := z.e.str
	for p := 0; p < len(b); {
		q := p + 8
		if c := b[q]; c < 0x80 {
			e := q + 1 + int(c)
			if int(c) == len(member) && string(b[q+1:e]) == string(member) {
				return p, getScore(b[p:]), true
			}
			p = e
			continue
		}
		sc, m, e := zpNext(b, p)
		if string(m) == string(member) {
			return p, sc, true
		}
		p = e
	}
	return -1, 0, false
}

// pinsert inserts member with score at its place in the packed form (the
// caller checked it is absent and that it fits).
func (z *ZSet) pinsert(member []byte, score float64) {
	b := z.e.str
	p := 0
	for p < len(b) {
		sc, m, e := zpNext(b, p)
		if !less(sc, viewString(m), score, viewString(member)) {
			break
		}
		p = e
	}
	size := 8 + pkSize(len(member))
	b = spliceN(b, p, p, size)
	putScore(b[p:], score)
	pkPut(b, p+8, member)
	z.e.str = b
	z.e.n++
}

// pdelete removes the packed member at offset p.
func (z *ZSet) pdelete(p int) {
	_, _, e := zpNext(z.e.str, p)
	z.e.str = spliceN(z.e.str, p, e, 0)
	z.e.n--
}

// fits reports whether a new member of length mlen fits the packed form.
func (z *ZSet) fits(mlen int) bool {
	return int(z.e.n) < packMaxEntries && len(z.e.str)+8+pkSize(mlen) <= packMaxBytes
}

// Len returns the number of members.
func (z *ZSet) Len() int {
	if z.e.big {
		return z.big().tree.root.n
	}
	return int(z.e.n)
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.e.big {
		return z.big().score(member)
	}
	_, s, ok := z.pfind(member)
	return s, ok
}

// less reports whether (s1, m1) sorts before (s2, m2).
func less(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// Add sets member's score, inserting it if needed, and reports whether the
// member was new. member is copied when inserted; it must not be a view of
// this set.
func (z *ZSet) Add(member []byte, score float64) bool {
	if !z.e.big {
		p, old, ok := z.pfind(member)
		if ok {
			if old != score {
				z.pdelete(p)
				z.pinsert(member, score)
			}
			return false
		}
		if z.fits(len(member)) {
			z.pinsert(member, score)
			return true
		}
		z.toBig(0)
	}
	return z.big().add(member, score)
}

// AddString is Add for a member given as a string (copied when
// inserted).
func (z *ZSet) AddString(member string, score float64) bool { return z.Add(view(member), score) }

// Remove deletes member and reports whether it was present.
func (z *ZSet) Remove(member []byte) bool {
	if !z.e.big {
		p, _, ok := z.pfind(member)
		if ok {
			z.pdelete(p)
		}
		return ok
	}
	return z.big().del(member)
}

// Rank returns member's 0-based rank in ascending order.
func (z *ZSet) Rank(member []byte) (int, bool) {
	if !z.e.big {
		b := z.e.str
		for p, r := 0, 0; p < len(b); r++ {
			_, m, e := zpNext(b, p)
			if string(m) == string(member) {
				return r, true
			}
			p = e
		}
		return 0, false
	}
	zb := z.big()
	s, ok := zb.score(member)
	if !ok {
		return 0, false
	}
	return zb.tree.rank(s, member), true
}

// poffset returns the byte offset of the packed member at rank r
// (len(str) when r == Len).
func (z *ZSet) poffset(r int) int {
	b := z.e.str
	p := 0
	for ; r > 0 && p < len(b); r-- {
		p = pkSkip(b, p+8)
	}
	return p
}

// At returns the member (a view, valid until the set changes) and score
// at 0-based rank r (0 <= r < Len).
func (z *ZSet) At(r int) (string, float64) {
	if !z.e.big {
		sc, m, _ := zpNext(z.e.str, z.poffset(r))
		return viewString(m), sc
	}
	x, p, _ := z.big().tree.at(r)
	sc, m, _ := zpNext(x.b, p)
	return viewString(m), sc
}

// prefixLen returns how many leading elements satisfy pred, which must be
// true for a prefix of the order and false afterwards.
func (z *ZSet) prefixLen(pred func(score float64, member string) bool) int {
	if !z.e.big {
		b := z.e.str
		r := 0
		for p := 0; p < len(b); r++ {
			sc, m, e := zpNext(b, p)
			if !pred(sc, viewString(m)) {
				break
			}
			p = e
		}
		return r
	}
	return z.big().tree.prefixLen(pred)
}

// ScoreRange returns the rank interval [start, end) of the members whose
// score lies between min and max (each bound exclusive when its flag says
// so). end <= start means no member is in range.
func (z *ZSet) ScoreRange(min float64, minExcl bool, max float64, maxExcl bool) (start, end int) {
	start = z.prefixLen(func(s float64, _ string) bool { return s < min || (minExcl && s == min) })
	end = z.prefixLen(func(s float64, _ string) bool { return s < max || (!maxExcl && s == max) })
	return start, end
}

// LexBound is one end of a lexicographic range (ZRANGEBYLEX syntax).
type LexBound struct {
	Value     string
	Exclusive bool
	Inf       int // -1 for "-", +1 for "+", 0 for a value
}

// LexRange returns the rank interval [start, end) of the members between
// min and max in bytewise order. Meaningful only when all scores are equal.
func (z *ZSet) LexRange(min, max LexBound) (start, end int) {
	below := func(b LexBound, upper bool) func(float64, string) bool {
		return func(_ float64, m string) bool {
			switch b.Inf {
			case -1:
				return false
			case 1:
				return true
			}
			if upper {
				return m < b.Value || (!b.Exclusive && m == b.Value)
			}
			return m < b.Value || (b.Exclusive && m == b.Value)
		}
	}
	start = z.prefixLen(below(min, false))
	end = z.prefixLen(below(max, true))
	return start, end
}

// clamp bounds a rank interval to the set.
func (z *ZSet) clamp(start, end int) (int, int) {
	return max(start, 0), min(end, z.Len())
}

// Range iterates over ranks [start, end) in ascending order (members are
// views, valid until the set changes).
func (z *ZSet) Range(start, end int) iter.Seq2[string, float64] {
	return func(yield func(string, float64) bool) {
		start, end := z.clamp(start, end)
		if start >= end {
			return
		}
		if !z.e.big {
			b := z.e.str
			p := z.poffset(start)
			for r := start; r < end; r++ {
				sc, m, e := zpNext(b, p)
				if !yield(viewString(m), sc) {
					return
				}
				p = e
			}
			return
		}
		r := start
		z.big().tree.ascend(start, func(m string, sc float64) bool {
			if r >= end || !yield(m, sc) {
				return false
			}
			r++
			return true
		})
	}
}

// RevRange iterates over ranks [start, end) from end-1 down to start.
func (z *ZSet) RevRange(start, end int) iter.Seq2[string, float64] {
	return func(yield func(string, float64) bool) {
		start, end := z.clamp(start, end)
		if start >= end {
			return
		}
		if !z.e.big {
			b := z.e.str
			var offs [packMaxEntries]int32
			p := z.poffset(start)
			for r := start; r < end; r++ {
				offs[r-start] = int32(p)
				p = pkSkip(b, p+8)
			}
			for i := end - start - 1; i >= 0; i-- {
				sc, m, _ := zpNext(b, int(offs[i]))
				if !yield(viewString(m), sc) {
					return
				}
			}
			return
		}
		r := end - 1
		z.big().tree.descend(end-1, func(m string, sc float64) bool {
			if r < start || !yield(m, sc) {
				return false
			}
			r--
			return true
		})
	}
}

// All iterates over every member in ascending order.
func (z *ZSet) All() iter.Seq2[string, float64] { return z.Range(0, math.MaxInt) }

// DeleteRange removes ranks [start, end) and returns how many were removed.
func (z *ZSet) DeleteRange(start, end int) int {
	start, end = z.clamp(start, end)
	if start >= end {
		return 0
	}
	if !z.e.big {
		p := z.poffset(start)
		q := p
		for r := start; r < end; r++ {
			q = pkSkip(z.e.str, q+8)
		}
		z.e.str = spliceN(z.e.str, p, q, 0)
		z.e.n -= uint16(end - start)
		return end - start
	}
	// Copy the victims first: removing moves the bytes the views show.
	zb := z.big()
	var buf []byte
	for m, s := range z.Range(start, end) {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s))
		buf = pkAppend(buf, view(m))
	}
	for p := 0; p < len(buf); {
		sc, m, next := zpNext(buf, p)
		zb.tree.remove(sc, m)
		zb.dict.del(m)
		p = next
	}
	return end - start
}
