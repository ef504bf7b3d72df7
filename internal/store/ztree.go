package store

import (
	"slices"
	"strings"
)

// ztree orders a big sorted set: a B+tree counted by subtree sizes (rank
// and select in O(log n)) whose leaves are packed sorted-set buffers
// (pack.go: score, member; ordered by (score, member)) chained both ways.
// An inner node holds, for each child but the first, a separator that is
// a lower bound of the child's keys (a copy of its first key when the
// child was split off; deletions never make it wrong, so it is never
// updated). Leaves split past ztLeafMax bytes and merge with a sibling
// when both are small; empty nodes are removed.
type ztree struct {
	root        *ztNode
	first, last *ztNode // the leaf chain
}

const (
	ztLeafMax  = 1024 // bytes of a leaf before it splits
	ztLeafFill = 768  // bytes per leaf when built in bulk
	ztFanout   = 64   // children of an inner node before it splits
)

type ztKey struct {
	score  float64
	member string
}

type ztNode struct {
	n          int    // elements in the subtree
	b          []byte // leaf: the packed elements
	prev, next *ztNode
	kids       []*ztNode // inner node
	seps       []ztKey   // inner node: seps[i] bounds kids[i] from below (seps[0] unused)
}

func (x *ztNode) leaf() bool { return x.kids == nil }

func newZtree() ztree {
	l := &ztNode{}
	return ztree{root: l, first: l, last: l}
}

// sepLess reports whether the key (score, member) sorts before k.
func sepLess(score float64, member []byte, k *ztKey) bool {
	return score < k.score || (score == k.score && string(member) < k.member)
}

// child returns the index of the child of inner node x whose range holds
// (score, member): the last one whose separator is not above it.
func (x *ztNode) child(score float64, member []byte) int {
	lo, hi := 1, len(x.kids) // find the first separator above the key
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sepLess(score, member, &x.seps[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo - 1
}

// leafPos returns the offset in leaf bytes b where (score, member) is or
// would be, and whether it is there.
func leafPos(b []byte, score float64, member []byte) (int, bool) {
	for p := 0; p < len(b); {
		sc, m, e := zpNext(b, p)
		if sc > score || (sc == score && string(m) >= string(member)) {
			return p, sc == score && string(m) == string(member)
		}
		p = e
	}
	return len(b), false
}

func firstKey(b []byte) ztKey {
	sc, m, _ := zpNext(b, 0)
	return ztKey{sc, strings.Clone(viewString(m))}
}

// insert adds (score, member), which must be absent.
func (t *ztree) insert(score float64, member []byte) {
	right, sep := t.insertAt(t.root, score, member)
	if right != nil {
		old := t.root
		t.root = &ztNode{n: old.n + right.n, kids: []*ztNode{old, right}, seps: []ztKey{{}, sep}}
	}
}

// insertAt inserts below x and returns the node split off x, if any, with
// its separator.
func (t *ztree) insertAt(x *ztNode, score float64, member []byte) (*ztNode, ztKey) {
	x.n++
	if x.leaf() {
		p, _ := leafPos(x.b, score, member)
		size := 8 + pkSize(len(member))
		x.b = spliceN(x.b, p, p, size)
		putScore(x.b[p:], score)
		pkPut(x.b, p+8, member)
		if len(x.b) > ztLeafMax && x.n > 1 {
			r := t.splitLeaf(x)
			return r, firstKey(r.b)
		}
		return nil, ztKey{}
	}
	i := x.child(score, member)
	r, sep := t.insertAt(x.kids[i], score, member)
	if r == nil {
		return nil, ztKey{}
	}
	x.kids = slices.Insert(x.kids, i+1, r)
	x.seps = slices.Insert(x.seps, i+1, sep)
	if len(x.kids) <= ztFanout {
		return nil, ztKey{}
	}
	mid := len(x.kids) / 2
	nr := &ztNode{kids: slices.Clone(x.kids[mid:]), seps: slices.Clone(x.seps[mid:])}
	for _, k := range nr.kids {
		nr.n += k.n
	}
	sep = nr.seps[0]
	nr.seps[0] = ztKey{}
	clear(x.kids[mid:])
	clear(x.seps[mid:])
	x.kids, x.seps = x.kids[:mid], x.seps[:mid]
	x.n -= nr.n
	return nr, sep
}

// splitLeaf moves the second half of leaf x's bytes (whole elements) to a
// new leaf chained after it.
func (t *ztree) splitLeaf(x *ztNode) *ztNode {
	half := len(x.b) / 2
	p, k := 0, 0
	for p < len(x.b) {
		_, _, e := zpNext(x.b, p)
		if e > half && k > 0 {
			break
		}
		p = e
		k++
	}
	r := &ztNode{b: append([]byte(nil), x.b[p:]...), n: x.n - k}
	x.b = x.b[:p]
	x.n = k
	t.link(x, r)
	return r
}

// link chains leaf r after leaf x.
func (t *ztree) link(x, r *ztNode) {
	r.prev, r.next = x, x.next
	if x.next != nil {
		x.next.prev = r
	} else {
		t.last = r
	}
	x.next = r
}

func (t *ztree) unlink(x *ztNode) {
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		t.first = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		t.last = x.prev
	}
	x.prev, x.next = nil, nil
}

// remove deletes (score, member) and reports whether it was there.
func (t *ztree) remove(score float64, member []byte) bool {
	if !t.removeAt(t.root, score, member) {
		return false
	}
	for !t.root.leaf() && len(t.root.kids) == 1 {
		t.root = t.root.kids[0]
	}
	if !t.root.leaf() && len(t.root.kids) == 0 || t.root.n == 0 {
		*t = newZtree()
	}
	return true
}

func (t *ztree) removeAt(x *ztNode, score float64, member []byte) bool {
	if x.leaf() {
		p, ok := leafPos(x.b, score, member)
		if !ok {
			return false
		}
		_, _, e := zpNext(x.b, p)
		x.b = spliceN(x.b, p, e, 0)
		x.n--
		return true
	}
	i := x.child(score, member)
	kid := x.kids[i]
	if !t.removeAt(kid, score, member) {
		return false
	}
	x.n--
	switch {
	case kid.n == 0:
		if kid.leaf() {
			t.unlink(kid)
		}
		x.kids = slices.Delete(x.kids, i, i+1)
		x.seps = slices.Delete(x.seps, i, i+1)
	case kid.leaf() && len(kid.b) < ztLeafMax/4 && i+1 < len(x.kids):
		// Merge a small leaf with its right sibling when they fit one.
		if r := x.kids[i+1]; r.leaf() && len(kid.b)+len(r.b) <= ztLeafMax/2 {
			kid.b = append(kid.b, r.b...)
			kid.n += r.n
			t.unlink(r)
			x.kids = slices.Delete(x.kids, i+1, i+2)
			x.seps = slices.Delete(x.seps, i+1, i+2)
		}
	}
	return true
}

// rank returns the 0-based rank of (score, member), which must be present.
func (t *ztree) rank(score float64, member []byte) int {
	r := 0
	x := t.root
	for !x.leaf() {
		i := x.child(score, member)
		for _, k := range x.kids[:i] {
			r += k.n
		}
		x = x.kids[i]
	}
	for p := 0; p < len(x.b); r++ {
		sc, m, e := zpNext(x.b, p)
		if sc == score && string(m) == string(member) {
			break
		}
		p = e
	}
	return r
}

// at returns the leaf holding rank r (0 <= r < n), the offset of the
// element in it and its index in the leaf.
func (t *ztree) at(r int) (*ztNode, int, int) {
	x := t.root
	r = max(min(r, x.n-1), 0) // callers stay in range; never loop on a bad rank
	for !x.leaf() {
		for _, k := range x.kids {
			if r < k.n {
				x = k
				break
			}
			r -= k.n
		}
	}
	p := 0
	for i := 0; i < r; i++ {
		p = pkSkip(x.b, p+8)
	}
	return x, p, r
}

// prefixLen returns how many leading elements satisfy pred (true on a
// prefix of the order, false after it).
func (t *ztree) prefixLen(pred func(float64, string) bool) int {
	r := 0
	x := t.root
	for !x.leaf() {
		lo, hi := 1, len(x.kids) // the first separator pred rejects
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if pred(x.seps[m].score, x.seps[m].member) {
				lo = m + 1
			} else {
				hi = m
			}
		}
		i := lo - 1
		for _, k := range x.kids[:i] {
			r += k.n
		}
		x = x.kids[i]
	}
	for p := 0; p < len(x.b); r++ {
		sc, m, e := zpNext(x.b, p)
		if !pred(sc, viewString(m)) {
			break
		}
		p = e
	}
	return r
}

// ascend yields the elements from rank start on, in order.
func (t *ztree) ascend(start int, yield func(string, float64) bool) {
	x, p, _ := t.at(start)
	for ; x != nil; x, p = x.next, 0 {
		for p < len(x.b) {
			sc, m, e := zpNext(x.b, p)
			if !yield(viewString(m), sc) {
				return
			}
			p = e
		}
	}
}

// descend yields the elements from rank start down, in reverse order.
func (t *ztree) descend(start int, yield func(string, float64) bool) {
	x, _, i := t.at(start)
	var offs [ztLeafMax/9 + 2]int32 // a leaf holds at most ztLeafMax bytes plus one element
	for ; x != nil; x, i = x.prev, -1 {
		k := 0
		for p := 0; p < len(x.b) && (i < 0 || k <= i); k++ {
			offs[k] = int32(p)
			p = pkSkip(x.b, p+8)
		}
		for k--; k >= 0; k-- {
			sc, m, _ := zpNext(x.b, int(offs[k]))
			if !yield(viewString(m), sc) {
				return
			}
		}
	}
}

// buildZtree builds a tree from packed elements already in order.
func buildZtree(b []byte) ztree {
	var leaves []*ztNode
	for p := 0; p < len(b); {
		q, n := p, 0
		for q < len(b) && (n == 0 || q-p < ztLeafFill) {
			q = pkSkip(b, q+8)
			n++
		}
		leaves = append(leaves, &ztNode{b: append([]byte(nil), b[p:q]...), n: n})
		p = q
	}
	if len(leaves) == 0 {
		return newZtree()
	}
	for i := 1; i < len(leaves); i++ {
		leaves[i-1].next, leaves[i].prev = leaves[i], leaves[i-1]
	}
	t := ztree{first: leaves[0], last: leaves[len(leaves)-1]}
	level := leaves
	for len(level) > 1 {
		var up []*ztNode
		per := ztFanout * 3 / 4
		for i := 0; i < len(level); i += per {
			kids := slices.Clone(level[i:min(i+per, len(level))])
			x := &ztNode{kids: kids, seps: make([]ztKey, len(kids))}
			for j, k := range kids {
				x.n += k.n
				if j > 0 {
					x.seps[j] = minKey(k)
				}
			}
			up = append(up, x)
		}
		level = up
	}
	t.root = level[0]
	return t
}

// minKey is the first key under x (a fresh copy).
func minKey(x *ztNode) ztKey {
	for !x.leaf() {
		x = x.kids[0]
	}
	return firstKey(x.b)
}
