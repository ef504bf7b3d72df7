package rdbload

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdb"
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
		key(0, strings.Repeat("K", 100)).str(strings.Repeat("v", 300)). // 14-bit lengths, embedded
		key(0, strings.Repeat("L", 200)).str(strings.Repeat("w", 300)). // past the embedded size
		end()
	s, _ := load(t, b)
	want := map[string]string{
		"k1": "v1", "int": "-1234", "lzf": strings.Repeat("a", 100), "": "empty-key", "long": long, "k2": "",
		strings.Repeat("K", 100): strings.Repeat("v", 300), strings.Repeat("L", 200): strings.Repeat("w", 300),
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

type headerHandler struct {
	collectNothing
	magic   string
	version int
	err     error
}

func (h *headerHandler) Header(magic string, version int) error {
	h.magic, h.version = magic, version
	return h.err
}

// TestHeaderHandler: the header reaches a HeaderHandler before any
// record, and its error stops the decode.
func TestHeaderHandler(t *testing.T) {
	b := newRDB("VALKEY080").selectDB(0).key(0, "k").str("v").end()
	h := &headerHandler{}
	if _, err := Decode(bytes.NewReader(b), h, Options{}); err != nil || h.magic != "VALKEY" || h.version != 80 {
		t.Fatalf("err %v, header %q %d", err, h.magic, h.version)
	}
	h = &headerHandler{err: errors.New("no thanks")}
	_, err := Decode(bytes.NewReader(b), h, Options{})
	if err == nil || !strings.Contains(err.Error(), "no thanks") || !strings.Contains(err.Error(), "at offset 9") {
		t.Fatalf("refused header: %v", err)
	}
}

// TestInputSizeHints: a count larger than the input can hold never
// reserves more than the input's bytes, whether the reader tells its size
// or Options.InputSize does; a wrong (too small) InputSize only shrinks
// the hints, the decode is the same.
func TestInputSizeHints(t *testing.T) {
	b := newRDB("REDIS0011").selectDB(0).key(rdb.TypeSet, "s").len(3).str("a").str("b").str("c").end()
	for _, opts := range []Options{{}, {InputSize: int64(len(b))}, {InputSize: 1}} {
		s, _, err := Load(io.MultiReader(bytes.NewReader(b)), opts) // hides the size
		if err != nil || s.DB(0).GetString("s").Set().Len() != 3 {
			t.Fatalf("%+v: %v", opts, err)
		}
	}
	d := newSizedDecoder(bytes.NewReader(b), nil, Options{})
	if d.size != int64(len(b)) || d.sizeHint(1<<30, 1) != len(b) || d.sizeHint(10, 1) != 10 {
		t.Errorf("size %d, hints %d %d", d.size, d.sizeHint(1<<30, 1), d.sizeHint(10, 1))
	}
	d = newSizedDecoder(io.MultiReader(bytes.NewReader(b)), nil, Options{})
	if d.size != -1 || d.sizeHint(1<<30, 1) != capHint {
		t.Errorf("unknown size: %d, hint %d", d.size, d.sizeHint(1<<30, 1))
	}
}
