package follower

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/resp"
	"github.com/redis-follower/redis-follower/internal/sentinel"
	"github.com/redis-follower/redis-follower/internal/store"
)

// State is where the follower is in its lifecycle.
type State int32

// Lifecycle states.
const (
	StateStarting   State = iota // loading the snapshot and replaying the journal
	StateConnecting              // resolving the master, handshake and PSYNC
	StateLoading                 // receiving and decoding a full-sync payload
	StateStreaming               // journaling and applying the stream
	StateBackoff                 // waiting before the next attempt
	StateStopped
	StateDiskWait // the data directory refused a write: waiting for it
)

func (s State) String() string {
	return [...]string{"starting", "connecting", "loading", "streaming", "backoff", "stopped", "disk-wait"}[s]
}

// loadGCPercent is the GOGC used while an RDB loads.
const loadGCPercent = 400

// Data directory layout.
const (
	// SnapshotFile is the snapshot's name inside the data directory.
	SnapshotFile = "dump.rdb"
	// JournalDir is the journal's directory inside the data directory.
	JournalDir = "journal"
	lockFile   = "LOCK"
)

// Status is a point-in-time view of the follower.
type Status struct {
	State        State
	ReplID       string // replication id the next PSYNC would use
	Offset       int64  // applied offset (what ACKs report)
	Received     int64  // offset of the last byte journaled (possibly inside a command)
	DB           int    // selected DB at Offset
	FullSyncs    int64
	PartialSyncs int64
	Commands     int64
	Unknown      map[string]int64 // unapplicable commands by name
	ApplyErrors  int64
	Diverged     int // keys marked diverged
	LastError    string
	SnapshotKeys int64 // keys in the snapshot loaded at start (-1: none)
	// SnapshotSaved is the path of the last snapshot written.
	SnapshotSaved string
	// SnapshotOffset is the replication offset the snapshot on disk holds.
	SnapshotOffset int64
	JournalBytes   int64 // stream bytes in the journal files
	Compactions    int64
	// LastCompaction is how long the last snapshot took to write (in the
	// background, or pausing applying: Config.CompactPause).
	LastCompaction time.Duration
	DiskErrors     int64
	// EmptiedBySync counts full syncs that replaced a non-empty dataset
	// by an empty one (a master restarted without persistence).
	EmptiedBySync int64
	MasterAddr    string // the master of the current or last connection
	Replayed      int64  // journal bytes replayed at start
}

// snapInfo describes the snapshot on disk.
type snapInfo struct {
	exists bool
	replID string
	offset int64
	db     int
	at     time.Time
}

// Follower replicates one master into an embedded store.
type Follower struct {
	cfg    Config
	log    *slog.Logger
	limits resp.Limits

	store   *store.Store
	applier *apply.Applier
	j       *journal.Journal
	sent    *sentinel.Client

	// Owned by whichever goroutine applies (the applier task, or Run and
	// New while none runs; handed over with a join).
	snap         snapInfo
	rdbVersion   int
	masterAux    []rdbsave.AuxField
	compactRetry time.Time
	sinceCheck   int
	bg           *bgCompact // a compaction under way in the background

	applied   atomic.Int64
	loading   atomic.Bool // a full sync is in progress: ACK 0
	forceFull atomic.Bool // the next PSYNC asks for a full resync
	link      atomic.Pointer[psync.Link]
	app       *applyTask // Run-owned

	state         atomic.Int32
	fullSyncs     atomic.Int64
	partialSyncs  atomic.Int64
	commands      atomic.Int64
	applyErrors   atomic.Int64
	compactions   atomic.Int64
	diskErrors    atomic.Int64
	emptiedBySync atomic.Int64
	lastCompact   atomic.Int64 // ns

	mu           sync.Mutex // guards the fields below
	pubReplID    string
	pubDB        int
	pubSnapOff   int64
	masterAddr   string
	unknown      map[string]int64
	diverged     map[string]struct{}
	lastErr      string
	snapshotKeys int64
	savedPath    string
	replayed     int64
	fatal        error // the applier's fatal error

	lock *os.File // data-dir lock
}

// New validates cfg, locks the data directory, loads its snapshot and
// replays the journal, so that Run resumes with a partial resync. A torn
// journal tail is cut (and logged); a journal that does not match the
// snapshot is dropped and the next sync is a full resync.
func New(cfg Config) (*Follower, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := newApplying(cfg, store.New())
	f.snapshotKeys = -1
	if cfg.Sentinel != nil {
		f.sent = sentinel.New(*cfg.Sentinel, cfg.Logger)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.Dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another redis-follower (%w)", cfg.Dir, err)
	}
	f.lock = lock
	f.state.Store(int32(StateStarting))
	if err := f.start(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// newApplying is a Follower that can apply a stream to st (applyLoop):
// what New builds on, and the replay of a background compaction.
func newApplying(cfg Config, st *store.Store) *Follower {
	f := &Follower{
		cfg:      cfg,
		log:      cfg.Logger,
		limits:   cfg.Link.Limits,
		store:    st,
		unknown:  map[string]int64{},
		diverged: map[string]struct{}{},
	}
	if f.limits.MaxArgs == 0 {
		f.limits = resp.DefaultLimits
	}
	f.applier = apply.New(st, apply.Options{Now: func() int64 { return cfg.Now().UnixMilli() }, Logger: cfg.Logger})
	return f
}

// Close releases the data directory. Run calls it on return.
func (f *Follower) Close() {
	if f.j != nil {
		// The journal stays readable (Status) after Close.
		if err := f.j.Close(); err != nil {
			f.log.Error("closing the journal", "err", err)
		}
	}
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
		State:          State(f.state.Load()),
		Offset:         f.applied.Load(),
		FullSyncs:      f.fullSyncs.Load(),
		PartialSyncs:   f.partialSyncs.Load(),
		Commands:       f.commands.Load(),
		ApplyErrors:    f.applyErrors.Load(),
		Unknown:        make(map[string]int64, len(f.unknown)),
		Diverged:       len(f.diverged),
		LastError:      f.lastErr,
		SnapshotKeys:   f.snapshotKeys,
		SnapshotSaved:  f.savedPath,
		SnapshotOffset: f.pubSnapOff,
		Compactions:    f.compactions.Load(),
		LastCompaction: time.Duration(f.lastCompact.Load()),
		DiskErrors:     f.diskErrors.Load(),
		EmptiedBySync:  f.emptiedBySync.Load(),
		MasterAddr:     f.masterAddr,
		Replayed:       f.replayed,
		ReplID:         f.pubReplID,
		DB:             f.pubDB,
	}
	for k, v := range f.unknown {
		st.Unknown[k] = v
	}
	if j := f.j; j != nil {
		st.Received = j.End()
		st.JournalBytes = j.Bytes()
	}
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

// publishDB copies the applier's DB for Status (applying goroutine).
func (f *Follower) publishDB() {
	f.mu.Lock()
	f.pubDB = f.applier.DB()
	f.mu.Unlock()
}

// publishReplID copies the journal's replication id for Status.
func (f *Follower) publishReplID() {
	id := ""
	if f.j != nil {
		id = f.j.ReplID()
	}
	if f.forceFull.Load() {
		id = ""
	}
	f.mu.Lock()
	f.pubReplID = id
	f.mu.Unlock()
}

func (f *Follower) fault(op string) error {
	if f.cfg.diskFault != nil {
		return f.cfg.diskFault(op)
	}
	return nil
}

func removeFile(path string) { os.Remove(path) }

func isCmd(name []byte, want string) bool {
	return len(name) == len(want) && bytes.EqualFold(name, []byte(want))
}
