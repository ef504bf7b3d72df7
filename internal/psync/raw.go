package psync

// Read reads raw replication-stream bytes (after PSYNC and any payload):
// the bytes already buffered first, then the connection, under the idle
// timeout. It is for a consumer that keeps the stream verbatim (the
// follower's journal) and frames commands itself; do not mix it with
// ReadCommand on the same Link.
func (l *Link) Read(p []byte) (int, error) { return l.rd.Read(p) }
