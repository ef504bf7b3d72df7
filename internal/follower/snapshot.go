package follower

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/store"
)

func (f *Follower) snapshotPath() string { return filepath.Join(f.cfg.Dir, SnapshotFile) }

// start loads the snapshot, recovers the journal that continues it and
// replays it (New).
func (f *Follower) start() error {
	f.removeTemp()
	base, err := f.loadSnapshot()
	if err != nil {
		return err
	}
	f.j, err = journal.Open(filepath.Join(f.cfg.Dir, JournalDir), journal.Options{
		Fsync:        f.cfg.Fsync,
		SegmentBytes: f.cfg.SegmentBytes,
		MemoryBytes:  f.cfg.JournalMemory,
		Logger:       f.log,
		Fault:        f.cfg.diskFault,
	})
	if err != nil {
		return err
	}
	rec, err := f.j.Recover(base)
	switch {
	case errors.Is(err, journal.ErrMismatch):
		// Never a wrong partial resync: keep serving the snapshot, but ask
		// for a full one (protocol.md §5.5).
		f.log.Error("the journal does not match the snapshot: it was dropped, and the next sync is a full resync", "err", err)
		f.forceFull.Store(true)
		f.publishReplID()
		return nil
	case err != nil:
		return err
	}
	if rec.Discarded > 0 {
		f.log.Info("removed journal segments that do not continue the snapshot", "segments", rec.Discarded)
	}
	if base.ReplID == "" {
		f.publishReplID()
		return nil
	}
	if rec.Bytes > 0 {
		start := time.Now()
		cmds := f.commands.Load()
		rd := f.j.Reader(base.Offset, false)
		err := f.applyLoop(rd, true)
		rd.Close()
		if err != nil {
			return fmt.Errorf("replaying the journal: %w", err)
		}
		applied := f.applied.Load()
		if cut := rec.End - applied; cut > 0 {
			f.log.Warn("cut the journal's torn tail (a command or MULTI block the stream had not finished)",
				"bytes", cut, "at_offset", applied)
		}
		f.mu.Lock()
		f.replayed = applied - base.Offset
		f.mu.Unlock()
		f.log.Info("journal replayed", "segments", rec.Segments, "bytes", applied-base.Offset,
			"commands", f.commands.Load()-cmds, "offset", applied, "repl_id", f.j.ReplIDAt(applied),
			"took", time.Since(start).Round(time.Millisecond))
	}
	if err := f.j.TruncateTo(f.applied.Load(), f.applier.DB()); err != nil {
		return fmt.Errorf("cutting the journal's torn tail: %w", err)
	}
	f.publishReplID()
	f.publishDB()
	return nil
}

// removeTemp deletes files a crash left behind: unfinished full-sync
// payloads and snapshot temp files.
func (f *Follower) removeTemp() {
	ents, err := os.ReadDir(f.cfg.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".fullsync-") || strings.HasPrefix(n, "."+SnapshotFile+".tmp-") {
			os.Remove(filepath.Join(f.cfg.Dir, n))
		}
	}
}

// loadSnapshot loads <dir>/dump.rdb when present and returns the
// replication state it holds (ReplID "" when none).
func (f *Follower) loadSnapshot() (journal.State, error) {
	path := f.snapshotPath()
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		f.log.Info("no snapshot in the data directory: the first sync will be a full resync", "dir", f.cfg.Dir)
		return journal.State{}, nil
	}
	if err != nil {
		return journal.State{}, fmt.Errorf("opening snapshot: %w", err)
	}
	defer file.Close()
	fi, _ := file.Stat()
	defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	start := time.Now()
	opts := rdbload.Options{Logger: f.log}
	if fi != nil {
		opts.InputSize = fi.Size()
	}
	st, info, err := rdbload.Load(file, opts)
	if err != nil {
		return journal.State{}, fmt.Errorf("snapshot %s is unreadable (%w); move it away to start over with a full resync", path, err)
	}
	f.store.ReplaceWith(st)
	f.rdbVersion = info.Version
	f.masterAux = masterAux(info.Aux)
	f.mu.Lock()
	f.snapshotKeys = info.Keys
	f.mu.Unlock()
	f.snap = snapInfo{exists: true, offset: -1, at: fi.ModTime()}
	if !validReplState(info) {
		f.log.Warn("snapshot has no replication state (repl-id/repl-offset/repl-stream-db): the first sync will be a full resync", "path", path, "keys", info.Keys)
		return journal.State{}, nil
	}
	f.snap.replID, f.snap.offset, f.snap.db = info.ReplID, info.ReplOffset, info.ReplStreamDB
	f.applied.Store(info.ReplOffset)
	f.applier.SetDB(info.ReplStreamDB)
	f.mu.Lock()
	f.pubSnapOff = info.ReplOffset
	f.mu.Unlock()
	f.publishDB()
	f.log.Info("snapshot loaded", "path", path, "keys", info.Keys, "repl_id", info.ReplID,
		"repl_offset", info.ReplOffset, "db", info.ReplStreamDB, "took", time.Since(start).Round(time.Millisecond))
	return journal.State{ReplID: info.ReplID, Offset: info.ReplOffset, DB: info.ReplStreamDB}, nil
}

func validReplState(info *rdbload.Info) bool {
	return rdb.ValidReplID(info.ReplID) && info.ReplOffset >= 0 && info.ReplStreamDB >= 0 && store.ValidDB(info.ReplStreamDB)
}

// masterAux keeps the aux fields worth writing back into our snapshots
// (the producing server's version), dropping the ones we regenerate.
func masterAux(aux []rdbload.AuxField) []rdbsave.AuxField {
	var out []rdbsave.AuxField
	for _, a := range aux {
		switch a.Key {
		case "redis-ver", "valkey-ver", "redis-bits":
			out = append(out, rdbsave.AuxField{Key: a.Key, Value: a.Value})
		}
	}
	return out
}

// snapshotVersion is the RDB version our snapshots are written in: the
// master's, or the oldest we write when the master's is older.
func snapshotVersion(v int) int {
	switch {
	case v == 0:
		return rdbsave.DefaultVersion
	case v == rdb.ValkeyVersion80 || (v >= 9 && v <= 12):
		return v
	case v < 9:
		return 9
	}
	return rdbsave.DefaultVersion
}

// SaveSnapshot writes <dir>/dump.rdb now, with the replication state it
// matches, and drops the journal it covers. It must not run while Run
// does (Run writes one when it stops).
func (f *Follower) SaveSnapshot() error {
	return f.compact(false)
}

// compact writes a snapshot of the store at the applied offset (a command
// boundary outside MULTI) and drops the journal segments it covers; with
// final, the active segment too (a background compaction under way is
// stopped first, or taken over when done). Applying pauses meanwhile;
// readers and the socket reader do not. It runs in the applying
// goroutine.
func (f *Follower) compact(final bool) error {
	f.joinBackground()
	off := f.applied.Load()
	replID := f.j.ReplIDAt(off)
	if f.forceFull.Load() {
		replID = ""
	}
	db := f.applier.DB()
	unchanged := f.snap.exists && f.snap.replID == replID && f.snap.offset == off && f.snap.db == db
	if replID == "" && f.store.Keys() == 0 && !f.snap.exists {
		return nil // never synced: nothing to save
	}
	if !unchanged {
		if err := f.writeSnapshot(replID, off, db); err != nil {
			return err
		}
	}
	if replID != "" {
		if _, err := f.j.DropBefore(off, final); err != nil {
			return disk(fmt.Errorf("dropping the journal the snapshot covers: %w", err))
		}
	}
	return nil
}

// saveStore writes st as the snapshot file (atomically replaced).
func (f *Follower) saveStore(st *store.Store, aux []rdbsave.AuxField) error {
	path := f.snapshotPath()
	if err := f.fault("snapshot"); err != nil {
		return disk(fmt.Errorf("writing snapshot %s: %w", path, err))
	}
	err := rdbsave.WriteFile(path, st, rdbsave.Options{Version: snapshotVersion(f.rdbVersion), Aux: aux})
	if err != nil {
		if errors.Is(err, rdbsave.ErrUnrepresentable) {
			return fmt.Errorf("writing snapshot %s: %w", path, err)
		}
		return disk(fmt.Errorf("writing snapshot %s: %w", path, err))
	}
	return nil
}

func (f *Follower) writeSnapshot(replID string, off int64, db int) error {
	aux := f.snapshotAux(replID, off, db)
	start := time.Now()
	f.store.RLock()
	keys := f.store.Keys()
	err := f.saveStore(f.store, aux)
	f.store.RUnlock()
	if err != nil {
		return err
	}
	took := time.Since(start)
	si := snapInfo{exists: true, replID: replID, offset: off, db: db, at: f.cfg.Now()}
	if replID == "" {
		si.offset = -1
	}
	f.snap = si
	f.snapshotWritten(si, keys, took, "")
	return nil
}

// snapshotWritten publishes a snapshot now on disk (any goroutine: the
// applying one owns f.snap and sets it itself).
func (f *Follower) snapshotWritten(si snapInfo, keys int, took time.Duration, how string) {
	f.compactions.Add(1)
	f.lastCompact.Store(int64(took))
	f.mu.Lock()
	f.savedPath = f.snapshotPath()
	f.pubSnapOff = si.offset
	f.mu.Unlock()
	msg := "snapshot written"
	if how != "" {
		msg += " " + how
	}
	f.log.Info(msg, "path", f.snapshotPath(), "keys", keys, "repl_id", si.replID, "repl_offset", si.offset,
		"db", si.db, "took", took.Round(time.Millisecond))
}

// snapshotAux is the AUX fields of a snapshot at (replID, off, db).
func (f *Follower) snapshotAux(replID string, off int64, db int) []rdbsave.AuxField {
	aux := append([]rdbsave.AuxField(nil), f.masterAux...)
	if len(aux) == 0 {
		aux = append(aux, rdbsave.AuxField{Key: "redis-ver", Value: "7.0.0"}, rdbsave.AuxField{Key: "redis-bits", Value: "64"})
	}
	aux = append(aux,
		rdbsave.AuxField{Key: "ctime", Value: strconv.FormatInt(f.cfg.Now().Unix(), 10)},
		rdbsave.AuxField{Key: "used-mem", Value: "0"},
	)
	if replID != "" {
		aux = append(aux,
			rdbsave.AuxField{Key: "repl-stream-db", Value: strconv.Itoa(db)},
			rdbsave.AuxField{Key: "repl-id", Value: replID},
			rdbsave.AuxField{Key: "repl-offset", Value: strconv.FormatInt(off, 10)},
		)
	}
	return append(aux, rdbsave.AuxField{Key: "aof-base", Value: "0"})
}

// maybeCompact compacts when the journal passed the size or age
// threshold (applying goroutine, at a commit point). The clock is read
// only every 1024 commit points, or when idle (nothing left to apply).
//
// Compaction runs in the background when it can (compactBackground):
// applying goes on, and the snapshot is taken over once written. Without
// a snapshot to start from (or with CompactPause) applying pauses while
// the store is written.
func (f *Follower) maybeCompact(idle bool) {
	if f.bg != nil {
		select {
		case <-f.bg.done:
			f.finishBackground()
		default:
		}
		return
	}
	off := f.applied.Load()
	due := off-f.snap.offset >= f.cfg.CompactBytes
	if !due && f.cfg.CompactAge > 0 {
		if f.sinceCheck++; f.sinceCheck >= 1024 || idle {
			f.sinceCheck = 0
			due = off != f.snap.offset && f.cfg.Now().Sub(f.snap.at) >= f.cfg.CompactAge
		}
	}
	if !due || f.cfg.Now().Before(f.compactRetry) {
		return
	}
	if !f.cfg.CompactPause && f.snap.exists && f.snap.replID != "" && f.snap.offset >= 0 && !f.forceFull.Load() {
		f.bg = f.compactBackground(off, f.j.ReplIDAt(off), f.applier.DB())
		return
	}
	if err := f.compact(false); err != nil {
		f.compactRetry = f.cfg.Now().Add(time.Minute)
		f.log.Error("compaction failed: the journal keeps growing until it succeeds (retry in 1m)", "err", err)
		return
	}
	f.publishSnapshot()
}

// bgCompact is a compaction under way in the background.
type bgCompact struct {
	rd      *journal.Reader
	done    chan struct{}
	stopped bool // joinBackground stopped it (applying goroutine)
	// Set before done closes.
	snap snapInfo
	err  error
}

// compactBackground writes the snapshot at offset off (a commit point,
// with replID and db there) without pausing the applier, the way a
// restart would rebuild that state: it loads the current snapshot into a
// second store, replays the journal from the snapshot's offset to off
// into it, checks it arrived exactly there, and writes it. The cost is
// the memory of a second copy of the dataset while it runs (as a forked
// Redis may need in the worst case) and one core's time.
func (f *Follower) compactBackground(off int64, replID string, db int) *bgCompact {
	base := f.snap
	aux := f.snapshotAux(replID, off, db)
	bg := &bgCompact{rd: f.j.Reader(base.offset, false), done: make(chan struct{})}
	f.log.Info("compacting in the background", "from_offset", base.offset, "to_offset", off)
	go func() {
		defer close(bg.done)
		defer bg.rd.Close()
		start := time.Now()
		st, err := f.replayInto(bg.rd, base, off, db)
		if err == nil {
			err = f.saveStore(st, aux)
		}
		bg.err = err
		bg.snap = snapInfo{exists: true, replID: replID, offset: off, db: db, at: f.cfg.Now()}
		if err != nil {
			return
		}
		// Published and the journal it covers dropped right away: the
		// applier may be waiting for the stream. It takes bg.snap over
		// at its next commit point (or when joined), before it decides
		// on another compaction.
		f.snapshotWritten(bg.snap, st.Keys(), time.Since(start), "in the background")
		if _, err := f.j.DropBefore(off, false); err != nil {
			f.log.Error("dropping the journal the snapshot covers", "err", err)
		}
	}()
	return bg
}

// replayInto loads the snapshot file (at base) into a new store and
// applies the journal from base.offset to off to it.
func (f *Follower) replayInto(rd io.Reader, base snapInfo, off int64, db int) (*store.Store, error) {
	path := f.snapshotPath()
	file, err := os.Open(path)
	if err != nil {
		return nil, disk(fmt.Errorf("opening snapshot %s: %w", path, err))
	}
	defer file.Close()
	opts := rdbload.Options{Logger: f.log, Workers: 1}
	if fi, err := file.Stat(); err == nil {
		opts.InputSize = fi.Size()
	}
	st, _, err := rdbload.Load(file, opts)
	if err != nil {
		return nil, fmt.Errorf("reading snapshot %s back: %w", path, err)
	}
	cfg := f.cfg
	cfg.applyHook, cfg.Logger = nil, slog.New(slog.DiscardHandler) // said once already, live
	sh := newApplying(cfg, st)
	sh.applier.SetDB(base.db)
	sh.applied.Store(base.offset)
	if err := sh.applyLoop(io.LimitReader(rd, off-base.offset), true); err != nil {
		return nil, fmt.Errorf("replaying the journal: %w", err)
	}
	if got := sh.applied.Load(); got != off || sh.applier.DB() != db {
		return nil, fmt.Errorf("replaying the journal reached offset %d (db %d), not %d (db %d)", got, sh.applier.DB(), off, db)
	}
	return st, nil
}

// finishBackground takes over the snapshot a background compaction wrote
// (applying goroutine; the compaction itself published it and dropped the
// journal it covers), or notes its failure.
func (f *Follower) finishBackground() {
	bg := f.bg
	f.bg = nil
	if bg.err != nil {
		if bg.stopped {
			f.log.Debug("background compaction stopped", "err", bg.err)
			return
		}
		f.compactRetry = f.cfg.Now().Add(time.Minute)
		f.log.Error("background compaction failed: the journal keeps growing until one succeeds (retry in 1m)", "err", bg.err)
		return
	}
	f.snap = bg.snap
}

// joinBackground stops a background compaction and waits for it
// (applying goroutine, before anything else writes the snapshot or
// rewrites the journal). One that finished is taken over.
func (f *Follower) joinBackground() {
	if f.bg == nil {
		return
	}
	f.bg.stopped = true
	f.bg.rd.Stop()
	<-f.bg.done
	f.finishBackground()
}

func (f *Follower) publishSnapshot() {
	f.mu.Lock()
	f.pubSnapOff = f.snap.offset
	f.mu.Unlock()
}
