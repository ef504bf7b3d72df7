package follower

import (
	"context"
	"errors"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/sentinel"
	"github.com/redis-follower/redis-follower/internal/store"
)

// runner is one Run's connection state: the state functions below share
// it, and only the Run goroutine touches it.
type runner struct {
	f         *Follower
	ctx       context.Context
	wake      func() // the applier's fatal error ends the run
	link      *psync.Link
	stopAfter func() bool
	reader    *readTask
	decoyPort int   // announced when Link.ListeningPort is 0
	err       error // why the last attempt ended
	fatal     error
	streamed  bool
	backoff   time.Duration
	diskDelay time.Duration
}

// Run replicates until ctx is cancelled (then it stops reading, lets the
// applier apply what the journal holds, writes the snapshot and returns
// nil) or a fatal error occurs (returned, after writing the snapshot of
// the last consistent state).
func (f *Follower) Run(ctx context.Context) error {
	defer f.Close()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{f: f, ctx: rctx, wake: cancel, backoff: f.cfg.BackoffMin, diskDelay: f.cfg.BackoffMin}
	if !f.cfg.NoDecoy {
		addr := f.cfg.DecoyAddr
		if addr == "" {
			addr = ":" + strconv.Itoa(f.cfg.Link.Handshake.ListeningPort)
		}
		if dec, err := startDecoy(addr, f.log); err != nil {
			f.log.Warn("cannot listen on the announced port: a master running FAILOVER without TO could pick the follower and stay paused until FAILOVER ABORT",
				"addr", addr, "err", err)
		} else {
			defer dec.close()
			r.decoyPort = dec.port()
			f.log.Debug("refusing promotion on the announced port", "addr", dec.ln.Addr().String())
		}
	}
	var wg sync.WaitGroup
	if f.sent != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.sent.Watch(rctx, func(sw sentinel.Switch) {
				f.log.Warn("sentinel: the master moved; dropping the link to follow it", "master", sw.Master, "old", sw.OldAddr, "new", sw.NewAddr)
				f.dropLink()
			})
		}()
	}
	f.app = f.startApplier(r.wake)
	for st := StateConnecting; st != StateStopped; {
		f.setState(st)
		switch st {
		case StateConnecting:
			st = r.connecting()
		case StateLoading:
			st = r.loading()
		case StateStreaming:
			st = r.streaming()
		case StateBackoff:
			st = r.backingOff()
		case StateDiskWait:
			st = r.diskWait()
		}
	}
	r.closeLink()
	cancel()
	wg.Wait()
	return r.shutdown()
}

// dropLink closes the current link (a sentinel saw the master move).
func (f *Follower) dropLink() {
	if l := f.link.Load(); l != nil {
		l.Close()
	}
}

func (r *runner) setLink(l *psync.Link) {
	r.link = l
	r.stopAfter = context.AfterFunc(r.ctx, func() { l.Close() })
	r.f.link.Store(l)
}

// closeLink closes the link and joins the stream reader.
func (r *runner) closeLink() {
	if r.link == nil {
		return
	}
	r.f.link.Store(nil)
	r.stopAfter()
	r.link.Close()
	if r.reader != nil {
		r.reader.wait()
		r.reader = nil
	}
	r.link = nil
}

// connecting resolves the master, cuts what the last connection left
// unfinished in the journal and runs the handshake and PSYNC from the
// journal's tip.
func (r *runner) connecting() State {
	f := r.f
	if r.ctx.Err() != nil {
		return StateStopped
	}
	if err := f.j.Err(); err != nil {
		r.err = disk(err)
		return StateBackoff
	}
	addr := f.cfg.Link.Addr
	if f.sent != nil {
		a, err := f.sent.MasterAddr(r.ctx)
		if err != nil {
			r.err = &psync.Error{Class: psync.Transient, Step: "sentinel", Msg: "cannot learn the master's address from the sentinels", Err: err}
			return StateBackoff
		}
		addr = a
	}
	f.mu.Lock()
	changed := f.masterAddr != "" && f.masterAddr != addr
	f.masterAddr = addr
	f.mu.Unlock()
	if changed {
		f.log.Info("following a new master address", "addr", addr)
	}
	// The last connection may have ended inside a command or a MULTI
	// block: resume before it, the master resends it whole.
	if err := f.resumePoint(r.wake); err != nil {
		r.err = err
		return StateBackoff
	}
	tip := f.j.Tip()
	replID := tip.ReplID
	if f.forceFull.Load() {
		replID = ""
	}
	cfg := f.cfg.Link
	cfg.Addr = addr
	if cfg.Handshake.ListeningPort == 0 {
		cfg.Handshake.ListeningPort = r.decoyPort
	}
	if cfg.TLS != nil && cfg.TLS.ServerName == "" && !cfg.TLS.InsecureSkipVerify {
		// A master found through Sentinel: verify the name it is reached by.
		cfg.TLS = cfg.TLS.Clone()
		cfg.TLS.ServerName, _, _ = net.SplitHostPort(addr)
	}
	link, err := psync.Dial(r.ctx, cfg, replID, tip.Offset)
	if err != nil {
		r.err = err
		return StateBackoff
	}
	r.setLink(link)
	res := link.Result
	if res.Full {
		return StateLoading
	}
	if res.IDChanged {
		f.log.Info("partial resync with a new replication id", "old_repl_id", tip.ReplID, "repl_id", res.ReplID, "offset", res.Offset)
		if err := f.j.SwitchReplID(res.ReplID); err != nil {
			r.err = disk(err)
			return StateBackoff
		}
	} else {
		f.log.Info("partial resync", "repl_id", res.ReplID, "offset", res.Offset)
	}
	f.partialSyncs.Add(1)
	f.publishReplID()
	link.StartAcks(f.cfg.AckInterval, f.ackOffset)
	r.reader = f.startReader(link)
	return StateStreaming
}

// loading receives a full sync: the payload is decoded into a fresh store
// while teed to a temp file; once it checked out, the stream starts to
// flow into a new journal history, the file becomes the snapshot (the
// commit point) and the store is swapped. Until then the old data keeps
// serving and the old state stays the PSYNC basis.
func (r *runner) loading() State {
	f, link := r.f, r.link
	res := link.Result
	f.log.Info("full resync", "repl_id", res.ReplID, "offset", res.Offset)
	f.loading.Store(true)
	// Keep the master's replica timeout at bay while we load.
	link.StartAcks(f.cfg.AckInterval, f.ackOffset)
	ls, err := r.receive(link)
	if err != nil {
		f.loading.Store(false)
		r.err = err
		return StateBackoff
	}
	link.SendAck(f.ackOffset()) // a diskless master waits for it
	db := ls.info.ReplStreamDB
	if db < 0 || !store.ValidDB(db) {
		db = 0
	}
	// Stop applying the old history: the new snapshot supersedes it.
	if f.app != nil {
		f.app.stop()
		f.app = nil
	}
	if f.fatalErr() != nil {
		r.discard(ls)
		return StateStopped
	}
	old := journal.State{Offset: f.applied.Load(), DB: f.applier.DB()}
	old.ReplID = f.j.ReplIDAt(old.Offset)
	next := journal.State{ReplID: res.ReplID, Offset: res.Offset, DB: db}
	f.j.Restart(next)
	r.reader = f.startReader(link)
	if err := f.commitSnapshot(ls, res, db); err != nil {
		// Back to the previous state, in memory and on disk.
		r.closeLink()
		f.j.Restart(old)
		f.loading.Store(false)
		f.app = f.startApplier(r.wake)
		r.err = err
		return StateBackoff
	}
	oldKeys := f.store.Keys()
	f.store.Lock()
	f.store.ReplaceWith(ls.st)
	f.applier.SetDB(db)
	f.store.Unlock()
	f.applied.Store(res.Offset)
	f.rdbVersion = ls.info.Version
	f.masterAux = masterAux(ls.info.Aux)
	f.snap = snapInfo{exists: true, replID: res.ReplID, offset: res.Offset, db: db, at: f.cfg.Now()}
	f.forceFull.Store(false)
	f.loading.Store(false)
	f.fullSyncs.Add(1)
	f.publishReplID()
	f.publishDB()
	f.publishSnapshot()
	f.mu.Lock()
	f.savedPath = f.snapshotPath()
	f.mu.Unlock()
	switch {
	case ls.info.Keys == 0 && oldKeys > 0:
		f.emptiedBySync.Add(1)
		f.log.Error("ALERT: the master sent an EMPTY dataset; the follower's previous keys are gone (a master restarted without persistence?)",
			"previous_keys", oldKeys, "previous_repl_id", old.ReplID, "previous_offset", old.Offset, "repl_id", res.ReplID, "offset", res.Offset)
	case old.ReplID != "" && old.ReplID != res.ReplID && oldKeys > 0:
		f.log.Warn("full resync from another replication history: the previous dataset was replaced",
			"previous_repl_id", old.ReplID, "previous_offset", old.Offset, "repl_id", res.ReplID, "keys", ls.info.Keys)
	}
	if err := f.j.DropStale(); err != nil {
		f.log.Warn("removing the previous history's journal", "err", err)
	}
	f.app = f.startApplier(r.wake)
	f.sendAck()
	return StateStreaming
}

// receive reads and verifies the payload (loading).
func (r *runner) receive(link *psync.Link) (*loadedSync, error) {
	f := r.f
	payload, pre, err := link.Payload()
	if err != nil {
		return nil, err
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
	ls, err := f.loadPayload(payload, pre.Length, progress)
	if err != nil {
		return nil, err
	}
	f.log.Info("full sync loaded", "keys", ls.info.Keys, "bytes", ls.info.Bytes, "rdb_version", ls.info.Version,
		"took", time.Since(start).Round(time.Millisecond), "db", ls.info.ReplStreamDB)
	return ls, nil
}

func (r *runner) discard(ls *loadedSync) {
	r.closeLink()
	if ls != nil {
		removeFile(ls.tmp)
	}
}

// streaming waits while the reader journals the stream and the applier
// applies it, until the link fails, the applier meets something it
// cannot apply, or the run stops.
func (r *runner) streaming() State {
	var applierDone <-chan struct{}
	if r.f.app != nil {
		applierDone = r.f.app.done
	}
	select {
	case <-r.reader.done:
		r.err = r.reader.err
	case <-applierDone:
		r.err = r.f.app.err
	case <-r.ctx.Done():
	}
	r.streamed = true
	r.diskDelay = r.f.cfg.BackoffMin
	r.closeLink()
	if r.ctx.Err() != nil {
		return StateStopped
	}
	return StateBackoff
}

// backingOff classifies why the last attempt ended and waits before the
// next one: fatal errors stop, disk errors wait for the disk, protocol
// errors drop the replication state (the next sync is full).
func (r *runner) backingOff() State {
	f := r.f
	r.closeLink() // a failed full sync or PSYNC leaves its link open
	if r.ctx.Err() != nil {
		return StateStopped
	}
	err := r.err
	if err == nil {
		err = errors.New("link closed")
	}
	f.setErr(err)
	switch {
	case IsFatal(err):
		f.log.Error("stopping: this needs a configuration change, retrying cannot fix it", "err", err)
		r.fatal = err
		return StateStopped
	case IsDisk(err):
		f.diskErrors.Add(1)
		f.log.Error("the data directory refused a write: stopped reading from the master until it takes writes again", "dir", f.cfg.Dir, "err", err)
		return StateDiskWait
	case psync.ClassOf(err) == psync.Protocol:
		f.log.Warn("the master sent something we cannot interpret: dropping the replication state, the next sync is a full resync", "err", err)
		f.forceFull.Store(true)
		f.publishReplID()
	}
	if r.streamed {
		r.backoff, r.streamed = f.cfg.BackoffMin, false
	}
	f.log.Warn("replication link down, reconnecting", "err", err, "retry_in", r.backoff.Round(time.Millisecond))
	select {
	case <-r.ctx.Done():
		return StateStopped
	case <-time.After(r.backoff):
	}
	r.backoff = min(2*r.backoff, f.cfg.BackoffMax)
	return StateConnecting
}

// diskWait probes the data directory until it takes writes again, then
// repairs the journal (cutting a partial write) and reconnects.
func (r *runner) diskWait() State {
	f := r.f
	for {
		select {
		case <-r.ctx.Done():
			return StateStopped
		case <-time.After(r.diskDelay):
		}
		r.diskDelay = min(2*r.diskDelay, max(f.cfg.BackoffMin, 5*time.Second))
		err := f.j.Probe()
		if err == nil {
			err = f.j.Repair()
		}
		if err == nil {
			f.log.Info("the data directory takes writes again: resuming", "dir", f.cfg.Dir)
			return StateConnecting
		}
		f.log.Debug("the data directory still refuses writes", "err", err)
	}
}

// shutdown lets the applier apply what the journal holds (bounded by
// DrainTimeout), stops it and writes the final snapshot.
func (r *runner) shutdown() error {
	f := r.f
	fatal := r.fatal
	drained := false
	if f.app != nil {
		f.j.Seal()
		select {
		case <-f.app.done:
			drained = f.app.err == nil
		case <-time.After(f.cfg.DrainTimeout):
			f.log.Warn("the applier did not catch up within the drain timeout; the journal keeps the rest", "timeout", f.cfg.DrainTimeout)
		}
		if err := f.app.stop(); err != nil && fatal == nil {
			fatal = err
		}
		f.app = nil
	}
	if fatal == nil {
		fatal = f.fatalErr()
	}
	f.setState(StateStopped)
	if f.cfg.KeepJournalOnStop {
		if err := f.j.Sync(); err != nil {
			f.log.Error("fsync of the journal at stop failed", "err", err)
		}
		return fatal
	}
	if drained && fatal == nil && f.j.End() > f.applied.Load() {
		// What the applier left is an unfinished command or MULTI block:
		// the master resends it from the snapshot's offset.
		if err := f.j.TruncateTo(f.applied.Load(), f.applier.DB()); err != nil {
			f.log.Warn("cutting the unfinished tail of the journal at stop", "err", err)
		}
	}
	if err := f.compact(true); err != nil {
		f.log.Error("writing the snapshot at stop failed; the data directory holds the dataset as the previous snapshot plus the journal", "err", err)
		if fatal == nil && f.j.Err() != nil {
			return err
		}
	}
	return fatal
}

func (f *Follower) fatalErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fatal
}
