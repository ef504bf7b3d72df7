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
// Bytes that are never written again (big collections' members and
// values) are shared.
func (e *Entry) Clone() *Entry {
	c := &Entry{Expire: e.Expire, kind: e.kind, zenc: e.zenc, big: e.big, n: e.n}
	switch e.kind {
	case KindString:
		c.str = cloneBytes(e.str)
	case KindList:
		if !e.big {
			c.str = cloneBytes(e.str[e.off:])
			break
		}
		ql := e.List().ql()
		nl := &qlist{n: ql.n, nodes: make([]qnode, len(ql.nodes))}
		for i, q := range ql.nodes {
			nl.nodes[i] = qnode{b: cloneBytes(q.b[q.off:]), n: q.n}
		}
		c.obj = unsafe.Pointer(nl)
	case KindSet, KindZSet, KindHash:
		if !e.big {
			c.str = cloneBytes(e.str)
			break
		}
		switch e.kind {
		case KindSet:
			c.obj = unsafe.Pointer(e.Set().big().clone())
		case KindZSet:
			zb := e.ZSet().big()
			var b []byte
			for x := zb.tree.first; x != nil; x = x.next {
				b = append(b, x.b...)
			}
			nz, _ := newZSetBig(b, zb.tree.root.n)
			c.obj = unsafe.Pointer(nz)
		case KindHash:
			hb := e.Hash().big()
			nh := &hashBig{t: *hb.t.clone()}
			if hb.ttl != nil {
				nh.ttl = maps.Clone(hb.ttl)
			}
			c.obj = unsafe.Pointer(nh)
		}
	case KindStream:
		c.obj = unsafe.Pointer(e.Stream().Clone())
	case KindModule:
		m := e.Module()
		c.obj = unsafe.Pointer(&Module{TypeName: m.TypeName, ModuleID: m.ModuleID, Raw: cloneBytes(m.Raw)})
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

// SetEntries replaces the stream's entries (in ID order, owned by the
// stream) and recomputes FirstID. LastID, MaxDeletedID and EntriesAdded
// are left to the caller.
func (s *Stream) SetEntries(entries []StreamEntry) {
	s.entries = entries
	s.fixFirst()
}
