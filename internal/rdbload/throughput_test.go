package rdbload

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/hdt3213/rdb/model"
	hdt "github.com/hdt3213/rdb/parser"

	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Side-by-side decode throughput: our Decode (discarding handler), our
// Load (building a store) and hdt3213/rdb v1.3.2's Parse (discarding
// callback) on the same in-memory files, in the same run.
//
//	go test -run '^$' -bench Throughput -benchmem ./internal/rdbload/
//	go test -run TestThroughputRatio -v ./internal/rdbload/ -args -ratio [-ratio.rounds 5]
//
// The benchmarks report MB/s (b.SetBytes) and keys/s; TestThroughputRatio
// (opt-in with -ratio) runs them interleaved and prints ours/hdt3213.

var (
	ratio       = flag.Bool("ratio", false, "run TestThroughputRatio (decode throughput vs hdt3213/rdb, interleaved benchmarks)")
	ratioRounds = flag.Int("ratio.rounds", 3, "TestThroughputRatio: interleaved rounds (the best of each is kept)")
)

// throughputFile is one benchmark input.
type throughputFile struct {
	name string
	data []byte
	keys int64
}

var (
	throughputMu    sync.Mutex
	throughputFiles = map[string]throughputFile{}
)

// benchFiles builds (once) the inputs:
//
//   - strings: 1,000,000 string keys with 100-byte incompressible values, a
//     tenth with a TTL, two databases (stringsRDB; built in memory);
//   - strings-redis: written by redis-server 7.0 (SAVE, default
//     rdbcompression) after DEBUG POPULATE 400000 (values "value:<n>"
//     zero-padded to 100 bytes, which it LZF-compresses) and 100,000
//     incompressible 100-byte strings, as the hdt3213 measurements in
//     docs/rdb-notes.md;
//   - mixed-fixtures: the redis-7.0.15 fixture's dataset (a seeded workload
//     of every type a real server wrote) replicated 40 times under renamed
//     keys, written by rdbsave as RDB 10 with LZF;
//   - mixed-synthetic: 100,000 keys of every type in compact and big
//     encodings (mixedStore), written by rdbsave as RDB 10 with LZF.
func benchFiles(tb testing.TB) []throughputFile {
	var out []throughputFile
	for _, name := range throughputNames {
		out = append(out, benchFile(tb, name))
	}
	return out
}

var throughputNames = []string{"strings", "strings-redis", "mixed-fixtures", "mixed-synthetic"}

// benchFile builds (once) the named input.
func benchFile(tb testing.TB, name string) throughputFile {
	throughputMu.Lock()
	defer throughputMu.Unlock()
	if f, ok := throughputFiles[name]; ok {
		return f
	}
	var f throughputFile
	switch name {
	case "strings":
		f = throughputFile{name, stringsRDB(1_000_000), 1_000_000}
	case "strings-redis":
		f = redisStringsFile(tb)
	case "mixed-fixtures":
		f = fileOf(tb, name, replicatedFixture(tb, "testdata/redis-7.0.15/dump.rdb", 40))
	case "mixed-synthetic":
		f = fileOf(tb, name, mixedStore(100_000))
	default:
		tb.Fatalf("no benchmark input %q", name)
	}
	throughputFiles[name] = f
	return f
}

func fileOf(tb testing.TB, name string, s *store.Store) throughputFile {
	var buf bytes.Buffer
	if err := rdbsave.Write(&buf, s, rdbsave.Options{Version: 10, Compress: true}); err != nil {
		tb.Fatal(err)
	}
	return throughputFile{name, buf.Bytes(), int64(s.Keys())}
}

// replicatedFixture loads an RDB and copies its keyspace n times under
// keys suffixed "#<i>" (the values are shared: the writer only reads).
func replicatedFixture(tb testing.TB, path string, n int) *store.Store {
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	src, _, err := Load(bytes.NewReader(data), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	out := store.New()
	for db := 0; db < src.NumDBs(); db++ {
		for k, e := range src.DB(db).All() {
			for i := 0; i < n; i++ {
				out.DB(db).PutString(k+"#"+strconv.Itoa(i), e)
			}
		}
	}
	return out
}

func redisStringsFile(tb testing.TB) throughputFile {
	srv := redistest.Start(tb)
	populateStrings(tb, srv, 400000, 100000)
	srv.Do("SAVE")
	data, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
	if err != nil {
		tb.Fatal(err)
	}
	srv.Stop()
	return throughputFile{"strings-redis", data, 500000}
}

// mixedStore builds n keys of every type with a deterministic RNG.
func mixedStore(n int) *store.Store {
	r := rand.New(rand.NewPCG(7, 11))
	s := store.New()
	word := func(i int) []byte { return []byte("member:" + strconv.Itoa(i)) }
	blob := func(l int) []byte {
		b := make([]byte, l)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for i := 0; i < n; i++ {
		db := s.DB(i % 4)
		key := "k:" + strconv.Itoa(i)
		var e *store.Entry
		switch i % 20 {
		case 0, 1, 2, 3: // integers
			e = store.NewString([]byte(strconv.Itoa(r.IntN(1 << 30))))
		case 4, 5, 6, 7: // short strings
			e = store.NewString(blob(16 + r.IntN(48)))
		case 8: // long compressible string
			e = store.NewString(bytes.Repeat([]byte("abcdefgh"), 64+r.IntN(64)))
		case 9, 10: // small list
			l := store.NewList(8)
			for j := 0; j < 8; j++ {
				l.PushBack(word(r.IntN(1000)))
			}
			e = store.NewListEntry(l)
		case 11: // big list
			l := store.NewList(128)
			for j := 0; j < 128; j++ {
				l.PushBack(blob(20))
			}
			e = store.NewListEntry(l)
		case 12: // intset
			st := store.NewSet(16)
			for j := 0; j < 16; j++ {
				st.Add([]byte(strconv.Itoa(r.IntN(100000))))
			}
			e = store.NewSetEntry(st)
		case 13: // hashtable set
			st := store.NewSet(150)
			for j := 0; j < 150; j++ {
				st.Add(word(r.IntN(1 << 20)))
			}
			e = store.NewSetEntry(st)
		case 14: // listpack zset
			z := store.NewZSet(16)
			for j := 0; j < 16; j++ {
				z.Add(word(j), float64(r.IntN(1000))/7)
			}
			e = store.NewZSetEntry(z)
		case 15: // skiplist zset
			z := store.NewZSet(150)
			for j := 0; j < 150; j++ {
				z.Add(word(j), r.Float64()*1e6)
			}
			e = store.NewZSetEntry(z)
		case 16, 17: // listpack hash
			h := store.NewHash(10)
			for j := 0; j < 10; j++ {
				h.Set([]byte("f"+strconv.Itoa(j)), blob(12))
			}
			e = store.NewHashEntry(h)
		case 18: // hashtable hash
			h := store.NewHash(256)
			for j := 0; j < 256; j++ {
				h.Set([]byte("field:"+strconv.Itoa(j)), word(r.IntN(1<<20)))
			}
			e = store.NewHashEntry(h)
		case 19: // stream
			st := store.NewStream()
			ms := uint64(1700000000000 + i)
			for j := 0; j < 20; j++ {
				id := store.StreamID{Ms: ms + uint64(j), Seq: 0}
				st.Append(store.StreamEntry{ID: id, Fields: [][]byte{[]byte("f"), word(j), []byte("n"), []byte(strconv.Itoa(j))}})
				st.LastID = id
				st.EntriesAdded++
			}
			e = store.NewStreamEntry(st)
		}
		if i%10 == 0 {
			e.Expire = 1900000000000 + int64(i)
		}
		db.PutString(key, e)
	}
	return s
}

func benchOursDecode(b *testing.B, f throughputFile) {
	b.SetBytes(int64(len(f.data)))
	b.ReportAllocs()
	h := &collectNothing{}
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(f.data), h, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.keys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

func benchOursLoad(b *testing.B, f throughputFile) {
	b.SetBytes(int64(len(f.data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Load(bytes.NewReader(f.data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.keys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

func benchHdt(b *testing.B, f throughputFile) {
	b.SetBytes(int64(len(f.data)))
	b.ReportAllocs()
	for b.Loop() {
		var n int64
		err := hdt.NewDecoder(bytes.NewReader(f.data)).Parse(func(o model.RedisObject) bool {
			n++
			return true
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != f.keys {
			b.Fatalf("hdt3213 decoded %d keys, want %d", n, f.keys)
		}
	}
	b.ReportMetric(float64(f.keys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// benchOursSkip: Decode with a KeySelector declining every value (the
// structural walk and CRC that `rdb --summary` does; nothing is built).
// Not comparable with hdt3213's Parse, which builds every value: it
// shows what the parsing costs without the values.
func benchOursSkip(b *testing.B, f throughputFile) {
	b.SetBytes(int64(len(f.data)))
	b.ReportAllocs()
	h := &skipAll{}
	for b.Loop() {
		info, err := Decode(bytes.NewReader(f.data), h, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if info.Keys != f.keys {
			b.Fatalf("%d keys, want %d", info.Keys, f.keys)
		}
	}
	b.ReportMetric(float64(f.keys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

type skipAll struct{ collectNothing }

func (skipAll) WantKey(int, []byte, byte) bool               { return false }
func (skipAll) SkippedKey(int, []byte, int64, KeyMeta) error { return nil }

var throughputImpls = []struct {
	name string
	fn   func(*testing.B, throughputFile)
}{
	{"ours-decode", benchOursDecode},
	{"ours-load", benchOursLoad},
	{"hdt3213", benchHdt},
	{"ours-skip", benchOursSkip},
}

// BenchmarkThroughput decodes each file with each implementation.
func BenchmarkThroughput(b *testing.B) {
	for _, name := range throughputNames {
		b.Run(name, func(b *testing.B) {
			f := benchFile(b, name)
			for _, impl := range throughputImpls {
				b.Run(impl.name, func(b *testing.B) { impl.fn(b, f) })
			}
		})
	}
}

// TestThroughputRatio (opt-in: -ratio) runs the benchmarks interleaved,
// -ratio.rounds rounds, and prints MB/s, keys/s and the ratio of our
// Decode and Load to hdt3213's Parse (best round of each). It fails when
// our Decode is not at least 3x hdt3213 on a file (the [rdb] issue's
// target). On the strings files it is about 3x; on the collection-heavy
// ones it is not: a Decode builds the store's values (sets and hashes as
// Go maps, sorted sets as skiplists with a member map), where hdt3213
// builds slices, and inserting into those maps costs more than all the
// parsing (ours-skip, the same walk and CRC without building values, is
// 5-12x hdt3213 on every file).
func TestThroughputRatio(t *testing.T) {
	if !*ratio {
		t.Skip("opt-in: -ratio")
	}
	for _, f := range benchFiles(t) {
		best := map[string]float64{} // ns/op
		for round := 0; round < *ratioRounds; round++ {
			for _, impl := range throughputImpls {
				res := testing.Benchmark(func(b *testing.B) { impl.fn(b, f) })
				ns := float64(res.T.Nanoseconds()) / float64(res.N)
				if old, ok := best[impl.name]; !ok || ns < old {
					best[impl.name] = ns
				}
			}
		}
		mb := float64(len(f.data)) / 1e6
		for _, impl := range throughputImpls {
			ns := best[impl.name]
			t.Logf("%-8s %-12s %8.1f MB/s %8.2f M keys/s", f.name, impl.name, mb/(ns/1e9), float64(f.keys)/(ns/1e9)/1e6)
		}
		dr := best["hdt3213"] / best["ours-decode"]
		lr := best["hdt3213"] / best["ours-load"]
		sr := best["hdt3213"] / best["ours-skip"]
		msg := fmt.Sprintf("%s (%.1f MB, %d keys): ours-decode %.2fx hdt3213, ours-load %.2fx, (ours-skip %.2fx)",
			f.name, mb, f.keys, dr, lr, sr)
		t.Log(msg)
		if dr < 3 {
			t.Errorf("%s: below the 3x target", msg)
		}
	}
}
