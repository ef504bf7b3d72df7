package follower

import "github.com/redis-follower/redis-follower/internal/psync"

// SetDiskFault installs a hook consulted before data-directory writes
// (create, write, sync, truncate, remove, rename, probe, snapshot); an
// error it returns is treated as the operating system's.
func SetDiskFault(c *Config, fn func(op string) error) { c.diskFault = fn }

// SetApplyHook installs a hook run before each command outside MULTI is
// applied.
func SetApplyHook(c *Config, fn func(args [][]byte)) { c.applyHook = fn }

func linkTo(addr string) (c psync.LinkConfig) {
	c.Addr = addr
	return c
}
