package rdbsave

import (
	"encoding/binary"
	"io"
	"math"
	"unsafe"

	"github.com/redis-follower/redis-follower/internal/rdb"
)

const (
	// flushAt is the buffered size at which the encoder hands its buffer to
	// the underlying writer (and folds it into the CRC).
	flushAt = 128 << 10
	// directAt is the size from which a byte slice bypasses the buffer.
	directAt = 64 << 10
	// defaultPackedThreshold is quicklist.c's packed_threshold: list
	// elements this large or larger get a PLAIN quicklist node of their own.
	defaultPackedThreshold = 1 << 30
)

// encoder appends RDB bytes to buf and, when w is set, streams them out in
// large chunks while folding them into the CRC-64. With w == nil everything
// stays in buf (DUMP payloads).
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint64
	err error // first write error; later writes are dropped

	version  int
	compress bool

	// When hasKey is set, the next type byte is preceded by EXPIRETIME_MS
	// (if expire != 0) and followed by key.
	key    string
	expire int64
	hasKey bool

	// packedThreshold is the quicklist PLAIN-node threshold (tests lower it).
	packedThreshold int

	// Scratch space reused across values.
	scratch []byte // listpack / ziplist / intset being built
	body    []byte // stream node body being built
	lzf     []byte // LZF output
	lzfTab  *lzfTable
	ints    []int64  // intset members
	nodes   []qlNode // quicklist node boundaries
	snodes  []streamNode
	hitems  []hItem // hash fields being ordered by TTL
}

func newEncoder(w io.Writer, version int, compress bool) *encoder {
	e := &encoder{w: w, version: version, compress: compress, packedThreshold: defaultPackedThreshold}
	if w != nil {
		e.buf = make([]byte, 0, flushAt+directAt)
	}
	return e
}

// maybeFlush writes the buffer out once it is large enough.
func (e *encoder) maybeFlush() {
	if e.w != nil && len(e.buf) >= flushAt {
		e.flush()
	}
}

// flush writes out everything buffered.
func (e *encoder) flush() {
	if e.w == nil || len(e.buf) == 0 {
		return
	}
	e.crc = rdb.CRC64(e.crc, e.buf)
	if e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// bytes appends p, writing large slices straight through.
func (e *encoder) bytes(p []byte) {
	if e.w != nil && len(p) >= directAt {
		e.flush()
		e.crc = rdb.CRC64(e.crc, p)
		if e.err == nil {
			_, e.err = e.w.Write(p)
		}
		return
	}
	e.buf = append(e.buf, p...)
	e.maybeFlush()
}

func (e *encoder) byte(b byte) { e.buf = append(e.buf, b) }

// typ writes a value's type byte, with the pending expire before it and
// the pending key after it, if any.
func (e *encoder) typ(t byte) {
	if !e.hasKey {
		e.buf = append(e.buf, t)
		return
	}
	if e.expire != 0 {
		e.buf = append(e.buf, rdb.OpExpireTimeMs)
		e.millis(e.expire)
	}
	e.buf = append(e.buf, t)
	e.rawStr(e.key)
	e.key, e.hasKey = "", false
}

// length appends an RDB length (rdbSaveLen).
func (e *encoder) length(n uint64) { e.buf = appendLen(e.buf, n) }

func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|rdb.Len14Bit<<6, byte(n))
	case n <= math.MaxUint32:
		b = append(b, rdb.Len32Bit)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	default:
		b = append(b, rdb.Len64Bit)
		return binary.BigEndian.AppendUint64(b, n)
	}
}

// millis appends a little-endian 64-bit millisecond time.
func (e *encoder) millis(t int64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(t)) }

// appendRDBInt appends the INT8/16/32 special string encoding of v and
// reports whether v fits one (rdbEncodeInteger).
func appendRDBInt(b []byte, v int64) ([]byte, bool) {
	const enc = rdb.LenEncVal << 6
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, enc|rdb.EncInt8, byte(v)), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return append(b, enc|rdb.EncInt16, byte(v), byte(v>>8)), true
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return append(b, enc|rdb.EncInt32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)), true
	}
	return b, false
}

// rawString appends a string the way rdbSaveRawString does: as an
// INT8/16/32 when it is a canonical integer of at most 11 bytes in range,
// else LZF-compressed when compression is on, the string is longer than 20
// bytes and compressing saves at least 4 bytes, else verbatim.
func (e *encoder) rawString(s []byte) {
	if len(s) <= 11 {
		if v, ok := parseInt(s); ok {
			var done bool
			if e.buf, done = appendRDBInt(e.buf, v); done {
				e.maybeFlush()
				return
			}
		}
	}
	if e.compress && len(s) > 20 && e.lzfString(s) {
		return
	}
	e.length(uint64(len(s)))
	e.bytes(s)
}

// rawStr is rawString for a Go string (map keys, names).
func (e *encoder) rawStr(s string) { e.rawString(view(s)) }

// view returns the bytes of s without copying. The encoder only reads
// them (append, CRC, io.Writer.Write, which must not modify its argument).
func view(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// lzfString writes in LZF-compressed and reports whether it did (it does
// not when that would not save at least 4 bytes).
func (e *encoder) lzfString(in []byte) bool {
	if e.lzfTab == nil {
		e.lzfTab = new(lzfTable)
	}
	out, ok := lzfCompress(e.lzf[:0], in, len(in)-4, e.lzfTab)
	e.lzf = out[:0]
	if !ok {
		return false
	}
	e.byte(rdb.LenEncVal<<6 | rdb.EncLZF)
	e.length(uint64(len(out)))
	e.length(uint64(len(in)))
	e.bytes(out)
	return true
}

// parseInt parses s as Redis's string2ll / lpStringToInt64 do: only the
// canonical decimal form of an int64 ("0", or an optional '-' and a
// non-zero leading digit, no '+', no spaces, no leading zeros, no "-0").
// The first-byte test rejects most strings without a call.
func parseInt(s []byte) (int64, bool) {
	if len(s) != 0 && s[0] <= '9' {
		return parseIntSlow(s)
	}
	return 0, false
}

func parseIntSlow(s []byte) (int64, bool) {
	n := len(s)
	if n > 20 || (s[0] < '0' && s[0] != '-') {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
