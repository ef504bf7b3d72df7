package store

import (
	"iter"
	"math"
	"math/rand/v2"
	"strings"
	"unsafe"
)

// ZSet is a sorted set: members ordered by (score, member bytewise).
//
// A ZSet is a view of its Entry. Packed (pack.go), each member is its
// score (8 bytes) and its bytes, in order, and every operation is a
// linear scan. Big (more than packMaxEntries members or packMaxBytes
// bytes), a skiplist with spans (as Redis's t_zset.c: O(log n) insert,
// delete, rank and score-range lookups) plus a member -> score map.
type ZSet struct{ e Entry }

type zsetBig struct {
	dict   map[string]float64
	head   *zslNode
	tail   *zslNode
	length int
	level  int
}

const (
	zslMaxLevel  = 32
	zslThreshold = 0xFFFF / 4 // ZSKIPLIST_P = 0.25 of 0xFFFF
)

type zslLevel struct {
	forward *zslNode
	span    int
}

type zslNode struct {
	member string
	score  float64
	back   *zslNode
	level  []zslLevel
}

// NewZSet returns an empty sorted set with room for capHint members.
func NewZSet(capHint int) *ZSet {
	z := &ZSet{e: Entry{kind: KindZSet}}
	if capHint > packMaxEntries {
		z.toBig(capHint)
	}
	return z
}

func newZSetBig(capHint int) *zsetBig {
	return &zsetBig{
		dict:  make(map[string]float64, capHint),
		head:  &zslNode{level: make([]zslLevel, zslMaxLevel)},
		level: 1,
	}
}

func (z *ZSet) big() *zsetBig { return (*zsetBig)(z.e.obj) }

// toBig converts the packed form; the members become views of the packed
// bytes, which are never written again.
func (z *ZSet) toBig(capHint int) {
	zb := newZSetBig(max(capHint, int(z.e.n)))
	b := z.e.str
	for p := 0; p < len(b); {
		sc, m, next := zpNext(b, p)
		ms := viewString(m)
		zb.dict[ms] = sc
		zb.insert(ms, sc)
		p = next
	}
	z.e.str, z.e.n, z.e.big, z.e.obj = nil, 0, true, unsafe.Pointer(zb)
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
		return z.big().length
	}
	return int(z.e.n)
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.e.big {
		s, ok := z.big().dict[string(member)]
		return s, ok
	}
	_, s, ok := z.pfind(member)
	return s, ok
}

// less reports whether (s1, m1) sorts before (s2, m2).
func less(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

func randomLevel() int {
	l := 1
	for l < zslMaxLevel && rand.Uint32()&0xFFFF < zslThreshold {
		l++
	}
	return l
}

func (z *zsetBig) insert(member string, score float64) {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		if i == z.level-1 {
			rank[i] = 0
		} else {
			rank[i] = rank[i+1]
		}
		for f := x.level[i].forward; f != nil && less(f.score, f.member, score, member); f = x.level[i].forward {
			rank[i] += x.level[i].span
			x = f
		}
		update[i] = x
	}
	lvl := randomLevel()
	if lvl > z.level {
		for i := z.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = z.head
			update[i].level[i].span = z.length
		}
		z.level = lvl
	}
	x = &zslNode{member: member, score: score, level: make([]zslLevel, lvl)}
	for i := 0; i < lvl; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = (rank[0] - rank[i]) + 1
	}
	for i := lvl; i < z.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != z.head {
		x.back = update[0]
	}
	if x.level[0].forward != nil {
		x.level[0].forward.back = x
	} else {
		z.tail = x
	}
	z.length++
}

func (z *zsetBig) remove(member string, score float64) {
	var update [zslMaxLevel]*zslNode
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && less(f.score, f.member, score, member); f = x.level[i].forward {
			x = f
		}
		update[i] = x
	}
	x = x.level[0].forward
	if x == nil || x.score != score || x.member != member {
		return // not reachable when dict and list agree
	}
	for i := 0; i < z.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if x.level[0].forward != nil {
		x.level[0].forward.back = x.back
	} else {
		z.tail = x.back
	}
	for z.level > 1 && z.head.level[z.level-1].forward == nil {
		z.level--
	}
	z.length--
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
	zb := z.big()
	if old, ok := zb.dict[string(member)]; ok {
		if old != score {
			m := zb.lookupMember(member)
			zb.remove(m, old)
			zb.insert(m, score)
			zb.dict[m] = score
		}
		return false
	}
	m := string(member)
	zb.dict[m] = score
	zb.insert(m, score)
	return true
}

// AddString is Add for a member given as a string (copied when
// inserted).
func (z *ZSet) AddString(member string, score float64) bool {
	if !z.e.big {
		return z.Add(view(member), score)
	}
	zb := z.big()
	if old, ok := zb.dict[member]; ok {
		if old != score {
			m := zb.lookupMember(view(member))
			zb.remove(m, old)
			zb.insert(m, score)
			zb.dict[m] = score
		}
		return false
	}
	member = strings.Clone(member)
	zb.dict[member] = score
	zb.insert(member, score)
	return true
}

// lookupMember returns the stored string for member (avoiding a copy).
func (z *zsetBig) lookupMember(member []byte) string {
	s := z.dict[string(member)]
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && less(f.score, f.member, s, string(member)); f = x.level[i].forward {
			x = f
		}
	}
	if f := x.level[0].forward; f != nil && f.member == string(member) {
		return f.member
	}
	return string(member)
}

// Remove deletes member and reports whether it was present.
func (z *ZSet) Remove(member []byte) bool {
	if !z.e.big {
		p, _, ok := z.pfind(member)
		if ok {
			z.pdelete(p)
		}
		return ok
	}
	zb := z.big()
	s, ok := zb.dict[string(member)]
	if !ok {
		return false
	}
	zb.remove(string(member), s)
	delete(zb.dict, string(member))
	return true
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
	s, ok := zb.dict[string(member)]
	if !ok {
		return 0, false
	}
	rank := 0
	x := zb.head
	for i := zb.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !less(s, string(member), f.score, f.member); f = x.level[i].forward {
			rank += x.level[i].span
			x = f
		}
		if x != zb.head && x.member == string(member) {
			return rank - 1, true
		}
	}
	return 0, false
}

// nodeAt returns the node at 0-based rank r (0 <= r < length).
func (z *zsetBig) nodeAt(r int) *zslNode {
	traversed := 0
	want := r + 1
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= want {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		if traversed == want {
			return x
		}
	}
	return nil
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
	n := z.big().nodeAt(r)
	return n.member, n.score
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
	zb := z.big()
	rank := 0
	x := zb.head
	for i := zb.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && pred(f.score, f.member); f = x.level[i].forward {
			rank += x.level[i].span
			x = f
		}
	}
	return rank
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
		n := z.big().nodeAt(start)
		for r := start; r < end && n != nil; r++ {
			if !yield(n.member, n.score) {
				return
			}
			n = n.level[0].forward
		}
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
		n := z.big().nodeAt(end - 1)
		for r := end - 1; r >= start && n != nil; r-- {
			if !yield(n.member, n.score) {
				return
			}
			n = n.back
		}
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
	zb := z.big()
	type ms struct {
		m string
		s float64
	}
	victims := make([]ms, 0, end-start)
	for m, s := range z.Range(start, end) {
		victims = append(victims, ms{m, s})
	}
	for _, v := range victims {
		zb.remove(v.m, v.s)
		delete(zb.dict, v.m)
	}
	return len(victims)
}
