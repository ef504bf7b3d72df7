package store

import (
	"encoding/binary"
	"iter"
	"slices"
	"unsafe"
)

// List is a sequence of byte strings with cheap push and pop at both ends.
//
// A List is a view of its Entry. Its elements live in nodes of at most
// listNodeMax bytes (an element larger than that gets a node of its own),
// as in Redis's quicklist: each element is its length as a uvarint, its
// bytes, and its length again written backwards, so a node is walked from
// either end. A node's elements are b[off:]; the bytes before off are room
// for pushes at the front, so pops and pushes at both ends move nothing.
// A list that fits one node keeps it inline in the entry (str, off, n);
// a longer one is big: obj points at the chain of nodes.
type List struct{ e Entry }

// listNodeMax bounds the bytes of a node (Redis's list-max-listpack-size
// -2 is 8 KB; smaller nodes make inserts and removals in the middle
// cheaper).
const listNodeMax = 4096

type qlist struct {
	nodes []qnode
	n     int
}

type qnode struct {
	b   []byte // the elements are b[off:]
	off int32
	n   int32
}

// ---- element encoding ----

// leSize is the encoded size of an element of n bytes.
func leSize(n int) int {
	if n < 0x80 {
		return n + 2
	}
	return n + 2*uvarintLen(n)
}

// lePut writes v at b[p:] and returns the offset after it.
func lePut(b []byte, p int, v []byte) int {
	if len(v) < 0x80 {
		b[p] = byte(len(v))
		copy(b[p+1:], v)
		b[p+1+len(v)] = byte(len(v))
		return p + 2 + len(v)
	}
	k := binary.PutUvarint(b[p:], uint64(len(v)))
	q := p + k + copy(b[p+k:], v)
	for i := 0; i < k; i++ {
		b[q+i] = b[p+k-1-i]
	}
	return q + k
}

// leNext returns the element starting at p (a view, capacity clipped) and
// the offset after it.
func leNext(b []byte, p int) ([]byte, int) {
	if c := b[p]; c < 0x80 {
		s := p + 1
		e := s + int(c)
		return b[s:e:e], e + 1
	}
	n, k := binary.Uvarint(b[p:])
	s := p + k
	e := s + int(n)
	return b[s:e:e], e + k
}

// leSkip returns the offset after the element starting at p.
func leSkip(b []byte, p int) int {
	if c := b[p]; c < 0x80 {
		return p + 2 + int(c)
	}
	n, k := binary.Uvarint(b[p:])
	return p + 2*k + int(n)
}

// lePrev returns the element ending at end and its start offset.
func lePrev(b []byte, end int) ([]byte, int) {
	if c := b[end-1]; c < 0x80 {
		e := end - 1
		s := e - int(c)
		return b[s:e:e], s - 1
	}
	var n uint64
	k, shift := 0, 0
	for {
		c := b[end-1-k]
		n |= uint64(c&0x7f) << shift
		k++
		if c < 0x80 {
			break
		}
		shift += 7
	}
	e := end - k
	s := e - int(n)
	return b[s:e:e], s - k
}

// ---- nodes ----

func (q *qnode) size() int { return len(q.b) - int(q.off) }

func (q *qnode) pushBack(v []byte) {
	sz := leSize(len(v))
	p := len(q.b)
	q.b = slices.Grow(q.b, sz)[:p+sz]
	lePut(q.b, p, v)
	q.n++
}

func (q *qnode) pushFront(v []byte) {
	sz := leSize(len(v))
	if int(q.off) < sz {
		size := q.size()
		head := sz + size + 8
		nb := make([]byte, head+size)
		copy(nb[head:], q.b[q.off:])
		q.b, q.off = nb, int32(head)
	}
	q.off -= int32(sz)
	lePut(q.b, int(q.off), v)
	q.n++
}

// popFront removes the first element and returns it: a view that stays
// intact until the node is next written.
func (q *qnode) popFront() []byte {
	v, e := leNext(q.b, int(q.off))
	q.off = int32(e)
	q.n--
	if q.n == 0 {
		q.b, q.off = nil, 0
	}
	return v
}

// popBack removes the last element and returns it (as popFront).
func (q *qnode) popBack() []byte {
	v, s := lePrev(q.b, len(q.b))
	q.b = q.b[:s]
	q.n--
	if q.n == 0 {
		q.b, q.off = nil, 0
	}
	return v
}

// seek returns the byte offset of element i (0 <= i <= n).
func (q *qnode) seek(i int) int {
	b := q.b
	if i <= int(q.n)/2 {
		p := int(q.off)
		for ; i > 0; i-- {
			p = leSkip(b, p)
		}
		return p
	}
	p := len(b)
	for j := int(q.n); j > i; j-- {
		_, p = lePrev(b, p)
	}
	return p
}

func (q *qnode) at(i int) []byte {
	v, _ := leNext(q.b, q.seek(i))
	return v
}

// elemSize returns the encoded size of element i.
func (q *qnode) elemSize(i int) int {
	p := q.seek(i)
	return leSkip(q.b, p) - p
}

func (q *qnode) replace(i int, v []byte) {
	p := q.seek(i)
	e := leSkip(q.b, p)
	sz := leSize(len(v))
	q.b = spliceN(q.b, p, e, sz)
	lePut(q.b, p, v)
}

// insert puts v before element i (0 < i < n; the ends are pushes).
func (q *qnode) insert(i int, v []byte) {
	p := q.seek(i)
	sz := leSize(len(v))
	q.b = spliceN(q.b, p, p, sz)
	lePut(q.b, p, v)
	q.n++
}

// removeRange removes elements [i, j).
func (q *qnode) removeRange(i, j int) {
	if i >= j {
		return
	}
	switch {
	case j == int(q.n) && i == 0:
		q.b, q.off = nil, 0
	case i == 0:
		q.off = int32(q.seek(j))
	case j == int(q.n):
		q.b = q.b[:q.seek(i)]
	default:
		p := q.seek(i)
		e := p
		for k := i; k < j; k++ {
			e = leSkip(q.b, e)
		}
		q.b = spliceN(q.b, p, e, 0)
	}
	q.n -= int32(j - i)
}

// filter keeps the elements keep approves (called with base+index) and
// returns how many it removed.
func (q *qnode) filter(base int, keep func(int, []byte) bool) int {
	b := q.b
	w, r := int(q.off), int(q.off)
	kept := 0
	for k := 0; k < int(q.n); k++ {
		v, e := leNext(b, r)
		if keep(base+k, v) {
			if w != r {
				copy(b[w:], b[r:e])
			}
			w += e - r
			kept++
		}
		r = e
	}
	removed := int(q.n) - kept
	q.b, q.n = b[:w], int32(kept)
	if kept == 0 {
		q.b, q.off = nil, 0
	}
	return removed
}

// split moves the second half of the node's bytes (whole elements) into
// a new node, returned.
func (q *qnode) split() qnode {
	half := q.size() / 2
	p, k := int(q.off), 0
	for k < int(q.n)-1 {
		e := leSkip(q.b, p)
		if e-int(q.off) > half && k > 0 {
			break
		}
		p = e
		k++
	}
	right := qnode{b: append([]byte(nil), q.b[p:]...), n: q.n - int32(k)}
	q.b = append(make([]byte, 0, p-int(q.off)), q.b[q.off:p]...)
	q.off, q.n = 0, int32(k)
	return right
}

// all yields the node's elements from index base on.
func (q *qnode) all(base int, yield func(int, []byte) bool) bool {
	b := q.b
	p := int(q.off)
	for k := 0; k < int(q.n); k++ {
		var v []byte
		v, p = leNext(b, p)
		if !yield(base+k, v) {
			return false
		}
	}
	return true
}

// ---- the chain of nodes ----

// locate returns the node holding element i and i's index in it.
func (ql *qlist) locate(i int) (int, int) {
	if i < ql.n/2 {
		for ni := range ql.nodes {
			if n := int(ql.nodes[ni].n); i < n {
				return ni, i
			} else {
				i -= n
			}
		}
	}
	j := ql.n - i // elements from element i to the end
	for ni := len(ql.nodes) - 1; ni >= 0; ni-- {
		n := int(ql.nodes[ni].n)
		if j <= n {
			return ni, n - j
		}
		j -= n
	}
	return len(ql.nodes) - 1, int(ql.nodes[len(ql.nodes)-1].n) // not reached for i < n
}

func (ql *qlist) pushBack(v []byte) {
	if k := len(ql.nodes); k > 0 {
		if last := &ql.nodes[k-1]; last.size()+leSize(len(v)) <= listNodeMax {
			last.pushBack(v)
			ql.n++
			return
		}
	}
	ql.nodes = append(ql.nodes, qnode{})
	ql.nodes[len(ql.nodes)-1].pushBack(v)
	ql.n++
}

func (ql *qlist) pushFront(v []byte) {
	if len(ql.nodes) == 0 || ql.nodes[0].size()+leSize(len(v)) > listNodeMax {
		ql.nodes = slices.Insert(ql.nodes, 0, qnode{})
	}
	ql.nodes[0].pushFront(v)
	ql.n++
}

// dropIfEmpty removes node ni when it holds nothing.
func (ql *qlist) dropIfEmpty(ni int) {
	if ql.nodes[ni].n > 0 {
		return
	}
	if ni == 0 {
		ql.nodes[0] = qnode{}
		ql.nodes = ql.nodes[1:]
		return
	}
	ql.nodes = slices.Delete(ql.nodes, ni, ni+1)
}

// fix splits node ni when a write made it outgrow listNodeMax.
func (ql *qlist) fix(ni int) {
	if q := &ql.nodes[ni]; q.size() > listNodeMax && q.n > 1 {
		right := q.split()
		ql.nodes = slices.Insert(ql.nodes, ni+1, right)
	}
}

// removeRange removes elements [i, j) (0 <= i < j <= n).
func (ql *qlist) removeRange(i, j int) {
	ql.n -= j - i
	out := ql.nodes[:0]
	base := 0
	for _, q := range ql.nodes {
		n := int(q.n)
		lo, hi := max(i-base, 0), min(j-base, n)
		base += n
		if lo < hi {
			q.removeRange(lo, hi)
		}
		if q.n > 0 {
			out = append(out, q)
		}
	}
	clear(ql.nodes[len(out):])
	ql.nodes = out
}

// ---- List ----

// NewList returns an empty list (capHint is accepted for compatibility;
// nodes grow as elements arrive).
func NewList(capHint int) *List { return &List{e: Entry{kind: KindList}} }

func (l *List) ql() *qlist { return (*qlist)(l.e.obj) }

func (l *List) inline() qnode { return qnode{b: l.e.str, off: int32(l.e.off), n: int32(l.e.n)} }

func (l *List) setInline(q qnode) { l.e.str, l.e.off, l.e.n = q.b, uint16(q.off), uint16(q.n) }

// toBig moves the inline node into a chain.
func (l *List) toBig() {
	q := l.inline()
	ql := &qlist{n: int(q.n)}
	if q.n > 0 {
		ql.nodes = []qnode{q}
	}
	l.e.str, l.e.off, l.e.n, l.e.big, l.e.obj = nil, 0, 0, true, unsafe.Pointer(ql)
}

// Len returns the number of elements.
func (l *List) Len() int {
	if l.e.big {
		return l.ql().n
	}
	return int(l.e.n)
}

// Index returns element i (0 <= i < Len): a view, valid until the list
// changes.
func (l *List) Index(i int) []byte {
	if !l.e.big {
		q := l.inline()
		return q.at(i)
	}
	ql := l.ql()
	ni, j := ql.locate(i)
	return ql.nodes[ni].at(j)
}

// SetIndex replaces element i (0 <= i < Len) with v (copied).
func (l *List) SetIndex(i int, v []byte) {
	if !l.e.big {
		q := l.inline()
		if q.size()-q.elemSize(i)+leSize(len(v)) <= listNodeMax {
			q.replace(i, v)
			l.setInline(q)
			return
		}
		l.toBig()
	}
	ql := l.ql()
	ni, j := ql.locate(i)
	ql.nodes[ni].replace(j, v)
	ql.fix(ni)
}

// PushBack appends v (copied).
func (l *List) PushBack(v []byte) {
	if !l.e.big {
		q := l.inline()
		if q.size()+leSize(len(v)) <= listNodeMax || q.n == 0 {
			q.pushBack(v)
			l.setInline(q)
			return
		}
		l.toBig()
	}
	l.ql().pushBack(v)
}

// PushFront prepends v (copied).
func (l *List) PushFront(v []byte) {
	if !l.e.big {
		q := l.inline()
		if q.size()+leSize(len(v)) <= listNodeMax {
			q.pushFront(v)
			l.setInline(q)
			return
		}
		l.toBig()
	}
	l.ql().pushFront(v)
}

// PopFront removes and returns the first element (nil if empty): a view,
// valid until the list changes again.
func (l *List) PopFront() []byte {
	if l.Len() == 0 {
		return nil
	}
	if !l.e.big {
		q := l.inline()
		v := q.popFront()
		l.setInline(q)
		return v
	}
	ql := l.ql()
	v := ql.nodes[0].popFront()
	ql.n--
	ql.dropIfEmpty(0)
	return v
}

// PopBack removes and returns the last element (nil if empty), a view
// as PopFront's.
func (l *List) PopBack() []byte {
	if l.Len() == 0 {
		return nil
	}
	if !l.e.big {
		q := l.inline()
		v := q.popBack()
		l.setInline(q)
		return v
	}
	ql := l.ql()
	k := len(ql.nodes) - 1
	v := ql.nodes[k].popBack()
	ql.n--
	ql.dropIfEmpty(k)
	return v
}

// Insert inserts v (copied) before position i (0 <= i <= Len).
func (l *List) Insert(i int, v []byte) {
	switch i {
	case 0:
		l.PushFront(v)
		return
	case l.Len():
		l.PushBack(v)
		return
	}
	if !l.e.big {
		q := l.inline()
		if q.size()+leSize(len(v)) <= listNodeMax {
			q.insert(i, v)
			l.setInline(q)
			return
		}
		l.toBig()
	}
	ql := l.ql()
	ni, j := ql.locate(i)
	if j == 0 && ni > 0 && ql.nodes[ni-1].size()+leSize(len(v)) <= listNodeMax {
		ql.nodes[ni-1].pushBack(v) // after the previous node's last
	} else if j == 0 {
		ql.nodes[ni].pushFront(v)
	} else {
		ql.nodes[ni].insert(j, v)
	}
	ql.n++
	ql.fix(ni)
}

// RemoveAt removes element i (0 <= i < Len).
func (l *List) RemoveAt(i int) {
	if !l.e.big {
		q := l.inline()
		q.removeRange(i, i+1)
		l.setInline(q)
		return
	}
	ql := l.ql()
	ni, j := ql.locate(i)
	ql.nodes[ni].removeRange(j, j+1)
	ql.n--
	ql.dropIfEmpty(ni)
}

// Filter keeps the elements for which keep returns true, in order, and
// returns how many were removed. keep gets each element's index before
// the filtering and a view valid during the call.
func (l *List) Filter(keep func(i int, v []byte) bool) int {
	if !l.e.big {
		q := l.inline()
		removed := q.filter(0, keep)
		l.setInline(q)
		return removed
	}
	ql := l.ql()
	removed, base := 0, 0
	out := ql.nodes[:0]
	for _, q := range ql.nodes {
		n := int(q.n)
		removed += q.filter(base, keep)
		base += n
		if q.n > 0 {
			out = append(out, q)
		}
	}
	clear(ql.nodes[len(out):])
	ql.nodes = out
	ql.n -= removed
	return removed
}

// Trim keeps only elements start..stop (inclusive, already normalised to
// 0 <= start, stop < Len); start > stop empties the list.
func (l *List) Trim(start, stop int) {
	n := l.Len()
	if start > stop || start >= n {
		start, stop = n, n-1 // remove everything
	}
	if !l.e.big {
		q := l.inline()
		q.removeRange(stop+1, n)
		q.removeRange(0, start)
		l.setInline(q)
		return
	}
	ql := l.ql()
	if stop+1 < n {
		ql.removeRange(stop+1, n)
	}
	if start > 0 {
		ql.removeRange(0, start)
	}
}

// All iterates over the elements from head to tail (views, valid until
// the list changes).
func (l *List) All() iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		if !l.e.big {
			q := l.inline()
			q.all(0, yield)
			return
		}
		base := 0
		for i := range l.ql().nodes {
			q := &l.ql().nodes[i]
			if !q.all(base, yield) {
				return
			}
			base += int(q.n)
		}
	}
}
