package follower

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/store"
)

// State is where the follower is in its lifecycle.
type State int32

// Lifecycle states.
const (
	StateStarting State = iota
	StateConnecting
	StateLoading // receiving and decoding a full-sync payload
	StateStreaming
	StateBackoff
	StateStopped
)

func (s State) String() string {
	return [...]string{"starting", "connecting", "loading", "streaming", "backoff", "stopped"}[s]
}

// loadGCPercent is the GOGC used while an RDB loads.
const loadGCPercent = 400

// SnapshotFile is the snapshot's name inside the data directory.
const SnapshotFile = "dump.rdb"

// FatalError stops the follower: retrying cannot help.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// IsFatal reports whether err should stop the follower.
func IsFatal(err error) bool {
	var fe *FatalError
	return errors.As(err, &fe) || psync.ClassOf(err) == psync.Fatal
}

// Status is a point-in-time view of the follower.
type Status struct {
	State         State
	ReplID        string
	Offset        int64 // applied offset
	DB            int   // selected DB at Offset
	FullSyncs     int64
	PartialSyncs  int64
	Commands      int64
	Unknown       map[string]int64 // unapplicable commands by name
	ApplyErrors   int64
	Diverged      int // keys marked diverged
	LastError     string
	SnapshotKeys  int64 // keys in the snapshot loaded at start (-1: none)
	SnapshotSaved string
}

// Follower replicates one master into an embedded store.
type Follower struct {
	cfg Config
	log *slog.Logger

	store   *store.Store
	applier *apply.Applier

	// Replication state; written only by the Run goroutine.
	replID     string
	applied    atomic.Int64
	loading    atomic.Bool // a full sync is in progress: ACK 0
	rdbVersion int
	masterAux  []rdbsave.AuxField

	state        atomic.Int32
	fullSyncs    atomic.Int64
	partialSyncs atomic.Int64
	commands     atomic.Int64
	applyErrors  atomic.Int64

	mu           sync.Mutex // guards the fields below
	pubReplID    string     // copies of replID and the DB for Status
	pubDB        int
	unknown      map[string]int64
	diverged     map[string]struct{}
	lastErr      string
	snapshotKeys int64
	savedPath    string

	lock *os.File // data-dir lock
}

// New validates cfg, locks the data directory and loads its snapshot, if
// any, so that Run resumes with a partial resync.
func New(cfg Config) (*Follower, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Follower{
		cfg:          cfg,
		log:          cfg.Logger,
		store:        store.New(),
		unknown:      map[string]int64{},
		diverged:     map[string]struct{}{},
		snapshotKeys: -1,
	}
	f.applier = apply.New(f.store, apply.Options{Now: func() int64 { return cfg.Now().UnixMilli() }, Logger: cfg.Logger})
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.Dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another redis-follower (%w)", cfg.Dir, err)
	}
	f.lock = lock
	if err := f.loadSnapshot(); err != nil {
		f.Close()
		return nil, err
	}
	f.state.Store(int32(StateStarting))
	return f, nil
}

// Close releases the data directory. Run calls it on return.
func (f *Follower) Close() {
	if f.lock != nil {
		f.lock.Close()
		f.lock = nil
	}
}

// Store returns the follower's store (hold its read lock to read).
func (f *Follower) Store() *store.Store { return f.store }

// Status returns the follower's current status.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := Status{
		State:         State(f.state.Load()),
		Offset:        f.applied.Load(),
		FullSyncs:     f.fullSyncs.Load(),
		PartialSyncs:  f.partialSyncs.Load(),
		Commands:      f.commands.Load(),
		ApplyErrors:   f.applyErrors.Load(),
		Unknown:       make(map[string]int64, len(f.unknown)),
		Diverged:      len(f.diverged),
		LastError:     f.lastErr,
		SnapshotKeys:  f.snapshotKeys,
		SnapshotSaved: f.savedPath,
	}
	for k, v := range f.unknown {
		st.Unknown[k] = v
	}
	// replID and db are owned by the Run goroutine; a racy read of a
	// string header is not allowed, so they are published under mu.
	st.ReplID, st.DB = f.pubReplID, f.pubDB
	return st
}

func (f *Follower) setState(s State) {
	if old := State(f.state.Swap(int32(s))); old != s {
		f.log.Info("state", "from", old.String(), "to", s.String())
	}
}

func (f *Follower) setErr(err error) {
	f.mu.Lock()
	f.lastErr = err.Error()
	f.mu.Unlock()
}

func (f *Follower) snapshotPath() string { return filepath.Join(f.cfg.Dir, SnapshotFile) }

// loadSnapshot loads <dir>/dump.rdb when present.
func (f *Follower) loadSnapshot() error {
	path := f.snapshotPath()
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		f.log.Info("no snapshot in the data directory: the first sync will be a full resync", "dir", f.cfg.Dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening snapshot: %w", err)
	}
	defer file.Close()
	defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	start := time.Now()
	st, info, err := rdbload.Load(file, rdbload.Options{Logger: f.log})
	if err != nil {
		return fmt.Errorf("snapshot %s is unreadable (%w); move it away to start over with a full resync", path, err)
	}
	f.store.ReplaceWith(st)
	f.rdbVersion = info.Version
	f.masterAux = masterAux(info.Aux)
	f.mu.Lock()
	f.snapshotKeys = info.Keys
	f.mu.Unlock()
	if validReplState(info) {
		f.replID = info.ReplID
		f.applied.Store(info.ReplOffset)
		f.applier.SetDB(info.ReplStreamDB)
		f.publish()
		f.log.Info("snapshot loaded", "path", path, "keys", info.Keys, "repl_id", info.ReplID,
			"repl_offset", info.ReplOffset, "db", info.ReplStreamDB, "took", time.Since(start).Round(time.Millisecond))
	} else {
		f.log.Warn("snapshot has no replication state (repl-id/repl-offset/repl-stream-db): the first sync will be a full resync", "path", path, "keys", info.Keys)
	}
	return nil
}

func validReplState(info *rdbload.Info) bool {
	return len(info.ReplID) == 40 && info.ReplOffset >= 0 && info.ReplStreamDB >= 0 && store.ValidDB(info.ReplStreamDB)
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

// publish copies the Run goroutine's replication state for Status.
func (f *Follower) publish() {
	f.mu.Lock()
	f.pubReplID, f.pubDB = f.replID, f.applier.DB()
	f.mu.Unlock()
}

// Run replicates until ctx is cancelled (then it stops at a command
// boundary, writes the snapshot and returns nil) or a fatal error occurs
// (returned, after writing the snapshot of the last consistent state).
func (f *Follower) Run(ctx context.Context) (err error) {
	defer f.Close()
	defer func() {
		f.setState(StateStopped)
		if serr := f.SaveSnapshot(); serr != nil {
			f.log.Error("writing the snapshot failed", "err", serr)
			if err == nil {
				err = serr
			}
		}
	}()
	backoff := f.cfg.BackoffMin
	for {
		if ctx.Err() != nil {
			return nil
		}
		f.setState(StateConnecting)
		streamed, err := f.connectAndRun(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("link closed")
		}
		f.setErr(err)
		if IsFatal(err) {
			f.log.Error("stopping: this needs a configuration change, retrying cannot fix it", "err", err)
			return err
		}
		if psync.ClassOf(err) == psync.Protocol {
			f.log.Warn("the master sent something we cannot interpret: dropping the replication state, the next sync is a full resync", "err", err)
			f.replID = ""
			f.publish()
		}
		if streamed {
			backoff = f.cfg.BackoffMin
		}
		f.setState(StateBackoff)
		f.log.Warn("replication link down, reconnecting", "err", err, "retry_in", backoff.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, f.cfg.BackoffMax)
	}
}

// connectAndRun runs one connection: handshake, full sync if needed, then
// the stream until an error. streamed reports whether it got that far.
func (f *Follower) connectAndRun(ctx context.Context) (streamed bool, err error) {
	link, err := psync.Dial(ctx, f.cfg.Link, f.replID, f.applied.Load())
	if err != nil {
		return false, err
	}
	defer link.Close()
	stop := context.AfterFunc(ctx, func() { link.Close() })
	defer stop()

	res := link.Result
	if res.Full {
		f.log.Info("full resync", "repl_id", res.ReplID, "offset", res.Offset)
		f.loading.Store(true)
		// Keep the master's replica timeout at bay while we load.
		link.StartAcks(f.cfg.AckInterval, f.ackOffset)
		err := f.fullSync(link, res)
		f.loading.Store(false)
		if err != nil {
			return false, err
		}
		if err := link.SendAck(f.applied.Load()); err != nil { // a diskless master waits for it
			return false, err
		}
	} else {
		f.partialSyncs.Add(1)
		if res.IDChanged {
			f.log.Info("partial resync with a new replication id", "old_repl_id", f.replID, "repl_id", res.ReplID, "offset", res.Offset)
		} else {
			f.log.Info("partial resync", "repl_id", res.ReplID, "offset", res.Offset)
		}
		f.replID = res.ReplID
		f.publish()
		link.StartAcks(f.cfg.AckInterval, f.ackOffset)
	}
	f.setState(StateStreaming)
	return true, f.stream(link)
}

func (f *Follower) ackOffset() int64 {
	if f.loading.Load() {
		return 0 // releases the stream without claiming unapplied data
	}
	return f.applied.Load()
}

// fullSync decodes the payload into a fresh store and swaps it in only
// once it checked out completely (structure, CRC, exact length).
func (f *Follower) fullSync(link *psync.Link, res psync.Result) error {
	f.setState(StateLoading)
	payload, pre, err := link.Payload()
	if err != nil {
		return err
	}
	if pre.Length >= 0 {
		f.log.Info("receiving RDB", "bytes", pre.Length)
	} else {
		f.log.Info("receiving RDB (diskless)")
	}
	// A load allocates long-lived data almost only: collecting less often
	// while it runs saves a third of its time.
	defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	start := time.Now()
	last := start
	progress := func(bytes, keys int64) {
		if now := time.Now(); now.Sub(last) >= f.cfg.ProgressInterval {
			last = now
			secs := now.Sub(start).Seconds()
			f.log.Info("full sync progress", "mb", bytes>>20, "keys", keys, "mb_per_s", int(float64(bytes>>20)/secs))
		}
	}
	st, info, err := rdbload.Load(payload, rdbload.Options{Logger: f.log, Progress: progress})
	if err != nil {
		return fmt.Errorf("full sync failed, keeping the previous data: %w", err)
	}
	db := info.ReplStreamDB
	if db < 0 || !store.ValidDB(db) {
		db = 0
	}
	f.store.Lock()
	f.store.ReplaceWith(st)
	f.applier.SetDB(db)
	f.store.Unlock()
	f.replID = res.ReplID
	f.applied.Store(res.Offset)
	f.rdbVersion = info.Version
	f.masterAux = masterAux(info.Aux)
	f.publish()
	f.fullSyncs.Add(1)
	f.log.Info("full sync loaded", "keys", info.Keys, "bytes", info.Bytes, "rdb_version", info.Version,
		"took", time.Since(start).Round(time.Millisecond), "db", db)
	return nil
}

func isCmd(name []byte, want string) bool {
	return len(name) == len(want) && bytes.EqualFold(name, []byte(want))
}

// stream applies the replication stream. The applied offset only moves at
// command boundaries, and inside MULTI only at EXEC.
func (f *Follower) stream(link *psync.Link) error {
	var (
		pending int64 // bytes received since the last commit point
		inMulti bool
		queue   [][][]byte
		arena   []byte // backing store for queued MULTI commands
	)
	commit := func() {
		f.applied.Add(pending)
		pending = 0
	}
	for {
		args, n, err := link.ReadCommand()
		if err != nil {
			return err
		}
		pending += int64(n)
		name := args[0]
		switch {
		case isCmd(name, "MULTI"):
			inMulti, queue, arena = true, queue[:0], arena[:0]
			continue
		case isCmd(name, "EXEC"):
			if err := f.applyBatch(queue); err != nil {
				return err // nothing of the batch was applied
			}
			inMulti = false
			commit()
			f.publish()
			continue
		case inMulti:
			queue, arena = appendQueued(queue, arena, args)
			continue
		case isCmd(name, "REPLCONF"):
			if len(args) >= 2 && isCmd(args[1], "GETACK") {
				commit()
				if err := link.SendAck(f.applied.Load()); err != nil {
					return err
				}
			}
			commit()
			continue
		}
		if err := f.applyOne(args); err != nil {
			return err
		}
		commit()
		if isCmd(name, "SELECT") {
			f.publish()
		}
	}
}

// appendQueued copies a command into arena (copy once) and queues views.
func appendQueued(queue [][][]byte, arena []byte, args [][]byte) ([][][]byte, []byte) {
	size := 0
	for _, a := range args {
		size += len(a)
	}
	if cap(arena)-len(arena) < size {
		// Start a new arena; earlier queued views keep the old one alive.
		arena = make([]byte, 0, max(2*cap(arena), size, 4096))
	}
	cmd := make([][]byte, len(args))
	for i, a := range args {
		start := len(arena)
		arena = append(arena, a...)
		cmd[i] = arena[start:len(arena):len(arena)]
	}
	return append(queue, cmd), arena
}

// applyOne applies a command outside MULTI. An unknown command changes
// nothing, so under the stop policy returning before the commit leaves the
// offset at the last good command.
func (f *Follower) applyOne(args [][]byte) error {
	f.store.Lock()
	err := f.applier.Apply(args)
	f.store.Unlock()
	f.commands.Add(1)
	return f.afterApply(args, err)
}

// applyBatch applies a MULTI/EXEC block atomically for readers. If any
// command in it cannot be applied under the stop policy, none is.
func (f *Follower) applyBatch(queue [][][]byte) error {
	for _, args := range queue {
		if err := f.checkApplicable(args); err != nil {
			return err
		}
	}
	f.store.Lock()
	defer f.store.Unlock()
	for _, args := range queue {
		err := f.applier.Apply(args)
		f.commands.Add(1)
		if err := f.afterApply(args, err); err != nil {
			return err
		}
	}
	return nil
}

// checkApplicable refuses, before anything is applied, a command the
// stop policy would stop at.
func (f *Follower) checkApplicable(args [][]byte) error {
	if f.cfg.OnUnknown == OnUnknownSkip {
		return nil
	}
	if err := apply.Check(args); err != nil {
		return &FatalError{fmt.Errorf("stopping before %q at offset %d (policy --on-unknown=stop; the snapshot stays exact): %w",
			args[0], f.applied.Load(), err)}
	}
	return nil
}

// afterApply classifies an Apply error: skipped unknown commands and
// command errors mark keys diverged; unsupported forms stop the follower.
func (f *Follower) afterApply(args [][]byte, err error) error {
	if err == nil {
		return nil
	}
	name := string(bytes.ToUpper(args[0]))
	unknown := errors.Is(err, apply.ErrUnknownCommand) || errors.Is(err, apply.ErrUnsupported)
	switch {
	case unknown && f.cfg.OnUnknown == OnUnknownStop:
		return &FatalError{fmt.Errorf("stopping before %q at offset %d (policy --on-unknown=stop; the snapshot stays exact): %w",
			name, f.applied.Load(), err)}
	case unknown:
		f.mu.Lock()
		f.unknown[name]++
		first := f.unknown[name] == 1
		f.mu.Unlock()
		if first {
			f.log.Warn("skipping a command the follower cannot apply (policy --on-unknown=skip); the keys it touches are marked diverged", "command", name, "err", err)
		}
	default:
		f.applyErrors.Add(1)
		f.log.Debug("command failed to apply; key marked diverged", "command", name, "err", err)
	}
	f.mu.Lock()
	touched := f.applier.Touched()
	for _, t := range touched {
		f.diverged[strconv.Itoa(t.DB)+"/"+string(t.Key)] = struct{}{}
	}
	if len(touched) == 0 && len(args) > 1 {
		// An unknown command: assume its first argument is a key.
		f.diverged[strconv.Itoa(f.applier.DB())+"/"+string(args[1])] = struct{}{}
	}
	f.mu.Unlock()
	return nil
}

// SaveSnapshot writes <dir>/dump.rdb atomically with the replication state
// it matches. It must not run concurrently with Run's streaming (Run calls
// it when it stops).
func (f *Follower) SaveSnapshot() error {
	if f.replID == "" && f.store.Keys() == 0 {
		return nil // nothing to save: never synced
	}
	aux := append([]rdbsave.AuxField(nil), f.masterAux...)
	if len(aux) == 0 {
		aux = append(aux, rdbsave.AuxField{Key: "redis-ver", Value: "7.0.0"}, rdbsave.AuxField{Key: "redis-bits", Value: "64"})
	}
	aux = append(aux,
		rdbsave.AuxField{Key: "ctime", Value: strconv.FormatInt(f.cfg.Now().Unix(), 10)},
		rdbsave.AuxField{Key: "used-mem", Value: "0"},
	)
	if f.replID != "" {
		aux = append(aux,
			rdbsave.AuxField{Key: "repl-stream-db", Value: strconv.Itoa(f.applier.DB())},
			rdbsave.AuxField{Key: "repl-id", Value: f.replID},
			rdbsave.AuxField{Key: "repl-offset", Value: strconv.FormatInt(f.applied.Load(), 10)},
		)
	}
	aux = append(aux, rdbsave.AuxField{Key: "aof-base", Value: "0"})
	version := f.rdbVersion
	if version == 0 {
		version = 10
	}
	path := f.snapshotPath()
	start := time.Now()
	f.store.RLock()
	keys := f.store.Keys()
	err := rdbsave.WriteFile(path, f.store, rdbsave.Options{Version: version, Aux: aux})
	f.store.RUnlock()
	if err != nil {
		return fmt.Errorf("writing snapshot %s: %w", path, err)
	}
	f.mu.Lock()
	f.savedPath = path
	f.mu.Unlock()
	f.log.Info("snapshot written", "path", path, "keys", keys, "repl_id", f.replID, "repl_offset", f.applied.Load(),
		"db", f.applier.DB(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
