package store

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Randomized tests of the packed and big forms (and the conversions
// between them) against plain Go models. Element sizes straddle the
// one-byte length limit (127) and the packed size limits; pools straddle
// packMaxEntries.

// randElem returns an element of a size class picked by r: mostly short,
// sometimes around the 127/128-byte varint boundary, rarely large.
func randElem(r *rand.Rand, id int, big bool) []byte {
	base := fmt.Sprintf("e%d:", id)
	var n int
	switch x := r.IntN(100); {
	case x < 70:
		n = r.IntN(12)
	case x < 90:
		n = 120 + r.IntN(16)
	case x < 98 || !big:
		n = r.IntN(300)
	default:
		n = 3000 + r.IntN(6000)
	}
	return append([]byte(base), bytes.Repeat([]byte{byte('a' + id%26)}, n)...)
}

func TestHashForms(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		pool := []int{10, 60, 140, 400}[seed%4]
		r := rand.New(rand.NewPCG(seed, 99))
		h := NewHash(0)
		ref := map[string]string{}
		ttl := map[string]int64{}
		for step := 0; step < 4000; step++ {
			id := r.IntN(pool)
			f := fmt.Appendf(nil, "f%d", id)
			if r.IntN(10) == 0 {
				f = append(f, strings.Repeat("x", 130)...) // multi-byte length
			}
			switch op := r.IntN(10); {
			case op < 5:
				v := randElem(r, step, seed%2 == 0)
				_, had := ref[string(f)]
				keep := r.IntN(2) == 0
				if got := h.PutField(f, v, keep); got == had {
					t.Fatalf("seed %d step %d: PutField new=%v had=%v", seed, step, got, had)
				}
				ref[string(f)] = string(v)
				if !keep {
					delete(ttl, string(f))
				}
			case op < 7:
				_, had := ref[string(f)]
				if h.Delete(f) != had {
					t.Fatalf("seed %d step %d: Delete(%s)", seed, step, f)
				}
				delete(ref, string(f))
				delete(ttl, string(f))
			case op < 8:
				if _, ok := ref[string(f)]; ok && r.IntN(5) == 0 {
					tm := int64(r.IntN(3)) * 1000
					h.SetFieldExpire(f, tm)
					if tm == 0 {
						delete(ttl, string(f))
					} else {
						ttl[string(f)] = tm
					}
				}
			default:
				v, ok := h.Get(f)
				want, had := ref[string(f)]
				if ok != had || string(v) != want {
					t.Fatalf("seed %d step %d: Get(%s)=%q,%v want %q,%v", seed, step, f, v, ok, want, had)
				}
				if h.FieldExpire(f) != ttl[string(f)] {
					t.Fatalf("seed %d step %d: FieldExpire(%s)=%d want %d", seed, step, f, h.FieldExpire(f), ttl[string(f)])
				}
			}
			if h.Len() != len(ref) {
				t.Fatalf("seed %d step %d: Len %d want %d", seed, step, h.Len(), len(ref))
			}
			if h.HasFieldExpires() != (len(ttl) > 0) {
				t.Fatalf("seed %d step %d: HasFieldExpires %v with %d", seed, step, h.HasFieldExpires(), len(ttl))
			}
			if step%53 == 0 {
				checkHash(t, h, ref)
				c := NewHashEntry(h).Clone().Hash()
				checkHash(t, c, ref)
			}
		}
	}
}

func checkHash(t *testing.T, h *Hash, ref map[string]string) {
	t.Helper()
	got := map[string]string{}
	for f, v := range h.All() {
		if _, dup := got[f]; dup {
			t.Fatalf("All yields %q twice", f)
		}
		got[f] = string(v)
	}
	if !maps.Equal(got, ref) {
		t.Fatalf("All: %d fields, want %d (or values differ)", len(got), len(ref))
	}
	if fs := h.Fields(); !slices.IsSorted(fs) || len(fs) != len(ref) {
		t.Fatalf("Fields not sorted or wrong length")
	}
}

func TestSetForms(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		pool := []int{10, 60, 140, 400}[seed%4]
		r := rand.New(rand.NewPCG(seed, 7))
		s := NewSet(0)
		ref := map[string]bool{}
		for step := 0; step < 4000; step++ {
			id := r.IntN(pool)
			m := fmt.Appendf(nil, "m%d", id)
			if id%7 == 0 {
				m = append(m, strings.Repeat("y", 125+id%5)...)
			}
			switch op := r.IntN(6); {
			case op < 2:
				if s.Add(m) == ref[string(m)] {
					t.Fatalf("seed %d step %d: Add(%s)", seed, step, m)
				}
				ref[string(m)] = true
			case op < 3:
				if s.AddString(string(m)) == ref[string(m)] {
					t.Fatalf("seed %d step %d: AddString(%s)", seed, step, m)
				}
				ref[string(m)] = true
			case op < 5:
				if s.Remove(m) != ref[string(m)] {
					t.Fatalf("seed %d step %d: Remove(%s)", seed, step, m)
				}
				delete(ref, string(m))
			default:
				if s.Has(m) != ref[string(m)] {
					t.Fatalf("seed %d step %d: Has(%s)", seed, step, m)
				}
			}
			if s.Len() != len(ref) {
				t.Fatalf("seed %d step %d: Len %d want %d", seed, step, s.Len(), len(ref))
			}
			if step%41 == 0 {
				for _, c := range []*Set{s, NewSetEntry(s).Clone().Set()} {
					got := slices.Collect(c.All())
					slices.Sort(got)
					want := slices.Sorted(maps.Keys(ref))
					if !slices.Equal(got, want) || !slices.Equal(c.Sorted(), want) {
						t.Fatalf("seed %d step %d: members differ", seed, step)
					}
				}
			}
		}
	}
}

// TestSetAddStringCopies: a member added from another set's view stays
// intact when that set changes.
func TestSetAddStringCopies(t *testing.T) {
	a, b := NewSet(0), NewSet(0)
	a.Add([]byte("one"))
	a.Add([]byte("two"))
	for m := range a.All() {
		b.AddString(m)
	}
	a.Remove([]byte("one"))
	a.Add([]byte("xyz"))
	if got := b.Sorted(); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("b = %q", got)
	}
}

func TestZSetForms(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		pool := []int{10, 60, 140, 400}[seed%4]
		r := rand.New(rand.NewPCG(seed, 5))
		z := NewZSet(0)
		ref := map[string]float64{}
		for step := 0; step < 4000; step++ {
			id := r.IntN(pool)
			m := fmt.Sprintf("m%03d", id)
			if id%9 == 0 {
				m += strings.Repeat("z", 126+id%4)
			}
			sc := float64(r.IntN(20)) - 10
			switch r.IntN(4) {
			case 0:
				sc = math.Copysign(0, -1)
			case 1:
				sc += 0.5
			}
			switch op := r.IntN(10); {
			case op < 4:
				_, had := ref[m]
				var added bool
				if op < 2 {
					added = z.Add([]byte(m), sc)
				} else {
					added = z.AddString(m, sc)
				}
				if added == had {
					t.Fatalf("seed %d step %d: Add(%s) added=%v had=%v", seed, step, m, added, had)
				}
				if old, ok := ref[m]; !ok || old != sc {
					ref[m] = sc
				}
			case op < 6:
				_, had := ref[m]
				if z.Remove([]byte(m)) != had {
					t.Fatalf("seed %d step %d: Remove(%s)", seed, step, m)
				}
				delete(ref, m)
			case op < 7:
				if r.IntN(8) == 0 && len(ref) > 0 {
					a := r.IntN(len(ref))
					b := a + r.IntN(4)
					want := sortedRef(ref)
					n := z.DeleteRange(a, b)
					b = min(b, len(want))
					if n != b-a {
						t.Fatalf("seed %d step %d: DeleteRange removed %d want %d", seed, step, n, b-a)
					}
					for _, e := range want[a:b] {
						delete(ref, e.m)
					}
				}
			default:
				got, ok := z.Score([]byte(m))
				want, had := ref[m]
				if ok != had || math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("seed %d step %d: Score(%s)=%v,%v want %v,%v", seed, step, m, got, ok, want, had)
				}
			}
			if z.Len() != len(ref) {
				t.Fatalf("seed %d step %d: Len %d want %d", seed, step, z.Len(), len(ref))
			}
			if step%37 == 0 {
				checkZSet(t, z, ref, r)
				checkZSet(t, NewZSetEntry(z).Clone().ZSet(), ref, r)
			}
		}
		z.NormalizeNegZero()
		for m, s := range z.All() {
			if math.Signbit(s) && s == 0 {
				t.Fatalf("NormalizeNegZero left -0 on %s", m)
			}
		}
	}
}

func checkZSet(t *testing.T, z *ZSet, ref map[string]float64, r *rand.Rand) {
	t.Helper()
	if r == nil {
		r = rand.New(rand.NewPCG(uint64(len(ref)), 2))
	}
	want := sortedRef(ref)
	i := 0
	for m, s := range z.All() {
		if want[i].m != m || math.Float64bits(want[i].s) != math.Float64bits(s) {
			t.Fatalf("rank %d = %s/%v want %s/%v", i, m, s, want[i].m, want[i].s)
		}
		if rk, ok := z.Rank([]byte(m)); !ok || rk != i {
			t.Fatalf("Rank(%s)=%d,%v want %d", m, rk, ok, i)
		}
		if am, as := z.At(i); am != m || as != s {
			t.Fatalf("At(%d)=%s want %s", i, am, m)
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("All yields %d, want %d", i, len(want))
	}
	a, b := r.IntN(len(want)+2)-1, r.IntN(len(want)+2)
	j := min(b, len(want)) - 1
	for m := range z.RevRange(a, b) {
		if want[j].m != m {
			t.Fatalf("RevRange(%d,%d) at %d = %s want %s", a, b, j, m, want[j].m)
		}
		j--
	}
	if j != max(a, 0)-1 && a < b && max(a, 0) < len(want) {
		t.Fatalf("RevRange(%d,%d) stopped at %d", a, b, j)
	}
	j = max(a, 0)
	for m := range z.Range(a, b) {
		if want[j].m != m {
			t.Fatalf("Range(%d,%d) at %d = %s want %s", a, b, j, m, want[j].m)
		}
		j++
	}
	lo, hi := float64(r.IntN(24)-12), float64(r.IntN(24)-12)
	for _, ex := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		st, en := z.ScoreRange(lo, ex[0], hi, ex[1])
		cnt, first := 0, -1
		for k, e := range want {
			if (e.s > lo || (!ex[0] && e.s == lo)) && (e.s < hi || (!ex[1] && e.s == hi)) {
				cnt++
				if first < 0 {
					first = k
				}
			}
		}
		if got := max(0, en-st); got != cnt || (cnt > 0 && st != first) {
			t.Fatalf("ScoreRange(%v,%v,%v) = [%d,%d) want %d from %d", lo, hi, ex, st, en, cnt, first)
		}
	}
}

func TestListForms(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		l := NewList(0)
		var ref [][]byte
		// Phases: grow, churn, shrink, so both forms and the way between
		// them are visited.
		for step := 0; step < 6000; step++ {
			phase := step / 2000
			v := randElem(r, step, seed%3 == 0)
			grow := []int{6, 3, 1}[phase]
			switch op := r.IntN(14); {
			case op < grow:
				if r.IntN(2) == 0 {
					l.PushBack(v)
					ref = append(ref, v)
				} else {
					l.PushFront(v)
					ref = slices.Insert(ref, 0, v)
				}
			case op < 6 && len(ref) > 0:
				if r.IntN(2) == 0 {
					got := l.PopFront()
					if !bytes.Equal(got, ref[0]) {
						t.Fatalf("seed %d step %d: PopFront %.20q want %.20q", seed, step, got, ref[0])
					}
					ref = ref[1:]
				} else {
					got := l.PopBack()
					if !bytes.Equal(got, ref[len(ref)-1]) {
						t.Fatalf("seed %d step %d: PopBack %.20q want %.20q", seed, step, got, ref[len(ref)-1])
					}
					ref = ref[:len(ref)-1]
				}
			case op < 8:
				i := r.IntN(len(ref) + 1)
				l.Insert(i, v)
				ref = slices.Insert(ref, i, v)
			case op < 9 && len(ref) > 0:
				i := r.IntN(len(ref))
				l.RemoveAt(i)
				ref = slices.Delete(ref, i, i+1)
			case op < 10 && len(ref) > 0:
				i := r.IntN(len(ref))
				l.SetIndex(i, v)
				ref[i] = v
			case op < 11 && len(ref) > 0:
				i := r.IntN(len(ref))
				if got := l.Index(i); !bytes.Equal(got, ref[i]) {
					t.Fatalf("seed %d step %d: Index(%d) %.20q want %.20q", seed, step, i, got, ref[i])
				}
			case op < 12 && len(ref) > 0 && r.IntN(25) == 0:
				a := r.IntN(len(ref))
				b := a + r.IntN(len(ref)-a)
				if r.IntN(10) == 0 {
					b = a - 1
				}
				l.Trim(a, b)
				if a > b {
					ref = nil
				} else {
					ref = append([][]byte(nil), ref[a:b+1]...)
				}
			case op < 13 && r.IntN(10) == 0:
				mod := 2 + r.IntN(3)
				var idx []int
				removed := l.Filter(func(i int, v []byte) bool {
					idx = append(idx, i)
					return len(v)%mod != 0
				})
				if !slices.Equal(idx, seq(len(ref))) {
					t.Fatalf("seed %d step %d: Filter indexes %v", seed, step, idx)
				}
				n := len(ref)
				ref = slices.DeleteFunc(ref, func(v []byte) bool { return len(v)%mod == 0 })
				if removed != n-len(ref) {
					t.Fatalf("seed %d step %d: Filter removed %d want %d", seed, step, removed, n-len(ref))
				}
			}
			if l.Len() != len(ref) {
				t.Fatalf("seed %d step %d: len %d want %d", seed, step, l.Len(), len(ref))
			}
			if step%67 == 0 {
				checkList(t, l, ref)
				checkList(t, NewListEntry(l).Clone().List(), ref)
			}
		}
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func checkList(t *testing.T, l *List, ref [][]byte) {
	t.Helper()
	n := 0
	for i, v := range l.All() {
		if i != n || !bytes.Equal(v, ref[i]) {
			t.Fatalf("All [%d]=%.20q want %.20q", i, v, ref[i])
		}
		n++
	}
	if n != len(ref) {
		t.Fatalf("All yields %d, want %d", n, len(ref))
	}
	for i := range ref {
		if !bytes.Equal(l.Index(i), ref[i]) {
			t.Fatalf("Index(%d)", i)
		}
	}
	if l.e.big {
		total := 0
		for _, q := range l.ql().nodes {
			if q.n == 0 {
				t.Fatal("empty node in the chain")
			}
			total += int(q.n)
		}
		if total != len(ref) {
			t.Fatalf("nodes hold %d, want %d", total, len(ref))
		}
	}
}

// TestPopViews: a popped element stays intact until the list changes,
// even when the pop empties a node.
func TestPopViews(t *testing.T) {
	l := NewList(0)
	for i := 0; i < 3000; i++ {
		l.PushBack(fmt.Appendf(nil, "element-%d", i))
	}
	for i := 0; i < 3000; i++ {
		v := l.PopFront()
		if string(v) != fmt.Sprintf("element-%d", i) {
			t.Fatalf("PopFront %d = %q", i, v)
		}
	}
}

func TestUvarintLen(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1 << 21, 1<<28 + 3} {
		if got, want := uvarintLen(n), len(fmt.Appendf(nil, "%s", appendUvarint(n))); got != want {
			t.Errorf("uvarintLen(%d) = %d want %d", n, got, want)
		}
		b := make([]byte, leSize(n))
		v := bytes.Repeat([]byte{'q'}, n)
		if end := lePut(b, 0, v); end != len(b) {
			t.Fatalf("lePut(%d) ends at %d of %d", n, end, len(b))
		}
		if got, e := leNext(b, 0); len(got) != n || e != len(b) {
			t.Fatalf("leNext(%d)", n)
		}
		if got, s := lePrev(b, len(b)); len(got) != n || s != 0 {
			t.Fatalf("lePrev(%d)", n)
		}
	}
}

func appendUvarint(n int) []byte {
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

// TestZtreeLarge drives a big sorted set (tall enough for inner-node
// splits, leaf merges and root changes) against a map, checking the tree's
// invariants along the way; half the runs start from a bulk build.
func TestZtreeLarge(t *testing.T) {
	for _, bulk := range []bool{false, true} {
		r := rand.New(rand.NewPCG(31, 32))
		pool := 30000
		ref := map[string]float64{}
		z := NewZSet(0)
		if bulk {
			var b Builder
			b.Reset(KindZSet, pool)
			for i := 0; i < pool; i += 2 {
				m := fmt.Sprintf("m%06d", i)
				sc := float64(r.IntN(5000))
				b.AddScored([]byte(m), sc)
				ref[m] = sc
			}
			e, _, dup := b.Finish([]byte("k"))
			if dup != nil {
				t.Fatal(dup)
			}
			z = e.ZSet()
			checkZtree(t, z, ref)
		}
		for step := 0; step < 150000; step++ {
			m := fmt.Sprintf("m%06d", r.IntN(pool))
			sc := float64(r.IntN(5000))
			phase := step * 3 / 150000 // grow, churn, shrink
			if r.IntN(10) < []int{7, 5, 2}[phase] {
				_, had := ref[m]
				if z.Add([]byte(m), sc) == had {
					t.Fatalf("step %d: Add(%s)", step, m)
				}
				ref[m] = sc
			} else {
				_, had := ref[m]
				if z.Remove([]byte(m)) != had {
					t.Fatalf("step %d: Remove(%s)", step, m)
				}
				delete(ref, m)
			}
			if step%25000 == 0 || step == 149999 {
				checkZtree(t, z, ref)
			}
		}
		for len(ref) > 0 { // drain to empty
			want := sortedRef(ref)
			n := z.DeleteRange(0, 1+len(want)/3)
			for _, e := range want[:n] {
				delete(ref, e.m)
			}
			if z.Len() != len(ref) {
				t.Fatalf("drain: Len %d want %d", z.Len(), len(ref))
			}
		}
	}
}

func checkZtree(t *testing.T, z *ZSet, ref map[string]float64) {
	t.Helper()
	if z.Len() != len(ref) {
		t.Fatalf("Len %d want %d", z.Len(), len(ref))
	}
	r := rand.New(rand.NewPCG(uint64(len(ref)), 1))
	checkZSet(t, z, ref, r)
	if !z.e.big {
		return
	}
	tr := &z.big().tree
	var walk func(x *ztNode, lo *ztKey) int
	var leaves []*ztNode
	walk = func(x *ztNode, lo *ztKey) int {
		if x.leaf() {
			n := 0
			for p := 0; p < len(x.b); n++ {
				sc, m, e := zpNext(x.b, p)
				if lo != nil && sepLess(sc, m, lo) {
					t.Fatalf("key %s/%v below its separator %s/%v", m, sc, lo.member, lo.score)
				}
				p = e
			}
			if n != x.n || (n == 0 && x != tr.root) {
				t.Fatalf("leaf counts %d, holds %d", x.n, n)
			}
			leaves = append(leaves, x)
			return n
		}
		if len(x.kids) == 0 || len(x.kids) > ztFanout || len(x.seps) != len(x.kids) {
			t.Fatalf("inner node with %d kids, %d seps", len(x.kids), len(x.seps))
		}
		n := 0
		for i, k := range x.kids {
			b := lo
			if i > 0 {
				b = &x.seps[i]
			}
			n += walk(k, b)
		}
		if n != x.n {
			t.Fatalf("inner counts %d, holds %d", x.n, n)
		}
		return n
	}
	walk(tr.root, nil)
	if tr.first != leaves[0] || tr.last != leaves[len(leaves)-1] {
		t.Fatal("leaf chain ends wrong")
	}
	for i, l := range leaves {
		if (i > 0 && l.prev != leaves[i-1]) || (i+1 < len(leaves) && l.next != leaves[i+1]) {
			t.Fatalf("leaf chain broken at %d", i)
		}
	}
}
