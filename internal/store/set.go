package store

import (
	"iter"
	"slices"
	"unsafe"
)

// Set is an unordered set of byte strings.
//
// A Set is a view of its Entry: packed (pack.go), the members one after
// the other in insertion order; big (more than packMaxEntries members or
// packMaxBytes bytes), a ctab.
type Set struct{ e Entry }

// NewSet returns an empty set with room for capHint members.
func NewSet(capHint int) *Set {
	s := &Set{e: Entry{kind: KindSet}}
	if capHint > packMaxEntries {
		s.toBig(capHint)
	}
	return s
}

func (s *Set) big() *ctab { return (*ctab)(s.e.obj) }

// toBig converts the packed form to a ctab.
func (s *Set) toBig(capHint int) {
	t := newCtab(max(capHint, int(s.e.n)), false)
	b := s.e.str
	t.reserve(len(b) + len(b)/2)
	for p := 0; p < len(b); {
		var m []byte
		m, p = pkNext(b, p)
		t.put(m, nil)
	}
	s.e.str, s.e.n, s.e.big, s.e.obj = nil, 0, true, unsafe.Pointer(t)
}

// Len returns the number of members.
func (s *Set) Len() int {
	if s.e.big {
		return s.big().n
	}
	return int(s.e.n)
}

// Has reports whether member is in the set.
func (s *Set) Has(member []byte) bool {
	if s.e.big {
		_, ok := s.big().get(member)
		return ok
	}
	return pkFind(s.e.str, member, 1) >= 0
}

// Add adds member (copied) and reports whether it was new. member must
// not be a view of this set.
func (s *Set) Add(member []byte) bool {
	if !s.e.big {
		if pkFind(s.e.str, member, 1) >= 0 {
			return false
		}
		if int(s.e.n) < packMaxEntries && len(s.e.str)+pkSize(len(member)) <= packMaxBytes {
			s.e.str = pkAppend(s.e.str, member)
			s.e.n++
			return true
		}
		s.toBig(0)
	}
	return s.big().put(member, nil)
}

// AddString adds member (copied) and reports whether it was new.
func (s *Set) AddString(member string) bool { return s.Add(view(member)) }

// Remove removes member and reports whether it was present.
func (s *Set) Remove(member []byte) bool {
	if !s.e.big {
		b := s.e.str
		p := pkFind(b, member, 1)
		if p < 0 {
			return false
		}
		s.e.str = spliceN(b, p, pkSkip(b, p), 0)
		s.e.n--
		return true
	}
	return s.big().del(member)
}

// All iterates over the members (views, valid until the set changes):
// in insertion order while the set is packed, else in no particular
// order.
func (s *Set) All() iter.Seq[string] {
	b := s.e.str
	return func(yield func(string) bool) {
		if s.e.big {
			s.big().all(func(k, _ []byte) bool { return yield(viewString(k)) })
			return
		}
		for p := 0; p < len(b); {
			var m []byte
			m, p = pkNext(b, p)
			if !yield(viewString(m)) {
				return
			}
		}
	}
}

// Sorted returns the members sorted bytewise (views, valid until the set
// changes).
func (s *Set) Sorted() []string {
	out := make([]string, 0, s.Len())
	for m := range s.All() {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
