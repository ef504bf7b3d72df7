// Package apply applies the commands of a replication stream to a
// store.Store with the exact semantics a Redis replica gives them.
//
// Contract:
//
//   - Apply takes one command as views into the caller's buffer (valid only
//     during the call) and copies, once, whatever the store keeps.
//   - The master's commands are applied unconditionally, as a replica
//     does: keys and hash fields are never expired locally (an expired but
//     present key is present), maxmemory does not exist, and the forms only
//     a master may send (XADD/XTRIM "=" with LIMIT) are accepted. Relative
//     times from ≤6.2 masters are made absolute with Options.Now.
//   - Collections that become empty are deleted, as Redis does.
//   - The selected database is part of the Applier's state (DB, SetDB);
//     SELECT changes it. MULTI/EXEC and REPLCONF GETACK belong to the
//     caller, which queues a transaction and applies it at EXEC.
//   - Errors are *CommandError values naming the command and key and
//     wrapping the reason: ErrUnknownCommand (not in the table: the caller
//     applies its policy), ErrUnsupported (needs an engine the follower
//     lacks, such as verbatim Lua), or a Redis error (ErrWrongType, ...).
//     A failed command changes nothing, except where Redis itself leaves a
//     change behind (e.g. a key created before an argument check).
//   - Touched reports the keys the last Apply changed or tried to change,
//     without allocating, for divergence marking and change events.
//   - Hot paths (SET, INCR, HSET, LPUSH on existing keys) allocate only
//     what the stored value needs.
//   - Concurrency: an Applier is used by one goroutine, which holds the
//     store's write lock during Apply. The command table is built once at
//     package init and only read.
package apply
