// Package store is the follower's keyspace: numbered databases of typed
// values with absolute expiry times, plus the function libraries.
//
// Contract:
//
//   - Values: string, list, set, sorted set, hash (with per-field expiry),
//     stream (with consumer groups, PEL and consumers) and opaque module
//     values. An Entry holds one value and its expiry.
//   - Expiry times are absolute Unix milliseconds; 0 means "no expiry".
//     The store never expires anything by itself: like a stock replica the
//     follower waits for the master's DEL/UNLINK/HDEL. Get ignores expiry
//     (commands from the master see every key, as on a Redis replica);
//     Lookup hides logically expired keys (reads by clients).
//   - Representation (memory is the point: a Go map or skiplist node per
//     element costs several times the element): small lists, sets, sorted
//     sets and hashes are packed, their elements in one byte slice
//     scanned linearly (as Redis keeps them in a listpack); past
//     packMaxEntries (128) elements or packMaxBytes (8 KB), or with a hash
//     field expiry, they turn into their big form and stay there: sets and
//     hashes a ctab (open addressing over records packed in byte chunks),
//     sorted sets a ctab member -> score plus a ztree (a counted B+tree of
//     packed leaves). Lists are chains of packed nodes of up to 4 KB. None
//     of these allocates or holds a Go pointer per element. The List, Set,
//     ZSet and Hash types are views of their Entry: New*Entry returns the
//     entry the value already is, and an entry that becomes a string
//     (SetStr) is no longer the collection its views saw. The Builder
//     assembles values for a loader, a packed one in the same allocation
//     as its entry and key name (NewEmbedded). Redis's own encoding of a
//     sorted set, which decides whether -0 survives, is tracked apart
//     from the store's (zset_encoding.go).
//   - Ownership: a string value's []byte (NewString, SetStr) becomes owned
//     by the entry, up to its capacity, and must not be modified by the
//     caller afterwards. Elements handed to collection methods (Add,
//     PutField, PushBack, the Builder, ...) are copied. Keys given as
//     []byte are copied when a new key is inserted. Slices and strings
//     returned by accessors and iterators are views into the store: valid
//     until the next mutation of that value (which may move or overwrite
//     the bytes: packed values are spliced in place, ctabs compact), never
//     to be modified by the caller, and not to be passed back to a
//     mutating method of the same value (copy them first).
//   - Concurrency: the store embeds a sync.RWMutex but its methods do not
//     take it. The single goroutine that applies the replication stream
//     holds the write lock while it mutates; readers hold the read lock.
//     The package has no I/O and starts no goroutines.
package store
