package store

import (
	"iter"
	"maps"
	"slices"
)

// Set is an unordered set of byte strings.
type Set struct {
	m map[string]struct{}
}

// NewSet returns an empty set with room for capHint members.
func NewSet(capHint int) *Set {
	if capHint < 0 {
		capHint = 0
	}
	return &Set{m: make(map[string]struct{}, capHint)}
}

// Len returns the number of members.
func (s *Set) Len() int { return len(s.m) }

// Has reports whether member is in the set.
func (s *Set) Has(member []byte) bool { _, ok := s.m[string(member)]; return ok }

// Add adds member (copied) and reports whether it was new.
func (s *Set) Add(member []byte) bool {
	if _, ok := s.m[string(member)]; ok {
		return false
	}
	s.m[string(member)] = struct{}{}
	return true
}

// AddString adds member and reports whether it was new.
func (s *Set) AddString(member string) bool {
	if _, ok := s.m[member]; ok {
		return false
	}
	s.m[member] = struct{}{}
	return true
}

// Remove removes member and reports whether it was present.
func (s *Set) Remove(member []byte) bool {
	if _, ok := s.m[string(member)]; !ok {
		return false
	}
	delete(s.m, string(member))
	return true
}

// All iterates over the members in no particular order.
func (s *Set) All() iter.Seq[string] { return maps.Keys(s.m) }

// Sorted returns the members sorted bytewise.
func (s *Set) Sorted() []string { return slices.Sorted(maps.Keys(s.m)) }
