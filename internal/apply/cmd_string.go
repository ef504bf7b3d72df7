package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"math"
	"slices"

	"github.com/redis-follower/redis-follower/internal/store"
)

// SET flags (t_string.c OBJ_*).
const (
	setNX = 1 << iota
	setXX
	setEX
	setPX
	setKeepTTL
	setGet
	setEXAT
	setPXAT
	setPersist
)

const (
	cmdKindGet = iota
	cmdKindSet
)

// parseStringOptions is parseExtendedStringArgumentsOrReply: the options of
// SET (from args[3]) or GETEX (from args[2]), with Redis's compatibility
// rules. It returns the flags and the expire argument (nil if none).
func parseStringOptions(args [][]byte, kind int) (flags int, expire []byte, err error) {
	j := 3
	if kind == cmdKindGet {
		j = 2
	}
	const anyExp = setEX | setPX | setEXAT | setPXAT
	for ; j < len(args); j++ {
		opt := args[j]
		hasNext := j < len(args)-1
		switch {
		case eqFold(opt, "nx") && flags&setXX == 0 && kind == cmdKindSet:
			flags |= setNX
		case eqFold(opt, "xx") && flags&setNX == 0 && kind == cmdKindSet:
			flags |= setXX
		case eqFold(opt, "get") && kind == cmdKindSet:
			flags |= setGet
		case eqFold(opt, "keepttl") && flags&(setPersist|anyExp) == 0 && kind == cmdKindSet:
			flags |= setKeepTTL
		case eqFold(opt, "persist") && kind == cmdKindGet && flags&(anyExp|setKeepTTL) == 0:
			flags |= setPersist
		case eqFold(opt, "ex") && flags&(setKeepTTL|setPersist|setEXAT|setPX|setPXAT) == 0 && hasNext:
			flags |= setEX
			expire = args[j+1]
			j++
		case eqFold(opt, "px") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0 && hasNext:
			flags |= setPX
			expire = args[j+1]
			j++
		case eqFold(opt, "exat") && flags&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0 && hasNext:
			flags |= setEXAT
			expire = args[j+1]
			j++
		case eqFold(opt, "pxat") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPX) == 0 && hasNext:
			flags |= setPXAT
			expire = args[j+1]
			j++
		default:
			return 0, nil, ErrSyntax
		}
	}
	return flags, expire, nil
}

// expireMillis is getExpireMillisecondsOrReply: the absolute expiry in ms
// for an EX/PX/EXAT/PXAT argument.
func (a *Applier) expireMillis(arg []byte, flags int) (int64, error) {
	ms, ok := parseInt64(arg)
	if !ok {
		return 0, ErrNotInteger
	}
	seconds := flags&(setEX|setEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, ErrInvalidExp
	}
	if seconds {
		ms *= 1000
	}
	if flags&(setEX|setPX) != 0 {
		ms += a.now() // signed overflow wraps like C on x86-64
	}
	if ms <= 0 {
		return 0, ErrInvalidExp
	}
	return ms, nil
}

// setGeneric is setGenericCommand for SET, SETEX, PSETEX and SETNX.
func (a *Applier) setGeneric(key, val []byte, flags int, expArg []byte) error {
	a.touch(key)
	var when int64
	if expArg != nil {
		var err error
		if when, err = a.expireMillis(expArg, flags); err != nil {
			return err
		}
	}
	e := a.get(key)
	if flags&setGet != 0 && e != nil && e.Kind() != store.KindString {
		return ErrWrongType
	}
	if (flags&setNX != 0 && e != nil) || (flags&setXX != 0 && e == nil) {
		return nil
	}
	if e == nil {
		e = store.NewString(clone(val))
		a.cur().Put(key, e)
	} else {
		setStringValue(e, val)
		if flags&setKeepTTL == 0 {
			e.Expire = 0
		}
	}
	if expArg != nil {
		setExpire(e, when)
	}
	return nil
}

func cmdSet(a *Applier, args [][]byte) error {
	flags, exp, err := parseStringOptions(args, cmdKindSet)
	if err != nil {
		a.touch(args[1])
		return err
	}
	return a.setGeneric(args[1], args[2], flags, exp)
}

func cmdSetNX(a *Applier, args [][]byte) error {
	return a.setGeneric(args[1], args[2], setNX, nil)
}

func cmdSetEX(a *Applier, args [][]byte) error {
	return a.setGeneric(args[1], args[3], setEX, args[2])
}

func cmdPSetEX(a *Applier, args [][]byte) error {
	return a.setGeneric(args[1], args[3], setPX, args[2])
}

// putString sets key to a new string value with no expiry (setKey with no
// flags), reusing the entry when the key exists.
func (a *Applier) putString(key, val []byte) {
	if e := a.get(key); e != nil {
		setStringValue(e, val)
		e.Expire = 0
		return
	}
	a.cur().Put(key, store.NewString(clone(val)))
}

func cmdGetSet(a *Applier, args [][]byte) error {
	a.touch(args[1])
	if e := a.get(args[1]); e != nil && e.Kind() != store.KindString {
		return ErrWrongType
	}
	a.putString(args[1], args[2])
	return nil
}

func cmdGetDel(a *Applier, args [][]byte) error {
	a.touch(args[1])
	e := a.get(args[1])
	if e == nil {
		return nil
	}
	if e.Kind() != store.KindString {
		return ErrWrongType
	}
	a.cur().Delete(args[1])
	return nil
}

// cmdGetEx applies GETEX as a replica would: the key never counts as
// expired, and a past EXAT/PXAT does not delete it (checkAlreadyExpired is
// false on replicas); the master sends DEL for that case anyway.
func cmdGetEx(a *Applier, args [][]byte) error {
	a.touch(args[1])
	flags, exp, err := parseStringOptions(args, cmdKindGet)
	if err != nil {
		return err
	}
	e := a.get(args[1])
	if e == nil {
		return nil
	}
	if e.Kind() != store.KindString {
		return ErrWrongType
	}
	if exp != nil {
		when, err := a.expireMillis(exp, flags)
		if err != nil {
			return err
		}
		setExpire(e, when)
	} else if flags&setPersist != 0 {
		e.Expire = 0
	}
	return nil
}

func cmdMSet(a *Applier, args [][]byte) error {
	if len(args)%2 == 0 {
		return ErrWrongArity
	}
	for j := 1; j < len(args); j += 2 {
		a.touch(args[j])
	}
	for j := 1; j < len(args); j += 2 {
		a.putString(args[j], args[j+1])
	}
	return nil
}

func cmdMSetNX(a *Applier, args [][]byte) error {
	if len(args)%2 == 0 {
		return ErrWrongArity
	}
	for j := 1; j < len(args); j += 2 {
		a.touch(args[j])
	}
	for j := 1; j < len(args); j += 2 {
		if a.get(args[j]) != nil {
			return nil
		}
	}
	for j := 1; j < len(args); j += 2 {
		a.putString(args[j], args[j+1])
	}
	return nil
}

// incrDecr is incrDecrCommand. The value is rewritten in place when the
// new digits fit the old buffer, so INCR on an existing counter does not
// allocate.
func (a *Applier) incrDecr(key []byte, incr int64) error {
	a.touch(key)
	e := a.get(key)
	var old int64
	if e != nil {
		if e.Kind() != store.KindString {
			return ErrWrongType
		}
		v, ok := parseInt64(e.Str())
		if !ok {
			return ErrNotInteger
		}
		old = v
	}
	if (incr < 0 && old < 0 && incr < math.MinInt64-old) ||
		(incr > 0 && old > 0 && incr > math.MaxInt64-old) {
		return ErrOverflow
	}
	nv := a.formatInt(old + incr)
	if e == nil {
		a.cur().Put(key, store.NewString(clone(nv)))
		return nil
	}
	if cur := e.Str(); len(nv) <= len(cur) {
		b := cur[:len(nv)]
		copy(b, nv)
		e.SetStr(b)
		return nil
	}
	e.SetStr(clone(nv))
	return nil
}

func cmdIncr(a *Applier, args [][]byte) error { return a.incrDecr(args[1], 1) }
func cmdDecr(a *Applier, args [][]byte) error { return a.incrDecr(args[1], -1) }

func cmdIncrBy(a *Applier, args [][]byte) error {
	incr, ok := parseInt64(args[2])
	if !ok {
		a.touch(args[1])
		return ErrNotInteger
	}
	return a.incrDecr(args[1], incr)
}

var errDecrOverflow = errors.New("decrement would overflow")

func cmdDecrBy(a *Applier, args [][]byte) error {
	incr, ok := parseInt64(args[2])
	if !ok {
		a.touch(args[1])
		return ErrNotInteger
	}
	if incr == math.MinInt64 {
		a.touch(args[1])
		return errDecrOverflow
	}
	return a.incrDecr(args[1], -incr)
}

func cmdIncrByFloat(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e := a.get(key)
	value := newLD()
	if e != nil {
		if e.Kind() != store.KindString {
			return ErrWrongType
		}
		v, ok := parseLongDouble(e.Str())
		if !ok {
			return ErrNotFloat
		}
		value = v
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		return ErrNotFloat
	}
	if !value.add(incr) {
		return ErrNaNInf
	}
	nv := value.humanString()
	if e == nil {
		a.cur().Put(key, store.NewString(nv))
	} else {
		e.SetStr(nv) // dbOverwrite keeps the TTL
	}
	return nil
}

func cmdAppend(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e := a.get(key)
	if e == nil {
		a.cur().Put(key, store.NewString(clone(args[2])))
		return nil
	}
	if e.Kind() != store.KindString {
		return ErrWrongType
	}
	if int64(len(e.Str()))+int64(len(args[2])) > a.maxStringLen {
		return errStringTooLong
	}
	// append may grow into the value's spare capacity: the store owns the
	// whole backing array of a value (see store.Entry.SetStr).
	e.SetStr(append(e.Str(), args[2]...))
	return nil
}

// defaultMaxStringLen is Redis's default proto-max-bulk-len, the largest
// string a master lets clients build with APPEND/SETRANGE/SETBIT/BITFIELD.
const defaultMaxStringLen = 512 << 20

var errOffsetRange = errors.New("offset is out of range")
var errStringTooLong = errors.New("string exceeds maximum allowed size")

func cmdSetRange(a *Applier, args [][]byte) error {
	key, val := args[1], args[3]
	a.touch(key)
	off, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	if off < 0 {
		return errOffsetRange
	}
	e := a.get(key)
	if e != nil && e.Kind() != store.KindString {
		return ErrWrongType
	}
	if len(val) == 0 {
		return nil
	}
	if off+int64(len(val)) > a.maxStringLen {
		return errStringTooLong
	}
	end := int(off) + len(val)
	if e == nil {
		nb := make([]byte, end)
		copy(nb[off:], val)
		a.cur().Put(key, store.NewString(nb))
		return nil
	}
	e.SetStr(writeAt(e.Str(), int(off), val))
	return nil
}

// writeAt returns old with val written at off, zero-padding the gap. It
// writes in place, growing into spare capacity when there is some.
func writeAt(old []byte, off int, val []byte) []byte {
	end := off + len(val)
	if n := len(old); end > n {
		old = slices.Grow(old, end-n)[:end]
		if off > n {
			clear(old[n:off])
		}
	}
	copy(old[off:], val)
	return old
}
