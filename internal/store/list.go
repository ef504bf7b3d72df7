package store

import "iter"

// List is a sequence of byte strings with O(1) push and pop at both ends
// and O(1) indexing (a ring-buffer deque).
type List struct {
	buf  [][]byte
	head int
	n    int
}

// NewList returns an empty list with room for capHint elements.
func NewList(capHint int) *List {
	if capHint < 0 {
		capHint = 0
	}
	return &List{buf: make([][]byte, capHint)}
}

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

func (l *List) slot(i int) int {
	j := l.head + i
	if j >= len(l.buf) {
		j -= len(l.buf)
	}
	return j
}

// Index returns element i (0 <= i < Len).
func (l *List) Index(i int) []byte { return l.buf[l.slot(i)] }

// SetIndex replaces element i (0 <= i < Len) with v.
func (l *List) SetIndex(i int, v []byte) { l.buf[l.slot(i)] = v }

func (l *List) grow() {
	c := len(l.buf) * 2
	if c < 4 {
		c = 4
	}
	nb := make([][]byte, c)
	l.copyTo(nb)
	l.buf, l.head = nb, 0
}

// copyTo copies the elements in order to dst[0:n].
func (l *List) copyTo(dst [][]byte) {
	if l.head+l.n <= len(l.buf) {
		copy(dst, l.buf[l.head:l.head+l.n])
		return
	}
	k := copy(dst, l.buf[l.head:])
	copy(dst[k:], l.buf[:l.n-k])
}

// PushBack appends v.
func (l *List) PushBack(v []byte) {
	if l.n == len(l.buf) {
		l.grow()
	}
	l.buf[l.slot(l.n)] = v
	l.n++
}

// PushFront prepends v.
func (l *List) PushFront(v []byte) {
	if l.n == len(l.buf) {
		l.grow()
	}
	l.head--
	if l.head < 0 {
		l.head += len(l.buf)
	}
	l.buf[l.head] = v
	l.n++
}

// PopFront removes and returns the first element (nil if empty).
func (l *List) PopFront() []byte {
	if l.n == 0 {
		return nil
	}
	v := l.buf[l.head]
	l.buf[l.head] = nil
	l.head = l.slot(1)
	l.n--
	l.shrink()
	return v
}

// PopBack removes and returns the last element (nil if empty).
func (l *List) PopBack() []byte {
	if l.n == 0 {
		return nil
	}
	j := l.slot(l.n - 1)
	v := l.buf[j]
	l.buf[j] = nil
	l.n--
	l.shrink()
	return v
}

// shrink releases memory once the list uses under a quarter of its buffer.
func (l *List) shrink() {
	if len(l.buf) > 64 && l.n < len(l.buf)/4 {
		nb := make([][]byte, len(l.buf)/2)
		l.copyTo(nb)
		l.buf, l.head = nb, 0
	}
}

// Insert inserts v before position i (0 <= i <= Len).
func (l *List) Insert(i int, v []byte) {
	if i == 0 {
		l.PushFront(v)
		return
	}
	if i == l.n {
		l.PushBack(v)
		return
	}
	l.PushBack(nil)
	for j := l.n - 1; j > i; j-- {
		l.buf[l.slot(j)] = l.buf[l.slot(j-1)]
	}
	l.buf[l.slot(i)] = v
}

// RemoveAt removes element i (0 <= i < Len).
func (l *List) RemoveAt(i int) {
	for j := i; j < l.n-1; j++ {
		l.buf[l.slot(j)] = l.buf[l.slot(j+1)]
	}
	l.buf[l.slot(l.n-1)] = nil
	l.n--
	l.shrink()
}

// Filter keeps the elements for which keep returns true, in order, and
// returns how many were removed.
func (l *List) Filter(keep func(i int, v []byte) bool) int {
	w := 0
	for r := 0; r < l.n; r++ {
		v := l.buf[l.slot(r)]
		if keep(r, v) {
			l.buf[l.slot(w)] = v
			w++
		}
	}
	removed := l.n - w
	for j := w; j < l.n; j++ {
		l.buf[l.slot(j)] = nil
	}
	l.n = w
	l.shrink()
	return removed
}

// Trim keeps only elements start..stop (inclusive, already normalised to
// 0 <= start, stop < Len); start > stop empties the list.
func (l *List) Trim(start, stop int) {
	if start > stop || start >= l.n {
		l.Filter(func(int, []byte) bool { return false })
		return
	}
	for i := l.n - 1; i > stop; i-- {
		l.PopBack()
	}
	for i := 0; i < start; i++ {
		l.PopFront()
	}
}

// All iterates over the elements from head to tail.
func (l *List) All() iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for i := 0; i < l.n; i++ {
			if !yield(i, l.buf[l.slot(i)]) {
				return
			}
		}
	}
}
