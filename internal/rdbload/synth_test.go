package rdbload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// load decodes b (also through a one-byte reader, to prove the decoder
// survives input split at every byte) and returns the store and info.
func load(t *testing.T, b []byte) (*store.Store, *Info) {
	t.Helper()
	s, info, err := Load(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	s2, _, err := Load(iotest.OneByteReader(bytes.NewReader(b)), Options{})
	if err != nil {
		t.Fatalf("Load through a one-byte reader: %v", err)
	}
	if a, b := render(s), render(s2); a != b {
		t.Fatalf("one-byte reader decodes differently:\n%s\n%s", a, b)
	}
	return s, info
}

// loadErr decodes b and returns the error (failing the test on success).
func loadErr(t *testing.T, b []byte) error {
	t.Helper()
	s, info, err := Load(bytes.NewReader(b), Options{})
	if err == nil {
		t.Fatalf("Load succeeded, want an error")
	}
	if s != nil || info != nil {
		t.Fatalf("Load returned a store with an error")
	}
	return err
}

// render is a compact deterministic rendering of a whole store.
func render(s *store.Store) string {
	var b strings.Builder
	for db := 0; db < s.NumDBs(); db++ {
		for _, k := range s.DB(db).Keys() {
			e := s.DB(db).GetString(k)
			fmt.Fprintf(&b, "%d %q exp=%d %s %s\n", db, k, e.Expire, e.Kind(), renderOursAsLib(e, 21))
		}
	}
	for _, n := range s.FunctionNames() {
		c, _ := s.Function(n)
		fmt.Fprintf(&b, "function %s %q\n", n, c)
	}
	return b.String()
}

func get(t *testing.T, s *store.Store, db int, key string) *store.Entry {
	t.Helper()
	e := s.DB(db).GetString(key)
	if e == nil {
		t.Fatalf("db %d key %q missing", db, key)
	}
	return e
}

func listOf(e *store.Entry) []string {
	var out []string
	for _, v := range e.List().All() {
		out = append(out, string(v))
	}
	return out
}

func wantErr(t *testing.T, err error, class error, substr string) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Errorf("error %v is not %v", err, class)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("error %q does not mention %q", err, substr)
	}
}

func TestHeaderVersions(t *testing.T) {
	for v := 1; v <= 12; v++ {
		h := fmt.Sprintf("REDIS%04d", v)
		r := newRDB(h).selectDB(0).key(rdb.TypeString, "k").str("v")
		var b []byte
		if v >= 5 {
			b = r.end()
		} else {
			b = append(r.b, rdb.OpEOF) // no CRC before RDB 5
		}
		s, info := load(t, b)
		if info.Version != v || info.Magic != "REDIS" || string(get(t, s, 0, "k").Str()) != "v" {
			t.Errorf("%s: got version %d magic %s", h, info.Version, info.Magic)
		}
	}
	_, info := load(t, newRDB("VALKEY080").end())
	if info.Magic != "VALKEY" || info.Version != 80 {
		t.Errorf("VALKEY080: %+v", info)
	}

	wantErr(t, loadErr(t, newRDB("REDIS0013").end()), ErrUnsupported,
		"RDB version 13 (Redis 8.6+) is not supported; newest supported is 12")
	wantErr(t, loadErr(t, newRDB("REDIS0014").end()), ErrUnsupported, "RDB version 14 (Redis 8.8+)")
	wantErr(t, loadErr(t, newRDB("VALKEY081").end()), ErrUnsupported, "Valkey RDB version 81")
	wantErr(t, loadErr(t, newRDB("REDIS0000").end()), ErrCorrupt, "invalid RDB header")
	wantErr(t, loadErr(t, newRDB("REDIS00x1").end()), ErrCorrupt, "invalid RDB header")
	wantErr(t, loadErr(t, newRDB("RADIS0010").end()), ErrCorrupt, "not an RDB")
	wantErr(t, loadErr(t, []byte("REDIS")), io.ErrUnexpectedEOF, "header")
	wantErr(t, loadErr(t, nil), io.ErrUnexpectedEOF, "header")
}

func TestCRCAndEnd(t *testing.T) {
	good := newRDB("REDIS0011").selectDB(0).key(rdb.TypeString, "k").str("v").end()
	load(t, good)

	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	wantErr(t, loadErr(t, bad), ErrCorrupt, "CRC-64 mismatch")

	flipped := bytes.Clone(good)
	flipped[len(flipped)-12] ^= 0x20 // "v" -> "V": structure intact, CRC catches it
	wantErr(t, loadErr(t, flipped), ErrCorrupt, "CRC-64 mismatch")

	noCRC := newRDB("REDIS0011").selectDB(0).key(rdb.TypeString, "k").str("v").endNoCRC()
	load(t, noCRC)

	wantErr(t, loadErr(t, append(bytes.Clone(good), 0)), ErrCorrupt, "after the end of the RDB")
	wantErr(t, loadErr(t, good[:len(good)-3]), io.ErrUnexpectedEOF, "CRC-64")
	wantErr(t, loadErr(t, good[:len(good)-9]), io.ErrUnexpectedEOF, "EOF opcode")

	old := append(newRDB("REDIS0004").selectDB(0).key(rdb.TypeString, "k").str("v").b, rdb.OpEOF)
	wantErr(t, loadErr(t, append(old, 'x')), ErrCorrupt, "after the end of the RDB")

	// Every truncation of a small file is an error, never a success with
	// fewer keys (hdt3213's B2).
	for i := 0; i < len(good); i++ {
		err := loadErr(t, good[:i])
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: %v is not io.ErrUnexpectedEOF", i, err)
		}
	}
}

// errReader fails after giving its bytes.
type errReader struct {
	b   []byte
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReaderErrors(t *testing.T) {
	good := newRDB("REDIS0011").selectDB(0).key(rdb.TypeString, "k").str("value").end()
	boom := errors.New("connection reset")
	_, _, err := Load(&errReader{b: good[:15], err: boom}, Options{})
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Errorf("reader error not passed through: %v", err)
	}
	// An error after the whole payload (e.g. the EOF-mark reader) is
	// reported, not mistaken for a clean end.
	_, _, err = Load(&errReader{b: good, err: boom}, Options{})
	if !errors.Is(err, boom) {
		t.Errorf("error at the end not reported: %v", err)
	}
	_, _, err = Load(&errReader{b: good, err: io.EOF}, Options{})
	if err != nil {
		t.Errorf("clean EOF: %v", err)
	}
	// A reader that never makes progress is not spun on forever.
	_, _, err = Load(&errReader{b: good[:20], err: nil}, Options{})
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("no-progress reader: %v", err)
	}
}

func TestErrorContext(t *testing.T) {
	b := newRDB("REDIS0011").selectDB(3).key(rdb.TypeString, "ok").str("v").
		key(rdb.TypeHashListpack, "bad\x00key").blob([]byte{1, 2, 3}).end()
	err := loadErr(t, b)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *Error", err)
	}
	if e.DB != 3 || !e.HasKey || e.Key != "bad\x00key" || e.Offset <= 9 || !errors.Is(err, ErrCorrupt) {
		t.Errorf("context: %+v", e)
	}
	if !strings.Contains(err.Error(), `db 3, key "bad\x00key"`) || !strings.Contains(err.Error(), "listpack") {
		t.Errorf("message: %v", err)
	}

	unk := newRDB("REDIS0011").selectDB(0).key(rdb.TypeString, "k").str("v").raw(30).str("x").end()
	err = loadErr(t, unk)
	wantErr(t, err, ErrCorrupt, "unknown RDB object type 30")
	if errors.As(err, &e); e.Offset != int64(bytes.IndexByte(unk[12:], 30)+12) {
		t.Errorf("unknown type offset %d, want the type byte's", e.Offset)
	}
	wantErr(t, loadErr(t, newRDB("REDIS0011").key(8, "k").str("v").end()), ErrCorrupt, "unknown RDB object type 8")
	err = loadErr(t, newRDB("REDIS0011").key(rdb.TypeModulePreGA, "k").end())
	wantErr(t, err, ErrUnsupported, "type 6")
	if errors.As(err, &e); e.Offset != 9 {
		t.Errorf("type 6 reported at offset %d, want 9 (its type byte)", e.Offset)
	}
	wantErr(t, loadErr(t, newRDB("REDIS0010").raw(rdb.OpFunctionPreGA).str("x").end()), ErrUnsupported, "opcode 246")
	wantErr(t, loadErr(t, newRDB("REDIS0012").raw(rdb.OpSlotImport).str("x").end()), ErrUnsupported, "KEY_META")
	wantErr(t, loadErr(t, newRDB("VALKEY080").key(23, "k").blob(listpack("f", "v", 0)).end()), ErrCorrupt, "unknown RDB object type 23")
	wantErr(t, loadErr(t, newRDB("REDIS0011").selectDB(store.MaxDatabases).end()), ErrCorrupt, "SELECTDB 65536")
	wantErr(t, loadErr(t, newRDB("REDIS0011").raw(rdb.OpSelectDB, 0x82).end()), ErrCorrupt, "invalid length encoding")
	wantErr(t, loadErr(t, newRDB("REDIS0011").selectDB(0).key(0, "k").str("v").key(0, "k").str("w").end()),
		ErrCorrupt, "duplicate key")
}

func TestStrings(t *testing.T) {
	// LZF: a literal 'a' then a back reference copying 99 bytes from one
	// byte back (an overlapping copy).
	lzfA := []byte{0x00, 'a', 0xE0, 90, 0x00}
	b := newRDB("REDIS0011").selectDB(0).
		key(0, "i8").intStr(-100).
		key(0, "i16").intStr(30000).
		key(0, "i32").intStr(-2000000000).
		key(0, "empty").str("").
		key(0, "bin").str("\x00\xff\r\n").
		key(0, "lzf").lzfStr(lzfA, 100).
		raw(0).intStr(7).str("int-key-value").
		end()
	s, _ := load(t, b)
	for k, want := range map[string]string{
		"i8": "-100", "i16": "30000", "i32": "-2000000000", "empty": "", "bin": "\x00\xff\r\n",
		"lzf": "a" + strings.Repeat("a", 99), "7": "int-key-value",
	} {
		if got := string(get(t, s, 0, k).Str()); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	// Malformed LZF: output shorter than claimed, back reference before
	// the start, claimed length beyond the 88x bound.
	for name, bad := range map[string]*rdbBuf{
		"short":   newRDB("REDIS0011").key(0, "k").lzfStr(lzfA, 101),
		"backref": newRDB("REDIS0011").key(0, "k").lzfStr([]byte{0x00, 'a', 0xE0, 90, 0x05}, 100),
		"ratio":   newRDB("REDIS0011").key(0, "k").lzfStr(lzfA, 5*88+1),
		"literal": newRDB("REDIS0011").key(0, "k").lzfStr([]byte{0x05, 'a'}, 6),
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, loadErr(t, bad.end()), ErrCorrupt, "LZF") })
	}
}

func TestExpiresAndMeta(t *testing.T) {
	b := newRDB("REDIS0009").selectDB(0).
		raw(rdb.OpExpireTimeMs).u64(1900000000123).key(0, "ms").str("v").
		raw(rdb.OpExpireTime).u32(1900000000).key(0, "sec").str("v").
		raw(rdb.OpExpireTimeMs).u64(0).key(0, "zero").str("v").
		raw(rdb.OpExpireTimeMs).u64(uint64(math.MaxUint64-4)).key(0, "negative").str("v").
		raw(rdb.OpIdle).len(1234).raw(rdb.OpFreq, 7).key(0, "meta").str("v").
		key(0, "plain").str("v").
		end()
	s, info := load(t, b)
	for k, want := range map[string]int64{"ms": 1900000000123, "sec": 1900000000000, "zero": 1, "negative": 1, "meta": 0, "plain": 0} {
		if got := get(t, s, 0, k).Expire; got != want {
			t.Errorf("%s expire %d, want %d", k, got, want)
		}
	}
	if info.Keys != 6 || info.Expires != 4 {
		t.Errorf("keys %d expires %d", info.Keys, info.Expires)
	}
	var metas []KeyMeta
	h := &metaHandler{metas: &metas}
	if _, err := Decode(bytes.NewReader(b), h, Options{}); err != nil {
		t.Fatal(err)
	}
	if len(metas) != 6 || metas[4] != (KeyMeta{Type: 0, Idle: 1234, Freq: 7, Offset: 81, Size: 8}) ||
		metas[5] != (KeyMeta{Idle: -1, Freq: -1, Offset: 89, Size: 9}) {
		t.Errorf("metas %+v", metas)
	}
}

type metaHandler struct {
	collect
	metas *[]KeyMeta
}

func (h *metaHandler) Key(db int, key string, e *store.Entry, m KeyMeta) error {
	*h.metas = append(*h.metas, m)
	return nil
}

func TestAux(t *testing.T) {
	replID := strings.Repeat("ab", 20)
	b := newRDB("REDIS0010").
		aux("redis-ver", "7.0.15").aux("repl-id", replID).aux("repl-offset", "123456").aux("repl-stream-db", "2").
		selectDB(0).key(0, "k").str("v").
		aux("slot-info", "inside a db").
		raw(rdb.OpResizeDB).len(10).len(2).
		raw(rdb.OpSlotInfo).len(100).len(1).len(0).
		aux("after", "the keyspace").
		end()
	_, info := load(t, b)
	if info.ReplID != replID || info.ReplOffset != 123456 || info.ReplStreamDB != 2 {
		t.Errorf("repl fields %+v", info)
	}
	want := []AuxField{{"redis-ver", "7.0.15"}, {"repl-id", replID}, {"repl-offset", "123456"},
		{"repl-stream-db", "2"}, {"slot-info", "inside a db"}, {"after", "the keyspace"}}
	if fmt.Sprint(info.Aux) != fmt.Sprint(want) {
		t.Errorf("aux %v", info.Aux)
	}
	_, info = load(t, newRDB("REDIS0010").aux("repl-id", "short").aux("repl-offset", "x").end())
	if info.ReplID != "" || info.ReplOffset != -1 || info.ReplStreamDB != -1 {
		t.Errorf("bad repl aux accepted: %+v", info)
	}
	// Valkey 9 SLOT_IMPORT is parsed and skipped.
	_, info = load(t, newRDB("VALKEY080").raw(rdb.OpSlotImport).str(strings.Repeat("A", 40)).len(2).
		len(0).len(100).len(200).len(16383).selectDB(0).key(0, "k").str("v").end())
	if info.Keys != 1 {
		t.Errorf("keys %d", info.Keys)
	}
}

func TestFunctions(t *testing.T) {
	lib1 := "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
	lib2 := "#!lua   NAME=\"other_lib\"\nreturn"
	s, info := load(t, newRDB("REDIS0010").raw(rdb.OpFunction2).str(lib1).raw(rdb.OpFunction2).str(lib2).end())
	if c, ok := s.Function("mylib"); !ok || string(c) != lib1 {
		t.Errorf("mylib: %q", c)
	}
	if _, ok := s.Function("other_lib"); !ok || info.Functions != 2 {
		t.Errorf("other_lib missing; functions %d", info.Functions)
	}
	for _, bad := range []string{"no shebang", "#!lua name=x", "#!lua\ncode", "#!lua name=a name=b\n", "#!lua foo=bar\n"} {
		wantErr(t, loadErr(t, newRDB("REDIS0010").raw(rdb.OpFunction2).str(bad).end()), ErrCorrupt, "function library")
	}
	wantErr(t, loadErr(t, newRDB("REDIS0010").raw(rdb.OpFunction2).str(lib1).raw(rdb.OpFunction2).str(lib1).end()),
		ErrCorrupt, "duplicate function library")
}

func TestOldAndCompactTypes(t *testing.T) {
	b := newRDB("REDIS0009").selectDB(0).
		key(rdb.TypeList, "linked").len(3).str("a").intStr(12).str("c").
		key(rdb.TypeSet, "set").len(2).str("x").intStr(5).
		key(rdb.TypeZSet, "zset1").len(4).str("a").raw(3).rawStr("1.5").str("b").raw(254).str("c").raw(255).
		str("d").raw(6).rawStr("-1e300").
		key(rdb.TypeZSet2, "zset2").len(2).str("a").f64(0.1).str("b").f64(math.Inf(-1)).
		key(rdb.TypeHash, "hash").len(2).str("f").str("v").str("g").intStr(-5).
		key(rdb.TypeHashZipmap, "zipmap").blob(zipmap(2, "f1", "v1", strings.Repeat("F", 300), strings.Repeat("V", 300))).
		key(rdb.TypeListZiplist, "zllist").blob(ziplist("a", 0, 12, 13, -1, 300, -70000, 1<<30, int64(1)<<40, strings.Repeat("s", 100), strings.Repeat("L", 20000))).
		key(rdb.TypeSetIntset, "is16").blob(intset(2, -3, 5, 300)).
		key(rdb.TypeSetIntset, "is32").blob(intset(4, -70000, 1, 70000)).
		key(rdb.TypeSetIntset, "is64").blob(intset(8, math.MinInt64, 0, math.MaxInt64)).
		key(rdb.TypeZSetZiplist, "zzl").blob(ziplist("m1", "1.25", "m2", 7, "m3", "inf")).
		key(rdb.TypeHashZiplist, "hzl").blob(ziplist("f1", "v1", "f2", 2)).
		key(rdb.TypeListQuicklist, "ql").len(2).blob(ziplist("a", "b")).blob(ziplist(1, 2, 3)).
		end()
	s, _ := load(t, b)
	check := func(key, want string) {
		t.Helper()
		if got := renderOursAsLib(get(t, s, 0, key), 0); got != want {
			t.Errorf("%s:\n got  %s\n want %s", key, got, want)
		}
	}
	check("linked", `list ["a","12","c"]`)
	check("set", `set {"5","x"}`)
	check("zset1", `zset {"a"=1.5,"b"=+Inf,"c"=-Inf,"d"=-1e+300}`)
	check("zset2", `zset {"a"=0.1,"b"=-Inf}`)
	check("hash", `hash {"f":"v","g":"-5"}`)
	check("zipmap", `hash {"F`+strings.Repeat("F", 299)+`":"`+strings.Repeat("V", 300)+`","f1":"v1"}`)
	check("zllist", `list ["a","0","12","13","-1","300","-70000","1073741824","1099511627776","`+strings.Repeat("s", 100)+`","`+strings.Repeat("L", 20000)+`"]`)
	check("is16", `set {"-3","300","5"}`)
	check("is32", `set {"-70000","1","70000"}`)
	check("is64", `set {"-9223372036854775808","0","9223372036854775807"}`)
	check("zzl", `zset {"m1"=1.25,"m2"=7,"m3"=+Inf}`)
	check("hzl", `hash {"f1":"v1","f2":"2"}`)
	check("ql", `list ["a","b","1","2","3"]`)

	// NaN scores are corrupt, as in Redis.
	wantErr(t, loadErr(t, newRDB("REDIS0009").key(rdb.TypeZSet, "z").len(1).str("a").raw(253).end()), ErrCorrupt, "NaN")
	wantErr(t, loadErr(t, newRDB("REDIS0009").key(rdb.TypeZSet2, "z").len(1).str("a").f64(math.NaN()).end()), ErrCorrupt, "NaN")
	wantErr(t, loadErr(t, newRDB("REDIS0009").key(rdb.TypeZSet, "z").len(1).str("a").raw(3).rawStr("abc").end()), ErrCorrupt, "score")
}

func TestListpackTypes(t *testing.T) {
	ints := []any{0, 127, 128, -1, -4096, 4095, 4096, -32768, 32767, 1 << 20, -(1 << 23), 1 << 30, math.MinInt32, int64(1) << 40, int64(math.MinInt64), int64(math.MaxInt64)}
	var wantInts []string
	for _, v := range ints {
		wantInts = append(wantInts, fmt.Sprint(v))
	}
	long := strings.Repeat("x", 5000)
	// A compressed (LZF) listpack node: the listpack bytes as a literal run.
	lpz := listpack("z", 1)
	lit := append([]byte{byte(len(lpz) - 1)}, lpz...)
	b := newRDB("REDIS0011").selectDB(0).
		key(rdb.TypeListQuicklist2, "ql2").len(3).
		len(rdb.QuicklistNodePacked).blob(listpack(append([]any{"s", strings.Repeat("m", 100), long}, ints...)...)).
		len(rdb.QuicklistNodePlain).str("plain-node-element").
		len(rdb.QuicklistNodePacked).lzfStr(lit, len(lpz)).
		key(rdb.TypeSetListpack, "slp").blob(listpack("a", 1, "b")).
		key(rdb.TypeZSetListpack, "zlp").blob(listpack("a", "1.5", "b", 2, "c", "-inf")).
		key(rdb.TypeHashListpack, "hlp").blob(listpack("f", "v", "n", 42)).
		end()
	s, _ := load(t, b)
	l := listOf(get(t, s, 0, "ql2"))
	want := append(append([]string{"s", strings.Repeat("m", 100), long}, wantInts...), "plain-node-element", "z", "1")
	if fmt.Sprint(l) != fmt.Sprint(want) {
		t.Errorf("ql2:\n got  %.300v\n want %.300v", l, want)
	}
	if got := renderOursAsLib(get(t, s, 0, "slp"), 0); got != `set {"1","a","b"}` {
		t.Errorf("slp %s", got)
	}
	if got := renderOursAsLib(get(t, s, 0, "zlp"), 0); got != `zset {"a"=1.5,"b"=2,"c"=-Inf}` {
		t.Errorf("zlp %s", got)
	}
	if got := renderOursAsLib(get(t, s, 0, "hlp"), 0); got != `hash {"f":"v","n":"42"}` {
		t.Errorf("hlp %s", got)
	}

	// Malformed compact encodings.
	lp := listpack("a", "b")
	badCount := bytes.Clone(lp)
	badCount[4] = 3
	badBacklen := bytes.Clone(lp)
	badBacklen[8] = 9
	badTotal := bytes.Clone(lp)
	badTotal[0]++
	zl := ziplist("a", "b")
	badPrev := bytes.Clone(zl)
	badPrev[13] = 7
	badTail := bytes.Clone(zl)
	badTail[4] = 10
	for name, c := range map[string]struct {
		t    byte
		blob []byte
		msg  string
	}{
		"lp count":       {rdb.TypeSetListpack, badCount, "header counts 3"},
		"lp backlen":     {rdb.TypeSetListpack, badBacklen, "back length"},
		"lp total":       {rdb.TypeSetListpack, badTotal, "header says"},
		"lp encoding":    {rdb.TypeSetListpack, listpackRaw(0xF5), "invalid listpack entry encoding"},
		"lp overrun":     {rdb.TypeSetListpack, listpackRaw(0xBF, 'a'), "overruns"},
		"lp dup":         {rdb.TypeSetListpack, listpack("a", "a"), "duplicate set member"},
		"lp odd hash":    {rdb.TypeHashListpack, listpack("f", "v", "g"), "has no value"},
		"lp hash dup":    {rdb.TypeHashListpack, listpack("f", "v", "f", "w"), "duplicate hash field"},
		"lp zset score":  {rdb.TypeZSetListpack, listpack("a", "x1"), "score"},
		"lp zset single": {rdb.TypeZSetListpack, listpack("a"), "has no score"},
		"zl prevlen":     {rdb.TypeListZiplist, badPrev, "prevlen"},
		"zl tail":        {rdb.TypeListZiplist, badTail, "tail"},
		"intset order":   {rdb.TypeSetIntset, intset(2, 5, 3), "increasing"},
		"intset size":    {rdb.TypeSetIntset, intset(2, 5, 3)[:9], "length"},
		"intset width":   {rdb.TypeSetIntset, intset(3, 1), "encoding"},
		"intset empty":   {rdb.TypeSetIntset, intset(2), "empty intset"},
		"zipmap empty":   {rdb.TypeHashZipmap, zipmap(0), "empty zipmap"},
		"zipmap free":    {rdb.TypeHashZipmap, zipmapBadFree(), "overruns"},
	} {
		err := loadErr(t, newRDB("REDIS0011").key(c.t, "k").blob(c.blob).end())
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v (want %q)", name, err, c.msg)
		}
	}
	wantErr(t, loadErr(t, newRDB("REDIS0011").key(rdb.TypeListQuicklist2, "k").len(1).len(3).blob(lp).end()), ErrCorrupt, "container 3")
	wantErr(t, loadErr(t, newRDB("REDIS0011").key(rdb.TypeListQuicklist2, "k").len(1).len(2).str("").end()), ErrCorrupt, "empty quicklist node")
}

// zipmapBadFree is a zipmap whose free-space byte runs past the blob.
func zipmapBadFree() []byte {
	b := zipmap(0, "f", "v")
	b[4] = 5
	return b
}

// listpackRaw wraps raw entry bytes in a listpack header and terminator.
func listpackRaw(entry ...byte) []byte {
	b := append(make([]byte, 6), entry...)
	b = append(b, 0xFF)
	b[0] = byte(len(b))
	b[4] = 1
	return b
}

// TestHugeListpack: listpacks and ziplists of 65535+ elements carry a
// saturated count and are walked to their terminator (hdt3213's B3
// truncated them).
func TestHugeListpack(t *testing.T) {
	const n = 40000
	var hashElems, setElems, zlElems []any
	for i := 0; i < n; i++ {
		hashElems = append(hashElems, "f"+strconv.Itoa(i), i)
	}
	for i := 0; i < 70000; i++ {
		setElems = append(setElems, "m"+strconv.Itoa(i))
		zlElems = append(zlElems, i)
	}
	b := newRDB("REDIS0011").selectDB(0).
		key(rdb.TypeHashListpack, "h").blob(listpack(hashElems...)).
		key(rdb.TypeSetListpack, "s").blob(listpack(setElems...)).
		key(rdb.TypeListZiplist, "l").blob(ziplist(zlElems...)).
		end()
	s, _, err := Load(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := get(t, s, 0, "h").Hash(); h.Len() != n {
		t.Errorf("hash has %d fields, want %d", h.Len(), n)
	} else if v, _ := h.Get([]byte("f39999")); string(v) != "39999" {
		t.Errorf("last field %q", v)
	}
	if got := get(t, s, 0, "s").Set().Len(); got != 70000 {
		t.Errorf("set has %d members", got)
	}
	if l := get(t, s, 0, "l").List(); l.Len() != 70000 || string(l.Index(69999)) != "69999" {
		t.Errorf("list has %d elements", l.Len())
	}
}

func TestHashFieldTTLs(t *testing.T) {
	const min = 1900000000000
	b := newRDB("REDIS0012").selectDB(0).
		// 24: min-expire, then (ttl relative to min, +1; 0 none, field, value).
		key(rdb.TypeHashMetadata, "h24").u64(min).len(3).
		len(1).str("a").str("va").len(0).str("b").str("vb").len(5001).str("c").intStr(3).
		// 25: min-expire then a listpack of (field, value, absolute ms or 0).
		key(rdb.TypeHashListpackEx, "h25").u64(min).blob(listpack("a", "va", min, "b", 7, 0)).
		// 7.4 RC 22: absolute TTLs, no min-expire.
		key(22, "h22").len(2).len(min+1).str("a").str("va").len(0).str("b").str("vb").
		// 7.4 RC 23: listpack triples, no min-expire.
		key(23, "h23").blob(listpack("a", "va", min+2)).
		end()
	s, _ := load(t, b)
	for key, want := range map[string]string{
		"h24": `hash {"a":"va"@1900000000000,"b":"vb","c":"3"@1900000005000}`,
		"h25": `hash {"a":"va"@1900000000000,"b":"7"}`,
		"h22": `hash {"a":"va"@1900000000001,"b":"vb"}`,
		"h23": `hash {"a":"va"@1900000000002}`,
	} {
		if got := renderOursAsLib(get(t, s, 0, key), 0); got != want {
			t.Errorf("%s:\n got  %s\n want %s", key, got, want)
		}
	}
	// Valkey 9 HASH_2: field, value, 8-byte LE expiry (-1 none).
	v := newRDB("VALKEY080").selectDB(0).key(22, "hv").len(3).
		str("a").str("va").u64(min).
		str("b").str("vb").u64(math.MaxUint64). // -1
		str("c").str("vc").u64(0).
		end()
	s, _ = load(t, v)
	if got := renderOursAsLib(get(t, s, 0, "hv"), 0); got != `hash {"a":"va"@1900000000000,"b":"vb","c":"vc"@1}` {
		t.Errorf("valkey hash2: %s", got)
	}
	wantErr(t, loadErr(t, newRDB("VALKEY080").key(22, "h").len(1).str("a").str("v").u64(math.MaxUint64-1).end()), ErrCorrupt, "expiry")
	wantErr(t, loadErr(t, newRDB("REDIS0012").key(rdb.TypeHashMetadata, "h").u64(min).len(1).len(1<<50).str("a").str("v").end()), ErrCorrupt, "TTL")
	wantErr(t, loadErr(t, newRDB("REDIS0012").key(rdb.TypeHashListpackEx, "h").u64(min).blob(listpack("a", "v", "x")).end()), ErrCorrupt, "invalid expiry")
	wantErr(t, loadErr(t, newRDB("REDIS0012").key(rdb.TypeHashListpackEx, "h").u64(min).blob(listpack("a", "v")).end()), ErrCorrupt, "no expiry slot")
}

func TestModules(t *testing.T) {
	id := moduleID("test___dt", 3)
	val := newRDB("").len(id).
		len(rdb.ModuleOpUInt).len(42).
		len(rdb.ModuleOpSInt).raw(0xC1, 1, 2). // an encoded-looking length is read as a value
		len(rdb.ModuleOpFloat).u32(math.Float32bits(1.5)).
		len(rdb.ModuleOpDouble).f64(2.5).
		len(rdb.ModuleOpString).str("hello").
		len(rdb.ModuleOpString).lzfStr([]byte{0x00, 'a', 0xE0, 90, 0x00}, 100).
		len(rdb.ModuleOpEOF).b
	aux := newRDB("").len(id).len(rdb.ModuleOpUInt).len(2).len(rdb.ModuleOpString).str("aux-data").len(rdb.ModuleOpEOF).b
	b := newRDB("REDIS0010").raw(rdb.OpModuleAux).raw(aux...).selectDB(0).
		raw(rdb.TypeModule2).str("mod").raw(val...).
		key(0, "after").str("ok").
		raw(rdb.OpModuleAux).raw(aux...).
		end()
	s, info := load(t, b)
	m := get(t, s, 0, "mod").Module()
	if m == nil || m.TypeName != "test___dt" || m.ModuleID != id || !bytes.Equal(m.Raw, val) {
		t.Fatalf("module %+v, raw want %x", m, val)
	}
	if string(get(t, s, 0, "after").Str()) != "ok" {
		t.Error("key after the module value")
	}
	if len(info.ModuleAux) != 2 || !bytes.Equal(info.ModuleAux[0], aux) || !bytes.Equal(info.ModuleAux[1], aux) {
		t.Errorf("module aux %x", info.ModuleAux)
	}
	if rdb.ModuleTypeName(id) != "test___dt" {
		t.Error("module type name")
	}
	badOp := newRDB("").len(id).len(9).b
	wantErr(t, loadErr(t, newRDB("REDIS0010").raw(rdb.TypeModule2).str("m").raw(badOp...).end()), ErrCorrupt, "module opcode 9")
	badWhen := newRDB("").len(id).len(rdb.ModuleOpSInt).len(2).len(0).b
	wantErr(t, loadErr(t, newRDB("REDIS0010").raw(rdb.OpModuleAux).raw(badWhen...).end()), ErrCorrupt, "when-opcode")
}

func TestEmptyCollectionsSkipped(t *testing.T) {
	var logBuf bytes.Buffer
	b := newRDB("REDIS0011").selectDB(0).
		key(rdb.TypeList, "l").len(0).
		key(rdb.TypeSet, "s").len(0).
		key(rdb.TypeZSet2, "z").len(0).
		key(rdb.TypeHash, "h").len(0).
		key(rdb.TypeListQuicklist, "q").len(1).blob(ziplist()).
		key(rdb.TypeListQuicklist2, "q2").len(0).
		key(rdb.TypeListZiplist, "zl").blob(ziplist()).
		key(rdb.TypeSetListpack, "slp").blob(listpack()).
		key(rdb.TypeZSetListpack, "zlp").blob(listpack()).
		key(rdb.TypeHashListpack, "hlp").blob(listpack()).
		key(rdb.TypeHashZiplist, "hzl").blob(ziplist()).
		key(0, "kept").str("v").
		end()
	s, info, err := Load(bytes.NewReader(b), Options{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if s.Keys() != 1 || info.Keys != 1 || info.EmptySkipped != 11 {
		t.Errorf("keys %d, info %+v", s.Keys(), info)
	}
	if n := strings.Count(logBuf.String(), "skipping the key"); n != 10 {
		t.Errorf("%d per-key warnings (want the first 10), log:\n%s", n, logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "count=11") {
		t.Errorf("no summary warning:\n%s", logBuf.String())
	}
}

func TestStreamsSynthetic(t *testing.T) {
	// Node 1: master fields (a, b); entries: same-fields (1000-0), deleted
	// (1000-1), own fields with a duplicate name (1001-0).
	node1 := listpack(
		2, 1, 2, "a", "b", 0, // count, deleted, master fields, 0
		2, 0, 0, "1", "2", 5, // SAMEFIELDS, +0 ms, +0 seq, values, lp-count 2+3
		3, 0, 1, "x", "y", 5, // DELETED|SAMEFIELDS at 1000-1
		0, 1, 0, 2, "f", "v1", "f", "v2", 8, // own fields: 2, f v1 f v2, lp-count 2*2+4
	)
	node2 := listpack(1, 0, 1, "z", 0, 2, 0, 5, int64(-7), 4)
	v1 := newRDB("REDIS0009").selectDB(0).
		key(rdb.TypeStreamListpacks, "s1").len(2).
		blob(streamID16(1000, 0)).blob(node1).
		blob(streamID16(2000, 0)).blob(node2).
		len(3).len(2000).len(5). // length, last ID
		len(2).                  // groups
		str("g1").len(1001).len(0).
		len(1).raw(streamID16(1000, 0)...).u64(1700000000000).len(3). // PEL
		len(1).str("c1").u64(1700000000001).len(1).raw(streamID16(1000, 0)...).
		str("g0").len(0).len(0).len(0).len(0).
		key(rdb.TypeStreamListpacks, "empty").len(0).len(0).len(0).len(0).len(0).
		end()
	s, _ := load(t, v1)
	st := get(t, s, 0, "s1").Stream()
	want := `[{1000-0 [a 1 b 2]} {1001-0 [f v1 f v2]} {2000-5 [z -7]}]`
	if got := fmt.Sprint(entriesOf(st)); got != want {
		t.Errorf("entries %s, want %s", got, want)
	}
	if st.EntriesAdded != 3 || st.FirstID != (store.StreamID{Ms: 1000}) || !st.MaxDeletedID.IsZero() || st.LastID != (store.StreamID{Ms: 2000, Seq: 5}) {
		t.Errorf("v1 metadata %+v", st)
	}
	g1, g0 := st.Group([]byte("g1")), st.Group([]byte("g0"))
	// entries-read estimated as Redis does for v1: g1 at 1001-0 sits
	// inside the stream (unknown, -1); g0 at 0-0 before the first entry
	// (entries-added - length = 0).
	if g1.EntriesRead != -1 || g0.EntriesRead != 0 {
		t.Errorf("entries-read g1 %d g0 %d", g1.EntriesRead, g0.EntriesRead)
	}
	c1 := g1.Consumer([]byte("c1"))
	pe := g1.PEL[store.StreamID{Ms: 1000}]
	if c1 == nil || pe == nil || pe.Consumer != c1 || pe.DeliveryCount != 3 || pe.DeliveryTime != 1700000000000 ||
		c1.SeenTime != 1700000000001 || c1.ActiveTime != c1.SeenTime {
		t.Errorf("group state %+v %+v", c1, pe)
	}
	if e := get(t, s, 0, "empty").Stream(); e.Len() != 0 || e.FirstID != (store.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}) {
		t.Errorf("empty v1 stream first ID %v (Redis's streamGetEdgeID gives max-max)", e.FirstID)
	}

	// v3: explicit metadata, entries-read, active-time.
	v3 := newRDB("REDIS0011").selectDB(0).
		key(rdb.TypeStreamListpacks3, "s3").len(1).blob(streamID16(5, 0)).blob(listpack(1, 0, 1, "k", 0, 2, 0, 0, "v", 4)).
		len(1).len(9).len(9).len(5).len(0).len(3).len(0).len(42).
		len(1).str("g").len(5).len(0).raw(0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF). // entries-read -1
		len(0).len(1).str("c").u64(10).u64(math.MaxUint64).len(0).
		end()
	s, _ = load(t, v3)
	st = get(t, s, 0, "s3").Stream()
	g := st.Group([]byte("g"))
	if st.FirstID != (store.StreamID{Ms: 5}) || st.MaxDeletedID != (store.StreamID{Ms: 3}) || st.EntriesAdded != 42 ||
		g.EntriesRead != -1 || g.Consumer([]byte("c")).ActiveTime != -1 || g.Consumer([]byte("c")).SeenTime != 10 {
		t.Errorf("v3 metadata %+v group %+v", st, g)
	}

	bad := func(name, msg string, b []byte) {
		t.Helper()
		err := loadErr(t, b)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v (want %q)", name, err, msg)
		}
	}
	stream := func(nodes ...[]byte) *rdbBuf {
		r := newRDB("REDIS0010").key(rdb.TypeStreamListpacks2, "s").len(uint64(len(nodes) / 2))
		for _, n := range nodes {
			r.blob(n)
		}
		return r
	}
	meta := func(r *rdbBuf, length uint64) *rdbBuf {
		return r.len(length).len(9).len(0).len(0).len(0).len(0).len(0).len(length)
	}
	bad("key size", "16-byte", meta(stream([]byte("short"), node2), 1).len(0).end())
	bad("node order", "increasing order", meta(stream(streamID16(5, 0), node2, streamID16(5, 0), node2), 2).len(0).end())
	bad("lp-count", "lp-count", meta(stream(streamID16(1, 0), listpack(1, 0, 1, "k", 0, 2, 0, 0, "v", 9)), 1).len(0).end())
	bad("master zero", "terminated by 0", meta(stream(streamID16(1, 0), listpack(1, 0, 1, "k", 1, 2, 0, 0, "v", 4)), 1).len(0).end())
	bad("truncated entry", "middle of an entry", meta(stream(streamID16(1, 0), listpack(1, 0, 1, "k", 0, 2, 0)), 1).len(0).end())
	bad("trailing", "after its last entry", meta(stream(streamID16(1, 0), listpack(1, 0, 1, "k", 0, 2, 0, 0, "v", 4, 7)), 1).len(0).end())
	bad("empty node", "empty listpack", meta(stream(streamID16(1, 0), listpack()), 0).len(0).end())
	bad("not int", "where an integer belongs", meta(stream(streamID16(1, 0), listpack(1, 0, 1, "k", 0, "x", 0, 0, "v", 4)), 1).len(0).end())
	bad("length without nodes", "no entries", meta(stream(), 3).len(0).end())
	bad("missing PEL", "not in the group PEL", meta(stream(streamID16(1, 0), node2), 1).
		len(1).str("g").len(1).len(0).len(1).len(0).len(1).str("c").u64(1).len(1).raw(streamID16(7, 7)...).end())
	bad("dup group", "duplicate consumer group", meta(stream(), 0).len(2).
		str("g").len(0).len(0).len(0).len(0).len(0).str("g").len(0).len(0).len(0).len(0).len(0).end())
	bad("dup consumer", "duplicate consumer", meta(stream(), 0).len(1).
		str("g").len(0).len(0).len(0).len(0).len(2).str("c").u64(1).len(0).str("c").u64(1).len(0).end())
	bad("dup PEL", "duplicate PEL entry", meta(stream(), 0).len(1).
		str("g").len(0).len(0).len(0).len(2).raw(streamID16(1, 1)...).u64(1).len(1).raw(streamID16(1, 1)...).u64(1).len(1).len(0).end())
}

func entriesOf(s *store.Stream) []string {
	var out []string
	for _, e := range s.Entries() {
		var f []string
		for _, x := range e.Fields {
			f = append(f, string(x))
		}
		out = append(out, "{"+e.ID.String()+" "+fmt.Sprint(f)+"}")
	}
	return out
}

func TestMaxLength(t *testing.T) {
	b := newRDB("REDIS0011").key(0, "k").str(strings.Repeat("v", 100)).end()
	_, _, err := Load(bytes.NewReader(b), Options{MaxLength: 99})
	wantErr(t, err, ErrCorrupt, "exceeds the limit of 99")
	if _, _, err := Load(bytes.NewReader(b), Options{MaxLength: 100}); err != nil {
		t.Error(err)
	}
	b = newRDB("REDIS0011").key(rdb.TypeList, "k").len(1000).end()
	_, _, err = Load(bytes.NewReader(b), Options{MaxLength: 999})
	wantErr(t, err, ErrCorrupt, "list length 1000 exceeds")
}

// TestHugeLengthsDoNotAllocate: lengths and counts claiming gigabytes fail
// at the end of the input without allocating for them.
func TestHugeLengthsDoNotAllocate(t *testing.T) {
	cases := map[string][]byte{
		"string 4GB":      newRDB("REDIS0011").key(0, "k").raw(0x80, 0xFF, 0xFF, 0xFF, 0xF0).raw(make([]byte, 1000)...).b,
		"string 2^40":     newRDB("REDIS0011").key(0, "k").raw(0x81, 0, 0, 1, 0, 0, 0, 0, 0).raw(make([]byte, 1000)...).b,
		"list 2^40":       newRDB("REDIS0011").key(rdb.TypeList, "k").len(1 << 40).str("a").b,
		"set 2^30":        newRDB("REDIS0011").key(rdb.TypeSet, "k").len(1 << 30).str("a").b,
		"zset 2^30":       newRDB("REDIS0011").key(rdb.TypeZSet2, "k").len(1 << 30).str("a").f64(1).b,
		"hash 2^30":       newRDB("REDIS0011").key(rdb.TypeHash, "k").len(1 << 30).str("a").str("b").b,
		"lzf 1GB":         newRDB("REDIS0011").key(0, "k").raw(0xC3).len(1 << 24).len(1 << 30).raw(make([]byte, 100)...).b,
		"quicklist 2^30":  newRDB("REDIS0011").key(rdb.TypeListQuicklist2, "k").len(1 << 30).len(2).blob(listpack("a")).b,
		"stream nodes":    newRDB("REDIS0011").key(rdb.TypeStreamListpacks3, "k").len(1 << 30).b,
		"module string":   newRDB("REDIS0011").key(rdb.TypeModule2, "k").len(1).len(5).raw(0x80, 0xFF, 0xFF, 0xFF, 0xF0).b,
		"stream PEL 2^30": newRDB("REDIS0011").key(rdb.TypeStreamListpacks3, "k").len(0).len(0).len(0).len(0).len(0).len(0).len(0).len(0).len(0).len(1).str("g").len(0).len(0).len(0).len(1 << 30).b,
	}
	for name, b := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		// No MaxLength bound: the point is that nothing is allocated for
		// bytes that never arrive.
		_, _, err := Load(bytes.NewReader(b), Options{MaxLength: math.MaxInt})
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: decoded", name)
			continue
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %v, want io.ErrUnexpectedEOF", name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
			t.Errorf("%s: allocated %d MB for a %d-byte input", name, alloc>>20, len(b))
		}
	}
}

func TestProgressAndHandlerErrors(t *testing.T) {
	data := stringsRDB(60_000) // about 7 MB
	var calls []int64
	var lastKeys int64
	_, info, err := Load(bytes.NewReader(data), Options{Progress: func(b, k int64) {
		calls = append(calls, b)
		lastKeys = k
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != len(data)/progressEvery || lastKeys <= 0 || lastKeys > info.Keys {
		t.Errorf("progress calls at %v (keys %d) for %d bytes", calls, lastKeys, len(data))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i]-calls[i-1] < progressEvery {
			t.Errorf("progress calls too close: %v", calls)
		}
	}

	stop := errors.New("handler says stop")
	_, err = Decode(bytes.NewReader(data), &failingHandler{after: 100, err: stop}, Options{})
	var e *Error
	if !errors.Is(err, stop) || !errors.As(err, &e) || !e.HasKey || e.Offset <= 0 {
		t.Errorf("handler error: %v", err)
	}
}

type failingHandler struct {
	collectNothing
	n, after int
	err      error
}

func (h *failingHandler) Key(int, string, *store.Entry, KeyMeta) error {
	if h.n++; h.n > h.after {
		return h.err
	}
	return nil
}
