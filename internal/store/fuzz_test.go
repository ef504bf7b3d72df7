package store

import (
	"bytes"
	"maps"
	"math"
	"slices"
	"testing"
)

// FuzzCollections reads the input as a program of operations on a list,
// a set, a sorted set and a hash (and a Builder fed the same elements),
// runs it against plain Go models, and compares after every step. Element
// lengths come from the input, so the fuzzer reaches the packed/big
// boundaries, multi-byte lengths and node splits on its own.
func FuzzCollections(f *testing.F) {
	f.Add([]byte("\x00\x03abc\x01\x03abc\x02\x02xy\x03\x01z\x04\x00"))
	f.Add(bytes.Repeat([]byte("\x00\x05hello\x10\x04\x81\x02\x40"), 40))
	f.Add(bytes.Repeat([]byte{0x05, 0x90, 0x06, 0x02, 0x07, 0x01}, 200))
	f.Fuzz(func(t *testing.T, prog []byte) {
		l, s, z, h := NewList(0), NewSet(0), NewZSet(0), NewHash(0)
		var lref [][]byte
		sref := map[string]bool{}
		zref := map[string]float64{}
		href := map[string]string{}
		var b Builder
		b.Reset(KindSet, 0)
		bref := map[string]bool{}
		for step := 0; len(prog) >= 2; step++ {
			op, n := prog[0], int(prog[1])
			prog = prog[2:]
			if n&0x80 != 0 {
				n = (n & 0x7F) * 97 // long elements, past the 1-byte lengths
			}
			elem := bytes.Repeat([]byte{byte(step)}, n%5)
			if k := min(n, len(prog)); k > 0 {
				elem = append(elem, prog[:k]...)
				prog = prog[k:]
			}
			if len(elem) > n {
				elem = elem[:n]
			}
			idx := int(op >> 4)
			switch op & 0x0F {
			case 0:
				l.PushBack(elem)
				lref = append(lref, elem)
			case 1:
				l.PushFront(elem)
				lref = slices.Insert(lref, 0, elem)
			case 2:
				if len(lref) > 0 {
					i := idx % len(lref)
					l.SetIndex(i, elem)
					lref[i] = elem
				}
			case 3:
				i := idx % (len(lref) + 1)
				l.Insert(i, elem)
				lref = slices.Insert(lref, i, elem)
			case 4:
				if len(lref) > 0 {
					if idx%2 == 0 {
						if got := l.PopFront(); !bytes.Equal(got, lref[0]) {
							t.Fatalf("step %d: PopFront", step)
						}
						lref = lref[1:]
					} else {
						i := idx % len(lref)
						l.RemoveAt(i)
						lref = slices.Delete(lref, i, i+1)
					}
				}
			case 5:
				if s.Add(elem) == sref[string(elem)] {
					t.Fatalf("step %d: Set.Add", step)
				}
				sref[string(elem)] = true
			case 6:
				if s.Remove(elem) != sref[string(elem)] {
					t.Fatalf("step %d: Set.Remove", step)
				}
				delete(sref, string(elem))
			case 7:
				sc := float64(idx) - 8
				if idx == 15 {
					sc = math.Copysign(0, -1)
				}
				_, had := zref[string(elem)]
				if z.Add(elem, sc) == had {
					t.Fatalf("step %d: ZSet.Add", step)
				}
				if old, ok := zref[string(elem)]; !ok || old != sc {
					zref[string(elem)] = sc
				}
			case 8:
				_, had := zref[string(elem)]
				if z.Remove(elem) != had {
					t.Fatalf("step %d: ZSet.Remove", step)
				}
				delete(zref, string(elem))
			case 9:
				f := elem[:len(elem)/2]
				v := elem[len(elem)/2:]
				_, had := href[string(f)]
				if h.PutField(f, v, idx%2 == 0) == had {
					t.Fatalf("step %d: Hash.PutField", step)
				}
				href[string(f)] = string(v)
			case 10:
				_, had := href[string(elem)]
				if h.Delete(elem) != had {
					t.Fatalf("step %d: Hash.Delete", step)
				}
				delete(href, string(elem))
			case 11:
				if len(zref) > 0 {
					want := sortedRef(zref)
					a := idx % len(want)
					n := z.DeleteRange(a, a+1+idx%3)
					for _, e := range want[a : a+n] {
						delete(zref, e.m)
					}
				}
			default:
				b.Add(elem)
				bref[string(elem)] = true
			}
			if l.Len() != len(lref) || s.Len() != len(sref) || z.Len() != len(zref) || h.Len() != len(href) {
				t.Fatalf("step %d: lengths %d %d %d %d, want %d %d %d %d", step,
					l.Len(), s.Len(), z.Len(), h.Len(), len(lref), len(sref), len(zref), len(href))
			}
		}
		checkList(t, l, lref)
		if got := s.Sorted(); !slices.Equal(got, slices.Sorted(maps.Keys(sref))) {
			t.Fatalf("set members differ")
		}
		checkZSet(t, z, zref, nil)
		got := map[string]string{}
		for f, v := range h.All() {
			got[f] = string(v)
		}
		if !maps.Equal(got, href) {
			t.Fatalf("hash differs")
		}
		e, _, dup := b.Finish([]byte("k"))
		if e == nil {
			if len(bref) != 0 {
				t.Fatal("Builder lost its members")
			}
			return
		}
		if dup == nil {
			if got := e.Set().Sorted(); !slices.Equal(got, slices.Sorted(maps.Keys(bref))) {
				t.Fatalf("Builder set differs")
			}
		}
	})
}
