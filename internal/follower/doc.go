// Package follower ties the pieces together: it drives the replication link
// (internal/psync), loads full-sync payloads (internal/rdbload) into a fresh
// store that is swapped in only once the payload checked out, applies the
// stream (internal/apply) to the store, and persists its state
// (internal/rdbsave).
//
// Contract:
//
//   - Lifecycle: starting → connecting → (loading) → streaming, and
//     backoff → connecting after a failure, each transition logged once.
//     Run returns nil after ctx is cancelled (having written the snapshot)
//     and a *FatalError (or a Fatal psync error) when retrying cannot help.
//   - Replication state (replid, applied offset, selected DB) is owned by the
//     Run goroutine. The applied offset moves only at command boundaries,
//     and inside MULTI only at EXEC; a MULTI block is applied under one
//     store write lock, so readers never see half of it.
//   - ACKs: "REPLCONF ACK 0" while a full sync loads (keeps the master's
//     timeout at bay without claiming unapplied data), then the applied
//     offset every AckInterval and at once on REPLCONF GETACK.
//   - Durability (first step): on stop, <dir>/dump.rdb is written atomically
//     with repl-id, repl-offset and repl-stream-db, as a stock replica
//     writes them; New loads it, so the next Run resumes with
//     PSYNC <replid> <offset+1>. A LOCK file keeps two followers off one dir.
//   - Unknown commands follow the policy: stop (default; nothing of the
//     command, or of its MULTI block, is applied, and the offset stays before
//     it) or skip (counted per name, logged once, key marked diverged).
package follower
