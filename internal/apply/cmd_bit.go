package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"math"
	"slices"

	"github.com/redis-follower/redis-follower/internal/store"
)

var (
	errBitOffset   = errors.New("bit offset is not an integer or out of range")
	errBitValue    = errors.New("bit is not an integer or out of range")
	errBitOpNot    = errors.New("BITOP NOT must be called with a single source key.")
	errBitfieldTyp = errors.New("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
	errBitOverflow = errors.New("Invalid OVERFLOW type specified")
)

// bitOffset is getBitOffsetFromArgument: the offset must address a byte
// below proto-max-bulk-len (max). With hash, "#n" means n*bits.
func bitOffset(arg []byte, hash bool, bits int, max int64) (uint64, error) {
	use := hash && bits > 0 && len(arg) > 0 && arg[0] == '#'
	if use {
		arg = arg[1:]
	}
	v, ok := parseInt64(arg)
	if !ok {
		return 0, errBitOffset
	}
	if use {
		v *= int64(bits) // wraps like C for absurd values; caught below
	}
	if v < 0 || v>>3 >= max {
		return 0, errBitOffset
	}
	return uint64(v), nil
}

// stringForBits is lookupStringForBitCommand: the string at key grown
// (zero-padded) so that bit maxbit exists. grown reports a new key or a
// longer string.
func (a *Applier) stringForBits(key []byte, maxbit uint64) (e *store.Entry, grown bool, err error) {
	need := int(maxbit>>3) + 1
	e = a.get(key)
	if e == nil {
		e = store.NewString(make([]byte, need))
		a.cur().Put(key, e)
		return e, true, nil
	}
	if e.Kind() != store.KindString {
		return nil, false, ErrWrongType
	}
	if s := e.Str(); len(s) < need {
		n := len(s)
		s = slices.Grow(s, need-n)[:need]
		clear(s[n:])
		e.SetStr(s)
		return e, true, nil
	}
	return e, false, nil
}

func cmdSetBit(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	off, err := bitOffset(args[2], false, 0, a.maxStringLen)
	if err != nil {
		return err
	}
	on, ok := parseInt64(args[3])
	if !ok || on&^1 != 0 {
		return errBitValue
	}
	e, _, err := a.stringForBits(key, off)
	if err != nil {
		return err
	}
	s := e.Str()
	bit := byte(1) << (7 - off&7)
	if on == 1 {
		s[off>>3] |= bit
	} else {
		s[off>>3] &^= bit
	}
	return nil
}

func cmdBitOp(a *Applier, args [][]byte) error {
	dst := args[2]
	a.touch(dst)
	const (
		opAnd = iota
		opOr
		opXor
		opNot
	)
	var op int
	switch {
	case eqFold(args[1], "and"):
		op = opAnd
	case eqFold(args[1], "or"):
		op = opOr
	case eqFold(args[1], "xor"):
		op = opXor
	case eqFold(args[1], "not"):
		op = opNot
	default:
		return ErrSyntax
	}
	if op == opNot && len(args) != 4 {
		return errBitOpNot
	}
	srcs := make([][]byte, 0, len(args)-3)
	maxlen := 0
	for _, k := range args[3:] {
		e := a.get(k)
		if e == nil {
			srcs = append(srcs, nil)
			continue
		}
		if e.Kind() != store.KindString {
			return ErrWrongType
		}
		srcs = append(srcs, e.Str())
		maxlen = max(maxlen, len(e.Str()))
	}
	if maxlen == 0 {
		a.cur().Delete(dst)
		return nil
	}
	res := make([]byte, maxlen)
	at := func(s []byte, j int) byte {
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	for j := range res {
		out := at(srcs[0], j)
		if op == opNot {
			out = ^out
		}
		for _, s := range srcs[1:] {
			switch op {
			case opAnd:
				out &= at(s, j)
			case opOr:
				out |= at(s, j)
			case opXor:
				out ^= at(s, j)
			}
		}
		res[j] = out
	}
	a.putOwnedString(dst, res)
	return nil
}

// putOwnedString sets key to v (already owned) with no expiry (setKey).
func (a *Applier) putOwnedString(key, v []byte) {
	if e := a.get(key); e != nil {
		e.SetStr(v)
		e.Expire = 0
		return
	}
	a.cur().Put(key, store.NewString(v))
}

// Bitfield overflow behaviours.
const (
	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	set, incr bool // neither: GET
	offset    uint64
	bits      int
	signed    bool
	val       int64
	ow        int
}

func bitfieldType(arg []byte) (signed bool, bits int, err error) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, errBitfieldTyp
	}
	signed = arg[0] == 'i'
	v, ok := parseInt64(cString(arg[1:]))
	if !ok || v < 1 || (signed && v > 64) || (!signed && v > 63) {
		return false, 0, errBitfieldTyp
	}
	return signed, int(v), nil
}

func getUnsignedBits(p []byte, offset uint64, bits int) uint64 {
	var v uint64
	for j := 0; j < bits; j++ {
		b := p[offset>>3] >> (7 - offset&7) & 1
		v = v<<1 | uint64(b)
		offset++
	}
	return v
}

func setUnsignedBits(p []byte, offset uint64, bits int, v uint64) {
	for j := 0; j < bits; j++ {
		bit := byte(1) << (7 - offset&7)
		if v&(1<<(bits-1-j)) != 0 {
			p[offset>>3] |= bit
		} else {
			p[offset>>3] &^= bit
		}
		offset++
	}
}

func getSignedBits(p []byte, offset uint64, bits int) int64 {
	v := int64(getUnsignedBits(p, offset, bits))
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= -1 << bits
	}
	return v
}

// unsignedOverflow is checkUnsignedBitfieldOverflow: 0, or ±1 with the
// value to store per the overflow behaviour.
func unsignedOverflow(value uint64, incr int64, bits int, ow int) (int, uint64) {
	maxv := uint64(1)<<bits - 1
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) & maxv }
	if value > maxv || (incr > 0 && incr > maxincr) {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return 1, maxv
		}
		return 1, 0
	}
	if incr < 0 && incr < minincr {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return -1, 0
		}
		return -1, 0
	}
	return 0, 0
}

// signedOverflow is checkSignedBitfieldOverflow.
func signedOverflow(value, incr int64, bits int, ow int) (int, int64) {
	maxv := int64(math.MaxInt64)
	if bits != 64 {
		maxv = 1<<(bits-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := ^uint64(0) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > maxv || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return 1, maxv
		}
		return 1, 0
	}
	if value < minv || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return -1, minv
		}
		return -1, 0
	}
	return 0, 0
}

// cmdBitfield is BITFIELD (masters propagate it verbatim when it wrote).
func cmdBitfield(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	var ops []bitfieldOp
	ow := bfWrap
	readonly := true
	var highest uint64
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := args[j]
		var op bitfieldOp
		switch {
		case eqFold(sub, "get") && rem >= 2:
		case eqFold(sub, "set") && rem >= 3:
			op.set = true
		case eqFold(sub, "incrby") && rem >= 3:
			op.incr = true
		case eqFold(sub, "overflow") && rem >= 1:
			j++
			switch {
			case eqFold(args[j], "wrap"):
				ow = bfWrap
			case eqFold(args[j], "sat"):
				ow = bfSat
			case eqFold(args[j], "fail"):
				ow = bfFail
			default:
				return errBitOverflow
			}
			continue
		default:
			return ErrSyntax
		}
		var err error
		if op.signed, op.bits, err = bitfieldType(args[j+1]); err != nil {
			return err
		}
		if op.offset, err = bitOffset(args[j+2], true, op.bits, a.maxStringLen); err != nil {
			return err
		}
		op.ow = ow
		if op.set || op.incr {
			readonly = false
			highest = max(highest, op.offset+uint64(op.bits)-1)
			v, ok := parseInt64(args[j+3])
			if !ok {
				return ErrNotInteger
			}
			op.val = v
			j += 3
		} else {
			j += 2
		}
		ops = append(ops, op)
	}
	if readonly {
		if e := a.get(key); e != nil && e.Kind() != store.KindString {
			return ErrWrongType
		}
		return nil
	}
	e, _, err := a.stringForBits(key, highest)
	if err != nil {
		return err
	}
	p := e.Str()
	for _, op := range ops {
		if !op.set && !op.incr {
			continue
		}
		if op.signed {
			old := getSignedBits(p, op.offset, op.bits)
			var nv int64
			var over int
			if op.incr {
				var w int64
				over, w = signedOverflow(old, op.val, op.bits, op.ow)
				nv = old + op.val
				if over != 0 {
					nv = w
				}
			} else {
				var w int64
				nv = op.val
				over, w = signedOverflow(nv, 0, op.bits, op.ow)
				if over != 0 {
					nv = w
				}
			}
			if !(over != 0 && op.ow == bfFail) {
				setUnsignedBits(p, op.offset, op.bits, uint64(nv))
			}
			continue
		}
		old := getUnsignedBits(p, op.offset, op.bits)
		var nv uint64
		var over int
		if op.incr {
			var w uint64
			nv = old + uint64(op.val)
			over, w = unsignedOverflow(old, op.val, op.bits, op.ow)
			if over != 0 {
				nv = w
			}
		} else {
			var w uint64
			nv = uint64(op.val)
			over, w = unsignedOverflow(nv, 0, op.bits, op.ow)
			if over != 0 {
				nv = w
			}
		}
		if !(over != 0 && op.ow == bfFail) {
			setUnsignedBits(p, op.offset, op.bits, nv)
		}
	}
	return nil
}
