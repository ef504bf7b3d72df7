// Package journal is the follower's write-ahead log: the raw replication
// stream bytes received since the last snapshot, appended as received, in
// segment files named by the offset of their first byte
// (<dir>/%020d.seg). It knows nothing of RESP: its user tells it where
// the command boundaries are.
//
// Contract:
//
//   - Identity. A (replication id, offset) pair names one byte of one
//     master history (PSYNC2: a promoted replica keeps its master's bytes
//     under the old id up to the switch). Each segment header records the
//     id of its bytes (ReplID), the id at its start (PrevID, different
//     only where +CONTINUE <newid> switched ids), the offset before its
//     first byte (Base) and the stream DB selected there. So any segment
//     that continues a state under the same id holds the right bytes,
//     whichever epoch wrote it, and every prefix of a chain is a valid
//     state. That is what makes the data directory crash-safe without
//     ordering every file operation.
//   - Recover(base) keeps the chain that continues the snapshot's state
//     (the first segment may start before it: the snapshot was taken
//     inside it; later ones are contiguous, and may switch ids only at
//     their start) and removes every other segment file. A segment
//     starting exactly at the snapshot's offset in another DB is
//     ErrMismatch: the caller then trusts neither for a partial resync.
//     Replaying stops at the last command boundary outside MULTI; the
//     caller then cuts the torn tail with TruncateTo. The journal does not
//     frame commands: its caller marks boundaries (TruncateTo, Restart).
//   - Writer side: Append, SwitchReplID, Restart, TruncateTo and Repair
//     are called by one goroutine at a time (the follower hands the role
//     from its connection goroutine to the stream reader and back, with
//     a join in between). Append takes bytes as received (commands may be
//     cut anywhere) and writes them to the file before publishing them to
//     readers; a failed write is cut off again and makes the journal
//     broken (ErrBroken, sticky) until Repair, so a full disk never leaves
//     a hole or garbage in the middle of a segment. Segments rotate at
//     SegmentBytes wherever the stream is (the header's DB is then
//     UnknownDB).
//   - Durability: Fsync always (after every append), everysec (a goroutine
//     owned by the Journal, joined by Close) or no. New segment files are
//     created through a temp file and a rename, and the directory is
//     fsynced (except under no).
//   - Readers (Reader) see every byte up to the end, from an in-memory tail
//     of recent bytes (MemoryBytes) or else from the files, so the hot
//     path never re-reads the disk. A following reader blocks until more
//     bytes, Stop, Seal or Close. TruncateTo must not cut bytes a reader
//     has read: the caller stops its readers first.
//   - DropBefore(off) removes the segments a snapshot at off covers
//     (compaction); Restart starts a new history after a full sync (the
//     previous files stay until DropStale, called once the new snapshot is
//     durable).
package journal
