package rdbload

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
)

// Test-only builders of RDB bytes, for the formats and corner cases no
// installed server writes (old types, 7.4 RC hashes, Valkey HASH_2,
// module values, 65535+ element listpacks, malformed input). They encode
// exactly what rdb.c, listpack.c and ziplist.c write; they are not an RDB
// writer for the store (internal/rdbsave is).

type rdbBuf struct{ b []byte }

func newRDB(header string) *rdbBuf { return &rdbBuf{b: []byte(header)} }

func (r *rdbBuf) raw(p ...byte) *rdbBuf        { r.b = append(r.b, p...); return r }
func (r *rdbBuf) rawStr(s string) *rdbBuf      { r.b = append(r.b, s...); return r }
func (r *rdbBuf) len(n uint64) *rdbBuf         { r.b = appendLen(r.b, n); return r }
func (r *rdbBuf) str(s string) *rdbBuf         { r.b = append(appendLen(r.b, uint64(len(s))), s...); return r }
func (r *rdbBuf) blob(p []byte) *rdbBuf        { r.b = append(appendLen(r.b, uint64(len(p))), p...); return r }
func (r *rdbBuf) u64(v uint64) *rdbBuf         { r.b = binary.LittleEndian.AppendUint64(r.b, v); return r }
func (r *rdbBuf) u32(v uint32) *rdbBuf         { r.b = binary.LittleEndian.AppendUint32(r.b, v); return r }
func (r *rdbBuf) f64(f float64) *rdbBuf        { return r.u64(math.Float64bits(f)) }
func (r *rdbBuf) key(t byte, k string) *rdbBuf { return r.raw(t).str(k) }
func (r *rdbBuf) selectDB(n uint64) *rdbBuf {
	return r.raw(rdb.OpSelectDB).len(n)
}
func (r *rdbBuf) aux(k, v string) *rdbBuf { return r.raw(rdb.OpAux).str(k).str(v) }

// intStr appends an INT8/16/32-encoded string.
func (r *rdbBuf) intStr(v int64) *rdbBuf {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return r.raw(0xC0, byte(int8(v)))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		r.raw(0xC1)
		r.b = binary.LittleEndian.AppendUint16(r.b, uint16(int16(v)))
		return r
	}
	r.raw(0xC2)
	return r.u32(uint32(int32(v)))
}

// lzfStr appends an LZF-encoded string given its compressed form.
func (r *rdbBuf) lzfStr(compressed []byte, ulen int) *rdbBuf {
	return r.raw(0xC3).len(uint64(len(compressed))).len(uint64(ulen)).raw(compressed...)
}

// end appends the EOF opcode and the CRC-64.
func (r *rdbBuf) end() []byte {
	b := append(r.b, rdb.OpEOF)
	return binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b))
}

// endNoCRC appends EOF and a zero CRC ("rdbchecksum no").
func (r *rdbBuf) endNoCRC() []byte {
	return append(append(r.b, rdb.OpEOF), 0, 0, 0, 0, 0, 0, 0, 0)
}

// listpack encodes elements (string or int64/int) as listpack.c does.
func listpack(elems ...any) []byte {
	b := make([]byte, 6)
	for _, e := range elems {
		start := len(b)
		switch v := e.(type) {
		case string:
			n := len(v)
			switch {
			case n < 64:
				b = append(b, 0x80|byte(n))
			case n < 4096:
				b = append(b, 0xE0|byte(n>>8), byte(n))
			default:
				b = binary.LittleEndian.AppendUint32(append(b, 0xF0), uint32(n))
			}
			b = append(b, v...)
		case int:
			b = lpAppendInt(b, int64(v))
		case int64:
			b = lpAppendInt(b, v)
		default:
			panic("listpack: unsupported element type")
		}
		b = appendBacklen(b, len(b)-start)
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	n := len(elems)
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(n))
	return b
}

func lpAppendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint16(v) & 0x1fff
		return append(b, 0xC0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xF1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		return append(b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, 0xF3), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xF4), uint64(v))
}

func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// ziplist encodes elements (string or int64/int) as ziplist.c does.
func ziplist(elems ...any) []byte {
	b := make([]byte, 10)
	prev, tail := 0, 10
	for _, e := range elems {
		start := len(b)
		tail = start
		if prev < 254 {
			b = append(b, byte(prev))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 0xFE), uint32(prev))
		}
		switch v := e.(type) {
		case string:
			n := len(v)
			switch {
			case n < 64:
				b = append(b, byte(n))
			case n < 16384:
				b = append(b, 0x40|byte(n>>8), byte(n))
			default:
				b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
			}
			b = append(b, v...)
		case int:
			b = zlInt(b, int64(v))
		case int64:
			b = zlInt(b, v)
		default:
			panic("ziplist: unsupported element type")
		}
		prev = len(b) - start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	n := len(elems)
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(b[8:], uint16(n))
	return b
}

func zlInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 12:
		return append(b, 0xF1+byte(v))
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, 0xFE, byte(int8(v)))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xC0), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		return append(b, 0xF0, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, 0xD0), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xE0), uint64(v))
}

// intset encodes values (sorted by the caller) with the given width.
func intset(width int, vals ...int64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// zipmap encodes field/value pairs (with free bytes after each value).
func zipmap(free int, pairs ...string) []byte {
	n := len(pairs) / 2
	if n > 253 {
		n = 254
	}
	b := []byte{byte(n)}
	zl := func(l int) {
		if l < 254 {
			b = append(b, byte(l))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 254), uint32(l))
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		zl(len(pairs[i]))
		b = append(b, pairs[i]...)
		zl(len(pairs[i+1]))
		b = append(b, byte(free))
		b = append(b, pairs[i+1]...)
		b = append(b, make([]byte, free)...)
	}
	return append(b, 0xFF)
}

// moduleID builds a module type ID from a 9-character name and version.
func moduleID(name string, ver uint64) uint64 {
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(indexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", name[i]))
	}
	return id<<10 | ver
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	panic("bad module name character " + strconv.Quote(string(c)))
}

// streamID16 is a stream ID as the 16-byte big-endian node key / raw ID.
func streamID16(ms, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, ms), seq)
}
