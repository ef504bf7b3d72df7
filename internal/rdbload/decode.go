package rdbload

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"unsafe"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// DefaultMaxLength is the default bound on any single string length or
// element count read from the input.
const DefaultMaxLength = 1 << 30

// progressEvery is how often (in input bytes) Options.Progress is called.
const progressEvery = 4 << 20

// Options tune a decode.
type Options struct {
	// Logger receives warnings (skipped empty keys) and debug details;
	// nil discards. Nothing is logged per key above Debug.
	Logger *slog.Logger
	// Progress, when set, is called about every 4 MB of input with the
	// bytes consumed and keys decoded so far.
	Progress func(bytes, keys int64)
	// MaxLength bounds any single string length and element count
	// (DefaultMaxLength when <= 0). A longer one is reported as corrupt.
	MaxLength int
	// Workers is how many goroutines decode values while another one
	// reads the input; the Handler is still called on the caller's
	// goroutine, in file order, exactly as a sequential decode calls it.
	// 0 picks GOMAXPROCS (at most 4) for an input of unknown size or of
	// 1 MB and more; 1 decodes sequentially, as does a Handler that is a
	// KeySelector.
	Workers int
	// batchRecs, when > 0, caps the records of a parallel batch (tests
	// cut batches small to cross their boundaries); progressEvery, when
	// > 0, replaces the 4 MB between Progress calls (tests).
	batchRecs     int
	progressEvery int64
	// InputSize, when > 0, is the size of the input in bytes, for a
	// reader that does not tell it (an io.TeeReader over a $<len>
	// payload): collections are then presized from their counts bounded
	// by the bytes left, as for a bytes.Reader, io.LimitedReader or file.
	InputSize int64
}

// AuxField is one AUX field of the RDB header (or later in the file).
type AuxField struct{ Key, Value string }

// Info describes a decoded RDB.
type Info struct {
	Magic   string // "REDIS" or "VALKEY"
	Version int    // RDB version (80 for VALKEY080)
	// Aux holds every AUX field in file order.
	Aux []AuxField
	// ReplID, ReplOffset and ReplStreamDB come from the repl-id,
	// repl-offset and repl-stream-db AUX fields; "" / -1 when absent.
	ReplID       string
	ReplOffset   int64
	ReplStreamDB int
	// Keys counts the keys delivered to Key or SkippedKey, Expires those
	// with an expiry, Skipped those a KeySelector declined.
	Keys    int64
	Expires int64
	Skipped int64
	// EmptySkipped counts empty collections skipped (files written by
	// servers with the empty-key bug, redis#8453).
	EmptySkipped int64
	// Functions counts FUNCTION2 libraries.
	Functions int
	// ModuleAux holds each MODULE_AUX record's raw bytes (everything
	// after the opcode byte, ending with the module EOF opcode), so a
	// snapshot can write them back.
	ModuleAux [][]byte
	// Bytes is the number of input bytes consumed, CRC included.
	Bytes int64
}

// KeyMeta is the per-key metadata carried by opcodes before a key.
type KeyMeta struct {
	// Type is the RDB object type byte the value was stored with (its
	// encoding: rdb.TypeHashListpack, rdb.TypeStreamListpacks3, ...).
	Type byte
	// Idle is the LRU idle time in seconds (IDLE opcode), -1 if absent.
	Idle int64
	// Freq is the LFU frequency (FREQ opcode), -1 if absent.
	Freq int
	// Offset is the input offset of the record's type byte, and Size the
	// bytes from there to the end of the value (type byte, key name and
	// serialized value: what the key occupies in the file, without the
	// EXPIRETIME/IDLE/FREQ opcodes before it).
	Offset, Size int64
}

// Handler receives the records of an RDB in file order. Everything passed
// to it is freshly allocated and owned by the handler. Returning an error
// stops the decode; Decode returns it wrapped in an *Error.
type Handler interface {
	// Aux is called for every AUX field.
	Aux(key, value string) error
	// SelectDB is called for every SELECTDB opcode.
	SelectDB(db int) error
	// Function is called for every FUNCTION2 library with the library
	// name taken from its "#!<engine> name=<name>" line.
	Function(name string, code []byte) error
	// ModuleAux is called for every MODULE_AUX record with its raw bytes.
	ModuleAux(raw []byte) error
	// Key is called for every key. e.Expire is already set (absolute ms,
	// 0 none; an expiry at or before the epoch is stored as 1).
	Key(db int, key string, e *store.Entry, meta KeyMeta) error
}

// HeaderHandler is implemented by a Handler that wants the RDB header
// (magic "REDIS" or "VALKEY" and version) before the first record.
type HeaderHandler interface {
	Header(magic string, version int) error
}

// Resizer is implemented by a Handler that wants the RESIZEDB hint: the
// number of keys the current database holds, as the writer claimed it
// (untrusted: use it only as a bounded sizing hint; when the input's size
// is known, the hint is already bounded by the records it can hold).
type Resizer interface {
	ResizeDB(db int, keys uint64)
}

// Decode streams a whole RDB from r into h. It verifies the header, every
// structure, the trailing CRC-64 (a stored CRC of 0 means the file was
// written with rdbchecksum off and is accepted) and that r ends right
// after it. r must be bounded to the payload: any byte after the CRC is an
// error. On error the Info is nil and h may have seen part of the data;
// callers discard what they built.
func Decode(r io.Reader, h Handler, opts Options) (*Info, error) {
	d := newSizedDecoder(r, h, opts)
	if n := d.workers(); n > 1 {
		return d.runParallel(n)
	}
	if err := d.run(); err != nil {
		return nil, err
	}
	return d.info, nil
}

// newSizedDecoder is newDecoder with the read buffer sized to the input
// (bufSize, or less when r says it holds less) and the input size known
// for the collection size hints.
func newSizedDecoder(r io.Reader, h Handler, opts Options) *decoder {
	size := inputSize(r)
	if opts.InputSize > 0 {
		size = opts.InputSize
	}
	buf := bufSize
	if size >= 0 && size < bufSize {
		buf = max(int(size)+1, 256)
	}
	d := newDecoder(r, h, opts, buf)
	d.size = size
	return d
}

// inputSize is how many bytes r holds when r says so (bytes.Reader,
// strings.Reader, io.LimitedReader, a regular file), else -1.
func inputSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *io.LimitedReader:
		return max(v.N, 0)
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return max(fi.Size()-pos, 0)
	}
	return -1
}

// sizeHint bounds an element count read from the input for presizing a
// collection: by the bytes left in the input when its size is known
// (each element takes at least minBytes of them), else by capHint. A
// corrupt count therefore never reserves more than the input could fill.
func (d *decoder) sizeHint(n, minBytes int) int {
	if d.size < 0 {
		return min(n, capHint)
	}
	left := max(d.size-d.rd.offset(), 0) / int64(minBytes)
	return int(min(int64(n), left))
}

type decoder struct {
	rd     *reader
	h      Handler
	sel    KeySelector // h, when it selects keys
	opts   Options
	log    *slog.Logger
	maxLen uint64
	info   *Info

	valkey  bool
	version int
	size    int64 // input size when known, else -1

	db     int
	inDB   bool
	key    string
	hasKey bool

	nextProgress  int64
	progressEvery int64

	// onRecord, when set (tests), sees the input range of every key
	// record (from its type byte to the end of its value) and its entry
	// (nil when skipped as empty).
	onRecord func(db int, start, end int64, e *store.Entry)

	kbuf     []byte   // key name scratch
	keyOwned bool     // key is no longer a view of kbuf
	mbuf     []byte   // member or field scratch
	num      [24]byte // integer formatting
	big      []byte   // scratch for views larger than the buffer
	lzfIn    []byte   // scratch for large compressed input
	lzfV     []byte   // scratch for decompressed views
	arena    arena    // stream elements
	bld      store.Builder

	par     *par // set while splitting for parallel decoders (parallel.go)
	viewMax int  // a parallel worker's: the splitter's read buffer size
}

func newDecoder(r io.Reader, h Handler, opts Options, size int) *decoder {
	d := &decoder{
		rd:   newReader(r, size),
		h:    h,
		opts: opts,
		log:  opts.Logger,
		info: &Info{ReplOffset: -1, ReplStreamDB: -1},
		size: -1,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.sel, _ = h.(KeySelector)
	d.maxLen = DefaultMaxLength
	if opts.MaxLength > 0 {
		d.maxLen = uint64(opts.MaxLength)
	}
	d.progressEvery = progressEvery
	if opts.progressEvery > 0 {
		d.progressEvery = opts.progressEvery
	}
	d.nextProgress = d.progressEvery
	return d
}

// wrap adds the position and context to err.
func (d *decoder) wrap(err error, what string) error {
	db := -1
	if d.inDB {
		db = d.db
	}
	return wrapErr(err, what, d.rd.offset(), db, d.key, d.hasKey)
}

// wrapErr makes err an *Error at offset off (db < 0: none; key when
// hasKey), filling only what an *Error does not say yet.
func wrapErr(err error, what string, off int64, db int, key string, hasKey bool) error {
	if e, ok := err.(*Error); ok {
		if e.Offset < 0 {
			e.Offset = off
		}
		if e.DB < 0 {
			e.DB = db
		}
		if !e.HasKey && hasKey {
			e.Key, e.HasKey = key, true
		}
		return e
	}
	e := &Error{Offset: off, DB: db, Msg: what, Err: err}
	if hasKey {
		e.Key, e.HasKey = key, true
	}
	return e
}

func (d *decoder) header() error {
	hdr, err := d.rd.view(9)
	if err != nil {
		return d.wrap(err, "reading the 9-byte RDB header")
	}
	switch {
	case bytes.HasPrefix(hdr, []byte("REDIS")):
		v, ok := digits(hdr[5:])
		if !ok || v < 1 {
			return d.wrap(corrupt("invalid RDB header "+strconv.Quote(string(hdr))), "")
		}
		d.info.Magic, d.version = "REDIS", v
		if v > rdb.MaxRedisVersion {
			return d.wrap(unsupported("RDB version "+strconv.Itoa(v)+redisRelease(v)+
				" is not supported; newest supported is "+strconv.Itoa(rdb.MaxRedisVersion)), "")
		}
	case bytes.HasPrefix(hdr, []byte("VALKEY")):
		v, ok := digits(hdr[6:])
		if !ok {
			return d.wrap(corrupt("invalid RDB header "+strconv.Quote(string(hdr))), "")
		}
		d.info.Magic, d.version, d.valkey = "VALKEY", v, true
		if v != rdb.ValkeyVersion80 {
			return d.wrap(unsupported("Valkey RDB version "+strconv.Itoa(v)+
				" is not supported; supported is "+strconv.Itoa(rdb.ValkeyVersion80)+" (Valkey 9)"), "")
		}
	default:
		return d.wrap(corrupt("not an RDB: header "+strconv.Quote(string(hdr))+
			" does not start with REDIS or VALKEY"), "")
	}
	d.info.Version = d.version
	d.log.Debug("RDB header", "magic", d.info.Magic, "version", d.version)
	return nil
}

func redisRelease(v int) string {
	switch v {
	case 13:
		return " (Redis 8.6+)"
	case 14:
		return " (Redis 8.8+)"
	}
	return " (Redis newer than 8.8)"
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func (d *decoder) run() error {
	if err := d.header(); err != nil {
		return err
	}
	if hh, ok := d.h.(HeaderHandler); ok {
		if err := hh.Header(d.info.Magic, d.version); err != nil {
			return d.wrap(err, "handler refused the RDB header")
		}
	}
	var (
		expire    int64
		hasExpire bool
		meta      = KeyMeta{Idle: -1, Freq: -1}
	)
	for {
		if d.opts.Progress != nil && d.rd.offset() >= d.nextProgress {
			d.progress(d.rd.offset())
			d.nextProgress = d.rd.offset() + d.progressEvery
		}
		t, err := d.rd.readByte()
		if err != nil {
			return d.wrap(err, "reading the next record type (the RDB ended before its EOF opcode)")
		}
		switch t {
		case rdb.OpExpireTimeMs:
			b, err := d.rd.view(8)
			if err != nil {
				return d.wrap(err, "reading a millisecond expire time")
			}
			expire, hasExpire = int64(binary.LittleEndian.Uint64(b)), true
		case rdb.OpExpireTime:
			b, err := d.rd.view(4)
			if err != nil {
				return d.wrap(err, "reading an expire time in seconds")
			}
			expire, hasExpire = int64(int32(binary.LittleEndian.Uint32(b)))*1000, true
		case rdb.OpFreq:
			b, err := d.rd.readByte()
			if err != nil {
				return d.wrap(err, "reading an LFU frequency")
			}
			meta.Freq = int(b)
		case rdb.OpIdle:
			v, err := d.readLength()
			if err != nil {
				return d.wrap(err, "reading an LRU idle time")
			}
			meta.Idle = int64(v)
			if meta.Idle < 0 {
				meta.Idle = math.MaxInt64
			}
		case rdb.OpEOF:
			return d.finish()
		case rdb.OpSelectDB:
			v, err := d.readLength()
			if err != nil {
				return d.wrap(err, "reading a SELECTDB index")
			}
			if v >= store.MaxDatabases {
				return d.wrap(corrupt("SELECTDB "+strconv.FormatUint(v, 10)+" is beyond the "+
					strconv.Itoa(store.MaxDatabases)+" databases the store allows"), "")
			}
			d.db, d.inDB = int(v), true
			if err := d.h.SelectDB(d.db); err != nil {
				return d.wrap(err, "handler refused SELECTDB")
			}
		case rdb.OpResizeDB:
			keys, err := d.readLength()
			if err != nil {
				return d.wrap(err, "reading a RESIZEDB hint")
			}
			if _, err := d.readLength(); err != nil {
				return d.wrap(err, "reading a RESIZEDB hint")
			}
			if rs, ok := d.h.(Resizer); ok && d.inDB {
				if d.size >= 0 { // a key record takes at least 3 bytes
					keys = min(keys, uint64(max(d.size-d.rd.offset(), 0))/3)
				}
				rs.ResizeDB(d.db, keys)
			}
		case rdb.OpSlotInfo:
			for i := 0; i < 3; i++ {
				if _, err := d.readLength(); err != nil {
					return d.wrap(err, "reading a SLOT_INFO record")
				}
			}
		case rdb.OpAux:
			if err := d.aux(); err != nil {
				return err
			}
		case rdb.OpModuleAux:
			if err := d.moduleAux(); err != nil {
				return err
			}
		case rdb.OpFunctionPreGA:
			return d.wrap(unsupported("function library in the Redis 7.0 release-candidate format (opcode 246)"), "")
		case rdb.OpFunction2:
			if err := d.function(); err != nil {
				return err
			}
		case rdb.OpSlotImport:
			if !d.valkey {
				return d.wrap(unsupported("opcode 243 (KEY_META, Redis 8.6+) in an RDB version "+
					strconv.Itoa(d.version)+" file"), "")
			}
			if err := d.slotImport(); err != nil {
				return err
			}
		default:
			meta.Type = t
			if err := d.keyRecord(t, expire, hasExpire, meta); err != nil {
				return err
			}
			expire, hasExpire = 0, false
			meta = KeyMeta{Idle: -1, Freq: -1}
		}
	}
}

func (d *decoder) keyRecord(t byte, expire int64, hasExpire bool, meta KeyMeta) error {
	if t == rdb.TypeModulePreGA {
		return &Error{Offset: d.rd.offset() - 1, DB: d.db, Msg: "module value in the Redis 4.0 " +
			"release-candidate format (type 6)", Err: ErrUnsupported}
	}
	if !objectType(t, d.valkey) {
		// Step back so the offset names the type byte.
		return &Error{Offset: d.rd.offset() - 1, DB: d.db, Msg: "unknown RDB object type " +
			strconv.Itoa(int(t)) + " in a " + d.info.Magic + " version " + strconv.Itoa(d.version) + " file",
			Err: ErrCorrupt}
	}
	d.inDB = true
	start := d.rd.offset() - 1
	if d.par != nil {
		return d.splitRecord(t, start, expire, hasExpire, meta)
	}
	if d.sel != nil {
		kv, err := d.readString()
		if err != nil {
			return d.wrap(err, "reading a key name")
		}
		if !d.sel.WantKey(d.db, kv, t) {
			return d.skippedRecord(d.sel, t, kv, start, expire, hasExpire, meta)
		}
		e, err := d.decodeValue(t, kv)
		if err != nil {
			return err
		}
		return d.deliver(t, e, start, expire, hasExpire, meta)
	}
	e, err := d.decodeKey(t)
	if err != nil {
		return err
	}
	return d.deliver(t, e, start, expire, hasExpire, meta)
}

// decodeKey reads a key name and its value of type t, setting d.key. The
// entry is nil for an empty collection (skipped, as Redis does).
func (d *decoder) decodeKey(t byte) (*store.Entry, error) {
	if t == rdb.TypeString {
		if e := d.fastString(); e != nil {
			return e, nil
		}
	}
	kv, err := d.readString()
	if err != nil {
		return nil, d.wrap(err, "reading a key name")
	}
	return d.decodeValue(t, kv)
}

// decodeValue reads the value of type t whose key name kv (a view) was
// just read, setting d.key.
func (d *decoder) decodeValue(t byte, kv []byte) (e *store.Entry, err error) {
	if t == rdb.TypeString {
		e, err = d.stringRecord(kv)
	} else {
		// A packed collection takes the key name into its allocation
		// (d.finish); until then d.key is a view of the scratch copy.
		d.kbuf = append(d.kbuf[:0], kv...)
		d.key, d.hasKey, d.keyOwned = unsafe.String(unsafe.SliceData(d.kbuf), len(d.kbuf)), true, false
		e, err = d.readObject(t)
		if !d.keyOwned {
			d.key = string(d.kbuf)
		}
	}
	if err != nil {
		return nil, d.wrap(err, "reading a "+typeName(t, d.valkey)+" value")
	}
	return e, nil
}

// deliver hands a decoded key (d.key, record from start to the current
// offset) to the handler.
func (d *decoder) deliver(t byte, e *store.Entry, start, expire int64, hasExpire bool, meta KeyMeta) error {
	if err := deliverKey(d.h, d.info, d.log, d.onRecord, d.valkey, d.db, d.key, t, e, start, d.rd.offset(),
		expire, hasExpire, meta); err != nil {
		return d.wrap(err, "handler refused the key")
	}
	d.hasKey = false
	return nil
}

// deliverKey is what every decoded key record ends with, sequential or
// parallel: counters, the test hook, expiry, and the handler.
func deliverKey(h Handler, info *Info, log *slog.Logger, onRecord func(int, int64, int64, *store.Entry),
	valkey bool, db int, key string, t byte, e *store.Entry, start, end, expire int64, hasExpire bool, meta KeyMeta) error {
	if e == nil {
		if onRecord != nil {
			onRecord(db, start, end, nil)
		}
		info.EmptySkipped++
		if info.EmptySkipped <= 10 {
			log.Warn("RDB holds an empty collection; skipping the key as Redis does",
				"db", db, "key", key, "type", typeName(t, valkey))
		}
		return nil
	}
	if hasExpire {
		if expire <= 0 {
			expire = 1 // already expired; 0 would mean "no expiry"
		}
		e.Expire = expire
		info.Expires++
	}
	if onRecord != nil {
		onRecord(db, start, end, e)
	}
	info.Keys++
	meta.Offset, meta.Size = start, end-start
	return h.Key(db, key, e, meta)
}

// maxSharedString is the largest string value that shares one allocation
// with its key (see stringRecord).
const maxSharedString = 512

// stringRecord reads the value of a string key whose name kv (a view) was
// just read, and sets d.key. Small keys are allocated once: when key and
// value together fit store.MaxEmbedded bytes, the entry, the key name and
// the value share one allocation (as Redis embeds short strings in their
// object); else a value of at most maxSharedString bytes shares one
// allocation with the key name. The key string is a view of bytes never
// written again and the value's capacity ends where it ends, so appending
// to it reallocates. The price: when the value is later replaced, the old
// one stays allocated with the key.
func (d *decoder) stringRecord(kv []byte) (*store.Entry, error) {
	d.kbuf = append(d.kbuf[:0], kv...) // the view dies with the next read
	// Until the key has its own memory, d.key (for error messages) is a
	// view of the scratch copy.
	d.key, d.hasKey = unsafe.String(unsafe.SliceData(d.kbuf), len(d.kbuf)), true
	v, err := d.readStringShared(max(maxSharedString, store.MaxEmbedded), nil)
	if err != nil {
		d.key = string(d.kbuf)
		return nil, err
	}
	kl := len(d.kbuf)
	n := kl + len(v)
	if kl == 0 || (len(v) > maxSharedString && n > store.MaxEmbedded) {
		d.key = string(d.kbuf)
		if len(v) <= store.MaxEmbedded {
			v = append(make([]byte, 0, len(v)), v...)
		}
		return store.NewString(v), nil // v is owned
	}
	var e *store.Entry
	var buf []byte
	if n <= store.MaxEmbedded {
		e, buf = store.NewEmbedded(n)
	} else {
		buf = make([]byte, n)
	}
	copy(buf, d.kbuf)
	copy(buf[kl:], v)
	d.key = unsafe.String(unsafe.SliceData(buf), kl)
	val := buf[kl:n:n]
	if e == nil {
		return store.NewString(val), nil
	}
	e.SetStr(val)
	return e, nil
}

// fastString decodes a string record (after its type byte) in the common
// case: the key and a raw value with 6- or 14-bit lengths, together at
// most store.MaxEmbedded bytes, all in the read buffer. It consumes
// nothing and returns nil otherwise.
func (d *decoder) fastString() *store.Entry {
	rd := d.rd
	p := rd.buf[rd.r:rd.w]
	kl, h := shortLen(p)
	if h == 0 || kl == 0 || h+kl+2 > len(p) {
		return nil
	}
	key := p[h : h+kl]
	p = p[h+kl:]
	vl, vh := shortLen(p)
	if vh == 0 {
		return nil
	}
	n := kl + vl
	if n > store.MaxEmbedded || uint64(max(kl, vl)) > d.maxLen || vh+vl > len(p) {
		return nil
	}
	e, buf := store.NewEmbedded(n)
	copy(buf, key)
	copy(buf[kl:], p[vh:vh+vl])
	rd.r += h + kl + vh + vl
	d.key, d.hasKey = unsafe.String(unsafe.SliceData(buf), kl), true
	e.SetStr(buf[kl:n:n])
	return e
}

func (d *decoder) finish() error {
	d.hasKey = false
	if d.version >= 5 {
		sum := d.rd.sum()
		b, err := d.rd.view(8)
		if err != nil {
			return d.wrap(err, "reading the 8-byte CRC-64 after the EOF opcode")
		}
		stored := binary.LittleEndian.Uint64(b)
		if stored != 0 && stored != sum {
			return d.wrap(corrupt("CRC-64 mismatch: the file says "+strconv.FormatUint(stored, 16)+
				", the content hashes to "+strconv.FormatUint(sum, 16)), "")
		}
		if stored == 0 {
			d.log.Debug("RDB written with rdbchecksum off; CRC not checked")
		}
	}
	if err := d.rd.atEOF(); err != nil {
		return d.wrap(err, "checking that the input ends after the RDB")
	}
	d.info.Bytes = d.rd.offset()
	if d.info.EmptySkipped > 10 {
		d.log.Warn("RDB held empty collections; skipped them", "count", d.info.EmptySkipped)
	}
	return nil
}

func (d *decoder) aux() error {
	kv, err := d.readString()
	if err != nil {
		return d.wrap(err, "reading an AUX field name")
	}
	key := string(kv)
	vv, err := d.readString()
	if err != nil {
		return d.wrap(err, "reading the value of AUX field "+strconv.Quote(key))
	}
	val := string(vv)
	d.info.Aux = append(d.info.Aux, AuxField{Key: key, Value: val})
	switch key {
	case "repl-id":
		if rdb.ValidReplID(val) {
			d.info.ReplID = val
		} else {
			d.log.Warn("ignoring a repl-id AUX field that is not 40 hex characters", "value", val)
		}
	case "repl-offset":
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			d.info.ReplOffset = n
		} else {
			d.log.Warn("ignoring an unparsable repl-offset AUX field", "value", val)
		}
	case "repl-stream-db":
		if n, err := strconv.Atoi(val); err == nil {
			d.info.ReplStreamDB = n
		} else {
			d.log.Warn("ignoring an unparsable repl-stream-db AUX field", "value", val)
		}
	}
	d.log.Debug("RDB aux field", "key", key, "value", val)
	if err := d.h.Aux(key, val); err != nil {
		return d.wrap(err, "handler refused an AUX field")
	}
	return nil
}

func (d *decoder) function() error {
	code, err := d.readStringOwned(nil)
	if err != nil {
		return d.wrap(err, "reading a FUNCTION2 library")
	}
	name, ok := libraryName(code)
	if !ok {
		return d.wrap(corrupt("function library without a \"#!<engine> name=<library>\" first line"), "")
	}
	d.info.Functions++
	if err := d.h.Function(name, code); err != nil {
		return d.wrap(err, "handler refused function library "+strconv.Quote(name))
	}
	return nil
}

// libraryName extracts name=<lib> from a library's shebang line, as
// Redis's functionExtractLibMetaData does (the first line, split like
// arguments, parts after the engine are name=<lib>).
func libraryName(code []byte) (string, bool) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", false
	}
	line, _, found := bytes.Cut(code, []byte("\n"))
	if !found {
		return "", false
	}
	parts := splitArgs(string(line))
	if len(parts) == 0 {
		return "", false
	}
	name := ""
	for _, p := range parts[1:] {
		if len(p) >= 5 && equalFold(p[:5], "name=") {
			if name != "" {
				return "", false
			}
			name = p[5:]
			continue
		}
		return "", false
	}
	return name, name != ""
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// splitArgs splits a line on blanks, honouring double and single quotes
// (a simplified sdssplitargs; library names are [A-Za-z0-9_] anyway).
func splitArgs(s string) []string {
	var out []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++
		}
		if i >= len(s) {
			return out
		}
		var cur []byte
		for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' {
			if q := s[i]; q == '"' || q == '\'' {
				i++
				for i < len(s) && s[i] != q {
					cur = append(cur, s[i])
					i++
				}
				i++ // closing quote
				continue
			}
			cur = append(cur, s[i])
			i++
		}
		out = append(out, string(cur))
	}
}

func (d *decoder) slotImport() error {
	if err := d.skipString(); err != nil {
		return d.wrap(err, "reading a SLOT_IMPORT job name")
	}
	n, err := d.readLength()
	if err != nil {
		return d.wrap(err, "reading a SLOT_IMPORT range count")
	}
	if n > d.maxLen {
		return d.wrap(corrupt("SLOT_IMPORT range count "+strconv.FormatUint(n, 10)+" is too large"), "")
	}
	for i := uint64(0); i < 2*n; i++ {
		if _, err := d.readLength(); err != nil {
			return d.wrap(err, "reading a SLOT_IMPORT slot range")
		}
	}
	return nil
}

// objectType reports whether t is a value type byte.
func objectType(t byte, valkey bool) bool {
	switch {
	case t <= rdb.TypeModule2:
		return true
	case t >= rdb.TypeHashZipmap && t <= rdb.TypeStreamListpacks3:
		return true
	case t == 22:
		return true
	case t >= 23 && t <= rdb.TypeHashListpackEx:
		return !valkey
	}
	return false
}

var typeNames = [...]string{
	0:  "string",
	1:  "list (linked list)",
	2:  "set (hashtable)",
	3:  "sorted set (string scores)",
	4:  "hash (hashtable)",
	5:  "sorted set (binary scores)",
	6:  "module (pre-GA)",
	7:  "module",
	9:  "hash (zipmap)",
	10: "list (ziplist)",
	11: "set (intset)",
	12: "sorted set (ziplist)",
	13: "hash (ziplist)",
	14: "list (quicklist)",
	15: "stream (v1)",
	16: "hash (listpack)",
	17: "sorted set (listpack)",
	18: "list (quicklist 2)",
	19: "stream (v2)",
	20: "set (listpack)",
	21: "stream (v3)",
	22: "hash with field TTLs (7.4 RC metadata)",
	23: "hash with field TTLs (7.4 RC listpack)",
	24: "hash with field TTLs (metadata)",
	25: "hash with field TTLs (listpack)",
}

func typeName(t byte, valkey bool) string {
	if t == 22 && valkey {
		return "hash (Valkey HASH_2)"
	}
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type " + strconv.Itoa(int(t))
}
