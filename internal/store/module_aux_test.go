package store

import (
	"bytes"
	"testing"
)

func TestModuleAuxReplaceWith(t *testing.T) {
	s, other := New(), New()
	s.SetModuleAux([][]byte{{1}})
	other.SetModuleAux([][]byte{{2, 3}, {4}})
	s.ReplaceWith(other)
	got := s.ModuleAux()
	if len(got) != 2 || !bytes.Equal(got[0], []byte{2, 3}) || !bytes.Equal(got[1], []byte{4}) {
		t.Fatalf("after ReplaceWith: %v", got)
	}
	empty := New()
	s.ReplaceWith(empty)
	if len(s.ModuleAux()) != 0 {
		t.Fatalf("ReplaceWith a store without records kept %v", s.ModuleAux())
	}
}
