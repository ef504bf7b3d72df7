package rdbload

import (
	"encoding/binary"
	"strconv"
)

// This file walks the compact encodings found inside RDB string blobs:
// listpack, ziplist, intset and zipmap. Every walker validates the blob's
// internal lengths against the blob itself (never reading outside it) and
// hands out views into the blob.

// lpIter walks a listpack. After next reports true, the element is either
// a string (isInt false, s a view into the blob) or an integer (isInt true,
// v).
type lpIter struct {
	b     []byte
	p     int
	count int // declared element count, -1 when saturated (65535)
	n     int // elements returned so far

	s     []byte
	v     int64
	isInt bool
}

func newLP(b []byte) (lpIter, error) {
	if len(b) < 7 {
		return lpIter{}, corrupt("listpack shorter than its 7-byte header and terminator")
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return lpIter{}, corrupt("listpack header says " + strconv.FormatUint(uint64(total), 10) +
			" bytes but the blob has " + strconv.Itoa(len(b)))
	}
	if b[len(b)-1] != 0xFF {
		return lpIter{}, corrupt("listpack does not end with the 0xFF terminator")
	}
	count := int(binary.LittleEndian.Uint16(b[4:]))
	if count == 0xFFFF {
		count = -1
	}
	return lpIter{b: b, p: 6, count: count}, nil
}

// backlenSize is the number of bytes the listpack uses to store an
// entry's length l backwards.
func backlenSize(l int) int {
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

func (it *lpIter) next() (bool, error) {
	b, p := it.b, it.p
	end := len(b) - 1 // index of the terminator
	if p >= end {
		if p == end {
			if it.count >= 0 && it.n != it.count {
				return false, corrupt("listpack header counts " + strconv.Itoa(it.count) +
					" elements but holds " + strconv.Itoa(it.n))
			}
			it.p++
			return false, nil
		}
		return false, corrupt("listpack iterated past its end")
	}
	c := b[p]
	var hdr, dlen int
	it.isInt = true
	switch {
	case c&0x80 == 0: // 7-bit unsigned int
		it.v = int64(c & 0x7f)
		hdr = 1
	case c&0xC0 == 0x80: // 6-bit string length
		hdr, dlen = 1, int(c&0x3f)
		it.isInt = false
	case c&0xE0 == 0xC0: // 13-bit signed int
		if p+2 > end {
			return false, corrupt("listpack 13-bit integer overruns the blob")
		}
		u := int64(c&0x1f)<<8 | int64(b[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		it.v = u
		hdr = 2
	case c&0xF0 == 0xE0: // 12-bit string length
		if p+2 > end {
			return false, corrupt("listpack string header overruns the blob")
		}
		hdr, dlen = 2, int(c&0x0f)<<8|int(b[p+1])
		it.isInt = false
	case c == 0xF0: // 32-bit string length
		if p+5 > end {
			return false, corrupt("listpack string header overruns the blob")
		}
		hdr = 5
		l := binary.LittleEndian.Uint32(b[p+1:])
		if uint64(l) > uint64(end-p) {
			return false, corrupt("listpack string length overruns the blob")
		}
		dlen = int(l)
		it.isInt = false
	case c == 0xF1:
		if p+3 > end {
			return false, corrupt("listpack 16-bit integer overruns the blob")
		}
		it.v = int64(int16(binary.LittleEndian.Uint16(b[p+1:])))
		hdr = 3
	case c == 0xF2:
		if p+4 > end {
			return false, corrupt("listpack 24-bit integer overruns the blob")
		}
		u := uint32(b[p+1]) | uint32(b[p+2])<<8 | uint32(b[p+3])<<16
		it.v = int64(int32(u<<8) >> 8)
		hdr = 4
	case c == 0xF3:
		if p+5 > end {
			return false, corrupt("listpack 32-bit integer overruns the blob")
		}
		it.v = int64(int32(binary.LittleEndian.Uint32(b[p+1:])))
		hdr = 5
	case c == 0xF4:
		if p+9 > end {
			return false, corrupt("listpack 64-bit integer overruns the blob")
		}
		it.v = int64(binary.LittleEndian.Uint64(b[p+1:]))
		hdr = 9
	case c == 0xFF:
		return false, corrupt("listpack terminator before the end of the blob")
	default:
		return false, corrupt("invalid listpack entry encoding 0x" + strconv.FormatUint(uint64(c), 16))
	}
	l := hdr + dlen
	nb := backlenSize(l)
	if l > end-p || nb > end-p-l {
		return false, corrupt("listpack entry overruns the blob")
	}
	if !it.isInt {
		it.s = b[p+hdr : p+l : p+l]
	}
	// Validate the back length: nb bytes, most significant first, every
	// byte but the first with the continuation bit set.
	q := p + l
	var bl uint64
	for i := 0; i < nb; i++ {
		x := b[q+nb-1-i]
		bl |= uint64(x&127) << (7 * i)
		if (x&128 != 0) != (i < nb-1) {
			return false, corrupt("listpack entry has a malformed back length")
		}
	}
	if bl != uint64(l) {
		return false, corrupt("listpack entry back length does not match its size")
	}
	it.p = q + nb
	it.n++
	return true, nil
}

// zlIter walks a ziplist, with the same element result fields as lpIter.
type zlIter struct {
	b       []byte
	p       int
	count   int
	n       int
	prevLen int
	tail    int

	s     []byte
	v     int64
	isInt bool
}

func newZL(b []byte) (zlIter, error) {
	if len(b) < 11 {
		return zlIter{}, corrupt("ziplist shorter than its 10-byte header and terminator")
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return zlIter{}, corrupt("ziplist header says " + strconv.FormatUint(uint64(total), 10) +
			" bytes but the blob has " + strconv.Itoa(len(b)))
	}
	if b[len(b)-1] != 0xFF {
		return zlIter{}, corrupt("ziplist does not end with the 0xFF terminator")
	}
	tail := binary.LittleEndian.Uint32(b[4:])
	if uint64(tail) > uint64(len(b)-1) {
		return zlIter{}, corrupt("ziplist tail offset is outside the blob")
	}
	count := int(binary.LittleEndian.Uint16(b[8:]))
	if count == 0xFFFF {
		count = -1
	}
	return zlIter{b: b, p: 10, count: count, tail: int(tail)}, nil
}

func (it *zlIter) next() (bool, error) {
	b, p := it.b, it.p
	end := len(b) - 1
	if p >= end {
		if p == end {
			if it.count >= 0 && it.n != it.count {
				return false, corrupt("ziplist header counts " + strconv.Itoa(it.count) +
					" elements but holds " + strconv.Itoa(it.n))
			}
			want := 10
			if it.n > 0 {
				want = end - it.prevLen
			}
			if it.tail != want {
				return false, corrupt("ziplist tail offset does not point at the last entry")
			}
			it.p++
			return false, nil
		}
		return false, corrupt("ziplist iterated past its end")
	}
	start := p
	// previous entry length
	var prev int
	if b[p] < 254 {
		prev = int(b[p])
		p++
	} else if b[p] == 254 {
		if p+5 > end {
			return false, corrupt("ziplist prevlen overruns the blob")
		}
		prev = int(binary.LittleEndian.Uint32(b[p+1:]))
		p += 5
	} else {
		return false, corrupt("ziplist terminator before the end of the blob")
	}
	if prev != it.prevLen {
		return false, corrupt("ziplist entry prevlen does not match the previous entry")
	}
	if p >= end {
		return false, corrupt("ziplist entry overruns the blob")
	}
	c := b[p]
	var hdr, dlen int
	it.isInt = true
	switch {
	case c < 0x40:
		hdr, dlen = 1, int(c&0x3f)
		it.isInt = false
	case c < 0x80:
		if p+2 > end {
			return false, corrupt("ziplist string header overruns the blob")
		}
		hdr, dlen = 2, int(c&0x3f)<<8|int(b[p+1])
		it.isInt = false
	case c < 0xC0:
		if p+5 > end {
			return false, corrupt("ziplist string header overruns the blob")
		}
		l := binary.BigEndian.Uint32(b[p+1:])
		if uint64(l) > uint64(end-p) {
			return false, corrupt("ziplist string length overruns the blob")
		}
		hdr, dlen = 5, int(l)
		it.isInt = false
	case c == 0xC0:
		hdr, dlen = 1, 2
	case c == 0xD0:
		hdr, dlen = 1, 4
	case c == 0xE0:
		hdr, dlen = 1, 8
	case c == 0xF0:
		hdr, dlen = 1, 3
	case c == 0xFE:
		hdr, dlen = 1, 1
	case c >= 0xF1 && c <= 0xFD:
		hdr = 1
		it.v = int64(c&0x0f) - 1
	default:
		return false, corrupt("invalid ziplist entry encoding 0x" + strconv.FormatUint(uint64(c), 16))
	}
	if hdr+dlen > end-p {
		return false, corrupt("ziplist entry overruns the blob")
	}
	d := b[p+hdr : p+hdr+dlen : p+hdr+dlen]
	if it.isInt {
		switch c {
		case 0xC0:
			it.v = int64(int16(binary.LittleEndian.Uint16(d)))
		case 0xD0:
			it.v = int64(int32(binary.LittleEndian.Uint32(d)))
		case 0xE0:
			it.v = int64(binary.LittleEndian.Uint64(d))
		case 0xF0:
			u := uint32(d[0]) | uint32(d[1])<<8 | uint32(d[2])<<16
			it.v = int64(int32(u<<8) >> 8)
		case 0xFE:
			it.v = int64(int8(d[0]))
		}
	} else {
		it.s = d
	}
	it.p = p + hdr + dlen
	it.prevLen = it.p - start
	it.n++
	return true, nil
}

// intsetWalk checks an intset blob and calls fn with its members in order.
func intsetWalk(b []byte, fn func(v int64) error) error {
	if len(b) < 8 {
		return corrupt("intset shorter than its 8-byte header")
	}
	enc := binary.LittleEndian.Uint32(b)
	if enc != 2 && enc != 4 && enc != 8 {
		return corrupt("intset has invalid encoding " + strconv.FormatUint(uint64(enc), 10))
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if uint64(n)*uint64(enc)+8 != uint64(len(b)) {
		return corrupt("intset length does not match its blob")
	}
	if n == 0 {
		return corrupt("empty intset")
	}
	var prev int64
	for i := 0; i < int(n); i++ {
		var v int64
		q := b[8+i*int(enc):]
		switch enc {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(q)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(q)))
		default:
			v = int64(binary.LittleEndian.Uint64(q))
		}
		if i > 0 && v <= prev {
			return corrupt("intset members are not strictly increasing")
		}
		prev = v
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// zipmapWalk walks a zipmap (hashes in RDB < 4 files) calling fn per pair.
func zipmapWalk(b []byte, fn func(field, value []byte) error) error {
	if len(b) < 2 {
		return corrupt("zipmap too short")
	}
	end := len(b) - 1
	if b[end] != 0xFF {
		return corrupt("zipmap does not end with the 0xFF terminator")
	}
	declared := int(b[0])
	p, n := 1, 0
	readLen := func() (int, error) {
		if p >= end {
			return 0, corrupt("zipmap length overruns the blob")
		}
		c := b[p]
		if c < 254 {
			p++
			return int(c), nil
		}
		if c == 254 {
			if p+5 > end {
				return 0, corrupt("zipmap length overruns the blob")
			}
			l := binary.LittleEndian.Uint32(b[p+1:])
			p += 5
			if uint64(l) > uint64(end-p) {
				return 0, corrupt("zipmap string overruns the blob")
			}
			return int(l), nil
		}
		return 0, corrupt("zipmap terminator inside an entry")
	}
	for p < end {
		kl, err := readLen()
		if err != nil {
			return err
		}
		if kl > end-p {
			return corrupt("zipmap field overruns the blob")
		}
		k := b[p : p+kl : p+kl]
		p += kl
		vl, err := readLen()
		if err != nil {
			return err
		}
		if p >= end {
			return corrupt("zipmap free byte overruns the blob")
		}
		free := int(b[p])
		p++
		if vl > end-p || free > end-p-vl {
			return corrupt("zipmap value overruns the blob")
		}
		v := b[p : p+vl : p+vl]
		p += vl + free
		n++
		if err := fn(k, v); err != nil {
			return err
		}
	}
	if p != end {
		return corrupt("zipmap entries overrun the terminator")
	}
	if n == 0 {
		return corrupt("empty zipmap")
	}
	if declared != 254 && declared != n {
		return corrupt("zipmap header counts " + strconv.Itoa(declared) + " pairs but holds " + strconv.Itoa(n))
	}
	return nil
}
