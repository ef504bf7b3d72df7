package store

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestBuilder builds values of every kind and size with a Builder and
// compares them with the same values built through the ordinary methods;
// a repeated element must be reported.
func TestBuilder(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var b Builder
	for round := 0; round < 3000; round++ {
		n := []int{1, 3, 12, 13, 40, 127, 128, 129, 300}[r.IntN(9)]
		hint := n
		switch r.IntN(4) {
		case 0:
			hint = 0
		case 1:
			hint = n * 3
		}
		dupAt := -1
		if r.IntN(4) == 0 && n > 1 {
			dupAt = 1 + r.IntN(n-1)
		}
		key := fmt.Appendf(nil, "key:%d", round)
		idx := func(i int) int {
			if i == dupAt {
				return r.IntN(dupAt) // repeat an earlier one
			}
			return i
		}
		elem := func(i int) []byte {
			i = idx(i)
			e := fmt.Appendf(nil, "e%d-%d", i, round%7)
			if i%17 == 3 {
				e = append(e, bytes.Repeat([]byte{'w'}, 130)...)
			}
			if (i+round)%151 == 0 {
				e = append(e, bytes.Repeat([]byte{'W'}, 9000)...)
			}
			return e
		}
		kind := []Kind{KindList, KindSet, KindZSet, KindHash}[round%4]
		b.Reset(kind, hint)
		var want *Entry
		var ttls map[string]int64
		switch kind {
		case KindList:
			dupAt = -1
			l := NewList(0)
			for i := 0; i < n; i++ {
				v := elem(i)
				b.Add(v)
				l.PushBack(v)
			}
			want = NewListEntry(l)
		case KindSet:
			s := NewSet(0)
			for i := 0; i < n; i++ {
				j := idx(i)
				v := elem(j)
				if j%3 == 0 {
					v = fmt.Appendf(nil, "%d", 1000*round+j)
					b.AddInt(int64(1000*round + j))
				} else {
					b.Add(v)
				}
				s.Add(v)
			}
			want = NewSetEntry(s)
		case KindZSet:
			z := NewZSet(0)
			order := r.IntN(3) // ascending, descending, shuffled input
			type ms struct {
				m  []byte
				sc float64
			}
			var in []ms
			for i := 0; i < n; i++ {
				in = append(in, ms{elem(i), float64(i / 3)})
			}
			switch order {
			case 1:
				slices.Reverse(in)
			case 2:
				r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
			}
			for _, x := range in {
				b.AddScored(x.m, x.sc)
				z.Add(x.m, x.sc)
			}
			want = NewZSetEntry(z)
		case KindHash:
			h := NewHash(0)
			ttls = map[string]int64{}
			for i := 0; i < n; i++ {
				f, v := elem(i), fmt.Appendf(nil, "v%d", r.IntN(1000))
				b.AddPair(f, v)
				h.PutField(f, v, true)
				if r.IntN(40) == 0 {
					b.FieldExpire(int64(5000 + i))
					h.SetFieldExpire(f, int64(5000+i))
					ttls[string(f)] = int64(5000 + i)
				}
			}
			want = NewHashEntry(h)
		}
		got, k, dup := b.Finish(key)
		if dupAt >= 0 {
			if dup == nil {
				t.Fatalf("round %d (%v, n %d): repeat at %d not reported", round, kind, n, dupAt)
			}
			continue
		}
		if dup != nil {
			t.Fatalf("round %d (%v): false repeat %q", round, kind, dup)
		}
		if k != string(key) {
			t.Fatalf("round %d: key %q", round, k)
		}
		if got.Kind() != kind || !sameValue(got, want) {
			t.Fatalf("round %d (%v, n %d, hint %d): built value differs", round, kind, n, hint)
		}
		if kind == KindHash {
			for f, v := range ttls {
				if got.Hash().FieldExpire([]byte(f)) != v {
					t.Fatalf("round %d: field %q expire lost", round, f)
				}
			}
		}
		// The built value stays usable: grow it past its allocation.
		switch kind {
		case KindList:
			got.List().PushFront([]byte("front"))
			want.List().PushFront([]byte("front"))
		case KindSet:
			got.Set().Add([]byte("extra"))
			want.Set().Add([]byte("extra"))
		case KindZSet:
			got.ZSet().Add([]byte("extra"), -1)
			want.ZSet().Add([]byte("extra"), -1)
		case KindHash:
			got.Hash().Set([]byte("extra"), []byte("1"))
			want.Hash().Set([]byte("extra"), []byte("1"))
		}
		if !sameValue(got, want) || k != string(key) {
			t.Fatalf("round %d (%v): differs after a write", round, kind)
		}
	}
}

// sameValue compares two collection entries element by element.
func sameValue(a, b *Entry) bool {
	switch a.Kind() {
	case KindList:
		var x, y [][]byte
		for _, v := range a.List().All() {
			x = append(x, v)
		}
		for _, v := range b.List().All() {
			y = append(y, v)
		}
		return slices.EqualFunc(x, y, bytes.Equal)
	case KindSet:
		return slices.Equal(a.Set().Sorted(), b.Set().Sorted())
	case KindZSet:
		type ms struct {
			m string
			s float64
		}
		var x, y []ms
		for m, s := range a.ZSet().All() {
			x = append(x, ms{m, s})
		}
		for m, s := range b.ZSet().All() {
			y = append(y, ms{m, s})
		}
		return slices.Equal(x, y)
	case KindHash:
		x, y := map[string]string{}, map[string]string{}
		for f, v := range a.Hash().All() {
			x[f] = string(v)
		}
		for f, v := range b.Hash().All() {
			y[f] = string(v)
		}
		return maps.Equal(x, y)
	}
	return false
}

func TestBuilderEmpty(t *testing.T) {
	var b Builder
	for _, k := range []Kind{KindList, KindSet, KindZSet, KindHash} {
		b.Reset(k, 1000)
		if e, _, _ := b.Finish([]byte("k")); e != nil {
			t.Errorf("%v: empty value built", k)
		}
	}
}

func TestNewEmbedded(t *testing.T) {
	for n := 0; n <= MaxEmbedded+10; n++ {
		e, b := NewEmbedded(n)
		if e == nil || len(b) != n || cap(b) != n {
			t.Fatalf("NewEmbedded(%d): len %d cap %d", n, len(b), cap(b))
		}
		if n > 0 && n <= MaxEmbedded {
			// The bytes follow the entry in the same allocation.
			if uintptr(unsafe.Pointer(&b[0]))-uintptr(unsafe.Pointer(e)) != unsafe.Sizeof(*e) {
				t.Fatalf("NewEmbedded(%d): bytes not after the entry", n)
			}
		}
	}
	if s := unsafe.Sizeof(Entry{}); s != 48 {
		t.Errorf("Entry is %d bytes, want 48", s)
	}
}
