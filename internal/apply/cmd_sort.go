package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/redis-follower/redis-follower/internal/store"
)

var errSortScores = errors.New("One or more scores can't be converted into double")

// sortElem is redisSortObject.
type sortElem struct {
	obj    string
	score  float64
	cmpobj *string
}

// lookupByPattern is lookupKeyByPattern: "#" is the element itself,
// "pre*post" names a string key, "pre*post->field" a hash field; nil when
// the pattern has no '*' or the key or field is missing or of another type.
func (a *Applier) lookupByPattern(pattern []byte, subst string) *string {
	pat := cString(pattern)
	if len(pat) == 1 && pat[0] == '#' {
		return &subst
	}
	star := bytes.IndexByte(pat, '*')
	if star < 0 {
		return nil
	}
	var field []byte
	postfix := pattern[star+1:]
	if f := bytes.Index(pat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pat) {
		field = pattern[star+1+f+2:]
		postfix = pattern[star+1 : star+1+f]
	}
	key := make([]byte, 0, star+len(subst)+len(postfix))
	key = append(key, pattern[:star]...)
	key = append(key, subst...)
	key = append(key, postfix...)
	e := a.get(key)
	if e == nil {
		return nil
	}
	if field != nil {
		if e.Kind() != store.KindHash {
			return nil
		}
		v, ok := e.Hash().Get(field)
		if !ok {
			return nil
		}
		s := string(v)
		return &s
	}
	if e.Kind() != store.KindString {
		return nil
	}
	s := string(e.Str())
	return &s
}

// sortStrtod is the strtod use in SORT: the C string must be consumed
// fully and the result must not be NaN or out of range (ERANGE, which
// glibc also raises for results below the smallest normal double).
func sortStrtod(s string) (float64, bool) {
	b := cString([]byte(s))
	v, n, re := strtod(b)
	if n != len(b) || math.IsNaN(v) || re {
		return 0, false
	}
	if v != 0 && math.Abs(v) < 0x1p-1022 {
		return 0, false
	}
	return v, true
}

// intsetOrder reports whether Redis would hold s as an intset (every
// member a canonical integer, at most set-max-intset-entries of them),
// in which case it iterates it in ascending numeric order.
func intsetOrder(members []string) ([]string, bool) {
	if len(members) > 512 {
		return nil, false
	}
	type iv struct {
		v int64
		s string
	}
	vals := make([]iv, len(members))
	for i, m := range members {
		v, ok := parseInt64([]byte(m))
		if !ok {
			return nil, false
		}
		vals[i] = iv{v, m}
	}
	slices.SortFunc(vals, func(x, y iv) int { return cmp.Compare(x.v, y.v) })
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.s
	}
	return out, true
}

// cmdSort applies SORT ... STORE (masters propagate it verbatim; a SORT
// without STORE is a read and changes nothing). The result matches the
// master exactly except for ALPHA with a BY pattern on a set or sorted set
// whose by-values tie: Redis then keeps its hash-table iteration order,
// which no replica (stock ones included) can reproduce.
func cmdSort(a *Applier, args [][]byte) error {
	a.touch(args[1])
	var (
		desc, alpha, dontsort bool
		limitStart            int64
		limitCount            int64 = -1
		sortby, storekey      []byte
		gets                  [][]byte
	)
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case eqFold(args[j], "asc"):
			desc = false
		case eqFold(args[j], "desc"):
			desc = true
		case eqFold(args[j], "alpha"):
			alpha = true
		case eqFold(args[j], "limit") && left >= 2:
			s, ok1 := parseInt64(args[j+1])
			c, ok2 := parseInt64(args[j+2])
			if !ok1 || !ok2 {
				return ErrNotInteger
			}
			limitStart, limitCount = s, c
			j += 2
		case eqFold(args[j], "store") && left >= 1:
			storekey = args[j+1]
			j++
		case eqFold(args[j], "by") && left >= 1:
			sortby = args[j+1]
			dontsort = bytes.IndexByte(cString(sortby), '*') < 0
			j++
		case eqFold(args[j], "get") && left >= 1:
			gets = append(gets, args[j+1])
			j++
		default:
			return ErrSyntax
		}
	}
	if storekey != nil {
		a.touch(storekey)
	}
	e := a.get(args[1])
	if e != nil && e.Kind() != store.KindSet && e.Kind() != store.KindList && e.Kind() != store.KindZSet {
		return ErrWrongType
	}
	if storekey == nil {
		if e != nil && e.Kind() == store.KindZSet {
			e.ZSet().SetListpack(false) // SORT converts the set to a skiplist
		}
		return nil
	}
	kind := store.KindList
	if e != nil {
		kind = e.Kind()
	}
	if dontsort && kind == store.KindSet {
		dontsort, alpha, sortby = false, true, nil
	}
	var n int
	switch {
	case e == nil:
	case kind == store.KindList:
		n = e.List().Len()
	case kind == store.KindSet:
		n = e.Set().Len()
	case kind == store.KindZSet:
		e.ZSet().SetListpack(false)
		n = e.ZSet().Len()
	}
	vlen := int64(n)
	start := min(max(limitStart, 0), vlen)
	limitCount = min(max(limitCount, -1), vlen)
	end := vlen - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= vlen {
		start, end = vlen-1, vlen-2
	}
	if end >= vlen {
		end = vlen - 1
	}
	var vec []sortElem
	switch {
	case e == nil:
	case kind == store.KindList && dontsort:
		l := e.List()
		if end >= start {
			cnt := int(end - start + 1)
			if start == 0 && end == vlen-1 {
				cnt = l.Len()
			}
			for i := 0; i < cnt; i++ {
				idx := int(start) + i
				if desc {
					idx = l.Len() - 1 - int(start) - i
				}
				vec = append(vec, sortElem{obj: string(l.Index(idx))})
			}
			end -= start
			start = 0
		}
	case kind == store.KindList:
		for _, v := range e.List().All() {
			vec = append(vec, sortElem{obj: string(v)})
		}
	case kind == store.KindSet:
		members := e.Set().Sorted()
		if ordered, ok := intsetOrder(members); ok {
			members = ordered
		}
		for _, m := range members {
			vec = append(vec, sortElem{obj: m})
		}
	case kind == store.KindZSet && dontsort:
		z := e.ZSet()
		cnt := int(vlen)
		if start != 0 || end != vlen-1 {
			cnt = int(end - start + 1)
		}
		if cnt > 0 {
			if desc {
				for m := range z.RevRange(z.Len()-int(start)-cnt, z.Len()-int(start)) {
					vec = append(vec, sortElem{obj: m})
				}
			} else {
				for m := range z.Range(int(start), int(start)+cnt) {
					vec = append(vec, sortElem{obj: m})
				}
			}
		}
		end -= start
		start = 0
	case kind == store.KindZSet:
		for m := range e.ZSet().All() {
			vec = append(vec, sortElem{obj: m})
		}
	}
	if !dontsort {
		for i := range vec {
			by := &vec[i].obj
			if sortby != nil {
				if by = a.lookupByPattern(sortby, vec[i].obj); by == nil {
					continue
				}
			}
			if alpha {
				if sortby != nil {
					vec[i].cmpobj = by
				}
				continue
			}
			v, ok := sortStrtod(*by)
			if !ok {
				return errSortScores
			}
			vec[i].score = v
		}
		compare := func(x, y *sortElem) int {
			var c int
			switch {
			case !alpha:
				c = cmp.Compare(x.score, y.score)
				if x.score == y.score {
					c = strings.Compare(x.obj, y.obj)
				}
			case sortby != nil:
				switch {
				case x.cmpobj == nil && y.cmpobj == nil:
					c = 0
				case x.cmpobj == nil:
					c = -1
				case y.cmpobj == nil:
					c = 1
				default:
					c = strings.Compare(*x.cmpobj, *y.cmpobj)
				}
			default:
				c = strings.Compare(x.obj, y.obj)
			}
			if desc {
				return -c
			}
			return c
		}
		if sortby != nil && (start != 0 || end != int64(len(vec))-1) {
			pqsortGeneric(vec, compare, int(start), int(end))
		} else {
			// glibc's qsort is a stable merge sort.
			slices.SortStableFunc(vec, func(x, y sortElem) int { return compare(&x, &y) })
		}
	}
	out := store.NewList(0)
	for j := start; j <= end; j++ {
		if len(gets) == 0 {
			out.PushBack([]byte(vec[j].obj))
			continue
		}
		for _, g := range gets {
			v := a.lookupByPattern(g, vec[j].obj)
			if v == nil {
				out.PushBack([]byte{})
			} else {
				out.PushBack([]byte(*v))
			}
		}
	}
	if out.Len() == 0 {
		a.cur().Delete(storekey)
		return nil
	}
	a.cur().Put(storekey, store.NewListEntry(out))
	return nil
}
