package store

import "testing"

func TestRDBLoadOps(t *testing.T) {
	s := NewSet(0)
	if !s.AddNewString("a") || s.AddNewString("a") || s.Len() != 1 {
		t.Error("Set.AddNewString")
	}
	h := NewHash(0)
	if !h.SetNewString("f", []byte("1")) || h.SetNewString("f", []byte("2")) || h.Len() != 1 {
		t.Error("Hash.SetNewString")
	}
	z := NewZSet(0)
	if !z.AddNewString("a", 2) || !z.AddNewString("b", 1) || z.AddNewString("a", 3) {
		t.Error("ZSet.AddNewString")
	}
	if m, sc := z.At(0); m != "b" || sc != 1 || z.Len() != 2 {
		t.Errorf("ZSet order: %s %v", m, sc)
	}
}
