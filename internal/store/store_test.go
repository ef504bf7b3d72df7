package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestListAgainstSlice drives the deque and a plain slice with the same
// random operations and compares them after every step.
func TestListAgainstSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := NewList(0)
	var ref [][]byte
	for step := 0; step < 20000; step++ {
		v := []byte(fmt.Sprint(step))
		switch op := r.IntN(9); {
		case op == 0:
			l.PushBack(v)
			ref = append(ref, v)
		case op == 1:
			l.PushFront(v)
			ref = append([][]byte{v}, ref...)
		case op == 2 && len(ref) > 0:
			if got := l.PopFront(); string(got) != string(ref[0]) {
				t.Fatalf("step %d: PopFront %q want %q", step, got, ref[0])
			}
			ref = ref[1:]
		case op == 3 && len(ref) > 0:
			if got := l.PopBack(); string(got) != string(ref[len(ref)-1]) {
				t.Fatalf("step %d: PopBack %q want %q", step, got, ref[len(ref)-1])
			}
			ref = ref[:len(ref)-1]
		case op == 4:
			i := r.IntN(len(ref) + 1)
			l.Insert(i, v)
			ref = slices.Insert(ref, i, v)
		case op == 5 && len(ref) > 0:
			i := r.IntN(len(ref))
			l.RemoveAt(i)
			ref = slices.Delete(ref, i, i+1)
		case op == 6 && len(ref) > 0:
			i := r.IntN(len(ref))
			l.SetIndex(i, v)
			ref[i] = v
		case op == 7 && len(ref) > 0 && r.IntN(20) == 0:
			a, b := r.IntN(len(ref)), r.IntN(len(ref))
			l.Trim(a, b)
			if a > b {
				ref = nil
			} else {
				ref = append([][]byte(nil), ref[a:b+1]...)
			}
		case op == 8 && r.IntN(10) == 0:
			odd := func(_ int, v []byte) bool { return v[len(v)-1]%2 == 1 }
			l.Filter(odd)
			ref = slices.DeleteFunc(ref, func(v []byte) bool { return !odd(0, v) })
		}
		if l.Len() != len(ref) {
			t.Fatalf("step %d: len %d want %d", step, l.Len(), len(ref))
		}
		if step%97 == 0 {
			for i, v := range l.All() {
				if string(v) != string(ref[i]) {
					t.Fatalf("step %d: [%d]=%q want %q", step, i, v, ref[i])
				}
			}
		}
	}
}

type zref struct {
	m string
	s float64
}

func sortedRef(ref map[string]float64) []zref {
	out := make([]zref, 0, len(ref))
	for m, s := range ref {
		out = append(out, zref{m, s})
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].s, out[i].m, out[j].s, out[j].m) })
	return out
}

// TestZSetAgainstMap checks ranks, ranges and deletions against a sorted
// reference after random inserts, updates and removals.
func TestZSetAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	z := NewZSet(0)
	ref := map[string]float64{}
	for step := 0; step < 6000; step++ {
		m := fmt.Sprintf("m%03d", r.IntN(400))
		s := float64(r.IntN(50))
		switch r.IntN(4) {
		case 0, 1:
			_, had := ref[m]
			if added := z.Add([]byte(m), s); added == had {
				t.Fatalf("step %d: Add(%s) added=%v had=%v", step, m, added, had)
			}
			ref[m] = s
		case 2:
			_, had := ref[m]
			if z.Remove([]byte(m)) != had {
				t.Fatalf("step %d: Remove(%s)", step, m)
			}
			delete(ref, m)
		case 3:
			if r.IntN(30) == 0 && len(ref) > 0 {
				a := r.IntN(len(ref))
				b := a + r.IntN(5)
				want := sortedRef(ref)
				n := z.DeleteRange(a, b)
				if b > len(want) {
					b = len(want)
				}
				if n != b-a {
					t.Fatalf("step %d: DeleteRange removed %d want %d", step, n, b-a)
				}
				for _, e := range want[a:b] {
					delete(ref, e.m)
				}
			}
		}
		if z.Len() != len(ref) {
			t.Fatalf("step %d: len %d want %d", step, z.Len(), len(ref))
		}
		if step%50 != 0 {
			continue
		}
		want := sortedRef(ref)
		i := 0
		for m, s := range z.All() {
			if want[i].m != m || want[i].s != s {
				t.Fatalf("step %d: rank %d = %s/%v want %s/%v", step, i, m, s, want[i].m, want[i].s)
			}
			if rk, ok := z.Rank([]byte(m)); !ok || rk != i {
				t.Fatalf("step %d: Rank(%s)=%d,%v want %d", step, m, rk, ok, i)
			}
			if am, _ := z.At(i); am != m {
				t.Fatalf("step %d: At(%d)=%s want %s", step, i, am, m)
			}
			i++
		}
		j := len(want) - 1
		for m := range z.RevRange(0, len(want)) {
			if want[j].m != m {
				t.Fatalf("step %d: rev rank %d = %s want %s", step, j, m, want[j].m)
			}
			j--
		}
		lo, hi := float64(r.IntN(50)), float64(r.IntN(50))
		for _, ex := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			st, en := z.ScoreRange(lo, ex[0], hi, ex[1])
			cnt := 0
			for _, e := range want {
				if (e.s > lo || (!ex[0] && e.s == lo)) && (e.s < hi || (!ex[1] && e.s == hi)) {
					cnt++
				}
			}
			if got := max(0, en-st); got != cnt {
				t.Fatalf("step %d: ScoreRange(%v,%v,%v) count %d want %d", step, lo, hi, ex, got, cnt)
			}
		}
	}
}

func TestLexRange(t *testing.T) {
	z := NewZSet(0)
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		z.Add([]byte(m), 0)
	}
	cases := []struct {
		min, max   LexBound
		start, end int
	}{
		{LexBound{Inf: -1}, LexBound{Inf: 1}, 0, 5},
		{LexBound{Value: "b"}, LexBound{Value: "d"}, 1, 4},
		{LexBound{Value: "b", Exclusive: true}, LexBound{Value: "d", Exclusive: true}, 2, 3},
		{LexBound{Value: "bb"}, LexBound{Inf: 1}, 2, 5},
	}
	for _, c := range cases {
		s, e := z.LexRange(c.min, c.max)
		if s != c.start || e != c.end {
			t.Errorf("LexRange(%+v,%+v) = %d,%d want %d,%d", c.min, c.max, s, e, c.start, c.end)
		}
	}
}

func TestSwapAndFlush(t *testing.T) {
	s := New()
	s.DB(0).Put([]byte("a"), NewString([]byte("1")))
	s.DB(20).Put([]byte("b"), NewString([]byte("2")))
	if s.NumDBs() != 21 {
		t.Fatalf("NumDBs %d", s.NumDBs())
	}
	s.SwapDB(0, 20)
	if s.DB(0).GetString("b") == nil || s.DB(20).GetString("a") == nil {
		t.Fatal("swap failed")
	}
	s.SetFunction("lib", []byte("code"))
	s.FlushAll()
	if s.Keys() != 0 {
		t.Fatal("flushall left keys")
	}
	if _, ok := s.Function("lib"); !ok {
		t.Fatal("flushall must keep functions")
	}
	if s.DB(-1) != nil || s.DB(MaxDatabases) != nil {
		t.Fatal("invalid db index accepted")
	}
}

func TestStreamBasics(t *testing.T) {
	s := NewStream()
	for i := uint64(1); i <= 5; i++ {
		s.Append(StreamEntry{ID: StreamID{Ms: i}, Fields: [][]byte{[]byte("f"), []byte("v")}})
	}
	if !s.Delete(StreamID{Ms: 1}) || s.FirstID != (StreamID{Ms: 2}) {
		t.Fatalf("delete first: first=%v", s.FirstID)
	}
	s.TrimFront(2)
	if s.Len() != 2 || s.FirstID != (StreamID{Ms: 4}) {
		t.Fatalf("trim: len=%d first=%v", s.Len(), s.FirstID)
	}
	id, err := ParseStreamID([]byte("123-45"))
	if err != nil || id != (StreamID{123, 45}) || id.String() != "123-45" {
		t.Fatalf("parse: %v %v", id, err)
	}
	if _, err := ParseStreamID([]byte("x-1")); err == nil {
		t.Fatal("bad id accepted")
	}
}
