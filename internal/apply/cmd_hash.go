package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"math"

	"github.com/redis-follower/redis-follower/internal/store"
)

var (
	errHashNotInt   = errors.New("hash value is not an integer")
	errHashNotFloat = errors.New("hash value is not a float")
	errNaNInfIncr   = errors.New("value is NaN or Infinity")
)

func (a *Applier) hashOf(key []byte) (*store.Entry, error) {
	e := a.get(key)
	if e == nil {
		return nil, nil
	}
	if e.Kind() != store.KindHash {
		return nil, ErrWrongType
	}
	return e, nil
}

// hashOrCreate is hashTypeLookupWriteOrCreate.
func (a *Applier) hashOrCreate(key []byte, hint int) (*store.Hash, error) {
	e, err := a.hashOf(key)
	if err != nil {
		return nil, err
	}
	if e == nil {
		e = store.NewHashEntry(store.NewHash(hint))
		a.cur().Put(key, e)
	}
	return e.Hash(), nil
}

// cmdHSet is HSET and HMSET: each field is set and loses any field TTL.
func cmdHSet(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	if len(args)%2 == 1 {
		return ErrWrongArity
	}
	h, err := a.hashOrCreate(key, (len(args)-2)/2)
	if err != nil {
		return err
	}
	for i := 2; i < len(args); i += 2 {
		h.PutField(args[i], args[i+1], false)
	}
	return nil
}

func cmdHSetNX(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	h, err := a.hashOrCreate(key, 1)
	if err != nil {
		return err
	}
	if _, ok := h.Get(args[2]); !ok {
		h.PutField(args[2], args[3], false)
	}
	return nil
}

func cmdHDel(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.hashOf(key)
	if err != nil || e == nil {
		return err
	}
	h := e.Hash()
	for _, f := range args[2:] {
		if h.Delete(f) && h.Len() == 0 {
			break
		}
	}
	a.deleteIfEmpty(key, e)
	return nil
}

// HINCRBY/HINCRBYFLOAT replace the value with hashTypeSet, which in 7.4+
// keeps a field's TTL only through the HSETEX KEEPTTL rewrite; a direct
// hashTypeSet of the new value keeps it (HASH_SET_KEEP_TTL is not passed
// in 7.0, which has no field TTLs). We keep the TTL, matching the master.
func cmdHIncrBy(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	incr, ok := parseInt64(args[3])
	if !ok {
		return ErrNotInteger
	}
	h, err := a.hashOrCreate(key, 1)
	if err != nil {
		return err
	}
	var old int64
	if v, ok := h.Get(args[2]); ok {
		if old, ok = parseInt64(v); !ok {
			return errHashNotInt
		}
	}
	if (incr < 0 && old < 0 && incr < math.MinInt64-old) ||
		(incr > 0 && old > 0 && incr > math.MaxInt64-old) {
		return ErrOverflow
	}
	h.PutField(args[2], a.formatInt(old+incr), true)
	return nil
}

func cmdHIncrByFloat(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	incr, ok := parseLongDouble(args[3])
	if !ok {
		return ErrNotFloat
	}
	if incr.inf != 0 {
		return errNaNInfIncr
	}
	h, err := a.hashOrCreate(key, 1)
	if err != nil {
		return err
	}
	value := newLD()
	if v, ok := h.Get(args[2]); ok {
		if value, ok = parseLongDouble(v); !ok {
			return errHashNotFloat
		}
	}
	if !value.add(incr) {
		return ErrNaNInf
	}
	h.PutField(args[2], value.humanString(), true)
	return nil
}
