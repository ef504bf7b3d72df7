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
//   - Ownership: every []byte handed to a mutating method becomes owned by
//     the store and must not be modified by the caller afterwards. Keys
//     given as []byte are copied when a new key is inserted. Slices returned
//     by accessors are views into the store: valid until the next mutation
//     of that value, and never to be modified by the caller.
//   - Concurrency: the store embeds a sync.RWMutex but its methods do not
//     take it. The single goroutine that applies the replication stream
//     holds the write lock while it mutates; readers hold the read lock.
//     The package has no I/O and starts no goroutines.
package store
