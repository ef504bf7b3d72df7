package rdbload

import (
	"strconv"
	"unsafe"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// KeySelector is implemented by a Handler that chooses which values it
// wants. A declined key's value is skipped: its bytes are walked (every
// length bounded, every byte folded into the CRC-64 checked at the end)
// but not decoded or validated inside (listpacks, ziplists, intsets and
// LZF data are not opened), nothing is allocated for it, and the key
// reaches SkippedKey instead of Key. Skipping is what makes a summary or
// a filtered dump of a large file cheap.
type KeySelector interface {
	// WantKey reports whether the handler wants the value of the key about
	// to be read. key is a view valid during the call only; rdbType is the
	// value's RDB type byte (KindOf maps it to a store kind).
	WantKey(db int, key []byte, rdbType byte) bool
	// SkippedKey is called for every declined key, in file order, with
	// its absolute expire (0 none; at or before the epoch stored as 1) and
	// its metadata (RDB type, record offset and size, IDLE/FREQ). key is a
	// view valid during the call only.
	SkippedKey(db int, key []byte, expire int64, meta KeyMeta) error
}

// KindOf is the store kind of a value of RDB type t (as Redis groups its
// encodings: list 1/10/14/18, set 2/11/20, sorted set 3/5/12/17, hash
// 4/9/13/16/22/23/24/25, stream 15/19/21, module 6/7), or false for a
// byte that is no value type.
func KindOf(t byte) (store.Kind, bool) {
	switch t {
	case rdb.TypeString:
		return store.KindString, true
	case rdb.TypeList, rdb.TypeListZiplist, rdb.TypeListQuicklist, rdb.TypeListQuicklist2:
		return store.KindList, true
	case rdb.TypeSet, rdb.TypeSetIntset, rdb.TypeSetListpack:
		return store.KindSet, true
	case rdb.TypeZSet, rdb.TypeZSet2, rdb.TypeZSetZiplist, rdb.TypeZSetListpack:
		return store.KindZSet, true
	case rdb.TypeHash, rdb.TypeHashZipmap, rdb.TypeHashZiplist, rdb.TypeHashListpack, 22,
		rdb.TypeHashListpackExPreGA, rdb.TypeHashMetadata, rdb.TypeHashListpackEx:
		return store.KindHash, true
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2, rdb.TypeStreamListpacks3:
		return store.KindStream, true
	case rdb.TypeModulePreGA, rdb.TypeModule2:
		return store.KindModule, true
	}
	return 0, false
}

// skippedRecord skips the value of type t whose key name kv (a view) was
// just read, and hands the key to the selector.
func (d *decoder) skippedRecord(sel KeySelector, t byte, kv []byte, start, expire int64, hasExpire bool, meta KeyMeta) error {
	d.kbuf = append(d.kbuf[:0], kv...)
	d.key, d.hasKey = unsafe.String(unsafe.SliceData(d.kbuf), len(d.kbuf)), true
	if err := d.skipValue(t); err != nil {
		d.key = string(d.kbuf)
		return d.wrap(err, "skipping a "+typeName(t, d.valkey)+" value")
	}
	if hasExpire {
		if expire <= 0 {
			expire = 1
		}
		d.info.Expires++
	} else {
		expire = 0
	}
	d.info.Keys++
	d.info.Skipped++
	meta.Offset, meta.Size = start, d.rd.offset()-start
	if err := sel.SkippedKey(d.db, d.kbuf, expire, meta); err != nil {
		d.key = string(d.kbuf)
		return d.wrap(err, "handler refused the skipped key")
	}
	d.hasKey = false
	return nil
}

// skipValue walks over a value of type t.
func (d *decoder) skipValue(t byte) error {
	switch t {
	case rdb.TypeString, rdb.TypeHashZipmap, rdb.TypeListZiplist, rdb.TypeSetIntset, rdb.TypeZSetZiplist,
		rdb.TypeHashZiplist, rdb.TypeHashListpack, rdb.TypeZSetListpack, rdb.TypeSetListpack,
		rdb.TypeHashListpackExPreGA:
		return d.skipString()
	case rdb.TypeHashListpackEx:
		if err := d.rd.skip(8); err != nil { // min expire
			return err
		}
		return d.skipString()
	case rdb.TypeList, rdb.TypeSet, rdb.TypeListQuicklist:
		return d.skipStrings("element count", 1, 0)
	case rdb.TypeHash:
		return d.skipStrings("hash size", 2, 0)
	case rdb.TypeZSet2:
		return d.skipStrings("sorted set size", 1, 8)
	case rdb.TypeZSet:
		n, err := d.readCount("sorted set size")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := d.skipString(); err != nil {
				return err
			}
			l, err := d.rd.readByte()
			if err != nil {
				return err
			}
			if l < 253 { // 253-255: NaN, +inf, -inf without bytes
				if err := d.rd.skip(uint64(l)); err != nil {
					return err
				}
			}
		}
		return nil
	case rdb.TypeListQuicklist2:
		n, err := d.readCount("quicklist node count")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if _, err := d.readLength(); err != nil { // container
				return err
			}
			if err := d.skipString(); err != nil {
				return err
			}
		}
		return nil
	case rdb.TypeModulePreGA:
		return unsupported("module value in the Redis 4.0 release-candidate format (type 6)")
	case rdb.TypeModule2:
		if _, err := d.readLength(); err != nil { // module ID
			return err
		}
		return d.skipModuleOpcodes()
	case 22:
		if d.valkey { // HASH_2: field, value, 8-byte expire
			return d.skipStrings("hash size", 2, 8)
		}
		return d.skipHashMetadata()
	case rdb.TypeHashMetadata:
		if err := d.rd.skip(8); err != nil { // min expire
			return err
		}
		return d.skipHashMetadata()
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2, rdb.TypeStreamListpacks3:
		return d.skipStream(t)
	}
	return corrupt("unknown RDB object type " + strconv.Itoa(int(t)))
}

// skipStrings skips a count, then count times: per strings and extra
// raw bytes.
func (d *decoder) skipStrings(what string, per int, extra uint64) error {
	n, err := d.readCount(what)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		for j := 0; j < per; j++ {
			if err := d.skipString(); err != nil {
				return err
			}
		}
		if extra > 0 {
			if err := d.rd.skip(extra); err != nil {
				return err
			}
		}
	}
	return nil
}

// skipHashMetadata skips count × (TTL length, field, value).
func (d *decoder) skipHashMetadata() error {
	n, err := d.readCount("hash size")
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := d.readLength(); err != nil {
			return err
		}
		if err := d.skipString(); err != nil {
			return err
		}
		if err := d.skipString(); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) skipLengths(n int) error {
	for i := 0; i < n; i++ {
		if _, err := d.readLength(); err != nil {
			return err
		}
	}
	return nil
}

// skipStream skips the stream layout readStream reads.
func (d *decoder) skipStream(t byte) error {
	if err := d.skipStrings("stream listpack count", 2, 0); err != nil { // node key, listpack
		return err
	}
	v2 := t >= rdb.TypeStreamListpacks2
	meta := 3 // length, last ID
	if v2 {
		meta += 5 // first ID, max-deleted ID, entries-added
	}
	if err := d.skipLengths(meta); err != nil {
		return err
	}
	groups, err := d.readCount("stream consumer group count")
	if err != nil {
		return err
	}
	for i := 0; i < groups; i++ {
		if err := d.skipString(); err != nil { // name
			return err
		}
		n := 2 // last ID
		if v2 {
			n++ // entries-read
		}
		if err := d.skipLengths(n); err != nil {
			return err
		}
		pel, err := d.readCount("stream PEL size")
		if err != nil {
			return err
		}
		for j := 0; j < pel; j++ {
			if err := d.rd.skip(16 + 8); err != nil { // ID, delivery time
				return err
			}
			if _, err := d.readLength(); err != nil { // delivery count
				return err
			}
		}
		consumers, err := d.readCount("stream consumer count")
		if err != nil {
			return err
		}
		for j := 0; j < consumers; j++ {
			if err := d.skipString(); err != nil { // name
				return err
			}
			times := uint64(8) // seen
			if t >= rdb.TypeStreamListpacks3 {
				times += 8 // active
			}
			if err := d.rd.skip(times); err != nil {
				return err
			}
			n, err := d.readCount("consumer PEL size")
			if err != nil {
				return err
			}
			if err := d.rd.skip(16 * uint64(n)); err != nil {
				return err
			}
		}
	}
	return nil
}
