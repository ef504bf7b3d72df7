package rdbsave

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/rdbjson/rdbjsontest"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
)

// expiryWindow: a key expiring less than this after the server starts
// loading could be dropped by the loading server (a master skips expired
// keys) or expire while the test reads; after shifting the expires there
// must be none.
const expiryWindow = 2 * time.Minute

// TestFixturesThroughRedis70: every real-server fixture, decoded by
// rdbload, written by Write as RDB 10 and loaded by a stock redis-server
// 7.0 (with deep payload sanitization) holds exactly what we wrote:
// canon.FromRedis equals canon.FromStore, function libraries included.
// Key expires are moved forward past the test's end (the fixtures were
// saved in the past) so that every key is compared, none dropped as
// expired. Hashes with field TTLs cannot be represented in RDB 10: they are
// dropped before writing and counted; the count must equal the hashes
// with a field TTL in expected.jsonl where the fixture records field TTLs
// (Redis 7.4+), and be non-zero exactly for servers with field TTLs.
func TestFixturesThroughRedis70(t *testing.T) {
	fixtures, err := rdbjsontest.Fixtures("../rdbload/testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(fx.DumpPath())
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := rdbload.Load(f, rdbload.Options{})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			dropped := dropFieldTTLHashes(s)
			hfeServer := fx.Server == "redis" && (fx.Major > 7 || fx.Major == 7 && fx.Minor >= 4) || fx.Server == "valkey" && fx.Major >= 9
			if (dropped > 0) != hfeServer {
				t.Errorf("dropped %d hashes with field TTLs; server with field TTLs: %v", dropped, hfeServer)
			}
			if recorded, ok := hashesWithFieldTTLs(t, fx); ok && recorded != dropped {
				t.Errorf("dropped %d hashes with field TTLs, expected.jsonl has %d", dropped, recorded)
			}

			// The fixtures were saved in the past, so most of their TTLs
			// have run out: move every key expire forward by the time
			// since the save plus a day, so that all keys are compared.
			shift := time.Now().UnixMilli() - fx.SavedAtMs + 24*time.Hour.Milliseconds()
			shifted := shiftExpires(s, shift)
			cutoff := time.Now().Add(expiryWindow).UnixMilli()
			srv, _ := loadIntoRedis(t, s, Options{Version: 10, Compress: true})
			got, err := canon.FromRedis(context.Background(), srv.Client)
			if err != nil {
				t.Fatal(err)
			}
			want := canon.FromStore(s, 0)
			want, soon := withoutExpiringBy(want, cutoff)
			got, soonGot := withoutExpiringBy(got, cutoff)
			if soonGot > soon {
				t.Errorf("the server holds %d keys expiring by the cutoff, the store %d", soonGot, soon)
			}
			if soon != 0 {
				t.Errorf("%d keys expire by the cutoff even after the shift", soon)
			}
			lines, n := canon.Diff(want, got, 20)
			if n != 0 {
				t.Fatalf("%d differences (want %d keys, got %d):\n%s", n, len(want), len(got), strings.Join(lines, "\n"))
			}
			if d := canon.DiffFunctions(canon.FunctionsFromStore(s), mustFunctions(t, srv)); d != "" {
				t.Fatalf("function libraries differ: %s", d)
			}
			t.Logf("%s: %d keys (%d with an expire, shifted by %v) identical on redis-server 7.0 after RDB 10; %d hashes with field TTLs dropped",
				fx.RDBHeader, len(want), shifted, time.Duration(shift)*time.Millisecond, dropped)
		})
	}
}

// shiftExpires moves every key expire forward by ms and returns how many
// keys have one.
func shiftExpires(s *store.Store, ms int64) int {
	n := 0
	for db := 0; db < s.NumDBs(); db++ {
		for _, e := range s.DB(db).All() {
			if e.Expire != 0 {
				e.Expire += ms
				n++
			}
		}
	}
	return n
}

// dropFieldTTLHashes removes the hashes RDB 10 cannot hold.
func dropFieldTTLHashes(s *store.Store) int {
	n := 0
	for db := 0; db < s.NumDBs(); db++ {
		d := s.DB(db)
		for _, k := range d.Keys() {
			if h := d.GetString(k).Hash(); h != nil && h.HasFieldExpires() {
				d.Delete([]byte(k))
				n++
			}
		}
	}
	return n
}

// hashesWithFieldTTLs counts the hashes of expected.jsonl with a field
// expire, where the fixture records field expires.
func hashesWithFieldTTLs(t *testing.T, fx rdbjsontest.Fixture) (int, bool) {
	want, err := fx.Expected()
	if err != nil {
		t.Fatal(err)
	}
	n, recorded := 0, false
	for _, l := range want {
		if l.Type != "hash" {
			continue
		}
		for _, row := range l.Value.([]any) {
			r := row.([]any)
			if len(r) == 3 {
				recorded = true
				if r[2].(json.Number).String() != "-1" {
					n++
					break
				}
			}
		}
	}
	return n, recorded
}

// withoutExpiringBy drops the keys whose expire is at or before cutoff.
func withoutExpiringBy(keys []canon.Key, cutoff int64) ([]canon.Key, int) {
	out := keys[:0:0]
	for _, k := range keys {
		if k.Expire != -1 && k.Expire <= cutoff {
			continue
		}
		out = append(out, k)
	}
	return out, len(keys) - len(out)
}

func mustFunctions(t *testing.T, srv *redistest.Server) map[string]string {
	t.Helper()
	f, err := canon.FunctionsFromRedis(context.Background(), srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
