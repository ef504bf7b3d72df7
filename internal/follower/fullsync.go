package follower

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/fsutil"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

// teeFile receives a copy of the full-sync payload while it is decoded.
// Its first write error is kept (the decode then fails with it, and the
// sync is classified as a disk error).
type teeFile struct {
	f       *os.File
	w       *bufio.Writer
	path    string
	fault   func(string) error
	err     error
	written int64
	kicked  int64 // bytes handed to the kernel's writeback so far
}

// kickEvery starts writeback every so many bytes, so the final fsync has
// little left to do (as Redis's rdb_fsync_range while it receives).
const kickEvery = 8 << 20

func (f *Follower) newTee() (*teeFile, error) {
	if err := f.fault("create"); err != nil {
		return nil, err
	}
	path := filepath.Join(f.cfg.Dir, ".fullsync-"+strconv.Itoa(os.Getpid())+".rdb.tmp")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &teeFile{f: file, w: bufio.NewWriterSize(file, 1<<20), path: path, fault: f.fault}, nil
}

func (t *teeFile) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if err := t.fault("write"); err != nil {
		t.err = err
		return 0, err
	}
	n, err := t.w.Write(p)
	t.written += int64(n)
	if err != nil {
		t.err = err
		return n, err
	}
	if t.written-t.kicked >= kickEvery {
		t.kicked = t.written
		startWriteback(t.f)
	}
	return n, nil
}

// finish flushes, fsyncs and closes the file.
func (t *teeFile) finish() error {
	if t.err != nil {
		return t.err
	}
	if err := t.w.Flush(); err != nil {
		t.err = err
		return err
	}
	if err := t.fault("sync"); err != nil {
		t.err = err
		return err
	}
	if err := t.f.Sync(); err != nil {
		t.err = err
		return err
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// discard closes and removes the file.
func (t *teeFile) discard() {
	if t.f != nil {
		t.f.Close()
	}
	os.Remove(t.path)
}

// loadPayload decodes the payload into a fresh store while teeing it to a
// temp file. On success the payload checked out (structure, CRC, length)
// and the temp file holds it, fsynced.
//
// size is the payload's length when the master announced it ("$<len>"),
// else -1; the decoder uses it to bound its sizing hints.
func (f *Follower) loadPayload(payload io.Reader, size int64, progress func(bytes, keys int64)) (*loadedSync, error) {
	tee, err := f.newTee()
	if err != nil {
		return nil, disk(fmt.Errorf("full sync: creating the payload's temp file: %w", err))
	}
	st, info, err := rdbload.Load(io.TeeReader(payload, tee), rdbload.Options{Logger: f.log, Progress: progress, InputSize: max(size, 0)})
	if err == nil {
		err = tee.finish()
	}
	if err != nil {
		tee.discard()
		if tee.err != nil {
			return nil, disk(fmt.Errorf("full sync: writing the payload to %s: %w", tee.path, tee.err))
		}
		return nil, fmt.Errorf("full sync failed, keeping the previous data: %w", err)
	}
	return &loadedSync{tmp: tee.path, st: st, info: info}, nil
}

// commitSnapshot makes the verified payload the snapshot, recording the
// state it represents: the +FULLRESYNC id and offset, and the stream DB.
// The master's RDB usually carries exactly that in its repl-* aux fields
// (then the file is renamed as it is); otherwise (an old master, or aux
// fields that disagree with the reply) the file is rewritten with ours
// appended, which a loader's last-wins rule makes authoritative. The
// rename is the commit point: data and state cannot come apart.
func (f *Follower) commitSnapshot(ls *loadedSync, res psync.Result, db int) error {
	info := ls.info
	src := ls.tmp
	if info.ReplID != res.ReplID || info.ReplOffset != res.Offset || info.ReplStreamDB != db {
		f.log.Info("the master's RDB does not record the +FULLRESYNC state; adding it to the snapshot",
			"rdb_repl_id", info.ReplID, "rdb_repl_offset", info.ReplOffset, "rdb_stream_db", info.ReplStreamDB,
			"repl_id", res.ReplID, "offset", res.Offset, "db", db)
		dst := src + ".aux"
		err := f.appendAux(src, dst, info.Version, []auxKV{
			{"repl-stream-db", strconv.Itoa(db)},
			{"repl-id", res.ReplID},
			{"repl-offset", strconv.FormatInt(res.Offset, 10)},
		})
		os.Remove(src)
		if err != nil {
			os.Remove(dst)
			return err
		}
		src = dst
	}
	if err := f.fault("rename"); err != nil {
		os.Remove(src)
		return disk(err)
	}
	if err := os.Rename(src, f.snapshotPath()); err != nil {
		os.Remove(src)
		return disk(fmt.Errorf("installing the snapshot: %w", err))
	}
	if err := fsutil.SyncDir(f.cfg.Dir); err != nil {
		return disk(fmt.Errorf("fsync of the data directory after installing the snapshot: %w", err))
	}
	return nil
}

type loadedSync struct {
	tmp  string
	st   *store.Store
	info *rdbload.Info
}

type auxKV struct{ k, v string }

// appendAux copies the RDB at src to dst with aux fields inserted before
// the EOF opcode, and a new CRC-64 (RDB 5+), then fsyncs dst.
func (f *Follower) appendAux(src, dst string, version int, aux []auxKV) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return disk(err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return disk(err)
	}
	trailer := int64(1)
	if version >= 5 {
		trailer = 9
	}
	body := fi.Size() - trailer
	var eof [1]byte
	if body < 9 {
		return errors.New("full sync: the payload is too short to be an RDB")
	}
	if _, err := in.ReadAt(eof[:], body); err != nil || eof[0] != rdb.OpEOF {
		return errors.New("full sync: the payload does not end with the EOF opcode")
	}
	if err := f.fault("create"); err != nil {
		return disk(err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return disk(err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = disk(cerr)
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	var crc uint64
	buf := make([]byte, 1<<20)
	r := io.LimitReader(in, body)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			crc = rdb.CRC64(crc, buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				return disk(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return disk(rerr)
		}
	}
	var tail []byte
	for _, a := range aux {
		tail = append(tail, rdb.OpAux)
		tail = appendRDBString(tail, a.k)
		tail = appendRDBString(tail, a.v)
	}
	tail = append(tail, rdb.OpEOF)
	crc = rdb.CRC64(crc, tail)
	if version >= 5 {
		tail = binary.LittleEndian.AppendUint64(tail, crc)
	}
	if err := f.fault("write"); err != nil {
		return disk(err)
	}
	if _, err := w.Write(tail); err != nil {
		return disk(err)
	}
	if err := w.Flush(); err != nil {
		return disk(err)
	}
	if err := f.fault("sync"); err != nil {
		return disk(err)
	}
	if err := out.Sync(); err != nil {
		return disk(err)
	}
	return nil
}

// appendRDBString appends s as an RDB length-prefixed raw string.
func appendRDBString(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 1<<6:
		b = append(b, byte(n))
	case n < 1<<14:
		b = append(b, 0x40|byte(n>>8), byte(n))
	default:
		b = append(b, 0x80)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}
