package rdbload

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdbjson"
	"github.com/redis-follower/redis-follower/internal/rdbjson/rdbjsontest"
	"github.com/redis-follower/redis-follower/internal/store"
)

// The fixtures in testdata/<server>/ were written by real servers (see
// /work/shared/testdata/README.md for how): dump.rdb from SAVE,
// expected.jsonl.gz with every key as the live server reported it right
// after SAVE, server.json with the version and the save time.

func fixtureDirs(t testing.TB) []string {
	dirs, err := filepath.Glob("testdata/*/dump.rdb")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures in testdata/*/dump.rdb: %v", err)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

func q(s string) string { return strconv.Quote(s) }

func renderScore(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func loadFixture(t testing.TB, dir string) (*store.Store, *Info) {
	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, info, err := Load(f, Options{})
	if err != nil {
		t.Fatalf("%s: Load: %v", dir, err)
	}
	return s, info
}

// TestFixtures decodes every fixture, renders every key as the JSON line
// `redis-follower rdb` prints (package rdbjson) and compares the lines
// with expected.jsonl, under the interpretation rules documented in
// package rdbjsontest (keys expired between SAVE and the read, pre-7.0
// PTTL buckets, the Valkey 9 hashes' field TTLs, groups, PELs and stream
// metadata the generator did not record). A line equal under the rules
// must be byte-identical to the expected one unless a rule was needed.
// PELs are also checked for internal consistency here (the consumer PEL
// references the group PEL, IDs at or before the group's last ID) and
// against a live server in TestLiveRoundTrip.
func TestFixtures(t *testing.T) {
	fixtures, err := rdbjsontest.Fixtures("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			s, info := loadFixture(t, fx.Dir)
			if info.Magic+fmt.Sprintf("%0*d", 9-len(info.Magic), info.Version) != fx.RDBHeader {
				t.Errorf("header: got %s %d, server.json says %s", info.Magic, info.Version, fx.RDBHeader)
			}
			want, err := fx.Expected()
			if err != nil {
				t.Fatal(err)
			}
			opts := rdbjson.Options{FieldTTLs: rdbjson.FieldTTLsFor(info.Magic, info.Version)}
			var got []rdbjsontest.Line
			var buf []byte
			for db := 0; db < s.NumDBs(); db++ {
				for k, e := range s.DB(db).All() {
					buf = rdbjson.AppendKey(buf[:0], db, k, e, opts)
					l, err := rdbjsontest.ParseLine(buf)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, l)
					if st := e.Stream(); st != nil {
						if err := checkPEL(st); err != nil {
							t.Errorf("db %d key %q: %v", db, k, err)
						}
					}
				}
			}
			res := fx.Compare(want, got)
			res.Report(t, 20)
			if int64(res.Matched+res.ExpiredAfterSave) != info.Keys {
				t.Errorf("Info.Keys = %d, matched %d + expired-after-save %d", info.Keys, res.Matched, res.ExpiredAfterSave)
			}
			if res.Matched == 0 || res.Matched != len(want) {
				t.Errorf("%d of %d expected keys matched", res.Matched, len(want))
			}
			t.Logf("%s: %d keys matched (%d byte-identical lines, rules needed: %v), %d expired after SAVE (kept, as a replica does), %d functions, aux %d",
				fx.RDBHeader, res.Matched, res.Identical, res.Explained, res.ExpiredAfterSave, info.Functions, len(info.Aux))
		})
	}
}

// diffContext shows both renderings around their first difference.
func diffContext(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-150)
	cut := func(s string) string {
		return s[min(from, len(s)):min(len(s), i+250)]
	}
	return fmt.Sprintf(" got  …%s\n want …%s", cut(got), cut(want))
}

// checkPEL verifies that group and consumer PELs reference each other.
func checkPEL(s *store.Stream) error {
	for _, g := range s.Groups() {
		for id, p := range g.PEL {
			if p.ID != id || p.DeliveryCount == 0 {
				return fmt.Errorf("group %q: bad PEL entry %v", g.Name, id)
			}
			if p.Consumer != nil && p.Consumer.Pending[id] != p {
				return fmt.Errorf("group %q: PEL entry %v not in its consumer's PEL", g.Name, id)
			}
			if id.Compare(g.LastID) > 0 {
				return fmt.Errorf("group %q: PEL entry %v after the group's last ID", g.Name, id)
			}
		}
		for _, c := range g.Consumers {
			for id, p := range c.Pending {
				if g.PEL[id] != p || p.Consumer != c {
					return fmt.Errorf("group %q consumer %q: PEL entry %v not shared with the group", g.Name, c.Name, id)
				}
			}
		}
	}
	return nil
}
