package journal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis-follower/redis-follower/internal/fsutil"
	"github.com/redis-follower/redis-follower/internal/rdb"
)

// FsyncPolicy says when appended bytes are forced to disk.
type FsyncPolicy string

// Fsync policies (as Redis's appendfsync).
const (
	FsyncAlways   FsyncPolicy = "always"   // after every append
	FsyncEverySec FsyncPolicy = "everysec" // at most one second of bytes at risk (default)
	FsyncNo       FsyncPolicy = "no"       // left to the operating system
)

// ParseFsyncPolicy parses "always", "everysec" or "no".
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch p := FsyncPolicy(s); p {
	case FsyncAlways, FsyncEverySec, FsyncNo:
		return p, nil
	case "":
		return FsyncEverySec, nil
	}
	return "", fmt.Errorf("fsync policy must be always, everysec or no, not %q", s)
}

// Options configure a journal. Zero values take the documented defaults.
type Options struct {
	Fsync FsyncPolicy
	// SegmentBytes is the size after which the writer starts a new
	// segment at the next command boundary (default 64 MiB).
	SegmentBytes int64
	// MemoryBytes bounds the in-memory tail of recent bytes (default 32 MiB).
	MemoryBytes int
	// SyncInterval is the everysec period (default 1s).
	SyncInterval time.Duration
	// Logger receives warnings about discarded or damaged segments.
	Logger *slog.Logger
	// Fault, when set, is consulted before every file operation with its
	// name ("create", "write", "sync", "truncate", "remove", "probe"); an
	// error it returns is returned as if the operating system had. Tests
	// use it to inject a full disk.
	Fault func(op string) error
}

func (o *Options) defaults() {
	if o.Fsync == "" {
		o.Fsync = FsyncEverySec
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = 32 << 20
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// State is a replication position: the replication id, the offset (count
// of stream bytes) and the stream database selected at that offset.
type State struct {
	ReplID string
	Offset int64
	DB     int
}

// ErrMismatch means the journal and the snapshot it should continue
// disagree about the stream (a bug or foreign files): the caller must not
// trust either for a partial resync.
var ErrMismatch = errors.New("journal does not match the snapshot")

// ErrStopped is returned by Reader.Read after Stop.
var ErrStopped = errors.New("journal reader stopped")

// ErrBroken is wrapped by the error Append returns after a failed write or
// sync; Repair must succeed before the journal accepts bytes again.
var ErrBroken = errors.New("journal write failed")

// Journal is the on-disk log of raw replication-stream bytes since the
// last snapshot. See the package documentation for the contract.
type Journal struct {
	dir  string
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	cond   *sync.Cond
	chain  []*segment // the segments that continue the base state, in order
	files  []*segment // every segment file found at Open (until Recover)
	baseID string     // replication id before the chain's first byte
	end    int64      // last byte written
	mark   int64      // a command boundary outside MULTI known to the caller
	tipDB  int        // stream DB at mark
	mem    memTail
	sealed bool  // no more bytes will come: followers get io.EOF at the end
	err    error // sticky write/sync error (ErrBroken)
	dirty  bool  // written since the last fsync

	// Writer side (one goroutine at a time): the active segment file.
	active     *os.File
	activeSeg  *segment
	activeSize int64 // bytes of data known good in the active file

	syncMu   sync.Mutex // serialises fsync of the active file and its rotation
	stopSync chan struct{}
	syncDone chan struct{}
	closed   bool
}

// Open opens (creating) the journal directory, removes stale temp files
// and reads every segment header. Recover must be called before use.
func Open(dir string, opts Options) (*Journal, error) {
	opts.defaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal directory %s: %w", dir, err)
	}
	j := &Journal{dir: dir, opts: opts, log: opts.Logger}
	j.cond = sync.NewCond(&j.mu)
	j.mem.max = opts.MemoryBytes
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("journal directory %s: %w", dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, tmpSuffix):
			os.Remove(path)
		case strings.HasSuffix(name, segSuffix):
			s, err := readSegment(path)
			if err != nil {
				j.log.Warn("removing an unreadable journal segment (torn creation)", "path", path, "err", err)
				os.Remove(path)
				continue
			}
			j.files = append(j.files, s)
		}
	}
	slices.SortFunc(j.files, func(a, b *segment) int { return int(min(max(a.Base-b.Base, -1), 1)) })
	if opts.Fsync == FsyncEverySec {
		j.stopSync, j.syncDone = make(chan struct{}), make(chan struct{})
		go j.syncLoop()
	}
	return j, nil
}

// Dir returns the journal directory.
func (j *Journal) Dir() string { return j.dir }

// Recovery describes what Recover kept.
type Recovery struct {
	Segments  int   // segments in the chain
	Bytes     int64 // stream bytes after the base offset, to replay
	End       int64 // offset of the last byte (before any torn tail is cut)
	ReplID    string
	Discarded int // segment files removed (stale, covered or not continuing)
}

// Recover selects the chain of segments that continues base (the state of
// the snapshot), removes every other segment file and positions the
// journal at the chain's end, open for replay with Reader(base.Offset,
// false) and TruncateTo. A segment that starts exactly at base but names
// another database returns ErrMismatch.
func (j *Journal) Recover(base State) (Recovery, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	files := j.files
	j.files = nil
	j.baseID = base.ReplID
	cur, off := base.ReplID, base.Offset
	used := make([]bool, len(files))
	var mismatch error
	for rdb.ValidReplID(cur) {
		pick := -1
		for i, s := range files {
			if used[i] {
				continue
			}
			ok := false
			switch {
			case s.Base == off:
				ok = s.PrevID == cur || s.ReplID == cur
			case s.Base < off && off < s.end() && len(j.chain) == 0:
				// Only the first segment may start before the base (the
				// snapshot was taken inside it); later ones must be
				// contiguous.
				ok = s.ReplID == cur
			}
			if ok && (pick < 0 || s.end() > files[pick].end()) {
				pick = i
			}
		}
		if pick < 0 {
			break
		}
		s := files[pick]
		if s.Base == base.Offset && len(j.chain) == 0 && s.DB != UnknownDB && s.DB != base.DB {
			mismatch = fmt.Errorf("%w: segment %s starts at the snapshot's offset %d in db %d, the snapshot says db %d",
				ErrMismatch, filepath.Base(s.path), base.Offset, s.DB, base.DB)
			break
		}
		used[pick] = true
		s.from = off
		j.chain = append(j.chain, s)
		cur = s.ReplID
		off = max(off, s.end())
	}
	var rec Recovery
	for i, s := range files {
		if !used[i] || mismatch != nil {
			if err := j.remove(s.path); err != nil {
				return rec, err
			}
			rec.Discarded++
		}
	}
	if mismatch != nil {
		j.chain = nil
		j.end, j.mark, j.tipDB = base.Offset, base.Offset, base.DB
		j.mem.reset(base.Offset)
		return rec, mismatch
	}
	j.end, j.mark, j.tipDB = off, base.Offset, base.DB
	j.mem.reset(off)
	rec = Recovery{Segments: len(j.chain), Bytes: off - base.Offset, End: off, ReplID: cur, Discarded: rec.Discarded}
	return rec, nil
}

// ReplID returns the replication id at the end of the journal (the one to
// PSYNC with).
func (j *Journal) ReplID() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.tipIDLocked()
}

func (j *Journal) tipIDLocked() string {
	if n := len(j.chain); n > 0 {
		return j.chain[n-1].ReplID
	}
	return j.baseID
}

// Tip returns the replication id at the end and the last command
// boundary the caller marked (TruncateTo, Restart) with the DB selected
// there: after TruncateTo, what a reconnection resumes from.
func (j *Journal) Tip() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	return State{ReplID: j.tipIDLocked(), Offset: j.mark, DB: j.tipDB}
}

// End returns the offset of the last byte written (possibly inside a
// command).
func (j *Journal) End() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.end
}

// Bytes returns the stream bytes held in the chain's files.
func (j *Journal) Bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	var n int64
	for _, s := range j.chain {
		n += s.size
	}
	return n
}

// ReplIDAt returns the replication id byte off belongs to (off being the
// last byte applied): what a snapshot taken at off must record.
func (j *Journal) ReplIDAt(off int64) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	id := j.baseID
	for _, s := range j.chain {
		if s.Base >= off {
			break
		}
		id = s.ReplID
	}
	return id
}

// Err returns the sticky write error, if any.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

func (j *Journal) fault(op string) error {
	if j.opts.Fault != nil {
		return j.opts.Fault(op)
	}
	return nil
}

func (j *Journal) remove(path string) error {
	if err := j.fault("remove"); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing journal segment: %w", err)
	}
	return nil
}

func (j *Journal) syncDir() error {
	if j.opts.Fsync == FsyncNo {
		return nil
	}
	if err := j.fault("sync"); err != nil {
		return err
	}
	return fsutil.SyncDir(j.dir)
}

// createSegment writes a new segment file with header h (through a temp
// file renamed over any file of the same name: a stale segment of another
// history whose name collides is replaced atomically) and returns it open
// for appending.
func (j *Journal) createSegment(h Header) (*os.File, *segment, error) {
	if err := j.fault("create"); err != nil {
		return nil, nil, fmt.Errorf("creating journal segment: %w", err)
	}
	path := filepath.Join(j.dir, segName(h.Base))
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("creating journal segment: %w", err)
	}
	fail := func(err error) (*os.File, *segment, error) {
		f.Close()
		os.Remove(tmp)
		return nil, nil, fmt.Errorf("creating journal segment %s: %w", path, err)
	}
	if _, err := f.Write(h.encode()); err != nil {
		return fail(err)
	}
	if j.opts.Fsync != FsyncNo {
		if err := j.fault("sync"); err != nil {
			return fail(err)
		}
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, nil, fmt.Errorf("creating journal segment %s: %w", path, err)
	}
	if err := j.syncDir(); err != nil {
		return nil, nil, fmt.Errorf("creating journal segment %s: fsync directory: %w", path, err)
	}
	af, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening journal segment %s: %w", path, err)
	}
	return af, &segment{Header: h, path: path, from: h.Base}, nil
}

// openActive opens the chain's last segment for appending (after Recover
// or TruncateTo).
func (j *Journal) openActive() error {
	if j.active != nil {
		return nil
	}
	j.mu.Lock()
	var last *segment
	if n := len(j.chain); n > 0 {
		last = j.chain[n-1]
	}
	j.mu.Unlock()
	if last == nil {
		return nil
	}
	f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening journal segment %s: %w", last.path, err)
	}
	j.setActive(f, last)
	return nil
}

// setActive installs the writer's active file, closing the previous one
// (after an fsync under every policy but no).
func (j *Journal) setActive(f *os.File, s *segment) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	var err error
	if old := j.active; old != nil {
		if j.opts.Fsync != FsyncNo {
			if err = j.fault("sync"); err == nil {
				err = old.Sync()
			}
		}
		old.Close()
	}
	j.active, j.activeSeg = f, s
	if s != nil {
		j.activeSize = s.size
	}
	return err
}

// closeActive closes the writer's file (fsynced unless the policy is no).
func (j *Journal) closeActive() error { return j.setActive(nil, nil) }

// Append writes p, the next stream bytes as received (commands may be
// cut anywhere), then makes them visible to readers. A new segment starts
// once the active one reached SegmentBytes; its header names the DB only
// when it starts at the marked boundary (UnknownDB otherwise).
//
// On a write failure the bytes of p are cut off again and the journal is
// broken (ErrBroken, sticky) until Repair succeeds.
func (j *Journal) Append(p []byte) error {
	j.mu.Lock()
	if j.err != nil {
		err := j.err
		j.mu.Unlock()
		return err
	}
	end, tipID := j.end, j.tipIDLocked()
	db := UnknownDB
	if end == j.mark {
		db = j.tipDB
	}
	j.mu.Unlock()
	if j.active == nil {
		if err := j.openActive(); err != nil {
			return j.broken(err)
		}
	}
	if j.active == nil || j.activeSize >= j.opts.SegmentBytes {
		if err := j.rotate(Header{Base: end, DB: db, ReplID: tipID, PrevID: tipID}); err != nil {
			return j.broken(err)
		}
	}
	if len(p) == 0 {
		return nil
	}
	if err := j.write(p); err != nil {
		return j.broken(err)
	}
	j.publish(p)
	return nil
}

// write appends p to the active file, cutting a partial write off again.
func (j *Journal) write(p []byte) error {
	err := j.fault("write")
	if err == nil {
		_, err = j.active.Write(p)
	}
	if err != nil {
		if terr := j.active.Truncate(HeaderSize + j.activeSize); terr != nil {
			err = fmt.Errorf("%w (and cutting the partial write failed: %v)", err, terr)
		}
		return fmt.Errorf("appending to journal segment %s: %w", j.activeSeg.path, err)
	}
	j.activeSize += int64(len(p))
	if j.opts.Fsync == FsyncAlways {
		if err := j.fault("sync"); err != nil {
			return fmt.Errorf("fsync of journal segment %s: %w", j.activeSeg.path, err)
		}
		if err := j.active.Sync(); err != nil {
			return fmt.Errorf("fsync of journal segment %s: %w", j.activeSeg.path, err)
		}
	}
	return nil
}

// publish makes p (already in the file) visible.
func (j *Journal) publish(p []byte) {
	j.mu.Lock()
	j.activeSeg.size += int64(len(p))
	j.end += int64(len(p))
	j.mem.append(p)
	j.dirty = true
	j.mu.Unlock()
	j.cond.Broadcast()
}

func (j *Journal) rotate(h Header) error {
	f, s, err := j.createSegment(h)
	if err != nil {
		return err
	}
	j.mu.Lock()
	j.chain = append(j.chain, s)
	j.mu.Unlock()
	return j.setActive(f, s)
}

func (j *Journal) broken(err error) error {
	err = fmt.Errorf("%w: %w", ErrBroken, err)
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.mu.Unlock()
	return err
}

// Repair clears a write error: it cuts the active file back to the bytes
// known good and fsyncs it. It fails while the disk still refuses.
func (j *Journal) Repair() error {
	j.mu.Lock()
	broken := j.err != nil
	j.mu.Unlock()
	if !broken {
		return nil
	}
	if j.active != nil {
		if err := j.fault("truncate"); err != nil {
			return err
		}
		if err := j.active.Truncate(HeaderSize + j.activeSize); err != nil {
			return fmt.Errorf("repairing journal segment %s: %w", j.activeSeg.path, err)
		}
		if j.opts.Fsync != FsyncNo {
			if err := j.fault("sync"); err != nil {
				return err
			}
			if err := j.active.Sync(); err != nil {
				return fmt.Errorf("repairing journal segment %s: fsync: %w", j.activeSeg.path, err)
			}
		}
	}
	j.mu.Lock()
	j.err = nil
	j.mu.Unlock()
	return nil
}

// Probe checks that the directory takes writes again: it writes, fsyncs
// and removes a 1 MiB file.
func (j *Journal) Probe() error {
	if err := j.fault("probe"); err != nil {
		return err
	}
	path := filepath.Join(j.dir, "probe"+tmpSuffix)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, 1<<20))
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	os.Remove(path)
	return err
}

// TruncateTo cuts every byte after off (off >= the offset recovered from)
// and marks off, with db selected, as the end and a command boundary:
// after replaying a torn tail, and before a reconnection resumes from
// Tip. No reader may have read beyond off (stop them first).
func (j *Journal) TruncateTo(off int64, db int) error {
	j.mu.Lock()
	if off > j.end {
		j.mu.Unlock()
		return fmt.Errorf("journal: truncate to %d beyond the end %d", off, j.end)
	}
	// Segments are contiguous (each starts where the previous ends), so
	// those starting after off go and the last one kept is cut at off
	// (to its header when it starts at off: a replid switch survives).
	var drop []*segment
	keep := j.chain[:0:0]
	for _, s := range j.chain {
		if s.Base <= off {
			keep = append(keep, s)
		} else {
			drop = append(drop, s)
		}
	}
	cut := j.end > off
	j.mu.Unlock()
	if !cut && len(drop) == 0 {
		j.mu.Lock()
		j.mark, j.tipDB = off, db
		j.mu.Unlock()
		return nil
	}
	if j.active != nil && slices.Contains(drop, j.activeSeg) {
		if err := j.closeActive(); err != nil {
			return j.broken(err)
		}
	}
	for _, s := range drop {
		if err := j.remove(s.path); err != nil {
			return j.broken(err)
		}
	}
	var last *segment
	if n := len(keep); n > 0 {
		last = keep[n-1]
	}
	if last != nil && last.end() > off {
		if err := j.fault("truncate"); err != nil {
			return j.broken(err)
		}
		if err := os.Truncate(last.path, HeaderSize+off-last.Base); err != nil {
			return j.broken(fmt.Errorf("cutting journal segment %s: %w", last.path, err))
		}
	}
	j.mu.Lock()
	if last != nil && last.end() > off {
		last.size = off - last.Base
	}
	j.chain = keep
	j.end, j.mark, j.tipDB = off, off, db
	j.mem.truncate(off)
	j.mu.Unlock()
	if j.active != nil && j.activeSeg == last {
		j.activeSize = last.size
	}
	return nil
}

// SwitchReplID records that the stream continues under newID from the
// current tip (+CONTINUE <newid>): a new segment starts there, or the
// active segment's header is rewritten when it holds no byte yet.
func (j *Journal) SwitchReplID(newID string) error {
	if !rdb.ValidReplID(newID) {
		return fmt.Errorf("journal: invalid replication id %q", newID)
	}
	j.mu.Lock()
	tip, db, cur := j.end, j.tipDB, j.tipIDLocked()
	if tip != j.mark {
		db = UnknownDB
	}
	var last *segment
	if n := len(j.chain); n > 0 {
		last = j.chain[n-1]
	}
	j.mu.Unlock()
	if cur == newID {
		return nil
	}
	h := Header{Base: tip, DB: db, ReplID: newID, PrevID: cur}
	if last != nil && last.size == 0 && last.Base == tip {
		// Replace the empty segment: one switch from its prev to newID.
		h.PrevID, h.DB = last.PrevID, last.DB
		if j.active != nil && j.activeSeg == last {
			if err := j.closeActive(); err != nil {
				return j.broken(err)
			}
		}
		j.mu.Lock()
		j.chain = j.chain[:len(j.chain)-1]
		j.mu.Unlock()
	}
	if err := j.rotate(h); err != nil {
		return j.broken(err)
	}
	return nil
}

// Restart begins a new history at st (after a full sync): the journal
// forgets its chain (the files stay until DropStale, so the previous
// snapshot keeps its journal until the new snapshot is committed) and
// creates an empty segment at st. No reader may be active.
func (j *Journal) Restart(st State) error {
	if !rdb.ValidReplID(st.ReplID) {
		return fmt.Errorf("journal: invalid replication id %q", st.ReplID)
	}
	if err := j.closeActive(); err != nil {
		j.log.Warn("closing the previous journal segment", "err", err)
	}
	j.mu.Lock()
	j.chain = nil
	j.baseID = st.ReplID
	j.end, j.mark, j.tipDB = st.Offset, st.Offset, st.DB
	j.mem.reset(st.Offset)
	j.err = nil
	j.mu.Unlock()
	if err := j.rotate(Header{Base: st.Offset, DB: st.DB, ReplID: st.ReplID, PrevID: st.ReplID}); err != nil {
		return j.broken(err)
	}
	return nil
}

// DropStale removes every segment file that is not part of the current
// chain (the previous history, once a new snapshot is committed).
func (j *Journal) DropStale() error {
	j.mu.Lock()
	keep := map[string]bool{}
	for _, s := range j.chain {
		keep[s.path] = true
	}
	j.files = nil
	j.mu.Unlock()
	ents, err := os.ReadDir(j.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(j.dir, e.Name())
		if strings.HasSuffix(e.Name(), segSuffix) && !keep[p] {
			if err := j.remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// DropBefore removes the segments a snapshot at off covers entirely. The
// active segment is kept unless includeActive (the writer is stopped).
func (j *Journal) DropBefore(off int64, includeActive bool) (int, error) {
	j.mu.Lock()
	var drop []*segment
	n := len(j.chain)
	i := 0
	for ; i < n; i++ {
		s := j.chain[i]
		covered := s.end() <= off && s.Base < off
		if !covered || (i == n-1 && !includeActive) {
			break // the last segment is the writer's
		}
		drop = append(drop, s)
	}
	j.chain = j.chain[i:]
	if len(drop) > 0 {
		j.baseID = drop[len(drop)-1].ReplID
	}
	j.mu.Unlock()
	for k, s := range drop {
		if k == len(drop)-1 && i == n {
			// The whole chain went: close the writer's file first.
			if err := j.closeActive(); err != nil {
				return 0, err
			}
		}
		if err := j.remove(s.path); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

// Seal tells readers no more bytes will come: following readers return
// io.EOF once they reach the end.
func (j *Journal) Seal() {
	j.mu.Lock()
	j.sealed = true
	j.mu.Unlock()
	j.cond.Broadcast()
}

// Unseal undoes Seal.
func (j *Journal) Unseal() {
	j.mu.Lock()
	j.sealed = false
	j.mu.Unlock()
}

// Sync forces the active segment to disk now.
func (j *Journal) Sync() error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	return j.syncLocked()
}

func (j *Journal) syncLocked() error {
	j.mu.Lock()
	f, dirty := j.active, j.dirty
	j.dirty = false
	j.mu.Unlock()
	if f == nil || !dirty {
		return nil
	}
	err := j.fault("sync")
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		j.mu.Lock()
		j.dirty = true
		if j.err == nil {
			j.err = fmt.Errorf("%w: fsync of the journal: %w", ErrBroken, err)
		}
		j.mu.Unlock()
		return err
	}
	return nil
}

func (j *Journal) syncLoop() {
	defer close(j.syncDone)
	t := time.NewTicker(j.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-j.stopSync:
			return
		case <-t.C:
			if err := j.Sync(); err != nil {
				j.log.Error("journal fsync failed", "err", err)
			}
		}
	}
}

// Close stops the fsync goroutine, syncs and closes the active segment.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed, j.sealed = true, true
	j.mu.Unlock()
	j.cond.Broadcast()
	if j.stopSync != nil {
		close(j.stopSync)
		<-j.syncDone
	}
	return j.closeActive()
}

// Reader returns a reader of the stream bytes after offset from, up to
// the end (possibly inside a command). A following reader (follow)
// blocks for more until Stop, Seal or Close; a replay reader returns
// io.EOF at the end.
func (j *Journal) Reader(from int64, follow bool) *Reader {
	return &Reader{j: j, pos: from, follow: follow}
}

// Reader reads the journal sequentially: from the in-memory tail when
// the bytes are still there, else from the segment files. One goroutine
// uses a Reader; Stop may be called from any goroutine.
type Reader struct {
	j       *Journal
	pos     int64
	follow  bool
	stopped bool // guarded by j.mu
	f       *os.File
	fpath   string
}

// Pos returns the offset of the last byte read.
func (r *Reader) Pos() int64 { return r.pos }

// Stop makes a blocked or later Read return ErrStopped.
func (r *Reader) Stop() {
	r.j.mu.Lock()
	r.stopped = true
	r.j.mu.Unlock()
	r.j.cond.Broadcast()
}

// Close releases the reader's file.
func (r *Reader) Close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	j := r.j
	j.mu.Lock()
	var limit int64
	for {
		if r.stopped {
			j.mu.Unlock()
			return 0, ErrStopped
		}
		limit = j.end
		if r.pos < limit {
			break
		}
		if !r.follow || j.sealed {
			j.mu.Unlock()
			return 0, io.EOF
		}
		j.cond.Wait()
	}
	want := int(min(int64(len(p)), limit-r.pos))
	if r.pos >= j.mem.base {
		n := j.mem.copyAt(p[:want], r.pos)
		r.pos += int64(n)
		j.mu.Unlock()
		return n, nil
	}
	// Older than the in-memory tail: read the segment file.
	var seg *segment
	for _, s := range j.chain {
		if s.from <= r.pos && r.pos < s.end() {
			seg = s
			break
		}
	}
	if seg == nil {
		j.mu.Unlock()
		return 0, fmt.Errorf("journal: no segment holds byte %d", r.pos+1)
	}
	want = int(min(int64(want), seg.end()-r.pos, j.mem.base-r.pos))
	path, at := seg.path, HeaderSize+r.pos-seg.Base
	j.mu.Unlock()
	if r.fpath != path {
		r.Close()
		f, err := os.Open(path)
		if err != nil {
			return 0, fmt.Errorf("journal: %w", err)
		}
		r.f, r.fpath = f, path
	}
	n, err := r.f.ReadAt(p[:want], at)
	r.pos += int64(n)
	if n > 0 {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return 0, fmt.Errorf("journal: reading %s: %w", path, err)
}
