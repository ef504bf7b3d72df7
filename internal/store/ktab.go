package store

import (
	"math/bits"
	"math/rand/v2"
)

// ktab is a database's key table: open addressing with linear probing over
// slots (key, entry), with a byte per slot (7 bits of the key's hash)
// scanned before the slot itself, so a probe mostly reads one cache line
// of tags. The tags of a million keys fit in a megabyte (the cache), where
// a Go map's control words are spread over tens of megabytes: inserting a
// million keys into a presized table takes about half the time
// (BenchmarkDBPut), which matters when a full sync loads them.
//
// A table is sized by multiplication (any size) and kept at most 7/8
// full. It grows (or sheds tombstones) as Redis's dict does, without a
// pause: a new table of twice the keys takes the inserts while every
// write moves a few slots of the old one over; lookups see both until the
// old one is empty.
type ktab struct {
	cur ktable
	old *ktable // being moved into cur; nil when not rehashing
	mig int     // the next slot of old to move
}

type ktable struct {
	tags  []uint8 // 0 empty, 1 deleted, else 0x80 | hash bits
	slots []kslot
	n     int
	tomb  int
	seed  uint64
}

type kslot struct {
	k string
	e *Entry
}

const (
	ktEmpty   = 0
	ktTomb    = 1
	ktMinSize = 8
	ktStep    = 32 // old slots moved per write while rehashing
)

func newKtable(n int, seed uint64) ktable {
	size := max(n+n/4+1, ktMinSize)
	return ktable{tags: make([]uint8, size), slots: make([]kslot, size), seed: seed}
}

func newKtab(n int) ktab { return ktab{cur: newKtable(n, rand.Uint64())} }

func ktTag(h uint64) uint8 { return uint8(h) | 0x80 }

func (t *ktable) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.tags)))
	return int(hi)
}

// find returns k's slot and true, or false and the slot to insert it at.
func (t *ktable) find(k []byte, h uint64) (int, bool) {
	tag := ktTag(h)
	ins := -1
	tags := t.tags
	for i := t.home(h); ; i++ {
		if i == len(tags) {
			i = 0
		}
		switch c := tags[i]; c {
		case ktEmpty:
			if ins < 0 {
				ins = i
			}
			return ins, false
		case ktTomb:
			if ins < 0 {
				ins = i
			}
		case tag:
			if t.slots[i].k == string(k) {
				return i, true
			}
		}
	}
}

// insertAt fills slot i (returned by a failed find) with s.
func (t *ktable) insertAt(i int, h uint64, s kslot) {
	if t.tags[i] == ktTomb {
		t.tomb--
	}
	t.tags[i] = ktTag(h)
	t.slots[i] = s
	t.n++
}

func (t *ktable) removeAt(i int) {
	t.tags[i] = ktTomb
	t.slots[i] = kslot{}
	t.n--
	t.tomb++
}

func (t *ktab) n() int {
	if t.old != nil {
		return t.cur.n + t.old.n
	}
	return t.cur.n
}

func (t *ktab) get(k []byte) *Entry {
	if t.cur.n > 0 {
		if i, ok := t.cur.find(k, hashBytes(t.cur.seed, k)); ok {
			return t.cur.slots[i].e
		}
	}
	if t.old != nil && t.old.n > 0 {
		if i, ok := t.old.find(k, hashBytes(t.old.seed, k)); ok {
			return t.old.slots[i].e
		}
	}
	return nil
}

// put inserts or replaces k and reports whether k was new. A new key is
// kept as ks, or as a copy of k when ks is "" (and k is not).
func (t *ktab) put(k []byte, ks string, e *Entry) bool {
	t.step()
	h := hashBytes(t.cur.seed, k)
	i, ok := t.cur.find(k, h)
	if ok {
		t.cur.slots[i].e = e
		return false
	}
	if t.old != nil {
		if j, ok := t.old.find(k, hashBytes(t.old.seed, k)); ok {
			// Move it over now: new keys and moved ones live in cur.
			s := t.old.slots[j]
			t.old.removeAt(j)
			s.e = e
			t.cur.insertAt(i, h, s)
			return false
		}
	}
	if len(ks) != len(k) {
		ks = string(k)
	}
	t.cur.insertAt(i, h, kslot{ks, e})
	t.maybeGrow()
	return true
}

func (t *ktab) del(k []byte) bool {
	t.step()
	if t.cur.n > 0 {
		if i, ok := t.cur.find(k, hashBytes(t.cur.seed, k)); ok {
			t.cur.removeAt(i)
			t.afterDelete()
			return true
		}
	}
	if t.old != nil && t.old.n > 0 {
		if i, ok := t.old.find(k, hashBytes(t.old.seed, k)); ok {
			t.old.removeAt(i)
			t.afterDelete()
			return true
		}
	}
	return false
}

func (t *ktab) afterDelete() {
	switch {
	case t.n() == 0:
		t.reset(0)
	case t.old == nil && t.cur.tomb > t.cur.n && t.cur.tomb > len(t.cur.tags)/4:
		t.startRehash() // shed the tombstones
	}
}

// maybeGrow starts moving to a bigger table once cur is 7/8 full. It
// must leave an empty slot (probes end there): the table it retires is
// still probed, for keys not moved yet, until every slot is moved.
func (t *ktab) maybeGrow() {
	if (t.cur.n+t.cur.tomb)*8 >= len(t.cur.tags)*7 {
		t.startRehash()
	}
}

// startRehash makes a table for twice the keys the current inserts go to,
// finishing a rehash still under way first (it cannot be: the new table
// has room for twice the keys and every write moves ktStep slots).
func (t *ktab) startRehash() {
	for t.old != nil {
		t.step()
	}
	old := t.cur
	t.cur = newKtable(2*t.n()*4/5, rand.Uint64()) // 2n keys at 4/5 load
	t.old, t.mig = &old, 0
}

// step moves up to ktStep slots of the old table into the current one.
func (t *ktab) step() {
	o := t.old
	if o == nil {
		return
	}
	end := min(t.mig+ktStep, len(o.tags))
	for i := t.mig; i < end; i++ {
		if o.tags[i] < 0x80 {
			continue
		}
		s := o.slots[i]
		h := hashBytes(t.cur.seed, view(s.k))
		j, _ := t.cur.find(view(s.k), h)
		t.cur.insertAt(j, h, s)
		// A tombstone, not an empty slot: keys probed past this one
		// must still be found, and old keeps its empty slots.
		o.removeAt(i)
	}
	t.mig = end
	if end == len(o.tags) || o.n == 0 {
		t.old, t.mig = nil, 0
	}
}

// reset empties the table, sized for n keys.
func (t *ktab) reset(n int) { *t = newKtab(n) }

// all yields every key and entry (old table first while rehashing).
func (t *ktab) all(yield func(string, *Entry) bool) {
	for _, tb := range [2]*ktable{t.old, &t.cur} {
		if tb == nil {
			continue
		}
		for i, c := range tb.tags {
			if c >= 0x80 && !yield(tb.slots[i].k, tb.slots[i].e) {
				return
			}
		}
	}
}
