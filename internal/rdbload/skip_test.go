package rdbload

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdbjson"
	"github.com/redis-follower/redis-follower/internal/store"
)

// record is what a decode says about one key record.
type record struct {
	db           int
	key          string
	rdbType      byte
	offset, size int64
	expire       int64
}

// selecting declines the keys want says no to, and records every key.
type selecting struct {
	collectNothing
	want    func(i int) bool
	n       int
	decoded []record
	skipped []record
	lines   map[string]string // "db/key" -> decoded key rendered as a JSON line
}

func (s *selecting) WantKey(int, []byte, byte) bool {
	w := s.want(s.n)
	s.n++
	return w
}

func (s *selecting) SkippedKey(db int, key []byte, expire int64, meta KeyMeta) error {
	s.skipped = append(s.skipped, record{db, string(key), meta.Type, meta.Offset, meta.Size, expire})
	return nil
}

func (s *selecting) Key(db int, key string, e *store.Entry, meta KeyMeta) error {
	s.decoded = append(s.decoded, record{db, key, meta.Type, meta.Offset, meta.Size, e.Expire})
	if s.lines != nil {
		s.lines[strconv.Itoa(db)+"/"+key] = string(rdbjson.AppendKey(nil, db, key, e, rdbjson.Options{FieldTTLs: true}))
	}
	return nil
}

func decodeSelecting(t *testing.T, b []byte, want func(int) bool, lines bool) (*selecting, *Info, error) {
	t.Helper()
	h := &selecting{want: want}
	if lines {
		h.lines = map[string]string{}
	}
	info, err := Decode(bytes.NewReader(b), h, Options{})
	return h, info, err
}

// inputs are the fixtures and the fuzz seeds (every type and opcode).
func inputs(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	for _, dir := range fixtureDirs(t) {
		b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		in[filepath.Base(dir)] = b
	}
	for i, s := range fuzzSeeds(t) {
		in["seed-"+string(rune('a'+i))] = s
	}
	return in
}

// TestSkipMatchesDecode: skipping every value walks the same records
// (offsets, sizes, types, expires) as decoding them, and a decode that
// skips every other key yields the others exactly as a full decode.
func TestSkipMatchesDecode(t *testing.T) {
	all := func(int) bool { return true }
	none := func(int) bool { return false }
	odd := func(i int) bool { return i%2 == 1 }
	for name, b := range inputs(t) {
		full, finfo, err := decodeSelecting(t, b, all, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		skip, sinfo, err := decodeSelecting(t, b, none, false)
		if err != nil {
			t.Fatalf("%s: skipping every value: %v", name, err)
		}
		if len(full.skipped) != 0 || len(skip.decoded) != 0 {
			t.Fatalf("%s: selector not honoured", name)
		}
		// A full decode drops empty collections; skipping cannot see them.
		if sinfo.Keys != finfo.Keys+finfo.EmptySkipped || sinfo.Skipped != sinfo.Keys || finfo.Skipped != 0 ||
			sinfo.Bytes != finfo.Bytes || sinfo.Functions != finfo.Functions || len(sinfo.Aux) != len(finfo.Aux) {
			t.Errorf("%s: skip info %+v, full %+v", name, *sinfo, *finfo)
		}
		byOffset := map[int64]record{}
		for _, r := range skip.skipped {
			byOffset[r.offset] = r
		}
		for _, r := range full.decoded {
			if s, ok := byOffset[r.offset]; !ok || s != r {
				t.Errorf("%s: decoded %+v, skipped %+v", name, r, s)
				break
			}
		}
		half, _, err := decodeSelecting(t, b, odd, true)
		if err != nil {
			t.Fatalf("%s: skipping every other value: %v", name, err)
		}
		if len(half.decoded)+len(half.skipped) != len(skip.skipped) || len(half.decoded) == 0 && len(skip.skipped) > 1 {
			t.Errorf("%s: %d decoded + %d skipped of %d", name, len(half.decoded), len(half.skipped), len(skip.skipped))
		}
		for k, line := range half.lines {
			if full.lines[k] != line {
				t.Errorf("%s: key %q decoded after skips differs:\n%s\n%s", name, k, line, full.lines[k])
				break
			}
		}
	}
}

// TestSkipCorrupt: with every value skipped, random corruptions and
// truncations of each fixture are still reported (a CRC mismatch at the
// latest), never a panic, with a well-formed error.
func TestSkipCorrupt(t *testing.T) {
	n := corruptionCases()
	none := func(int) bool { return false }
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			skipCorrupt(t, dir, n, none)
		})
	}
}

func skipCorrupt(t *testing.T, dir string, n int, none func(int) bool) {
	orig, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(len(orig)), 2))
	buf := make([]byte, len(orig))
	for i := 0; i < n; i++ {
		copy(buf, orig)
		pos := rng.IntN(len(buf))
		buf[pos] ^= byte(1 + rng.IntN(255))
		if binary.LittleEndian.Uint64(buf[len(buf)-8:]) != 0 {
			if _, _, err := decodeSelecting(t, buf, none, false); err == nil {
				t.Errorf("%s: corrupting byte %d not reported", dir, pos)
			} else {
				checkErr(t, err)
			}
		}
		cut := rng.IntN(len(orig))
		if _, _, err := decodeSelecting(t, orig[:cut], none, false); err == nil {
			t.Errorf("%s: truncation at %d not reported", dir, cut)
		} else {
			checkErr(t, err)
		}
	}
}
