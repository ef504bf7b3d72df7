package rdb

import "testing"

func TestModuleTypeName(t *testing.T) {
	// "test___dt" with encoding version 1, as redis/tests/modules/datatype.c.
	var id uint64
	for _, c := range "test___dt" {
		for i := 0; i < len(moduleTypeCharset); i++ {
			if moduleTypeCharset[i] == byte(c) {
				id = id<<6 | uint64(i)
			}
		}
	}
	id = id<<10 | 1
	if got := ModuleTypeName(id); got != "test___dt" {
		t.Fatalf("ModuleTypeName = %q", got)
	}
}

func TestLength(t *testing.T) {
	cases := []struct {
		p    []byte
		v    uint64
		n    int
		fail bool
	}{
		{[]byte{0x05}, 5, 1, false},
		{[]byte{0x41, 0x02}, 0x102, 2, false},
		{[]byte{0x80, 0, 1, 0, 0}, 0x10000, 5, false},
		{[]byte{0x81, 0, 0, 0, 1, 0, 0, 0, 0}, 1 << 32, 9, false},
		{nil, 0, 0, true},
		{[]byte{0x41}, 0, 0, true},
		{[]byte{0x80, 0}, 0, 0, true},
		{[]byte{0xc0}, 0, 0, true}, // a string encoding, not a length
	}
	for _, c := range cases {
		v, n, ok := Length(c.p)
		if ok == c.fail || ok && (v != c.v || n != c.n) {
			t.Errorf("Length(%x) = %d, %d, %v", c.p, v, n, ok)
		}
	}
	raw := []byte{0x81, 0, 0, 0, 0, 0, 0, 0x10, 0x01, ModuleOpUInt, ModuleAuxAfterRDB, ModuleOpEOF}
	if id, when, ok := ModuleAuxHeader(raw); !ok || id != 0x1001 || when != ModuleAuxAfterRDB {
		t.Errorf("ModuleAuxHeader = %x %d %v", id, when, ok)
	}
	if _, _, ok := ModuleAuxHeader([]byte{0x05, ModuleOpString}); ok {
		t.Errorf("ModuleAuxHeader accepted a record without the UINT when")
	}
}
