package rdbsave

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// A test-only RDB decoder for what this package writes, written from
// rdb.c's load side. Every embedded listpack, ziplist, intset and stream
// node goes through the C-rule validators of check_test.go, and it refuses
// a type byte the target version's loader would not know. It exists so
// that versions no installed server can load (11, 12, 80) still get a full
// round trip.

type rdbReader struct {
	b       []byte
	p       int
	version int
}

var errShort = errors.New("short read")

func (r *rdbReader) byte() (byte, error) {
	if r.p >= len(r.b) {
		return 0, errShort
	}
	r.p++
	return r.b[r.p-1], nil
}

func (r *rdbReader) take(n int) ([]byte, error) {
	if n < 0 || r.p+n > len(r.b) {
		return nil, errShort
	}
	r.p += n
	return r.b[r.p-n : r.p], nil
}

// length reads rdbLoadLenByRef: (value, isEncoded).
func (r *rdbReader) length() (uint64, bool, error) {
	c, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3F), false, nil
	case 1:
		d, err := r.byte()
		return uint64(c&0x3F)<<8 | uint64(d), false, err
	case 3:
		return uint64(c & 0x3F), true, nil
	}
	switch c {
	case 0x80:
		b, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case 0x81:
		b, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, fmt.Errorf("bad length byte %#x", c)
}

func (r *rdbReader) plainLen() (uint64, error) {
	v, enc, err := r.length()
	if err == nil && enc {
		err = errors.New("encoded value where a length was expected")
	}
	return v, err
}

func (r *rdbReader) str() ([]byte, error) {
	v, enc, err := r.length()
	if err != nil {
		return nil, err
	}
	if !enc {
		b, err := r.take(int(v))
		return slices.Clone(b), err
	}
	switch v {
	case rdb.EncInt8, rdb.EncInt16, rdb.EncInt32:
		n := 1 << v
		b, err := r.take(n)
		if err != nil {
			return nil, err
		}
		var x int64
		switch n {
		case 1:
			x = int64(int8(b[0]))
		case 2:
			x = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			x = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return []byte(strconv.FormatInt(x, 10)), nil
	case rdb.EncLZF:
		clen, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		ulen, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		c, err := r.take(int(clen))
		if err != nil {
			return nil, err
		}
		if clen >= ulen {
			return nil, fmt.Errorf("LZF string of %d bytes compressed to %d: not worth it", ulen, clen)
		}
		return lzfDecompress(c, int(ulen))
	}
	return nil, fmt.Errorf("unknown string encoding %d", v)
}

func (r *rdbReader) millis() (int64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

func (r *rdbReader) rawID() (store.StreamID, error) {
	b, err := r.take(16)
	if err != nil {
		return store.StreamID{}, err
	}
	return store.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

// typeOK reports whether a loader of version v knows type t (and whether
// a Redis of that version would write it).
func typeOK(t byte, v int) bool {
	switch t {
	case rdb.TypeString, rdb.TypeSet, rdb.TypeHash, rdb.TypeZSet2, rdb.TypeSetIntset, rdb.TypeModule2:
		return true
	case rdb.TypeListQuicklist, rdb.TypeZSetZiplist, rdb.TypeHashZiplist, rdb.TypeStreamListpacks:
		return v == 9
	case rdb.TypeListQuicklist2, rdb.TypeZSetListpack, rdb.TypeHashListpack:
		return v >= 10
	case rdb.TypeStreamListpacks2:
		return v == 10
	case rdb.TypeSetListpack, rdb.TypeStreamListpacks3:
		return v >= 11
	case rdb.TypeHashMetadata, rdb.TypeHashListpackEx:
		return v == 12
	case rdb.TypeValkeyHash2:
		return v == 80
	}
	return false
}

func (r *rdbReader) value(t byte) (*store.Entry, error) {
	if !typeOK(t, r.version) {
		return nil, fmt.Errorf("type %d is not one RDB version %d has", t, r.version)
	}
	switch t {
	case rdb.TypeString:
		b, err := r.str()
		return store.NewString(b), err
	case rdb.TypeListQuicklist, rdb.TypeListQuicklist2:
		return r.list(t)
	case rdb.TypeSet, rdb.TypeSetIntset, rdb.TypeSetListpack:
		return r.set(t)
	case rdb.TypeZSet2, rdb.TypeZSetZiplist, rdb.TypeZSetListpack:
		return r.zset(t)
	case rdb.TypeHash, rdb.TypeHashZiplist, rdb.TypeHashListpack, rdb.TypeHashListpackEx, rdb.TypeHashMetadata, rdb.TypeValkeyHash2:
		return r.hash(t)
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2, rdb.TypeStreamListpacks3:
		return r.stream(t)
	case rdb.TypeModule2:
		start := r.p
		id, n, ok := rdb.Length(r.b[r.p:])
		if !ok {
			return nil, errShort
		}
		r.p += n
		for {
			op, n, ok := rdb.Length(r.b[r.p:])
			if !ok {
				return nil, errShort
			}
			r.p += n
			if op == rdb.ModuleOpEOF {
				break
			}
			switch op {
			case rdb.ModuleOpSInt, rdb.ModuleOpUInt:
				_, n, ok = rdb.Length(r.b[r.p:])
			case rdb.ModuleOpFloat:
				n, ok = 4, r.p+4 <= len(r.b)
			case rdb.ModuleOpDouble:
				n, ok = 8, r.p+8 <= len(r.b)
			case rdb.ModuleOpString:
				n, ok = skipString(r.b[r.p:])
			default:
				ok = false
			}
			if !ok {
				return nil, fmt.Errorf("bad module opcode %d", op)
			}
			r.p += n
		}
		return store.NewModuleEntry(&store.Module{TypeName: rdb.ModuleTypeName(id), ModuleID: id, Raw: slices.Clone(r.b[start:r.p])}), nil
	}
	return nil, fmt.Errorf("unhandled type %d", t)
}

func (r *rdbReader) list(t byte) (*store.Entry, error) {
	n, err := r.plainLen()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("quicklist with no nodes")
	}
	l := store.NewList(0)
	for i := uint64(0); i < n; i++ {
		container := uint64(rdb.QuicklistNodePacked)
		if t == rdb.TypeListQuicklist2 {
			if container, err = r.plainLen(); err != nil {
				return nil, err
			}
		}
		b, err := r.str()
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			return nil, errors.New("empty quicklist node")
		}
		var ents []lpEntry
		switch {
		case container == rdb.QuicklistNodePlain:
			l.PushBack(b)
			continue
		case container != rdb.QuicklistNodePacked:
			return nil, fmt.Errorf("bad quicklist container %d", container)
		case t == rdb.TypeListQuicklist:
			ents, err = decodeZiplist(b)
		default:
			ents, err = decodeListpack(b)
		}
		if err != nil {
			return nil, fmt.Errorf("quicklist node %d: %w", i, err)
		}
		if len(ents) == 0 {
			return nil, errors.New("quicklist node without entries")
		}
		for _, e := range ents {
			l.PushBack([]byte(e.String()))
		}
	}
	return store.NewListEntry(l), nil
}

func (r *rdbReader) set(t byte) (*store.Entry, error) {
	s := store.NewSet(0)
	add := func(m string) error {
		if !s.AddString(m) {
			return fmt.Errorf("duplicate set member %q", m)
		}
		return nil
	}
	switch t {
	case rdb.TypeSetIntset:
		b, err := r.str()
		if err != nil {
			return nil, err
		}
		vs, err := decodeIntset(b)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			s.AddString(strconv.FormatInt(v, 10))
		}
	case rdb.TypeSetListpack:
		b, err := r.str()
		if err != nil {
			return nil, err
		}
		ents, err := decodeListpack(b)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if err := add(e.String()); err != nil {
				return nil, err
			}
		}
	default:
		n, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		for i := uint64(0); i < n; i++ {
			m, err := r.str()
			if err != nil {
				return nil, err
			}
			if err := add(string(m)); err != nil {
				return nil, err
			}
		}
	}
	return store.NewSetEntry(s), nil
}

func parseScore(e lpEntry) (float64, error) {
	if e.isInt {
		return float64(e.i), nil
	}
	switch string(e.s) {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	}
	if len(e.s) > 127 {
		return 0, fmt.Errorf("score string of %d chars (zzlStrtod reads 127)", len(e.s))
	}
	return strconv.ParseFloat(string(e.s), 64)
}

func (r *rdbReader) zset(t byte) (*store.Entry, error) {
	z := store.NewZSet(0)
	add := func(m string, sc float64) error {
		if math.IsNaN(sc) {
			return errors.New("NaN score")
		}
		if !z.AddString(m, sc) {
			return fmt.Errorf("duplicate zset member %q", m)
		}
		return nil
	}
	if t == rdb.TypeZSet2 {
		n, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		prevM, prevS := "", math.Inf(1)
		for i := uint64(0); i < n; i++ {
			m, err := r.str()
			if err != nil {
				return nil, err
			}
			b, err := r.take(8)
			if err != nil {
				return nil, err
			}
			sc := math.Float64frombits(binary.LittleEndian.Uint64(b))
			if i > 0 && (sc > prevS || (sc == prevS && string(m) > prevM)) {
				return nil, errors.New("ZSET_2 not written greatest first")
			}
			prevM, prevS = string(m), sc
			if err := add(string(m), sc); err != nil {
				return nil, err
			}
		}
		return store.NewZSetEntry(z), nil
	}
	b, err := r.str()
	if err != nil {
		return nil, err
	}
	var ents []lpEntry
	if t == rdb.TypeZSetZiplist {
		ents, err = decodeZiplist(b)
	} else {
		ents, err = decodeListpack(b)
	}
	if err != nil {
		return nil, err
	}
	if len(ents)%2 != 0 {
		return nil, errors.New("odd number of zset listpack entries")
	}
	prevM, prevS := "", math.Inf(-1)
	for i := 0; i < len(ents); i += 2 {
		sc, err := parseScore(ents[i+1])
		if err != nil {
			return nil, err
		}
		m := ents[i].String()
		if i > 0 && (sc < prevS || (sc == prevS && m <= prevM)) {
			return nil, errors.New("zset listpack not in (score, member) order")
		}
		prevM, prevS = m, sc
		if err := add(m, sc); err != nil {
			return nil, err
		}
	}
	return store.NewZSetEntry(z), nil
}

func (r *rdbReader) hash(t byte) (*store.Entry, error) {
	h := store.NewHash(0)
	add := func(f string, v []byte, exp int64) error {
		if !h.SetString(f, v) {
			return fmt.Errorf("duplicate hash field %q", f)
		}
		if exp != 0 {
			h.SetFieldExpire([]byte(f), exp)
		}
		return nil
	}
	switch t {
	case rdb.TypeHash, rdb.TypeHashMetadata, rdb.TypeValkeyHash2:
		var minExp int64
		var err error
		if t == rdb.TypeHashMetadata {
			if minExp, err = r.millis(); err != nil {
				return nil, err
			}
		}
		n, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		seenMin := int64(0)
		for i := uint64(0); i < n; i++ {
			var exp int64
			if t == rdb.TypeHashMetadata {
				ttl, err := r.plainLen()
				if err != nil {
					return nil, err
				}
				if ttl != 0 {
					exp = int64(ttl) + minExp - 1
				}
			}
			f, err := r.str()
			if err != nil {
				return nil, err
			}
			v, err := r.str()
			if err != nil {
				return nil, err
			}
			if t == rdb.TypeValkeyHash2 {
				if exp, err = r.millis(); err != nil {
					return nil, err
				}
				if exp == -1 {
					exp = 0
				} else if exp <= 0 {
					return nil, fmt.Errorf("HASH_2 field expire %d", exp)
				}
			}
			if exp != 0 && (seenMin == 0 || exp < seenMin) {
				seenMin = exp
			}
			if err := add(string(f), v, exp); err != nil {
				return nil, err
			}
		}
		if t == rdb.TypeHashMetadata && seenMin != minExp {
			return nil, fmt.Errorf("HASH_METADATA min expire %d, fields say %d", minExp, seenMin)
		}
	default:
		var minExp int64
		var err error
		if t == rdb.TypeHashListpackEx {
			if minExp, err = r.millis(); err != nil {
				return nil, err
			}
		}
		b, err := r.str()
		if err != nil {
			return nil, err
		}
		var ents []lpEntry
		if t == rdb.TypeHashZiplist {
			ents, err = decodeZiplist(b)
		} else {
			ents, err = decodeListpack(b)
		}
		if err != nil {
			return nil, err
		}
		tuple := 2
		if t == rdb.TypeHashListpackEx {
			tuple = 3
		}
		if len(ents)%tuple != 0 {
			return nil, fmt.Errorf("%d hash listpack entries, not a multiple of %d", len(ents), tuple)
		}
		last := int64(-1) // _lpEntryValidation's ordering rule
		for i := 0; i < len(ents); i += tuple {
			var exp int64
			if tuple == 3 {
				e := ents[i+2]
				if !e.isInt || e.i < 0 || e.i > ebExpireTimeMax {
					return nil, fmt.Errorf("bad listpack-ex TTL %v", e)
				}
				if e.i != 0 && (last == 0 || e.i < last) {
					return nil, errors.New("listpack-ex TTLs out of order")
				}
				last = e.i
				exp = e.i
				if i == 0 && exp != minExp {
					return nil, fmt.Errorf("listpack-ex min expire %d, first field %d", minExp, exp)
				}
			}
			if err := add(ents[i].String(), []byte(ents[i+1].String()), exp); err != nil {
				return nil, err
			}
		}
	}
	return store.NewHashEntry(h), nil
}

func (r *rdbReader) stream(t byte) (*store.Entry, error) {
	x := store.NewStream()
	nodes, err := r.plainLen()
	if err != nil {
		return nil, err
	}
	var prevMaster store.StreamID
	for i := uint64(0); i < nodes; i++ {
		key, err := r.str()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, errors.New("stream node key is not 16 bytes")
		}
		master := store.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		if i > 0 && !prevMaster.Less(master) {
			return nil, errors.New("stream node keys not ascending")
		}
		prevMaster = master
		lp, err := r.str()
		if err != nil {
			return nil, err
		}
		_, ents, err := validateStreamListpack(lp)
		if err != nil {
			return nil, fmt.Errorf("stream node %d: %w", i, err)
		}
		if len(ents) == 0 {
			return nil, errors.New("empty stream node")
		}
		for j, se := range ents {
			id := store.StreamID{Ms: master.Ms + uint64(se.msDelta), Seq: master.Seq + uint64(se.seqDelta)}
			if j == 0 && id != master {
				return nil, errors.New("first entry of a node is not its master ID")
			}
			if se.flags&1 != 0 {
				return nil, errors.New("deleted entry written")
			}
			x.Append(store.StreamEntry{ID: id, Fields: fv(se.fields...)})
		}
	}
	var vals [8]uint64
	nv := 3
	if t != rdb.TypeStreamListpacks {
		nv = 8
	}
	for i := 0; i < nv; i++ {
		if vals[i], err = r.plainLen(); err != nil {
			return nil, err
		}
	}
	if vals[0] != uint64(x.Len()) {
		return nil, fmt.Errorf("stream length %d, nodes hold %d", vals[0], x.Len())
	}
	x.LastID = store.StreamID{Ms: vals[1], Seq: vals[2]}
	if t == rdb.TypeStreamListpacks {
		// What Redis derives for a v1 stream.
		x.EntriesAdded = uint64(x.Len())
		if x.Len() == 0 {
			x.FirstID = store.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
		}
	} else {
		if got := (store.StreamID{Ms: vals[3], Seq: vals[4]}); got != x.FirstID {
			return nil, fmt.Errorf("stream first ID %v, entries say %v", got, x.FirstID)
		}
		x.MaxDeletedID = store.StreamID{Ms: vals[5], Seq: vals[6]}
		x.EntriesAdded = vals[7]
	}
	ng, err := r.plainLen()
	if err != nil {
		return nil, err
	}
	prevName := ""
	for i := uint64(0); i < ng; i++ {
		name, err := r.str()
		if err != nil {
			return nil, err
		}
		if i > 0 && string(name) <= prevName {
			return nil, errors.New("groups not sorted by name")
		}
		prevName = string(name)
		var last [3]uint64
		nl := 2
		if t != rdb.TypeStreamListpacks {
			nl = 3
		}
		for j := 0; j < nl; j++ {
			if last[j], err = r.plainLen(); err != nil {
				return nil, err
			}
		}
		lastID := store.StreamID{Ms: last[0], Seq: last[1]}
		read := int64(last[2])
		if t == rdb.TypeStreamListpacks {
			read = estimateEntriesRead(x, lastID)
		}
		g := x.CreateGroup(name, lastID, read)
		np, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		var prev store.StreamID
		for j := uint64(0); j < np; j++ {
			id, err := r.rawID()
			if err != nil {
				return nil, err
			}
			if j > 0 && !prev.Less(id) {
				return nil, errors.New("PEL not in ID order")
			}
			prev = id
			dt, err := r.millis()
			if err != nil {
				return nil, err
			}
			dc, err := r.plainLen()
			if err != nil {
				return nil, err
			}
			g.PEL[id] = &store.PendingEntry{ID: id, DeliveryTime: dt, DeliveryCount: dc}
		}
		nc, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		prevName := ""
		for j := uint64(0); j < nc; j++ {
			cn, err := r.str()
			if err != nil {
				return nil, err
			}
			if j > 0 && string(cn) <= prevName {
				return nil, errors.New("consumers not sorted by name")
			}
			prevName = string(cn)
			seen, err := r.millis()
			if err != nil {
				return nil, err
			}
			active := int64(-1)
			if t == rdb.TypeStreamListpacks3 {
				if active, err = r.millis(); err != nil {
					return nil, err
				}
			}
			c := g.CreateConsumer(cn, seen, active)
			n, err := r.plainLen()
			if err != nil {
				return nil, err
			}
			for k := uint64(0); k < n; k++ {
				id, err := r.rawID()
				if err != nil {
					return nil, err
				}
				p := g.PEL[id]
				if p == nil {
					return nil, errors.New("consumer PEL entry not in the group PEL")
				}
				if p.Consumer != nil {
					return nil, errors.New("PEL entry owned twice")
				}
				p.Consumer = c
				c.Pending[id] = p
			}
		}
		for id, p := range g.PEL {
			if p.Consumer == nil {
				return nil, fmt.Errorf("PEL entry %v without consumer", id)
			}
		}
	}
	return store.NewStreamEntry(x), nil
}

// decodedFile is what decodeFile found besides the keys.
type decodedFile struct {
	aux       []AuxField
	resize    map[int][2]uint64
	functions []string
	// skipped tells decodeFile how many empty collections (counted in
	// RESIZEDB, not written) each database holds.
	skipped map[int]uint64
}

// decodeFile decodes a whole RDB written by this package into a store,
// checking the header, the CRC and the RESIZEDB counts.
func decodeFile(b []byte, skipped map[int]uint64) (*store.Store, *decodedFile, error) {
	if len(b) < 9+1+8 {
		return nil, nil, errShort
	}
	var version int
	switch {
	case bytes.HasPrefix(b, []byte("VALKEY080")):
		version = 80
	case bytes.HasPrefix(b, []byte("REDIS")):
		v, err := strconv.Atoi(string(b[5:9]))
		if err != nil {
			return nil, nil, err
		}
		version = v
	default:
		return nil, nil, errors.New("bad magic")
	}
	body, sum := b[:len(b)-8], binary.LittleEndian.Uint64(b[len(b)-8:])
	if rdb.CRC64(0, body) != sum {
		return nil, nil, errors.New("CRC-64 mismatch")
	}
	r := &rdbReader{b: body, p: 9, version: version}
	s := store.New()
	info := &decodedFile{resize: map[int][2]uint64{}, skipped: skipped}
	db := -1
	var expire int64
	counts := map[int][2]uint64{}
	for {
		op, err := r.byte()
		if err != nil {
			return nil, nil, err
		}
		switch op {
		case rdb.OpEOF:
			if r.p != len(body) {
				return nil, nil, errors.New("bytes after EOF")
			}
			for d, r := range info.resize {
				if c := counts[d]; r != c && !(r[0] == c[0]+info.skipped[d] && r[1] == c[1]) {
					return nil, nil, fmt.Errorf("db %d RESIZEDB %v, found %v", d, r, c)
				}
			}
			return s, info, nil
		case rdb.OpAux:
			k, err := r.str()
			if err != nil {
				return nil, nil, err
			}
			v, err := r.str()
			if err != nil {
				return nil, nil, err
			}
			info.aux = append(info.aux, AuxField{string(k), string(v)})
		case rdb.OpFunction2:
			if version < 10 {
				return nil, nil, errors.New("FUNCTION2 below version 10")
			}
			code, err := r.str()
			if err != nil {
				return nil, nil, err
			}
			info.functions = append(info.functions, string(code))
			// The library name is the name= argument of the "#!" line.
			first, _, _ := strings.Cut(string(code), "\n")
			name := ""
			for _, f := range strings.Fields(first) {
				if n, ok := strings.CutPrefix(f, "name="); ok {
					name = n
				}
			}
			if name == "" {
				return nil, nil, fmt.Errorf("function library without a name: %q", first)
			}
			s.SetFunction(name, code)
		case rdb.OpSelectDB:
			n, err := r.plainLen()
			if err != nil {
				return nil, nil, err
			}
			db = int(n)
			if r.b[r.p] != rdb.OpResizeDB {
				return nil, nil, errors.New("SELECTDB not followed by RESIZEDB")
			}
		case rdb.OpResizeDB:
			a, err := r.plainLen()
			if err != nil {
				return nil, nil, err
			}
			e, err := r.plainLen()
			if err != nil {
				return nil, nil, err
			}
			info.resize[db] = [2]uint64{a, e}
		case rdb.OpExpireTimeMs:
			if expire, err = r.millis(); err != nil {
				return nil, nil, err
			}
		default:
			if db < 0 {
				return nil, nil, errors.New("key before SELECTDB")
			}
			k, err := r.str()
			if err != nil {
				return nil, nil, err
			}
			ent, err := r.value(op)
			if err != nil {
				return nil, nil, fmt.Errorf("db %d key %q type %d: %w", db, k, op, err)
			}
			ent.Expire = expire
			c := counts[db]
			c[0]++
			if expire != 0 {
				c[1]++
			}
			counts[db] = c
			expire = 0
			if s.DB(db).GetString(string(k)) != nil {
				return nil, nil, fmt.Errorf("duplicate key %q", k)
			}
			s.DB(db).PutString(string(k), ent)
		}
	}
}

// decodeDump checks a DUMP payload's footer and decodes its value.
func decodeDump(b []byte, version int) (*store.Entry, error) {
	if len(b) < 11 {
		return nil, errShort
	}
	body := b[:len(b)-8]
	if rdb.CRC64(0, body) != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		return nil, errors.New("DUMP CRC mismatch")
	}
	if v := int(binary.LittleEndian.Uint16(body[len(body)-2:])); v != version {
		return nil, fmt.Errorf("DUMP version %d, want %d", v, version)
	}
	r := &rdbReader{b: body[:len(body)-2], p: 1, version: version}
	e, err := r.value(body[0])
	if err != nil {
		return nil, err
	}
	if r.p != len(r.b) {
		return nil, fmt.Errorf("%d bytes left after the value", len(r.b)-r.p)
	}
	return e, nil
}
