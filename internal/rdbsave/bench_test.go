package rdbsave

import (
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/store"
)

// benchStore is a 1,001,040-key mixed dataset shaped like the one measured
// in rdb-notes.md §6: 400k 100-byte strings, 100k integer strings, 100k
// strings with an expire, 150k 5-field hashes, 100k 10-element lists, 40k
// intsets, 35k 4-member string sets, 75k 10-member sorted sets, 10 each of
// 100k-element lists, 50k-field hashes, 50k-member sorted sets and 50k-member
// sets, and 1000 streams of 100 entries.
var benchStore = sync.OnceValue(func() *store.Store {
	r := rnd()
	s := store.New()
	d := s.DB(0)
	val := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(r.IntN(26))
		}
		return b
	}
	for i := 0; i < 400_000; i++ {
		d.PutString("key:"+strconv.Itoa(i), store.NewString(val(100)))
	}
	for i := 0; i < 100_000; i++ {
		d.PutString("counter:"+strconv.Itoa(i), store.NewString([]byte(strconv.Itoa(r.IntN(1<<40)))))
	}
	for i := 0; i < 100_000; i++ {
		e := store.NewString(val(20))
		e.Expire = 1_900_000_000_000 + int64(i)
		d.PutString("session:"+strconv.Itoa(i), e)
	}
	for i := 0; i < 150_000; i++ {
		h := store.NewHash(5)
		for f := 0; f < 5; f++ {
			h.SetString("field"+strconv.Itoa(f), val(10))
		}
		d.PutString("hash:"+strconv.Itoa(i), store.NewHashEntry(h))
	}
	for i := 0; i < 100_000; i++ {
		l := store.NewList(10)
		for j := 0; j < 10; j++ {
			l.PushBack(val(8))
		}
		d.PutString("list:"+strconv.Itoa(i), store.NewListEntry(l))
	}
	for i := 0; i < 40_000; i++ {
		st := store.NewSet(8)
		for j := 0; j < 8; j++ {
			st.AddString(strconv.Itoa(r.IntN(100000)))
		}
		d.PutString("intset:"+strconv.Itoa(i), store.NewSetEntry(st))
	}
	for i := 0; i < 35_000; i++ {
		st := store.NewSet(4)
		for j := 0; j < 4; j++ {
			st.Add(val(6))
		}
		d.PutString("set:"+strconv.Itoa(i), store.NewSetEntry(st))
	}
	for i := 0; i < 75_000; i++ {
		z := store.NewZSet(10)
		for j := 0; j < 10; j++ {
			z.Add(val(6), float64(r.IntN(1000))/7)
		}
		d.PutString("zset:"+strconv.Itoa(i), store.NewZSetEntry(z))
	}
	for i := 0; i < 10; i++ {
		l := store.NewList(100_000)
		for j := 0; j < 100_000; j++ {
			l.PushBack(val(10))
		}
		d.PutString("biglist:"+strconv.Itoa(i), store.NewListEntry(l))
		h := store.NewHash(50_000)
		z := store.NewZSet(50_000)
		st := store.NewSet(50_000)
		for j := 0; j < 50_000; j++ {
			h.SetString("f:"+strconv.Itoa(j), val(10))
			z.AddString("m:"+strconv.Itoa(j), r.Float64()*1000)
			st.AddString("s:" + strconv.Itoa(j))
		}
		d.PutString("bighash:"+strconv.Itoa(i), store.NewHashEntry(h))
		d.PutString("bigzset:"+strconv.Itoa(i), store.NewZSetEntry(z))
		d.PutString("bigset:"+strconv.Itoa(i), store.NewSetEntry(st))
	}
	for i := 0; i < 1000; i++ {
		x := store.NewStream()
		for j := 0; j < 100; j++ {
			x.Append(store.StreamEntry{ID: store.StreamID{Ms: 1_700_000_000_000 + uint64(j), Seq: 0},
				Fields: [][]byte{[]byte("sensor"), val(4), []byte("value"), []byte(strconv.Itoa(r.IntN(1000)))}})
		}
		x.LastID = x.Entries()[99].ID
		x.EntriesAdded = 100
		d.PutString("stream:"+strconv.Itoa(i), store.NewStreamEntry(x))
	}
	return s
})

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func benchWrite(b *testing.B, opts Options) {
	s := benchStore()
	var cw countWriter
	if err := Write(&cw, s, opts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cw.n)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if err := Write(io.Discard, s, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Keys())*float64(b.N)/time.Since(start).Seconds(), "keys/s")
	b.ReportMetric(float64(cw.n), "file-bytes")
}

// BenchmarkWrite1M writes the 1M-key store (RDB 10) to a discarding writer.
func BenchmarkWrite1M(b *testing.B) { benchWrite(b, Options{Version: 10}) }

// BenchmarkWrite1MCompress is BenchmarkWrite1M with LZF compression.
func BenchmarkWrite1MCompress(b *testing.B) { benchWrite(b, Options{Version: 10, Compress: true}) }

// BenchmarkWrite1MV9 writes the same store as RDB 9 (ziplists).
func BenchmarkWrite1MV9(b *testing.B) { benchWrite(b, Options{Version: 9}) }

// BenchmarkEncodeDumpSmallHash measures the per-value cost of a small hash.
func BenchmarkEncodeDumpSmallHash(b *testing.B) {
	h := store.NewHash(5)
	for f := 0; f < 5; f++ {
		h.SetString("field"+strconv.Itoa(f), []byte("value-"+strconv.Itoa(f)))
	}
	e := store.NewHashEntry(h)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeDump(e, 10); err != nil {
			b.Fatal(err)
		}
	}
}
