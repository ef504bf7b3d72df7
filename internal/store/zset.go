package store

import (
	"iter"
	"math/rand/v2"
)

// ZSet is a sorted set: members ordered by (score, member bytewise), with
// O(log n) insert, delete, rank and score-range lookups (a skiplist with
// spans, as Redis's t_zset.c) plus a member -> score map.
type ZSet struct {
	dict   map[string]float64
	head   *zslNode
	tail   *zslNode
	length int
	level  int
	// enc is the encoding Redis would have for this set (see
	// zset_encoding.go); zero means not yet known.
	enc uint8
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
	if capHint < 0 {
		capHint = 0
	}
	return &ZSet{
		dict:  make(map[string]float64, capHint),
		head:  &zslNode{level: make([]zslLevel, zslMaxLevel)},
		level: 1,
	}
}

// Len returns the number of members.
func (z *ZSet) Len() int { return z.length }

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	s, ok := z.dict[string(member)]
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

func (z *ZSet) insert(member string, score float64) {
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

func (z *ZSet) remove(member string, score float64) {
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
// member was new. member is copied when inserted.
func (z *ZSet) Add(member []byte, score float64) bool {
	if old, ok := z.dict[string(member)]; ok {
		if old != score {
			m := z.lookupMember(member)
			z.remove(m, old)
			z.insert(m, score)
			z.dict[m] = score
		}
		return false
	}
	m := string(member)
	z.dict[m] = score
	z.insert(m, score)
	return true
}

// AddString is Add for a member that is already a string.
func (z *ZSet) AddString(member string, score float64) bool {
	if old, ok := z.dict[member]; ok {
		if old != score {
			z.remove(member, old)
			z.insert(member, score)
			z.dict[member] = score
		}
		return false
	}
	z.dict[member] = score
	z.insert(member, score)
	return true
}

// lookupMember returns the stored string for member (avoiding a copy).
func (z *ZSet) lookupMember(member []byte) string {
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
	s, ok := z.dict[string(member)]
	if !ok {
		return false
	}
	z.remove(string(member), s)
	delete(z.dict, string(member))
	return true
}

// Rank returns member's 0-based rank in ascending order.
func (z *ZSet) Rank(member []byte) (int, bool) {
	s, ok := z.dict[string(member)]
	if !ok {
		return 0, false
	}
	rank := 0
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !less(s, string(member), f.score, f.member); f = x.level[i].forward {
			rank += x.level[i].span
			x = f
		}
		if x != z.head && x.member == string(member) {
			return rank - 1, true
		}
	}
	return 0, false
}

// nodeAt returns the node at 0-based rank r (0 <= r < Len).
func (z *ZSet) nodeAt(r int) *zslNode {
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

// At returns the member and score at 0-based rank r (0 <= r < Len).
func (z *ZSet) At(r int) (string, float64) {
	n := z.nodeAt(r)
	return n.member, n.score
}

// prefixLen returns how many leading elements satisfy pred, which must be
// true for a prefix of the order and false afterwards.
func (z *ZSet) prefixLen(pred func(score float64, member string) bool) int {
	rank := 0
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
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

// Range iterates over ranks [start, end) in ascending order.
func (z *ZSet) Range(start, end int) iter.Seq2[string, float64] {
	return func(yield func(string, float64) bool) {
		if start < 0 {
			start = 0
		}
		if end > z.length {
			end = z.length
		}
		if start >= end {
			return
		}
		n := z.nodeAt(start)
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
		if start < 0 {
			start = 0
		}
		if end > z.length {
			end = z.length
		}
		if start >= end {
			return
		}
		n := z.nodeAt(end - 1)
		for r := end - 1; r >= start && n != nil; r-- {
			if !yield(n.member, n.score) {
				return
			}
			n = n.back
		}
	}
}

// All iterates over every member in ascending order.
func (z *ZSet) All() iter.Seq2[string, float64] { return z.Range(0, z.length) }

// DeleteRange removes ranks [start, end) and returns how many were removed.
func (z *ZSet) DeleteRange(start, end int) int {
	if start < 0 {
		start = 0
	}
	if end > z.length {
		end = z.length
	}
	if start >= end {
		return 0
	}
	type ms struct {
		m string
		s float64
	}
	victims := make([]ms, 0, end-start)
	for m, s := range z.Range(start, end) {
		victims = append(victims, ms{m, s})
	}
	for _, v := range victims {
		z.remove(v.m, v.s)
		delete(z.dict, v.m)
	}
	return len(victims)
}
