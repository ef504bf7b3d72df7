package apply_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
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
	c := h.master.Client.Conn()
	defer c.Close()
	// The generator's read-only queries go through their own connection
	// (inside MULTI the workload connection would only queue them), kept
	// on the workload's database.
	qc := h.master.Client.Conn()
	defer qc.Close()
	curDB, queuedDB, qDB := 0, -1, 0
	g := newGen(seed, func(args ...any) (any, error) {
		if qDB != curDB {
			if _, err := do(h.ctx, qc, "SELECT", curDB); err != nil {
				return nil, err
			}
			qDB = curDB
		}
		return do(h.ctx, qc, args...)
	})
	rejected := 0
	inMulti := false
	for i := 0; i < ops; i++ {
		if !inMulti && g.chance(0.03) {
			if _, err := do(h.ctx, c, "MULTI"); err != nil {
				t.Fatal(err)
			}
			inMulti = true
		}
		cmd := g.cmd()
		_, err := do(h.ctx, c, cmd...)
		if dk := os.Getenv("APPLY_DEBUG_KEY"); dk != "" && slices.ContainsFunc(cmd, func(a any) bool { return fmt.Sprint(a) == dk }) {
			t.Logf("op %d db %d multi %v: %v -> %v", i, curDB, inMulti, cmd, err)
		}
		if err != nil {
			rejected++
		} else if cmd[0] == "SELECT" {
			if inMulti {
				queuedDB = cmd[1].(int)
			} else {
				curDB = cmd[1].(int)
			}
		}
		if inMulti && g.chance(0.3) {
			do(h.ctx, c, "EXEC")
			inMulti = false
			if queuedDB >= 0 {
				curDB, queuedDB = queuedDB, -1
			}
		}
		if i%500 == 499 {
			if n := h.compare("seed " + itoa(seed) + " op " + itoa(uint64(i))); n > 0 {
				t.Fatalf("seed %d: %d differences after %d ops", seed, n, i+1)
			}
		}
	}
	if inMulti {
		do(h.ctx, c, "EXEC")
	}
	_ = queuedDB
	n := h.compare("seed " + itoa(seed) + " final")
	t.Logf("seed %d: %d ops (%d rejected by the master), %d commands applied, %d differing keys, %d GEO sets with last-bit distance differences so far; applied by name: %v", seed, ops, rejected, h.rp.applied, n, geoUlps, h.rp.names)
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
