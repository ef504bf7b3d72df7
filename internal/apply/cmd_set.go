package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"fmt"
	"slices"

	"github.com/redis-follower/redis-follower/internal/store"
)

func (a *Applier) setOf(key []byte) (*store.Entry, error) {
	e := a.get(key)
	if e == nil {
		return nil, nil
	}
	if e.Kind() != store.KindSet {
		return nil, ErrWrongType
	}
	return e, nil
}

func cmdSAdd(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.setOf(key)
	if err != nil {
		return err
	}
	if e == nil {
		e = store.NewSetEntry(store.NewSet(len(args) - 2))
		a.cur().Put(key, e)
	}
	s := e.Set()
	for _, m := range args[2:] {
		s.Add(m)
	}
	return nil
}

func cmdSRem(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.setOf(key)
	if err != nil || e == nil {
		return err
	}
	s := e.Set()
	for _, m := range args[2:] {
		s.Remove(m)
		if s.Len() == 0 {
			break
		}
	}
	a.deleteIfEmpty(key, e)
	return nil
}

func cmdSMove(a *Applier, args [][]byte) error {
	src, dst, m := args[1], args[2], args[3]
	a.touch(src)
	a.touch(dst)
	se, err := a.setOf(src)
	if se == nil && err == nil {
		return nil
	}
	de, err2 := a.setOf(dst)
	if err != nil || err2 != nil {
		return ErrWrongType
	}
	if se == de {
		return nil
	}
	if !se.Set().Remove(m) {
		return nil
	}
	a.deleteIfEmpty(src, se)
	if de == nil {
		de = store.NewSetEntry(store.NewSet(1))
		a.cur().Put(dst, de)
	}
	de.Set().Add(m)
	return nil
}

// cmdSPop applies SPOP only where its result is not random: a count that
// covers the whole set, or a set of one member. Masters never send SPOP
// (it becomes SREM or DEL), so anything else is unsupported.
func cmdSPop(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	if len(args) > 3 {
		return ErrSyntax
	}
	e, err := a.setOf(key)
	if err != nil {
		return err
	}
	count := int64(1)
	if len(args) == 3 {
		c, ok := parseInt64(args[2])
		if !ok {
			return ErrNotInteger
		}
		if c < 0 {
			return errNotPositive
		}
		count = c
	}
	if e == nil || count == 0 {
		return nil
	}
	if int64(e.Set().Len()) <= count {
		a.cur().Delete(key)
		return nil
	}
	return fmt.Errorf("%w: SPOP of a random member (masters replicate it as SREM)", ErrUnsupported)
}

// setsOf looks up the set keys of a SINTER/SUNION/SDIFF family command;
// missing keys are nil. A key of another type is ErrWrongType.
func (a *Applier) setsOf(keys [][]byte) ([]*store.Set, error) {
	sets := make([]*store.Set, len(keys))
	for i, k := range keys {
		e, err := a.setOf(k)
		if err != nil {
			return nil, err
		}
		if e != nil {
			sets[i] = e.Set()
		}
	}
	return sets, nil
}

// storeSet stores a non-empty result at dst (setKey: no TTL) or deletes dst.
func (a *Applier) storeSet(dst []byte, s *store.Set) {
	if s.Len() == 0 {
		a.cur().Delete(dst)
		return
	}
	a.cur().Put(dst, store.NewSetEntry(s))
}

func cmdSInterStore(a *Applier, args [][]byte) error {
	dst := args[1]
	a.touch(dst)
	sets, err := a.setsOf(args[2:])
	if err != nil {
		return err
	}
	res := store.NewSet(0)
	if !slices.Contains(sets, nil) {
		// Iterate the smallest set (the order does not change the result).
		small := sets[0]
		for _, s := range sets[1:] {
			if s.Len() < small.Len() {
				small = s
			}
		}
	next:
		for m := range small.All() {
			for _, s := range sets {
				if s != small && !s.Has([]byte(m)) {
					continue next
				}
			}
			res.AddString(m)
		}
	}
	a.storeSet(dst, res)
	return nil
}

func cmdSUnionStore(a *Applier, args [][]byte) error {
	dst := args[1]
	a.touch(dst)
	sets, err := a.setsOf(args[2:])
	if err != nil {
		return err
	}
	res := store.NewSet(0)
	for _, s := range sets {
		if s == nil {
			continue
		}
		for m := range s.All() {
			res.AddString(m)
		}
	}
	a.storeSet(dst, res)
	return nil
}

func cmdSDiffStore(a *Applier, args [][]byte) error {
	dst := args[1]
	a.touch(dst)
	sets, err := a.setsOf(args[2:])
	if err != nil {
		return err
	}
	res := store.NewSet(0)
	if first := sets[0]; first != nil {
	next:
		for m := range first.All() {
			for _, s := range sets[1:] {
				if s == first || (s != nil && s.Has([]byte(m))) {
					continue next
				}
			}
			res.AddString(m)
		}
	}
	a.storeSet(dst, res)
	return nil
}
