package follower

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/resp"
)

// framer finds command boundaries in raw stream bytes: after a command
// outside MULTI, or after EXEC, with the DB selected there (it follows
// SELECT). A reconnection frames what the journal holds beyond the
// applied offset to find where to resume.
type framer struct {
	lim     resp.Limits
	pend    []byte   // a command split across reads, so far
	need    int      // parse pend again once it holds this many bytes
	args    [][]byte // ParseCommand's scratch (views into the bytes parsed)
	pos     int64    // offset after the last complete command
	inMulti bool
	db      int
	commit  int64 // last boundary outside MULTI
	cdb     int   // DB selected at commit
}

func newFramer(at journal.State, lim resp.Limits) *framer {
	return &framer{lim: lim, pos: at.Offset, db: at.DB, commit: at.Offset, cdb: at.DB}
}

// feed frames p, the next bytes of the stream. It returns how many bytes
// of p belong to well-formed commands or to a command still incomplete
// (all of p, unless err is a protocol error: then the bytes from the
// offending command on are not counted). Only a command split across
// reads is copied (into pend), and only up to its end.
func (fr *framer) feed(p []byte) (good int, err error) {
	i := 0 // where p is parsed in place
	for len(fr.pend) > 0 {
		// At least a few hundred bytes: a header split across reads
		// completes at once (bytes beyond the command are handed back).
		k := min(max(fr.need-len(fr.pend), 512), len(p)-i)
		fr.pend = append(fr.pend, p[i:i+k]...)
		i += k
		if len(fr.pend) < fr.need {
			return len(p), nil // p ended inside the command
		}
		args, n, need, err := resp.ParseCommand(fr.pend, fr.args, fr.lim)
		fr.args = args
		if err != nil {
			fr.pend = fr.pend[:0]
			return 0, err
		}
		if n == 0 {
			fr.need = need
			if i == len(p) {
				return len(p), nil
			}
			continue
		}
		i -= len(fr.pend) - n // bytes after the command are p's: parse them in place
		fr.pend, fr.need = fr.pend[:0], 0
		fr.command(n, args)
	}
	for i < len(p) {
		args, n, need, err := resp.ParseCommand(p[i:], fr.args, fr.lim)
		fr.args = args
		if err != nil {
			return i, err
		}
		if n == 0 {
			fr.pend = append(fr.pend[:0], p[i:]...)
			fr.need = need
			break
		}
		i += n
		fr.command(n, args)
	}
	return len(p), nil
}

// command accounts for one complete command of n bytes.
func (fr *framer) command(n int, args [][]byte) {
	fr.pos += int64(n)
	switch name := args[0]; {
	case isCmd(name, "MULTI"):
		fr.inMulti = true
	case isCmd(name, "EXEC"):
		fr.inMulti = false
	case isCmd(name, "SELECT") && len(args) == 2:
		if db, err := strconv.Atoi(string(args[1])); err == nil && db >= 0 {
			fr.db = db
		}
	}
	if !fr.inMulti {
		fr.commit, fr.cdb = fr.pos, fr.db
	}
}

// readTask is the goroutine that drains the link into the journal.
type readTask struct {
	done chan struct{}
	err  error
}

// startReader drains link into the journal until the link fails or is
// closed. Nothing else reads the link then.
func (f *Follower) startReader(link *psync.Link) *readTask {
	t := &readTask{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.err = f.readLoop(link)
	}()
	return t
}

func (t *readTask) wait() error {
	<-t.done
	return t.err
}

// readLoop appends everything src (the link) delivers to the journal, as
// received: it does no parsing, so the socket is drained at the speed of
// a file append whatever applying costs.
func (f *Follower) readLoop(src io.Reader) error {
	buf := make([]byte, 256<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if aerr := f.j.Append(buf[:n]); aerr != nil {
				return disk(aerr)
			}
		}
		if err != nil {
			return err
		}
	}
}

// resumePoint stops the applier, frames what the journal holds beyond the
// applied offset to find the last command boundary outside MULTI (and
// the DB there), cuts the rest (an unfinished command or MULTI block, or
// bytes that are not RESP) and starts the applier again: the journal's
// Tip is then where the next PSYNC resumes. Its cost is the applier's lag.
func (f *Follower) resumePoint(wake func()) error {
	if f.j.End() == f.j.Tip().Offset && f.app != nil && !f.app.ended() {
		return nil // nothing arrived since the last resume point
	}
	if f.app != nil {
		f.app.stop()
		f.app = nil
	}
	defer func() { f.app = f.startApplier(wake) }()
	at := journal.State{Offset: f.applied.Load(), DB: f.applier.DB()}
	fr := newFramer(at, f.limits)
	if end := f.j.End(); end > at.Offset {
		rd := f.j.Reader(at.Offset, false)
		defer rd.Close()
		buf := make([]byte, 256<<10)
		for {
			n, err := rd.Read(buf)
			if n > 0 {
				if _, perr := fr.feed(buf[:n]); perr != nil {
					break // not RESP from here on: cut it
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return disk(err)
			}
		}
		if cut := end - fr.commit; cut > 0 {
			f.log.Debug("cutting the journal's unfinished tail before resuming", "bytes", cut, "resume_offset", fr.commit)
		}
	}
	if tip := f.j.Tip(); f.j.End() != fr.commit || tip.Offset != fr.commit || tip.DB != fr.cdb {
		if err := f.j.TruncateTo(fr.commit, fr.cdb); err != nil {
			return disk(err)
		}
	}
	return nil
}

// applyTask is the goroutine that applies the journal to the store.
type applyTask struct {
	rd   *journal.Reader
	done chan struct{}
	err  error
}

// startApplier applies the journal from the applied offset on, until
// stopped or sealed. A fatal error is recorded for Run, which it wakes
// through wake; any other error ends the task (Run sees done).
func (f *Follower) startApplier(wake func()) *applyTask {
	t := &applyTask{rd: f.j.Reader(f.applied.Load(), true), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.err = f.applyLoop(t.rd, false)
		f.joinBackground() // the snapshot and the journal are Run's again
		t.rd.Close()
		if IsFatal(t.err) {
			f.mu.Lock()
			f.fatal = t.err
			f.mu.Unlock()
			wake()
		}
	}()
	return t
}

// ended reports whether the applier returned (an error it could not get
// past, or a stop).
func (t *applyTask) ended() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// stop stops the applier at a command boundary and joins it.
func (t *applyTask) stop() error {
	t.rd.Stop()
	<-t.done
	return t.err
}

// applyLoop applies commands read from src (the journal). The applied
// offset moves only at command boundaries, and inside MULTI only at EXEC.
// The end of the journal (sealed, or of a replay), with or without an
// unfinished command, ends it cleanly; so do bytes that are not RESP in a
// replay (a torn write): the caller cuts what was not applied. While
// following, bytes that are not RESP came from the master: a Protocol
// error (the next sync is a full one).
func (f *Follower) applyLoop(src io.Reader, replay bool) error {
	rd := resp.NewReader(src, 256<<10, f.limits)
	var (
		pending int64 // bytes read since the last commit point
		inMulti bool
		queue   [][][]byte
		arena   []byte // backing store for queued MULTI commands
	)
	commit := func() {
		f.applied.Add(pending)
		pending = 0
		if !replay {
			// Nothing buffered: the next read may wait, a good time to
			// look at the clock for the age threshold.
			f.maybeCompact(rd.Buffered() == 0)
		}
	}
	for {
		args, n, err := rd.ReadCommand()
		if err != nil {
			switch {
			case errors.Is(err, journal.ErrStopped):
				return nil
			case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
				return nil // sealed (a clean stop) or the end of a replay
			case replay && resp.IsProtocolError(err):
				f.log.Warn("the journal holds bytes that are not RESP after this offset (a torn write?): they are cut",
					"offset", f.applied.Load()+pending, "err", err)
				return nil
			case resp.IsProtocolError(err):
				return &psync.Error{Class: psync.Protocol, Step: "stream", Msg: "corrupt replication stream", Err: err}
			}
			return disk(fmt.Errorf("reading the journal: %w", err))
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
			f.publishDB()
			continue
		case inMulti:
			queue, arena = appendQueued(queue, arena, args)
			continue
		case isCmd(name, "REPLCONF"):
			if len(args) >= 2 && isCmd(args[1], "GETACK") {
				commit()
				f.sendAck()
			}
			commit()
			continue
		}
		if err := f.applyOne(args); err != nil {
			return err
		}
		commit()
		if isCmd(name, "SELECT") {
			f.publishDB()
		}
	}
}

// ackOffset is what ACKs report: the applied offset, or 0 while a full
// sync is loading (releases the stream without claiming unapplied data).
func (f *Follower) ackOffset() int64 {
	if f.loading.Load() {
		return 0
	}
	return f.applied.Load()
}

// sendAck answers REPLCONF GETACK on the current link, if any.
func (f *Follower) sendAck() {
	if l := f.link.Load(); l != nil {
		l.SendAck(f.ackOffset()) // a failure shows on the link's reader
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
	if f.cfg.applyHook != nil {
		f.cfg.applyHook(args)
	}
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
