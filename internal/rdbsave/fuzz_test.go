package rdbsave

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

// fuzzEntry builds a value from fuzz input: byte 0 picks the kind, the
// rest is split on 0xFE into (binary) elements.
func fuzzEntry(data []byte) *store.Entry {
	if len(data) == 0 {
		return store.NewString(nil)
	}
	kind, rest := data[0]%6, data[1:]
	elems := bytes.Split(rest, []byte{0xFE})
	switch kind {
	case 0:
		return store.NewString(rest)
	case 1:
		l := store.NewList(len(elems))
		for _, e := range elems {
			l.PushBack(e)
		}
		return store.NewListEntry(l)
	case 2:
		s := store.NewSet(len(elems))
		for _, e := range elems {
			s.Add(e)
		}
		return store.NewSetEntry(s)
	case 3:
		z := store.NewZSet(len(elems))
		for i, e := range elems {
			var sc float64
			switch {
			case len(e) >= 8:
				sc = math.Float64frombits(binary.LittleEndian.Uint64(e))
			case len(e) > 0:
				sc = float64(int8(e[0])) / float64(i+1)
			}
			if math.IsNaN(sc) {
				sc = 0
			}
			z.Add(e, sc)
		}
		return store.NewZSetEntry(z)
	case 4:
		h := store.NewHash(len(elems) / 2)
		for i := 0; i+1 < len(elems); i += 2 {
			h.Set(elems[i], elems[i+1])
		}
		if h.Len() == 0 {
			h.Set([]byte("f"), rest)
		}
		return store.NewHashEntry(h)
	}
	x := store.NewStream()
	id := store.StreamID{Ms: 1}
	for i := 0; i+1 < len(elems); i += 2 {
		if len(elems[i]) > 0 {
			id.Ms += uint64(elems[i][0] % 3)
		}
		id.Seq++
		if len(elems[i]) > 1 && elems[i][1]&1 == 1 {
			id.Seq = 0
			id.Ms++
		}
		x.Append(store.StreamEntry{ID: id, Fields: [][]byte{elems[i], elems[i+1]}})
	}
	x.LastID = id
	x.EntriesAdded = uint64(x.Len())
	return store.NewStreamEntry(x)
}

// FuzzEncodeDump checks that EncodeDump of any value, at every version,
// decodes to the same value with the C-rule decoder and with rdbload.
func FuzzEncodeDump(f *testing.F) {
	f.Add([]byte("\x00hello"))
	f.Add([]byte("\x0012345"))
	f.Add([]byte("\x01a\xfe1\xfe-1\xfe\xfe007\xfe-0\xfe9223372036854775807"))
	f.Add([]byte("\x021\xfe2\xfe3\xfe-70000"))
	f.Add([]byte("\x02a\xfeb\xfe1"))
	f.Add([]byte("\x03a\xfeb\xfe\x00\x00\x00\x00\x00\x00\xf0\x7f"))
	f.Add([]byte("\x04f\xfe1\xfeg\xfe\xfe\xfe-5"))
	f.Add([]byte("\x05a\xfe1\xfeb\x01\xfe-3\xfe\xfe\xfea\xfex"))
	f.Add(append([]byte("\x01"), bytes.Repeat([]byte("ab\xfe"), 5000)...))
	f.Add(append([]byte("\x05"), bytes.Repeat([]byte("k\xfevvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\xfe"), 300)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := fuzzEntry(data)
		if skip(e) {
			return
		}
		want, _ := canon.FromEntry(0, "k", e, 0)
		for _, v := range allVersions {
			p, err := EncodeDump(e, v)
			if err != nil {
				t.Fatalf("v%d: %v", v, err)
			}
			mine, err := decodeDump(p, v)
			if err != nil {
				t.Fatalf("v%d: C-rule decode: %v", v, err)
			}
			theirs, err := rdbload.DecodeDump(p)
			if err != nil {
				t.Fatalf("v%d: rdbload: %v", v, err)
			}
			if v == 9 && e.Stream() != nil {
				continue // v1 streams lose metadata by design
			}
			for _, got := range []*store.Entry{mine, theirs} {
				if g, _ := canon.FromEntry(0, "k", got, 0); g != want {
					t.Fatalf("v%d:\nwant %s\n got %s", v, want, g)
				}
			}
		}
	})
}
