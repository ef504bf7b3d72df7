// Package e2e holds end-to-end tests that drive a real redis-server master
// and run the real follower against it, side by side with a stock replica.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/workload"
)

var (
	flagSeed  = flag.Uint64("e2e.seed", 100, "first seed of the randomized end-to-end test")
	flagSeeds = flag.Int("e2e.seeds", 3, "number of seeds (consecutive from -e2e.seed)")
	flagOps   = flag.Int("e2e.ops", 4000, "commands per seed")
	flagEvery = flag.Int("e2e.every", 1000, "compare every this many commands")
	// Small, so that compactions (in the background) run all along: the
	// restart halfway resumes from one of their snapshots.
	flagCompact = flag.Int64("e2e.compact", 64<<10, "the follower's CompactBytes")
)

type follow struct {
	f      *follower.Follower
	cancel context.CancelFunc
	done   chan error
}

// startFollower starts an in-process follower; keepJournal: its stop
// writes no snapshot (the next start replays the journal after the last
// one a compaction wrote).
func startFollower(t *testing.T, addr, dir string, keepJournal bool) *follow {
	t.Helper()
	f, err := follower.New(follower.Config{
		Link:              psync.LinkConfig{Addr: addr},
		Dir:               dir,
		CompactBytes:      *flagCompact,
		KeepJournalOnStop: keepJournal,
		BackoffMin:        50 * time.Millisecond,
		BackoffMax:        time.Second,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fl := &follow{f: f, cancel: cancel, done: make(chan error, 1)}
	go func() { fl.done <- f.Run(ctx) }()
	return fl
}

func (fl *follow) stop(t *testing.T) {
	t.Helper()
	fl.cancel()
	if err := <-fl.done; err != nil {
		t.Fatalf("follower Run: %v", err)
	}
}

// check waits until the follower and the stock replica have everything
// the master sent, then compares the follower exactly with the stock
// replica and, modulo canon.MasterView, with the master. Function
// libraries are compared too.
func check(t *testing.T, label string, m, stock *redistest.Server, fl *follow) int {
	t.Helper()
	ctx := context.Background()
	target := m.MasterOffset()
	redistest.WaitFor(t, 60*time.Second, label+": follower caught up", func() bool {
		st := fl.f.Status()
		if st.LastError != "" && strings.Contains(st.LastError, "stopping") {
			t.Fatalf("follower stopped: %s", st.LastError)
		}
		return st.State == follower.StateStreaming && st.Offset == target
	})
	redistest.WaitFor(t, 60*time.Second, label+": stock replica caught up", func() bool {
		return stock.InfoInt("replication", "slave_repl_offset") == target
	})
	s := fl.f.Store()
	s.RLock()
	got := canon.FromStore(s, time.Now().UnixMilli())
	gotFn := canon.FunctionsFromStore(s)
	s.RUnlock()
	rep, err := canon.FromRedis(ctx, stock.Client)
	if err != nil {
		t.Fatal(err)
	}
	mas, err := canon.FromRedis(ctx, m.Client)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, pair := range []struct {
		what      string
		want, got []canon.Key
	}{
		{"follower vs stock replica", rep, got},
		{"follower vs master (entries-read and idle consumers aside)", canon.MasterView(mas), canon.MasterView(got)},
	} {
		for _, k := range canon.AcceptGeoUlps(pair.want, pair.got, "geo:") {
			t.Logf("%s: %s: GEO distances within 2 ulps accepted for %s", label, pair.what, k)
		}
		lines, d := canon.Diff(pair.want, pair.got, 20)
		if d > 0 {
			t.Errorf("%s: %s: %d of %d keys differ:\n%s\n%s", label, pair.what, d, len(pair.want), strings.Join(lines, "\n"), canon.FirstMismatch(pair.want, pair.got))
		}
		n += d
	}
	mf, err := canon.FunctionsFromRedis(ctx, m.Client)
	if err != nil {
		t.Fatal(err)
	}
	if d := canon.DiffFunctions(mf, gotFn); d != "" {
		t.Errorf("%s: function libraries differ: %s", label, d)
		n++
	}
	if len(mas) == 0 {
		t.Fatalf("%s: the master is empty: the comparison proves nothing", label)
	}
	return n
}

// TestRandomizedThroughFollower is the [commands] differential test run
// end to end: a seeded random mix of every command the follower applies
// (transactions, Lua scripts with several writes, FUNCTION + FCALL, binary
// values, every encoding threshold, consumer groups) drives a real master;
// the follower streams it while a stock replica does the same; every
// -e2e.every commands both are compared with the master key by key. Half
// way through, the follower is stopped and restarted from its snapshot
// (partial resync), and at the end its dump.rdb, loaded by a fresh
// redis-server, must equal the master as well.
//
// Long runs: go test ./internal/e2e -run Randomized -e2e.seeds=20 -e2e.ops=100000 -timeout 6h
func TestRandomizedThroughFollower(t *testing.T) {
	for i := 0; i < *flagSeeds; i++ {
		seed := *flagSeed + uint64(i)
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runSeed(t, seed, *flagOps) })
	}
}

func runSeed(t *testing.T, seed uint64, ops int) {
	ctx := context.Background()
	m := redistest.Start(t, "--repl-backlog-size", "64mb")
	stock := redistest.Start(t, "--replicaof", "127.0.0.1", fmt.Sprint(m.Port))
	dir := t.TempDir()
	// The first follower keeps its journal when stopped halfway: the
	// second one starts from a snapshot compaction wrote (in the
	// background) plus the journal after it. The second one's stop
	// writes the snapshot compared at the end.
	fl := startFollower(t, m.Addr, dir, true)
	defer func() { fl.cancel(); <-fl.done }()
	restarted := false
	compactions := int64(0)
	start := time.Now()
	st, err := workload.Drive(ctx, m.Client, seed, ops, *flagEvery, func(done int) error {
		if n := check(t, fmt.Sprintf("seed %d op %d", seed, done), m, stock, fl); n > 0 {
			return fmt.Errorf("%d differences", n)
		}
		if !restarted && done >= ops/2 {
			restarted = true
			compactions += fl.f.Status().Compactions
			fl.stop(t)
			fl = startFollower(t, m.Addr, dir, false)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	if n := check(t, fmt.Sprintf("seed %d final", seed), m, stock, fl); n > 0 {
		t.Fatalf("seed %d: %d differences at the end", seed, n)
	}
	if full, partial := m.InfoInt("stats", "sync_full"), m.InfoInt("stats", "sync_partial_ok"); restarted && partial < 1 {
		t.Errorf("the restart did not resume with a partial resync (sync_full=%d sync_partial_ok=%d)", full, partial)
	}
	status := fl.f.Status()
	fl.stop(t)
	fl.cancel = func() {}
	fl.done = make(chan error, 1)
	fl.done <- nil

	// The snapshot, loaded by a stock server, equals the master too.
	b, err := os.ReadFile(filepath.Join(dir, follower.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	ld := t.TempDir()
	if err := os.WriteFile(filepath.Join(ld, "dump.rdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	loaded := redistest.StartInDir(t, ld)
	want, err := canon.FromRedis(ctx, m.Client)
	if err != nil {
		t.Fatal(err)
	}
	got, err := canon.FromRedis(ctx, loaded.Client)
	if err != nil {
		t.Fatal(err)
	}
	// A server loading an RDB turns -0 scores of small sorted sets into 0
	// (see canon.NormalizeNegZero); the follower itself keeps them.
	want, got = canon.NormalizeNegZero(canon.MasterView(want)), canon.NormalizeNegZero(canon.MasterView(got))
	canon.AcceptGeoUlps(want, got, "geo:")
	if lines, d := canon.Diff(want, got, 20); d > 0 {
		t.Fatalf("seed %d: the snapshot loaded by redis-server differs from the master in %d keys:\n%s", seed, d, strings.Join(lines, "\n"))
	}
	t.Logf("seed %d: %d ops (%d rejected, %d transactions) in %v; follower applied %d commands, offset %d, %d compactions; %d keys equal on master, stock replica, follower and its snapshot",
		seed, st.Ops, st.Rejected, st.Multis, time.Since(start).Round(time.Millisecond), status.Commands, status.Offset,
		compactions+status.Compactions, len(want))
}
