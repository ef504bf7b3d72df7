package follower

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/sentinel"
)

// UnknownPolicy says what to do with a command the follower cannot apply.
type UnknownPolicy string

const (
	// OnUnknownStop stops the follower at the last good command (default):
	// its snapshot stays exact, and a newer version can resume from it.
	OnUnknownStop UnknownPolicy = "stop"
	// OnUnknownSkip counts and logs the command, marks the key diverged
	// and goes on.
	OnUnknownSkip UnknownPolicy = "skip"
)

// Config is the follower's configuration. Zero values take the defaults
// documented on each field.
type Config struct {
	// Link is how to reach and authenticate with the master. Link.Addr
	// may be empty when Sentinel is set.
	Link psync.LinkConfig
	// Sentinel, when set, discovers the master through Redis Sentinel:
	// asked before every connection attempt, and a +switch-master event
	// for the monitored name drops the link so the next attempt follows
	// the new master.
	Sentinel *sentinel.Config
	// Dir is the data directory (dump.rdb, journal/, LOCK). Required.
	Dir string
	// Fsync is the journal's fsync policy (default everysec).
	Fsync journal.FsyncPolicy
	// CompactBytes: once the journal holds this many applied bytes since
	// the snapshot, a fresh snapshot is written and the covered journal
	// dropped (default 256 MiB).
	CompactBytes int64
	// NoDecoy: do not listen on the announced port. By default the
	// follower listens there (DecoyAddr, else ":<Link.Handshake.ListeningPort>", an
	// ephemeral port announced when Link.Handshake.ListeningPort is 0) and refuses promotion, so
	// a master running FAILOVER without TO that picks it aborts at once
	// instead of staying paused (decoy.go).
	NoDecoy   bool
	DecoyAddr string
	// CompactPause writes snapshots by pausing the applier while the
	// store is written, instead of rebuilding the state in the background
	// from the previous snapshot and the journal (which needs memory for
	// a second copy of the dataset while it runs, but never stops
	// applying).
	CompactPause bool
	// CompactAge: a snapshot older than this is refreshed when anything
	// was applied since (default 1h; negative: never by age).
	CompactAge time.Duration
	// KeepJournalOnStop skips the snapshot at a clean stop: stopping is
	// faster, and the next start replays the journal. By default a clean
	// stop compacts, so dump.rdb alone is the dataset.
	KeepJournalOnStop bool
	// DrainTimeout bounds how long a clean stop waits for the applier to
	// apply what the journal already holds (default 30s).
	DrainTimeout time.Duration
	// JournalMemory bounds the in-memory tail of recent stream bytes the
	// applier reads without touching the disk (default 32 MiB).
	JournalMemory int
	// SegmentBytes is the journal segment size (default 64 MiB).
	SegmentBytes int64
	// OnUnknown is the policy for commands that cannot be applied.
	OnUnknown UnknownPolicy
	// BackoffMin and BackoffMax bound the reconnect delay (defaults 250ms,
	// 30s); it doubles after each failed attempt and resets once streaming.
	BackoffMin, BackoffMax time.Duration
	// AckInterval is how often REPLCONF ACK is sent (default 1s).
	AckInterval time.Duration
	// ProgressInterval is how often full-sync progress is logged (5s).
	ProgressInterval time.Duration
	// Logger receives state transitions and problems (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	// diskFault, set by tests, is consulted before data-directory writes.
	diskFault func(op string) error
	// applyHook, set by tests, runs before each command outside MULTI is
	// applied (to slow applying down).
	applyHook func(args [][]byte)
}

// Validate fills defaults and reports configuration errors.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("a data directory is required"))
	}
	if c.Link.Addr == "" && c.Sentinel == nil {
		errs = append(errs, errors.New("the master address is required"))
	}
	if c.Sentinel != nil {
		if err := c.Sentinel.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if p, err := journal.ParseFsyncPolicy(string(c.Fsync)); err != nil {
		errs = append(errs, err)
	} else {
		c.Fsync = p
	}
	if c.CompactBytes <= 0 {
		c.CompactBytes = 256 << 20
	}
	if c.CompactAge == 0 {
		c.CompactAge = time.Hour
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 30 * time.Second
	}
	switch c.OnUnknown {
	case "":
		c.OnUnknown = OnUnknownStop
	case OnUnknownStop, OnUnknownSkip:
	default:
		errs = append(errs, fmt.Errorf("on-unknown must be %q or %q, not %q", OnUnknownStop, OnUnknownSkip, c.OnUnknown))
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 250 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 30 * time.Second
	}
	if c.BackoffMax < c.BackoffMin {
		errs = append(errs, fmt.Errorf("backoff max %v is below backoff min %v", c.BackoffMax, c.BackoffMin))
	}
	if c.AckInterval <= 0 {
		c.AckInterval = time.Second
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}
