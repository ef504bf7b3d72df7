package workload

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// DriveStats summarises a Drive run.
type DriveStats struct {
	Ops      int // commands sent (MULTI/EXEC not counted)
	Rejected int // commands the master answered with an error
	Multis   int // transactions executed
}

// Drive sends ops commands from a Gen seeded with seed to the master
// behind c: about 3% of the time it opens a MULTI and closes it with a 30%
// chance per command, tracking SELECT so the generator's queries read the
// workload's database. Every `every` commands (outside MULTI) it calls
// checkpoint with the number sent so far; a checkpoint error stops it.
func Drive(ctx context.Context, c *redis.Client, seed uint64, ops, every int, checkpoint func(done int) error) (DriveStats, error) {
	var st DriveStats
	wc := c.Conn()
	defer releaseConn(ctx, c, wc)
	qc := c.Conn()
	defer releaseConn(ctx, c, qc)
	curDB, queuedDB, qDB := 0, -1, 0
	g := NewGen(seed, func(args ...any) (any, error) {
		if qDB != curDB {
			if _, err := do(ctx, qc, "SELECT", curDB); err != nil {
				return nil, err
			}
			qDB = curDB
		}
		return do(ctx, qc, args...)
	})
	inMulti := false
	exec := func() error {
		if _, err := do(ctx, wc, "EXEC"); err != nil && isConnErr(err) {
			return err
		}
		st.Multis++
		inMulti = false
		if queuedDB >= 0 {
			curDB, queuedDB = queuedDB, -1
		}
		return nil
	}
	for i := 0; i < ops; i++ {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		if !inMulti && g.Chance(0.03) {
			if _, err := do(ctx, wc, "MULTI"); err != nil {
				return st, err
			}
			inMulti = true
		}
		cmd := g.Cmd()
		_, err := do(ctx, wc, cmd...)
		st.Ops++
		switch {
		case err != nil && isConnErr(err):
			return st, err
		case err != nil:
			st.Rejected++
		case cmd[0] == "SELECT":
			if inMulti {
				queuedDB = cmd[1].(int)
			} else {
				curDB = cmd[1].(int)
			}
		}
		if inMulti && g.Chance(0.3) {
			if err := exec(); err != nil {
				return st, err
			}
		}
		if checkpoint != nil && every > 0 && !inMulti && (i+1)%every == 0 {
			if err := checkpoint(i + 1); err != nil {
				return st, err
			}
		}
	}
	if inMulti {
		if err := exec(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// do runs one command; a nil reply is not an error.
func do(ctx context.Context, c *redis.Conn, args ...any) (any, error) {
	v, err := c.Do(ctx, args...).Result()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return v, err
}
