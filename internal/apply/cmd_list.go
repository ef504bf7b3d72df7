package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"math"

	"github.com/redis-follower/redis-follower/internal/store"
)

// listOf returns the list at key: (nil, nil) when missing, ErrWrongType
// when the key holds something else.
func (a *Applier) listOf(key []byte) (*store.Entry, error) {
	e := a.get(key)
	if e == nil {
		return nil, nil
	}
	if e.Kind() != store.KindList {
		return nil, ErrWrongType
	}
	return e, nil
}

func (a *Applier) push(args [][]byte, head, xx bool) error {
	key := args[1]
	a.touch(key)
	e, err := a.listOf(key)
	if err != nil {
		return err
	}
	if e == nil {
		if xx {
			return nil
		}
		e = store.NewListEntry(store.NewList(len(args) - 2))
		a.cur().Put(key, e)
	}
	l := e.List()
	for _, v := range args[2:] {
		if head {
			l.PushFront(v)
		} else {
			l.PushBack(v)
		}
	}
	return nil
}

func cmdLPush(a *Applier, args [][]byte) error  { return a.push(args, true, false) }
func cmdRPush(a *Applier, args [][]byte) error  { return a.push(args, false, false) }
func cmdLPushX(a *Applier, args [][]byte) error { return a.push(args, true, true) }
func cmdRPushX(a *Applier, args [][]byte) error { return a.push(args, false, true) }

func cmdLInsert(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		return ErrSyntax
	}
	e, err := a.listOf(key)
	if err != nil || e == nil {
		return err
	}
	l := e.List()
	pivot := args[3]
	for i, v := range l.All() {
		if string(v) == string(pivot) {
			if after {
				i++
			}
			l.Insert(i, args[4])
			return nil
		}
	}
	return nil
}

func cmdLSet(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.listOf(key)
	if err != nil {
		return err
	}
	if e == nil {
		return ErrNoSuchKey
	}
	idx, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	l := e.List()
	n := int64(l.Len())
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		return ErrOutOfRange
	}
	l.SetIndex(int(idx), args[3])
	return nil
}

func (a *Applier) pop(args [][]byte, head bool) error {
	key := args[1]
	a.touch(key)
	if len(args) > 3 {
		return ErrWrongArity
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
	e, err := a.listOf(key)
	if err != nil || e == nil {
		return err
	}
	l := e.List()
	for ; count > 0 && l.Len() > 0; count-- {
		if head {
			l.PopFront()
		} else {
			l.PopBack()
		}
	}
	a.deleteIfEmpty(key, e)
	return nil
}

func cmdLPop(a *Applier, args [][]byte) error { return a.pop(args, true) }
func cmdRPop(a *Applier, args [][]byte) error { return a.pop(args, false) }

func cmdLTrim(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	start, ok1 := parseInt64(args[2])
	end, ok2 := parseInt64(args[3])
	if !ok1 || !ok2 {
		return ErrNotInteger
	}
	e, err := a.listOf(key)
	if err != nil || e == nil {
		return err
	}
	l := e.List()
	n := int64(l.Len())
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		l.Trim(1, 0)
	} else {
		if end >= n {
			end = n - 1
		}
		l.Trim(int(start), int(end))
	}
	a.deleteIfEmpty(key, e)
	return nil
}

func cmdLRem(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	toremove, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	e, err := a.listOf(key)
	if err != nil || e == nil {
		return err
	}
	l := e.List()
	v := string(args[3])
	if toremove < 0 {
		// From the tail: find the indexes to drop, newest first.
		limit := uint64(-(toremove + 1)) + 1 // |toremove| without overflow
		var drop []int
		for i := l.Len() - 1; i >= 0 && uint64(len(drop)) < limit; i-- {
			if string(l.Index(i)) == v {
				drop = append(drop, i)
			}
		}
		if len(drop) == 0 {
			return nil
		}
		next := len(drop) - 1 // drop is descending; walk it ascending
		l.Filter(func(i int, _ []byte) bool {
			if next >= 0 && drop[next] == i {
				next--
				return false
			}
			return true
		})
	} else {
		limit := uint64(toremove)
		if toremove == 0 {
			limit = math.MaxUint64
		}
		var removed uint64
		l.Filter(func(_ int, x []byte) bool {
			if removed < limit && string(x) == v {
				removed++
				return false
			}
			return true
		})
	}
	a.deleteIfEmpty(key, e)
	return nil
}

func whereArg(b []byte) (head bool, err error) {
	switch {
	case eqFold(b, "left"):
		return true, nil
	case eqFold(b, "right"):
		return false, nil
	}
	return false, ErrSyntax
}

// lmove is lmoveGenericCommand (RPOPLPUSH, LMOVE, and the rewrites of
// BRPOPLPUSH/BLMOVE).
func (a *Applier) lmove(src, dst []byte, fromHead, toHead bool) error {
	a.touch(src)
	a.touch(dst)
	se, err := a.listOf(src)
	if err != nil || se == nil {
		return err
	}
	if se.List().Len() == 0 {
		return nil
	}
	de, err := a.listOf(dst)
	if err != nil {
		return err
	}
	sl := se.List()
	// The popped element is a view into the source list: copy it before
	// the push, which may write to the same list.
	if fromHead {
		a.scratch = append(a.scratch[:0], sl.PopFront()...)
	} else {
		a.scratch = append(a.scratch[:0], sl.PopBack()...)
	}
	v := a.scratch
	if de == nil {
		de = store.NewListEntry(store.NewList(1))
		a.cur().Put(dst, de)
	}
	if toHead {
		de.List().PushFront(v)
	} else {
		de.List().PushBack(v)
	}
	if sl.Len() == 0 {
		a.cur().Delete(src)
	}
	if cap(a.scratch) > 1<<16 {
		a.scratch = make([]byte, 0, 64) // do not keep a huge element's buffer
	}
	return nil
}

func cmdRPopLPush(a *Applier, args [][]byte) error {
	return a.lmove(args[1], args[2], false, true)
}

func cmdLMove(a *Applier, args [][]byte) error {
	from, err := whereArg(args[3])
	if err != nil {
		a.touch(args[1])
		return err
	}
	to, err := whereArg(args[4])
	if err != nil {
		a.touch(args[1])
		return err
	}
	return a.lmove(args[1], args[2], from, to)
}
