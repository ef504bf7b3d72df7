package apply_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/redis-follower/redis-follower/internal/workload"
)

var (
	flagSeed  = flag.Uint64("apply.seed", 1, "first seed of the randomized differential test")
	flagSeeds = flag.Int("apply.seeds", 2, "number of seeds (consecutive from -apply.seed)")
	flagOps   = flag.Int("apply.ops", 1500, "commands per seed")
)

// TestRandomized drives a real master with a seeded random mix of every
// implemented command (transactions, scripts and functions included),
// applies what the master propagates to a fresh store, and compares it
// with the master (consumer groups' entries-read aside, see
// TestStockReplicaEntriesRead) and exactly with a stock replica.
// Long runs: go test ./internal/apply -run TestRandomized -apply.seeds=20 -apply.ops=20000
func TestRandomized(t *testing.T) {
	for s := 0; s < *flagSeeds; s++ {
		seed := *flagSeed + uint64(s)
		t.Run("", func(t *testing.T) {
			runRandom(t, seed, *flagOps)
		})
	}
}

func runRandom(t *testing.T, seed uint64, ops int) {
	h := newHarness(t, true)
	st, err := workload.Drive(h.ctx, h.master.Client, seed, ops, 500, func(done int) error {
		if n := h.compare("seed " + itoa(seed) + " op " + itoa(uint64(done))); n > 0 {
			return fmt.Errorf("seed %d: %d differences after %d ops", seed, n, done)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := h.compare("seed " + itoa(seed) + " final")
	t.Logf("seed %d: %d ops (%d rejected by the master, %d transactions), %d commands applied, %d differing keys, %d GEO sets with last-bit distance differences so far; applied by name: %v",
		seed, st.Ops, st.Rejected, st.Multis, h.rp.applied, n, geoUlps, h.rp.names)
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
