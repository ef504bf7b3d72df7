package journal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	idA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	idB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	idC = "cccccccccccccccccccccccccccccccccccccccc"
)

func open(t *testing.T, dir string, o Options) *Journal {
	t.Helper()
	j, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func recover_(t *testing.T, j *Journal, st State) Recovery {
	t.Helper()
	rec, err := j.Recover(st)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func readAll(t *testing.T, j *Journal, from int64) []byte {
	t.Helper()
	r := j.Reader(from, false)
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestHeaderRoundTripAndDamage(t *testing.T) {
	h := Header{Base: 12345, DB: 7, ReplID: idA, PrevID: idB}
	b := h.encode()
	got, err := decodeHeader(b)
	if err != nil || got != h {
		t.Fatalf("got %+v, %v", got, err)
	}
	for i := range 104 {
		c := append([]byte(nil), b...)
		c[i] ^= 0x40
		if _, err := decodeHeader(c); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	if _, err := decodeHeader(b[:HeaderSize-1]); err == nil {
		t.Fatal("short header accepted")
	}
	if base, ok := parseSegName(segName(99)); !ok || base != 99 {
		t.Fatalf("segment name round trip: %d %v", base, ok)
	}
}

// TestAppendReadRecover: bytes appended in random chunks come back
// exactly, from memory, from files after the memory tail dropped them,
// and after a reopen, also from a snapshot offset inside the chain.
func TestAppendReadRecover(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	j := open(t, dir, Options{SegmentBytes: 300 << 10, MemoryBytes: 2 * blockSize, Fsync: FsyncNo})
	recover_(t, j, State{ReplID: idA, Offset: 1000, DB: 3})
	var all []byte
	off := int64(1000)
	for len(all) < 3<<20 {
		p := randBytes(r, 1+r.IntN(40000))
		if err := j.Append(p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p...)
		off += int64(len(p))
	}
	if got := readAll(t, j, 1000); !bytes.Equal(got, all) {
		t.Fatalf("replay read %d bytes, want %d (equal=%v)", len(got), len(all), bytes.Equal(got, all))
	}
	// A following reader returns EOF at the end once sealed.
	fr := j.Reader(1500, true)
	j.Seal()
	b, err := io.ReadAll(fr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, all[500:]) {
		t.Fatalf("following reader got %d bytes, want %d", len(b), len(all)-500)
	}
	fr.Close()
	names := segFiles(t, dir)
	if len(names) < 5 {
		t.Fatalf("expected several segments, got %v", names)
	}
	j.Close()

	// Reopen: the chain continues the same state, bytes identical.
	j2 := open(t, dir, Options{Fsync: FsyncNo})
	rec := recover_(t, j2, State{ReplID: idA, Offset: 1000, DB: 3})
	if rec.End != off || rec.Bytes != int64(len(all)) || rec.Discarded != 0 || rec.ReplID != idA {
		t.Fatalf("recovery %+v, want end %d", rec, off)
	}
	if got := readAll(t, j2, 1000); !bytes.Equal(got, all) {
		t.Fatal("bytes differ after reopen")
	}
	// A snapshot taken inside the chain: replay starts in the middle.
	j2.Close()
	j3 := open(t, dir, Options{Fsync: FsyncNo})
	mid := 1000 + int64(len(all)/2)
	rec = recover_(t, j3, State{ReplID: idA, Offset: mid, DB: 5})
	if rec.Bytes != off-mid {
		t.Fatalf("recovery from the middle: %+v", rec)
	}
	if got := readAll(t, j3, mid); !bytes.Equal(got, all[mid-1000:]) {
		t.Fatal("bytes differ from the middle")
	}
	if rec.Discarded == 0 {
		t.Fatal("segments before the snapshot should have been removed")
	}
}

// TestTornTailAndTruncate: an unfinished tail is cut at a boundary that
// may lie in an earlier segment; appending continues right after it.
func TestTornTailAndTruncate(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{SegmentBytes: 100, Fsync: FsyncNo})
	recover_(t, j, State{ReplID: idA, Offset: 0})
	chunk := func(s string) []byte { return []byte(s) }
	j.Append(chunk(strings.Repeat("x", 150))) // segment 1: 150 bytes
	j.Append(chunk(strings.Repeat("y", 120))) // full: segment 2 starts at 151
	j.Append(chunk(strings.Repeat("z", 80)))  // segment 3 starts at 271
	if n := len(segFiles(t, dir)); n != 3 {
		t.Fatalf("want 3 segments, got %v", segFiles(t, dir))
	}
	if err := j.TruncateTo(160, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(segFiles(t, dir)); n != 2 {
		t.Fatalf("segment 2 holds bytes before the cut, segment 3 none: %v", segFiles(t, dir))
	}
	if err := j.TruncateTo(140, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(segFiles(t, dir)); n != 1 {
		t.Fatalf("the segment starting after the cut should be gone: %v", segFiles(t, dir))
	}
	if err := j.Append(chunk("after")); err != nil {
		t.Fatal(err)
	}
	if err := j.TruncateTo(145, 2); err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("x", 140) + "after"
	if got := readAll(t, j, 0); string(got) != want {
		t.Fatalf("got %q", got)
	}
	if tip := j.Tip(); tip.Offset != 145 || tip.DB != 2 {
		t.Fatalf("tip %+v", tip)
	}
	j.Close()
	j2 := open(t, dir, Options{})
	if got := recover_(t, j2, State{ReplID: idA, Offset: 0}); got.End != 145 {
		t.Fatalf("recovered %+v", got)
	}
}

// TestSwitchReplIDAndChainRules: a +CONTINUE <newid> starts a segment
// whose prev is the old id; the chain follows it; stale files of other
// histories, gaps and foreign ids are not followed and are removed.
func TestSwitchReplIDAndChainRules(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{Fsync: FsyncNo})
	recover_(t, j, State{ReplID: idA, Offset: 100})
	j.Append([]byte("0123456789"))
	j.TruncateTo(110, 0) // the reconnection marks its resume point
	if err := j.SwitchReplID(idB); err != nil {
		t.Fatal(err)
	}
	// A second switch before any byte rewrites the empty segment.
	if err := j.SwitchReplID(idC); err != nil {
		t.Fatal(err)
	}
	j.Append([]byte("abcdef"))
	if got := j.ReplIDAt(105); got != idA {
		t.Fatalf("ReplIDAt(105) = %s", got)
	}
	if got := j.ReplIDAt(110); got != idA {
		t.Fatalf("ReplIDAt(110) = %s (the last byte of the old history)", got)
	}
	if got := j.ReplIDAt(111); got != idC {
		t.Fatalf("ReplIDAt(111) = %s", got)
	}
	if len(segFiles(t, dir)) != 2 {
		t.Fatalf("segments %v", segFiles(t, dir))
	}
	j.Close()
	// Foreign files: another history at a colliding and at a later name.
	writeSeg(t, dir, Header{Base: 116, DB: 0, ReplID: idB, PrevID: idB}, "stale")
	writeSeg(t, dir, Header{Base: 300, DB: 0, ReplID: idC, PrevID: idC}, "gap")
	os.WriteFile(filepath.Join(dir, segName(400)), []byte("torn"), 0o644)

	j2 := open(t, dir, Options{Fsync: FsyncNo})
	rec := recover_(t, j2, State{ReplID: idA, Offset: 100})
	if rec.ReplID != idC || rec.End != 116 || rec.Discarded != 2 {
		t.Fatalf("recovery %+v", rec)
	}
	if got := readAll(t, j2, 100); string(got) != "0123456789abcdef" {
		t.Fatalf("replayed %q", got)
	}
	if names := segFiles(t, dir); len(names) != 2 {
		t.Fatalf("left %v", names)
	}
	j2.Close()
	// A snapshot taken after the switch, under the new id.
	j3 := open(t, dir, Options{Fsync: FsyncNo})
	if rec := recover_(t, j3, State{ReplID: idC, Offset: 113, DB: 4}); rec.End != 116 || rec.Bytes != 3 {
		t.Fatalf("recovery from inside the switched segment: %+v", rec)
	}
	j3.Close()
	// A snapshot of another history: nothing continues it.
	j4 := open(t, dir, Options{Fsync: FsyncNo})
	if rec := recover_(t, j4, State{ReplID: idB, Offset: 100}); rec.Segments != 0 || rec.Discarded != 1 {
		t.Fatalf("recovery of a foreign snapshot: %+v", rec)
	}
}

func writeSeg(t *testing.T, dir string, h Header, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, segName(h.Base)), append(h.encode(), data...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMismatchedDB (P9-like): a segment starting exactly at the snapshot's
// offset that disagrees about the selected DB is a mismatch.
func TestMismatchedDB(t *testing.T) {
	dir := t.TempDir()
	writeSeg(t, dir, Header{Base: 50, DB: 3, ReplID: idA, PrevID: idA}, "data")
	j := open(t, dir, Options{})
	if _, err := j.Recover(State{ReplID: idA, Offset: 50, DB: 0}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("got %v, want ErrMismatch", err)
	}
	if len(segFiles(t, dir)) != 0 {
		t.Fatal("the mismatched journal should be removed")
	}
	// A segment that does not know its DB (a size rotation) is no mismatch.
	writeSeg(t, dir, Header{Base: 50, DB: UnknownDB, ReplID: idA, PrevID: idA}, "data")
	j2 := open(t, dir, Options{})
	if rec := recover_(t, j2, State{ReplID: idA, Offset: 50, DB: 0}); rec.Bytes != 4 {
		t.Fatalf("recovery %+v", rec)
	}
}

// TestRestartDropStaleAndDropBefore: a full sync starts a new history;
// the old files survive until DropStale; compaction drops covered segments.
func TestRestartDropStaleAndDropBefore(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{SegmentBytes: 10, Fsync: FsyncNo})
	recover_(t, j, State{ReplID: idA, Offset: 0})
	for range 5 {
		j.Append([]byte("0123456789"))
	}
	if n := len(segFiles(t, dir)); n != 5 {
		t.Fatalf("want 5 segments, got %d", n)
	}
	// New history whose first segment collides with an old name (base 20).
	if err := j.Restart(State{ReplID: idB, Offset: 20, DB: 1}); err != nil {
		t.Fatal(err)
	}
	j.Append([]byte("new"))
	if n := len(segFiles(t, dir)); n != 5 {
		t.Fatalf("old files must stay until DropStale: %v", segFiles(t, dir))
	}
	if err := j.DropStale(); err != nil {
		t.Fatal(err)
	}
	if names := segFiles(t, dir); len(names) != 1 || names[0] != segName(20) {
		t.Fatalf("after DropStale: %v", names)
	}
	if got := readAll(t, j, 20); string(got) != "new" {
		t.Fatalf("got %q", got)
	}
	for range 3 {
		j.Append([]byte("0123456789"))
	}
	n, err := j.DropBefore(43, false)
	if err != nil || n != 2 {
		t.Fatalf("DropBefore: %d %v; files %v", n, err, segFiles(t, dir))
	}
	if got := readAll(t, j, 43); string(got) != "0123456789" {
		t.Fatalf("after DropBefore: %q", got)
	}
	if n, _ := j.DropBefore(53, false); n != 0 {
		t.Fatal("the active segment was dropped")
	}
	if n, _ := j.DropBefore(53, true); n != 1 || len(segFiles(t, dir)) != 0 {
		t.Fatalf("final drop: %d, %v", n, segFiles(t, dir))
	}
	if j.ReplID() != idB {
		t.Fatal("replication id lost with the last segment")
	}
	// The next append starts a segment at the tip.
	if err := j.Append([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if names := segFiles(t, dir); len(names) != 1 || names[0] != segName(53) {
		t.Fatalf("new segment: %v", names)
	}
}

// TestWriteFailureIsCutAndRepaired: a failing write (ENOSPC) leaves no
// partial bytes; the journal refuses appends until Repair succeeds.
func TestWriteFailureIsCutAndRepaired(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	fail := map[string]bool{}
	fault := func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		if fail[op] {
			return syscall.ENOSPC
		}
		return nil
	}
	set := func(op string, v bool) { mu.Lock(); fail[op] = v; mu.Unlock() }
	j := open(t, dir, Options{Fault: fault, Fsync: FsyncAlways})
	recover_(t, j, State{ReplID: idA, Offset: 0})
	j.Append([]byte("good"))
	set("write", true)
	err := j.Append([]byte("lost"))
	if !errors.Is(err, ErrBroken) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v", err)
	}
	set("write", false)
	if err := j.Append([]byte("more")); !errors.Is(err, ErrBroken) {
		t.Fatalf("a broken journal took bytes: %v", err)
	}
	set("truncate", true)
	if err := j.Repair(); err == nil {
		t.Fatal("Repair succeeded while the disk refuses")
	}
	set("truncate", false)
	set("probe", true)
	if j.Probe() == nil {
		t.Fatal("probe ignored the fault")
	}
	set("probe", false)
	if err := j.Probe(); err != nil {
		t.Fatal(err)
	}
	if err := j.Repair(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]byte("more")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, j, 0); string(got) != "goodmore" {
		t.Fatalf("got %q", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, segName(0)))
	if string(b[HeaderSize:]) != "goodmore" {
		t.Fatalf("file holds %q", b[HeaderSize:])
	}
	// A failed segment creation is reported and leaves no file.
	set("create", true)
	if err := j.SwitchReplID(idB); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v", err)
	}
	if names := segFiles(t, dir); len(names) != 1 {
		t.Fatalf("files %v", names)
	}
}

// TestFollowingReaderBlocksAndStops: a following reader waits for more
// bytes, sees them as soon as they are appended, and Stop releases it.
func TestFollowingReaderBlocksAndStops(t *testing.T) {
	j := open(t, t.TempDir(), Options{})
	recover_(t, j, State{ReplID: idA, Offset: 0})
	r := j.Reader(0, true)
	got := make(chan string, 2)
	go func() {
		b := make([]byte, 10)
		n, _ := r.Read(b)
		got <- string(b[:n])
		_, err := r.Read(b)
		if errors.Is(err, ErrStopped) {
			got <- "stopped"
		} else {
			got <- "unexpected: " + err.Error()
		}
	}()
	select {
	case s := <-got:
		t.Fatalf("read %q from an empty journal", s)
	case <-time.After(50 * time.Millisecond):
	}
	j.Append([]byte("partial"))
	if s := <-got; s != "partial" {
		t.Fatalf("got %q", s)
	}
	r.Stop()
	if s := <-got; s != "stopped" {
		t.Fatal(s)
	}
}

// TestEverySecSyncs: under everysec the goroutine fsyncs; a failing fsync
// breaks the journal.
func TestEverySecSyncs(t *testing.T) {
	var mu sync.Mutex
	syncs, failing := 0, false
	j := open(t, t.TempDir(), Options{SyncInterval: 5 * time.Millisecond, Fault: func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		if op == "sync" {
			syncs++
			if failing {
				return syscall.EIO
			}
		}
		return nil
	}})
	recover_(t, j, State{ReplID: idA, Offset: 0})
	mu.Lock()
	base := syncs
	mu.Unlock()
	j.Append([]byte("x"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := syncs
		mu.Unlock()
		if n > base {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no fsync within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	failing = true
	mu.Unlock()
	j.Append([]byte("y"))
	for j.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("a failed fsync did not break the journal")
		}
		time.Sleep(time.Millisecond)
	}
	if err := j.Append([]byte("z")); !errors.Is(err, ErrBroken) {
		t.Fatalf("got %v", err)
	}
}
