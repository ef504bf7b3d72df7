// Package follower ties the pieces together: it drives the replication link
// (internal/psync), journals the stream (internal/journal), loads full-sync
// payloads (internal/rdbload) into a fresh store that is swapped in only
// once the payload checked out, applies the journal (internal/apply) to the
// store, and writes snapshots (internal/rdbsave).
//
// Contract:
//
//   - Lifecycle: starting (snapshot + journal replay, in New) → connecting
//     → (loading) → streaming, and backoff → connecting after a failure,
//     disk-wait → connecting after a refused write; one function per
//     state, each transition logged once. Run returns nil after ctx is
//     cancelled (having let the applier apply what the journal holds and
//     written the snapshot) and a *FatalError (or a Fatal psync error) when
//     retrying cannot help.
//   - Goroutines: Run owns a stream reader per connection (link → journal,
//     raw bytes, no parsing, so the socket is drained however slow
//     applying is), one applier (journal → store, at most one at a time),
//     the link's ACK goroutine (psync), the decoy's listener and its
//     connections, a background compaction (owned by the applier) and,
//     with Sentinel, a watcher; each is joined before Run returns
//     (TestMain checks). The journal owns its everysec fsync goroutine.
//   - Data directory: dump.rdb (a Redis-loadable snapshot whose repl-id,
//     repl-offset and repl-stream-db aux fields are the state it holds:
//     data and state are one file, replaced by an atomic rename), journal/
//     (the raw stream since it, see internal/journal), LOCK. A kill -9 at
//     any instant leaves a snapshot plus a journal prefix that continues
//     it; New replays that prefix up to its last command boundary outside
//     MULTI, cuts the torn tail (logged), and Run resumes with
//     PSYNC <replid> <offset+1>. A journal that does not match the
//     snapshot is dropped and the next sync is a full resync, never a
//     wrong partial one.
//   - Offsets: the applied offset moves only at command boundaries, and
//     inside MULTI only at EXEC; a MULTI block is applied under one store
//     write lock, so readers never see half of it. A reconnection stops
//     the applier, frames what the journal holds beyond the applied offset
//     (the lag) to find the last boundary outside MULTI and the DB there,
//     cuts the rest, restarts the applier and PSYNCs from that boundary:
//     an unfinished command or transaction is fetched again whole, from
//     whichever master continues the history. Bytes that are not RESP are
//     found by the applier: a Protocol error, the next sync is full.
//   - ACKs report the APPLIED offset (not the journaled one), so WAIT
//     counts the follower only once a write is visible in its store:
//     "REPLCONF ACK 0" while a full sync loads, then the applied offset
//     every AckInterval and at once on REPLCONF GETACK (answered when the
//     applier reaches it). Like a stock replica's, an ACK is not a
//     durability promise: under fsync everysec a power failure can lose up
//     to a second of acknowledged stream, which the next start fetches
//     again if the master's backlog still holds it.
//   - Full sync: the payload is teed to a temp file while it is decoded;
//     once the CRC checked out the stream starts flowing into a new
//     journal history, the temp file (with the +FULLRESYNC state appended
//     as aux fields when the master's RDB does not record it) is fsynced
//     and renamed to dump.rdb (the commit point), then the store is
//     swapped. A failure before the rename leaves the old data and state.
//   - Compaction: past CompactBytes of applied journal (or CompactAge) a
//     snapshot at a command boundary is written and the covered segments
//     dropped. It is built in the background, as a restart would build it:
//     the previous snapshot loaded into a second store and the journal up
//     to that boundary replayed into it (applying goes on; the price is a
//     second copy of the dataset in memory meanwhile). Without a snapshot
//     to start from, or with CompactPause, the applier writes its own
//     store and applying pauses meanwhile. A clean stop compacts, so
//     dump.rdb alone is the dataset.
//   - Disk errors (*DiskError: full, read-only, failed fsync): the follower
//     stops reading from the master, keeps its state, probes the directory
//     and resumes from its last durable position once it takes writes.
//   - Unknown commands follow the policy: stop (default; nothing of the
//     command, or of its MULTI block, is applied, and the offset stays before
//     it) or skip (counted per name, logged once, key marked diverged).
//   - Sentinel (Config.Sentinel): the master's address is asked before
//     every connection attempt, and +switch-master drops the link.
//   - Promotion is refused (decoy.go): Run listens on the announced port
//     (REPLCONF listening-port; an ephemeral one when it is 0) and answers
//     only a replication handshake, with -ERR to PSYNC, so a master running
//     FAILOVER without TO that picks the follower aborts at once; Sentinel's
//     connections are closed unanswered (an unreachable replica, never
//     promoted, not waited for). Config.NoDecoy turns it off.
package follower
