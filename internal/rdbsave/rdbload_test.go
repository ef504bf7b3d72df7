package rdbsave

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Round trips through the project's decoder (internal/rdbload), an
// implementation independent of this package and of decode_test.go.

func diffStores(t *testing.T, want, got *store.Store, what string) {
	t.Helper()
	var keep []canon.Key
	for _, k := range canon.FromStore(want, 0) {
		if !skip(want.DB(k.DB).GetString(k.Key)) {
			keep = append(keep, k)
		}
	}
	lines, n := canon.Diff(keep, canon.FromStore(got, 0), 10)
	if n != 0 {
		t.Fatalf("%s: %d differences:\n%s", what, n, strings.Join(lines, "\n"))
	}
	if !slices.Equal(want.FunctionNames(), got.FunctionNames()) {
		t.Fatalf("%s: functions %v, want %v", what, got.FunctionNames(), want.FunctionNames())
	}
	for _, name := range want.FunctionNames() {
		a, _ := want.Function(name)
		b, _ := got.Function(name)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: function %q differs", what, name)
		}
	}
}

func TestRdbloadRoundTrip(t *testing.T) {
	for _, v := range allVersions {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("v%d/compress=%v", v, compress), func(t *testing.T) {
				s := fixtureFor(v)
				var buf bytes.Buffer
				if err := Write(&buf, s, Options{Version: v, Compress: compress, Aux: replAux()}); err != nil {
					t.Fatal(err)
				}
				got, info, err := rdbload.Load(bytes.NewReader(buf.Bytes()), rdbload.Options{})
				if err != nil {
					t.Fatalf("rdbload: %v", err)
				}
				if info.Version != v || info.ReplID != "0123456789abcdef0123456789abcdef01234567" || info.ReplOffset != 123456789 {
					t.Fatalf("info %+v", info)
				}
				if v == 9 {
					projectV9(s)
				}
				diffStores(t, s, got, "rdbload")
			})
		}
	}
}

func TestRdbloadDecodeDump(t *testing.T) {
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
					t.Fatal(err)
				}
				got, err := rdbload.DecodeDump(p)
				if err != nil {
					t.Fatalf("v%d %q: %v", v, k, err)
				}
				w, _ := canon.FromEntry(dbi, k, e, 0)
				g, _ := canon.FromEntry(dbi, k, got, 0)
				w.Expire, g.Expire = 0, 0
				if w != g {
					t.Fatalf("v%d:\nwant %s\n got %s", v, w, g)
				}
			}
		}
	}
}

// TestRealServerDumps re-encodes the dumps real servers wrote (the
// rdbload fixtures) at each server's own RDB version: the result decodes,
// with both decoders, to the same dataset.
func TestRealServerDumps(t *testing.T) {
	paths, err := filepath.Glob("../rdbload/testdata/*/dump.rdb")
	if err != nil || len(paths) < 5 {
		t.Fatalf("real-server fixtures not found (%v, %d)", err, len(paths))
	}
	for _, p := range paths {
		server := filepath.Base(filepath.Dir(p))
		t.Run(server, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			orig, info, err := rdbload.Load(bytes.NewReader(raw), rdbload.Options{})
			if err != nil {
				t.Fatal(err)
			}
			v := info.Version
			if v < 9 {
				t.Fatalf("fixture RDB version %d", v)
			}
			var buf bytes.Buffer
			if err := Write(&buf, orig, Options{Version: v, Compress: true}); err != nil {
				t.Fatal(err)
			}
			again, _, err := rdbload.Load(bytes.NewReader(buf.Bytes()), rdbload.Options{})
			if err != nil {
				t.Fatalf("rdbload of the re-encoded %s: %v", server, err)
			}
			diffStores(t, orig, again, "rdbload")
			mine, _, err := decodeFile(buf.Bytes(), nil)
			if err != nil {
				t.Fatalf("C-rule decode of the re-encoded %s: %v", server, err)
			}
			diffStores(t, orig, mine, "decode_test")
			t.Logf("%s: RDB %d, %d keys, %d bytes from the server, %d re-encoded", server, v, orig.Keys(), len(raw), buf.Len())
		})
	}
}
