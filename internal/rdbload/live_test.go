package rdbload

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/redistest"
)

// fillEveryType writes every type and encoding a Redis 7.0 server can
// save: int/embstr/raw/LZF strings, listpack and quicklist lists with a
// PLAIN node and LZF-compressed nodes, intset (16/32/64-bit) and
// hashtable sets, listpack and skiplist sorted sets with ±inf, listpack
// and hashtable hashes, streams with deleted entries, duplicate field
// names, groups, PEL, consumers and XSETID metadata, function libraries,
// several databases, TTLs, binary keys and values, and collections
// crossing every encoding threshold.
func fillEveryType(t *testing.T, srv *redistest.Server) {
	ctx := context.Background()
	c := srv.Client
	rng := rand.New(rand.NewPCG(7, 7))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args[:min(len(args), 4)], err)
		}
	}
	bulk := func(cmd, key string, members []any) {
		t.Helper()
		for i := 0; i < len(members); i += 1000 {
			do(append([]any{cmd, key}, members[i:min(i+1000, len(members))]...)...)
		}
	}

	// Strings.
	for k, v := range map[string]string{
		"s:int8": "100", "s:int16": "-30000", "s:int32": "2000000000", "s:int64": "9223372036854775807",
		"s:neg": "-5", "s:embstr": "hello", "s:raw": random(100), "s:lzf": strings.Repeat("abc", 1000),
		"s:empty": "", "s:float": "3.14", "s:007": "007", "s:utf8": "héllo wörld ✓",
		"s:big-random": random(1500 << 10), "s:big-lzf": strings.Repeat("compress me ", 200<<10),
		"\x00\xff\r\nbin-key": "\x00\x01\xfe\xff", "12345": "int-like key",
	} {
		do("SET", k, v)
	}
	do("APPEND", "s:append", "part1")
	do("APPEND", "s:append", "part2")
	do("SETRANGE", "s:range", 50, "x")
	do("INCRBYFLOAT", "s:incrf", "1.5")
	do("SETBIT", "s:bitmap", 100000, 1)
	do("PFADD", "s:hll", "a", "b", "c")
	hll := []any{}
	for i := 0; i < 5000; i++ {
		hll = append(hll, "e"+strconv.Itoa(i))
	}
	bulk("PFADD", "s:hll-dense", hll)

	// Lists.
	do("RPUSH", "l:small", "a", 0, 127, 128, -1, 4095, -4096, 32767, -32768, 8388607, 2147483647, "9223372036854775807",
		"-9223372036854775808", strings.Repeat("m", 63), strings.Repeat("n", 4000), strings.Repeat("o", 5000), "", random(20))
	var big []any
	for i := 0; i < 20000; i++ {
		if i%3 == 0 {
			big = append(big, i)
		} else {
			big = append(big, "item-"+strconv.Itoa(i))
		}
	}
	bulk("RPUSH", "l:big", big)
	do("CONFIG", "SET", "list-compress-depth", 1)
	var comp []any
	for i := 0; i < 3000; i++ {
		comp = append(comp, "compressible-list-element-compressible-"+strconv.Itoa(i%10))
	}
	bulk("RPUSH", "l:compressed", comp)
	do("CONFIG", "SET", "list-compress-depth", 0)
	do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 1000)
	do("RPUSH", "l:plain", "before", strings.Repeat("P", 2000), "after", random(3000), "end")
	do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 1<<30)
	do("LPUSH", "\xffbinary list\x00", random(10), random(300))

	// Sets.
	do("SADD", "set:is16", 1, -2, 300)
	do("SADD", "set:is32", 70000, -70000, 5)
	do("SADD", "set:is64", "9000000000", "-9223372036854775808", 1)
	do("SADD", "set:str", "a", "b", random(8))
	do("SADD", "set:mixed", 1, "two", 3)
	var ints, strs []any
	for i := 0; i < 1000; i++ {
		ints = append(ints, i*7)
	}
	for i := 0; i < 5000; i++ {
		strs = append(strs, "member-"+strconv.Itoa(i))
	}
	bulk("SADD", "set:bigint", ints)
	bulk("SADD", "set:bigstr", strs)

	// Sorted sets.
	do("ZADD", "z:small", "+inf", "pinf", "-inf", "ninf", "1e300", "huge", "1e-300", "tiny", "0.1", "tenth",
		"9007199254740993", "2^53+1", "-2.5", "neg", 0, "zero")
	var zm []any
	for i := 0; i < 3000; i++ {
		zm = append(zm, float64(i)/3, "zm-"+strconv.Itoa(i))
	}
	bulk("ZADD", "z:big", zm)
	do("ZADD", "z:longmember", 1, strings.Repeat("L", 100), 2, "short")
	do("GEOADD", "z:geo", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")

	// Hashes.
	do("HSET", "h:small", "f", "v", "n", 42, "", "empty-field", "empty-value", "", "neg", -7)
	var hf []any
	for i := 0; i < 2000; i++ {
		hf = append(hf, "field-"+strconv.Itoa(i), i)
	}
	bulk("HSET", "h:big", hf)
	do("HSET", "h:longvalue", "f", strings.Repeat("V", 100), "g", "w")
	do("HSET", "h:binary", "\x00f", random(30))

	// Streams.
	do("XADD", "x:basic", "1-1", "a", "1", "b", "2")
	do("XADD", "x:basic", "1-2", "a", "3", "b", "4") // same fields as the master entry
	do("XADD", "x:basic", "2-0", "b", "x", "a", "y") // same fields, other order
	do("XADD", "x:basic", "3-0", "a", "1", "a", "2") // duplicate field names
	do("XADD", "x:basic", "4-0", "empty", "")
	do("XADD", "x:basic", "5-5", "k", random(20))
	do("XADD", "x:basic", "6-0", "neg-seq-delta", "1")
	do("XDEL", "x:basic", "1-2", "4-0")
	var entries []any
	for i := 0; i < 1000; i++ {
		entries = append(entries, i)
	}
	for i := range entries {
		do("XADD", "x:big", "*", "n", i, "payload", "value-"+strconv.Itoa(i%17))
	}
	do("XGROUP", "CREATE", "x:big", "g1", "0")
	do("XGROUP", "CREATE", "x:big", "g2", "$")
	do("XGROUP", "CREATE", "x:big", "g3", "0")
	do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 10, "STREAMS", "x:big", ">")
	do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 5, "STREAMS", "x:big", ">")
	do("XREADGROUP", "GROUP", "g3", "carol", "COUNT", 3, "STREAMS", "x:big", ">")
	first, err := c.XRange(ctx, "x:big", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	do("XACK", "x:big", "g1", first[0].ID, first[1].ID)
	do("XCLAIM", "x:big", "g1", "bob", 0, first[2].ID, "RETRYCOUNT", 7)
	do("XGROUP", "CREATECONSUMER", "x:big", "g2", "idle-consumer")
	do("XDEL", "x:big", first[500].ID)
	do("XTRIM", "x:big", "MAXLEN", 900)
	do("XGROUP", "CREATE", "x:empty", "g", "$", "MKSTREAM")
	do("XADD", "x:setid", "1-0", "f", "v")
	do("XSETID", "x:setid", "10-0", "ENTRIESADDED", 50, "MAXDELETEDID", "5-0")
	do("XADD", "x:ttl", "*", "f", "v")
	do("PEXPIRE", "x:ttl", 100_000_000)

	// Functions.
	do("FUNCTION", "LOAD", "#!lua name=lib_one\nredis.register_function('f1', function(keys, args) return 1 end)")
	do("FUNCTION", "LOAD", "#!lua name=lib_two\nredis.register_function{function_name='f2', callback=function() return 2 end, flags={'no-writes'}}")

	// TTLs and other databases.
	for _, k := range []string{"s:embstr", "l:small", "set:is16", "z:small", "h:small"} {
		do("PEXPIRE", k, 50_000_000+rng.IntN(1_000_000))
	}
	for _, db := range []int{1, 2, 15} {
		cc := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: db, Protocol: 2})
		for i := 0; i < 20; i++ {
			if err := cc.Set(ctx, "db"+strconv.Itoa(db)+":"+strconv.Itoa(i), random(10), 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cc.HSet(ctx, "db-hash", "f", db).Err(); err != nil {
			t.Fatal(err)
		}
		cc.Close()
	}
}

// TestLiveRoundTrip fills a real redis-server with every type and
// encoding, saves it, decodes dump.rdb and compares the store with the
// live server key by key (canon), plus function libraries; then decodes
// every key's DUMP payload.
func TestLiveRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	fillEveryType(t, srv)
	// The fill reached the encodings it aims at.
	for key, enc := range map[string]string{
		"s:int8": "int", "s:embstr": "embstr", "s:raw": "raw", "l:big": "quicklist", "set:is16": "intset",
		"set:bigint": "hashtable", "set:str": "hashtable", "z:small": "listpack", "z:big": "skiplist",
		"z:longmember": "skiplist", "h:small": "listpack", "h:big": "hashtable", "h:longvalue": "hashtable",
		"x:basic": "stream",
	} {
		if got, err := srv.Client.ObjectEncoding(ctx, key).Result(); err != nil || got != enc {
			t.Errorf("OBJECT ENCODING %s = %q (%v), want %q", key, got, err, enc)
		}
	}
	srv.Do("SAVE")
	data, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	s, info, err := Load(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want, err := canon.FromRedis(ctx, srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	got := canon.FromStore(s, time.Now().UnixMilli())
	if diffs, n := canon.Diff(want, got, 20); n > 0 {
		t.Errorf("%d differences between the server and the decoded store:\n%s", n, strings.Join(diffs, "\n"))
	}
	if len(got) < 60 || int64(len(got)) != info.Keys {
		t.Errorf("decoded %d keys (info %d)", len(got), info.Keys)
	}

	libs, err := srv.Client.Do(ctx, "FUNCTION", "LIST", "WITHCODE").Slice()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) != 2 || len(s.FunctionNames()) != 2 {
		t.Errorf("server has %d libraries, store %v", len(libs), s.FunctionNames())
	}
	for _, l := range libs {
		m, err := pairs(l)
		if err != nil {
			t.Fatal(err)
		}
		code, ok := s.Function(m["library_name"].(string))
		if !ok || string(code) != m["library_code"].(string) {
			t.Errorf("library %v: store has %q", m["library_name"], code)
		}
	}

	// Every key's DUMP payload decodes to the same value (without expiry).
	now := time.Now().UnixMilli()
	dumped := 0
	for _, k := range got {
		cc := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: k.DB, Protocol: 2})
		payload, err := cc.Dump(ctx, k.Key).Result()
		cc.Close()
		if err != nil {
			t.Fatalf("DUMP %q: %v", k.Key, err)
		}
		e, err := DecodeDump([]byte(payload))
		if err != nil {
			t.Errorf("DecodeDump(%q): %v", k.Key, err)
			continue
		}
		dk, _ := canon.FromEntry(k.DB, k.Key, e, now)
		k.Expire = -1
		if dk.Type != k.Type || dk.Value != k.Value || dk.Expire != -1 {
			t.Errorf("DUMP of %q decodes differently:\n want %s\n got  %s", k.Key, k, dk)
		}
		dumped++
	}
	t.Logf("%d keys and %d libraries match the server; %d DUMP payloads decoded; RDB %d bytes",
		len(got), len(libs), dumped, len(data))
}

// TestLiveNoChecksum: a server with rdbchecksum off writes a zero CRC,
// which is accepted.
func TestLiveNoChecksum(t *testing.T) {
	srv := redistest.Start(t, "--rdbchecksum", "no")
	srv.Do("SET", "k", "v")
	srv.Do("RPUSH", "l", 1, 2, 3)
	srv.Do("SAVE")
	data, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if crc := binary.LittleEndian.Uint64(data[len(data)-8:]); crc != 0 {
		t.Fatalf("server wrote CRC %x with rdbchecksum no", crc)
	}
	s, _, err := Load(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := canon.FromRedis(context.Background(), srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	if diffs, n := canon.Diff(want, canon.FromStore(s, time.Now().UnixMilli()), 10); n > 0 {
		t.Errorf("%d differences:\n%s", n, strings.Join(diffs, "\n"))
	}
}

// TestDecodeDumpErrors covers the DUMP payload envelope.
func TestDecodeDumpErrors(t *testing.T) {
	body := []byte{0, 3, 'a', 'b', 'c'}
	mk := func(body []byte, ver uint16) []byte {
		b := binary.LittleEndian.AppendUint16(bytes.Clone(body), ver)
		return binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b))
	}
	e, err := DecodeDump(mk(body, 10))
	if err != nil || string(e.Str()) != "abc" {
		t.Fatalf("%v %v", e, err)
	}
	bad := mk(body, 10)
	bad[2] = 'x'
	_, err = DecodeDump(bad)
	wantErr(t, err, ErrCorrupt, "CRC-64 mismatch")
	_, err = DecodeDump(mk(body, 13))
	wantErr(t, err, ErrUnsupported, "version 13")
	_, err = DecodeDump(mk(append(bytes.Clone(body), 'x'), 10))
	wantErr(t, err, ErrCorrupt, "bytes after its value")
	_, err = DecodeDump(mk(body[:4], 10))
	wantErr(t, err, ErrCorrupt, "past the end")
	_, err = DecodeDump([]byte{1, 2})
	wantErr(t, err, ErrCorrupt, "shorter")
	_, err = DecodeDump(mk([]byte{2, 0}, 10))
	wantErr(t, err, ErrCorrupt, "empty collection")
	// Type 22 is Valkey's HASH_2 in a version-80 payload.
	v := newRDB("").raw(22).len(1).str("f").str("v").u64(1900000000000).b
	e, err = DecodeDump(mk(v, 80))
	if err != nil || e.Hash().FieldExpire([]byte("f")) != 1900000000000 {
		t.Fatalf("valkey HASH_2 dump: %v %v", e, err)
	}
}

// pairs turns a RESP2 flat array into a map.
func pairs(v any) (map[string]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, errUnexpected
	}
	m := map[string]any{}
	for i := 0; i+1 < len(a); i += 2 {
		k, _ := a[i].(string)
		m[k] = a[i+1]
	}
	return m, nil
}

var errUnexpected = errors.New("unexpected reply shape")
