package follower_test

import (
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/redistest"
)

var long = flag.Bool("long", false, "run the long variants (SIGKILL loop of 60 iterations)")

// buildFollower compiles the redis-follower command.
func buildFollower(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "redis-follower")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/redis-follower/redis-follower/cmd/redis-follower").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// resumePoint runs the follower's start-up recovery on dir in process (as
// the next start would) and returns the replication id and offset its
// PSYNC will ask to continue from ("" for a full resync).
func resumePoint(t *testing.T, dir string) (string, int64) {
	t.Helper()
	f, err := follower.New(config("127.0.0.1:1", dir, io.Discard))
	if err != nil {
		t.Fatalf("recovering the data directory: %v", err)
	}
	st := f.Status()
	f.Close()
	return st.ReplID, st.Received
}

// canContinue reports whether m would accept PSYNC <id> <off+1>.
func canContinue(m *redistest.Server, id string, off int64) bool {
	if id == "" {
		return false
	}
	next := off + 1
	first := m.InfoInt("replication", "repl_backlog_first_byte_offset")
	sameHistory := id == m.Info("replication", "master_replid") ||
		(id == m.Info("replication", "master_replid2") && next <= m.InfoInt("replication", "second_repl_offset"))
	return sameHistory && next >= first && off <= m.MasterOffset()
}

// TestKillNineLoop builds the binary and kills it with SIGKILL at random
// moments: during full syncs (the master's replication id is changed
// first, and its RDB child slowed down so the transfer takes a while) and
// while streaming, with writes going on all the time. Whenever the
// master's backlog still covers what the data directory holds, the next
// start must resume with a partial resync (never a full one); at the end
// the dataset recovered from the directory equals the master key by key.
// -long runs 60 iterations.
func TestKillNineLoop(t *testing.T) {
	bin := buildFollower(t)
	m := redistest.Start(t, "--repl-backlog-size", "64mb", "--repl-diskless-sync", "yes")
	fill(t, m, 1000)
	m.Do("CONFIG", "SET", "rdb-key-save-delay", "100") // µs per key in the RDB child
	dir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "follower.log")
	iterations := 6
	if *long {
		iterations = 60
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	stopWriter := writeDuring(t, m, 81)
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("last follower log:\n%s", tail(string(b), 30))
		}
	}()
	var partialExpected, fullMode int
	for i := range iterations {
		// The default run: a kill inside the first transfer, one after a
		// full sync, three while streaming, one inside a full sync that
		// replaces an existing state. -long: random.
		mode := "stream"
		switch n := rng.IntN(12); {
		case i == 0, i == iterations-1, *long && i > 1 && n < 4:
			mode = "full"
		case i == 1, *long && i > 1 && n < 6:
			mode = "full, then streaming"
		}
		if mode != "stream" {
			fullMode++
			m.Do("DEBUG", "CHANGE-REPL-ID") // the next PSYNC cannot continue
		}
		id, off := resumePoint(t, dir)
		want := canContinue(m, id, off)
		full0, part0 := syncs(m)
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		// Frequent compactions, so kills also land inside snapshot writes;
		// every fsync policy (a process kill loses nothing the kernel has).
		fsync := []string{"always", "everysec", "no"}[rng.IntN(3)]
		cmd := exec.Command(bin, "sync", "--dir", dir, "--log-level", "debug", "--compact-size", "256KiB", "--fsync", fsync, "redis://"+m.Addr)
		cmd.Stderr = logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var delay time.Duration
		if mode == "full, then streaming" {
			redistest.WaitFor(t, 30*time.Second, "the full sync to complete", func() bool {
				return strings.Contains(m.Info("replication", "slave0"), "state=online")
			})
			delay = time.Duration(rng.IntN(500)) * time.Millisecond
		} else if want {
			// Let it PSYNC, then kill it while it streams.
			redistest.WaitFor(t, 20*time.Second, "the PSYNC", func() bool {
				f, p := syncs(m)
				return f != full0 || p != part0
			})
			delay = time.Duration(rng.IntN(800)) * time.Millisecond
		} else if i == 0 {
			// Inside the first transfer (about a second long).
			delay = time.Duration(200+rng.IntN(600)) * time.Millisecond
		} else {
			// Anywhere from the handshake to after the full sync.
			delay = time.Duration(rng.IntN(3000)) * time.Millisecond
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		full1, part1 := syncs(m)
		outcome := "no PSYNC"
		switch {
		case full1 != full0:
			outcome = "full"
			b, _ := os.ReadFile(logPath)
			switch s := string(b); {
			case strings.Contains(s, "to=streaming"):
				outcome += ", killed after it committed"
			case strings.Contains(s, "receiving RDB"):
				outcome += ", killed inside the transfer"
			default:
				outcome += ", killed before the payload"
			}
		case part1 != part0:
			outcome = "partial"
		}
		t.Logf("iteration %d (%s, fsync %s): resume point %.8s…/%d, master can continue: %v; got %s; killed after %v",
			i, mode, fsync, id, off, want, outcome, delay)
		if want {
			partialExpected++
			if outcome != "partial" {
				b, _ := os.ReadFile(logPath)
				t.Fatalf("iteration %d: the backlog covered the gap but the resync was %s; follower log:\n%s", i, outcome, tail(string(b), 30))
			}
		}
	}
	stopWriter()
	if partialExpected == 0 {
		t.Fatal("no iteration could resume partially: the loop proved nothing about restarts")
	}
	// What the directory holds now, recovered and caught up, equals the
	// master.
	r := start(t, config(m.Addr, dir, nil))
	waitCaughtUp(t, r, m)
	n := compare(t, r, m)
	if s := r.logs.String(); strings.Contains(s, "does not match") {
		t.Fatal("a snapshot/journal mismatch was detected: the data directory was inconsistent")
	}
	t.Logf("%d kills (%d during full-sync attempts), %d partial resyncs asserted; final dataset of %d keys equal", iterations, fullMode, partialExpected, n)
}
