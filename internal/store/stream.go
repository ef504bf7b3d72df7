package store

import (
	"cmp"
	"errors"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// StreamID is a stream entry ID <ms>-<seq>.
type StreamID struct{ Ms, Seq uint64 }

// Compare orders IDs numerically.
func (a StreamID) Compare(b StreamID) int {
	if c := cmp.Compare(a.Ms, b.Ms); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// Less reports whether a sorts before b.
func (a StreamID) Less(b StreamID) bool { return a.Compare(b) < 0 }

// IsZero reports whether the ID is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// String formats the ID as Redis does ("ms-seq").
func (a StreamID) String() string {
	return strconv.FormatUint(a.Ms, 10) + "-" + strconv.FormatUint(a.Seq, 10)
}

// AppendTo appends the formatted ID to b.
func (a StreamID) AppendTo(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// ErrBadStreamID is returned by ParseStreamID for malformed IDs.
var ErrBadStreamID = errors.New("invalid stream ID")

// ParseStreamID parses "ms-seq" or "ms" (seq defaults to 0).
func ParseStreamID(s []byte) (StreamID, error) {
	str := string(s)
	ms, seq, found := strings.Cut(str, "-")
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return StreamID{}, ErrBadStreamID
	}
	if !found {
		return StreamID{Ms: a}, nil
	}
	b, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return StreamID{}, ErrBadStreamID
	}
	return StreamID{Ms: a, Seq: b}, nil
}

// StreamEntry is one stream entry: its ID and its field/value pairs in
// order (Fields[0] is the first field name, Fields[1] its value, ...).
// Field names may repeat.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// Stream is a stream value: entries in ID order plus consumer groups.
type Stream struct {
	entries []StreamEntry

	// LastID is the last generated ID (last-generated-id).
	LastID StreamID
	// FirstID is the first live entry's ID, 0-0 when empty
	// (recorded-first-entry-id).
	FirstID StreamID
	// MaxDeletedID is the largest ID ever deleted (max-deleted-entry-id).
	MaxDeletedID StreamID
	// EntriesAdded counts every entry ever added (entries-added).
	EntriesAdded uint64

	groups map[string]*ConsumerGroup
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Len returns the number of live entries.
func (s *Stream) Len() int { return len(s.entries) }

// Entries returns the live entries in ID order (a view).
func (s *Stream) Entries() []StreamEntry { return s.entries }

// Append adds an entry at the end. The caller guarantees e.ID is greater
// than every existing entry's ID; it does not update LastID or
// EntriesAdded (XADD and the loader manage those).
func (s *Stream) Append(e StreamEntry) {
	s.entries = append(s.entries, e)
	if len(s.entries) == 1 {
		s.FirstID = e.ID
	}
}

// Find returns the index of id, or the index where it would be inserted.
func (s *Stream) Find(id StreamID) (int, bool) {
	return slices.BinarySearchFunc(s.entries, id, func(e StreamEntry, t StreamID) int { return e.ID.Compare(t) })
}

// Get returns the entry with id.
func (s *Stream) Get(id StreamID) (StreamEntry, bool) {
	i, ok := s.Find(id)
	if !ok {
		return StreamEntry{}, false
	}
	return s.entries[i], true
}

// Delete removes the entry with id and reports whether it existed. It does
// not touch MaxDeletedID (XDEL manages it).
func (s *Stream) Delete(id StreamID) bool {
	i, ok := s.Find(id)
	if !ok {
		return false
	}
	s.entries = slices.Delete(s.entries, i, i+1)
	s.fixFirst()
	return true
}

// TrimFront removes the first n entries (n <= Len).
func (s *Stream) TrimFront(n int) {
	if n <= 0 {
		return
	}
	clear(s.entries[:n])
	s.entries = s.entries[n:]
	if len(s.entries) == 0 {
		s.entries = nil
	}
	s.fixFirst()
}

func (s *Stream) fixFirst() {
	if len(s.entries) == 0 {
		s.FirstID = StreamID{}
	} else {
		s.FirstID = s.entries[0].ID
	}
}

// ConsumerGroup is a stream consumer group.
type ConsumerGroup struct {
	Name   string
	LastID StreamID
	// EntriesRead is the group's entries-read counter; -1 when unknown
	// (SCG_INVALID_ENTRIES_READ).
	EntriesRead int64
	// PEL maps entry IDs to pending entries.
	PEL map[StreamID]*PendingEntry
	// Consumers maps consumer names to consumers.
	Consumers map[string]*Consumer
}

// PendingEntry is one entry of a group's pending entries list.
type PendingEntry struct {
	ID            StreamID
	DeliveryTime  int64 // Unix ms of the last delivery
	DeliveryCount uint64
	Consumer      *Consumer
}

// Consumer is a consumer of a group.
type Consumer struct {
	Name       string
	SeenTime   int64 // Unix ms of the last interaction
	ActiveTime int64 // Unix ms of the last successful read/claim; -1 if never
	// Pending holds the consumer's share of the group PEL (same pointers).
	Pending map[StreamID]*PendingEntry
}

// Group returns the group called name, or nil.
func (s *Stream) Group(name []byte) *ConsumerGroup { return s.groups[string(name)] }

// NumGroups returns the number of consumer groups.
func (s *Stream) NumGroups() int { return len(s.groups) }

// CreateGroup adds a group (which must not exist) and returns it.
func (s *Stream) CreateGroup(name []byte, lastID StreamID, entriesRead int64) *ConsumerGroup {
	if s.groups == nil {
		s.groups = make(map[string]*ConsumerGroup)
	}
	g := &ConsumerGroup{
		Name:        string(name),
		LastID:      lastID,
		EntriesRead: entriesRead,
		PEL:         make(map[StreamID]*PendingEntry),
		Consumers:   make(map[string]*Consumer),
	}
	s.groups[g.Name] = g
	return g
}

// DestroyGroup removes a group and reports whether it existed.
func (s *Stream) DestroyGroup(name []byte) bool {
	if _, ok := s.groups[string(name)]; !ok {
		return false
	}
	delete(s.groups, string(name))
	return true
}

// Groups returns the groups sorted by name (Redis keeps them in a radix
// tree, so this is also its order).
func (s *Stream) Groups() []*ConsumerGroup {
	names := slices.Sorted(maps.Keys(s.groups))
	out := make([]*ConsumerGroup, len(names))
	for i, n := range names {
		out[i] = s.groups[n]
	}
	return out
}

// Consumer returns the consumer called name, or nil.
func (g *ConsumerGroup) Consumer(name []byte) *Consumer { return g.Consumers[string(name)] }

// CreateConsumer adds a consumer (which must not exist) and returns it.
func (g *ConsumerGroup) CreateConsumer(name []byte, seen, active int64) *Consumer {
	c := &Consumer{Name: string(name), SeenTime: seen, ActiveTime: active, Pending: make(map[StreamID]*PendingEntry)}
	g.Consumers[c.Name] = c
	return c
}

// DeleteConsumer removes a consumer and its pending entries from the group
// and returns how many pending entries it had (-1 if it did not exist).
func (g *ConsumerGroup) DeleteConsumer(name []byte) int {
	c := g.Consumers[string(name)]
	if c == nil {
		return -1
	}
	n := len(c.Pending)
	for id := range c.Pending {
		delete(g.PEL, id)
	}
	delete(g.Consumers, c.Name)
	return n
}

// SortedConsumers returns the consumers sorted by name.
func (g *ConsumerGroup) SortedConsumers() []*Consumer {
	names := slices.Sorted(maps.Keys(g.Consumers))
	out := make([]*Consumer, len(names))
	for i, n := range names {
		out[i] = g.Consumers[n]
	}
	return out
}

// SortedPEL returns the group's pending entries in ID order.
func (g *ConsumerGroup) SortedPEL() []*PendingEntry { return sortedPending(g.PEL) }

// SortedPending returns the consumer's pending entries in ID order.
func (c *Consumer) SortedPending() []*PendingEntry { return sortedPending(c.Pending) }

func sortedPending(m map[StreamID]*PendingEntry) []*PendingEntry {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *PendingEntry) int { return a.ID.Compare(b.ID) })
	return out
}

// AllGroups iterates over the groups in no particular order.
func (s *Stream) AllGroups() iter.Seq2[string, *ConsumerGroup] { return maps.All(s.groups) }
