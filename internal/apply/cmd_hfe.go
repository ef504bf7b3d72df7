package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"math"

	"github.com/redis-follower/redis-follower/internal/store"
)

// Hash field expiration (Redis 7.4+, Valkey 9+), in the forms masters
// send (protocol.md §6.12): HPEXPIREAT (and the relative HEXPIRE family
// for completeness), HPERSIST, HSETEX, HGETEX, HGETDEL, and Valkey's
// MSETEX. As for keys, a replica never expires a field itself: a field
// whose TTL has passed is still present for commands from the master, and
// a past time given by the master is stored, not acted on.

// hfeMaxAbsTime is HFE_MAX_ABS_TIME_MSEC (EB_EXPIRE_TIME_MAX >> 2).
const hfeMaxAbsTime = (1<<48 - 1) >> 2

var (
	errHFENeg       = errors.New("invalid expire time, must be >= 0")
	errHFEFields    = errors.New("Mandatory argument FIELDS is missing or not at the right position")
	errHFENumFields = errors.New("Parameter `numFields` should be greater than 0")
	errHFEMismatch  = errors.New("The `numfields` parameter must match the number of arguments")
	errHSetExArgs   = errors.New("invalid number of arguments")
)

// fieldsArg parses "FIELDS n f1 .. fn" at args[at:] (values interleaved
// when pairs); it returns the first field index.
func fieldsArg(args [][]byte, at int, pairs bool) (int, error) {
	if at+1 >= len(args) || !eqFold(args[at], "fields") {
		return 0, errHFEFields
	}
	n, ok := parseInt64(args[at+1])
	if !ok || n < 1 {
		return 0, errHFENumFields
	}
	per := int64(1)
	if pairs {
		per = 2
	}
	if n > math.MaxInt64/2 || n*per != int64(len(args)-at-2) {
		return 0, errHFEMismatch
	}
	return at + 2, nil
}

// setFieldExpire stores an absolute field expiry (0 kept as -1: "expired").
func setFieldExpire(h *store.Hash, field []byte, when int64) {
	if when == 0 {
		when = -1
	}
	h.SetFieldExpire(field, when)
}

// hexpire is hexpireGenericCommand on a replica.
func (a *Applier) hexpire(args [][]byte, basetime int64, seconds bool) error {
	key := args[1]
	a.touch(key)
	e, err := a.hashOf(key)
	if err != nil {
		return err
	}
	when, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	if when < 0 {
		return errHFENeg
	}
	if seconds {
		if when > hfeMaxAbsTime/1000 {
			return ErrInvalidExp
		}
		when *= 1000
	}
	if when > hfeMaxAbsTime-basetime {
		return ErrInvalidExp
	}
	when += basetime
	cond, at := 0, 3
	switch {
	case eqFold(args[3], "nx"):
		cond, at = expNX, 4
	case eqFold(args[3], "xx"):
		cond, at = expXX, 4
	case eqFold(args[3], "gt"):
		cond, at = expGT, 4
	case eqFold(args[3], "lt"):
		cond, at = expLT, 4
	}
	first, err := fieldsArg(args, at, false)
	if err != nil {
		return err
	}
	if e == nil {
		return nil
	}
	h := e.Hash()
	for _, f := range args[first:] {
		if _, ok := h.Get(f); !ok {
			continue
		}
		prev := h.FieldExpire(f)
		if prev == 0 {
			if cond == expXX || cond == expGT {
				continue
			}
		} else if (cond == expGT && prev >= when) || (cond == expLT && prev <= when) || cond == expNX {
			continue
		}
		setFieldExpire(h, f, when)
	}
	return nil
}

func cmdHExpire(a *Applier, args [][]byte) error    { return a.hexpire(args, a.now(), true) }
func cmdHPExpire(a *Applier, args [][]byte) error   { return a.hexpire(args, a.now(), false) }
func cmdHExpireAt(a *Applier, args [][]byte) error  { return a.hexpire(args, 0, true) }
func cmdHPExpireAt(a *Applier, args [][]byte) error { return a.hexpire(args, 0, false) }

// cmdHPersist removes the TTL of the listed fields. Unlike a stock Redis
// 7.4/8.0 replica, it does so even when the TTL has already passed on the
// local clock: the master persisted the field, and no HDEL will follow.
func cmdHPersist(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.hashOf(key)
	if err != nil {
		return err
	}
	first, err := fieldsArg(args, 2, false)
	if err != nil {
		return err
	}
	if e == nil {
		return nil
	}
	h := e.Hash()
	for _, f := range args[first:] {
		if _, ok := h.Get(f); ok {
			h.SetFieldExpire(f, 0)
		}
	}
	return nil
}

// hashTTLOption parses one of EX/PX/EXAT/PXAT <t> (into an absolute time),
// KEEPTTL or PERSIST at args[i]; n is how many arguments it used (0: none).
func (a *Applier) hashTTLOption(args [][]byte, i int, allowKeep, allowPersist bool) (when int64, keep, persist bool, n int, err error) {
	opt := args[i]
	var flag int
	switch {
	case eqFold(opt, "ex"):
		flag = setEX
	case eqFold(opt, "px"):
		flag = setPX
	case eqFold(opt, "exat"):
		flag = setEXAT
	case eqFold(opt, "pxat"):
		flag = setPXAT
	case allowKeep && eqFold(opt, "keepttl"):
		return 0, true, false, 1, nil
	case allowPersist && eqFold(opt, "persist"):
		return 0, false, true, 1, nil
	default:
		return 0, false, false, 0, nil
	}
	if i+1 >= len(args) {
		return 0, false, false, 0, ErrSyntax
	}
	when, err = a.expireMillis(args[i+1], flag)
	return when, false, false, 2, err
}

// cmdHSetEx is HSETEX key [NX|XX] [FNX|FXX] [EX|PX|EXAT|PXAT t|KEEPTTL]
// FIELDS n field value ... (Redis 8.0; NX/XX are Valkey's). Without a TTL
// option the fields lose their TTL, as with HSET.
func cmdHSetEx(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	var nx, xx, fnx, fxx, keep, hasTTL bool
	var when int64
	i := 2
	for i < len(args) && !eqFold(args[i], "fields") {
		switch {
		case eqFold(args[i], "nx") && !xx:
			nx = true
			i++
		case eqFold(args[i], "xx") && !nx:
			xx = true
			i++
		case eqFold(args[i], "fnx") && !fxx:
			fnx = true
			i++
		case eqFold(args[i], "fxx") && !fnx:
			fxx = true
			i++
		default:
			if hasTTL || keep {
				return ErrSyntax
			}
			w, k, _, n, err := a.hashTTLOption(args, i, true, false)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrSyntax
			}
			when, keep, hasTTL = w, k, !k
			i += n
		}
	}
	first, err := fieldsArg(args, i, true)
	if err != nil {
		return err
	}
	e, err := a.hashOf(key)
	if err != nil {
		return err
	}
	if (nx && e != nil) || (xx && e == nil) {
		return nil
	}
	if fnx || fxx {
		for j := first; j < len(args); j += 2 {
			exists := false
			if e != nil {
				_, exists = e.Hash().Get(args[j])
			}
			if (fnx && exists) || (fxx && !exists) {
				return nil
			}
		}
	}
	h, err := a.hashOrCreate(key, (len(args)-first)/2)
	if err != nil {
		return err
	}
	for j := first; j < len(args); j += 2 {
		h.PutField(args[j], args[j+1], keep)
		if hasTTL {
			setFieldExpire(h, args[j], when)
		}
	}
	return nil
}

// cmdHGetEx is HGETEX key [EX|PX|EXAT|PXAT t|PERSIST] FIELDS n field ...:
// masters send its effect as HPEXPIREAT/HPERSIST/HDEL, but the verbatim
// form applies the same way.
func cmdHGetEx(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	i := 2
	var when int64
	var persist, hasTTL bool
	if !eqFold(args[i], "fields") {
		w, _, p, n, err := a.hashTTLOption(args, i, false, true)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrSyntax
		}
		when, persist, hasTTL = w, p, !p
		i += n
	}
	first, err := fieldsArg(args, i, false)
	if err != nil {
		return err
	}
	e, err := a.hashOf(key)
	if err != nil || e == nil {
		return err
	}
	h := e.Hash()
	for _, f := range args[first:] {
		if _, ok := h.Get(f); !ok {
			continue
		}
		switch {
		case persist:
			h.SetFieldExpire(f, 0)
		case hasTTL:
			setFieldExpire(h, f, when)
		}
	}
	return nil
}

// cmdHGetDel is HGETDEL key FIELDS n field ... (Valkey 9.1 sends it
// verbatim; Redis 8 sends HDEL).
func cmdHGetDel(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	first, err := fieldsArg(args, 2, false)
	if err != nil {
		return err
	}
	e, err := a.hashOf(key)
	if err != nil || e == nil {
		return err
	}
	h := e.Hash()
	for _, f := range args[first:] {
		if h.Delete(f) && h.Len() == 0 {
			break
		}
	}
	a.deleteIfEmpty(key, e)
	return nil
}

// cmdMSetEx is Valkey 9.1's MSETEX numkeys key value ... [NX|XX]
// [EX|PX|EXAT|PXAT t|KEEPTTL]: NX sets only if no key exists, XX only if
// all do.
func cmdMSetEx(a *Applier, args [][]byte) error {
	n, ok := parseInt64(args[1])
	if !ok || n < 1 {
		return ErrNotInteger
	}
	if n > int64(len(args)) || 2+2*int(n) > len(args) {
		return errHSetExArgs
	}
	end := 2 + 2*int(n)
	for j := 2; j < end; j += 2 {
		a.touch(args[j])
	}
	var nx, xx, keep, hasTTL bool
	var when int64
	for i := end; i < len(args); {
		switch {
		case eqFold(args[i], "nx") && !xx:
			nx = true
			i++
		case eqFold(args[i], "xx") && !nx:
			xx = true
			i++
		default:
			if hasTTL || keep {
				return ErrSyntax
			}
			w, k, _, used, err := a.hashTTLOption(args, i, true, false)
			if err != nil {
				return err
			}
			if used == 0 {
				return ErrSyntax
			}
			when, keep, hasTTL = w, k, !k
			i += used
		}
	}
	for j := 2; j < end; j += 2 {
		exists := a.get(args[j]) != nil
		if (nx && exists) || (xx && !exists) {
			return nil
		}
	}
	for j := 2; j < end; j += 2 {
		e := a.get(args[j])
		if e == nil {
			e = store.NewString(clone(args[j+1]))
			a.cur().Put(args[j], e)
		} else {
			setStringValue(e, args[j+1])
			if !keep {
				e.Expire = 0
			}
		}
		if hasTTL {
			setExpire(e, when)
		}
	}
	return nil
}
