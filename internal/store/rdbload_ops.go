package store

// Insert paths for the RDB loader (internal/rdbload). A loader treats a
// repeated member or field as corruption and throws the whole value away,
// so it needs to know about a repeat but not to keep the value consistent
// after one: these methods do a single map operation instead of a lookup
// followed by an insert.

// AddNewString adds member and reports whether it was new.
func (s *Set) AddNewString(member string) bool {
	n := len(s.m)
	s.m[member] = struct{}{}
	return len(s.m) > n
}

// SetNewString stores value under field (expiry untouched) and reports
// whether the field was new; a repeated field's value is replaced.
func (h *Hash) SetNewString(field string, value []byte) bool {
	n := len(h.m)
	h.m[field] = value
	return len(h.m) > n
}

// AddNewString inserts member with score and reports whether it was new.
// When it was not, the sorted set is left inconsistent (the member map
// holds the new score, the skiplist the old one) and must be discarded.
func (z *ZSet) AddNewString(member string, score float64) bool {
	n := len(z.dict)
	z.dict[member] = score
	if len(z.dict) == n {
		return false
	}
	z.insert(member, score)
	return true
}
