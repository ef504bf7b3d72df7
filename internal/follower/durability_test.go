package follower_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/redistest"
)

// assertNoTemp fails if a full-sync or snapshot temp file was left behind.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("temp file left in the data directory: %s", e.Name())
		}
	}
}

// segments lists the journal segment files.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(dir, follower.JournalDir))
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".seg") {
			out = append(out, filepath.Join(dir, follower.JournalDir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// snapshotState reads dump.rdb's replication state.
func snapshotState(t *testing.T, dir string) *rdbload.Info {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, follower.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, info, err := rdbload.Load(f, rdbload.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestRestartReplaysJournal: stopped without a final snapshot, the
// follower's next start replays the journal (dump.rdb + journal is the
// dataset) and resumes with a partial resync.
func TestRestartReplaysJournal(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 500)
	dir := t.TempDir()
	cfg := config(m.Addr, dir, nil)
	cfg.KeepJournalOnStop = true
	r1 := start(t, cfg)
	waitCaughtUp(t, r1, m)
	stopWriter := writeDuring(t, m, 41)
	time.Sleep(300 * time.Millisecond)
	stopWriter()
	waitCaughtUp(t, r1, m)
	if err := r1.stop(t); err != nil {
		t.Fatal(err)
	}
	applied := r1.f.Status().Offset // what it had applied when it stopped
	snap := snapshotState(t, dir)
	if snap.ReplOffset >= applied {
		t.Fatalf("the snapshot (offset %d) already holds everything: the journal is not exercised", snap.ReplOffset)
	}
	m.Do("SET", "while-down", "1")
	r2 := start(t, cfg)
	if st := r2.f.Status(); st.Replayed != applied-snap.ReplOffset {
		t.Fatalf("replayed %d bytes from offset %d, want up to %d", st.Replayed, snap.ReplOffset, applied)
	}
	waitCaughtUp(t, r2, m)
	compare(t, r2, m)
	wantSyncs(t, m, 1, 1)
}

// TestTornJournalTailIsCut: a journal ending inside a command, or inside a
// MULTI block, is replayed up to the last complete command outside MULTI;
// the tail is cut, logged, and the master resends it.
func TestTornJournalTailIsCut(t *testing.T) {
	for name, tail := range map[string]string{
		"mid-command": "*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval",
		"mid-multi":   "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$1\r\nx\r\n",
		"garbage":     "\x00\x00\x00\x00\x00\x00",
	} {
		t.Run(name, func(t *testing.T) {
			m := redistest.Start(t)
			fill(t, m, 300)
			dir := t.TempDir()
			cfg := config(m.Addr, dir, nil)
			cfg.KeepJournalOnStop = true
			r1 := start(t, cfg)
			waitCaughtUp(t, r1, m)
			m.Do("SET", "in-journal", "1")
			waitCaughtUp(t, r1, m)
			if err := r1.stop(t); err != nil {
				t.Fatal(err)
			}
			segs := segments(t, dir)
			if len(segs) == 0 {
				t.Fatal("no journal segment")
			}
			f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(tail)
			f.Close()
			r2 := start(t, cfg)
			if !strings.Contains(r2.logs.String(), "torn tail") && !strings.Contains(r2.logs.String(), "not RESP") {
				t.Fatalf("the torn tail was not logged")
			}
			waitCaughtUp(t, r2, m)
			compare(t, r2, m) // "torn" must not exist
			wantSyncs(t, m, 1, 1)
		})
	}
}

// writeSegment writes a journal segment with the documented header
// layout (internal/journal): magic, header size, base, db, replid, prev,
// CRC-32C.
func writeSegment(t *testing.T, dir string, base int64, db int, replID string, data []byte) {
	t.Helper()
	h := make([]byte, 128)
	copy(h, "RFJRNL01")
	binary.LittleEndian.PutUint32(h[8:], 128)
	binary.LittleEndian.PutUint64(h[12:], uint64(base))
	binary.LittleEndian.PutUint32(h[20:], uint32(db))
	copy(h[24:64], replID)
	copy(h[64:104], replID)
	binary.LittleEndian.PutUint32(h[104:], crc32.Checksum(h[:104], crc32.MakeTable(crc32.Castagnoli)))
	os.MkdirAll(filepath.Join(dir, follower.JournalDir), 0o755)
	name := filepath.Join(dir, follower.JournalDir, fmt.Sprintf("%020d.seg", base+1))
	if err := os.WriteFile(name, append(h, data...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestJournalMismatchForcesFullResync (P9): a journal that claims to
// continue the snapshot from its exact offset but in another DB cannot
// both be right: the follower drops the journal and asks for a full
// resync instead of a partial one.
func TestJournalMismatchForcesFullResync(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	dir := t.TempDir()
	r1 := start(t, config(m.Addr, dir, nil))
	waitCaughtUp(t, r1, m)
	if err := r1.stop(t); err != nil {
		t.Fatal(err)
	}
	snap := snapshotState(t, dir)
	for _, s := range segments(t, dir) {
		os.Remove(s)
	}
	writeSegment(t, dir, snap.ReplOffset, snap.ReplStreamDB+1, snap.ReplID, []byte("*1\r\n$4\r\nPING\r\n"))
	r2 := start(t, config(m.Addr, dir, nil))
	redistest.WaitFor(t, 20*time.Second, "a full resync", func() bool { return r2.f.Status().FullSyncs == 1 })
	if !strings.Contains(r2.logs.String(), "does not match") {
		t.Fatal("the mismatch was not logged")
	}
	waitCaughtUp(t, r2, m)
	compare(t, r2, m)
	wantSyncs(t, m, 2, 0)
}

// TestCompactionDuringStreaming: past CompactBytes the follower writes a
// fresh snapshot while streaming (in the background, and pausing the
// applier) and drops the covered journal; the data directory stays small
// and a restart resumes with a partial resync, to the same dataset.
func TestCompactionDuringStreaming(t *testing.T) {
	for _, pause := range []bool{false, true} {
		t.Run(fmt.Sprintf("pause=%v", pause), func(t *testing.T) { testCompactionDuringStreaming(t, pause) })
	}
}

func testCompactionDuringStreaming(t *testing.T, pause bool) {
	m := redistest.Start(t)
	fill(t, m, 300)
	dir := t.TempDir()
	cfg := config(m.Addr, dir, nil)
	cfg.CompactPause = pause
	cfg.CompactBytes = 64 << 10
	cfg.SegmentBytes = 16 << 10
	cfg.KeepJournalOnStop = true
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	first := r.f.Status().Offset
	stopWriter := writeDuring(t, m, 51)
	redistest.WaitFor(t, 30*time.Second, "eight compactions", func() bool { return r.f.Status().Compactions >= 8 })
	stopWriter()
	waitCaughtUp(t, r, m)
	st := r.f.Status()
	// What a compaction leaves: under CompactBytes of applied stream past
	// the snapshot, plus the writer's segment (which one 256 KiB read can
	// fill beyond SegmentBytes).
	if limit := cfg.CompactBytes + cfg.SegmentBytes + 2*256<<10; st.JournalBytes > limit || st.JournalBytes > (st.Offset-first)/2 {
		t.Fatalf("journal holds %d bytes after compactions (limit %d) of the %d streamed", st.JournalBytes, limit, st.Offset-first)
	}
	t.Logf("%d compactions, the last one took %v; journal %d bytes", st.Compactions, st.LastCompaction, st.JournalBytes)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	r2 := start(t, cfg)
	waitCaughtUp(t, r2, m)
	compare(t, r2, m)
	wantSyncs(t, m, 1, 1)
}

// TestCompactionByAge: a snapshot older than CompactAge is refreshed once
// something was applied.
func TestCompactionByAge(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 100)
	dir := t.TempDir()
	cfg := config(m.Addr, dir, nil)
	cfg.CompactAge = 300 * time.Millisecond
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	before := r.f.Status().Compactions
	time.Sleep(400 * time.Millisecond)
	m.Do("SET", "aged", "1")
	redistest.WaitFor(t, 10*time.Second, "a compaction by age", func() bool { return r.f.Status().Compactions > before })
	if snap := snapshotState(t, dir); snap.ReplOffset != m.MasterOffset() {
		t.Fatalf("snapshot at %d, master at %d", snap.ReplOffset, m.MasterOffset())
	}
}

// TestMasterRestartWithoutPersistence (P7): the master comes back empty
// with a new replication id; the follower full-syncs, drops its data and
// raises the alert.
func TestMasterRestartWithoutPersistence(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	r := start(t, config(m.Addr, t.TempDir(), nil))
	waitCaughtUp(t, r, m)
	m.Restart()
	redistest.WaitFor(t, 20*time.Second, "the full resync to an empty master", func() bool {
		return r.f.Status().EmptiedBySync == 1
	})
	if !strings.Contains(r.logs.String(), "ALERT") {
		t.Fatal("no alert logged")
	}
	m.Do("SET", "after-restart", "1")
	waitCaughtUp(t, r, m)
	compare(t, r, m)
}

// TestSlowApplyDoesNotStallTheLink: with applying slowed down, the
// journal still drains the socket at full speed: the master's small
// output-buffer limit for replicas is never hit, no reconnection happens,
// and the follower catches up afterwards.
func TestSlowApplyDoesNotStallTheLink(t *testing.T) {
	m := redistest.Start(t, "--client-output-buffer-limit", "replica 512kb 256kb 2")
	fill(t, m, 100)
	cfg := config(m.Addr, t.TempDir(), nil)
	var slow atomic.Bool
	follower.SetApplyHook(&cfg, func([][]byte) {
		if slow.Load() {
			time.Sleep(200 * time.Microsecond)
		}
	})
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	slow.Store(true)
	val := strings.Repeat("v", 500)
	pipe := m.Client.Pipeline()
	for i := 0; i < 8000; i++ { // about 4.5 MB of stream
		pipe.Set(t.Context(), "slow:"+strconv.Itoa(i), val, 0)
		if i%500 == 499 {
			if _, err := pipe.Exec(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	var maxLag int64
	redistest.WaitFor(t, 30*time.Second, "the journal to hold everything", func() bool {
		st := r.f.Status()
		maxLag = max(maxLag, st.Received-st.Offset)
		return st.Received == m.MasterOffset()
	})
	slow.Store(false)
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	if maxLag < 1<<20 {
		t.Fatalf("journal was at most %d bytes ahead of applying: the test did not slow applying enough", maxLag)
	}
	if st := r.f.Status(); st.PartialSyncs != 0 {
		t.Fatalf("the link was dropped %d times", st.PartialSyncs)
	}
	wantSyncs(t, m, 1, 0)
	t.Logf("the journal ran up to %d KiB ahead of applying; the master never dropped the link", maxLag>>10)
}

// TestDiskFullInjected: writes to the data directory fail (ENOSPC) during
// the first full sync and again while streaming. The follower stops
// reading from the master, keeps a consistent state, and resumes when
// the writes succeed again: a full sync the first time (nothing was
// committed), then a partial resync.
func TestDiskFullInjected(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	dir := t.TempDir()
	cfg := config(m.Addr, dir, nil)
	var full atomic.Bool
	full.Store(true)
	follower.SetDiskFault(&cfg, func(op string) error {
		if full.Load() && op != "remove" && op != "truncate" {
			return syscall.ENOSPC
		}
		return nil
	})
	r := start(t, cfg)
	redistest.WaitFor(t, 20*time.Second, "disk-wait", func() bool { return r.f.Status().State == follower.StateDiskWait })
	time.Sleep(200 * time.Millisecond)
	if st := r.f.Status(); st.State != follower.StateDiskWait || st.FullSyncs != 0 {
		t.Fatalf("state %v, full syncs %d while the disk is full", st.State, st.FullSyncs)
	}
	if !strings.Contains(r.f.Status().LastError, "no space left") {
		t.Fatalf("unclear error: %s", r.f.Status().LastError)
	}
	assertNoTemp(t, dir)
	full.Store(false)
	waitCaughtUp(t, r, m)
	compare(t, r, m)

	full.Store(true)
	m.Do("SET", "while-full", "1")
	redistest.WaitFor(t, 20*time.Second, "disk-wait while streaming", func() bool { return r.f.Status().State == follower.StateDiskWait })
	st := r.f.Status()
	if st.Offset == m.MasterOffset() {
		t.Fatal("the write that could not be journaled was applied")
	}
	m.Do("SET", "while-full-2", "2")
	full.Store(false)
	waitPartial(t, r, 1)
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	if r.f.Status().FullSyncs != 1 {
		t.Fatal("the recovery needed another full sync")
	}
}

// TestDiskFullTmpfs: the data directory lives on a small tmpfs that fills
// up while streaming (needs root to mount one; TestDiskFullInjected
// covers the same logic everywhere). The follower stops reading, waits,
// and resumes with a partial resync once space is freed; its journal is
// intact (a restart from it matches the master).
func TestDiskFullTmpfs(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); TestDiskFullInjected covers the logic", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	m := redistest.Start(t, "--repl-backlog-size", "64mb")
	fill(t, m, 300)
	dir := filepath.Join(mnt, "data")
	cfg := config(m.Addr, dir, nil)
	cfg.KeepJournalOnStop = true
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	// Leave about 2 MB free.
	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	free := int64(st.Bavail) * st.Bsize
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, free-2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	val := strings.Repeat("d", 1000)
	for i := 0; i < 4000; i++ { // 4 MB of stream: more than the free space
		m.Do("SET", "full:"+strconv.Itoa(i%500), val)
	}
	redistest.WaitFor(t, 20*time.Second, "disk-wait", func() bool { return r.f.Status().State == follower.StateDiskWait })
	if !strings.Contains(r.f.Status().LastError, "no space left") {
		t.Fatalf("unclear error: %s", r.f.Status().LastError)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitPartial(t, r, 1)
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	r2 := start(t, cfg)
	waitCaughtUp(t, r2, m)
	compare(t, r2, m)
	wantSyncs(t, m, 1, 2)
}

// TestUnwritableDirectory: a data directory that cannot be written is a
// clear error at start.
func TestUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere; use a path below a regular file instead.
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		_, err := follower.New(config("127.0.0.1:1", filepath.Join(file, "dir"), nil))
		if err == nil || !strings.Contains(err.Error(), "data directory") {
			t.Fatalf("got %v", err)
		}
		return
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	_, err := follower.New(config("127.0.0.1:1", filepath.Join(dir, "sub"), nil))
	if err == nil || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("got %v", err)
	}
}

// TestFullSyncCommitFailureRollsBack: the snapshot rename of a second full
// sync fails; the follower keeps serving the old data under the old state,
// waits for the disk, and completes the sync afterwards.
func TestFullSyncCommitFailureRollsBack(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	p := redistest.NewProxy(t, m.Addr)
	dir := t.TempDir()
	cfg := config(p.Addr, dir, nil)
	var failRename atomic.Bool
	follower.SetDiskFault(&cfg, func(op string) error {
		if (op == "rename" || op == "probe") && failRename.Load() {
			return syscall.EIO
		}
		return nil
	})
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	oldID := r.f.Status().ReplID
	failRename.Store(true)
	// Disconnected, the master changes history and writes; back, the
	// follower must full-sync.
	p.SetTarget("127.0.0.1:1")
	p.CutAll()
	m.Do("DEBUG", "CHANGE-REPL-ID")
	if err := dbConn(t, m, 0).Set(t.Context(), "only-in-the-second-sync", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	p.SetTarget(m.Addr)
	redistest.WaitFor(t, 20*time.Second, "the failed commit", func() bool { return r.f.Status().State == follower.StateDiskWait })
	st := r.f.Status()
	if st.ReplID != oldID || st.FullSyncs != 1 || has(r.f, 0, "only-in-the-second-sync") {
		t.Fatalf("after the failed commit: replid %s (old %s), %d full syncs, new key visible %v", st.ReplID, oldID, st.FullSyncs, has(r.f, 0, "only-in-the-second-sync"))
	}
	if snap := snapshotState(t, dir); snap.ReplID != oldID {
		t.Fatalf("dump.rdb holds replid %s, want the old %s", snap.ReplID, oldID)
	}
	assertNoTemp(t, dir)
	failRename.Store(false)
	redistest.WaitFor(t, 20*time.Second, "the second full sync", func() bool { return r.f.Status().FullSyncs == 2 })
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	if !has(r.f, 0, "only-in-the-second-sync") {
		t.Fatal("the second sync's key is missing")
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if snap := snapshotState(t, dir); snap.ReplID != m.Info("replication", "master_replid") {
		t.Fatalf("dump.rdb holds replid %s after the sync", snap.ReplID)
	}
}
