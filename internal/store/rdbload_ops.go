package store

// Insert paths for a loader. A loader treats a repeated member or field as
// corruption and throws the whole value away, so it needs to know about a
// repeat but not to keep the value consistent after one. Sets and hashes
// copy what they are given; a big sorted set keeps the member string (its
// bytes must never be written again: loaders carve them from arenas).
// internal/rdbload builds collections with a Builder (build.go) instead.

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

// AddNewString inserts member with score and reports whether it was new.
// When it was not, the sorted set may be left inconsistent and must be
// discarded.
func (z *ZSet) AddNewString(member string, score float64) bool {
	if !z.e.big {
		if _, _, ok := z.pfind(view(member)); ok {
			return false
		}
		if z.fits(len(member)) {
			z.pinsert(view(member), score)
			return true
		}
		z.toBig(0)
	}
	zb := z.big()
	n := len(zb.dict)
	zb.dict[member] = score
	if len(zb.dict) == n {
		return false
	}
	zb.insert(member, score)
	return true
}
