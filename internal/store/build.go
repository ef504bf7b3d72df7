package store

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strconv"
	"unsafe"
)

// Builder assembles list, set, sorted set and hash values for a loader
// (internal/rdbload): elements arrive in order, and Finish hands out the
// entry in the form the store keeps it in. A packed value is allocated
// once, together with its entry and the key name; a big one gets its
// elements' bytes from a few shared chunks (an arena) instead of one
// allocation each. A Builder is reused from value to value and is not
// safe for concurrent use. Views passed to it are copied.
//
// A loader treats a repeated set member, hash field or sorted-set member
// as corruption; the Builder finds repeats (in the packed form at Finish,
// with a hash of each element) and Finish reports the first one it saw.
type Builder struct {
	kind  Kind
	n     int    // elements so far (hashes: fields)
	buf   []byte // packed elements so far; lists: the node being filled
	nodeN int    // lists: elements in buf
	e     *Entry // the big form being filled; nil while packed
	last  []byte // hashes in the big form: the last field added
	dup   []byte // the first repeated element seen

	items []zitem  // sorted sets (packed): offsets of the members in buf
	nodes []qnode  // lists: full nodes
	tmp   []byte   // sorted sets: the reordered packed bytes
	seen  []dupKey // repeat detection scratch
}

type zitem struct {
	score float64
	off   int // of the score in buf
}

type dupKey struct {
	h   uint64
	off int
}

// Reset starts a value of kind (KindList, KindSet, KindZSet or KindHash)
// announced to hold about hint elements (hash: fields). The hint must
// already be bounded by the input; past packMaxEntries the value starts
// in its big form, presized.
func (b *Builder) Reset(kind Kind, hint int) {
	b.kind, b.n, b.nodeN, b.e, b.dup = kind, 0, 0, nil, nil
	b.buf = b.buf[:0]
	b.items = b.items[:0]
	clear(b.nodes)
	b.nodes = b.nodes[:0]
	if (kind == KindSet || kind == KindHash) && hint > packMaxEntries {
		b.toBig(hint)
	}
}

// Len returns the number of elements added so far (hash: fields).
func (b *Builder) Len() int { return b.n }

// toBig moves the elements gathered so far into the big form.
func (b *Builder) toBig(hint int) {
	hint = max(hint, b.n)
	buf := b.buf
	// Room for the records: the bytes per element seen so far, or a guess.
	per := 16
	if b.n > 0 {
		per = len(buf)/b.n + 1
	}
	switch b.kind {
	case KindSet:
		s := NewSet(0)
		t := newCtab(hint, false)
		t.reserve(hint * per)
		s.e.big, s.e.obj = true, unsafe.Pointer(t)
		b.e = &s.e
		for p := 0; p < len(buf); {
			var m []byte
			m, p = pkNext(buf, p)
			b.setAdd(t, m)
		}
	case KindHash:
		h := NewHash(0)
		hb := &hashBig{t: *newCtab(hint, true)}
		hb.t.reserve(hint * per)
		h.e.big, h.e.obj = true, unsafe.Pointer(hb)
		b.e = &h.e
		for p := 0; p < len(buf); {
			var f, v []byte
			f, p = pkNext(buf, p)
			v, p = pkNext(buf, p)
			b.hashPut(hb, f, v)
		}
	}
	b.buf = buf[:0]
}

func (b *Builder) noteDup(v []byte) {
	if b.dup == nil {
		b.dup = append([]byte{}, v...)
	}
}

func (b *Builder) setAdd(t *ctab, m []byte) {
	if !t.put(m, nil) {
		b.noteDup(m)
	}
}

func (b *Builder) hashPut(hb *hashBig, f, v []byte) {
	if !hb.t.put(f, v) {
		b.noteDup(f)
	}
	b.last = append(b.last[:0], f...)
}

// Add appends a list element or a set member.
func (b *Builder) Add(v []byte) {
	if b.kind == KindList {
		b.listAdd(v)
		return
	}
	b.n++
	if b.e == nil {
		if b.n <= packMaxEntries && len(b.buf)+pkSize(len(v)) <= packMaxBytes {
			b.buf = pkAppend(b.buf, v)
			return
		}
		b.toBig(0)
	}
	b.setAdd((*ctab)(b.e.obj), v)
}

// AddInt is Add of v in decimal.
func (b *Builder) AddInt(v int64) {
	var tmp [20]byte
	b.Add(strconv.AppendInt(tmp[:0], v, 10))
}

// AddPair appends a hash field and its value.
func (b *Builder) AddPair(field, value []byte) {
	b.n++
	if b.e == nil {
		if b.n <= packMaxEntries && len(b.buf)+pkSize(len(field))+pkSize(len(value)) <= packMaxBytes {
			b.buf = pkAppend(pkAppend(b.buf, field), value)
			return
		}
		b.toBig(0)
	}
	b.hashPut((*hashBig)(b.e.obj), field, value)
}

// FieldExpire gives the hash field added last an absolute expiry in ms
// (t > 0).
func (b *Builder) FieldExpire(t int64) {
	if b.e == nil {
		b.toBig(0)
	}
	hb := (*hashBig)(b.e.obj)
	if hb.ttl == nil {
		hb.ttl = make(map[string]int64)
	}
	hb.ttl[string(b.last)] = t
}

// AddScored appends a sorted-set member with its score (not NaN). The
// members may come in any order.
func (b *Builder) AddScored(member []byte, score float64) {
	b.n++
	off := len(b.buf)
	b.buf = slices.Grow(b.buf, 8)[:off+8]
	putScore(b.buf[off:], score)
	b.buf = pkAppend(b.buf, member)
	b.items = append(b.items, zitem{score, off})
}

func (b *Builder) listAdd(v []byte) {
	b.n++
	sz := leSize(len(v))
	if sz > listNodeMax {
		b.flushNode()
		nb := make([]byte, sz)
		lePut(nb, 0, v)
		b.nodes = append(b.nodes, qnode{b: nb, n: 1})
		return
	}
	if len(b.buf)+sz > listNodeMax {
		b.flushNode()
	}
	p := len(b.buf)
	b.buf = slices.Grow(b.buf, sz)[:p+sz]
	lePut(b.buf, p, v)
	b.nodeN++
}

func (b *Builder) flushNode() {
	if b.nodeN == 0 {
		return
	}
	b.nodes = append(b.nodes, qnode{b: append([]byte(nil), b.buf...), n: int32(b.nodeN)})
	b.buf, b.nodeN = b.buf[:0], 0
}

// Finish returns the value built (nil when it has no element: Redis
// skips empty collections), the key name as a string (sharing the
// value's allocation when it is packed) and the first repeated element
// found (nil if none; the value is then to be thrown away).
func (b *Builder) Finish(key []byte) (*Entry, string, []byte) {
	if b.n == 0 {
		return nil, "", nil
	}
	if b.kind == KindList && len(b.nodes) > 0 {
		b.flushNode()
		ql := &qlist{nodes: slices.Clone(b.nodes), n: b.n}
		l := NewList(0)
		l.e.big, l.e.obj = true, unsafe.Pointer(ql)
		return &l.e, string(key), nil
	}
	if b.e != nil {
		return b.e, string(key), b.dup
	}
	data := b.buf
	switch b.kind {
	case KindSet:
		b.findDup(1)
	case KindHash:
		b.findDup(2)
	case KindZSet:
		data = b.orderZSet()
		if b.n > packMaxEntries || len(data) > packMaxBytes {
			zb, dup := newZSetBig(data, b.n)
			z := NewZSet(0)
			z.e.big, z.e.obj = true, unsafe.Pointer(zb)
			if dup != nil {
				b.noteDup(dup)
			}
			return &z.e, string(key), b.dup
		}
		b.findDup(0)
	}
	e, mem := NewEmbedded(len(key) + len(data))
	copy(mem, key)
	copy(mem[len(key):], data)
	e.kind = b.kind
	e.str = mem[len(key):len(mem):len(mem)]
	e.n = uint16(b.n)
	return e, unsafe.String(unsafe.SliceData(mem), len(key)), b.dup
}

// orderZSet returns the packed sorted-set bytes in (score, member) order:
// buf itself when the members came in order, else reordered into tmp.
func (b *Builder) orderZSet() []byte {
	buf, items := b.buf, b.items
	member := func(it zitem) string {
		m, _ := pkNext(buf, it.off+8)
		return viewString(m)
	}
	compare := func(x, y zitem) int {
		if c := cmp.Compare(x.score, y.score); c != 0 {
			return c
		}
		return cmp.Compare(member(x), member(y))
	}
	asc, desc := true, true
	prev, pm := items[0].score, member(items[0])
	for _, it := range items[1:] {
		m := member(it)
		switch {
		case prev < it.score || (prev == it.score && pm < m):
			desc = false
		case prev > it.score || (prev == it.score && pm > m):
			asc = false
		default: // equal (a repeat) or NaN: sort, findDup reports it
			asc, desc = false, false
		}
		if !asc && !desc {
			break
		}
		prev, pm = it.score, m
	}
	if asc {
		return buf
	}
	if desc {
		slices.Reverse(items)
	} else {
		slices.SortFunc(items, compare)
	}
	out := b.tmp[:0]
	for _, it := range items {
		_, end := pkNext(buf, it.off+8)
		out = append(out, buf[it.off:end]...)
	}
	b.tmp = out
	return out
}

// findDup looks for a repeated element in the packed buffer: every
// element (stride 1), every other one (2: hash fields), or the members
// of items (0: sorted sets). It records the first repeat in b.dup.
func (b *Builder) findDup(stride int) {
	if b.n < 2 {
		return
	}
	buf := b.buf
	seen := b.seen[:0]
	if stride == 0 {
		for _, it := range b.items {
			seen = append(seen, dupKey{off: it.off + 8})
		}
	} else {
		for p := 0; p < len(buf); {
			seen = append(seen, dupKey{off: p})
			p = pkSkip(buf, p)
			if stride == 2 {
				p = pkSkip(buf, p)
			}
		}
	}
	b.seen = seen
	elem := func(k dupKey) []byte {
		v, _ := pkNext(buf, k.off)
		return v
	}
	if len(seen) <= 12 {
		// Compare hashes pairwise (members often share a long prefix),
		// bytes only when they are equal.
		var es [12][]byte
		var hs [12]uint64
		for i, k := range seen {
			es[i] = elem(k)
			hs[i] = hash64(es[i])
		}
		for i := 1; i < len(seen); i++ {
			for j, h := range hs[:i] {
				if h == hs[i] && string(es[i]) == string(es[j]) {
					b.noteDup(es[i])
					return
				}
			}
		}
		return
	}
	for i := range seen {
		seen[i].h = hash64(elem(seen[i]))
	}
	slices.SortFunc(seen, func(x, y dupKey) int { return cmp.Compare(x.h, y.h) })
	for i := 1; i < len(seen); i++ {
		if seen[i].h != seen[i-1].h {
			continue
		}
		// Equal hashes: compare every earlier element with the same hash.
		for j := i - 1; j >= 0 && seen[j].h == seen[i].h; j-- {
			if v := elem(seen[i]); string(v) == string(elem(seen[j])) {
				b.noteDup(v)
				return
			}
		}
	}
}

// hash64 is a fast non-cryptographic hash for the repeat check (a
// collision only costs a byte comparison).
func hash64(b []byte) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * m
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * m
		h ^= h >> 29
		b = b[8:]
	}
	var t uint64
	for i, c := range b {
		t |= uint64(c) << (8 * i)
	}
	h = (h ^ t) * m
	h ^= h >> 32
	return h
}
