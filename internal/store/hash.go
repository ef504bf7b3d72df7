package store

import (
	"iter"
	"maps"
	"slices"
)

// Hash maps fields to values; fields may carry an absolute expiry (hash
// field expiration, Redis 7.4+ and Valkey 9+).
type Hash struct {
	m   map[string][]byte
	ttl map[string]int64 // field -> absolute ms; nil when no field has one
}

// NewHash returns an empty hash with room for capHint fields.
func NewHash(capHint int) *Hash {
	if capHint < 0 {
		capHint = 0
	}
	return &Hash{m: make(map[string][]byte, capHint)}
}

// Len returns the number of fields, logically expired ones included.
func (h *Hash) Len() int { return len(h.m) }

// Get returns field's value, ignoring field expiry.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	v, ok := h.m[string(field)]
	return v, ok
}

// Set stores value under field (field copied when new; value owned) and
// clears any expiry on the field, as HSET does. It reports whether the
// field was new.
func (h *Hash) Set(field, value []byte) bool {
	if h.ttl != nil {
		h.clearTTL(string(field))
	}
	return h.SetKeepTTL(field, value)
}

// SetKeepTTL is Set without touching the field's expiry.
func (h *Hash) SetKeepTTL(field, value []byte) bool {
	if _, ok := h.m[string(field)]; ok {
		h.m[string(field)] = value
		return false
	}
	h.m[string(field)] = value
	return true
}

// SetString stores value under field (loader path); it does not touch expiry.
func (h *Hash) SetString(field string, value []byte) bool {
	_, ok := h.m[field]
	h.m[field] = value
	return !ok
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field []byte) bool {
	if _, ok := h.m[string(field)]; !ok {
		return false
	}
	delete(h.m, string(field))
	if h.ttl != nil {
		h.clearTTL(string(field))
	}
	return true
}

func (h *Hash) clearTTL(field string) {
	delete(h.ttl, field)
	if len(h.ttl) == 0 {
		h.ttl = nil
	}
}

// FieldExpire returns field's absolute expiry in ms, or 0 if it has none.
func (h *Hash) FieldExpire(field []byte) int64 { return h.ttl[string(field)] }

// SetFieldExpire sets (t > 0) or clears (t == 0) field's expiry. The field
// must exist.
func (h *Hash) SetFieldExpire(field []byte, t int64) {
	if t == 0 {
		if h.ttl != nil {
			h.clearTTL(string(field))
		}
		return
	}
	if h.ttl == nil {
		h.ttl = make(map[string]int64)
	}
	h.ttl[string(field)] = t
}

// HasFieldExpires reports whether any field has an expiry.
func (h *Hash) HasFieldExpires() bool { return len(h.ttl) > 0 }

// MinFieldExpire returns the earliest field expiry, or 0 if none.
func (h *Hash) MinFieldExpire() int64 {
	var min int64
	for _, t := range h.ttl {
		if min == 0 || t < min {
			min = t
		}
	}
	return min
}

// All iterates over fields and values in no particular order.
func (h *Hash) All() iter.Seq2[string, []byte] { return maps.All(h.m) }

// Fields returns the field names sorted bytewise.
func (h *Hash) Fields() []string { return slices.Sorted(maps.Keys(h.m)) }
