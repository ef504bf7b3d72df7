package store

import (
	"iter"
	"maps"
	"slices"
	"sync"
	"unsafe"
)

// Kind is the type of a value, as TYPE reports it.
type Kind uint8

// Value kinds.
const (
	KindString Kind = iota + 1
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
	KindModule
)

// String returns the name TYPE answers for the kind.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindHash:
		return "hash"
	case KindStream:
		return "stream"
	case KindModule:
		return "module"
	}
	return "none"
}

// DefaultDatabases is the number of databases a new store has (Redis's
// default `databases 16`). More are created on demand up to MaxDatabases.
const DefaultDatabases = 16

// MaxDatabases bounds the database index a master can select. Redis allows
// up to INT_MAX by configuration; anything this large is almost certainly a
// corrupt stream, and each database costs memory.
const MaxDatabases = 1 << 16

// Entry is one key's value and its expiry.
//
// A string keeps its bytes in str. A list, set, sorted set or hash is
// the entry itself in one of two forms (the List, Set, ZSet and Hash
// types are views of the Entry, see their files): packed, its elements in
// the one byte slice str (a few elements, as Redis keeps them in a
// listpack; n counts them), or big, obj pointing at the structure that
// indexes them (big is true). A stream or module value hangs off obj.
type Entry struct {
	// Expire is the absolute expiry in Unix milliseconds; 0 means none.
	Expire int64
	kind   Kind
	big    bool  // collections: obj holds the big form
	zenc   uint8 // sorted sets: the encoding Redis has (zset_encoding.go)
	n      uint16
	off    uint16 // lists: where the inline node's data starts in str
	str    []byte
	obj    unsafe.Pointer // *hashBig, *setBig, *zsetBig, *qlist, *Stream or *Module
}

// NewString returns a string entry holding b (owned by the entry).
func NewString(b []byte) *Entry { return &Entry{kind: KindString, str: b} }

// NewListEntry returns the entry l is a view of (the same entry every
// call: a list value is its entry).
func NewListEntry(l *List) *Entry { return &l.e }

// NewSetEntry returns the entry s is a view of.
func NewSetEntry(s *Set) *Entry { return &s.e }

// NewZSetEntry returns the entry z is a view of.
func NewZSetEntry(z *ZSet) *Entry { return &z.e }

// NewHashEntry returns the entry h is a view of.
func NewHashEntry(h *Hash) *Entry { return &h.e }

// NewStreamEntry returns an entry holding s.
func NewStreamEntry(s *Stream) *Entry { return &Entry{kind: KindStream, obj: unsafe.Pointer(s)} }

// NewModuleEntry returns an entry holding m.
func NewModuleEntry(m *Module) *Entry { return &Entry{kind: KindModule, obj: unsafe.Pointer(m)} }

// Kind reports the value's kind.
func (e *Entry) Kind() Kind { return e.kind }

// Str returns the string value (nil unless Kind is KindString).
func (e *Entry) Str() []byte {
	if e.kind != KindString {
		return nil
	}
	return e.str
}

// SetStr replaces the string value; b becomes owned by the entry.
// The entry becomes a string entry whatever it held before (a List, Set,
// ZSet or Hash view of it sees a string entry from then on).
func (e *Entry) SetStr(b []byte) {
	if e.kind == KindString {
		e.str = b
		return
	}
	*e = Entry{Expire: e.Expire, kind: KindString, str: b}
}

// The collection types are views of their Entry: a struct whose only
// field is the Entry has the Entry's layout.

// List returns the list value, or nil if the entry is not a list.
func (e *Entry) List() *List {
	if e.kind != KindList {
		return nil
	}
	return (*List)(unsafe.Pointer(e))
}

// Set returns the set value, or nil if the entry is not a set.
func (e *Entry) Set() *Set {
	if e.kind != KindSet {
		return nil
	}
	return (*Set)(unsafe.Pointer(e))
}

// ZSet returns the sorted set value, or nil if the entry is not a sorted set.
func (e *Entry) ZSet() *ZSet {
	if e.kind != KindZSet {
		return nil
	}
	return (*ZSet)(unsafe.Pointer(e))
}

// Hash returns the hash value, or nil if the entry is not a hash.
func (e *Entry) Hash() *Hash {
	if e.kind != KindHash {
		return nil
	}
	return (*Hash)(unsafe.Pointer(e))
}

// Stream returns the stream value, or nil if the entry is not a stream.
func (e *Entry) Stream() *Stream {
	if e.kind != KindStream {
		return nil
	}
	return (*Stream)(e.obj)
}

// Module returns the module value, or nil if the entry is not a module value.
func (e *Entry) Module() *Module {
	if e.kind != KindModule {
		return nil
	}
	return (*Module)(e.obj)
}

// Expired reports whether the entry is logically expired at nowMs.
func (e *Entry) Expired(nowMs int64) bool { return e.Expire != 0 && e.Expire <= nowMs }

// Empty reports whether a collection entry holds no elements. Redis deletes
// a key whose collection becomes empty; callers do the same.
func (e *Entry) Empty() bool {
	switch e.kind {
	case KindList:
		return e.List().Len() == 0
	case KindSet:
		return e.Set().Len() == 0
	case KindZSet:
		return e.ZSet().Len() == 0
	case KindHash:
		return e.Hash().Len() == 0
	}
	return false // strings, streams and modules may be empty
}

// DB is one numbered database.
type DB struct {
	t ktab
}

func newDB() *DB { return &DB{t: newKtab(0)} }

// Len returns the number of keys, expired ones included.
func (d *DB) Len() int { return d.t.n() }

// Get returns the entry for key, ignoring expiry, or nil.
func (d *DB) Get(key []byte) *Entry { return d.t.get(key) }

// GetString is Get for a string key.
func (d *DB) GetString(key string) *Entry { return d.t.get(view(key)) }

// Lookup returns the entry for key unless it is missing or logically
// expired at nowMs.
func (d *DB) Lookup(key []byte, nowMs int64) *Entry {
	e := d.t.get(key)
	if e == nil || e.Expired(nowMs) {
		return nil
	}
	return e
}

// Put inserts or replaces key with e. The key bytes are copied. To change
// the value of an existing key without allocating, mutate its Entry.
func (d *DB) Put(key []byte, e *Entry) { d.t.put(key, "", e) }

// PutString inserts or replaces key with e; key is not copied.
func (d *DB) PutString(key string, e *Entry) { d.t.put(view(key), key, e) }

// Delete removes key and reports whether it existed.
func (d *DB) Delete(key []byte) bool { return d.t.del(key) }

// All iterates over every key and entry (expired ones included), in no
// particular order. The DB must not be modified during the iteration.
func (d *DB) All() iter.Seq2[string, *Entry] {
	return d.t.all
}

// Keys returns every key sorted bytewise (for deterministic output).
func (d *DB) Keys() []string {
	out := make([]string, 0, d.t.n())
	for k := range d.All() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Reserve makes room for n keys in an empty database (a loader's sizing
// hint); it does nothing once the database holds keys.
func (d *DB) Reserve(n int) {
	if d.t.n() == 0 && n > 0 {
		d.t.reset(n)
	}
}

// Clear removes every key.
func (d *DB) Clear() { d.t.reset(0) }

// Store is the whole keyspace: databases and function libraries.
type Store struct {
	sync.RWMutex

	dbs       []*DB
	functions map[string][]byte // library name -> library code
	moduleAux [][]byte          // raw MODULE_AUX records (module_aux.go)
}

// New returns an empty store with DefaultDatabases databases.
func New() *Store {
	s := &Store{functions: make(map[string][]byte)}
	s.dbs = make([]*DB, DefaultDatabases)
	for i := range s.dbs {
		s.dbs[i] = newDB()
	}
	return s
}

// ValidDB reports whether i is a database index the store accepts.
func ValidDB(i int) bool { return i >= 0 && i < MaxDatabases }

// DB returns database i, creating databases up to i when needed.
// It returns nil when !ValidDB(i).
func (s *Store) DB(i int) *DB {
	if !ValidDB(i) {
		return nil
	}
	for len(s.dbs) <= i {
		s.dbs = append(s.dbs, newDB())
	}
	return s.dbs[i]
}

// NumDBs returns the number of databases the store has.
func (s *Store) NumDBs() int { return len(s.dbs) }

// Keys returns the total number of keys in every database.
func (s *Store) Keys() int {
	n := 0
	for _, d := range s.dbs {
		n += d.Len()
	}
	return n
}

// SwapDB exchanges the contents of databases a and b.
// It reports false if either index is invalid.
func (s *Store) SwapDB(a, b int) bool {
	if !ValidDB(a) || !ValidDB(b) {
		return false
	}
	da, db := s.DB(a), s.DB(b)
	da.t, db.t = db.t, da.t
	return true
}

// FlushAll removes every key of every database. Function libraries stay
// (FLUSHALL keeps them on 7.0+ masters; a full sync replaces the store).
func (s *Store) FlushAll() {
	for _, d := range s.dbs {
		d.Clear()
	}
}

// Function returns the code of library name.
func (s *Store) Function(name string) ([]byte, bool) {
	c, ok := s.functions[name]
	return c, ok
}

// SetFunction stores (or replaces) library name with code (owned).
func (s *Store) SetFunction(name string, code []byte) { s.functions[name] = code }

// DeleteFunction removes library name and reports whether it existed.
func (s *Store) DeleteFunction(name string) bool {
	_, ok := s.functions[name]
	delete(s.functions, name)
	return ok
}

// FlushFunctions removes every function library.
func (s *Store) FlushFunctions() { clear(s.functions) }

// FunctionNames returns the library names sorted.
func (s *Store) FunctionNames() []string { return slices.Sorted(maps.Keys(s.functions)) }

// ReplaceWith moves the contents of other into s (which keeps its lock);
// other must not be used afterwards. The caller holds s's write lock.
func (s *Store) ReplaceWith(other *Store) {
	s.dbs, s.functions, s.moduleAux = other.dbs, other.functions, other.moduleAux
	other.dbs, other.functions, other.moduleAux = nil, nil, nil
}
