package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestDBAgainstMap drives a database (its key table) and a map with
// random puts, replacements and deletes through growth, tombstone-heavy
// churn and shrinking, checking lookups, Len and iteration.
func TestDBAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	d := newDB()
	ref := map[string]*Entry{}
	rehashing := 0
	for step := 0; step < 200000; step++ {
		k := fmt.Sprintf("key:%d", r.IntN(20000))
		switch delP := []int{20, 50, 90}[step/70000]; {
		case r.IntN(100) < delP:
			_, had := ref[k]
			if d.Delete([]byte(k)) != had {
				t.Fatalf("step %d: Delete(%s)", step, k)
			}
			delete(ref, k)
		case r.IntN(2) == 0:
			e := NewString([]byte(k))
			d.Put([]byte(k), e)
			ref[k] = e
		default:
			e := NewString(nil)
			d.PutString(k, e)
			ref[k] = e
		}
		if d.Len() != len(ref) {
			t.Fatalf("step %d: Len %d want %d", step, d.Len(), len(ref))
		}
		if got, want := d.GetString(k), ref[k]; got != want {
			t.Fatalf("step %d: GetString(%s)", step, k)
		}
		if step%20011 == 0 || step < 300 { // every step while tables are small
			checkDB(t, d, ref)
		}
		if d.t.old != nil {
			if rehashing++; rehashing%500 == 1 {
				checkDB(t, d, ref) // keys spread over both tables
			}
		}
	}
	if rehashing == 0 {
		t.Fatal("never saw a rehash under way")
	}
	checkDB(t, d, ref)
	d.Clear()
	checkDB(t, d, map[string]*Entry{})
}

func checkDB(t *testing.T, d *DB, ref map[string]*Entry) {
	t.Helper()
	got := map[string]*Entry{}
	for k, e := range d.All() {
		if _, dup := got[k]; dup {
			t.Fatalf("All yields %q twice", k)
		}
		got[k] = e
	}
	if !maps.Equal(got, ref) {
		t.Fatalf("All: %d keys, want %d", len(got), len(ref))
	}
	if !slices.Equal(d.Keys(), slices.Sorted(maps.Keys(ref))) {
		t.Fatal("Keys differ")
	}
	for k, e := range ref {
		if d.Get([]byte(k)) != e || d.Lookup([]byte(k), 0) != e {
			t.Fatalf("Get(%s)", k)
		}
	}
	if d.Get([]byte("absent")) != nil {
		t.Fatal("Get(absent)")
	}
	if c := d.t.cur; (c.n+c.tomb)*8 > len(c.tags)*7 {
		t.Fatalf("table overfull: %d + %d tombstones in %d", c.n, c.tomb, len(c.tags))
	}
	for _, tb := range [2]*ktable{d.t.old, &d.t.cur} {
		if tb != nil && !slices.Contains(tb.tags, ktEmpty) {
			t.Fatalf("a table without an empty slot (%d keys, %d tombstones): probes for absent keys never end", tb.n, tb.tomb)
		}
	}
}

// BenchmarkDBPut inserts 1,000,000 keys into a presized database, and
// into a presized Go map for comparison.
func BenchmarkDBPut(b *testing.B) {
	const n = 1000000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%d", i*7919%10000019)
	}
	e := NewString(nil)
	b.Run("PutString", func(b *testing.B) {
		for b.Loop() {
			d := newDB()
			d.Reserve(n)
			for _, k := range keys {
				d.PutString(k, e)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := make(map[string]*Entry, n)
			for _, k := range keys {
				m[k] = e
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
}

// BenchmarkDBGrow inserts 2,000,000 keys into a database that was not
// presized (the live stream's case), reporting the slowest single Put:
// the pause an applier would see. Growth is incremental, so it stays far
// below what moving every key at once costs (about 100 ms at 1M keys).
func BenchmarkDBGrow(b *testing.B) {
	const n = 2000000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%d", i*7919%10000019)
	}
	e := NewString(nil)
	var worst time.Duration
	for b.Loop() {
		d := newDB()
		for _, k := range keys {
			t0 := time.Now()
			d.PutString(k, e)
			worst = max(worst, time.Since(t0))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	b.ReportMetric(float64(worst.Microseconds()), "worst-put-µs")
}
