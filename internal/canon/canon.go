// Package canon renders a dataset — the follower's store or a live Redis —
// as a canonical, comparable list of keys, and diffs two such lists. It is
// the single notion of "equal" used by every sync test: type, value and
// absolute expire of every key in every database.
//
// What is compared: strings byte for byte; lists in order; sets sorted;
// sorted sets in (score, member) order with scores in shortest exact form;
// hashes sorted by field with each field's absolute expire; streams with
// every entry (field order and duplicate names kept), length, last,
// first and max-deleted IDs, entries-added, and every consumer group with
// its last ID, entries-read, PEL (ID, consumer, delivery count and time)
// and consumers with their pending IDs.
//
// What is not: consumer seen-time and active-time, which a replica sets
// from its own clock when it applies XCLAIM (a stock replica differs from
// its master there too), and module values, which are compared by their
// raw serialization only when both sides are a store.
package canon

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Key is one key in canonical form.
type Key struct {
	DB     int
	Key    string
	Type   string
	Expire int64 // absolute Unix ms, -1 for none
	Value  string
}

// String renders the key for diagnostics (long values shortened).
func (k Key) String() string {
	v := k.Value
	if len(v) > 300 {
		v = v[:300] + fmt.Sprintf("…(%d bytes)", len(k.Value))
	}
	return fmt.Sprintf("db%d %q %s expire=%d %s", k.DB, k.Key, k.Type, k.Expire, v)
}

// Sort orders keys by (DB, Key).
func Sort(keys []Key) {
	slices.SortFunc(keys, func(a, b Key) int {
		if a.DB != b.DB {
			return a.DB - b.DB
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// Diff compares two canonical datasets and returns one line per difference
// (at most max lines; max <= 0 means all), plus the total count.
func Diff(want, got []Key, max int) ([]string, int) {
	Sort(want)
	Sort(got)
	var out []string
	n := 0
	add := func(s string) {
		n++
		if max <= 0 || len(out) < max {
			out = append(out, s)
		}
	}
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j >= len(got) || (i < len(want) && (want[i].DB < got[j].DB || (want[i].DB == got[j].DB && want[i].Key < got[j].Key))):
			add("missing: " + want[i].String())
			i++
		case i >= len(want) || (want[i].DB > got[j].DB || (want[i].DB == got[j].DB && want[i].Key > got[j].Key)):
			add("extra:   " + got[j].String())
			j++
		default:
			w, g := want[i], got[j]
			if w.Type != g.Type || w.Expire != g.Expire || w.Value != g.Value {
				add("differs: want " + w.String() + "\n         got  " + g.String())
			}
			i++
			j++
		}
	}
	return out, n
}

// builder accumulates a canonical value rendering.
type builder struct{ strings.Builder }

func (b *builder) str(s string) { b.WriteString(strconv.Quote(s)) }
func (b *builder) num(n int64)  { b.WriteString(strconv.FormatInt(n, 10)) }
func (b *builder) sep()         { b.WriteByte(',') }

// Score renders a sorted-set score in its shortest exact form.
func Score(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// stream is the shape both sources fill before rendering.
type stream struct {
	length, entriesAdded          int64
	lastID, firstID, maxDeletedID string
	entries                       []streamEntry
	groups                        []group
}

type streamEntry struct {
	id     string
	fields []string
}

type group struct {
	name, lastID string
	entriesRead  int64
	pel          []pending
	consumers    []consumer
}

type pending struct {
	id, consumer string
	count        int64
	deliveryTime int64
}

type consumer struct {
	name    string
	pending []string
}

func (s *stream) render() string {
	var b builder
	b.WriteString("{len=")
	b.num(s.length)
	b.WriteString(" last=" + s.lastID + " first=" + s.firstID + " maxdel=" + s.maxDeletedID + " added=")
	b.num(s.entriesAdded)
	b.WriteString(" entries=[")
	for i, e := range s.entries {
		if i > 0 {
			b.sep()
		}
		b.WriteString(e.id + ":[")
		for k, f := range e.fields {
			if k > 0 {
				b.sep()
			}
			b.str(f)
		}
		b.WriteByte(']')
	}
	b.WriteString("] groups=[")
	slices.SortFunc(s.groups, func(a, b group) int { return strings.Compare(a.name, b.name) })
	for i, g := range s.groups {
		if i > 0 {
			b.sep()
		}
		b.WriteString("{")
		b.str(g.name)
		b.WriteString(" last=" + g.lastID + " read=")
		b.num(g.entriesRead)
		b.WriteString(" pel=[")
		for k, p := range g.pel {
			if k > 0 {
				b.sep()
			}
			b.WriteString(p.id + "/")
			b.str(p.consumer)
			b.WriteString("/")
			b.num(p.count)
			b.WriteString("/")
			b.num(p.deliveryTime)
		}
		b.WriteString("] consumers=[")
		slices.SortFunc(g.consumers, func(a, b consumer) int { return strings.Compare(a.name, b.name) })
		for k, c := range g.consumers {
			if k > 0 {
				b.sep()
			}
			b.str(c.name)
			b.WriteString(":[" + strings.Join(c.pending, ",") + "]")
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return b.String()
}

type hashField struct {
	field, value string
	expire       int64
}

func renderHash(fields []hashField) string {
	slices.SortFunc(fields, func(a, b hashField) int { return strings.Compare(a.field, b.field) })
	var b builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.sep()
		}
		b.str(f.field)
		b.WriteByte(':')
		b.str(f.value)
		if f.expire >= 0 {
			b.WriteString("@")
			b.num(f.expire)
		}
	}
	b.WriteByte('}')
	return b.String()
}

type zmember struct {
	member string
	score  float64
}

func renderZSet(ms []zmember) string {
	slices.SortFunc(ms, func(a, b zmember) int {
		if a.score != b.score {
			if a.score < b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.member, b.member)
	})
	var b builder
	b.WriteByte('[')
	for i, m := range ms {
		if i > 0 {
			b.sep()
		}
		b.str(m.member)
		b.WriteByte('=')
		b.WriteString(Score(m.score))
	}
	b.WriteByte(']')
	return b.String()
}

func renderList(items []string, sorted bool) string {
	if sorted {
		slices.Sort(items)
	}
	var b builder
	b.WriteByte('[')
	for i, s := range items {
		if i > 0 {
			b.sep()
		}
		b.str(s)
	}
	b.WriteByte(']')
	return b.String()
}
