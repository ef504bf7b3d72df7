package store

import (
	"iter"
	"maps"
	"slices"
	"sync"
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
type Entry struct {
	// Expire is the absolute expiry in Unix milliseconds; 0 means none.
	Expire int64
	kind   Kind
	str    []byte
	obj    any // *List, *Set, *ZSet, *Hash, *Stream or *Module
}

// NewString returns a string entry holding b (owned by the entry).
func NewString(b []byte) *Entry { return &Entry{kind: KindString, str: b} }

// NewListEntry returns an entry holding l.
func NewListEntry(l *List) *Entry { return &Entry{kind: KindList, obj: l} }

// NewSetEntry returns an entry holding s.
func NewSetEntry(s *Set) *Entry { return &Entry{kind: KindSet, obj: s} }

// NewZSetEntry returns an entry holding z.
func NewZSetEntry(z *ZSet) *Entry { return &Entry{kind: KindZSet, obj: z} }

// NewHashEntry returns an entry holding h.
func NewHashEntry(h *Hash) *Entry { return &Entry{kind: KindHash, obj: h} }

// NewStreamEntry returns an entry holding s.
func NewStreamEntry(s *Stream) *Entry { return &Entry{kind: KindStream, obj: s} }

// NewModuleEntry returns an entry holding m.
func NewModuleEntry(m *Module) *Entry { return &Entry{kind: KindModule, obj: m} }

// Kind reports the value's kind.
func (e *Entry) Kind() Kind { return e.kind }

// Str returns the string value (nil unless Kind is KindString).
func (e *Entry) Str() []byte { return e.str }

// SetStr replaces the string value; b becomes owned by the entry.
// The entry becomes a string entry whatever it held before.
func (e *Entry) SetStr(b []byte) {
	e.kind, e.str, e.obj = KindString, b, nil
}

// List returns the list value, or nil if the entry is not a list.
func (e *Entry) List() *List { l, _ := e.obj.(*List); return l }

// Set returns the set value, or nil if the entry is not a set.
func (e *Entry) Set() *Set { s, _ := e.obj.(*Set); return s }

// ZSet returns the sorted set value, or nil if the entry is not a sorted set.
func (e *Entry) ZSet() *ZSet { z, _ := e.obj.(*ZSet); return z }

// Hash returns the hash value, or nil if the entry is not a hash.
func (e *Entry) Hash() *Hash { h, _ := e.obj.(*Hash); return h }

// Stream returns the stream value, or nil if the entry is not a stream.
func (e *Entry) Stream() *Stream { s, _ := e.obj.(*Stream); return s }

// Module returns the module value, or nil if the entry is not a module value.
func (e *Entry) Module() *Module { m, _ := e.obj.(*Module); return m }

// Expired reports whether the entry is logically expired at nowMs.
func (e *Entry) Expired(nowMs int64) bool { return e.Expire != 0 && e.Expire <= nowMs }

// Empty reports whether a collection entry holds no elements. Redis deletes
// a key whose collection becomes empty; callers do the same.
func (e *Entry) Empty() bool {
	switch v := e.obj.(type) {
	case *List:
		return v.Len() == 0
	case *Set:
		return v.Len() == 0
	case *ZSet:
		return v.Len() == 0
	case *Hash:
		return v.Len() == 0
	}
	return false // strings, streams and modules may be empty
}

// DB is one numbered database.
type DB struct {
	keys map[string]*Entry
}

func newDB() *DB { return &DB{keys: make(map[string]*Entry)} }

// Len returns the number of keys, expired ones included.
func (d *DB) Len() int { return len(d.keys) }

// Get returns the entry for key, ignoring expiry, or nil.
func (d *DB) Get(key []byte) *Entry { return d.keys[string(key)] }

// GetString is Get for a string key.
func (d *DB) GetString(key string) *Entry { return d.keys[key] }

// Lookup returns the entry for key unless it is missing or logically
// expired at nowMs.
func (d *DB) Lookup(key []byte, nowMs int64) *Entry {
	e := d.keys[string(key)]
	if e == nil || e.Expired(nowMs) {
		return nil
	}
	return e
}

// Put inserts or replaces key with e. The key bytes are copied. To change
// the value of an existing key without allocating, mutate its Entry.
func (d *DB) Put(key []byte, e *Entry) { d.keys[string(key)] = e }

// PutString inserts or replaces key with e; key is not copied.
func (d *DB) PutString(key string, e *Entry) { d.keys[key] = e }

// Delete removes key and reports whether it existed.
func (d *DB) Delete(key []byte) bool {
	if _, ok := d.keys[string(key)]; !ok {
		return false
	}
	delete(d.keys, string(key))
	return true
}

// All iterates over every key and entry (expired ones included), in no
// particular order. The DB must not be modified during the iteration.
func (d *DB) All() iter.Seq2[string, *Entry] { return maps.All(d.keys) }

// Keys returns every key sorted bytewise (for deterministic output).
func (d *DB) Keys() []string { return slices.Sorted(maps.Keys(d.keys)) }

// Reserve makes room for n keys in an empty database (a loader's sizing
// hint); it does nothing once the database holds keys.
func (d *DB) Reserve(n int) {
	if len(d.keys) == 0 && n > 0 {
		d.keys = make(map[string]*Entry, n)
	}
}

// Clear removes every key.
func (d *DB) Clear() { clear(d.keys) }

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
	da.keys, db.keys = db.keys, da.keys
	return true
}

// FlushAll removes every key of every database. Function libraries stay
// (FLUSHALL keeps them on 7.0+ masters; a full sync replaces the store).
func (s *Store) FlushAll() {
	for _, d := range s.dbs {
		d.keys = make(map[string]*Entry)
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
