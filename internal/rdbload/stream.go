package rdbload

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Stream entry flags inside a stream listpack (t_stream.c).
const (
	streamItemDeleted    = 1
	streamItemSameFields = 2
)

// readStream decodes stream types 15 (v1), 19 (v2: first/max-deleted IDs,
// entries-added, group entries-read) and 21 (v3: consumer active-time).
func (d *decoder) readStream(t byte) (*store.Entry, error) {
	nodes, err := d.readCount("stream listpack count")
	if err != nil {
		return nil, err
	}
	s := store.NewStream()
	var (
		prevNode store.StreamID
		prevID   store.StreamID
		haveID   bool
	)
	for i := 0; i < nodes; i++ {
		k, err := d.readString()
		if err != nil {
			return nil, err
		}
		if len(k) != 16 {
			return nil, corrupt("stream node key is " + strconv.Itoa(len(k)) + " bytes, not a 16-byte stream ID")
		}
		master := rawID(k)
		if i > 0 && master.Compare(prevNode) <= 0 {
			return nil, corrupt("stream node keys are not in increasing order")
		}
		prevNode = master
		blob, err := d.readString()
		if err != nil {
			return nil, err
		}
		d.arena.reset(len(blob))
		if err := d.streamNode(s, master, blob, &prevID, &haveID); err != nil {
			return nil, err
		}
	}

	length, err := d.readLength()
	if err != nil {
		return nil, err
	}
	if s.LastID, err = d.readStreamID(); err != nil {
		return nil, err
	}
	v2 := t >= rdb.TypeStreamListpacks2
	if v2 {
		if s.FirstID, err = d.readStreamID(); err != nil {
			return nil, err
		}
		if s.MaxDeletedID, err = d.readStreamID(); err != nil {
			return nil, err
		}
		if s.EntriesAdded, err = d.readLength(); err != nil {
			return nil, err
		}
	} else {
		// As Redis loads v1: entries-added is the length, no deletions
		// known, first ID is the first live entry (UINT64_MAX-UINT64_MAX
		// when there is none: streamGetEdgeID's answer for an empty stream).
		s.EntriesAdded = length
		s.MaxDeletedID = store.StreamID{}
		if s.Len() > 0 {
			s.FirstID = s.Entries()[0].ID
		} else {
			s.FirstID = store.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
		}
	}
	if length != uint64(s.Len()) {
		if nodes == 0 {
			return nil, corrupt("stream length " + strconv.FormatUint(length, 10) + " but no entries")
		}
		// Redis loads the stored length without checking it; the store's
		// length is its live entries. Seen in files of Redis 5.0 release
		// candidates after XTRIM.
		d.log.Warn("stream length in the RDB disagrees with its live entries; using the entries",
			"db", d.db, "key", d.key, "stored", length, "entries", s.Len())
	}

	groups, err := d.readCount("stream consumer group count")
	if err != nil {
		return nil, err
	}
	for i := 0; i < groups; i++ {
		if err := d.streamGroup(s, t); err != nil {
			return nil, err
		}
	}
	return store.NewStreamEntry(s), nil
}

func rawID(b []byte) store.StreamID {
	return store.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}
}

func (d *decoder) readStreamID() (store.StreamID, error) {
	ms, err := d.readLength()
	if err != nil {
		return store.StreamID{}, err
	}
	seq, err := d.readLength()
	return store.StreamID{Ms: ms, Seq: seq}, err
}

// lpNeed advances it and returns the element, failing when the listpack
// ends early.
func lpNeed(it *lpIter) error {
	ok, err := it.next()
	if err != nil {
		return err
	}
	if !ok {
		return corrupt("stream listpack ended in the middle of an entry")
	}
	return nil
}

// lpInt is the current element as an integer (strings holding a canonical
// integer count, as lpGetInteger accepts them).
func lpInt(it *lpIter) (int64, error) {
	if it.isInt {
		return it.v, nil
	}
	v, err := strconv.ParseInt(string(it.s), 10, 64)
	if err != nil {
		return 0, corrupt("stream listpack holds " + quoteShort(it.s) + " where an integer belongs")
	}
	return v, nil
}

func (d *decoder) lpNeedInt(it *lpIter) (int64, error) {
	if err := lpNeed(it); err != nil {
		return 0, err
	}
	return lpInt(it)
}

// remaining bounds how many more elements the listpack can hold (each
// takes at least two bytes), for sizing slices from claimed counts.
func remaining(it *lpIter) int64 { return int64(len(it.b)-it.p)/2 + 1 }

// lpBytes copies the current element into the arena.
func (d *decoder) lpBytes(it *lpIter) []byte {
	if it.isInt {
		return d.arena.appendInt(it.v)
	}
	return d.arena.copy(it.s)
}

// streamNode decodes one listpack node: the master entry (live count,
// deleted count, master field names, 0) then entries (flags, ID deltas,
// [field count, field/value pairs] or values of the master fields,
// lp-count).
func (d *decoder) streamNode(s *store.Stream, master store.StreamID, blob []byte, prevID *store.StreamID, haveID *bool) error {
	it, err := newLP(blob)
	if err != nil {
		return err
	}
	ok, err := it.next()
	if err != nil {
		return err
	}
	if !ok {
		return corrupt("empty listpack inside a stream")
	}
	count, err := lpInt(&it)
	if err != nil {
		return err
	}
	deleted, err := d.lpNeedInt(&it)
	if err != nil {
		return err
	}
	nf, err := d.lpNeedInt(&it)
	if err != nil {
		return err
	}
	if count < 0 || deleted < 0 || nf < 0 || nf > int64(len(blob)) ||
		count > int64(len(blob)) || deleted > int64(len(blob)) {
		return corrupt("stream listpack master entry has invalid counts")
	}
	masterFields := make([][]byte, 0, min(nf, capHint))
	for j := int64(0); j < nf; j++ {
		if err := lpNeed(&it); err != nil {
			return err
		}
		masterFields = append(masterFields, d.lpBytes(&it))
	}
	if zero, err := d.lpNeedInt(&it); err != nil {
		return err
	} else if zero != 0 {
		return corrupt("stream listpack master entry is not terminated by 0")
	}

	for e := count + deleted; e > 0; e-- {
		flags, err := d.lpNeedInt(&it)
		if err != nil {
			return err
		}
		msd, err := d.lpNeedInt(&it)
		if err != nil {
			return err
		}
		seqd, err := d.lpNeedInt(&it)
		if err != nil {
			return err
		}
		id := store.StreamID{Ms: master.Ms + uint64(msd), Seq: master.Seq + uint64(seqd)}
		live := flags&streamItemDeleted == 0
		var fields [][]byte
		var n, want int64
		if flags&streamItemSameFields != 0 {
			n = nf
			want = n + 3
			if live {
				fields = make([][]byte, 0, min(2*n, 2*remaining(&it)))
			}
			for j := int64(0); j < n; j++ {
				if err := lpNeed(&it); err != nil {
					return err
				}
				if live {
					fields = append(fields, masterFields[j], d.lpBytes(&it))
				}
			}
		} else {
			if n, err = d.lpNeedInt(&it); err != nil {
				return err
			}
			if n < 0 || n > int64(len(blob)) {
				return corrupt("stream entry has an invalid field count")
			}
			want = 2*n + 4
			if live {
				fields = make([][]byte, 0, min(2*n, remaining(&it)))
			}
			for j := int64(0); j < 2*n; j++ {
				if err := lpNeed(&it); err != nil {
					return err
				}
				if live {
					fields = append(fields, d.lpBytes(&it))
				}
			}
		}
		lpCount, err := d.lpNeedInt(&it)
		if err != nil {
			return err
		}
		if lpCount != want {
			return corrupt("stream entry lp-count does not match its size")
		}
		if !live {
			continue
		}
		if *haveID && id.Compare(*prevID) <= 0 {
			return corrupt("stream entry IDs are not in increasing order at " + id.String())
		}
		*prevID, *haveID = id, true
		s.Append(store.StreamEntry{ID: id, Fields: fields})
	}
	if ok, err := it.next(); err != nil {
		return err
	} else if ok {
		return corrupt("stream listpack has data after its last entry")
	}
	return nil
}

func (d *decoder) streamGroup(s *store.Stream, t byte) error {
	name, err := d.readString()
	if err != nil {
		return err
	}
	if s.Group(name) != nil {
		return corrupt("duplicate consumer group " + quoteShort(name))
	}
	gname := string(name)
	last, err := d.readStreamID()
	if err != nil {
		return err
	}
	var entriesRead int64
	if t >= rdb.TypeStreamListpacks2 {
		v, err := d.readLength()
		if err != nil {
			return err
		}
		entriesRead = int64(v) // SCG_INVALID_ENTRIES_READ (-1) is stored as 2^64-1
	} else {
		entriesRead = estimateEntriesRead(s, last)
	}
	g := s.CreateGroup([]byte(gname), last, entriesRead)

	pel, err := d.readCount("stream PEL size")
	if err != nil {
		return err
	}
	for i := 0; i < pel; i++ {
		p, err := d.rd.view(16)
		if err != nil {
			return err
		}
		id := rawID(p)
		p, err = d.rd.view(8)
		if err != nil {
			return err
		}
		dt := int64(binary.LittleEndian.Uint64(p))
		cnt, err := d.readLength()
		if err != nil {
			return err
		}
		if _, dup := g.PEL[id]; dup {
			return corrupt("duplicate PEL entry " + id.String() + " in group " + quoteShort([]byte(gname)))
		}
		g.PEL[id] = &store.PendingEntry{ID: id, DeliveryTime: dt, DeliveryCount: cnt}
	}

	consumers, err := d.readCount("stream consumer count")
	if err != nil {
		return err
	}
	for i := 0; i < consumers; i++ {
		cn, err := d.readString()
		if err != nil {
			return err
		}
		if g.Consumer(cn) != nil {
			return corrupt("duplicate consumer " + quoteShort(cn) + " in group " + quoteShort([]byte(gname)))
		}
		cname := []byte(string(cn))
		p, err := d.rd.view(8)
		if err != nil {
			return err
		}
		seen := int64(binary.LittleEndian.Uint64(p))
		active := seen // v1/v2: Redis uses seen-time as the best estimate
		if t >= rdb.TypeStreamListpacks3 {
			if p, err = d.rd.view(8); err != nil {
				return err
			}
			active = int64(binary.LittleEndian.Uint64(p))
		}
		c := g.CreateConsumer(cname, seen, active)
		n, err := d.readCount("consumer PEL size")
		if err != nil {
			return err
		}
		for j := 0; j < n; j++ {
			p, err := d.rd.view(16)
			if err != nil {
				return err
			}
			id := rawID(p)
			pe := g.PEL[id]
			if pe == nil {
				return corrupt("consumer " + quoteShort(cname) + " holds " + id.String() +
					" which is not in the group PEL")
			}
			if _, dup := c.Pending[id]; dup {
				return corrupt("duplicate consumer PEL entry " + id.String())
			}
			pe.Consumer = c
			c.Pending[id] = pe
		}
	}
	return nil
}

// estimateEntriesRead is Redis's streamEstimateDistanceFromFirstEverEntry,
// which it uses for a v1 group's entries-read on load.
func estimateEntriesRead(s *store.Stream, id store.StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	length := uint64(s.Len())
	if length == 0 && id.Compare(s.LastID) < 1 {
		return int64(s.EntriesAdded)
	}
	switch c := id.Compare(s.LastID); {
	case c == 0:
		return int64(s.EntriesAdded)
	case c > 0:
		return -1
	}
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Compare(s.FirstID) < 0 {
		switch c := id.Compare(s.FirstID); {
		case c < 0:
			return int64(s.EntriesAdded - length)
		case c == 0:
			return int64(s.EntriesAdded - length + 1)
		}
	}
	return -1
}
