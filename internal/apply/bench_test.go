package apply_test

import (
	"fmt"
	"testing"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/resp"
	"github.com/redis-follower/redis-follower/internal/store"
)

// recordedStream is a replication stream of simple writes over 1000 keys
// per type (mostly overwrites once warm), as a master would send them.
func recordedStream(n int) []byte {
	var buf []byte
	for i := 0; i < n; i++ {
		k := i % 1000
		switch i % 5 {
		case 0:
			buf = resp.AppendCommand(buf, []byte("SET"), fmt.Appendf(nil, "key:%06d", k), fmt.Appendf(nil, "value-%08d", i))
		case 1:
			buf = resp.AppendCommand(buf, []byte("INCR"), fmt.Appendf(nil, "counter:%06d", k))
		case 2:
			buf = resp.AppendCommand(buf, []byte("HSET"), fmt.Appendf(nil, "user:%06d", k), []byte("name"), fmt.Appendf(nil, "Ada %08d", i))
		case 3:
			buf = resp.AppendCommand(buf, []byte("LPUSH"), fmt.Appendf(nil, "queue:%06d", k), fmt.Appendf(nil, "job-%d", i))
		case 4:
			buf = resp.AppendCommand(buf, []byte("ZADD"), fmt.Appendf(nil, "board:%06d", k), fmt.Appendf(nil, "%d", i%977), fmt.Appendf(nil, "player-%d", i%50))
		}
	}
	return buf
}

// BenchmarkApplyStream parses and applies a recorded stream of
// SET/INCR/HSET/LPUSH/ZADD; ns/op is per command.
func BenchmarkApplyStream(b *testing.B) {
	stream := recordedStream(100000)
	st := store.New()
	ap := apply.New(st, apply.Options{})
	args := make([][]byte, 0, 8)
	// Warm up: create every key once.
	for off := 0; off < len(stream); {
		var n int
		args, n, _, _ = resp.ParseCommand(stream[off:], args, resp.DefaultLimits)
		if err := ap.Apply(args); err != nil {
			b.Fatal(err)
		}
		off += n
	}
	b.ReportAllocs()
	b.ResetTimer()
	off := 0
	for i := 0; i < b.N; i++ {
		if off == len(stream) {
			off = 0
			// Keep the lists from growing without bound.
			b.StopTimer()
			for k := 0; k < 1000; k++ {
				st.DB(0).Delete(fmt.Appendf(nil, "queue:%06d", k))
			}
			b.StartTimer()
		}
		var n int
		args, n, _, _ = resp.ParseCommand(stream[off:], args, resp.DefaultLimits)
		if err := ap.Apply(args); err != nil {
			b.Fatal(err)
		}
		off += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
}

// BenchmarkApply measures single commands on warm keys.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name string
		cmd  [][]byte
	}{
		{"SET", [][]byte{[]byte("SET"), []byte("key:1"), []byte("value-12345678")}},
		{"INCR", [][]byte{[]byte("INCR"), []byte("counter:1")}},
		{"HSET", [][]byte{[]byte("HSET"), []byte("user:1"), []byte("name"), []byte("Ada Lovelace")}},
		{"LPUSH", [][]byte{[]byte("LPUSH"), []byte("queue:1"), []byte("job")}},
		{"ZADD", [][]byte{[]byte("ZADD"), []byte("board:1"), []byte("42"), []byte("player")}},
		{"XADD", [][]byte{[]byte("XADD"), []byte("events"), []byte("*"), []byte("f"), []byte("v")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ap := apply.New(store.New(), apply.Options{})
			if err := ap.Apply(bc.cmd); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := ap.Apply(bc.cmd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHotPathAllocations pins the allocation counts of the hot paths on
// existing keys: nothing but what the stored value needs.
func TestHotPathAllocations(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  [][]byte
		max  float64
	}{
		{"SET-overwrite", [][]byte{[]byte("SET"), []byte("key:1"), []byte("value-12345678")}, 0},
		{"INCR", [][]byte{[]byte("INCR"), []byte("counter:1")}, 0},
		// A small hash is packed: the value is overwritten in place.
		{"HSET-overwrite", [][]byte{[]byte("HSET"), []byte("user:1"), []byte("name"), []byte("Ada Lovelace")}, 0},
		// The element is copied into the list's node; node growth
		// amortises to zero.
		{"LPUSH", [][]byte{[]byte("LPUSH"), []byte("queue:1"), []byte("job")}, 0},
		{"ZADD-existing", [][]byte{[]byte("ZADD"), []byte("board:1"), []byte("42"), []byte("player")}, 0},
		{"SADD-existing", [][]byte{[]byte("SADD"), []byte("tags:1"), []byte("go")}, 0},
	} {
		ap := apply.New(store.New(), apply.Options{})
		// INCR from a value with room for the next digits.
		ap.Apply([][]byte{[]byte("SET"), []byte("counter:1"), []byte("1000000")})
		if err := ap.Apply(tc.cmd); err != nil {
			t.Fatal(err)
		}
		got := testing.AllocsPerRun(1000, func() {
			if err := ap.Apply(tc.cmd); err != nil {
				t.Fatal(err)
			}
		})
		if got > tc.max {
			t.Errorf("%s: %.1f allocations per command, want <= %.0f", tc.name, got, tc.max)
		}
	}
}

// BenchmarkApplyBig measures commands on big values (50,000 elements: the
// store's big forms, not the packed ones).
func BenchmarkApplyBig(b *testing.B) {
	const n = 50000
	setup := func(ap *apply.Applier) {
		for i := 0; i < n; i += 500 {
			h := [][]byte{[]byte("HSET"), []byte("bighash")}
			z := [][]byte{[]byte("ZADD"), []byte("bigzset")}
			s := [][]byte{[]byte("SADD"), []byte("bigset")}
			l := [][]byte{[]byte("RPUSH"), []byte("biglist")}
			for j := i; j < i+500; j++ {
				m := fmt.Appendf(nil, "m%d", j)
				h = append(h, m, fmt.Appendf(nil, "%d", j))
				z = append(z, fmt.Appendf(nil, "%d", j%977), m)
				s = append(s, m)
				l = append(l, m)
			}
			for _, c := range [][][]byte{h, z, s, l} {
				if err := ap.Apply(c); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for _, bc := range []struct {
		name string
		cmd  func(i int) [][]byte
	}{
		{"HSET", func(i int) [][]byte {
			return [][]byte{[]byte("HSET"), []byte("bighash"), fmt.Appendf(nil, "m%d", i%n), []byte("value")}
		}},
		{"ZADD", func(i int) [][]byte {
			return [][]byte{[]byte("ZADD"), []byte("bigzset"), fmt.Appendf(nil, "%d", i%1000), fmt.Appendf(nil, "m%d", i*7%n)}
		}},
		{"SADD-SREM", func(i int) [][]byte {
			if i%2 == 0 {
				return [][]byte{[]byte("SREM"), []byte("bigset"), fmt.Appendf(nil, "m%d", i%n)}
			}
			return [][]byte{[]byte("SADD"), []byte("bigset"), fmt.Appendf(nil, "m%d", (i-1)%n)}
		}},
		{"LPUSH-RPOP", func(i int) [][]byte {
			if i%2 == 0 {
				return [][]byte{[]byte("LPUSH"), []byte("biglist"), []byte("job")}
			}
			return [][]byte{[]byte("RPOP"), []byte("biglist")}
		}},
		{"LSET-middle", func(i int) [][]byte {
			return [][]byte{[]byte("LSET"), []byte("biglist"), fmt.Appendf(nil, "%d", n/2+i%100), []byte("x")}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ap := apply.New(store.New(), apply.Options{})
			setup(ap)
			cmds := make([][][]byte, 4096)
			for i := range cmds {
				cmds[i] = bc.cmd(i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := ap.Apply(cmds[i%len(cmds)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
