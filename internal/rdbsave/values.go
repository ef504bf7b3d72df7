package rdbsave

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Redis's compiled-in default encoding thresholds (config.c; what a
// server started without a config file uses, and what every real-server
// fixture of this project shows; the redis.conf Redis ships lowers
// hash-max-listpack-entries to 128). A loading server re-applies its own
// configured thresholds, so these only shape the file.
const (
	hashMaxListpackEntries = 512
	hashMaxListpackValue   = 64
	zsetMaxListpackEntries = 128
	zsetMaxListpackValue   = 64
	setMaxIntsetEntries    = 512
	setMaxListpackEntries  = 128
	setMaxListpackValue    = 64
	listMaxListpackSize    = 8192 // list-max-listpack-size -2
	quicklistSizeOverhead  = 8    // SIZE_ESTIMATE_OVERHEAD (7.0+)
	streamNodeMaxBytes     = 4096
	streamNodeMaxEntries   = 100
	ebExpireTimeMax        = 1<<48 - 1 // EB_EXPIRE_TIME_MAX (7.4 hash field TTLs)
)

// ErrUnrepresentable is wrapped by the errors Write and EncodeDump return
// for a value the target RDB version cannot hold.
var ErrUnrepresentable = errors.New("value not representable in the target RDB version")

// qlNode is one quicklist node being built: scratch[start:end], or a PLAIN
// node holding plain.
type qlNode struct {
	start, end int
	plain      []byte
}

// hItem is a hash field and its absolute expire (0 = none).
type hItem struct {
	field  string
	expire int64
}

// value writes the type byte and the serialized value of ent, choosing the
// encoding Redis of the target version would save it in.
//
// An empty list, set, sorted set or hash is no Redis key: nothing is
// written for it (the pending key is dropped).
func (e *encoder) value(ent *store.Entry) error {
	switch ent.Kind() {
	case store.KindString:
		e.typ(rdb.TypeString)
		e.rawString(ent.Str())
		return nil
	case store.KindList:
		e.list(ent.List())
		return nil
	case store.KindSet:
		e.set(ent.Set())
		return nil
	case store.KindZSet:
		return e.zset(ent.ZSet())
	case store.KindHash:
		return e.hash(ent.Hash())
	case store.KindStream:
		return e.stream(ent.Stream())
	case store.KindModule:
		return e.module(ent.Module())
	}
	return fmt.Errorf("%w: unknown value kind %d", ErrUnrepresentable, ent.Kind())
}

// ---- lists ----

func (e *encoder) list(l *store.List) {
	if l.Len() == 0 {
		return
	}
	if e.version < 10 {
		e.listZiplists(l)
		return
	}
	// Split into nodes as quicklistPushTail does with fill -2: an element
	// joins the tail node while node bytes + element size + 8 <= 8 KB;
	// elements of packed_threshold bytes or more get a PLAIN node.
	b := e.scratch[:0]
	nodes := e.nodes[:0]
	open, count := false, 0
	var nodeStart int
	closeNode := func() {
		if open {
			b = lpFinish(b, nodeStart, count)
			nodes = append(nodes, qlNode{start: nodeStart, end: len(b)})
			open = false
		}
	}
	for _, v := range l.All() {
		if len(v) >= e.packedThreshold {
			closeNode()
			nodes = append(nodes, qlNode{plain: v})
			continue
		}
		if open && len(b)-nodeStart+1+len(v)+quicklistSizeOverhead > listMaxListpackSize {
			closeNode()
		}
		if !open {
			nodeStart = len(b)
			b = append(b, 0, 0, 0, 0, 0, 0)
			open, count = true, 0
		}
		b = lpAppendStr(b, v)
		count++
	}
	closeNode()
	e.typ(rdb.TypeListQuicklist2)
	e.length(uint64(len(nodes)))
	for _, n := range nodes {
		if n.plain != nil {
			e.length(rdb.QuicklistNodePlain)
			e.rawString(n.plain)
			continue
		}
		e.length(rdb.QuicklistNodePacked)
		e.rawString(b[n.start:n.end])
	}
	clear(nodes) // drop references to PLAIN elements
	e.scratch, e.nodes = b[:0], nodes[:0]
}

// listZiplists writes a quicklist of ziplists (RDB type 14, Redis 3.2-6.2),
// splitting nodes as Redis 6.2's _quicklistNodeAllowInsert does with fill -2.
func (e *encoder) listZiplists(l *store.List) {
	b := e.scratch[:0]
	nodes := e.nodes[:0]
	var z ziplist
	open := false
	closeNode := func() {
		if open {
			start := z.start
			b = z.finish()
			nodes = append(nodes, qlNode{start: start, end: len(b)})
			open = false
		}
	}
	for _, v := range l.All() {
		sz := len(v)
		overhead := 1
		if sz >= 254 {
			overhead = 5
		}
		switch {
		case sz < 64:
			overhead++
		case sz < 16384:
			overhead += 2
		default:
			overhead += 5
		}
		if open && z.bytes()+sz+overhead > listMaxListpackSize {
			closeNode()
		}
		if !open {
			z.reset(b)
			open = true
		}
		z.push(v)
		b = z.b
	}
	closeNode()
	e.typ(rdb.TypeListQuicklist)
	e.length(uint64(len(nodes)))
	for _, n := range nodes {
		e.rawString(b[n.start:n.end])
	}
	e.scratch, e.nodes = b[:0], nodes[:0]
}

// ---- sets ----

func (e *encoder) set(s *store.Set) {
	n := s.Len()
	if n == 0 {
		return
	}
	// Intset when every member is a canonical integer and there are at
	// most set-max-intset-entries of them.
	if n <= setMaxIntsetEntries {
		ints := e.ints[:0]
		allInts := true
		for m := range s.All() {
			v, ok := parseInt(view(m))
			if !ok {
				allInts = false
				break
			}
			ints = append(ints, v)
		}
		if allInts {
			slices.Sort(ints)
			e.scratch = appendIntset(e.scratch[:0], ints)
			e.typ(rdb.TypeSetIntset)
			e.rawString(e.scratch)
			e.ints = ints[:0]
			return
		}
		e.ints = ints[:0]
	}
	if e.version >= 11 && n <= setMaxListpackEntries {
		small := true
		for m := range s.All() {
			if len(m) > setMaxListpackValue {
				small = false
				break
			}
		}
		if small {
			b := lpStart(e.scratch)
			for m := range s.All() {
				b = lpAppendStr(b, view(m))
			}
			b = lpFinish(b, 0, n)
			e.typ(rdb.TypeSetListpack)
			e.rawString(b)
			e.scratch = b[:0]
			return
		}
	}
	e.typ(rdb.TypeSet)
	e.length(uint64(n))
	for m := range s.All() {
		e.rawStr(m)
	}
}

// ---- sorted sets ----

func (e *encoder) zset(z *store.ZSet) error {
	n := z.Len()
	if n == 0 {
		return nil
	}
	small := n <= zsetMaxListpackEntries
	if lp, known := z.Encoding(); known && !lp {
		// The master holds it as a skiplist (a set that grew past the
		// limits and shrank stays one): written as such, a -0 score
		// survives, as in the master's own RDB.
		small = false
	}
	if small {
		for m, sc := range z.All() {
			if math.IsNaN(sc) {
				return fmt.Errorf("%w: sorted set member %q has a NaN score", ErrUnrepresentable, m)
			}
			if len(m) > zsetMaxListpackValue {
				small = false
			}
		}
	}
	if small {
		var num [32]byte
		if e.version >= 10 {
			// zzlInsertAt: the score as an integer when double2ll accepts
			// it, else as d2string formats it.
			b := lpStart(e.scratch)
			for m, sc := range z.All() {
				b = lpAppendStr(b, view(m))
				if v, ok := double2ll(sc); ok {
					b = lpAppendInt(b, v)
				} else {
					b = lpAppendStr(b, appendScore(num[:0], sc, e.version))
				}
			}
			b = lpFinish(b, 0, 2*n)
			e.typ(rdb.TypeZSetListpack)
			e.rawString(b)
			e.scratch = b[:0]
			return nil
		}
		// Redis 6.2 zzlInsertAt: d2string, then ziplist integer encoding.
		var zl ziplist
		zl.reset(e.scratch[:0])
		for m, sc := range z.All() {
			zl.push(view(m))
			zl.push(appendScoreV9(num[:0], sc))
		}
		b := zl.finish()
		e.typ(rdb.TypeZSetZiplist)
		e.rawString(b)
		e.scratch = b[:0]
		return nil
	}
	// ZSET_2, greatest to smallest like Redis (cheap skiplist inserts on
	// load). A NaN score found here fails the write after the type byte;
	// the output is discarded on error anyway.
	e.typ(rdb.TypeZSet2)
	e.length(uint64(n))
	for m, sc := range z.RevRange(0, n) {
		if math.IsNaN(sc) {
			return fmt.Errorf("%w: sorted set member %q has a NaN score", ErrUnrepresentable, m)
		}
		e.rawStr(m)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(sc))
	}
	return nil
}

// double2ll is Redis's double2ll: d as an int64 when it is integral and
// within ±LLONG_MAX/2 (so -0 becomes 0, as in a Redis listpack).
func double2ll(d float64) (int64, bool) {
	const lim = float64(math.MaxInt64 / 2)
	if d < -lim || d > lim || math.IsNaN(d) {
		return 0, false
	}
	v := int64(d)
	if float64(v) != d {
		return 0, false
	}
	return v, true
}

// appendScore formats a score that double2ll rejects as Redis's
// d2string does in the target version: "inf"/"-inf", "%.17g" up to 7.0
// (version <= 10), and from 7.2 on fpconv_dtoa's shortest round-trip
// digits in its own layout. Either form reads back exactly with strtod.
func appendScore(b []byte, d float64, version int) []byte {
	switch {
	case math.IsInf(d, 1):
		return append(b, "inf"...)
	case math.IsInf(d, -1):
		return append(b, "-inf"...)
	case d == 0:
		if math.Signbit(d) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	if version <= 10 {
		return strconv.AppendFloat(b, d, 'g', 17, 64)
	}
	return appendFpconv(b, d)
}

// appendFpconv lays out the shortest decimal digits of d (non-zero,
// finite) as fpconv_dtoa's emit_digits does: plain integers while the
// exponent is small, plain decimals for moderately small exponents, else
// d.ddde[+-]x with an unpadded exponent.
func appendFpconv(b []byte, d float64) []byte {
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], d, 'e', -1, 64) // [-]d[.ddd]e[+-]xx
	neg := e[0] == '-'
	if neg {
		b = append(b, '-')
		e = e[1:]
	}
	var digits [24]byte
	nd := 0
	i := 0
	for ; i < len(e) && e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[nd] = e[i]
			nd++
		}
	}
	exp10, _ := strconv.Atoi(string(e[i+1:])) // exponent of the first digit
	K := exp10 - (nd - 1)                     // exponent of the last digit
	absExp := exp10
	if absExp < 0 {
		absExp = -absExp
	}
	if K >= 0 && absExp < nd+7 {
		b = append(b, digits[:nd]...)
		for j := 0; j < K; j++ {
			b = append(b, '0')
		}
		return b
	}
	absK := -K
	if K < 0 && (K > -7 || absExp < 4) {
		off := nd - absK
		if off <= 0 {
			b = append(b, '0', '.')
			for j := 0; j < -off; j++ {
				b = append(b, '0')
			}
			return append(b, digits[:nd]...)
		}
		b = append(b, digits[:off]...)
		b = append(b, '.')
		return append(b, digits[off:nd]...)
	}
	max := 18
	if neg {
		max = 17
	}
	if nd > max {
		nd = max
	}
	b = append(b, digits[0])
	if nd > 1 {
		b = append(b, '.')
		b = append(b, digits[1:nd]...)
	}
	b = append(b, 'e')
	if exp10 < 0 {
		b = append(b, '-')
	} else {
		b = append(b, '+')
	}
	return strconv.AppendInt(b, int64(absExp), 10)
}

// appendScoreV9 is Redis 6.2's d2string: integers in (-2^52, 2^52) as
// integers, "-0" for negative zero, else "%.17g".
func appendScoreV9(b []byte, d float64) []byte {
	if d != 0 && d > -4503599627370495 && d < 4503599627370496 && d == float64(int64(d)) {
		return strconv.AppendInt(b, int64(d), 10)
	}
	return appendScore(b, d, 9)
}

// ---- hashes ----

func (e *encoder) hash(h *store.Hash) error {
	n := h.Len()
	if n == 0 {
		return nil
	}
	small := n <= hashMaxListpackEntries
	if small {
		for f, v := range h.All() {
			if len(f) > hashMaxListpackValue || len(v) > hashMaxListpackValue {
				small = false
				break
			}
		}
	}
	if h.HasFieldExpires() {
		switch {
		case e.version == rdb.ValkeyVersion80:
			return e.hashValkey2(h)
		case e.version == 12:
			return e.hashWithTTLs(h, small)
		}
		return fmt.Errorf("%w: hash field TTLs need RDB version 12 (Redis 7.4+) or 80 (Valkey 9), target is %d",
			ErrUnrepresentable, e.version)
	}
	if small {
		if e.version >= 10 {
			b := lpStart(e.scratch)
			for f, v := range h.All() {
				b = lpAppendStr(b, view(f))
				b = lpAppendStr(b, v)
			}
			b = lpFinish(b, 0, 2*n)
			e.typ(rdb.TypeHashListpack)
			e.rawString(b)
			e.scratch = b[:0]
			return nil
		}
		var zl ziplist
		zl.reset(e.scratch[:0])
		for f, v := range h.All() {
			zl.push(view(f))
			zl.push(v)
		}
		b := zl.finish()
		e.typ(rdb.TypeHashZiplist)
		e.rawString(b)
		e.scratch = b[:0]
		return nil
	}
	e.typ(rdb.TypeHash)
	e.length(uint64(n))
	for f, v := range h.All() {
		e.rawStr(f)
		e.rawString(v)
	}
	return nil
}

// hashWithTTLs writes a Redis 7.4 hash with field TTLs: HASH_LISTPACK_EX
// (field, value, ttl triplets ordered by TTL, fields without one last) when
// small, else HASH_METADATA (TTLs relative to the minimum, +1; 0 = none).
func (e *encoder) hashWithTTLs(h *store.Hash, small bool) error {
	minExp := int64(0)
	for f := range h.All() {
		t := h.FieldExpire(view(f))
		if t < 0 || t > ebExpireTimeMax {
			return fmt.Errorf("%w: hash field %q expire %d is outside Redis's range 0..2^48-1", ErrUnrepresentable, f, t)
		}
		if t != 0 && (minExp == 0 || t < minExp) {
			minExp = t
		}
	}
	if small {
		items := e.hitems[:0]
		for f := range h.All() {
			items = append(items, hItem{field: f, expire: h.FieldExpire(view(f))})
		}
		// Fields with a TTL first in TTL order, then those without.
		slices.SortFunc(items, func(a, b hItem) int {
			ta, tb := a.expire, b.expire
			switch {
			case ta == tb:
				return 0
			case ta == 0:
				return 1
			case tb == 0:
				return -1
			case ta < tb:
				return -1
			}
			return 1
		})
		b := lpStart(e.scratch)
		for _, it := range items {
			v, _ := h.Get(view(it.field))
			b = lpAppendStr(b, view(it.field))
			b = lpAppendStr(b, v)
			b = lpAppendInt(b, it.expire)
		}
		b = lpFinish(b, 0, 3*len(items))
		clear(items)
		e.hitems = items[:0]
		e.typ(rdb.TypeHashListpackEx)
		e.millis(minExp)
		e.rawString(b)
		e.scratch = b[:0]
		return nil
	}
	e.typ(rdb.TypeHashMetadata)
	e.millis(minExp)
	e.length(uint64(h.Len()))
	for f, v := range h.All() {
		var ttl uint64
		if t := h.FieldExpire(view(f)); t != 0 {
			ttl = uint64(t-minExp) + 1
		}
		e.length(ttl)
		e.rawStr(f)
		e.rawString(v)
	}
	return nil
}

// hashValkey2 writes Valkey 9's HASH_2: count, then per field the field,
// the value and the absolute expire in ms as int64 LE (-1 = none).
func (e *encoder) hashValkey2(h *store.Hash) error {
	e.typ(rdb.TypeValkeyHash2)
	e.length(uint64(h.Len()))
	for f, v := range h.All() {
		t := h.FieldExpire(view(f))
		if t == 0 {
			t = -1
		}
		e.rawStr(f)
		e.rawString(v)
		e.millis(t)
	}
	return nil
}

// ---- modules ----

func (e *encoder) module(m *store.Module) error {
	if err := checkModuleRaw(m); err != nil {
		return err
	}
	e.typ(rdb.TypeModule2)
	e.bytes(m.Raw)
	return nil
}
