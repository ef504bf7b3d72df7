package store

import (
	"iter"
	"slices"
	"unsafe"
)

// Hash maps fields to values; fields may carry an absolute expiry (hash
// field expiration, Redis 7.4+ and Valkey 9+).
//
// A Hash is a view of its Entry. Packed (see pack.go), the entry's bytes
// hold field, value, field, value... in insertion order; a hash with more
// than packMaxEntries fields or packMaxBytes bytes, or with a field
// expiry, is big: a ctab of field/value records plus a map of field
// expiries.
type Hash struct{ e Entry }

type hashBig struct {
	t   ctab
	ttl map[string]int64 // field -> absolute ms; nil when no field has one
}

// NewHash returns an empty hash with room for capHint fields.
func NewHash(capHint int) *Hash {
	h := &Hash{e: Entry{kind: KindHash}}
	if capHint > packMaxEntries {
		h.toBig(capHint)
	}
	return h
}

func (h *Hash) big() *hashBig { return (*hashBig)(h.e.obj) }

// toBig converts the packed form to the big one.
func (h *Hash) toBig(capHint int) {
	hb := &hashBig{t: *newCtab(max(capHint, int(h.e.n)), true)}
	b := h.e.str
	hb.t.reserve(len(b) + len(b)/2)
	for p := 0; p < len(b); {
		var f, v []byte
		f, p = pkNext(b, p)
		v, p = pkNext(b, p)
		hb.t.put(f, v)
	}
	h.e.str, h.e.n, h.e.big, h.e.obj = nil, 0, true, unsafe.Pointer(hb)
}

// Len returns the number of fields, logically expired ones included.
func (h *Hash) Len() int {
	if h.e.big {
		return h.big().t.n
	}
	return int(h.e.n)
}

// Get returns field's value, ignoring field expiry.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.e.big {
		t := &h.big().t
		sl, ok := t.get(field)
		if !ok {
			return nil, false
		}
		_, v := t.kv(sl)
		return v, true
	}
	b := h.e.str
	p := pkFind(b, field, 2)
	if p < 0 {
		return nil, false
	}
	v, _ := pkNext(b, pkSkip(b, p))
	return v, true
}

// Set stores value under field (both copied) and clears any expiry on the
// field, as HSET does. It reports whether the field was new.
func (h *Hash) Set(field, value []byte) bool { return h.PutField(field, value, false) }

// SetKeepTTL is Set without touching the field's expiry.
func (h *Hash) SetKeepTTL(field, value []byte) bool { return h.PutField(field, value, true) }

// SetString stores value under field (copied); it does not touch expiry.
func (h *Hash) SetString(field string, value []byte) bool {
	return h.PutField(view(field), value, true)
}

// PutField stores value under field (both copied) and reports whether the
// field was new. Unless keepTTL, the field's expiry is cleared, as HSET
// does. field and value must not be views of this hash.
func (h *Hash) PutField(field, value []byte, keepTTL bool) bool {
	if !h.e.big {
		b := h.e.str
		vs := pkSize(len(value))
		if p := pkFind(b, field, 2); p >= 0 {
			vp := pkSkip(b, p)
			ve := pkSkip(b, vp)
			if len(b)-(ve-vp)+vs <= packMaxBytes {
				b = spliceN(b, vp, ve, vs)
				pkPut(b, vp, value)
				h.e.str = b
				return false
			}
		} else if int(h.e.n) < packMaxEntries && len(b)+pkSize(len(field))+vs <= packMaxBytes {
			h.e.str = pkAppend(pkAppend(b, field), value)
			h.e.n++
			return true
		}
		h.toBig(0)
	}
	hb := h.big()
	if !keepTTL && hb.ttl != nil {
		hb.clearTTL(string(field))
	}
	return hb.t.put(field, value)
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field []byte) bool {
	if !h.e.big {
		b := h.e.str
		p := pkFind(b, field, 2)
		if p < 0 {
			return false
		}
		h.e.str = spliceN(b, p, pkSkip(b, pkSkip(b, p)), 0)
		h.e.n--
		return true
	}
	hb := h.big()
	if !hb.t.del(field) {
		return false
	}
	if hb.ttl != nil {
		hb.clearTTL(string(field))
	}
	return true
}

func (hb *hashBig) clearTTL(field string) {
	delete(hb.ttl, field)
	if len(hb.ttl) == 0 {
		hb.ttl = nil
	}
}

// FieldExpire returns field's absolute expiry in ms, or 0 if it has none.
func (h *Hash) FieldExpire(field []byte) int64 {
	if !h.e.big {
		return 0
	}
	return h.big().ttl[string(field)]
}

// SetFieldExpire sets (t > 0) or clears (t == 0) field's expiry. The field
// must exist.
func (h *Hash) SetFieldExpire(field []byte, t int64) {
	if t == 0 {
		if h.e.big && h.big().ttl != nil {
			h.big().clearTTL(string(field))
		}
		return
	}
	if !h.e.big {
		h.toBig(0)
	}
	hb := h.big()
	if hb.ttl == nil {
		hb.ttl = make(map[string]int64)
	}
	hb.ttl[string(field)] = t
}

// HasFieldExpires reports whether any field has an expiry.
func (h *Hash) HasFieldExpires() bool { return h.e.big && len(h.big().ttl) > 0 }

// MinFieldExpire returns the earliest field expiry, or 0 if none.
func (h *Hash) MinFieldExpire() int64 {
	if !h.e.big {
		return 0
	}
	var min int64
	for _, t := range h.big().ttl {
		if min == 0 || t < min {
			min = t
		}
	}
	return min
}

// All iterates over fields and values (views, valid until the hash
// changes): in insertion order while the hash is packed, else in no
// particular order.
func (h *Hash) All() iter.Seq2[string, []byte] {
	b := h.e.str
	return func(yield func(string, []byte) bool) {
		if h.e.big {
			h.big().t.all(func(f, v []byte) bool { return yield(viewString(f), v) })
			return
		}
		for p := 0; p < len(b); {
			var f, v []byte
			f, p = pkNext(b, p)
			v, p = pkNext(b, p)
			if !yield(viewString(f), v) {
				return
			}
		}
	}
}

// Fields returns the field names sorted bytewise (views, valid until the
// hash changes).
func (h *Hash) Fields() []string {
	out := make([]string, 0, h.Len())
	for f := range h.All() {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}
