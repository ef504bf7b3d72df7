package rdbload

import (
	"bytes"
	"strings"
	"testing"
)

// TestStringKeySharesValue: a short string value shares its allocation
// with the key name; appending to the value must not touch the key, and
// every encoding (raw, integer, LZF, empty key, long value) decodes right.
func TestStringKeySharesValue(t *testing.T) {
	long := strings.Repeat("x", maxSharedString+1)
	b := newRDB("REDIS0011").selectDB(0).
		key(0, "k1").str("v1").
		key(0, "int").intStr(-1234).
		key(0, "lzf").lzfStr([]byte{0x00, 'a', 0xE0, 90, 0x00}, 100).
		key(0, "").str("empty-key").
		key(0, "long").str(long).
		key(0, "k2").str("").
		end()
	s, _ := load(t, b)
	want := map[string]string{
		"k1": "v1", "int": "-1234", "lzf": strings.Repeat("a", 100), "": "empty-key", "long": long, "k2": "",
	}
	for k, v := range want {
		e := get(t, s, 0, k)
		got := e.Str()
		if string(got) != v {
			t.Errorf("%q = %q, want %q", k, got, v)
		}
		if cap(got) != len(got) {
			t.Errorf("%q: value capacity %d > length %d (an append would write past it)", k, cap(got), len(got))
		}
	}
	for k := range s.DB(0).All() {
		e := s.DB(0).GetString(k)
		before := strings.Clone(k)
		e.SetStr(append(e.Str(), bytes.Repeat([]byte{'!'}, 64)...))
		if k != before || s.DB(0).GetString(k) != e {
			t.Errorf("key %q changed after appending to its value", before)
		}
	}
}
