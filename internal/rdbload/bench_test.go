package rdbload

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
)

// BenchmarkLoadFixtures decodes each fixture into a store.
func BenchmarkLoadFixtures(b *testing.B) {
	for _, dir := range fixtureDirs(b) {
		data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(dir), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var keys int64
			for b.Loop() {
				_, info, err := Load(bytes.NewReader(data), Options{})
				if err != nil {
					b.Fatal(err)
				}
				keys = info.Keys
			}
			b.ReportMetric(float64(keys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// stringsRDB builds a strings-heavy RDB: n keys "key:<i>" with 100-byte
// values (incompressible, as random data is), a tenth with a TTL, in
// two databases.
func stringsRDB(n int) []byte {
	r := newRDB("REDIS0011").aux("redis-ver", "7.2.4").selectDB(0)
	r.raw(rdb.OpResizeDB).len(uint64(n)).len(uint64(n / 10))
	val := make([]byte, 100)
	x := uint64(88172645463325252)
	for i := 0; i < n; i++ {
		if i == n/2 {
			r.selectDB(1)
		}
		for j := range val {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			val[j] = byte(x)
		}
		if i%10 == 0 {
			r.raw(rdb.OpExpireTimeMs).u64(1900000000000 + uint64(i))
		}
		r.key(rdb.TypeString, "key:"+strconv.Itoa(i)).blob(val)
	}
	return r.end()
}

// BenchmarkLoadStrings: a 200,000-key strings-heavy RDB built in memory.
func BenchmarkLoadStrings(b *testing.B) {
	data := stringsRDB(200_000)
	benchLoad(b, data)
}

func benchLoad(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var keys int64
	for b.Loop() {
		_, info, err := Load(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		keys = info.Keys
	}
	b.ReportMetric(float64(keys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkDecodeStrings: the same file through Decode with a handler
// that keeps nothing (the decoder's own cost, without the store).
func BenchmarkDecodeStrings(b *testing.B) {
	data := stringsRDB(200_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	h := &collectNothing{}
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), h, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(200_000*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

type collectNothing struct{}

func (collectNothing) Aux(string, string) error                     { return nil }
func (collectNothing) SelectDB(int) error                           { return nil }
func (collectNothing) Function(string, []byte) error                { return nil }
func (collectNothing) ModuleAux([]byte) error                       { return nil }
func (collectNothing) Key(int, string, *store.Entry, KeyMeta) error { return nil }

// BenchmarkLoadPopulate: an RDB written by a real redis-server after
// DEBUG POPULATE 200000 key 100 (values "value:<n>" zero-padded to 100
// bytes, which the server LZF-compresses), 50,000 incompressible 100-byte
// strings, and some collections of each type.
func BenchmarkLoadPopulate(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	populateStrings(b, srv, 200000, 50000)
	pipe := srv.Client.Pipeline()
	for i := 0; i < 1000; i++ {
		k := strconv.Itoa(i)
		pipe.RPush(ctx, "list:"+k, "a", "b", i, "c", "d", "e", "f", "g", "h", "i")
		pipe.HSet(ctx, "hash:"+k, "f1", "v1", "f2", i, "f3", "v3", "f4", "v4", "f5", "v5")
		pipe.SAdd(ctx, "set:"+k, i, i+1, i+2, i+3)
		pipe.ZAdd(ctx, "zset:"+k, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: float64(i), Member: "b"})
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: "stream:" + k, Values: []any{"f", "v", "n", i}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	srv.Do("SAVE")
	data, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
	if err != nil {
		b.Fatal(err)
	}
	srv.Stop()
	benchLoad(b, data)
}

// populateStrings fills srv with DEBUG POPULATE n key 100 (values
// "value:<n>" zero-padded to 100 bytes, which the server LZF-compresses)
// and random incompressible 100-byte strings "rand:<i>".
func populateStrings(tb testing.TB, srv *redistest.Server, n, random int) {
	ctx := context.Background()
	srv.Do("DEBUG", "POPULATE", n, "key", 100)
	pipe := srv.Client.Pipeline()
	val := make([]byte, 100)
	x := uint64(2463534242)
	for i := 0; i < random; i++ {
		for j := range val {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			val[j] = byte(x)
		}
		pipe.Set(ctx, "rand:"+strconv.Itoa(i), string(val), 0)
		if i%1000 == 999 || i == random-1 {
			if _, err := pipe.Exec(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
}
