package rdbload

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
)

// readLen reads an RDB length. When enc is true the value is a special
// string encoding (rdb.EncInt8 ... rdb.EncLZF) instead of a length.
func (d *decoder) readLen() (v uint64, enc bool, err error) {
	rd := d.rd
	if rd.w-rd.r < 9 {
		if err := rd.fill(1); err != nil {
			return 0, false, err
		}
	}
	b := rd.buf[rd.r]
	switch b >> 6 {
	case rdb.Len6Bit:
		rd.r++
		return uint64(b & 0x3f), false, nil
	case rdb.Len14Bit:
		p, err := rd.view(2)
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(p[1]), false, nil
	case rdb.LenEncVal:
		rd.r++
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case rdb.Len32Bit:
		p, err := rd.view(5)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p[1:])), false, nil
	case rdb.Len64Bit:
		p, err := rd.view(9)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p[1:]), false, nil
	}
	return 0, false, corrupt("invalid length encoding byte 0x" + strconv.FormatUint(uint64(b), 16))
}

// shortLen reads a 6- or 14-bit length at the start of p: the length and
// the bytes its encoding takes, or h == 0 for another encoding or too few
// bytes (the fast paths fall back to the general readers then).
func shortLen(p []byte) (l, h int) {
	if len(p) == 0 {
		return 0, 0
	}
	switch p[0] >> 6 {
	case rdb.Len6Bit:
		return int(p[0] & 0x3f), 1
	case rdb.Len14Bit:
		if len(p) < 2 {
			return 0, 0
		}
		return int(p[0]&0x3f)<<8 | int(p[1]), 2
	}
	return 0, 0
}

// readLength reads a plain length (a special string encoding is corrupt).
func (d *decoder) readLength() (uint64, error) {
	v, enc, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if enc {
		return 0, corrupt("expected a length, found a string encoding marker")
	}
	return v, nil
}

// readCount reads an element count and bounds it by MaxLength.
func (d *decoder) readCount(what string) (int, error) {
	v, err := d.readLength()
	if err != nil {
		return 0, err
	}
	if v > d.maxLen {
		return 0, corrupt(what + " " + strconv.FormatUint(v, 10) + " exceeds the limit of " +
			strconv.FormatUint(d.maxLen, 10) + " (Options.MaxLength)")
	}
	return int(v), nil
}

func (d *decoder) checkLen(n uint64) error {
	if n > d.maxLen {
		return corrupt("string length " + strconv.FormatUint(n, 10) + " exceeds the limit of " +
			strconv.FormatUint(d.maxLen, 10) + " (Options.MaxLength)")
	}
	return nil
}

// readIntEncoded reads the integer of an INT8/16/32 encoded string.
func (d *decoder) readIntEncoded(enc uint64) (int64, error) {
	switch enc {
	case rdb.EncInt8:
		b, err := d.rd.readByte()
		return int64(int8(b)), err
	case rdb.EncInt16:
		p, err := d.rd.view(2)
		if err != nil {
			return 0, err
		}
		return int64(int16(binary.LittleEndian.Uint16(p))), nil
	case rdb.EncInt32:
		p, err := d.rd.view(4)
		if err != nil {
			return 0, err
		}
		return int64(int32(binary.LittleEndian.Uint32(p))), nil
	}
	return 0, corrupt("unknown string encoding " + strconv.FormatUint(enc, 10))
}

// readString reads a string and returns a view valid until the next read
// on the decoder.
func (d *decoder) readString() ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if enc {
		if n == rdb.EncLZF {
			return d.readLZF(nil, math.MaxInt)
		}
		v, err := d.readIntEncoded(n)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(d.num[:0], v, 10), nil
	}
	if err := d.checkLen(n); err != nil {
		return nil, err
	}
	if n <= uint64(d.rd.viewMax) {
		return d.rd.view(int(n))
	}
	d.big, err = d.rd.appendN(d.big[:0], n)
	return d.big, err
}

// readStringOwned reads a string into memory the caller owns: carved from
// a when a is not nil, else its own allocation.
func (d *decoder) readStringOwned(a *arena) ([]byte, error) {
	return d.readStringShared(-1, a)
}

// readStringShared reads a string of at most viewMax bytes as a view
// valid until the next read on the decoder, and a longer one (any when
// viewMax < 0) into memory the caller owns, carved from a (its own
// allocation when a is nil). Whether the result is a view is told by its
// length.
func (d *decoder) readStringShared(viewMax int, a *arena) ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if enc {
		if n == rdb.EncLZF {
			return d.readLZF(a, viewMax)
		}
		v, err := d.readIntEncoded(n)
		if err != nil {
			return nil, err
		}
		b := strconv.AppendInt(d.num[:0], v, 10)
		if len(b) > viewMax {
			b = a.copy(b)
		}
		return b, nil
	}
	if err := d.checkLen(n); err != nil {
		return nil, err
	}
	if n <= uint64(d.rd.viewMax) {
		v, err := d.rd.view(int(n))
		if err != nil || int(n) <= viewMax {
			return v, err
		}
		return a.copy(v), nil
	}
	// Big string: grow as the bytes arrive, starting from a bounded
	// capacity so a corrupt length costs nothing until data backs it.
	return d.rd.appendN(make([]byte, 0, min(n, 16<<20)), n)
}

// readLZF reads an LZF-compressed string (after its 0xC3 marker): as a
// view valid until the next read when it decompresses to at most viewMax
// bytes, else carved from a (its own allocation when a is nil).
func (d *decoder) readLZF(a *arena, viewMax int) ([]byte, error) {
	clen, err := d.readLength()
	if err != nil {
		return nil, err
	}
	ulen, err := d.readLength()
	if err != nil {
		return nil, err
	}
	if err := d.checkLZF(clen, ulen); err != nil {
		return nil, err
	}
	var in []byte
	if clen <= uint64(d.rd.viewMax) {
		in, err = d.rd.view(int(clen))
	} else {
		d.lzfIn, err = d.rd.appendN(d.lzfIn[:0], clen)
		in = d.lzfIn
	}
	if err != nil {
		return nil, err
	}
	var out []byte
	if viewMax >= 0 && ulen <= uint64(viewMax) {
		if uint64(cap(d.lzfV)) < ulen {
			d.lzfV = make([]byte, ulen)
		}
		out = d.lzfV[:ulen]
	} else {
		out = a.alloc(int(ulen))
	}
	if !lzfDecompress(in, out) {
		return nil, corrupt("invalid LZF-compressed string")
	}
	return out, nil
}

// skipString consumes a string without materializing it.
func (d *decoder) skipString() error {
	n, enc, err := d.readLen()
	if err != nil {
		return err
	}
	if enc {
		if n == rdb.EncLZF {
			clen, err := d.readLength()
			if err != nil {
				return err
			}
			ulen, err := d.readLength()
			if err != nil {
				return err
			}
			if err := d.checkLZF(clen, ulen); err != nil {
				return err
			}
			return d.rd.skip(clen)
		}
		_, err := d.readIntEncoded(n)
		return err
	}
	// The checks readString makes, so a skip fails where a decode does.
	if err := d.checkLen(n); err != nil {
		return err
	}
	return d.rd.skip(n)
}

// checkLZF bounds the lengths of an LZF string.
func (d *decoder) checkLZF(clen, ulen uint64) error {
	if err := d.checkLen(ulen); err != nil {
		return err
	}
	if clen == 0 || clen > ulen+ulen/16+64 || ulen > clen*lzfMaxRatio {
		return corrupt("LZF string lengths are inconsistent (compressed " +
			strconv.FormatUint(clen, 10) + ", uncompressed " + strconv.FormatUint(ulen, 10) + ")")
	}
	return nil
}

// readBinaryDouble reads an 8-byte little-endian IEEE double.
func (d *decoder) readBinaryDouble() (float64, error) {
	p, err := d.rd.view(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}

// readStringDouble reads a double stored as a length-prefixed string
// (ZSET type 3): 253 NaN, 254 +inf, 255 -inf.
func (d *decoder) readStringDouble() (float64, error) {
	n, err := d.rd.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	p, err := d.rd.view(int(n))
	if err != nil {
		return 0, err
	}
	f, ok := parseScore(p)
	if !ok {
		return 0, corrupt("invalid sorted-set score " + strconv.Quote(string(p)))
	}
	return f, nil
}

// parseScore parses a score written as text (strtod semantics for what
// Redis writes: decimal, exponent, inf/-inf).
func parseScore(p []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true // strtod returns ±HUGE_VAL or 0 on range errors
		}
		return 0, false
	}
	return f, true
}

// arena hands out owned byte slices for the elements of one stream,
// carved from a few larger allocations instead of one per element. Each
// slice has its capacity clipped to its length, so an append by a later
// owner reallocates instead of overwriting a neighbour. A nil *arena
// allocates each slice separately.
type arena struct {
	buf  []byte
	next int // size of the next chunk
}

const (
	arenaMinChunk = 256
	arenaMaxChunk = 32 << 10
	arenaMaxElem  = 1 << 10 // larger elements get their own allocation
)

// reset starts a new collection; hint is the expected total element bytes
// (0 unknown).
func (a *arena) reset(hint int) {
	a.buf = nil
	a.next = min(max(hint, arenaMinChunk), arenaMaxChunk)
}

func (a *arena) alloc(n int) []byte {
	if a == nil || n > arenaMaxElem {
		return make([]byte, n)
	}
	if cap(a.buf)-len(a.buf) < n {
		size := max(a.next, n)
		a.buf = make([]byte, 0, size)
		a.next = min(size*2, arenaMaxChunk)
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

func (a *arena) copy(b []byte) []byte {
	out := a.alloc(len(b))
	copy(out, b)
	return out
}

func (a *arena) appendInt(v int64) []byte {
	var tmp [20]byte
	return a.copy(strconv.AppendInt(tmp[:0], v, 10))
}
