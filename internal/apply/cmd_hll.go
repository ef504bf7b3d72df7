package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/redis-follower/redis-follower/internal/store"
)

// HyperLogLog values are strings whose exact bytes must match the
// master's (DUMP, DEBUG DIGEST, GET): a 16-byte header ("HYLL", encoding,
// 3 unused bytes, 8-byte little-endian cached cardinality whose top bit
// flags it invalid) and either 16384 6-bit registers (dense) or a
// run-length "sparse" opcode stream. The update rules below follow
// hyperloglog.c step by step, including where it splits and merges
// opcodes, since any other valid encoding of the same registers would be
// a different string.

const (
	hllP           = 14
	hllQ           = 64 - hllP
	hllRegisters   = 1 << hllP
	hllPMask       = hllRegisters - 1
	hllBits        = 6
	hllRegMax      = 1<<hllBits - 1
	hllHdrSize     = 16
	hllDenseSize   = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense       = 0
	hllSparse      = 1
	hllSparseXZero = 0x40
	hllSparseVal   = 0x80
	hllValMax      = 32
	hllValMaxLen   = 4
	hllZeroMaxLen  = 64
	hllXZeroMaxLen = 16384
	hllAlphaInf    = 0.721347520444481703680
	// HLLSparseMaxBytes is hll-sparse-max-bytes's default.
	hllSparseMaxBytesDefault = 3000
)

var (
	errHLLInvalid  = errors.New("INVALIDOBJ Corrupted HLL object detected")
	errHLLWrongTyp = errors.New("WRONGTYPE Key is not a valid HyperLogLog string value.")
	errHLLNoKey    = errors.New("The specified key does not exist")
)

func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register index and run length for an element.
func hllPatLen(ele []byte) (int, uint8) {
	hash := murmurHash64A(ele, 0xadc83b19)
	index := int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	count := uint8(1)
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

func denseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[b])
	var b1 uint
	if b+1 < len(regs) {
		b1 = uint(regs[b+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegMax)
}

func denseSetReg(regs []byte, i int, v uint8) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	regs[b] &^= byte(hllRegMax << fb)
	regs[b] |= byte(uint(v) << fb)
	if b+1 < len(regs) {
		regs[b+1] &^= byte(hllRegMax >> (8 - fb))
		regs[b+1] |= byte(uint(v) >> (8 - fb))
	}
}

func denseSet(regs []byte, i int, count uint8) bool {
	if count > denseGet(regs, i) {
		denseSetReg(regs, i, count)
		return true
	}
	return false
}

func isZero(op byte) bool   { return op&0xc0 == 0 }
func isXZero(op byte) bool  { return op&0xc0 == hllSparseXZero }
func isVal(op byte) bool    { return op&hllSparseVal != 0 }
func zeroLen(op byte) int   { return int(op&0x3f) + 1 }
func xzeroLen(p []byte) int { return (int(p[0]&0x3f)<<8 | int(p[1])) + 1 }
func valValue(op byte) int  { return int(op>>2&0x1f) + 1 }
func valLen(op byte) int    { return int(op&3) + 1 }
func valOp(v, l int) byte   { return byte((v-1)<<2|(l-1)) | hllSparseVal }

func putXZero(p []byte, l int) {
	l--
	p[0] = byte(l>>8) | hllSparseXZero
	p[1] = byte(l)
}

// newHLL is createHLLObject: a sparse HLL of XZERO opcodes.
func newHLL() []byte {
	n := (hllRegisters + hllXZeroMaxLen - 1) / hllXZeroMaxLen
	s := make([]byte, hllHdrSize+2*n)
	copy(s, "HYLL")
	s[4] = hllSparse
	p := s[hllHdrSize:]
	for aux := hllRegisters; aux > 0; {
		x := min(aux, hllXZeroMaxLen)
		putXZero(p, x)
		p = p[2:]
		aux -= x
	}
	return s
}

func invalidateCache(s []byte) { s[15] |= 0x80 }

// isHLL is isHLLObjectOrReply for a string value.
func isHLL(s []byte) bool {
	if len(s) < hllHdrSize || string(s[:4]) != "HYLL" || s[4] > hllSparse {
		return false
	}
	return s[4] != hllDense || len(s) == hllDenseSize
}

// sparseToDense is hllSparseToDense; ok is false for a corrupt HLL.
func sparseToDense(s []byte) ([]byte, bool) {
	if s[4] == hllDense {
		return s, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, s[:hllHdrSize])
	d[4] = hllDense
	regs := d[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(s); {
		switch op := s[p]; {
		case isZero(op):
			idx += zeroLen(op)
			p++
		case isXZero(op):
			if p+1 >= len(s) {
				return nil, false
			}
			idx += xzeroLen(s[p:])
			p += 2
		default:
			rl, v := valLen(op), valValue(op)
			if rl+idx > hllRegisters {
				goto done
			}
			for ; rl > 0; rl-- {
				denseSetReg(regs, idx, uint8(v))
				idx++
			}
			p++
		}
	}
done:
	if idx != hllRegisters {
		return nil, false
	}
	return d, true
}

// sparseSet is hllSparseSet: it returns the (possibly new) string and
// 1 if a register changed, 0 if not, -1 for a corrupt HLL.
func (a *Applier) sparseSet(s []byte, index int, count uint8) ([]byte, int) {
	if count > hllValMax {
		return a.hllPromote(s, index, count)
	}
	end := len(s)
	p, first, span := hllHdrSize, 0, 0
	prev := -1
	for p < end {
		oplen := 1
		switch op := s[p]; {
		case isZero(op):
			span = zeroLen(op)
		case isVal(op):
			span = valLen(op)
		default:
			if p+1 >= end {
				return s, -1
			}
			span = xzeroLen(s[p:])
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return s, -1
	}
	op := s[p]
	next := p + 1
	if isXZero(op) {
		next = p + 2
	}
	hasNext := next < end
	var runlen int
	zero, xzero, val := isZero(op), isXZero(op), false
	switch {
	case zero:
		runlen = zeroLen(op)
	case xzero:
		runlen = xzeroLen(s[p:])
	default:
		val = true
		runlen = valLen(op)
	}
	if val {
		if valValue(op) >= int(count) {
			return s, 0
		}
		if runlen == 1 {
			s[p] = valOp(int(count), 1)
			return a.sparseMerge(s, prev), 1
		}
	}
	if zero && runlen == 1 {
		s[p] = valOp(int(count), 1)
		return a.sparseMerge(s, prev), 1
	}
	// General case: split the opcode into up to three.
	var seq [5]byte
	n := 0
	last := first + span - 1
	if zero || xzero {
		if index != first {
			l := index - first
			if l > hllZeroMaxLen {
				putXZero(seq[n:], l)
				n += 2
			} else {
				seq[n] = byte(l - 1)
				n++
			}
		}
		seq[n] = valOp(int(count), 1)
		n++
		if index != last {
			l := last - index
			if l > hllZeroMaxLen {
				putXZero(seq[n:], l)
				n += 2
			} else {
				seq[n] = byte(l - 1)
				n++
			}
		}
	} else {
		cur := valValue(op)
		if index != first {
			seq[n] = valOp(cur, index-first)
			n++
		}
		seq[n] = valOp(int(count), 1)
		n++
		if index != last {
			seq[n] = valOp(cur, last-index)
			n++
		}
	}
	oldlen := 1
	if xzero {
		oldlen = 2
	}
	delta := n - oldlen
	if delta > 0 && len(s)+delta > a.hllSparseMax {
		return a.hllPromote(s, index, count)
	}
	if delta != 0 {
		ns := make([]byte, len(s)+delta, len(s)+delta+3)
		copy(ns, s[:p])
		if hasNext {
			copy(ns[next+delta:], s[next:])
		}
		s = ns
	}
	copy(s[p:], seq[:n])
	return a.sparseMerge(s, prev), 1
}

// sparseMerge is step 4 of hllSparseSet: merge adjacent VAL opcodes of the
// same value, scanning up to 5 opcodes from prev; it also invalidates the
// cached cardinality.
func (a *Applier) sparseMerge(s []byte, prev int) []byte {
	p := hllHdrSize
	if prev >= 0 {
		p = prev
	}
	end := len(s)
	for scan := 5; p < end && scan > 0; {
		scan--
		switch op := s[p]; {
		case isXZero(op):
			p += 2
			continue
		case isZero(op):
			p++
			continue
		}
		if p+1 < end && isVal(s[p+1]) {
			v1, v2 := valValue(s[p]), valValue(s[p+1])
			if v1 == v2 {
				l := valLen(s[p]) + valLen(s[p+1])
				if l <= hllValMaxLen {
					s[p+1] = valOp(v1, l)
					copy(s[p:], s[p+1:end])
					end--
					s = s[:end]
					continue
				}
			}
		}
		p++
	}
	invalidateCache(s)
	return s
}

func (a *Applier) hllPromote(s []byte, index int, count uint8) ([]byte, int) {
	d, ok := sparseToDense(s)
	if !ok {
		return s, -1
	}
	denseSet(d[hllHdrSize:], index, count)
	return d, 1
}

// hllAdd is hllAdd.
func (a *Applier) hllAdd(s []byte, ele []byte) ([]byte, int) {
	index, count := hllPatLen(ele)
	switch s[4] {
	case hllDense:
		if denseSet(s[hllHdrSize:], index, count) {
			return s, 1
		}
		return s, 0
	case hllSparse:
		return a.sparseSet(s, index, count)
	}
	return s, -1
}

// hllRegisters returns all registers of a valid HLL (0..63 each); ok is
// false for a corrupt sparse HLL.
func hllRegs(s []byte, out *[hllRegisters]uint8) bool {
	if s[4] == hllDense {
		regs := s[hllHdrSize:]
		for i := range out {
			out[i] = denseGet(regs, i)
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(s); {
		switch op := s[p]; {
		case isZero(op):
			i += zeroLen(op)
			p++
		case isXZero(op):
			if p+1 >= len(s) {
				return false
			}
			i += xzeroLen(s[p:])
			p += 2
		default:
			rl, v := valLen(op), valValue(op)
			if rl+i > hllRegisters {
				return false
			}
			for ; rl > 0; rl-- {
				out[i] = uint8(v)
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += float64(x * y) // no fused multiply-add: C computes it in two roundings
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= float64(d * d * y)
		if zp == z {
			return z / 3
		}
	}
}

// hllCount is hllCount for a valid HLL string; invalid reports a sparse
// HLL that does not cover exactly 16384 registers.
func hllCount(s []byte) (card uint64, invalid bool) {
	var hist [64]int
	if s[4] == hllDense {
		regs := s[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			hist[denseGet(regs, i)]++
		}
	} else {
		idx := 0
		for p := hllHdrSize; p < len(s); {
			switch op := s[p]; {
			case isZero(op):
				n := zeroLen(op)
				idx += n
				hist[0] += n
				p++
			case isXZero(op):
				if p+1 >= len(s) {
					return 0, true
				}
				n := xzeroLen(s[p:])
				idx += n
				hist[0] += n
				p += 2
			default:
				n := valLen(op)
				idx += n
				hist[valValue(op)] += n
				p++
			}
		}
		invalid = idx != hllRegisters
	}
	return hllEstimate(&hist), invalid
}

func hllEstimate(hist *[64]int) uint64 {
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(hist[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(hist[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(hist[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

// hllOf returns the HLL string at key: nil if missing, an error for a
// non-string or a string that is not an HLL.
func (a *Applier) hllOf(key []byte) (*store.Entry, error) {
	e := a.get(key)
	if e == nil {
		return nil, nil
	}
	if e.Kind() != store.KindString {
		return nil, ErrWrongType
	}
	if !isHLL(e.Str()) {
		return nil, errHLLWrongTyp
	}
	return e, nil
}

func cmdPFAdd(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.hllOf(key)
	if err != nil {
		return err
	}
	updated := false
	var s []byte
	if e == nil {
		s = newHLL()
		e = store.NewString(s)
		a.cur().Put(key, e)
		updated = true
	} else {
		s = e.Str()
	}
	for _, ele := range args[2:] {
		var r int
		s, r = a.hllAdd(s, ele)
		if r < 0 {
			e.SetStr(s)
			return errHLLInvalid
		}
		if r == 1 {
			updated = true
		}
	}
	if updated {
		invalidateCache(s)
	}
	e.SetStr(s)
	return nil
}

// cmdPFCount applies PFCOUNT key as propagated when the master refreshed
// the cached cardinality. Several keys never change anything.
func cmdPFCount(a *Applier, args [][]byte) error {
	if len(args) > 2 {
		var regs [hllRegisters]uint8
		for _, k := range args[1:] {
			e, err := a.hllOf(k)
			if err != nil {
				a.touch(k)
				return err
			}
			if e != nil && !hllRegs(e.Str(), &regs) {
				a.touch(k)
				return errHLLInvalid
			}
		}
		return nil
	}
	key := args[1]
	a.touch(key)
	e, err := a.hllOf(key)
	if err != nil || e == nil {
		return err
	}
	s := e.Str()
	if s[15]&0x80 == 0 {
		return nil // cache valid
	}
	card, invalid := hllCount(s)
	if invalid {
		return errHLLInvalid
	}
	binary.LittleEndian.PutUint64(s[8:16], card)
	return nil
}

func cmdPFMerge(a *Applier, args [][]byte) error {
	dst := args[1]
	a.touch(dst)
	var maxr, regs [hllRegisters]uint8
	dense := false
	for _, k := range args[1:] {
		e, err := a.hllOf(k)
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		s := e.Str()
		if s[4] == hllDense {
			dense = true
		}
		if !hllRegs(s, &regs) {
			return errHLLInvalid
		}
		for i, v := range regs {
			maxr[i] = max(maxr[i], v)
		}
	}
	e := a.get(dst)
	var s []byte
	if e == nil {
		s = newHLL()
		e = store.NewString(s)
		a.cur().Put(dst, e)
	} else {
		s = e.Str()
	}
	if dense {
		d, ok := sparseToDense(s)
		if !ok {
			return errHLLInvalid
		}
		s = d
	}
	for i, v := range maxr {
		if v == 0 {
			continue
		}
		if s[4] == hllDense {
			denseSet(s[hllHdrSize:], i, v)
		} else {
			s, _ = a.sparseSet(s, i, v)
		}
	}
	invalidateCache(s)
	e.SetStr(s)
	return nil
}

func cmdPFDebug(a *Applier, args [][]byte) error {
	key := args[2]
	a.touch(key)
	e := a.get(key)
	if e == nil {
		return errHLLNoKey
	}
	if _, err := a.hllOf(key); err != nil {
		return err
	}
	switch {
	case eqFold(args[1], "getreg"), eqFold(args[1], "todense"):
		if len(args) != 3 {
			return ErrWrongArity
		}
		d, ok := sparseToDense(e.Str())
		if !ok {
			return errHLLInvalid
		}
		e.SetStr(d)
	case eqFold(args[1], "decode"), eqFold(args[1], "encoding"):
	default:
		return unknownSub(args)
	}
	return nil
}
