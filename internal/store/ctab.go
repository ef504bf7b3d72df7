package store

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// ctab is the big form of sets and hashes: an open-addressing hash table
// (linear probing) over records kept in byte chunks. A record is a key
// element (pack.go encoding), followed for a hash by its value element.
// The table holds no Go pointers per element and allocates nothing per
// element: a slot is one uint64 (a 16-bit tag of the key's hash, the
// chunk and the offset of the record), the records are packed into
// chunks of up to 64 KB (a larger record gets a chunk of its own).
//
// A deleted record leaves a tombstone slot and garbage bytes in its
// chunk; the table is rebuilt (records compacted into fresh chunks) once
// garbage outweighs live bytes, and rehashed when tombstones and live
// slots fill 3/4 of it. Keys and values handed out are views into the
// chunks, valid until the next change (a rebuild moves records; a value
// of the same encoded size is overwritten in place).
type ctab struct {
	slots   []uint64
	chunks  [][]byte
	n       int // live records
	tomb    int // tombstone slots
	live    int // bytes of live records
	garbage int // bytes of dead records still in chunks
	cur     int // the chunk being filled
	hasVal  bool
	seed    uint64
}

const (
	ctChunkMax = 1 << 16
	ctMinSlots = 16
	ctTomb     = 1
)

// slot layout: tag (16 bits, high bit set so a live slot is never 0 or
// ctTomb) | chunk (32 bits) | offset (16 bits).
func mkSlot(tag uint64, chunk, off int) uint64 {
	return tag<<48 | uint64(chunk)<<16 | uint64(off)
}

// slotTag takes the hash's low bits (the slot index comes from its high
// bits).
func slotTag(h uint64) uint64 { return h&0x7FFF | 0x8000 }

func newCtab(hint int, hasVal bool) *ctab {
	t := &ctab{hasVal: hasVal, seed: rand.Uint64()}
	t.slots = make([]uint64, ctSlotsFor(hint))
	return t
}

// ctSlotsFor returns the table size for n records: 3/2 of them (the
// table grows to twice its records once 3/4 full). Sizes need not be
// powers of two: a hash maps to a slot by multiplication.
func ctSlotsFor(n int) int { return max(n+n/2+1, ctMinSlots) }

// home returns the slot a hash starts probing at.
func (t *ctab) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

func (t *ctab) hash(k []byte) uint64 { return hashBytes(t.seed, k) }

// hashBytes is a seeded 64-bit hash in the style of wyhash: 64x64->128
// multiplications folded, 16 bytes a step. The seed is random per table,
// so a master's client cannot choose keys that collide in it.
func hashBytes(seed uint64, b []byte) uint64 {
	const (
		p0 = 0xa0761d6478bd642f
		p1 = 0xe7037ed1a0b428db
		p2 = 0x8ebc6af09c88c6e3
	)
	n := len(b)
	h := seed ^ p0
	for len(b) > 16 {
		h = mix(binary.LittleEndian.Uint64(b)^p1, binary.LittleEndian.Uint64(b[8:])^h)
		b = b[16:]
	}
	var a, c uint64
	switch l := len(b); {
	case l >= 8:
		a = binary.LittleEndian.Uint64(b)
		c = binary.LittleEndian.Uint64(b[l-8:])
	case l >= 4:
		a = uint64(binary.LittleEndian.Uint32(b))
		c = uint64(binary.LittleEndian.Uint32(b[l-4:]))
	case l > 0:
		a = uint64(b[0])<<16 | uint64(b[l>>1])<<8 | uint64(b[l-1])
	}
	return mix(p1^uint64(n), mix(a^p1, c^h^p2))
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// rec returns the bytes from the record at slot s to the end of its chunk.
func (t *ctab) rec(s uint64) []byte {
	return t.chunks[uint32(s>>16)][s&0xFFFF:]
}

// key returns the key of the record at slot s.
func (t *ctab) key(s uint64) []byte {
	k, _ := pkNext(t.rec(s), 0)
	return k
}

// kv returns the key and value (nil in a set) of the record at slot s.
func (t *ctab) kv(s uint64) ([]byte, []byte) {
	r := t.rec(s)
	k, p := pkNext(r, 0)
	if !t.hasVal {
		return k, nil
	}
	v, _ := pkNext(r, p)
	return k, v
}

// recSize is the size of the record at slot s.
func (t *ctab) recSize(s uint64) int {
	r := t.rec(s)
	p := pkSkip(r, 0)
	if t.hasVal {
		p = pkSkip(r, p)
	}
	return p
}

// find returns the index of k's slot and true, or false and the index
// where k would be inserted (the first tombstone or empty slot on its
// probe sequence).
func (t *ctab) find(k []byte, h uint64) (int, bool) {
	tag := slotTag(h)
	ins := -1
	for i := t.home(h); ; i++ {
		if i == len(t.slots) {
			i = 0
		}
		s := t.slots[i]
		switch {
		case s == 0:
			if ins < 0 {
				ins = i
			}
			return ins, false
		case s == ctTomb:
			if ins < 0 {
				ins = i
			}
		case s>>48 == tag:
			if string(t.key(s)) == string(k) {
				return i, true
			}
		}
	}
}

// alloc reserves n bytes for a record and returns its chunk, offset and
// bytes.
func (t *ctab) alloc(n int) (int, int, []byte) {
	if n > ctChunkMax/2 {
		// A big record gets a chunk of its own; the chunk being filled
		// stays the current one.
		t.chunks = append(t.chunks, make([]byte, n))
		return len(t.chunks) - 1, 0, t.chunks[len(t.chunks)-1]
	}
	k := t.cur
	if len(t.chunks) == 0 || cap(t.chunks[k])-len(t.chunks[k]) < n {
		size := min(max(t.live/2, 512, n), ctChunkMax)
		t.chunks = append(t.chunks, make([]byte, 0, size))
		k = len(t.chunks) - 1
		t.cur = k
	}
	c := t.chunks[k]
	off := len(c)
	t.chunks[k] = c[:off+n]
	return k, off, t.chunks[k][off : off+n]
}

// reserve makes room for about n bytes of records in the current chunk
// (a sizing hint: at most one chunk).
func (t *ctab) reserve(n int) {
	n = min(n, ctChunkMax)
	if len(t.chunks) > 0 && cap(t.chunks[t.cur])-len(t.chunks[t.cur]) >= n {
		return
	}
	t.chunks = append(t.chunks, make([]byte, 0, n))
	t.cur = len(t.chunks) - 1
}

// write stores a new record for k (and v) and returns its slot value.
func (t *ctab) write(k, v []byte, h uint64) uint64 {
	n := pkSize(len(k))
	if t.hasVal {
		n += pkSize(len(v))
	}
	c, off, b := t.alloc(n)
	p := pkPut(b, 0, k)
	if t.hasVal {
		pkPut(b, p, v)
	}
	t.live += n
	return mkSlot(slotTag(h), c, off)
}

// put inserts k (with v for a hash) or replaces k's value, and reports
// whether k was new. k and v must not be views of this table.
func (t *ctab) put(k, v []byte) bool {
	h := t.hash(k)
	i, ok := t.find(k, h)
	if ok {
		if !t.hasVal {
			return false
		}
		s := t.slots[i]
		r := t.rec(s)
		vp := pkSkip(r, 0)
		old := pkSkip(r, vp) - vp
		if pkSize(len(v)) == old {
			pkPut(r, vp, v) // same size: in place
			return false
		}
		size := t.recSize(s)
		t.slots[i] = t.write(k, v, h)
		t.kill(size)
		return false
	}
	if t.slots[i] == ctTomb {
		t.tomb--
	}
	t.slots[i] = t.write(k, v, h)
	t.n++
	if (t.n+t.tomb)*4 > len(t.slots)*3 {
		t.rehash(max(2*t.n, ctMinSlots))
	}
	return true
}

// kill accounts for a dead record of size bytes and compacts when
// garbage dominates.
func (t *ctab) kill(size int) {
	t.live -= size
	t.garbage += size
	if t.garbage > max(t.live, 4096) {
		t.rebuild()
	}
}

// get returns the slot of k.
func (t *ctab) get(k []byte) (uint64, bool) {
	i, ok := t.find(k, t.hash(k))
	if !ok {
		return 0, false
	}
	return t.slots[i], true
}

// del removes k and reports whether it was present.
func (t *ctab) del(k []byte) bool {
	i, ok := t.find(k, t.hash(k))
	if !ok {
		return false
	}
	size := t.recSize(t.slots[i])
	t.slots[i] = ctTomb
	t.tomb++
	t.n--
	if t.n == 0 {
		*t = ctab{hasVal: t.hasVal, seed: t.seed, slots: make([]uint64, ctMinSlots)}
		return true
	}
	t.kill(size)
	return true
}

// rehash rebuilds the slot array with size slots (records stay).
func (t *ctab) rehash(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	t.tomb = 0
	for _, s := range old {
		if s <= ctTomb {
			continue
		}
		i := t.home(t.hash(t.key(s)))
		for t.slots[i] != 0 {
			if i++; i == len(t.slots) {
				i = 0
			}
		}
		t.slots[i] = s
	}
}

// rebuild copies the live records into fresh chunks and rehashes.
func (t *ctab) rebuild() {
	old := *t
	*t = ctab{hasVal: old.hasVal, seed: old.seed, slots: make([]uint64, max(2*old.n, ctMinSlots))}
	for _, s := range old.slots {
		if s <= ctTomb {
			continue
		}
		k, v := old.kv(s)
		h := t.hash(k)
		i, _ := t.find(k, h)
		t.slots[i] = t.write(k, v, h)
		t.n++
	}
}

// all yields every record's key and value (nil for a set) in slot order.
func (t *ctab) all(yield func(k, v []byte) bool) {
	for _, s := range t.slots {
		if s <= ctTomb {
			continue
		}
		if !yield(t.kv(s)) {
			return
		}
	}
}

// clone returns a compacted copy.
func (t *ctab) clone() *ctab {
	c := &ctab{hasVal: t.hasVal, seed: rand.Uint64(), slots: make([]uint64, ctSlotsFor(t.n))}
	t.all(func(k, v []byte) bool {
		h := c.hash(k)
		i, _ := c.find(k, h)
		c.slots[i] = c.write(k, v, h)
		c.n++
		return true
	})
	return c
}
