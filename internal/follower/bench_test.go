package follower

import (
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/resp"
)

const benchID = "0123456789abcdef0123456789abcdef01234567"

// benchStream is a generated replication stream of typical writes: SET
// and INCR, hashes, sorted sets, lists, sets, EXPIRE, DEL, a SELECT now and
// then, small MULTI/EXEC blocks and PINGs — the shapes a 7.0 master sends.
var benchStream = sync.OnceValue(func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b []byte
	cmd := func(args ...string) { b = resp.AppendCommandStrings(b, args...) }
	val := func() string { return strconv.Itoa(r.IntN(1e9)) + "-value-" + strconv.Itoa(r.IntN(1000)) }
	key := func(kind string) string { return kind + ":" + strconv.Itoa(r.IntN(100000)) }
	cmd("SELECT", "0")
	for len(b) < 16<<20 {
		switch n := r.IntN(100); {
		case n < 35:
			cmd("SET", key("s"), val())
		case n < 45:
			cmd("INCR", key("c"))
		case n < 60:
			cmd("HSET", key("h"), "f"+strconv.Itoa(r.IntN(20)), val())
		case n < 70:
			cmd("ZADD", key("z"), strconv.Itoa(r.IntN(1000)), "m"+strconv.Itoa(r.IntN(50)))
		case n < 78:
			cmd("RPUSH", key("l"), val())
			if r.IntN(4) == 0 {
				cmd("LTRIM", key("l"), "-50", "-1")
			}
		case n < 85:
			cmd("SADD", key("t"), "m"+strconv.Itoa(r.IntN(100)))
		case n < 90:
			cmd("PEXPIREAT", key("s"), "4102444800000")
		case n < 94:
			cmd("DEL", key("s"))
		case n < 97:
			cmd("MULTI")
			cmd("INCR", key("c"))
			cmd("SET", key("s"), val())
			cmd("EXEC")
		case n < 98:
			cmd("SELECT", strconv.Itoa(r.IntN(3)))
		default:
			cmd("PING")
		}
	}
	return b
})

// chunks reads b in pieces of at most n bytes (like socket reads).
type chunks struct {
	b []byte
	n int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

func benchFollower(b *testing.B, fsync journal.FsyncPolicy) *Follower {
	b.Helper()
	f, err := New(Config{Link: linkTo("127.0.0.1:1"), Dir: b.TempDir(), Fsync: fsync, CompactBytes: 1 << 50})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Close)
	return f
}

// BenchmarkStream applies a generated stream read in 16 KiB chunks, in
// steady state (one follower for all iterations, the stream appended
// again and again): directly (parse, apply: no durability, the design
// before the journal) and through the journal (a reader goroutine appends
// every chunk to the journal under each fsync policy, the applier reads
// it back from the in-memory tail). The difference is the journal's cost.
func BenchmarkStream(b *testing.B) {
	stream := benchStream()
	b.Run("direct", func(b *testing.B) {
		f := benchFollower(b, journal.FsyncNo)
		b.SetBytes(int64(len(stream)))
		defer cpuMetric(b)()
		for b.Loop() {
			if err := f.applyLoop(&chunks{stream, 16 << 10}, true); err != nil {
				b.Fatal(err)
			}
		}
		if f.applied.Load() != int64(b.N)*int64(len(stream)) {
			b.Fatalf("applied %d of %d", f.applied.Load(), int64(b.N)*int64(len(stream)))
		}
	})
	for _, p := range []journal.FsyncPolicy{journal.FsyncNo, journal.FsyncEverySec, journal.FsyncAlways} {
		b.Run("journal-fsync-"+string(p), func(b *testing.B) {
			f := benchFollower(b, p)
			start := journal.State{ReplID: benchID}
			f.j.Restart(start)
			src := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				// The reader: one pass over the stream per iteration.
				for range src {
					if err := f.readLoop(&chunks{stream, 16 << 10}); err != io.EOF {
						done <- err
						return
					}
				}
				done <- nil
			}()
			rd := f.j.Reader(0, true)
			b.SetBytes(int64(len(stream)))
			report := cpuMetric(b)
			for b.Loop() {
				src <- struct{}{}
				// The applier, meanwhile: the pass counts once applied.
				if err := f.applyLoop(io.LimitReader(rd, int64(len(stream))), false); err != nil {
					b.Fatal(err)
				}
			}
			report()
			close(src)
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			if f.applied.Load() != int64(b.N)*int64(len(stream)) {
				b.Fatalf("applied %d of %d", f.applied.Load(), int64(b.N)*int64(len(stream)))
			}
		})
	}
}

// cpuMetric reports the process's CPU time (user+system, all threads)
// per operation when the returned function is called: on a shared machine
// it is steadier than wall time, and it shows what the journal costs when
// no core is idle.
func cpuMetric(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkCompaction1M measures the apply pause of a compaction: a
// snapshot of a store of one million keys (800k strings, 100k hashes of 8
// fields, 50k sorted sets and 50k lists of 8 elements).
func BenchmarkCompaction1M(b *testing.B) {
	f := benchFollower(b, journal.FsyncEverySec)
	f.j.Restart(journal.State{ReplID: benchID})
	fill1M(b, f)
	f.applied.Store(1000)
	for b.Loop() {
		f.snap = snapInfo{}
		if err := f.compact(false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompactionBackground1M: the same store compacted in the
// background (the default): its snapshot loaded into a second store and
// 4 MiB of journal after it replayed (ns/op; writing it then takes what
// BenchmarkCompaction1M measures), and pause-µs, what the applier spends
// starting it (a whole background compaction is run once at the end).
func BenchmarkCompactionBackground1M(b *testing.B) {
	f := benchFollower(b, journal.FsyncNo)
	const base = 1000
	f.j.Restart(journal.State{ReplID: benchID, Offset: base})
	fill1M(b, f)
	f.applied.Store(base)
	f.snap = snapInfo{}
	if err := f.compact(false); err != nil { // the snapshot at base
		b.Fatal(err)
	}
	var stream []byte
	for i := 0; len(stream) < 4<<20; i++ {
		k, v := "key:"+strconv.Itoa(i*7%1_000_000), "v"+strconv.Itoa(i)
		stream = append(stream, "*3\r\n$3\r\nSET\r\n$"+strconv.Itoa(len(k))+"\r\n"+k+"\r\n$"+strconv.Itoa(len(v))+"\r\n"+v+"\r\n"...)
	}
	if err := f.j.Append(stream); err != nil {
		b.Fatal(err)
	}
	off := int64(base + len(stream))
	from := f.snap
	for b.Loop() {
		st, err := f.replayInto(f.j.Reader(from.offset, false), from, off, 0)
		if err != nil {
			b.Fatal(err)
		}
		if st.Keys() != 1_000_000 {
			b.Fatalf("%d keys", st.Keys())
		}
	}
	f.applied.Store(off)
	t0 := time.Now()
	bg := f.compactBackground(off, benchID, 0)
	pause := time.Since(t0)
	<-bg.done
	if bg.err != nil {
		b.Fatal(bg.err)
	}
	b.ReportMetric(float64(pause.Microseconds()), "pause-µs")
}

// fill1M applies 1M keys: 800k strings, 100k hashes of 8 fields, 50k
// sorted sets and 50k lists of 8 elements.
func fill1M(b *testing.B, f *Follower) {
	val := []byte("a-value-of-about-forty-bytes-for-strings")
	apply := func(args ...[]byte) {
		if err := f.applier.Apply(args); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1_000_000 {
		k := []byte("key:" + strconv.Itoa(i))
		switch {
		case i < 800_000:
			apply([]byte("SET"), k, val)
		case i < 900_000:
			for j := range 8 {
				apply([]byte("HSET"), k, []byte("field"+strconv.Itoa(j)), val)
			}
		case i < 950_000:
			for j := range 8 {
				apply([]byte("ZADD"), k, []byte(strconv.Itoa(j)), []byte("member"+strconv.Itoa(j)))
			}
		default:
			for range 8 {
				apply([]byte("RPUSH"), k, val)
			}
		}
	}
	if n := f.store.Keys(); n != 1_000_000 {
		b.Fatalf("%d keys", n)
	}
}

// BenchmarkFramer measures framing (what a reconnection pays per byte of
// applier lag).
func BenchmarkFramer(b *testing.B) {
	stream := benchStream()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		fr := newFramer(journal.State{}, resp.DefaultLimits)
		for c := (&chunks{stream, 16 << 10}); len(c.b) > 0; {
			k := min(len(c.b), 16<<10)
			if _, err := fr.feed(c.b[:k]); err != nil {
				b.Fatal(err)
			}
			c.b = c.b[k:]
		}
	}
}

// BenchmarkJournalAppend measures appending the stream in 16 KiB chunks.
func BenchmarkJournalAppend(b *testing.B) {
	stream := benchStream()
	f := benchFollower(b, journal.FsyncEverySec)
	f.j.Restart(journal.State{ReplID: benchID})
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for i := 0; i < len(stream); i += 16 << 10 {
			p := stream[i:min(i+16<<10, len(stream))]
			if err := f.j.Append(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
