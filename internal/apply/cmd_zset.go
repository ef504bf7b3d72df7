package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"math"
	"slices"

	"github.com/redis-follower/redis-follower/internal/store"
)

var (
	errZAddXXNX     = errors.New("XX and NX options at the same time are not compatible")
	errZAddGTLTNX   = errors.New("GT, LT, and/or NX options at the same time are not compatible")
	errZAddIncrPair = errors.New("INCR option supports a single increment-element pair")
	errZNaN         = errors.New("resulting score is not a number (NaN)")
	errZMinMax      = errors.New("min or max is not a float")
	errZLexRange    = errors.New("min or max not valid string range item")
	errZWeight      = errors.New("weight value is not a float")
	errZNumKeys     = errors.New("at least 1 input key is needed")
	errZLimitRank   = errors.New("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
)

func (a *Applier) zsetOf(key []byte) (*store.Entry, error) {
	e := a.get(key)
	if e == nil {
		return nil, nil
	}
	if e.Kind() != store.KindZSet {
		return nil, ErrWrongType
	}
	return e, nil
}

// ZADD flags.
const (
	zNX = 1 << iota
	zXX
	zGT
	zLT
	zIncr
)

// posZero turns -0 into 0: a listpack stores whole-number scores as
// integers (double2ll), so -0 does not survive there.
func posZero(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// newZSet returns an empty sorted set with the encoding ZADD would create
// for a first member of length firstLen.
func (a *Applier) newZSet(hint, firstLen int) *store.ZSet {
	z := store.NewZSet(hint)
	z.SetListpack(a.zlim.MaxEntries != 0 && firstLen <= a.zlim.MaxValue)
	return z
}

// zsetAdd is zsetAdd(), encoding conversions included: it reports false
// when the result is NaN.
func (a *Applier) zsetAdd(z *store.ZSet, score float64, member []byte, flags int) bool {
	if math.IsNaN(score) {
		return false
	}
	cur, exists := z.Score(member)
	if exists {
		if flags&zNX != 0 {
			return true
		}
		if flags&zIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return false
			}
		}
		if (flags&zLT != 0 && score >= cur) || (flags&zGT != 0 && score <= cur) {
			return true
		}
		if score != cur {
			if z.IsListpack(a.zlim) {
				score = posZero(score)
			}
			z.Add(member, score)
		}
		return true
	}
	if flags&zXX != 0 {
		return true
	}
	if z.IsListpack(a.zlim) {
		if z.Len()+1 > a.zlim.MaxEntries || len(member) > a.zlim.MaxValue {
			z.SetListpack(false)
		} else {
			score = posZero(score)
		}
	}
	z.Add(member, score)
	return true
}

// finishStoredZSet gives a Z*STORE result the encoding
// zsetConvertToListpackIfNeeded picks.
func (a *Applier) finishStoredZSet(z *store.ZSet) {
	maxLen := 0
	for m := range z.All() {
		maxLen = max(maxLen, len(m))
	}
	if z.Len() <= a.zlim.MaxEntries && maxLen <= a.zlim.MaxValue {
		z.SetListpack(true)
		z.NormalizeNegZero()
		return
	}
	z.SetListpack(false)
}

func (a *Applier) zadd(args [][]byte, flags int) error {
	key := args[1]
	a.touch(key)
	j := 2
	for ; j < len(args); j++ {
		opt := args[j]
		switch {
		case eqFold(opt, "nx"):
			flags |= zNX
		case eqFold(opt, "xx"):
			flags |= zXX
		case eqFold(opt, "ch"):
		case eqFold(opt, "incr"):
			flags |= zIncr
		case eqFold(opt, "gt"):
			flags |= zGT
		case eqFold(opt, "lt"):
			flags |= zLT
		default:
			goto scores
		}
	}
scores:
	elems := len(args) - j
	if elems%2 != 0 || elems == 0 {
		return ErrSyntax
	}
	elems /= 2
	if flags&zNX != 0 && flags&zXX != 0 {
		return errZAddXXNX
	}
	if (flags&zGT != 0 && flags&zNX != 0) || (flags&zLT != 0 && flags&zNX != 0) || (flags&zGT != 0 && flags&zLT != 0) {
		return errZAddGTLTNX
	}
	if flags&zIncr != 0 && elems > 1 {
		return errZAddIncrPair
	}
	// All scores are parsed before anything changes.
	for i := 0; i < elems; i++ {
		if _, ok := parseFloat64(args[j+2*i]); !ok {
			return ErrNotFloat
		}
	}
	e, err := a.zsetOf(key)
	if err != nil {
		return err
	}
	if e == nil {
		if flags&zXX != 0 {
			return nil
		}
		e = store.NewZSetEntry(a.newZSet(elems, len(args[j+1])))
		a.cur().Put(key, e)
	}
	z := e.ZSet()
	for i := 0; i < elems; i++ {
		score, _ := parseFloat64(args[j+2*i])
		if !a.zsetAdd(z, score, args[j+2*i+1], flags) {
			return errZNaN
		}
	}
	return nil
}

func cmdZAdd(a *Applier, args [][]byte) error { return a.zadd(args, 0) }

func cmdZIncrBy(a *Applier, args [][]byte) error {
	if len(args) != 4 {
		return ErrWrongArity
	}
	return a.zadd(args, zIncr)
}

func cmdZRem(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.zsetOf(key)
	if err != nil || e == nil {
		return err
	}
	z := e.ZSet()
	for _, m := range args[2:] {
		z.Remove(m)
		if z.Len() == 0 {
			break
		}
	}
	a.deleteIfEmpty(key, e)
	return nil
}

// scoreRange is zrangespec.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

// parseScoreRange is zslParseRange.
func parseScoreRange(minArg, maxArg []byte) (scoreRange, bool) {
	var r scoreRange
	var ok bool
	parse := func(b []byte) (float64, bool, bool) {
		if len(b) > 0 && b[0] == '(' {
			v, ok := parseRangeFloat(b[1:])
			return v, true, ok
		}
		v, ok := parseRangeFloat(b)
		return v, false, ok
	}
	if r.min, r.minex, ok = parse(minArg); !ok {
		return r, false
	}
	if r.max, r.maxex, ok = parse(maxArg); !ok {
		return r, false
	}
	return r, true
}

// empty is the negation of zslIsInRange's range test.
func (r scoreRange) empty() bool {
	return r.min > r.max || (r.min == r.max && (r.minex || r.maxex))
}

// ranks returns the rank interval [start, end) of members in range.
func (r scoreRange) ranks(z *store.ZSet) (int, int) {
	if r.empty() {
		return 0, 0
	}
	start, end := z.ScoreRange(r.min, r.minex, r.max, r.maxex)
	if end < start {
		end = start
	}
	return start, end
}

// lexBound is one zlexrangespec end.
type lexBound struct {
	v   string
	ex  bool
	inf int // -1 "-", +1 "+"
}

type lexRange struct{ min, max lexBound }

func parseLexItem(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '+':
		if len(b) != 1 {
			return lexBound{}, false
		}
		return lexBound{ex: true, inf: 1}, true
	case '-':
		if len(b) != 1 {
			return lexBound{}, false
		}
		return lexBound{ex: true, inf: -1}, true
	case '(':
		return lexBound{v: string(b[1:]), ex: true}, true
	case '[':
		return lexBound{v: string(b[1:])}, true
	}
	return lexBound{}, false
}

func parseLexRange(minArg, maxArg []byte) (lexRange, bool) {
	lo, ok1 := parseLexItem(minArg)
	hi, ok2 := parseLexItem(maxArg)
	return lexRange{lo, hi}, ok1 && ok2
}

// cmp is sdscmplex: -inf < every string < +inf.
func lexCmp(a, b lexBound) int {
	if a.inf == b.inf && a.inf != 0 {
		return 0
	}
	if a.inf == -1 || b.inf == 1 {
		return -1
	}
	if a.inf == 1 || b.inf == -1 {
		return 1
	}
	switch {
	case a.v < b.v:
		return -1
	case a.v > b.v:
		return 1
	}
	return 0
}

func (r lexRange) empty() bool {
	c := lexCmp(r.min, r.max)
	return c > 0 || (c == 0 && (r.min.ex || r.max.ex))
}

// ranks returns [start, end) of the members in the lex range, assuming all
// scores are equal (the only case where lex ranges are defined).
func (r lexRange) ranks(z *store.ZSet) (int, int) {
	if r.empty() {
		return 0, 0
	}
	toStore := func(b lexBound) store.LexBound {
		return store.LexBound{Value: b.v, Exclusive: b.ex, Inf: b.inf}
	}
	start, end := z.LexRange(toStore(r.min), toStore(r.max))
	if end < start {
		end = start
	}
	return start, end
}

// rankRange normalises start/end like Redis's rank commands; ok is false
// for an empty range.
func rankRange(start, end int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, false
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end) + 1, true
}

const (
	zrangeAuto = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

func (a *Applier) zremrange(args [][]byte, kind int) error {
	key := args[1]
	a.touch(key)
	var (
		start, end int64
		sr         scoreRange
		lr         lexRange
		ok         bool
	)
	switch kind {
	case zrangeRank:
		var ok1, ok2 bool
		start, ok1 = parseInt64(args[2])
		end, ok2 = parseInt64(args[3])
		if !ok1 || !ok2 {
			return ErrNotInteger
		}
	case zrangeScore:
		if sr, ok = parseScoreRange(args[2], args[3]); !ok {
			return errZMinMax
		}
	case zrangeLex:
		if lr, ok = parseLexRange(args[2], args[3]); !ok {
			return errZLexRange
		}
	}
	e, err := a.zsetOf(key)
	if err != nil || e == nil {
		return err
	}
	z := e.ZSet()
	var s, t int
	switch kind {
	case zrangeRank:
		if s, t, ok = rankRange(start, end, z.Len()); !ok {
			return nil
		}
	case zrangeScore:
		s, t = sr.ranks(z)
	case zrangeLex:
		s, t = lr.ranks(z)
	}
	z.DeleteRange(s, t)
	a.deleteIfEmpty(key, e)
	return nil
}

func cmdZRemRangeByRank(a *Applier, args [][]byte) error  { return a.zremrange(args, zrangeRank) }
func cmdZRemRangeByScore(a *Applier, args [][]byte) error { return a.zremrange(args, zrangeScore) }
func cmdZRemRangeByLex(a *Applier, args [][]byte) error   { return a.zremrange(args, zrangeLex) }

// zpop pops count members from key (ZPOPMIN/ZPOPMAX and the rewrites of
// BZPOPMIN/BZPOPMAX/ZMPOP/BZMPOP).
func (a *Applier) zpop(args [][]byte, max bool) error {
	key := args[1]
	a.touch(key)
	if len(args) > 3 {
		return ErrSyntax
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
	e, err := a.zsetOf(key)
	if err != nil || e == nil {
		return err
	}
	z := e.ZSet()
	n := int64(z.Len())
	if count > n {
		count = n
	}
	if max {
		z.DeleteRange(int(n-count), int(n))
	} else {
		z.DeleteRange(0, int(count))
	}
	a.deleteIfEmpty(key, e)
	return nil
}

func cmdZPopMin(a *Applier, args [][]byte) error { return a.zpop(args, false) }
func cmdZPopMax(a *Applier, args [][]byte) error { return a.zpop(args, true) }

// zsrc is one input of ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE: a sorted set or
// a plain set (scores 1), or nothing.
type zsrc struct {
	z      *store.ZSet
	s      *store.Set
	e      *store.Entry
	weight float64
}

func (s *zsrc) length() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

func (s *zsrc) find(m string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score([]byte(m))
	case s.s != nil:
		if s.s.Has([]byte(m)) {
			return 1, true
		}
	}
	return 0, false
}

// each iterates the members with their scores; sets are iterated in
// sorted order so the result does not depend on map order (the scores of
// a union are sums in input order, so the member order within one input
// never matters).
func (s *zsrc) each(yield func(m string, score float64)) {
	switch {
	case s.z != nil:
		for m, sc := range s.z.All() {
			yield(m, sc)
		}
	case s.s != nil:
		for m := range s.s.All() {
			yield(m, 1)
		}
	}
}

const (
	aggrSum = iota
	aggrMin
	aggrMax
)

func aggregate(target *float64, val float64, aggr int) {
	switch aggr {
	case aggrSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggrMin:
		if val < *target {
			*target = val
		}
	case aggrMax:
		if val > *target {
			*target = val
		}
	}
}

const (
	opUnion = iota
	opInter
	opDiff
)

// zstore is zunionInterDiffGenericCommand for the *STORE forms.
func (a *Applier) zstore(args [][]byte, op int) error {
	dst := args[1]
	a.touch(dst)
	setnum, ok := parseInt64(args[2])
	if !ok {
		return ErrNotInteger
	}
	if setnum < 1 {
		return errZNumKeys
	}
	if setnum > int64(len(args)-3) {
		return ErrSyntax
	}
	src := make([]zsrc, setnum)
	j := 3
	for i := range src {
		e := a.get(args[j])
		j++
		src[i].weight = 1
		if e == nil {
			continue
		}
		switch e.Kind() {
		case store.KindZSet:
			src[i].z = e.ZSet()
		case store.KindSet:
			src[i].s = e.Set()
		default:
			return ErrWrongType
		}
		src[i].e = e
	}
	aggr := aggrSum
	for remaining := len(args) - j; remaining > 0; remaining = len(args) - j {
		switch {
		case op != opDiff && remaining >= int(setnum)+1 && eqFold(args[j], "weights"):
			j++
			for i := range src {
				w, ok := parseFloat64(args[j])
				if !ok {
					return errZWeight
				}
				src[i].weight = w
				j++
			}
		case op != opDiff && remaining >= 2 && eqFold(args[j], "aggregate"):
			switch {
			case eqFold(args[j+1], "sum"):
				aggr = aggrSum
			case eqFold(args[j+1], "min"):
				aggr = aggrMin
			case eqFold(args[j+1], "max"):
				aggr = aggrMax
			default:
				return ErrSyntax
			}
			j += 2
		default:
			return ErrSyntax
		}
	}
	if op != opDiff {
		// qsort by cardinality; glibc's qsort is a stable merge sort.
		slices.SortStableFunc(src, func(x, y zsrc) int { return x.length() - y.length() })
	}
	res := store.NewZSet(0)
	switch op {
	case opInter:
		if src[0].length() > 0 {
			src[0].each(func(m string, sc float64) {
				score := float64(src[0].weight * sc) // rounded before the sum, as in C (no FMA)
				if math.IsNaN(score) {
					score = 0
				}
				for k := 1; k < len(src); k++ {
					var v float64
					if src[k].e == src[0].e {
						v = float64(sc * src[k].weight)
					} else if found, ok := src[k].find(m); ok {
						v = float64(found * src[k].weight)
					} else {
						return
					}
					aggregate(&score, v, aggr)
				}
				res.AddString(m, score)
			})
		}
	case opUnion:
		acc := make(map[string]float64)
		var order []string
		for k := range src {
			src[k].each(func(m string, sc float64) {
				score := float64(src[k].weight * sc)
				if math.IsNaN(score) {
					score = 0
				}
				if cur, ok := acc[m]; ok {
					aggregate(&cur, score, aggr)
					acc[m] = cur
				} else {
					acc[m] = score
					order = append(order, m)
				}
			})
		}
		for _, m := range order {
			res.AddString(m, acc[m])
		}
	case opDiff:
		if src[0].length() > 0 {
			same := false
			for k := 1; k < len(src); k++ {
				if src[k].e == src[0].e {
					same = true
				}
			}
			if !same {
				src[0].each(func(m string, sc float64) {
					for k := 1; k < len(src); k++ {
						if _, ok := src[k].find(m); ok {
							return
						}
					}
					res.AddString(m, sc)
				})
			}
		}
	}
	if res.Len() == 0 {
		a.cur().Delete(dst)
		return nil
	}
	a.finishStoredZSet(res)
	a.cur().Put(dst, store.NewZSetEntry(res))
	return nil
}

func cmdZUnionStore(a *Applier, args [][]byte) error { return a.zstore(args, opUnion) }
func cmdZInterStore(a *Applier, args [][]byte) error { return a.zstore(args, opInter) }
func cmdZDiffStore(a *Applier, args [][]byte) error  { return a.zstore(args, opDiff) }

// cmdZRangeStore is ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV]
// [LIMIT offset count].
func cmdZRangeStore(a *Applier, args [][]byte) error {
	dst, key := args[1], args[2]
	a.touch(dst)
	kind, rev := zrangeAuto, false
	var offset, limit int64 = 0, -1
	for j := 5; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case eqFold(args[j], "limit") && left >= 2:
			o, ok1 := parseInt64(args[j+1])
			l, ok2 := parseInt64(args[j+2])
			if !ok1 || !ok2 {
				return ErrNotInteger
			}
			offset, limit = o, l
			j += 2
		case !rev && eqFold(args[j], "rev"):
			rev = true
		case kind == zrangeAuto && eqFold(args[j], "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && eqFold(args[j], "byscore"):
			kind = zrangeScore
		default:
			return ErrSyntax
		}
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	if limit != -1 && kind == zrangeRank {
		return errZLimitRank
	}
	minArg, maxArg := args[3], args[4]
	if rev && kind != zrangeRank {
		minArg, maxArg = maxArg, minArg
	}
	var (
		start, end int64
		sr         scoreRange
		lr         lexRange
		ok         bool
	)
	switch kind {
	case zrangeRank:
		var ok1, ok2 bool
		start, ok1 = parseInt64(minArg)
		end, ok2 = parseInt64(maxArg)
		if !ok1 || !ok2 {
			return ErrNotInteger
		}
	case zrangeScore:
		if sr, ok = parseScoreRange(minArg, maxArg); !ok {
			return errZMinMax
		}
	case zrangeLex:
		if lr, ok = parseLexRange(minArg, maxArg); !ok {
			return errZLexRange
		}
	}
	e := a.get(key)
	if e == nil {
		a.cur().Delete(dst)
		return nil
	}
	if e.Kind() != store.KindZSet {
		return ErrWrongType
	}
	z := e.ZSet()
	// zrangeResultBeginStore: a skiplist when the rank range is known to be
	// long, else a listpack that zsetAdd converts as it grows.
	res := store.NewZSet(0)
	res.SetListpack(true)
	emit := func(m string, sc float64) { a.zsetAdd(res, sc, []byte(m), 0) }
	switch kind {
	case zrangeRank:
		if s, t, ok := rankRange(start, end, z.Len()); ok {
			if t-s > a.zlim.MaxEntries {
				res.SetListpack(false)
			}
			if rev {
				// Ranks counted from the tail.
				n := z.Len()
				for m, sc := range z.RevRange(n-t, n-s) {
					emit(m, sc)
				}
			} else {
				for m, sc := range z.Range(s, t) {
					emit(m, sc)
				}
			}
		}
	case zrangeScore:
		s, t := sr.ranks(z)
		rangeWithLimit(z, s, t, rev, offset, limit, emit)
	case zrangeLex:
		s, t := lr.ranks(z)
		rangeWithLimit(z, s, t, rev, offset, limit, emit)
	}
	if res.Len() == 0 {
		a.cur().Delete(dst)
		return nil
	}
	a.cur().Put(dst, store.NewZSetEntry(res))
	return nil
}

// rangeWithLimit emits ranks [s, t) (reversed when rev) after skipping
// offset and stopping after limit, with Redis's semantics for the odd
// values: an offset at or past the length gives nothing, a negative offset
// walks off the end (nothing), a negative limit means no limit.
func rangeWithLimit(z *store.ZSet, s, t int, rev bool, offset, limit int64, emit func(string, float64)) {
	if offset > 0 && offset >= int64(z.Len()) {
		return
	}
	if offset < 0 || t <= s {
		return
	}
	if offset >= int64(t-s) {
		return
	}
	s2, t2 := s, t
	if rev {
		t2 = t - int(offset)
	} else {
		s2 = s + int(offset)
	}
	if limit >= 0 && int64(t2-s2) > limit {
		if rev {
			s2 = t2 - int(limit)
		} else {
			t2 = s2 + int(limit)
		}
	}
	if rev {
		for m, sc := range z.RevRange(s2, t2) {
			emit(m, sc)
		}
		return
	}
	for m, sc := range z.Range(s2, t2) {
		emit(m, sc)
	}
}
