package rdbload

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// capHint bounds the size hints taken from the input when the input's
// size is unknown: collections then grow as elements arrive, never
// preallocated from a count the input claims (see decoder.sizeHint).
const capHint = 1 << 10

// ebExpireTimeMax is the largest hash field expiry Redis accepts
// (EB_EXPIRE_TIME_MAX, 48 bits of milliseconds).
const ebExpireTimeMax = 1<<48 - 1

// readObject decodes the value of type t. It returns nil (and no error)
// for an empty collection, which the caller skips as Redis does.
func (d *decoder) readObject(t byte) (*store.Entry, error) {
	switch t {
	case rdb.TypeString:
		v, err := d.readStringOwned(nil)
		if err != nil {
			return nil, err
		}
		return store.NewString(v), nil
	case rdb.TypeList:
		return d.readLinkedList()
	case rdb.TypeSet:
		return d.readHashtableSet()
	case rdb.TypeZSet, rdb.TypeZSet2:
		return d.readSkiplistZSet(t == rdb.TypeZSet2)
	case rdb.TypeHash:
		return d.readHashtableHash()
	case rdb.TypeModulePreGA:
		return nil, unsupported("module value in the Redis 4.0 release-candidate format (type 6)")
	case rdb.TypeModule2:
		return d.readModule()
	case rdb.TypeListQuicklist, rdb.TypeListQuicklist2:
		return d.readQuicklist(t == rdb.TypeListQuicklist2)
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2, rdb.TypeStreamListpacks3:
		return d.readStream(t)
	case 22:
		if d.valkey {
			return d.readValkeyHash2()
		}
		return d.readHashMetadata(false)
	case rdb.TypeHashMetadata:
		return d.readHashMetadata(true)
	case rdb.TypeHashZipmap, rdb.TypeListZiplist, rdb.TypeSetIntset, rdb.TypeZSetZiplist,
		rdb.TypeHashZiplist, rdb.TypeHashListpack, rdb.TypeZSetListpack, rdb.TypeSetListpack,
		rdb.TypeHashListpackExPreGA, rdb.TypeHashListpackEx:
		return d.readBlobObject(t)
	}
	return nil, corrupt("unknown RDB object type " + strconv.Itoa(int(t)))
}

// finishValue completes the value being built (d.bld) for the key in d.kbuf,
// which then shares the value's allocation when the value is packed. A
// repeated element is corruption; an empty value is nil.
func (d *decoder) finishValue(what string) (*store.Entry, error) {
	e, key, dup := d.bld.Finish(d.kbuf)
	if dup != nil {
		return nil, corrupt("duplicate " + what + " " + quoteShort(dup))
	}
	if e != nil {
		d.key, d.keyOwned = key, true
	}
	return e, nil
}

func (d *decoder) readLinkedList() (*store.Entry, error) {
	n, err := d.readCount("list length")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindList, 0)
	for i := 0; i < n; i++ {
		v, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.bld.Add(v)
	}
	return d.finishValue("list element")
}

func (d *decoder) readHashtableSet() (*store.Entry, error) {
	n, err := d.readCount("set size")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindSet, d.sizeHint(n, 1))
	for i := 0; i < n; i++ {
		v, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.bld.Add(v)
	}
	return d.finishValue("set member")
}

func (d *decoder) readSkiplistZSet(binaryScores bool) (*store.Entry, error) {
	n, err := d.readCount("sorted set size")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindZSet, d.sizeHint(n, 2))
	for i := 0; i < n; i++ {
		v, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.mbuf = append(d.mbuf[:0], v...) // the view dies with the next read
		var score float64
		if binaryScores {
			score, err = d.readBinaryDouble()
		} else {
			score, err = d.readStringDouble()
		}
		if err != nil {
			return nil, err
		}
		if err := d.addZ(d.mbuf, score); err != nil {
			return nil, err
		}
	}
	e, err := d.finishValue("sorted set member")
	if e != nil {
		// The master holds this set as a skiplist. Redis converts a small
		// one to a listpack when it loads it, turning a -0 score into 0
		// and diverging from its master; the follower keeps the master's
		// encoding.
		e.ZSet().SetListpack(false)
	}
	return e, err
}

func (d *decoder) addZ(member []byte, score float64) error {
	if math.IsNaN(score) {
		return corrupt("sorted set member " + quoteShort(member) + " has a NaN score")
	}
	d.bld.AddScored(member, score)
	return nil
}

func (d *decoder) readHashtableHash() (*store.Entry, error) {
	n, err := d.readCount("hash size")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindHash, d.sizeHint(n, 2))
	for i := 0; i < n; i++ {
		f, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.mbuf = append(d.mbuf[:0], f...)
		v, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.bld.AddPair(d.mbuf, v)
	}
	return d.finishValue("hash field")
}

// readHashMetadata reads type 24 (withMin: min-expire first, relative
// TTLs) or the 7.4 RC type 22 (absolute TTLs).
func (d *decoder) readHashMetadata(withMin bool) (*store.Entry, error) {
	var minExpire uint64
	if withMin {
		p, err := d.rd.view(8)
		if err != nil {
			return nil, err
		}
		minExpire = binary.LittleEndian.Uint64(p)
	}
	n, err := d.readCount("hash size")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindHash, d.sizeHint(n, 2))
	for i := 0; i < n; i++ {
		ttl, err := d.readLength()
		if err != nil {
			return nil, err
		}
		expireAt := ttl
		if withMin && ttl != 0 {
			if ttl > ebExpireTimeMax || minExpire > ebExpireTimeMax+1 {
				return nil, corrupt("hash field TTL out of range")
			}
			expireAt = ttl + minExpire - 1
		}
		if expireAt > ebExpireTimeMax {
			return nil, corrupt("hash field expiry " + strconv.FormatUint(expireAt, 10) + " out of range")
		}
		f, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.mbuf = append(d.mbuf[:0], f...)
		v, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.bld.AddPair(d.mbuf, v)
		if expireAt != 0 {
			d.bld.FieldExpire(int64(expireAt))
		}
	}
	return d.finishValue("hash field")
}

// readValkeyHash2 reads Valkey 9's HASH_2 (type 22 under VALKEY magic):
// field, value, 8-byte little-endian expiry (-1 none) per field.
func (d *decoder) readValkeyHash2() (*store.Entry, error) {
	n, err := d.readCount("hash size")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindHash, d.sizeHint(n, 2))
	for i := 0; i < n; i++ {
		f, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.mbuf = append(d.mbuf[:0], f...)
		v, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.bld.AddPair(d.mbuf, v)
		p, err := d.rd.view(8)
		if err != nil {
			return nil, err
		}
		switch exp := int64(binary.LittleEndian.Uint64(p)); {
		case exp == -1:
		case exp < -1:
			return nil, corrupt("hash field expiry " + strconv.FormatInt(exp, 10) + " out of range")
		default:
			d.bld.FieldExpire(max(exp, 1))
		}
	}
	return d.finishValue("hash field")
}

func (d *decoder) readQuicklist(v2 bool) (*store.Entry, error) {
	n, err := d.readCount("quicklist node count")
	if err != nil || n == 0 {
		return nil, err
	}
	d.bld.Reset(store.KindList, 0)
	for i := 0; i < n; i++ {
		container := uint64(rdb.QuicklistNodePacked)
		if v2 {
			container, err = d.readLength()
			if err != nil {
				return nil, err
			}
			if container != rdb.QuicklistNodePacked && container != rdb.QuicklistNodePlain {
				return nil, corrupt("quicklist node has invalid container " + strconv.FormatUint(container, 10))
			}
		}
		blob, err := d.readString()
		if err != nil {
			return nil, err
		}
		if len(blob) == 0 {
			return nil, corrupt("empty quicklist node")
		}
		switch {
		case container == rdb.QuicklistNodePlain:
			d.bld.Add(blob)
		case v2:
			err = d.listFromListpack(blob)
		default:
			err = d.listFromZiplist(blob)
		}
		if err != nil {
			return nil, err
		}
	}
	return d.finishValue("list element")
}

func (d *decoder) listFromListpack(blob []byte) error {
	it, err := newLP(blob)
	if err != nil {
		return err
	}
	return d.listFrom(&it)
}

func (d *decoder) listFromZiplist(blob []byte) error {
	it, err := newZL(blob)
	if err != nil {
		return err
	}
	return d.listFrom(&it)
}

func (d *decoder) listFrom(it elems) error {
	for {
		ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		s, v, isInt := it.cur()
		if isInt {
			d.bld.AddInt(v)
		} else {
			d.bld.Add(s)
		}
	}
}

// elems is the common shape of lpIter and zlIter for the pair decoders.
type elems interface {
	next() (bool, error)
	cur() ([]byte, int64, bool)
	hint() int
}

// hint is a bounded element-count hint for presizing: the declared count,
// at most one element per 2 bytes of blob (the smallest listpack and
// ziplist entries).
func (it *lpIter) hint() int { return countHint(it.count, len(it.b)) }
func (it *zlIter) hint() int { return countHint(it.count, len(it.b)) }

func countHint(count, blob int) int {
	if count < 0 || count > blob/2 {
		return blob / 2
	}
	return count
}

// intsetHint is the member count of an intset blob, bounded by its size.
func intsetHint(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	return min(int(binary.LittleEndian.Uint32(b[4:])), (len(b)-8)/2)
}

func (it *lpIter) cur() ([]byte, int64, bool) { return it.s, it.v, it.isInt }
func (it *zlIter) cur() ([]byte, int64, bool) { return it.s, it.v, it.isInt }

// text renders the current element as bytes (integers as decimal into
// buf).
func text(it elems, buf []byte) []byte {
	s, v, isInt := it.cur()
	if isInt {
		return strconv.AppendInt(buf[:0], v, 10)
	}
	return s
}

// readBlobObject decodes the types stored as one string blob (ziplist,
// listpack, intset, zipmap encodings).
func (d *decoder) readBlobObject(t byte) (*store.Entry, error) {
	if t == rdb.TypeHashListpackEx {
		if _, err := d.rd.view(8); err != nil { // min expire: derived, not needed
			return nil, err
		}
	}
	blob, err := d.readString()
	if err != nil {
		return nil, err
	}
	switch t {
	case rdb.TypeHashZipmap:
		d.bld.Reset(store.KindHash, 0)
		err := zipmapWalk(blob, func(f, v []byte) error {
			d.bld.AddPair(f, v)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return d.finishValue("hash field")
	case rdb.TypeListZiplist:
		d.bld.Reset(store.KindList, 0)
		if err := d.listFromZiplist(blob); err != nil {
			return nil, err
		}
		return d.finishValue("list element")
	case rdb.TypeSetIntset:
		d.bld.Reset(store.KindSet, intsetHint(blob))
		err := intsetWalk(blob, func(v int64) error {
			d.bld.AddInt(v)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return d.finishValue("set member")
	case rdb.TypeSetListpack:
		it, err := newLP(blob)
		if err != nil {
			return nil, err
		}
		return d.setFrom(&it)
	case rdb.TypeZSetZiplist:
		it, err := newZL(blob)
		if err != nil {
			return nil, err
		}
		return d.zsetFrom(&it)
	case rdb.TypeZSetListpack:
		it, err := newLP(blob)
		if err != nil {
			return nil, err
		}
		return d.zsetFrom(&it)
	case rdb.TypeHashZiplist:
		it, err := newZL(blob)
		if err != nil {
			return nil, err
		}
		return d.hashFrom(&it, false)
	case rdb.TypeHashListpack:
		it, err := newLP(blob)
		if err != nil {
			return nil, err
		}
		return d.hashFrom(&it, false)
	default: // TypeHashListpackEx, TypeHashListpackExPreGA
		it, err := newLP(blob)
		if err != nil {
			return nil, err
		}
		return d.hashFrom(&it, true)
	}
}

func (d *decoder) setFrom(it elems) (*store.Entry, error) {
	d.bld.Reset(store.KindSet, it.hint())
	if err := d.listFrom(it); err != nil {
		return nil, err
	}
	return d.finishValue("set member")
}

func (d *decoder) zsetFrom(it elems) (*store.Entry, error) {
	d.bld.Reset(store.KindZSet, it.hint()/2)
	for {
		ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		// The member is a view of the blob, or an integer formatted into
		// d.num, which the score does not touch.
		member := text(it, d.num[:])
		if ok, err = it.next(); err != nil {
			return nil, err
		}
		if !ok {
			return nil, corrupt("sorted set member " + quoteShort(member) + " has no score")
		}
		var score float64
		if s, v, isInt := it.cur(); isInt {
			score = float64(v)
		} else if score, ok = parseScore(s); !ok {
			return nil, corrupt("invalid sorted-set score " + quoteShort(s))
		}
		if err := d.addZ(member, score); err != nil {
			return nil, err
		}
	}
	e, err := d.finishValue("sorted set member")
	if e != nil {
		e.ZSet().SetListpack(true)
	}
	return e, err
}

// hashFrom reads field/value pairs, or field/value/expiry triples when
// withTTL (absolute ms, 0 none).
func (d *decoder) hashFrom(it elems, withTTL bool) (*store.Entry, error) {
	per := 2
	if withTTL {
		per = 3
	}
	d.bld.Reset(store.KindHash, it.hint()/per)
	var vnum [24]byte
	for {
		ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		field := text(it, d.num[:])
		if ok, err = it.next(); err != nil {
			return nil, err
		}
		if !ok {
			return nil, corrupt("hash field " + quoteShort(field) + " has no value")
		}
		d.bld.AddPair(field, text(it, vnum[:]))
		if !withTTL {
			continue
		}
		if ok, err = it.next(); err != nil {
			return nil, err
		}
		if !ok {
			return nil, corrupt("hash field " + quoteShort(field) + " has no expiry slot")
		}
		_, exp, isInt := it.cur()
		if !isInt || exp < 0 || exp > ebExpireTimeMax {
			return nil, corrupt("hash field " + quoteShort(field) + " has an invalid expiry")
		}
		if exp != 0 {
			d.bld.FieldExpire(exp)
		}
	}
	return d.finishValue("hash field")
}

// quoteShort quotes b for an error message, shortened.
func quoteShort(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "…"
	}
	return strconv.Quote(string(b))
}
