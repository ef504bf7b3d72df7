package rdbsave

import (
	"encoding/binary"
	"math"
)

// Listpack layout (listpack.c): <total-bytes u32 LE> <num-elements u16 LE>
// <entry>... <0xFF>. Each entry is <encoding+data> <backlen>, where backlen
// is the size of <encoding+data> written in 1-5 bytes readable right to
// left. num-elements saturates at 65535 ("unknown, count by walking").

const (
	lpHeaderSize     = 6
	lpEOF            = 0xFF
	lpNumEleUnknown  = math.MaxUint16
	lpEnc7BitUint    = 0x00
	lpEnc6BitStr     = 0x80
	lpEnc13BitInt    = 0xC0
	lpEnc12BitStr    = 0xE0
	lpEnc16BitInt    = 0xF1
	lpEnc24BitInt    = 0xF2
	lpEnc32BitInt    = 0xF3
	lpEnc64BitInt    = 0xF4
	lpEnc32BitStr    = 0xF0
	lpMaxSafetyBytes = 1 << 30 // LISTPACK_MAX_SAFETY_SIZE
)

// lpBacklenSize is lpEncodeBacklen(NULL, l): note the quirky strict
// bounds (16383, 2097151, 268435455), which the validator relies on too.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func appendBacklen(b []byte, l int) []byte {
	u := uint64(l)
	switch lpBacklenSize(l) {
	case 1:
		return append(b, byte(u))
	case 2:
		return append(b, byte(u>>7), byte(u&127)|128)
	case 3:
		return append(b, byte(u>>14), byte((u>>7)&127)|128, byte(u&127)|128)
	case 4:
		return append(b, byte(u>>21), byte((u>>14)&127)|128, byte((u>>7)&127)|128, byte(u&127)|128)
	}
	return append(b, byte(u>>28), byte((u>>21)&127)|128, byte((u>>14)&127)|128, byte((u>>7)&127)|128, byte(u&127)|128)
}

// lpIntEncLen is the size of an integer's encoding+data (without backlen).
func lpIntEncLen(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

// lpAppendInt appends integer v as a listpack entry (lpAppendInteger).
func lpAppendInt(b []byte, v int64) []byte {
	u := uint64(v)
	var n int
	switch {
	case v >= 0 && v <= 127:
		b = append(b, byte(v))
		n = 1
	case v >= -4096 && v <= 4095:
		u &= 1<<13 - 1
		b = append(b, byte(u>>8)|lpEnc13BitInt, byte(u))
		n = 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		b = append(b, lpEnc16BitInt, byte(u), byte(u>>8))
		n = 3
	case v >= -8388608 && v <= 8388607:
		b = append(b, lpEnc24BitInt, byte(u), byte(u>>8), byte(u>>16))
		n = 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		b = append(b, lpEnc32BitInt, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		n = 5
	default:
		b = append(b, lpEnc64BitInt)
		b = binary.LittleEndian.AppendUint64(b, u)
		n = 9
	}
	return appendBacklen(b, n)
}

// lpAppendStr appends s as a listpack entry the way lpAppend does: as an
// integer when lpStringToInt64 accepts it, else as a string.
func lpAppendStr(b []byte, s []byte) []byte {
	if v, ok := parseInt(s); ok {
		return lpAppendInt(b, v)
	}
	l := len(s)
	var n int
	switch {
	case l < 64:
		b = append(b, byte(l)|lpEnc6BitStr)
		n = 1 + l
	case l < 4096:
		b = append(b, byte(l>>8)|lpEnc12BitStr, byte(l))
		n = 2 + l
	default:
		b = append(b, lpEnc32BitStr, byte(l), byte(l>>8), byte(l>>16), byte(l>>24))
		n = 5 + l
	}
	b = append(b, s...)
	return appendBacklen(b, n)
}

// lpStart resets b to an empty listpack header.
func lpStart(b []byte) []byte { return append(b[:0], 0, 0, 0, 0, 0, 0) }

// lpFinish terminates the listpack started at b[start:] holding count
// elements and fills in its header.
func lpFinish(b []byte, start, count int) []byte {
	b = append(b, lpEOF)
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start))
	if count > lpNumEleUnknown {
		count = lpNumEleUnknown
	}
	binary.LittleEndian.PutUint16(b[start+4:], uint16(count))
	return b
}

// Ziplist layout (ziplist.c): <zlbytes u32 LE> <zltail u32 LE> <zllen u16
// LE> <entry>... <0xFF>; each entry is <prevlen> <encoding> <data>, prevlen
// being 1 byte (< 254) or 0xFE + u32 LE.

const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
	zlBigPrevlen = 254
	zlStr06B     = 0x00
	zlStr14B     = 0x40
	zlStr32B     = 0x80
	zlInt16B     = 0xC0
	zlInt32B     = 0xD0
	zlInt64B     = 0xE0
	zlInt24B     = 0xF0
	zlInt8B      = 0xFE
	zlIntImmMin  = 0xF1
)

// ziplist builds one ziplist.
type ziplist struct {
	b       []byte
	start   int // offset of the ziplist in b
	prevLen int // raw length of the previous entry
	tail    int // offset (from start) of the last entry
	count   int
}

func (z *ziplist) reset(b []byte) {
	z.start = len(b)
	z.b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	z.prevLen, z.tail, z.count = 0, zlHeaderSize, 0
}

// bytes is the ziplist's current size including the end marker.
func (z *ziplist) bytes() int { return len(z.b) - z.start + 1 }

// push appends s as ziplistPush does: integer-encoded when zipTryEncoding
// accepts it (canonical, shorter than 32 bytes), else as a string.
func (z *ziplist) push(s []byte) {
	entryStart := len(z.b)
	z.tail = entryStart - z.start
	if z.prevLen < zlBigPrevlen {
		z.b = append(z.b, byte(z.prevLen))
	} else {
		z.b = append(z.b, zlBigPrevlen)
		z.b = binary.LittleEndian.AppendUint32(z.b, uint32(z.prevLen))
	}
	if v, ok := parseInt(s); ok && len(s) < 32 {
		u := uint64(v)
		switch {
		case v >= 0 && v <= 12:
			z.b = append(z.b, zlIntImmMin+byte(v))
		case v >= math.MinInt8 && v <= math.MaxInt8:
			z.b = append(z.b, zlInt8B, byte(u))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			z.b = append(z.b, zlInt16B, byte(u), byte(u>>8))
		case v >= -(1<<23) && v <= 1<<23-1:
			z.b = append(z.b, zlInt24B, byte(u), byte(u>>8), byte(u>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			z.b = append(z.b, zlInt32B, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		default:
			z.b = append(z.b, zlInt64B)
			z.b = binary.LittleEndian.AppendUint64(z.b, u)
		}
	} else {
		l := len(s)
		switch {
		case l <= 0x3f:
			z.b = append(z.b, zlStr06B|byte(l))
		case l <= 0x3fff:
			z.b = append(z.b, zlStr14B|byte(l>>8), byte(l))
		default:
			z.b = append(z.b, zlStr32B)
			z.b = binary.BigEndian.AppendUint32(z.b, uint32(l))
		}
		z.b = append(z.b, s...)
	}
	z.prevLen = len(z.b) - entryStart
	z.count++
}

// finish terminates the ziplist and fills in its header; it returns b.
func (z *ziplist) finish() []byte {
	z.b = append(z.b, zlEnd)
	h := z.b[z.start:]
	binary.LittleEndian.PutUint32(h, uint32(len(h)))
	binary.LittleEndian.PutUint32(h[4:], uint32(z.tail))
	n := z.count
	if n > math.MaxUint16 {
		n = math.MaxUint16
	}
	binary.LittleEndian.PutUint16(h[8:], uint16(n))
	return z.b
}

// appendIntset appends an intset of the sorted, distinct values vs
// (intset.c: <encoding u32 LE: 2, 4 or 8> <length u32 LE> <values LE>).
func appendIntset(b []byte, vs []int64) []byte {
	width := 2
	for _, v := range vs {
		if v < math.MinInt32 || v > math.MaxInt32 {
			width = 8
			break
		}
		if v < math.MinInt16 || v > math.MaxInt16 {
			width = 4
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vs)))
	for _, v := range vs {
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
