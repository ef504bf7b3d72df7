package rdbsave

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
	"github.com/redis/go-redis/v9"
)

// checkRDB runs redis-check-rdb (installed beside redis-server) on path.
func checkRDB(t *testing.T, path string) {
	t.Helper()
	bin := filepath.Join(filepath.Dir(redistest.Binary(t)), "redis-check-rdb")
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("redis-check-rdb"); err != nil {
			t.Fatalf("redis-check-rdb not found: %v", err)
		}
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb %s: %v\n%s", path, err, out)
	}
}

// loadIntoRedis writes s with opts as dump.rdb in a fresh dir, checks it
// with redis-check-rdb, and starts redis-server on it with deep payload
// sanitization (every listpack, ziplist, intset and stream node is fully
// validated while loading).
func loadIntoRedis(t *testing.T, s *store.Store, opts Options) (*redistest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	if err := WriteFile(path, s, opts); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	checkRDB(t, path)
	srv := redistest.StartInDir(t, dir, stockConf...)
	if strings.Contains(srv.LogTail(200), "Done loading RDB") == false && !strings.Contains(srv.LogTail(200), "DB loaded from disk") {
		t.Fatalf("server did not report loading the RDB:\n%s", srv.LogTail(30))
	}
	return srv, path
}

// expected is the dataset a server loading s holds: canon.FromStore minus
// empty collections, which are not written (and no Redis key).
func expected(s *store.Store) []canon.Key {
	var out []canon.Key
	for _, k := range canon.FromStore(s, canon.NowMs()) {
		if e := s.DB(k.DB).GetString(k.Key); e != nil && skip(e) {
			continue
		}
		out = append(out, k)
	}
	return out
}

func diffCanon(t *testing.T, want, got []canon.Key) {
	t.Helper()
	lines, n := canon.Diff(want, got, 20)
	if n != 0 {
		t.Fatalf("%d differences (want %d keys, got %d):\n%s", n, len(want), len(got), strings.Join(lines, "\n"))
	}
	if len(want) < 100 {
		t.Fatalf("fixture too small: %d keys", len(want))
	}
}

// stockConf runs test servers with deep payload sanitization (every
// listpack, ziplist, intset and stream node is fully validated on load and
// RESTORE) and otherwise Redis's compiled-in defaults.
var stockConf = []string{"--sanitize-dump-payload", "yes"}

// TestLoadVersion10 is the core proof: every type and edge case written as
// RDB 10 loads into a real redis-server 7.0 identical to the store.
func TestLoadVersion10(t *testing.T) {
	now := canon.NowMs()
	s := buildFixture(fixtureOpts{functions: true, nowMs: now})
	sizes := map[bool]int64{}
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			srv, path := loadIntoRedis(t, s, Options{Version: 10, Compress: compress, Aux: replAux()})
			if fi, err := os.Stat(path); err == nil {
				sizes[compress] = fi.Size()
			}
			ctx := context.Background()
			got, err := canon.FromRedis(ctx, srv.Client)
			if err != nil {
				t.Fatal(err)
			}
			diffCanon(t, expected(s), got)

			// Function libraries are there and run.
			libs := srv.Do("FUNCTION", "LIST").([]any)
			var names []string
			for _, l := range libs {
				m, err := pairs(l)
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, fmt.Sprint(m["library_name"]))
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{"mylib", "otherlib"}) {
				t.Fatalf("FUNCTION LIST libraries %v", names)
			}
			if v := srv.Do("FCALL", "f", 0); v != int64(1) {
				t.Fatalf("FCALL f = %v", v)
			}
			checkEncodings(t, srv)
			if rid := srv.Info("replication", "master_replid"); rid == "" {
				t.Fatal("no master_replid")
			}
		})
	}
	if sizes[true] == 0 || sizes[true] >= sizes[false]*3/4 {
		t.Fatalf("compression did not shrink the file: %v", sizes)
	}
}

func replAux() []AuxField {
	return []AuxField{
		{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", "1700000000"}, {"used-mem", "1234567"},
		{"repl-stream-db", "0"}, {"repl-id", "0123456789abcdef0123456789abcdef01234567"},
		{"repl-offset", "123456789"}, {"aof-base", "0"},
	}
}

func pairs(v any) (map[string]any, error) {
	out := map[string]any{}
	switch t := v.(type) {
	case []any:
		for i := 0; i+1 < len(t); i += 2 {
			out[fmt.Sprint(t[i])] = t[i+1]
		}
	case map[any]any:
		for k, val := range t {
			out[fmt.Sprint(k)] = val
		}
	default:
		return nil, fmt.Errorf("unexpected reply %T", v)
	}
	return out, nil
}

// checkEncodings checks OBJECT ENCODING of representative keys: what
// Redis 7.0 with its default thresholds has for such values.
func checkEncodings(t *testing.T, srv *redistest.Server) {
	t.Helper()
	ctx := context.Background()
	conn := srv.Client.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, 0).Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"s:int:12": "int", "s:int:-2147483649": "int", "s:empty": "embstr", "s:40k-random": "raw",
		"l:mixed": "quicklist", "l:12k": "quicklist",
		"set:int16": "intset", "set:int64": "intset", "set:512ints": "intset", "set:513ints": "hashtable",
		"set:strings": "hashtable",
		"z:small":     "listpack", "z:128": "listpack", "z:129": "skiplist", "z:long-member": "skiplist", "z:3000": "skiplist",
		"h:small": "listpack", "h:64": "listpack", "h:65-value": "hashtable", "h:65-field": "hashtable",
		"h:128": "listpack", "h:129": "listpack", "h:512": "listpack", "h:513": "hashtable", "h:1000": "hashtable",
		"x:big": "stream",
	}
	for k, enc := range want {
		if got, err := conn.ObjectEncoding(ctx, k).Result(); err != nil || got != enc {
			t.Errorf("OBJECT ENCODING %s = %v (%v), want %s", k, got, err, enc)
		}
	}
}

// TestLoadVersion9 writes RDB 9 (Redis 5.0-6.2: ziplists, quicklist of
// ziplists, stream v1) and loads it into redis-server 7.0, which still
// reads those encodings (converting ziplists after deep validation).
func TestLoadVersion9(t *testing.T) {
	now := canon.NowMs()
	s := buildFixture(fixtureOpts{nowMs: now})
	// Stream metadata RDB 9 cannot hold is derived by the loader; make the
	// expectation what Redis derives.
	for dbi := 0; dbi < s.NumDBs(); dbi++ {
		for _, e := range s.DB(dbi).All() {
			if x := e.Stream(); x != nil {
				x.EntriesAdded = uint64(x.Len())
				x.MaxDeletedID = store.StreamID{}
				if x.Len() == 0 {
					// streamGetEdgeID of an empty stream: the max ID.
					x.FirstID = store.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
				}
				for _, g := range x.Groups() {
					g.EntriesRead = estimateEntriesRead(x, g.LastID)
				}
			}
		}
	}
	srv, _ := loadIntoRedis(t, s, Options{Version: 9, Aux: replAux()})
	got, err := canon.FromRedis(context.Background(), srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	diffCanon(t, expected(s), got)
	checkEncodings(t, srv)
}

// estimateEntriesRead is streamEstimateDistanceFromFirstEverEntry for a
// stream without tombstones.
func estimateEntriesRead(x *store.Stream, id store.StreamID) int64 {
	added := int64(x.EntriesAdded)
	if added == 0 {
		return 0
	}
	if x.Len() == 0 && id.Compare(x.LastID) <= 0 {
		return added
	}
	switch c := id.Compare(x.LastID); {
	case c == 0:
		return added
	case c > 0:
		return -1
	}
	switch c := id.Compare(x.FirstID); {
	case c < 0:
		return added - int64(x.Len())
	case c == 0:
		return added - int64(x.Len()) + 1
	}
	return -1
}

// TestRestoreDump RESTOREs the EncodeDump payload of every fixture key
// into a server (with deep sanitization) and compares the dataset.
func TestRestoreDump(t *testing.T) {
	now := canon.NowMs()
	s := buildFixture(fixtureOpts{nowMs: now, light: true})
	srv := redistest.Start(t, stockConf...)
	ctx := context.Background()
	conn := srv.Client.Conn()
	defer conn.Close()
	for dbi := 0; dbi < s.NumDBs(); dbi++ {
		if s.DB(dbi).Len() == 0 {
			continue
		}
		if err := conn.Select(ctx, dbi).Err(); err != nil {
			t.Fatal(err)
		}
		for k, e := range s.DB(dbi).All() {
			if skip(e) {
				continue
			}
			payload, err := EncodeDump(e, 10)
			if err != nil {
				t.Fatalf("EncodeDump %q: %v", k, err)
			}
			if err := conn.Do(ctx, "RESTORE", k, e.Expire, payload, "ABSTTL").Err(); err != nil {
				t.Fatalf("RESTORE %q: %v", k, err)
			}
		}
	}
	got, err := canon.FromRedis(ctx, srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	diffCanon(t, expected(s), got)
}

// TestDumpMatchesRedis builds keys on a real server with ordinary commands
// and checks that EncodeDump of the equivalent store value is byte-for-byte
// the server's DUMP: same encodings, node splits and entry encodings.
func TestDumpMatchesRedis(t *testing.T) {
	s := buildFixture(fixtureOpts{nowMs: canon.NowMs()})
	srv := redistest.Start(t, "--rdbcompression", "no")
	ctx := context.Background()
	c := srv.Client
	keys := []string{
		"s:int:12", "s:int:-2147483649", "s:int:9223372036854775807", "s:numlike:0", "s:numlike:1", "s:empty",
		"s:bin", "s:40k-random", "s:2m-compressible",
		"l:mixed", "l:12k", "l:20k-ints", "l:huge-elements", "l:one-ttl",
		"set:int16", "set:int32", "set:int64", "set:512ints",
		"z:small", "z:3000", "z:129", "z:128", "z:long-member", "z:same-scores",
		"h:65-value", "h:65-field",
		"x:simple", "x:bigvals", "x:neg-seq",
	}
	d0 := s.DB(0)
	for _, k := range keys {
		e := d0.GetString(k)
		if e == nil {
			t.Fatalf("fixture has no key %q", k)
		}
		rebuild(t, ctx, c, k, e)
		want, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("DUMP %s: %v", k, err)
		}
		got, err := EncodeDump(e, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("%s: EncodeDump differs from Redis's DUMP (%d vs %d bytes); first difference at %d",
				k, len(got), len(want), firstDiff(got, []byte(want)))
		}
	}
	// A single-field listpack hash has only one order.
	h := store.NewHash(1)
	h.SetString("field", []byte("12345"))
	c.HSet(ctx, "h:one", "field", "12345")
	want, _ := c.Dump(ctx, "h:one").Result()
	if got, _ := EncodeDump(store.NewHashEntry(h), 10); !bytes.Equal(got, []byte(want)) {
		t.Errorf("h:one: EncodeDump differs from DUMP")
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// rebuild creates key k on the server from e with ordinary commands.
func rebuild(t *testing.T, ctx context.Context, c *redis.Client, k string, e *store.Entry) {
	t.Helper()
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args[:min(len(args), 3)], err)
		}
	}
	c.Del(ctx, k)
	switch e.Kind() {
	case store.KindString:
		do("SET", k, e.Str())
	case store.KindList:
		args := []any{"RPUSH", k}
		for _, v := range e.List().All() {
			args = append(args, v)
		}
		do(args...)
	case store.KindSet:
		args := []any{"SADD", k}
		for m := range e.Set().All() {
			args = append(args, m)
		}
		do(args...)
	case store.KindZSet:
		if e.ZSet().Len() > 128 {
			// Create it as a skiplist from the start (7.0 starts a zset as a
			// listpack, where -0 would become 0 before conversion).
			do("CONFIG", "SET", "zset-max-listpack-entries", "0")
			defer do("CONFIG", "SET", "zset-max-listpack-entries", "128")
		}
		args := []any{"ZADD", k}
		for m, sc := range e.ZSet().All() {
			var f string
			switch {
			case math.IsInf(sc, 1):
				f = "+inf"
			case math.IsInf(sc, -1):
				f = "-inf"
			default:
				f = strconv.FormatFloat(sc, 'g', -1, 64)
			}
			args = append(args, f, m)
		}
		do(args...)
	case store.KindHash:
		args := []any{"HSET", k}
		for f, v := range e.Hash().All() {
			args = append(args, f, v)
		}
		do(args...)
	case store.KindStream:
		x := e.Stream()
		for _, en := range x.Entries() {
			args := []any{"XADD", k, en.ID.String()}
			for _, f := range en.Fields {
				args = append(args, f)
			}
			do(args...)
		}
		do("XSETID", k, x.LastID.String(), "ENTRIESADDED", x.EntriesAdded, "MAXDELETEDID", x.MaxDeletedID.String())
		for _, g := range x.Groups() {
			if len(g.Consumers) > 0 {
				t.Fatalf("rebuild: stream %s group %s has consumers", k, g.Name)
			}
			do("XGROUP", "CREATE", k, g.Name, g.LastID.String(), "ENTRIESREAD", g.EntriesRead)
		}
	default:
		t.Fatalf("rebuild: kind %v", e.Kind())
	}
	if e.Expire != 0 {
		do("PEXPIREAT", k, e.Expire)
	}
}

// TestPlainNodesLive writes a list with PLAIN quicklist nodes (threshold
// lowered to 1000 bytes), loads it into redis-server 7.0, and compares
// EncodeDump with the DUMP of the same list RPUSHed with Redis's packed
// threshold lowered the same way.
func TestPlainNodesLive(t *testing.T) {
	l := store.NewList(0)
	for _, n := range []int{10, 2000, 5, 999, 1000, 1001, 3, 50000, 7} {
		l.PushBack(compressible(n))
	}
	s := store.New()
	s.DB(0).PutString("plain", store.NewListEntry(l))
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f, s, Options{}, 1000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
	srv := redistest.StartInDir(t, dir, stockConf...)
	ctx := context.Background()
	got, err := canon.FromRedis(ctx, srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	lines, n := canon.Diff(canon.FromStore(s, 0), got, 5)
	if n != 0 {
		t.Fatalf("%s", strings.Join(lines, "\n"))
	}

	srv.Do("CONFIG", "SET", "rdbcompression", "no")
	srv.Do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000")
	args := []any{"RPUSH", "rebuilt"}
	for _, v := range l.All() {
		args = append(args, v)
	}
	srv.Do(args...)
	want := srv.Do("DUMP", "rebuilt").(string)
	p, err := encodeDump(store.NewListEntry(l), 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p, []byte(want)) {
		t.Fatalf("EncodeDump differs from DUMP at byte %d (%d vs %d bytes)", firstDiff(p, []byte(want)), len(p), len(want))
	}
}
