package follower

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis-follower/redis-follower/internal/psync"
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
	// Link is how to reach and authenticate with the master.
	Link psync.LinkConfig
	// Dir is the data directory (dump.rdb, LOCK). Required.
	Dir string
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
}

// Validate fills defaults and reports configuration errors.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("a data directory is required"))
	}
	if c.Link.Addr == "" {
		errs = append(errs, errors.New("the master address is required"))
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
