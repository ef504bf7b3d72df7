package store

import (
	"maps"
	"unsafe"
)

// Operations added for internal/apply (command application).
//
// Value buffers: a []byte handed to the store is owned by it up to its
// capacity, so apply may grow a string value in place with append (APPEND,
// SETRANGE, SETBIT). Whoever builds entries from a larger shared buffer
// (an RDB decoder slicing values out of one read buffer) must cap the
// sub-slices with a full slice expression b[i:j:j].

// Clone returns a deep copy of the entry (value, expiry, and for streams
// the consumer groups with their PEL and consumers), as COPY needs.
func (e *Entry) Clone() *Entry {
	c := &Entry{Expire: e.Expire, kind: e.kind}
	switch e.kind {
	case KindString:
		c.str = cloneBytes(e.str)
	case KindList:
		l := e.List()
		nl := NewList(l.Len())
		for _, v := range l.All() {
			nl.PushBack(cloneBytes(v))
		}
		c.obj = nl
	case KindSet:
		s := e.Set()
		c.obj = &Set{m: maps.Clone(s.m)}
	case KindZSet:
		z := e.ZSet()
		nz := NewZSet(z.Len())
		for m, sc := range z.All() {
			nz.AddString(m, sc)
		}
		nz.enc = z.enc // zsetDup keeps the encoding
		c.obj = nz
	case KindHash:
		h := e.Hash()
		nh := NewHash(h.Len())
		for f, v := range h.m {
			nh.m[f] = cloneBytes(v)
		}
		if h.ttl != nil {
			nh.ttl = maps.Clone(h.ttl)
		}
		c.obj = nh
	case KindStream:
		c.obj = e.Stream().Clone()
	case KindModule:
		m := e.Module()
		c.obj = &Module{TypeName: m.TypeName, ModuleID: m.ModuleID, Raw: cloneBytes(m.Raw)}
	}
	return c
}

func cloneBytes(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// Clone returns a deep copy of the stream.
func (s *Stream) Clone() *Stream {
	n := &Stream{LastID: s.LastID, FirstID: s.FirstID, MaxDeletedID: s.MaxDeletedID, EntriesAdded: s.EntriesAdded}
	if len(s.entries) > 0 {
		n.entries = make([]StreamEntry, len(s.entries))
		for i, e := range s.entries {
			fs := make([][]byte, len(e.Fields))
			for k, f := range e.Fields {
				fs[k] = cloneBytes(f)
			}
			n.entries[i] = StreamEntry{ID: e.ID, Fields: fs}
		}
	}
	for name, g := range s.groups {
		ng := n.CreateGroup([]byte(name), g.LastID, g.EntriesRead)
		for cname, c := range g.Consumers {
			ng.CreateConsumer([]byte(cname), c.SeenTime, c.ActiveTime)
		}
		for id, p := range g.PEL {
			np := &PendingEntry{ID: p.ID, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
			if p.Consumer != nil {
				if nc := ng.Consumers[p.Consumer.Name]; nc != nil {
					np.Consumer = nc
					nc.Pending[id] = np
				}
			}
			ng.PEL[id] = np
		}
	}
	return n
}

// PutField stores value under field (both copied, into one allocation)
// and reports whether the field was new. Unless keepTTL, the field's
// expiry is cleared, as HSET does.
func (h *Hash) PutField(field, value []byte, keepTTL bool) bool {
	if !keepTTL && h.ttl != nil {
		h.clearTTL(string(field))
	}
	buf := make([]byte, len(field)+len(value))
	copy(buf, field)
	copy(buf[len(field):], value)
	// The map key shares the allocation with the value: the key bytes are
	// never written again, and the value's capacity ends where it ends.
	k := unsafe.String(unsafe.SliceData(buf), len(field))
	_, existed := h.m[k]
	h.m[k] = buf[len(field):len(buf):len(buf)]
	return !existed
}

// SetEntries replaces the stream's entries (in ID order, owned by the
// stream) and recomputes FirstID. LastID, MaxDeletedID and EntriesAdded
// are left to the caller.
func (s *Stream) SetEntries(entries []StreamEntry) {
	s.entries = entries
	s.fixFirst()
}
