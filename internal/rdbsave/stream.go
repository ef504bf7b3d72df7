package rdbsave

import (
	"encoding/binary"
	"fmt"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Stream entry flags (t_stream.c).
const (
	streamItemFlagNone       = 0
	streamItemFlagSameFields = 2
)

type streamNode struct {
	master     store.StreamID
	start, end int // the node's listpack in scratch
}

// stream writes a stream as Redis's streamAppendItem would have laid it
// out after XADDs of every live entry in order: nodes of at most 100
// entries, split when the node's bytes plus the new entry's field and value
// bytes reach 4096; each node a listpack whose master entry holds the
// first entry's field names:
//
//	count, deleted(0), num-fields, field..., 0
//	then per entry: flags, ms-delta, seq-delta, [num-fields, field, value...
//	| value...], lp-count
//
// All integers go through lpAppendInteger, all strings through lpAppend.
func (e *encoder) stream(s *store.Stream) error {
	typ := byte(rdb.TypeStreamListpacks3)
	switch {
	case e.version < 10:
		typ = rdb.TypeStreamListpacks
	case e.version == 10:
		typ = rdb.TypeStreamListpacks2
	}

	entries := s.Entries()
	b := e.scratch[:0]
	body := e.body[:0]
	nodes := e.snodes[:0]
	var (
		open         bool
		master       store.StreamID
		masterFields [][]byte // every other element of the first entry's Fields
		count        int      // entries in the open node
		elems        int      // listpack elements in body
		prev         store.StreamID
	)
	closeNode := func() {
		if !open {
			return
		}
		start := len(b)
		b = append(b, 0, 0, 0, 0, 0, 0)
		b = lpAppendInt(b, int64(count))
		b = append(b, body...)
		b = lpFinish(b, start, elems+1)
		nodes = append(nodes, streamNode{master: master, start: start, end: len(b)})
		open = false
	}
	for i := range entries {
		en := &entries[i]
		if len(en.Fields)%2 != 0 {
			return fmt.Errorf("%w: stream entry %s has an odd number of field/value items (%d)", ErrUnrepresentable, en.ID, len(en.Fields))
		}
		if i > 0 && !prev.Less(en.ID) {
			return fmt.Errorf("%w: stream entry %s does not follow %s", ErrUnrepresentable, en.ID, prev)
		}
		prev = en.ID
		nf := len(en.Fields) / 2
		totelelen := 0
		for _, f := range en.Fields {
			totelelen += len(f)
		}
		if totelelen > lpMaxSafetyBytes {
			return fmt.Errorf("%w: stream entry %s is %d bytes, over the 1 GB listpack limit", ErrUnrepresentable, en.ID, totelelen)
		}
		if open {
			c := lpIntEncLen(int64(count))
			lpBytes := lpHeaderSize + c + lpBacklenSize(c) + len(body) + 1
			if lpBytes+totelelen >= streamNodeMaxBytes || count >= streamNodeMaxEntries {
				closeNode()
			}
		}
		flags := streamItemFlagNone
		if !open {
			open, count, elems = true, 0, 0
			master = en.ID
			masterFields = masterFields[:0]
			body = body[:0]
			body = lpAppendInt(body, 0) // deleted
			body = lpAppendInt(body, int64(nf))
			for j := 0; j < nf; j++ {
				masterFields = append(masterFields, en.Fields[2*j])
				body = lpAppendStr(body, en.Fields[2*j])
			}
			body = lpAppendInt(body, 0) // master entry terminator
			elems += 3 + nf
			flags = streamItemFlagSameFields
		} else if nf == len(masterFields) {
			same := true
			for j, mf := range masterFields {
				if string(mf) != string(en.Fields[2*j]) {
					same = false
					break
				}
			}
			if same {
				flags = streamItemFlagSameFields
			}
		}
		body = lpAppendInt(body, int64(flags))
		body = lpAppendInt(body, int64(en.ID.Ms-master.Ms))
		body = lpAppendInt(body, int64(en.ID.Seq-master.Seq))
		lpCount := nf + 3
		if flags&streamItemFlagSameFields != 0 {
			for j := 0; j < nf; j++ {
				body = lpAppendStr(body, en.Fields[2*j+1])
			}
			elems += 3 + nf + 1
		} else {
			body = lpAppendInt(body, int64(nf))
			for _, f := range en.Fields {
				body = lpAppendStr(body, f)
			}
			lpCount += nf + 1
			elems += 3 + 1 + 2*nf + 1
		}
		body = lpAppendInt(body, int64(lpCount))
		count++
	}
	closeNode()

	// Check the consumer-group state a loader cross-checks before writing.
	groups := s.Groups()
	for _, g := range groups {
		for id, p := range g.PEL {
			if p.Consumer == nil || p.Consumer.Pending[id] != p {
				return fmt.Errorf("%w: stream group %q pending entry %s has no consumer owning it", ErrUnrepresentable, g.Name, id)
			}
		}
		for _, c := range g.Consumers {
			for id := range c.Pending {
				if g.PEL[id] == nil {
					return fmt.Errorf("%w: stream group %q consumer %q pending entry %s is not in the group PEL", ErrUnrepresentable, g.Name, c.Name, id)
				}
			}
		}
	}

	e.typ(typ)
	e.length(uint64(len(nodes)))
	var key [16]byte
	for _, n := range nodes {
		binary.BigEndian.PutUint64(key[:8], n.master.Ms)
		binary.BigEndian.PutUint64(key[8:], n.master.Seq)
		e.rawString(key[:])
		e.rawString(b[n.start:n.end])
	}
	e.length(uint64(len(entries)))
	e.length(s.LastID.Ms)
	e.length(s.LastID.Seq)
	if e.version >= 10 {
		e.length(s.FirstID.Ms)
		e.length(s.FirstID.Seq)
		e.length(s.MaxDeletedID.Ms)
		e.length(s.MaxDeletedID.Seq)
		e.length(s.EntriesAdded)
	}
	e.length(uint64(len(groups)))
	for _, g := range groups {
		e.rawStr(g.Name)
		e.length(g.LastID.Ms)
		e.length(g.LastID.Seq)
		if e.version >= 10 {
			e.length(uint64(g.EntriesRead)) // -1 (unknown) as 2^64-1, like Redis
		}
		pel := g.SortedPEL()
		e.length(uint64(len(pel)))
		for _, p := range pel {
			e.rawID(p.ID)
			e.millis(p.DeliveryTime)
			e.length(p.DeliveryCount)
			e.maybeFlush()
		}
		cons := g.SortedConsumers()
		e.length(uint64(len(cons)))
		for _, c := range cons {
			e.rawStr(c.Name)
			e.millis(c.SeenTime)
			if e.version >= 11 {
				e.millis(c.ActiveTime)
			}
			cp := c.SortedPending()
			e.length(uint64(len(cp)))
			for _, p := range cp {
				e.rawID(p.ID)
				e.maybeFlush()
			}
		}
	}
	e.scratch, e.body, e.snodes = b[:0], body[:0], nodes[:0]
	return nil
}

// rawID appends a stream ID as 128 big-endian bits (a rax key).
func (e *encoder) rawID(id store.StreamID) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, id.Ms)
	e.buf = binary.BigEndian.AppendUint64(e.buf, id.Seq)
}
