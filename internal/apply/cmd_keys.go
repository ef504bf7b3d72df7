package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"fmt"
	"math"

	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

func cmdSelect(a *Applier, args [][]byte) error {
	id, ok := parseInt32(args[1])
	if !ok {
		return ErrNotInteger
	}
	if !store.ValidDB(id) {
		return ErrDBIndex
	}
	a.db = id
	return nil
}

func cmdNop(*Applier, [][]byte) error { return nil }

func cmdDel(a *Applier, args [][]byte) error {
	d := a.cur()
	for _, k := range args[1:] {
		a.touch(k)
		d.Delete(k)
	}
	return nil
}

// EXPIRE flags.
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

var errExpireFlags = errors.New("NX and XX, GT or LT options at the same time are not compatible")
var errExpireGTLT = errors.New("GT and LT options at the same time are not compatible")

// expireGeneric is expireGenericCommand on a replica: checkAlreadyExpired
// is always false there, so a past time is stored as is (the master sends
// the DEL).
func (a *Applier) expireGeneric(args [][]byte, basetime int64, seconds bool) error {
	key := args[1]
	a.touch(key)
	flags := 0
	for _, opt := range args[3:] {
		switch {
		case eqFold(opt, "nx"):
			flags |= expNX
		case eqFold(opt, "xx"):
			flags |= expXX
		case eqFold(opt, "gt"):
			flags |= expGT
		case eqFold(opt, "lt"):
			flags |= expLT
		default:
			return fmt.Errorf("Unsupported option %s", opt)
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		return errExpireFlags
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		return errExpireGTLT
	}
	when, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return ErrInvalidExp
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		return ErrInvalidExp
	}
	when += basetime
	e := a.get(key)
	if e == nil {
		return nil
	}
	if flags != 0 {
		cur := int64(-1)
		if e.Expire != 0 {
			cur = e.Expire
		}
		if flags&expNX != 0 && cur != -1 {
			return nil
		}
		if flags&expXX != 0 && cur == -1 {
			return nil
		}
		if flags&expGT != 0 && (when <= cur || cur == -1) {
			return nil
		}
		if flags&expLT != 0 && cur != -1 && when >= cur {
			return nil
		}
	}
	setExpire(e, when)
	return nil
}

func cmdExpire(a *Applier, args [][]byte) error    { return a.expireGeneric(args, a.now(), true) }
func cmdPExpire(a *Applier, args [][]byte) error   { return a.expireGeneric(args, a.now(), false) }
func cmdExpireAt(a *Applier, args [][]byte) error  { return a.expireGeneric(args, 0, true) }
func cmdPExpireAt(a *Applier, args [][]byte) error { return a.expireGeneric(args, 0, false) }

func cmdPersist(a *Applier, args [][]byte) error {
	a.touch(args[1])
	if e := a.get(args[1]); e != nil {
		e.Expire = 0
	}
	return nil
}

func (a *Applier) rename(args [][]byte, nx bool) error {
	src, dst := args[1], args[2]
	a.touch(src)
	a.touch(dst)
	d := a.cur()
	e := d.Get(src)
	if e == nil {
		return ErrNoSuchKey
	}
	if string(src) == string(dst) {
		return nil
	}
	if d.Get(dst) != nil {
		if nx {
			return nil
		}
		d.Delete(dst)
	}
	d.Delete(src)
	d.Put(dst, e) // the entry keeps its expiry
	return nil
}

func cmdRename(a *Applier, args [][]byte) error   { return a.rename(args, false) }
func cmdRenameNX(a *Applier, args [][]byte) error { return a.rename(args, true) }

func cmdMove(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	id, ok := parseInt32(args[2])
	if !ok {
		return ErrNotInteger
	}
	if !store.ValidDB(id) {
		return ErrDBIndex
	}
	a.touchIn(id, key)
	if id == a.db {
		return ErrSameObject
	}
	src, dst := a.cur(), a.st.DB(id)
	e := src.Get(key)
	if e == nil || dst.Get(key) != nil {
		return nil
	}
	src.Delete(key)
	dst.Put(key, e)
	return nil
}

func cmdCopy(a *Applier, args [][]byte) error {
	key, newkey := args[1], args[2]
	a.touch(key)
	dbid := a.db
	replace := false
	for j := 3; j < len(args); j++ {
		switch {
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "db") && j+1 < len(args):
			id, ok := parseInt32(args[j+1])
			if !ok {
				return ErrNotInteger
			}
			if !store.ValidDB(id) {
				return ErrDBIndex
			}
			dbid = id
			j++
		default:
			return ErrSyntax
		}
	}
	a.touchIn(dbid, newkey)
	if dbid == a.db && string(key) == string(newkey) {
		return ErrSameObject
	}
	e := a.get(key)
	if e == nil {
		return nil
	}
	dst := a.st.DB(dbid)
	if dst.Get(newkey) != nil {
		if !replace {
			return nil
		}
		dst.Delete(newkey)
	}
	dst.Put(newkey, e.Clone())
	return nil
}

func cmdSwapDB(a *Applier, args [][]byte) error {
	id1, ok := parseInt32(args[1])
	if !ok {
		return errors.New("invalid first DB index")
	}
	id2, ok := parseInt32(args[2])
	if !ok {
		return errors.New("invalid second DB index")
	}
	if !store.ValidDB(id1) || !store.ValidDB(id2) {
		return ErrDBIndex
	}
	a.touchIn(id1, nil)
	a.touchIn(id2, nil)
	a.st.SwapDB(id1, id2)
	return nil
}

func flushFlags(args [][]byte) error {
	if len(args) == 1 || (len(args) == 2 && (eqFold(args[1], "sync") || eqFold(args[1], "async"))) {
		return nil
	}
	return ErrSyntax
}

func cmdFlushDB(a *Applier, args [][]byte) error {
	if err := flushFlags(args); err != nil {
		return err
	}
	a.touchIn(a.db, nil)
	a.cur().Clear()
	return nil
}

// cmdFlushAll keeps the function libraries, as FLUSHALL does from 7.0
// (EMPTYDB_NOFUNCTIONS); older masters had no functions.
func cmdFlushAll(a *Applier, args [][]byte) error {
	if err := flushFlags(args); err != nil {
		return err
	}
	a.touchIn(AllDBs, nil)
	a.st.FlushAll()
	return nil
}

func cmdEval(*Applier, [][]byte) error {
	return fmt.Errorf("%w: verbatim script replication is not supported (the master replicates scripts verbatim: Redis ≤4.0 or lua-replicate-commands no)", ErrUnsupported)
}

func cmdMultiExec(*Applier, [][]byte) error { return ErrMasterOnly }

func cmdScript(a *Applier, args [][]byte) error {
	switch {
	case eqFold(args[1], "load"), eqFold(args[1], "flush"):
		return nil
	}
	return unknownSub(args)
}

func cmdCluster(a *Applier, args [][]byte) error {
	switch {
	case eqFold(args[1], "setslot"), eqFold(args[1], "failover"):
		return nil
	}
	return unknownSub(args)
}

var errBusyKey = errors.New("BUSYKEY Target key name already exists.")

// cmdRestore is RESTORE (and RESTORE-ASKING) key ttl payload [REPLACE]
// [ABSTTL] [IDLETIME s] [FREQ f]. The payload is decoded by rdbload. On a
// replica a TTL in the past is stored (the master sends the DEL).
func cmdRestore(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	replace, absttl := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "absttl"):
			absttl = true
		case eqFold(args[j], "idletime") && more >= 1 && freq == -1:
			v, ok := parseInt64(args[j+1])
			if !ok {
				return ErrNotInteger
			}
			if v < 0 {
				return errors.New("Invalid IDLETIME value, must be >= 0")
			}
			idle = v
			j++
		case eqFold(args[j], "freq") && more >= 1 && idle == -1:
			v, ok := parseInt64(args[j+1])
			if !ok {
				return ErrNotInteger
			}
			if v < 0 || v > 255 {
				return errors.New("Invalid FREQ value, must be >= 0 and <= 255")
			}
			freq = v
			j++
		default:
			return ErrSyntax
		}
	}
	if !replace && a.get(key) != nil {
		return errBusyKey
	}
	ttl, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	if ttl < 0 {
		return errors.New("Invalid TTL value, must be >= 0")
	}
	e, err := rdbload.DecodeDump(args[3])
	if err != nil {
		return fmt.Errorf("DUMP payload cannot be decoded: %w", err)
	}
	if replace {
		a.cur().Delete(key)
	}
	if ttl != 0 && !absttl {
		ttl += a.now()
	}
	e.Expire = 0
	if ttl != 0 {
		setExpire(e, ttl)
	}
	a.cur().Put(key, e)
	return nil
}
