package store

// Insert paths for a loader. A loader treats a repeated member or field as
// corruption and throws the whole value away, so it needs to know about a
// repeat but not to keep the value consistent after one. They copy what
// they are given. internal/rdbload builds collections with a Builder
// (build.go) instead.

// AddNewString adds member and reports whether it was new.
func (s *Set) AddNewString(member string) bool {
	if !s.e.big {
		return s.Add(view(member))
	}
	return s.big().put(view(member), nil)
}

// SetNewString stores value under field (expiry untouched) and reports
// whether the field was new; a repeated field's value is replaced.
func (h *Hash) SetNewString(field string, value []byte) bool {
	if !h.e.big {
		return h.PutField(view(field), value, true)
	}
	return h.big().t.put(view(field), value)
}

// AddNewString inserts member with score and reports whether it was new
// (a repeated member keeps its score).
func (z *ZSet) AddNewString(member string, score float64) bool {
	if _, ok := z.Score(view(member)); ok {
		return false
	}
	return z.Add(view(member), score)
}
