package rdbsave

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/fsutil"
	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// DefaultVersion is the RDB version written when Options.Version is 0
// (Redis 7.0).
const DefaultVersion = 10

// Options says what to write.
type Options struct {
	// Version is the RDB version to write: 9 (Redis 5.0-6.2), 10 (7.0),
	// 11 (7.2, Valkey 7.2-8.x), 12 (7.4-8.x), 80 (Valkey 9, magic
	// "VALKEY080"). 0 means DefaultVersion.
	Version int
	// Aux fields are written right after the header, in order (e.g.
	// redis-ver, redis-bits, ctime, used-mem, repl-stream-db, repl-id,
	// repl-offset, aof-base).
	Aux []AuxField
	// Compress LZF-compresses strings longer than 20 bytes when that saves
	// at least 4 bytes (as `rdbcompression yes`).
	Compress bool
}

// AuxField is one AUX (250) key/value pair.
type AuxField struct{ Key, Value string }

// checkVersion validates a target version (0 = default).
func checkVersion(v int) (int, error) {
	switch v {
	case 0:
		return DefaultVersion, nil
	case 9, 10, 11, 12, rdb.ValkeyVersion80:
		return v, nil
	}
	return 0, fmt.Errorf("rdbsave: RDB version %d is not supported (use 9, 10, 11, 12 or 80)", v)
}

// Write streams s into w as an RDB of opts.Version, ending with the EOF
// opcode and the CRC-64. The caller holds s's read lock.
//
// It fails, naming the database and key, when s holds a value the target
// version cannot represent (hash field TTLs below version 12, function
// libraries below version 10, a module value whose raw bytes are not a
// MODULE_2 serialization, ...); the error wraps ErrUnrepresentable. On any
// error w has received a truncated RDB without EOF and checksum, which no
// loader accepts; the caller must discard it.
func Write(w io.Writer, s *store.Store, opts Options) error {
	return write(w, s, opts, defaultPackedThreshold)
}

// write is Write with a chosen quicklist PLAIN-node threshold (tests).
func write(w io.Writer, s *store.Store, opts Options, packedThreshold int) error {
	v, err := checkVersion(opts.Version)
	if err != nil {
		return err
	}
	e := newEncoder(w, v, opts.Compress)
	e.packedThreshold = packedThreshold
	return e.file(s, opts.Aux)
}

// file writes a whole RDB file.
func (e *encoder) file(s *store.Store, aux []AuxField) error {
	if e.version == rdb.ValkeyVersion80 {
		e.buf = append(e.buf, "VALKEY080"...)
	} else {
		e.buf = append(e.buf, "REDIS"...)
		e.buf = append(e.buf, fmt.Sprintf("%04d", e.version)...)
	}
	for _, a := range aux {
		e.byte(rdb.OpAux)
		e.rawStr(a.Key)
		e.rawStr(a.Value)
	}

	// MODULE_AUX records saved "before the keyspace", then function
	// libraries sorted by name, as rdbSaveRio orders them.
	before, after, err := splitModuleAux(s.ModuleAux())
	if err != nil {
		return err
	}
	for _, raw := range before {
		e.byte(rdb.OpModuleAux)
		e.bytes(raw)
	}
	names := s.FunctionNames()
	if len(names) > 0 && e.version < 10 {
		return fmt.Errorf("rdbsave: function library %q: %w: functions need RDB version 10 (Redis 7.0) or later, target is %d",
			names[0], ErrUnrepresentable, e.version)
	}
	for _, name := range names {
		code, _ := s.Function(name)
		e.byte(rdb.OpFunction2)
		e.rawString(code)
		e.maybeFlush()
	}

	for dbi := 0; dbi < s.NumDBs(); dbi++ {
		if err := e.db(dbi, s.DB(dbi)); err != nil {
			return err
		}
		if e.err != nil {
			return fmt.Errorf("rdbsave: write: %w", e.err)
		}
	}

	for _, raw := range after {
		e.byte(rdb.OpModuleAux)
		e.bytes(raw)
	}
	e.byte(rdb.OpEOF)
	e.flush()
	if e.err != nil {
		return fmt.Errorf("rdbsave: write: %w", e.err)
	}
	var sum [8]byte
	binary.LittleEndian.PutUint64(sum[:], e.crc)
	if _, err := e.w.Write(sum[:]); err != nil {
		return fmt.Errorf("rdbsave: write checksum: %w", err)
	}
	return nil
}

// skip reports whether an entry is not written: an empty list, set,
// sorted set or hash is no key to Redis (its loader drops it with a
// warning), so it is left out (the value writers check this themselves).
func skip(ent *store.Entry) bool {
	switch ent.Kind() {
	case store.KindList, store.KindSet, store.KindZSet, store.KindHash:
		return ent.Empty()
	}
	return false
}

// db writes one database: SELECTDB, RESIZEDB, then every key in the map's
// (unspecified) order, each preceded by EXPIRETIME_MS when it has an
// expire. The RESIZEDB counts (a sizing hint for loaders) come from the
// entries alone, without touching the values: an empty collection, which
// the store never holds for long, is counted there but not written.
func (e *encoder) db(dbi int, d *store.DB) error {
	if d.Len() == 0 {
		return nil
	}
	var keys, expires uint64
	for _, ent := range d.All() {
		keys++
		if ent.Expire != 0 {
			expires++
		}
	}
	e.byte(rdb.OpSelectDB)
	e.length(uint64(dbi))
	e.byte(rdb.OpResizeDB)
	e.length(keys)
	e.length(expires)
	for k, ent := range d.All() {
		// The value writer emits expire, type and key once it has chosen
		// the type; it writes nothing for an empty collection.
		e.key, e.expire, e.hasKey = k, ent.Expire, true
		err := e.value(ent)
		e.hasKey = false // dropped unwritten for an empty collection
		if err != nil {
			return fmt.Errorf("rdbsave: db %d key %q: %w", dbi, k, err)
		}
		if e.err != nil {
			return nil
		}
	}
	return nil
}

// EncodeDump returns the DUMP payload of e (what DUMP answers and RESTORE
// accepts): the type byte and serialized value in the encoding the target
// version would save, the version as 2 bytes little-endian, and the CRC-64
// of all that, little-endian. Strings are not LZF-compressed. version is as
// Options.Version (80 for Valkey 9).
func EncodeDump(ent *store.Entry, version int) ([]byte, error) {
	return encodeDump(ent, version, defaultPackedThreshold)
}

func encodeDump(ent *store.Entry, version, packedThreshold int) ([]byte, error) {
	v, err := checkVersion(version)
	if err != nil {
		return nil, err
	}
	if skip(ent) {
		return nil, fmt.Errorf("rdbsave: dump: %w: an empty %s is no value", ErrUnrepresentable, ent.Kind())
	}
	enc := newEncoder(nil, v, false)
	enc.packedThreshold = packedThreshold
	if err := enc.value(ent); err != nil {
		return nil, fmt.Errorf("rdbsave: dump: %w", err)
	}
	b := binary.LittleEndian.AppendUint16(enc.buf, uint16(v))
	return binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b)), nil
}

// WriteFile writes s to path atomically: into a temp file in the same
// directory, fsynced, renamed over path, then the directory fsynced. On
// any failure the temp file is removed and path is left as it was.
func WriteFile(path string, s *store.Store, opts Options) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("rdbsave: create temp file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = Write(f, s, opts); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("rdbsave: chmod %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("rdbsave: fsync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("rdbsave: close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rdbsave: rename %s to %s: %w", tmp, path, err)
	}
	if err = fsutil.SyncDir(dir); err != nil {
		// The new file is in place; only its durability is in doubt.
		return fmt.Errorf("rdbsave: fsync directory %s after writing %s: %w", dir, path, err)
	}
	return nil
}
