package canon

import (
	"encoding/hex"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/store"
)

// FromStore renders every key of s that is not logically expired at nowMs
// (a client reading the follower sees exactly these). Hash fields expired
// at nowMs are hidden too, and a hash whose every field is expired is
// absent, as on a Redis master. The caller holds s's read lock.
func FromStore(s *store.Store, nowMs int64) []Key {
	var out []Key
	for db := 0; db < s.NumDBs(); db++ {
		for k, e := range s.DB(db).All() {
			if e.Expired(nowMs) {
				continue
			}
			ck, ok := fromEntry(e, nowMs)
			if !ok {
				continue
			}
			ck.DB, ck.Key = db, k
			out = append(out, ck)
		}
	}
	Sort(out)
	return out
}

// FromEntry renders one store entry (nowMs hides expired hash fields). It
// reports false when nothing of the value is visible.
func FromEntry(db int, key string, e *store.Entry, nowMs int64) (Key, bool) {
	k, ok := fromEntry(e, nowMs)
	k.DB, k.Key = db, key
	return k, ok
}

func fromEntry(e *store.Entry, nowMs int64) (Key, bool) {
	k := Key{Type: e.Kind().String(), Expire: -1}
	if e.Expire != 0 {
		k.Expire = e.Expire
	}
	switch e.Kind() {
	case store.KindString:
		k.Value = strconv.Quote(string(e.Str()))
	case store.KindList:
		l := e.List()
		items := make([]string, 0, l.Len())
		for _, v := range l.All() {
			items = append(items, string(v))
		}
		k.Value = renderList(items, false)
	case store.KindSet:
		k.Value = renderList(e.Set().Sorted(), false)
	case store.KindZSet:
		z := e.ZSet()
		ms := make([]zmember, 0, z.Len())
		for m, s := range z.All() {
			ms = append(ms, zmember{m, s})
		}
		k.Value = renderZSet(ms)
	case store.KindHash:
		h := e.Hash()
		fs := make([]hashField, 0, h.Len())
		for f, v := range h.All() {
			exp := h.FieldExpire([]byte(f))
			if exp != 0 && exp <= nowMs {
				continue
			}
			if exp == 0 {
				exp = -1
			}
			fs = append(fs, hashField{f, string(v), exp})
		}
		if len(fs) == 0 {
			return k, false
		}
		k.Value = renderHash(fs)
	case store.KindStream:
		k.Value = streamFromStore(e.Stream()).render()
	case store.KindModule:
		m := e.Module()
		k.Value = m.TypeName + ":" + hex.EncodeToString(m.Raw)
	}
	return k, true
}

func streamFromStore(s *store.Stream) *stream {
	out := &stream{
		length:       int64(s.Len()),
		entriesAdded: int64(s.EntriesAdded),
		lastID:       s.LastID.String(),
		firstID:      s.FirstID.String(),
		maxDeletedID: s.MaxDeletedID.String(),
	}
	for _, e := range s.Entries() {
		fs := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			fs[i] = string(f)
		}
		out.entries = append(out.entries, streamEntry{e.ID.String(), fs})
	}
	for _, g := range s.Groups() {
		cg := group{name: g.Name, lastID: g.LastID.String(), entriesRead: g.EntriesRead}
		for _, p := range g.SortedPEL() {
			name := ""
			if p.Consumer != nil {
				name = p.Consumer.Name
			}
			cg.pel = append(cg.pel, pending{p.ID.String(), name, int64(p.DeliveryCount), p.DeliveryTime})
		}
		for _, c := range g.SortedConsumers() {
			cc := consumer{name: c.Name}
			for _, p := range c.SortedPending() {
				cc.pending = append(cc.pending, p.ID.String())
			}
			cg.consumers = append(cg.consumers, cc)
		}
		out.groups = append(out.groups, cg)
	}
	return out
}
