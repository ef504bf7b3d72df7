package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdbjson/rdbjsontest"
	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
)

// fixtureRoot holds the real-server fixtures (dump.rdb, expected.jsonl.gz,
// server.json per server; see /work/shared/testdata/README.md).
const fixtureRoot = "../../internal/rdbload/testdata"

func fixtures(t *testing.T) []rdbjsontest.Fixture {
	t.Helper()
	fx, err := rdbjsontest.Fixtures(fixtureRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(fx) < 9 {
		t.Fatalf("only %d fixtures under %s", len(fx), fixtureRoot)
	}
	return fx
}

// cliMu serializes in-process runs: urfave/cli keeps global state
// (the help flag) that parallel runs would race on.
var cliMu sync.Mutex

// runCLI runs the command in-process with stdin.
func runCLI(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cliMu.Lock()
	defer cliMu.Unlock()
	var out, errb bytes.Buffer
	if stdin == nil {
		code = run(append([]string{"redis-follower"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	// run() with an injected standard input: the same app and exit-code
	// mapping.
	app := newApp(&out, &errb)
	app.Reader = bytes.NewReader(stdin)
	code = exitOK
	if err := app.Run(append([]string{"redis-follower"}, args...)); err != nil {
		fmt.Fprintln(&errb, "redis-follower:", err)
		code = exitFatal
		var ue usageError
		if errors.As(err, &ue) || isFlagError(err) {
			code = exitConfig
		}
	}
	return code, out.String(), errb.String()
}

// TestRDBFixtures: for every fixture, the command's JSON lines equal
// expected.jsonl under the rules of package rdbjsontest (keys expired
// after SAVE, pre-7.0 PTTL buckets, what the generator did not record),
// byte-identical wherever no rule was needed.
func TestRDBFixtures(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel() // the comparisons run in parallel, the CLI runs one at a time
			code, stdout, stderr := runCLI(t, nil, "rdb", fx.DumpPath())
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			got, err := rdbjsontest.ReadLines(strings.NewReader(stdout))
			if err != nil {
				t.Fatal(err)
			}
			want, err := fx.Expected()
			if err != nil {
				t.Fatal(err)
			}
			res := fx.Compare(want, got)
			res.Report(t, 20)
			if res.Matched != len(want) || res.Matched+res.ExpiredAfterSave != len(got) {
				t.Errorf("matched %d of %d expected keys; printed %d, %d of them expired after SAVE",
					res.Matched, len(want), len(got), res.ExpiredAfterSave)
			}
			t.Logf("%d keys matched, %d lines byte-identical, rules needed %v, %d expired after SAVE",
				res.Matched, res.Identical, res.Explained, res.ExpiredAfterSave)
			checkSummary(t, fx, got)
		})
	}
}

// TestRDBStdin: "-" reads standard input, with the same output.
func TestRDBStdin(t *testing.T) {
	fx := fixtures(t)[0]
	data, err := os.ReadFile(fx.DumpPath())
	if err != nil {
		t.Fatal(err)
	}
	_, fromFile, _ := runCLI(t, nil, "rdb", fx.DumpPath())
	code, fromStdin, stderr := runCLI(t, data, "rdb", "-")
	if code != exitOK || fromStdin != fromFile || fromFile == "" {
		t.Fatalf("stdin: exit %d, stderr %q, %d bytes of output vs %d from the file", code, stderr, len(fromStdin), len(fromFile))
	}
	code, sum, _ := runCLI(t, data, "rdb", "--summary", "-")
	if code != exitOK || !strings.Contains(sum, "file:           standard input\n") {
		t.Fatalf("stdin summary: exit %d\n%s", code, sum)
	}
}

// summaryFile writes a small RDB whose record sizes are known: "big" is
// a string of 1000 random bytes (type byte + 1+3 key bytes + 2-byte
// length + 1000 = 1007 bytes), "mid" 100 random bytes (1+4+2+100 = 107),
// a list, a hash with an expire in db 2, and a function library.
func summaryFile(t *testing.T) string {
	s := store.New()
	rnd := func(n int) []byte {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	s.DB(0).PutString("big", store.NewString(rnd(1000)))
	s.DB(0).PutString("mid", store.NewString(rnd(100)))
	s.DB(0).PutString("n", store.NewString([]byte("7")))
	l := store.NewList(2)
	l.PushBack([]byte("a"))
	l.PushBack([]byte("b"))
	s.DB(0).PutString("list", store.NewListEntry(l))
	h := store.NewHash(1)
	h.Set([]byte("f"), []byte("v"))
	he := store.NewHashEntry(h)
	he.Expire = 4102444800000
	s.DB(2).PutString("hash", he)
	s.SetFunction("mylib", []byte("#!lua name=mylib\nredis.register_function('f', function() return 1 end)"))
	path := filepath.Join(t.TempDir(), "small.rdb")
	err := rdbsave.WriteFile(path, s, rdbsave.Options{Version: 10, Aux: []rdbsave.AuxField{{Key: "redis-ver", Value: "7.0.15"}, {Key: "odd key", Value: "x\x00y"}}})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRDBSummary(t *testing.T) {
	path := summaryFile(t)
	code, out, stderr := runCLI(t, nil, "rdb", "--summary", "--top", "2", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"format:         REDIS0010 (magic REDIS, RDB version 10)\n",
		"(CRC-64 verified)\n",
		"aux fields:     2\n  redis-ver = 7.0.15\n  \"odd key\" = \"x\\x00y\"\n",
		"keys:           5 (1 with an expire), ",
		"  db 0: 4 keys, 0 with an expire, ",
		": list 1 string 3\n",
		"  db 2: 1 keys, 1 with an expire, ",
		"keys by type:   hash 1 list 1 string 3\n",
		"functions:      1 libraries\n  mylib (",
		"module types:   0\n",
		"biggest keys:   2 by serialized size (bytes of the record in the file)\n" +
			"   1. 1007 bytes  db 0  string  \"big\"  (offset ",
		"   2. 107 bytes  db 0  string  \"mid\"  (offset ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^bytes:\s+\d+ \(CRC-64 verified\)$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^decode time:\s+\S+ \([\d.]+ MB/s, \d+ keys/s\)$`).MatchString(out) {
		t.Errorf("bytes / decode time lines missing:\n%s", out)
	}
	code, out, _ = runCLI(t, nil, "rdb", "--summary", "--top", "0", "--db", "2", path)
	if code != exitOK || !strings.Contains(out, "selection:      db 2\n") || !strings.Contains(out, "keys:           1 (1 with an expire)") ||
		strings.Contains(out, "biggest keys") {
		t.Errorf("filtered summary:\n%s", out)
	}
}

// checkSummary: the summary of a fixture agrees with its JSON lines (key
// counts per db, expires) and lists the biggest keys in order.
func checkSummary(t *testing.T, fx rdbjsontest.Fixture, lines []rdbjsontest.Line) {
	code, out, stderr := runCLI(t, nil, "rdb", "--summary", fx.DumpPath())
	if code != exitOK {
		t.Fatalf("summary: exit %d %s", code, stderr)
	}
	perDB := map[int]int{}
	expires := 0
	for _, l := range lines {
		perDB[l.DB]++
		if n, ok := l.Expire.(json.Number); ok && n.String() != "-1" {
			expires++
		}
	}
	want := []string{
		"format:         " + fx.RDBHeader + " ",
		"keys:           " + strconv.Itoa(len(lines)) + " (" + strconv.Itoa(expires) + " with an expire)",
	}
	for db, n := range perDB {
		want = append(want, "  db "+strconv.Itoa(db)+": "+strconv.Itoa(n)+" keys")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	m := regexp.MustCompile(`(?m)^ +\d+\. (\d+) bytes  db (\d+)  (\w+)  `).FindAllStringSubmatch(out, -1)
	if len(m) != 10 {
		t.Errorf("%d biggest keys listed, want 10", len(m))
	}
	sizes := make([]int, len(m))
	for i, x := range m {
		sizes[i], _ = strconv.Atoi(x[1])
	}
	if !slices.IsSortedFunc(sizes, func(a, b int) int { return b - a }) {
		t.Errorf("biggest keys not in decreasing size: %v", sizes)
	}
}

func TestRDBFilters(t *testing.T) {
	fx := fixtures(t)[0]
	_, all, _ := runCLI(t, nil, "rdb", fx.DumpPath())
	lines := strings.SplitAfter(all, "\n")
	parsed, err := rdbjsontest.ReadLines(strings.NewReader(all))
	if err != nil {
		t.Fatal(err)
	}
	filter := func(keep func(l rdbjsontest.Line) bool) string {
		var b strings.Builder
		for i, l := range parsed {
			if keep(l) {
				b.WriteString(lines[i])
			}
		}
		return b.String()
	}
	cases := []struct {
		args []string
		keep func(l rdbjsontest.Line) bool
	}{
		{[]string{"--db", "1"}, func(l rdbjsontest.Line) bool { return l.DB == 1 }},
		{[]string{"--key-prefix", "h:"}, func(l rdbjsontest.Line) bool { return strings.HasPrefix(l.Key, "h:") }},
		{[]string{"--match", "[hz]:1?"}, func(l rdbjsontest.Line) bool {
			return len(l.Key) == 4 && (l.Key[0] == 'h' || l.Key[0] == 'z') && l.Key[1:3] == ":1"
		}},
		{[]string{"--db", "0", "--match", "*:*1"}, func(l rdbjsontest.Line) bool {
			return l.DB == 0 && strings.Contains(l.Key, ":") && strings.HasSuffix(l.Key, "1")
		}},
	}
	for _, c := range cases {
		code, out, stderr := runCLI(t, nil, append(append([]string{"rdb"}, c.args...), fx.DumpPath())...)
		want := filter(c.keep)
		if code != exitOK || out != want || want == "" {
			t.Errorf("%v: exit %d %s; %d bytes, want %d", c.args, code, stderr, len(out), len(want))
		}
	}
}

// TestRDBGlobLikeRedis compares globMatch with a real server's KEYS on
// keys and patterns exercising every rule.
func TestRDBGlobLikeRedis(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	keys := []string{"", "a", "b", "ab", "abc", "a*c", "a?c", "a[c", "a]c", "a\\c", "a-c", "h:1", "h:12", "x^y",
		"hello", "hallo", "hxllo", "hllo", "heeello", "a\x00b", "\xff\xfe", "[", "]", "-", "^", "zzz"}
	for _, k := range keys {
		if err := srv.Client.Set(ctx, k, "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	patterns := []string{"*", "a*", "*c", "a?c", "a\\*c", "a\\?c", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo",
		"h[a-b]llo", "h[b-a]llo", "a[\\]]c", "a[c", "a[", "[", "\\", "a\\", "*\\c", "a[-]c", "a[x-]c", "[^a]*",
		"**", "*?*", "", "*a", "?*", "h:1*", "?", "??", "a\x00*", "\xff*", "[\\^]*", "a*b*c", "*[a-c]", "[]]", "*]*", "[!a]*"}
	for _, p := range patterns {
		res, err := srv.Client.Keys(ctx, p).Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(res)
		var mine []string
		for _, k := range keys {
			if globMatch(p, k) {
				mine = append(mine, k)
			}
		}
		slices.Sort(mine)
		if !slices.Equal(res, mine) {
			t.Errorf("pattern %q: redis %q, ours %q", p, res, mine)
		}
	}
}

// TestRDBErrors: corrupt and truncated files print what was decoded,
// then exit 1 naming the offset; usage problems exit 2.
func TestRDBErrors(t *testing.T) {
	fx := fixtures(t)[0]
	data, err := os.ReadFile(fx.DumpPath())
	if err != nil {
		t.Fatal(err)
	}
	_, full, _ := runCLI(t, nil, "rdb", fx.DumpPath())
	dir := t.TempDir()

	trunc := filepath.Join(dir, "truncated.rdb")
	os.WriteFile(trunc, data[:len(data)*2/3], 0o644)
	code, out, stderr := runCLI(t, nil, "rdb", trunc)
	if code != exitFatal || !strings.Contains(stderr, "at offset ") || !strings.Contains(stderr, "NOT verified") ||
		!strings.Contains(stderr, "unexpected EOF") {
		t.Errorf("truncated: exit %d, stderr %q", code, stderr)
	}
	if out == "" || !strings.HasPrefix(full, out) {
		t.Errorf("truncated: output is not a non-empty prefix of the full output (%d of %d bytes)", len(out), len(full))
	}

	// A flipped byte in the CRC: every key decodes, then the CRC fails.
	bad := slices.Clone(data)
	bad[len(bad)-3] ^= 0x40
	badPath := filepath.Join(dir, "badcrc.rdb")
	os.WriteFile(badPath, bad, 0o644)
	code, out, stderr = runCLI(t, nil, "rdb", badPath)
	if code != exitFatal || !strings.Contains(stderr, "CRC-64 mismatch") || !strings.Contains(stderr, "offset") || out != full {
		t.Errorf("bad CRC: exit %d, stderr %q, output equal to the full one: %v", code, stderr, out == full)
	}
	code, out, stderr = runCLI(t, nil, "rdb", "--summary", badPath)
	if code != exitFatal || !strings.HasPrefix(out, "INCOMPLETE") || !strings.Contains(stderr, "summary above") {
		t.Errorf("bad CRC summary: exit %d, stderr %q\n%s", code, stderr, out)
	}

	// A corrupt type byte in the middle names its offset and the db.
	mid := slices.Clone(data)
	off := len(mid) / 2
	var start int
	for i := off; i < len(mid); i++ {
		// find a record start: an EXPIRETIME_MS/type byte is hard to spot
		// blindly, so corrupt the byte after a known key name instead.
		if bytes.HasPrefix(mid[i:], []byte{0, 3, 'n', ':'}) { // string type, 3-byte key "n:N"
			start = i
			break
		}
	}
	if start == 0 {
		t.Fatal("no string key n:N found in the fixture's second half")
	}
	mid[start] = 99 // not a type
	midPath := filepath.Join(dir, "badtype.rdb")
	os.WriteFile(midPath, mid, 0o644)
	code, _, stderr = runCLI(t, nil, "rdb", midPath)
	if code != exitFatal || !strings.Contains(stderr, "at offset "+strconv.Itoa(start)+" ") || !strings.Contains(stderr, "unknown RDB object type 99") {
		t.Errorf("bad type: exit %d, stderr %q (want offset %d)", code, stderr, start)
	}

	code, _, stderr = runCLI(t, []byte{}, "rdb", "-")
	if code != exitFatal || !strings.Contains(stderr, "standard input") || !strings.Contains(stderr, "offset 0") {
		t.Errorf("empty stdin: exit %d, stderr %q", code, stderr)
	}

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"rdb"}, "one FILE"},
		{[]string{"rdb", "a", "b"}, "one FILE"},
		{[]string{"rdb", filepath.Join(dir, "nonexistent.rdb")}, "cannot open"},
		{[]string{"rdb", "--db", "100000", fx.DumpPath()}, "--db"},
		{[]string{"rdb", "--top", "-1", fx.DumpPath()}, "--top"},
		{[]string{"rdb", "--no-such-flag", fx.DumpPath()}, "flag provided but not defined"},
	} {
		code, _, stderr := runCLI(t, nil, c.args...)
		if code != exitConfig || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, exitConfig, stderr, c.msg)
		}
	}
	code, out, _ = runCLI(t, nil, "rdb", "--help")
	if code != exitOK || !strings.Contains(out, "--summary") || !strings.Contains(out, "NOT verified") && !strings.Contains(out, "not verified") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

// rdbLenBytes encodes an RDB length (test helper).
func rdbLenBytes(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return append(b, 0x80, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	b = append(b, 0x81)
	for i := 7; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// moduleID is the 64-bit module type ID of a 9-character name.
func moduleID(name string, encver uint64) uint64 {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(strings.IndexByte(charset, name[i]))
	}
	return id<<10 | encver
}

// TestRDBSummaryModules: module keys are listed by type name, MODULE_AUX
// records with their module and place, and the JSON shows module values.
func TestRDBSummaryModules(t *testing.T) {
	id := moduleID("mymodule1", 3)
	// module ID, UINT opcode (2) 42, EOF opcode (0)
	raw := append(rdbLenBytes(nil, id), 2, 42, 0)
	s := store.New()
	s.DB(0).PutString("m1", store.NewModuleEntry(&store.Module{TypeName: "mymodule1", ModuleID: id, Raw: raw}))
	s.DB(1).PutString("m2", store.NewModuleEntry(&store.Module{TypeName: "mymodule1", ModuleID: id, Raw: raw}))
	s.DB(0).PutString("s", store.NewString([]byte("v")))
	auxID := moduleID("auxmodule", 1)
	before := append(rdbLenBytes(nil, auxID), 2, 1, 2, 7, 0) // when 1, then UINT 7
	after := append(rdbLenBytes(nil, auxID), 2, 2, 0)        // when 2
	s.SetModuleAux([][]byte{before, after})
	path := filepath.Join(t.TempDir(), "mod.rdb")
	if err := rdbsave.WriteFile(path, s, rdbsave.Options{Version: 10}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, nil, "rdb", "--summary", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"module types:   1\n  mymodule1: 2 keys\n",
		"module aux:     2 records\n  auxmodule, before the keyspace (14 bytes)\n  auxmodule, after the keyspace (12 bytes)\n",
		"keys by type:   module 2 string 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, nil, "rdb", "--db", "1", path)
	want := `{"db": 1, "key": "m2", "type": "module", "value": {"module": "mymodule1", "serialized": {"base64": "` +
		base64.StdEncoding.EncodeToString(raw) + `"}}, "expire": -1}` + "\n"
	if code != exitOK || out != want {
		t.Errorf("module key line:\n%s\nwant\n%s", out, want)
	}
}
