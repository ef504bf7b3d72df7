package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCtabAgainstMap drives a ctab (hash flavour, and set flavour) and a
// map with the same random puts and deletes: a growing phase, a churning
// one with heavy deletion (tombstones, rebuilds) and values that change
// size (in-place and moved records, records bigger than a chunk), and a
// shrinking one.
func TestCtabAgainstMap(t *testing.T) {
	for _, hasVal := range []bool{true, false} {
		r := rand.New(rand.NewPCG(21, 22))
		tab := newCtab(0, hasVal)
		ref := map[string]string{}
		for step := 0; step < 60000; step++ {
			k := fmt.Appendf(nil, "key-%d", r.IntN(3000))
			var v []byte
			if hasVal {
				switch x := r.IntN(100); {
				case x < 80:
					v = fmt.Appendf(nil, "v%d", r.IntN(100))
				case x < 99:
					v = bytes.Repeat([]byte{'v'}, r.IntN(300))
				default:
					v = bytes.Repeat([]byte{'V'}, 40000+r.IntN(40000))
				}
			}
			delP := []int{10, 50, 80}[step/20000]
			if r.IntN(100) < delP {
				_, had := ref[string(k)]
				if tab.del(k) != had {
					t.Fatalf("step %d: del(%s) != %v", step, k, had)
				}
				delete(ref, string(k))
			} else {
				_, had := ref[string(k)]
				if tab.put(k, v) == had {
					t.Fatalf("step %d: put(%s) new = %v", step, k, had)
				}
				ref[string(k)] = string(v)
			}
			if tab.n != len(ref) {
				t.Fatalf("step %d: n %d want %d", step, tab.n, len(ref))
			}
			if step%997 == 0 {
				checkCtab(t, tab, ref)
				checkCtab(t, tab.clone(), ref)
			}
		}
		checkCtab(t, tab, ref)
	}
}

func checkCtab(t *testing.T, tab *ctab, ref map[string]string) {
	t.Helper()
	seen := 0
	live := 0
	tab.all(func(k, v []byte) bool {
		want, ok := ref[string(k)]
		if !ok || want != string(v) {
			t.Fatalf("all: %s=%.20q, want %.20q (present %v)", k, v, want, ok)
		}
		live += pkSize(len(k))
		if tab.hasVal {
			live += pkSize(len(v))
		}
		seen++
		return true
	})
	if seen != len(ref) {
		t.Fatalf("all yields %d, want %d", seen, len(ref))
	}
	if live != tab.live {
		t.Fatalf("live bytes %d, accounted %d", live, tab.live)
	}
	for k, want := range ref {
		s, ok := tab.get([]byte(k))
		if !ok {
			t.Fatalf("get(%s) missing", k)
		}
		if _, v := tab.kv(s); string(v) != want {
			t.Fatalf("get(%s) = %.20q", k, v)
		}
	}
	if _, ok := tab.get([]byte("absent")); ok {
		t.Fatal("get(absent)")
	}
	if (tab.n+tab.tomb)*4 > len(tab.slots)*3 {
		t.Fatalf("table overfull: %d live %d tombstones in %d", tab.n, tab.tomb, len(tab.slots))
	}
}

// TestCtabProbeLength: sequential and similar keys spread over the table
// (a weak hash would cluster them and make linear probing crawl).
func TestCtabProbeLength(t *testing.T) {
	for _, format := range []string{"%d", "user:%08d", "%d-suffix-long-enough-to-take-the-loop"} {
		tab := newCtab(100000, false)
		for i := 0; i < 100000; i++ {
			tab.put(fmt.Appendf(nil, format, i), nil)
		}
		total := 0
		for i, s := range tab.slots {
			if s <= ctTomb {
				continue
			}
			d := i - tab.home(tab.hash(tab.key(s)))
			if d < 0 {
				d += len(tab.slots)
			}
			total += d
		}
		if avg := float64(total) / float64(tab.n); avg > 2 {
			t.Errorf("%s: average probe distance %.2f", format, avg)
		}
	}
}

func BenchmarkCtabPut(b *testing.B) {
	keys := make([][]byte, 6000)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "%d", i*7919%1000003)
	}
	b.Run("ctab", func(b *testing.B) {
		for b.Loop() {
			tab := newCtab(len(keys), false)
			for _, k := range keys {
				tab.put(k, nil)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := make(map[string]struct{}, len(keys))
			for _, k := range keys {
				m[string(k)] = struct{}{}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
}
