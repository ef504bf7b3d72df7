package rdbload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/redis-follower/redis-follower/internal/rdb"
)

// fuzzSeeds are small RDB files covering every type and opcode.
func fuzzSeeds(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/seeds/*.rdb")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	id := moduleID("fuzzmod__", 1)
	stream := newRDB("").len(1).blob(streamID16(1000, 0)).blob(listpack(
		2, 1, 2, "a", "b", 0, 2, 0, 0, "1", "2", 5, 3, 0, 1, "x", "y", 5, 0, 1, 0, 2, "f", "v1", "f", "v2", 8)).
		len(2).len(1001).len(0).len(1000).len(0).len(0).len(0).len(3).
		len(1).str("g").len(1000).len(0).len(1).
		len(1).raw(streamID16(1000, 0)...).u64(1700000000000).len(2).
		len(1).str("c").u64(1).u64(2).len(1).raw(streamID16(1000, 0)...).b
	out = append(out,
		newRDB("REDIS0011").aux("redis-ver", "7.2.0").selectDB(0).raw(rdb.OpResizeDB).len(2).len(1).
			raw(rdb.OpExpireTimeMs).u64(1900000000000).key(0, "s").str("v").
			key(0, "i").intStr(-1234).key(0, "z").lzfStr([]byte{0x00, 'a', 0xE0, 90, 0x00}, 100).
			raw(rdb.OpIdle).len(5).raw(rdb.OpFreq, 3).key(rdb.TypeList, "l").len(2).str("a").str("b").end(),
		newRDB("REDIS0009").selectDB(1).
			key(rdb.TypeSet, "s").len(2).str("a").str("b").
			key(rdb.TypeZSet, "z").len(2).str("a").raw(3).rawStr("1.5").str("b").raw(254).
			key(rdb.TypeZSet2, "z2").len(1).str("a").f64(2.5).
			key(rdb.TypeHash, "h").len(1).str("f").str("v").
			key(rdb.TypeHashZipmap, "zm").blob(zipmap(1, "f", "v")).
			key(rdb.TypeListZiplist, "zl").blob(ziplist("a", 1, int64(1)<<40)).
			key(rdb.TypeSetIntset, "is").blob(intset(4, -5, 70000)).
			key(rdb.TypeZSetZiplist, "zz").blob(ziplist("m", "1.5")).
			key(rdb.TypeHashZiplist, "hz").blob(ziplist("f", 7)).
			key(rdb.TypeListQuicklist, "q").len(1).blob(ziplist("a", "b")).end(),
		newRDB("REDIS0012").selectDB(0).
			key(rdb.TypeListQuicklist2, "q2").len(2).len(2).blob(listpack("a", 1, -70000)).len(1).str("plain").
			key(rdb.TypeSetListpack, "sl").blob(listpack("a", 1)).
			key(rdb.TypeZSetListpack, "zl").blob(listpack("a", "1.5", "b", 2)).
			key(rdb.TypeHashListpack, "hl").blob(listpack("f", "v")).
			key(rdb.TypeHashMetadata, "hm").u64(1900000000000).len(2).len(1).str("a").str("b").len(0).str("c").str("d").
			key(rdb.TypeHashListpackEx, "hx").u64(1900000000000).blob(listpack("a", "b", 1900000000000)).
			key(22, "h22").len(1).len(5).str("a").str("b").
			key(23, "h23").blob(listpack("a", "b", 0)).
			raw(rdb.TypeStreamListpacks3).str("x").raw(stream...).
			raw(rdb.OpSlotInfo).len(1).len(1).len(0).
			raw(rdb.OpFunction2).str("#!lua name=l\nreturn 1").
			raw(rdb.OpModuleAux).len(id).len(2).len(2).len(5).str("aux").len(0).
			raw(rdb.TypeModule2).str("m").len(id).len(2).len(7).len(4).f64(math.Pi).len(0).end(),
		newRDB("VALKEY080").raw(rdb.OpSlotImport).str("job").len(1).len(0).len(100).selectDB(0).
			key(22, "h2").len(2).str("a").str("b").u64(math.MaxUint64).str("c").str("d").u64(1900000000000).end(),
	)
	return out
}

// FuzzDecode feeds arbitrary bytes to Load (and to Decode skipping every
// value). Each input is decoded as is
// and also with an EOF opcode and a correct CRC appended, so the fuzzer
// can reach inputs that decode successfully. Properties: never a panic or
// hang; an error is an *Error of a known class and comes without a store;
// a success decodes identically through a one-byte reader.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
		if len(s) > 9 {
			f.Add(s[:len(s)-9]) // without EOF and CRC: the fixed-up variant decodes
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOne(t, data)
		fixed := append(bytes.Clone(data), rdb.OpEOF)
		fuzzOne(t, binary.LittleEndian.AppendUint64(fixed, rdb.CRC64(0, fixed)))
	})
}

func fuzzOne(t *testing.T, data []byte) {
	opts := Options{MaxLength: 1 << 24}
	// Skipping every value: never a panic, a well-formed error; when the
	// full decode succeeds, so does the skip, over the same bytes.
	skip := &selecting{want: func(int) bool { return false }}
	sinfo, serr := Decode(bytes.NewReader(data), skip, opts)
	if serr != nil {
		checkErr(t, serr)
	}
	s, info, err := Load(bytes.NewReader(data), opts)
	// Parallel decoders: the same outcome (the same error, or store).
	popts := opts
	popts.Workers, popts.batchRecs = 2, 1+len(data)%3
	ps, _, perr := Load(bytes.NewReader(data), popts)
	if (err == nil) != (perr == nil) || (err != nil && err.Error() != perr.Error()) {
		t.Fatalf("sequential error %v, parallel error %v", err, perr)
	}
	if err != nil {
		checkErr(t, err)
		checkErr(t, perr)
		if s != nil || info != nil || ps != nil {
			t.Fatal("store returned with an error")
		}
		return
	}
	if a, b := render(s), render(ps); a != b {
		t.Fatalf("parallel decode differs:\n%s\n%s", a, b)
	}
	if serr != nil {
		t.Fatalf("decodes, but skipping every value fails: %v", serr)
	}
	if sinfo.Keys != info.Keys+info.EmptySkipped || sinfo.Bytes != info.Bytes {
		t.Fatalf("skipping every value: %d keys, %d bytes; decoding: %d keys + %d empty, %d bytes",
			sinfo.Keys, sinfo.Bytes, info.Keys, info.EmptySkipped, info.Bytes)
	}
	s2, _, err := Load(iotest.OneByteReader(bytes.NewReader(data)), opts)
	if err != nil {
		t.Fatalf("decodes whole but not byte by byte: %v", err)
	}
	if a, b := render(s), render(s2); a != b {
		t.Fatalf("byte-by-byte decode differs:\n%s\n%s", a, b)
	}
	if info.Bytes != int64(len(data)) {
		t.Fatalf("Info.Bytes %d for %d bytes", info.Bytes, len(data))
	}
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not *Error: %v", err, err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error of no known class: %v", err)
	}
	// (The package formats its messages without fmt, so there is no "%!"
	// verb artifact to look for: quoted input bytes may contain "%!".)
	if e.Offset < 0 || e.Msg == "" {
		t.Fatalf("badly formed error: %+v", e)
	}
}

// FuzzDecodeDump feeds arbitrary values to DecodeDump, with a valid
// version and CRC appended (else nearly every input stops at the CRC).
func FuzzDecodeDump(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c'}, uint16(10))
	f.Add(append([]byte{rdb.TypeHashListpack}, newRDB("").blob(listpack("f", "v", "g", 1)).b...), uint16(10))
	f.Add(append([]byte{rdb.TypeListQuicklist2}, newRDB("").len(1).len(2).blob(listpack("a", 1)).b...), uint16(11))
	f.Add(append([]byte{22}, newRDB("").len(1).str("f").str("v").u64(5).b...), uint16(80))
	f.Add(append([]byte{22}, newRDB("").len(1).len(5).str("f").str("v").b...), uint16(12))
	f.Fuzz(func(t *testing.T, body []byte, ver uint16) {
		p := binary.LittleEndian.AppendUint16(bytes.Clone(body), ver)
		p = binary.LittleEndian.AppendUint64(p, rdb.CRC64(0, p))
		e, err := DecodeDump(p)
		if err != nil {
			checkErr(t, err)
			if e != nil {
				t.Fatal("entry returned with an error")
			}
			return
		}
		if e == nil || e.Expire != 0 {
			t.Fatalf("bad entry %+v", e)
		}
	})
}

// TestFuzzSeedsValid: the seed files are valid RDBs (so the fuzzer starts
// from inputs that reach every decoder path).
func TestFuzzSeedsValid(t *testing.T) {
	seeds := fuzzSeeds(t)
	if len(seeds) < 6 {
		t.Fatalf("%d seeds", len(seeds))
	}
	for i, s := range seeds {
		if _, _, err := Load(bytes.NewReader(s), Options{}); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}
