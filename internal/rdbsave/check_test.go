package rdbsave

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Validators and decoders written from the C rules (listpack.c
// lpValidateIntegrity/lpValidateNext, ziplist.c ziplistValidateIntegrity/
// zipEntrySafe, intset.c intsetValidateIntegrity, t_stream.c
// streamValidateListpackIntegrity, lzf_d.c). They are deliberately written
// as separate code from the encoder: they decode by walking bytes.

// lpEntry is one decoded listpack or ziplist entry.
type lpEntry struct {
	isInt bool
	i     int64
	s     []byte
}

func (e lpEntry) String() string {
	if e.isInt {
		return strconv.FormatInt(e.i, 10)
	}
	return string(e.s)
}

// lpDecodeBacklenAt decodes the backlen ending at p[end] (inclusive),
// reading right to left as lpDecodeBacklen does.
func lpDecodeBacklenAt(p []byte, end int) (uint64, bool) {
	var v, shift uint64
	for {
		if end < 0 {
			return 0, false
		}
		c := p[end]
		v |= uint64(c&127) << shift
		if c&128 == 0 {
			return v, true
		}
		shift += 7
		end--
		if shift > 28 {
			return 0, false
		}
	}
}

// lpEncodedSize returns the size of encoding+data of the entry at lp[p:]
// (lpCurrentEncodedSizeBytes + lpCurrentEncodedSizeUnsafe), with bounds.
func lpEncodedSize(lp []byte, p int) (int, error) {
	c := lp[p]
	need := func(n int) error {
		if p+n > len(lp) {
			return errors.New("entry header past the end")
		}
		return nil
	}
	switch {
	case c&0x80 == 0:
		return 1, nil
	case c&0xC0 == 0x80:
		return 1 + int(c&0x3F), nil
	case c&0xE0 == 0xC0:
		return 2, nil
	case c&0xF0 == 0xE0:
		if err := need(2); err != nil {
			return 0, err
		}
		return 2 + (int(c&0x0F)<<8 | int(lp[p+1])), nil
	case c == 0xF1:
		return 3, nil
	case c == 0xF2:
		return 4, nil
	case c == 0xF3:
		return 5, nil
	case c == 0xF4:
		return 9, nil
	case c == 0xF0:
		if err := need(5); err != nil {
			return 0, err
		}
		return 5 + int(binary.LittleEndian.Uint32(lp[p+1:])), nil
	}
	return 0, fmt.Errorf("invalid listpack encoding byte %#x", c)
}

// lpGet decodes the entry at lp[p:] (encoding+data of size n).
func lpGet(lp []byte, p, n int) lpEntry {
	c := lp[p]
	sext := func(u uint64, bits uint) int64 {
		return int64(u<<(64-bits)) >> (64 - bits)
	}
	switch {
	case c&0x80 == 0:
		return lpEntry{isInt: true, i: int64(c & 0x7F)}
	case c&0xC0 == 0x80:
		return lpEntry{s: lp[p+1 : p+n]}
	case c&0xE0 == 0xC0:
		return lpEntry{isInt: true, i: sext(uint64(c&0x1F)<<8|uint64(lp[p+1]), 13)}
	case c&0xF0 == 0xE0:
		return lpEntry{s: lp[p+2 : p+n]}
	case c == 0xF1:
		return lpEntry{isInt: true, i: sext(uint64(binary.LittleEndian.Uint16(lp[p+1:])), 16)}
	case c == 0xF2:
		return lpEntry{isInt: true, i: sext(uint64(lp[p+1])|uint64(lp[p+2])<<8|uint64(lp[p+3])<<16, 24)}
	case c == 0xF3:
		return lpEntry{isInt: true, i: sext(uint64(binary.LittleEndian.Uint32(lp[p+1:])), 32)}
	case c == 0xF4:
		return lpEntry{isInt: true, i: int64(binary.LittleEndian.Uint64(lp[p+1:]))}
	}
	return lpEntry{s: lp[p+5 : p+n]}
}

// backlenSizeC is lpEncodeBacklen(NULL, l), copied from the C bounds here
// independently of the encoder's table.
func backlenSizeC(l uint64) uint64 {
	if l <= 127 {
		return 1
	} else if l < 16383 {
		return 2
	} else if l < 2097151 {
		return 3
	} else if l < 268435455 {
		return 4
	}
	return 5
}

// decodeListpack validates lp deeply as lpValidateIntegrity(deep=1) does
// and returns its entries.
func decodeListpack(lp []byte) ([]lpEntry, error) {
	if len(lp) < 7 {
		return nil, errors.New("listpack shorter than header + EOF")
	}
	if int(binary.LittleEndian.Uint32(lp)) != len(lp) {
		return nil, fmt.Errorf("listpack total-bytes %d != size %d", binary.LittleEndian.Uint32(lp), len(lp))
	}
	if lp[len(lp)-1] != 0xFF {
		return nil, errors.New("listpack does not end with 0xFF")
	}
	numele := int(binary.LittleEndian.Uint16(lp[4:]))
	var out []lpEntry
	p := 6
	for lp[p] != 0xFF {
		n, err := lpEncodedSize(lp, p)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", len(out), err)
		}
		bl := backlenSizeC(uint64(n))
		end := p + n + int(bl)
		if end > len(lp)-1 {
			return nil, fmt.Errorf("entry %d reaches outside the listpack", len(out))
		}
		prevlen, ok := lpDecodeBacklenAt(lp, end-1)
		if !ok || prevlen+bl != uint64(n)+bl || prevlen != uint64(n) {
			return nil, fmt.Errorf("entry %d: backlen %d does not match entry size %d", len(out), prevlen, n)
		}
		out = append(out, lpGet(lp, p, n))
		p = end
	}
	if p != len(lp)-1 {
		return nil, errors.New("listpack entries do not end at the terminator")
	}
	if numele != 65535 && numele != len(out) {
		return nil, fmt.Errorf("listpack header count %d != %d entries", numele, len(out))
	}
	if len(out) >= 65535 && numele != 65535 {
		return nil, fmt.Errorf("listpack of %d entries must have header count 65535", len(out))
	}
	return out, nil
}

// validateStreamListpack applies streamValidateListpackIntegrity (deep) and
// returns the decoded entries of the node, with field names resolved.
type streamEntryDec struct {
	flags    int64
	msDelta  int64
	seqDelta int64
	fields   []string // field, value, ...
}

func validateStreamListpack(lp []byte) (masterFields []string, entries []streamEntryDec, err error) {
	ents, err := decodeListpack(lp)
	if err != nil {
		return nil, nil, err
	}
	i := 0
	next := func() (lpEntry, error) {
		if i >= len(ents) {
			return lpEntry{}, errors.New("stream listpack ends early")
		}
		i++
		return ents[i-1], nil
	}
	nextInt := func(what string) (int64, error) {
		e, err := next()
		if err != nil {
			return 0, err
		}
		if !e.isInt {
			// lpGetIntegerIfValid also accepts a string holding an integer.
			v, perr := strconv.ParseInt(string(e.s), 10, 64)
			if perr != nil || strconv.FormatInt(v, 10) != string(e.s) {
				return 0, fmt.Errorf("%s is not an integer (%q)", what, e.s)
			}
			return 0, fmt.Errorf("%s is an integer stored as a string (%q): Redis writes integers", what, e.s)
		}
		return e.i, nil
	}
	count, err := nextInt("entry count")
	if err != nil {
		return nil, nil, err
	}
	deleted, err := nextInt("deleted count")
	if err != nil {
		return nil, nil, err
	}
	nmaster, err := nextInt("master field count")
	if err != nil {
		return nil, nil, err
	}
	for j := int64(0); j < nmaster; j++ {
		e, err := next()
		if err != nil {
			return nil, nil, err
		}
		masterFields = append(masterFields, e.String())
	}
	zero, err := nextInt("master entry terminator")
	if err != nil || zero != 0 {
		return nil, nil, fmt.Errorf("master entry terminator: %v (value %d)", err, zero)
	}
	for n := count + deleted; n > 0; n-- {
		var se streamEntryDec
		if se.flags, err = nextInt("flags"); err != nil {
			return nil, nil, err
		}
		if se.msDelta, err = nextInt("ms delta"); err != nil {
			return nil, nil, err
		}
		if se.seqDelta, err = nextInt("seq delta"); err != nil {
			return nil, nil, err
		}
		fields, extra := nmaster, int64(3)
		var names []string
		if se.flags&2 == 0 {
			if fields, err = nextInt("field count"); err != nil {
				return nil, nil, err
			}
			extra += fields + 1
			for j := int64(0); j < fields; j++ {
				f, err := next()
				if err != nil {
					return nil, nil, err
				}
				v, err := next()
				if err != nil {
					return nil, nil, err
				}
				se.fields = append(se.fields, f.String(), v.String())
			}
		} else {
			names = masterFields
			for j := int64(0); j < fields; j++ {
				v, err := next()
				if err != nil {
					return nil, nil, err
				}
				se.fields = append(se.fields, names[j], v.String())
			}
		}
		lpCount, err := nextInt("lp-count")
		if err != nil {
			return nil, nil, err
		}
		if lpCount != fields+extra {
			return nil, nil, fmt.Errorf("lp-count %d != %d", lpCount, fields+extra)
		}
		entries = append(entries, se)
	}
	if i != len(ents) {
		return nil, nil, fmt.Errorf("%d listpack entries after the last stream entry", len(ents)-i)
	}
	return masterFields, entries, nil
}

// decodeZiplist validates zl deeply as ziplistValidateIntegrity does and
// returns its entries.
func decodeZiplist(zl []byte) ([]lpEntry, error) {
	if len(zl) < 11 {
		return nil, errors.New("ziplist shorter than header + end")
	}
	if int(binary.LittleEndian.Uint32(zl)) != len(zl) {
		return nil, errors.New("ziplist zlbytes != size")
	}
	if zl[len(zl)-1] != 0xFF {
		return nil, errors.New("ziplist does not end with 0xFF")
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	if tail > len(zl)-1 {
		return nil, errors.New("ziplist tail offset outside")
	}
	hdrCount := int(binary.LittleEndian.Uint16(zl[8:]))
	var out []lpEntry
	p, prev, prevRaw := 10, -1, 0
	last := len(zl) - 1
	for zl[p] != 0xFF {
		start := p
		var prevlen int
		if zl[p] < 254 {
			prevlen = int(zl[p])
			p++
		} else if zl[p] == 254 {
			if p+5 > last {
				return nil, errors.New("prevlen past the end")
			}
			prevlen = int(binary.LittleEndian.Uint32(zl[p+1:]))
			p += 5
		} else {
			return nil, errors.New("bad prevlen")
		}
		if prevlen != prevRaw {
			return nil, fmt.Errorf("entry %d prevlen %d != previous entry size %d", len(out), prevlen, prevRaw)
		}
		if p >= last {
			return nil, errors.New("encoding past the end")
		}
		c := zl[p]
		var e lpEntry
		var hdr, dlen int
		switch {
		case c>>6 == 0:
			hdr, dlen = 1, int(c&0x3F)
		case c>>6 == 1:
			hdr, dlen = 2, int(c&0x3F)<<8|int(zl[p+1])
		case c>>6 == 2:
			if c != 0x80 {
				return nil, fmt.Errorf("bad 32-bit string encoding byte %#x", c)
			}
			hdr, dlen = 5, int(binary.BigEndian.Uint32(zl[p+1:]))
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
			hdr, dlen = 1, 0
		default:
			return nil, fmt.Errorf("bad ziplist encoding byte %#x", c)
		}
		if p+hdr+dlen > last {
			return nil, errors.New("entry past the end")
		}
		d := zl[p+hdr : p+hdr+dlen]
		switch {
		case c>>6 < 3:
			e.s = d
		case c == 0xC0:
			e = lpEntry{isInt: true, i: int64(int16(binary.LittleEndian.Uint16(d)))}
		case c == 0xD0:
			e = lpEntry{isInt: true, i: int64(int32(binary.LittleEndian.Uint32(d)))}
		case c == 0xE0:
			e = lpEntry{isInt: true, i: int64(binary.LittleEndian.Uint64(d))}
		case c == 0xF0:
			e = lpEntry{isInt: true, i: int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24) >> 8)}
		case c == 0xFE:
			e = lpEntry{isInt: true, i: int64(int8(d[0]))}
		default:
			e = lpEntry{isInt: true, i: int64(c&0x0F) - 1}
		}
		p += hdr + dlen
		prevRaw = p - start
		prev = start
		out = append(out, e)
	}
	if p != last {
		return nil, errors.New("ziplist entries do not end at the end marker")
	}
	if prev >= 0 && prev != tail {
		return nil, fmt.Errorf("zltail %d does not point at the last entry %d", tail, prev)
	}
	if prev < 0 && tail != 10 {
		return nil, fmt.Errorf("empty ziplist tail %d", tail)
	}
	if hdrCount != 65535 && hdrCount != len(out) {
		return nil, fmt.Errorf("ziplist header count %d != %d", hdrCount, len(out))
	}
	return out, nil
}

// decodeIntset validates an intset deeply (intsetValidateIntegrity).
func decodeIntset(b []byte) ([]int64, error) {
	if len(b) < 8 {
		return nil, errors.New("intset shorter than header")
	}
	enc := binary.LittleEndian.Uint32(b)
	if enc != 2 && enc != 4 && enc != 8 {
		return nil, fmt.Errorf("bad intset encoding %d", enc)
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if 8+uint64(n)*uint64(enc) != uint64(len(b)) {
		return nil, errors.New("intset size mismatch")
	}
	if n == 0 {
		return nil, errors.New("empty intset")
	}
	out := make([]int64, n)
	for i := range out {
		p := b[8+i*int(enc):]
		switch enc {
		case 2:
			out[i] = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			out[i] = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			out[i] = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && out[i] <= out[i-1] {
			return nil, errors.New("intset not strictly ascending")
		}
	}
	return out, nil
}

// lzfDecompress follows lzf_d.c, failing on output overflow or a back
// reference before the start.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	out := make([]byte, 0, outLen)
	ip := 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			n := ctrl + 1
			if len(out)+n > outLen {
				return nil, errors.New("lzf: output overflow")
			}
			if ip+n > len(in) {
				return nil, errors.New("lzf: input overrun")
			}
			out = append(out, in[ip:ip+n]...)
			ip += n
			continue
		}
		l := ctrl >> 5
		ref := len(out) - (ctrl&0x1f)<<8 - 1
		if l == 7 {
			if ip >= len(in) {
				return nil, errors.New("lzf: input overrun")
			}
			l += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, errors.New("lzf: input overrun")
		}
		ref -= int(in[ip])
		ip++
		if len(out)+l+2 > outLen {
			return nil, errors.New("lzf: output overflow")
		}
		if ref < 0 {
			return nil, errors.New("lzf: back reference before start")
		}
		for k := 0; k < l+2; k++ {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != outLen {
		return nil, fmt.Errorf("lzf: got %d bytes, want %d", len(out), outLen)
	}
	return out, nil
}
