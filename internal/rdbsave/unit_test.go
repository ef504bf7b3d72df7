package rdbsave

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

var allVersions = []int{9, 10, 11, 12, 80}

// fixtureFor is the fixture holding everything version v can represent.
func fixtureFor(v int) *store.Store {
	return buildFixture(fixtureOpts{functions: v >= 10, hashTTLs: v == 12 || v == 80, nowMs: canon.NowMs(), light: true})
}

// projectV9 turns stream metadata into what a loader derives from RDB 9.
func projectV9(s *store.Store) {
	for dbi := 0; dbi < s.NumDBs(); dbi++ {
		for _, e := range s.DB(dbi).All() {
			if x := e.Stream(); x != nil {
				x.EntriesAdded = uint64(x.Len())
				x.MaxDeletedID = store.StreamID{}
				if x.Len() == 0 {
					x.FirstID = store.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
				}
				for _, g := range x.Groups() {
					g.EntriesRead = estimateEntriesRead(x, g.LastID)
				}
			}
		}
	}
}

// TestRoundTripAllVersions writes the fixture at every version and decodes
// it with the C-rule decoder: same dataset, valid structures, only the
// types that version has, right header, CRC, RESIZEDB and functions.
func TestRoundTripAllVersions(t *testing.T) {
	for _, v := range allVersions {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("v%d/compress=%v", v, compress), func(t *testing.T) {
				s := fixtureFor(v)
				var buf bytes.Buffer
				aux := replAux()
				if err := Write(&buf, s, Options{Version: v, Compress: compress, Aux: aux}); err != nil {
					t.Fatal(err)
				}
				magic := fmt.Sprintf("REDIS%04d", v)
				if v == 80 {
					magic = "VALKEY080"
				}
				if !bytes.HasPrefix(buf.Bytes(), []byte(magic)) {
					t.Fatalf("header %q, want %q", buf.Bytes()[:9], magic)
				}
				got, info, err := decodeFile(buf.Bytes(), map[int]uint64{2: 1})
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if !slices.Equal(info.aux, aux) {
					t.Fatalf("aux %v", info.aux)
				}
				if v >= 10 {
					if !slices.Equal(info.functions, []string{libA, libB}) {
						t.Fatalf("functions %q", info.functions)
					}
				} else if len(info.functions) != 0 {
					t.Fatal("functions in RDB 9")
				}
				// db 2 holds an expired key (written, like Redis does) and an
				// empty list (counted, not written).
				if got := info.resize[2]; got != [2]uint64{2, 1} {
					t.Fatalf("db 2 RESIZEDB %v", got)
				}
				if v == 9 {
					projectV9(s)
				}
				want := canon.FromStore(s, 0) // nowMs 0: expired keys too
				var keep []canon.Key
				for _, k := range want {
					if !skip(s.DB(k.DB).GetString(k.Key)) {
						keep = append(keep, k)
					}
				}
				lines, n := canon.Diff(keep, canon.FromStore(got, 0), 10)
				if n != 0 {
					t.Fatalf("%d differences:\n%s", n, strings.Join(lines, "\n"))
				}
			})
		}
	}
}

// TestDumpAllVersions checks EncodeDump for every fixture key at every
// version: footer, CRC, and the decoded value.
func TestDumpAllVersions(t *testing.T) {
	for _, v := range allVersions {
		s := fixtureFor(v)
		if v == 9 {
			projectV9(s)
		}
		for dbi := 0; dbi < s.NumDBs(); dbi++ {
			for k, e := range s.DB(dbi).All() {
				if skip(e) {
					continue
				}
				p, err := EncodeDump(e, v)
				if err != nil {
					t.Fatalf("v%d %q: %v", v, k, err)
				}
				got, err := decodeDump(p, v)
				if err != nil {
					t.Fatalf("v%d %q: %v", v, k, err)
				}
				w, _ := canon.FromEntry(dbi, k, e, 0)
				g, _ := canon.FromEntry(dbi, k, got, 0)
				w.Expire, g.Expire = 0, 0
				if w != g {
					t.Fatalf("v%d: %s\n got %s", v, w, g)
				}
			}
		}
	}
}

// TestTypeChoices pins the type byte chosen per version for representative
// values (Redis's own choices with the stock thresholds).
func TestTypeChoices(t *testing.T) {
	s := buildFixture(fixtureOpts{hashTTLs: true, nowMs: canon.NowMs(), light: true})
	want := map[string][5]byte{ // v9, v10, v11, v12, v80
		"s:int:1":         {0, 0, 0, 0, 0},
		"l:mixed":         {14, 18, 18, 18, 18},
		"set:int16":       {11, 11, 11, 11, 11},
		"set:512ints":     {11, 11, 11, 11, 11},
		"set:513ints":     {2, 2, 2, 2, 2},
		"set:strings":     {2, 2, 20, 20, 20},
		"set:128":         {2, 2, 20, 20, 20},
		"set:129":         {2, 2, 2, 2, 2},
		"set:64-member":   {2, 2, 20, 20, 20},
		"set:long-member": {2, 2, 2, 2, 2},
		"z:small":         {12, 17, 17, 17, 17},
		"z:128":           {12, 17, 17, 17, 17},
		"z:129":           {5, 5, 5, 5, 5},
		"z:long-member":   {5, 5, 5, 5, 5},
		"h:small":         {13, 16, 16, 16, 16},
		"h:64":            {13, 16, 16, 16, 16},
		"h:65-value":      {4, 4, 4, 4, 4},
		"h:128":           {13, 16, 16, 16, 16},
		"h:129":           {13, 16, 16, 16, 16},
		"h:512":           {13, 16, 16, 16, 16},
		"h:513":           {4, 4, 4, 4, 4},
		"h:1000":          {4, 4, 4, 4, 4},
		"x:simple":        {15, 19, 21, 21, 21},
		"hfe:small":       {0, 0, 0, 25, 22},
		"hfe:1000":        {0, 0, 0, 24, 22},
		"hfe:long-value":  {0, 0, 0, 24, 22},
	}
	for k, types := range want {
		e := s.DB(0).GetString(k)
		for i, v := range allVersions {
			p, err := EncodeDump(e, v)
			if types[i] == 0 && strings.HasPrefix(k, "hfe:") {
				if !errors.Is(err, ErrUnrepresentable) {
					t.Errorf("%s v%d: err %v, want ErrUnrepresentable", k, v, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s v%d: %v", k, v, err)
			}
			if p[0] != types[i] {
				t.Errorf("%s v%d: type %d, want %d", k, v, p[0], types[i])
			}
		}
	}
}

// TestUnrepresentable checks that values a version cannot hold fail the
// write, naming the key, and that versions are validated.
func TestUnrepresentable(t *testing.T) {
	now := canon.NowMs()
	h := store.NewHash(1)
	h.SetString("f", []byte("v"))
	h.SetFieldExpire([]byte("f"), now+1000)
	for _, v := range []int{9, 10, 11} {
		s := store.New()
		s.DB(3).PutString("hash-with-ttl", store.NewHashEntry(h))
		err := Write(&bytes.Buffer{}, s, Options{Version: v})
		if !errors.Is(err, ErrUnrepresentable) || !strings.Contains(err.Error(), `"hash-with-ttl"`) || !strings.Contains(err.Error(), "db 3") {
			t.Errorf("v%d: %v", v, err)
		}
	}
	s := store.New()
	s.SetFunction("lib", []byte(libA))
	if err := Write(&bytes.Buffer{}, s, Options{Version: 9}); !errors.Is(err, ErrUnrepresentable) || !strings.Contains(err.Error(), `"lib"`) {
		t.Errorf("functions in v9: %v", err)
	}
	// A hash field expire beyond Redis's 48-bit range.
	h2 := store.NewHash(1)
	h2.SetString("f", []byte("v"))
	h2.SetFieldExpire([]byte("f"), 1<<50)
	if _, err := EncodeDump(store.NewHashEntry(h2), 12); !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("huge field TTL: %v", err)
	}
	z := store.NewZSet(1)
	z.AddString("m", math.NaN())
	if _, err := EncodeDump(store.NewZSetEntry(z), 10); !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("NaN score: %v", err)
	}
	x := store.NewStream()
	x.Append(store.StreamEntry{ID: sid(1, 0), Fields: fv("a")})
	if _, err := EncodeDump(store.NewStreamEntry(x), 10); !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("odd stream fields: %v", err)
	}
	x = store.NewStream()
	x.Append(store.StreamEntry{ID: sid(1, 0), Fields: fv("a", "1")})
	g := x.CreateGroup([]byte("g"), sid(1, 0), 1)
	g.PEL[sid(1, 0)] = &store.PendingEntry{ID: sid(1, 0)}
	if _, err := EncodeDump(store.NewStreamEntry(x), 10); !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("PEL entry without consumer: %v", err)
	}
	for _, v := range []int{-1, 1, 8, 13, 79, 81} {
		if err := Write(&bytes.Buffer{}, store.New(), Options{Version: v}); err == nil {
			t.Errorf("version %d accepted", v)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, store.New(), Options{}); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("REDIS0010")) {
		t.Errorf("default version: %v %q", err, buf.Bytes())
	}
}

// moduleRaw builds a MODULE_2 serialization for type name (encver 1).
func moduleRaw(name string, items ...func([]byte) []byte) (uint64, []byte) {
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", name[i]))
	}
	id = id<<10 | 1
	b := appendLen(nil, id)
	for _, it := range items {
		b = it(b)
	}
	return id, appendLen(b, rdb.ModuleOpEOF)
}

func TestModuleValues(t *testing.T) {
	id, raw := moduleRaw("test___dt",
		func(b []byte) []byte { return appendLen(appendLen(b, rdb.ModuleOpUInt), 42) },
		func(b []byte) []byte { return append(appendLen(appendLen(b, rdb.ModuleOpString), 5), "hello"...) },
		func(b []byte) []byte { return append(appendLen(b, rdb.ModuleOpDouble), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f) },
		func(b []byte) []byte { return append(appendLen(b, rdb.ModuleOpFloat), 0, 0, 0x80, 0x3f) },
		func(b []byte) []byte { return append(appendLen(b, rdb.ModuleOpString), 0xC0, 7) },
	)
	m := &store.Module{TypeName: "test___dt", ModuleID: id, Raw: raw}
	p, err := EncodeDump(store.NewModuleEntry(m), 10)
	if err != nil {
		t.Fatal(err)
	}
	if p[0] != rdb.TypeModule2 || !bytes.Equal(p[1:len(p)-10], raw) {
		t.Fatalf("module payload not written back verbatim")
	}
	s := store.New()
	s.DB(0).PutString("mod", store.NewModuleEntry(m))
	var buf bytes.Buffer
	if err := Write(&buf, s, Options{}); err != nil {
		t.Fatal(err)
	}
	got, _, err := decodeFile(buf.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if gm := got.DB(0).GetString("mod").Module(); gm == nil || !bytes.Equal(gm.Raw, raw) || gm.TypeName != "test___dt" {
		t.Fatalf("module round trip: %+v", gm)
	}
	bad := []*store.Module{
		{TypeName: "test___dt", ModuleID: id, Raw: nil},
		{TypeName: "test___dt", ModuleID: id, Raw: raw[:len(raw)-1]},
		{TypeName: "test___dt", ModuleID: id, Raw: append(slices.Clone(raw), 0)},
		{TypeName: "test___dt", ModuleID: id + 1, Raw: raw},
		{TypeName: "other____", ModuleID: id, Raw: raw},
		{TypeName: "test___dt", ModuleID: id, Raw: append(appendLen(nil, id), 9, 0)},
	}
	for i, m := range bad {
		s := store.New()
		s.DB(0).PutString("bad-module", store.NewModuleEntry(m))
		err := Write(&bytes.Buffer{}, s, Options{})
		if !errors.Is(err, ErrUnrepresentable) || !strings.Contains(err.Error(), "bad-module") {
			t.Errorf("bad module %d: %v", i, err)
		}
	}
}

func TestParseInt(t *testing.T) {
	ref := func(s string) (int64, bool) {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil && strconv.FormatInt(v, 10) == s
	}
	cases := append([]string{}, numberLike...)
	for _, v := range intEdges {
		cases = append(cases, strconv.FormatInt(v, 10))
	}
	cases = append(cases, "18446744073709551615", "18446744073709551616", "-18446744073709551616",
		"99999999999999999999", "-99999999999999999999", "1-", "--1", "1a", "٣")
	r := rnd()
	for i := 0; i < 20000; i++ {
		n := 1 + r.IntN(21)
		b := make([]byte, n)
		for j := range b {
			b[j] = "0123456789-+ a"[r.IntN(14)]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		wv, wok := ref(c)
		gv, gok := parseInt([]byte(c))
		if wok != gok || (wok && wv != gv) {
			t.Fatalf("parseInt(%q) = %d,%v; want %d,%v", c, gv, gok, wv, wok)
		}
	}
}

func TestListpackEncoding(t *testing.T) {
	var vals [][]byte
	for _, v := range intEdges {
		vals = append(vals, []byte(strconv.FormatInt(v, 10)))
	}
	for _, s := range numberLike {
		vals = append(vals, []byte(s))
	}
	for _, n := range []int{0, 1, 62, 63, 64, 125, 126, 127, 128, 4093, 4094, 4095, 4096, 16376, 16377, 16378, 16379,
		16383, 16384, 2097145, 2097146, 2097147} {
		vals = append(vals, compressible(n))
	}
	b := lpStart(nil)
	for _, v := range vals {
		b = lpAppendStr(b, v)
	}
	b = lpFinish(b, 0, len(vals))
	ents, err := decodeListpack(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(vals) {
		t.Fatalf("%d entries, want %d", len(ents), len(vals))
	}
	for i, e := range ents {
		_, isInt := parseInt(vals[i])
		if e.isInt != isInt || e.String() != string(vals[i]) {
			t.Fatalf("entry %d: %v (int %v), want %q (int %v)", i, e, e.isInt, vals[i], isInt)
		}
	}
	// Exact first bytes for each integer width.
	for v, first := range map[int64]byte{0: 0x00, 127: 0x7F, 128: 0xC0, -1: 0xDF, -4096: 0xD0, 4095: 0xCF,
		4096: 0xF1, -32768: 0xF1, 32768: 0xF2, 8388608: 0xF3, 2147483648: 0xF4, math.MinInt64: 0xF4} {
		if got := lpAppendInt(nil, v)[0]; got != first {
			t.Errorf("lpAppendInt(%d) first byte %#x, want %#x", v, got, first)
		}
	}
	// Header count saturates at 65535 and the decoder must walk.
	b = lpStart(nil)
	for i := 0; i < 70000; i++ {
		b = lpAppendInt(b, int64(i%300))
	}
	b = lpFinish(b, 0, 70000)
	if binary.LittleEndian.Uint16(b[4:]) != 65535 {
		t.Fatal("count not saturated")
	}
	if ents, err := decodeListpack(b); err != nil || len(ents) != 70000 {
		t.Fatalf("saturated listpack: %d %v", len(ents), err)
	}
}

func TestZiplistEncoding(t *testing.T) {
	var vals [][]byte
	for _, v := range intEdges {
		vals = append(vals, []byte(strconv.FormatInt(v, 10)))
	}
	for _, s := range numberLike {
		vals = append(vals, []byte(s))
	}
	for _, n := range []int{0, 1, 63, 64, 250, 251, 252, 253, 254, 255, 16383, 16384, 70000} {
		vals = append(vals, compressible(n))
	}
	var z ziplist
	z.reset([]byte("prefix"))
	for _, v := range vals {
		z.push(v)
	}
	b := z.finish()[len("prefix"):]
	ents, err := decodeZiplist(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range ents {
		_, isInt := parseInt(vals[i])
		if e.isInt != isInt || e.String() != string(vals[i]) {
			t.Fatalf("entry %d: %v, want %q", i, e, vals[i])
		}
	}
	z.reset(nil)
	if b, err := decodeZiplist(z.finish()); err != nil || len(b) != 0 {
		t.Fatalf("empty ziplist: %v", err)
	}
}

func TestIntset(t *testing.T) {
	for _, c := range []struct {
		vs    []int64
		width uint32
	}{
		{[]int64{-32768, 0, 32767}, 2},
		{[]int64{-32769, 5}, 4},
		{[]int64{1, 2147483647}, 4},
		{[]int64{1, 2147483648}, 8},
		{[]int64{math.MinInt64, math.MaxInt64}, 8},
	} {
		b := appendIntset(nil, c.vs)
		if w := binary.LittleEndian.Uint32(b); w != c.width {
			t.Errorf("%v: width %d, want %d", c.vs, w, c.width)
		}
		got, err := decodeIntset(b)
		if err != nil || !slices.Equal(got, c.vs) {
			t.Errorf("%v: %v %v", c.vs, got, err)
		}
	}
}

func TestLZF(t *testing.T) {
	r := rnd()
	var tab lzfTable
	inputs := [][]byte{
		[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		compressible(21), compressible(100), compressible(40 << 10), compressible(1 << 20),
		bytes.Repeat([]byte{0}, 10000), randBytes(r, 1000), randBytes(r, 100<<10),
		append(randBytes(r, 5000), compressible(5000)...),
	}
	for i := 0; i < 300; i++ {
		n := r.IntN(3000)
		b := make([]byte, n)
		alpha := 1 + r.IntN(8)
		for j := range b {
			b[j] = byte('a' + r.IntN(alpha))
		}
		inputs = append(inputs, b)
	}
	compressed := 0
	for i, in := range inputs {
		out, ok := lzfCompress(nil, in, len(in)-4, &tab)
		if !ok {
			continue
		}
		compressed++
		if len(out) > len(in)-4 {
			t.Fatalf("input %d: %d bytes compressed to %d (limit %d)", i, len(in), len(out), len(in)-4)
		}
		back, err := lzfDecompress(out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("input %d (%d bytes): round trip failed: %v", i, len(in), err)
		}
	}
	if compressed < len(inputs)/2 {
		t.Fatalf("only %d of %d inputs compressed", compressed, len(inputs))
	}
	if _, ok := lzfCompress(nil, randBytes(r, 1000), 996, &tab); ok {
		t.Fatal("random data compressed")
	}
	// Appending to a non-empty dst keeps the prefix.
	out, ok := lzfCompress([]byte("xy"), compressible(500), 496, &tab)
	if !ok || string(out[:2]) != "xy" {
		t.Fatal("prefix lost")
	}
}

func TestScoreFormats(t *testing.T) {
	// Redis 7.0 (%.17g), as checked byte-for-byte against DUMP in
	// TestDumpMatchesRedis, and 7.2+ fpconv_dtoa layouts.
	for d, want := range map[float64][2]string{
		0.1:                    {"0.10000000000000001", "0.1"},
		1e300:                  {"1.0000000000000001e+300", "1e+300"},
		1e21:                   {"1e+21", "1e+21"},
		1e-7:                   {"9.9999999999999995e-08", "1e-7"},
		1e-6:                   {"9.9999999999999995e-07", "0.000001"},
		5e-324:                 {"4.9406564584124654e-324", "5e-324"},
		123456.789:             {"123456.789", "123456.789"},
		-2.5:                   {"-2.5", "-2.5"},
		1.5e10:                 {"15000000000", "1.5e+10"},
		1.5e17:                 {"1.5e+17", "1.5e+17"},
		1.5e18:                 {"1.5e+18", "1.5e+18"},
		math.MaxFloat64:        {"1.7976931348623157e+308", "1.7976931348623157e+308"},
		math.Inf(1):            {"inf", "inf"},
		math.Inf(-1):           {"-inf", "-inf"},
		math.Copysign(0, -1):   {"-0", "-0"},
		0.000123:               {"0.00012300000000000001", "0.000123"},
		-0.000123:              {"-0.00012300000000000001", "-0.000123"},
		1234567.5:              {"1234567.5", "1234567.5"},
		12345678.912345678:     {"12345678.912345678", "1.2345678912345678e+7"},
		9.2233720368547758e+18: {"9.2233720368547758e+18", "9223372036854776000"},
	} {
		if got := string(appendScore(nil, d, 10)); got != want[0] {
			t.Errorf("v10 %v: %q, want %q", d, got, want[0])
		}
		if got := string(appendScore(nil, d, 11)); got != want[1] {
			t.Errorf("v11 %v: %q, want %q", d, got, want[1])
		}
	}
	r := rnd()
	for i := 0; i < 100000; i++ {
		d := math.Float64frombits(r.Uint64())
		if math.IsNaN(d) || math.IsInf(d, 0) {
			continue
		}
		for _, v := range []int{9, 10, 11} {
			var s []byte
			if v == 9 {
				s = appendScoreV9(nil, d)
			} else {
				s = appendScore(nil, d, v)
			}
			back, err := strconv.ParseFloat(string(s), 64)
			if err != nil || math.Float64bits(back) != math.Float64bits(d) {
				t.Fatalf("v%d %v: %q reads back as %v (%v)", v, d, s, back, err)
			}
		}
	}
	if v, ok := double2ll(math.Copysign(0, -1)); !ok || v != 0 {
		t.Fatal("double2ll(-0)")
	}
	if _, ok := double2ll(1 << 63); ok {
		t.Fatal("double2ll(2^63)")
	}
	if v, ok := double2ll(1 << 62); !ok || v != 1<<62 {
		t.Fatal("double2ll(2^62)")
	}
}

// TestStreamNodes checks stream node layout: validity per
// streamValidateListpackIntegrity, the 100-entry and 4096-byte splits,
// same-fields flags.
func TestStreamNodes(t *testing.T) {
	x := store.NewStream()
	for i := 0; i < 250; i++ {
		kv := []string{"a", strconv.Itoa(i), "b", "x"}
		if i%7 == 3 {
			kv = []string{"b", "x", "a", strconv.Itoa(i)}
		}
		x.Append(store.StreamEntry{ID: sid(uint64(1000+i/3), uint64(i%3)), Fields: fv(kv...)})
	}
	x.LastID = x.Entries()[249].ID
	p, err := EncodeDump(store.NewStreamEntry(x), 10)
	if err != nil {
		t.Fatal(err)
	}
	r := &rdbReader{b: p[:len(p)-10], p: 1, version: 10}
	n, _ := r.plainLen()
	if n != 3 {
		t.Fatalf("%d nodes, want 3 (100 entries each)", n)
	}
	var same, diff int
	for i := uint64(0); i < n; i++ {
		r.str()
		lp, _ := r.str()
		mf, ents, err := validateStreamListpack(lp)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) > 100 || !slices.Equal(mf, []string{"a", "b"}) {
			t.Fatalf("node %d: %d entries, master %v", i, len(ents), mf)
		}
		for _, e := range ents {
			if e.flags&2 != 0 {
				same++
			} else {
				diff++
			}
		}
	}
	if diff != 36 || same != 214 {
		t.Fatalf("same-fields %d, different %d", same, diff)
	}
	// Big entries: a node is closed once its bytes plus the next entry's
	// strings reach 4096.
	x = bigValuesStream()
	p, _ = EncodeDump(store.NewStreamEntry(x), 10)
	r = &rdbReader{b: p[:len(p)-10], p: 1, version: 10}
	if n, _ = r.plainLen(); n != 6 {
		t.Fatalf("big values: %d nodes, want 6", n)
	}
}

// TestPlainNodes lowers the quicklist packed threshold so that large
// elements get PLAIN nodes, and round-trips them.
func TestPlainNodes(t *testing.T) {
	l := store.NewList(0)
	for _, n := range []int{10, 2000, 5, 999, 1000, 1001, 3} {
		l.PushBack(compressible(n))
	}
	p, err := encodeDump(store.NewListEntry(l), 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	r := &rdbReader{b: p[:len(p)-10], p: 1, version: 10}
	if n, _ := r.plainLen(); n != 6 {
		t.Fatalf("%d nodes, want 6 (packed, plain, packed, plain, plain, packed)", n)
	}
	got, err := decodeDump(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := canon.FromEntry(0, "l", store.NewListEntry(l), 0)
	g, _ := canon.FromEntry(0, "l", got, 0)
	if w != g {
		t.Fatal("PLAIN-node list round trip differs")
	}
}

// TestWriteFileAtomic checks that a failing write leaves the previous
// file intact and no temp file behind, and that a good one replaces it.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	good := store.New()
	good.DB(0).PutString("k", store.NewString([]byte("v1")))
	if err := WriteFile(path, good, Options{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	// A store that fails half-way (many keys, then an unrepresentable one).
	bad := buildFixture(fixtureOpts{nowMs: canon.NowMs(), light: true})
	h := store.NewHash(1)
	h.SetString("f", []byte("v"))
	h.SetFieldExpire([]byte("f"), 1)
	bad.DB(15).PutString("zz-unrepresentable", store.NewHashEntry(h))
	err := WriteFile(path, bad, Options{Version: 10})
	if !errors.Is(err, ErrUnrepresentable) {
		t.Fatalf("err %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("failed write changed the file")
	}
	// A failing rename (a directory in the way).
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "sub"), good, Options{}); err == nil {
		t.Fatal("rename over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 || entries[0].Name() != "dump.rdb" || entries[1].Name() != "sub" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v", names)
	}
	good.DB(0).PutString("k", store.NewString([]byte("v2")))
	if err := WriteFile(path, good, Options{}); err != nil {
		t.Fatal(err)
	}
	got, _, err := decodeFile(mustRead(t, path), nil)
	if err != nil || string(got.DB(0).GetString("k").Str()) != "v2" {
		t.Fatalf("rewritten file: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	s := buildFixture(fixtureOpts{functions: true, nowMs: canon.NowMs(), light: true})
	var full bytes.Buffer
	if err := Write(&full, s, Options{}); err != nil {
		t.Fatal(err)
	}
	size := full.Len()
	for _, n := range []int{0, 100, size / 3, size - 9, size - 1} {
		err := Write(&failWriter{n: n}, s, Options{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("fail after %d: %v", n, err)
		}
	}
}
