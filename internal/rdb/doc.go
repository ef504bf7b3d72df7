// Package rdb holds what the RDB decoder (internal/rdbload) and writer
// (internal/rdbsave) share: the format's type and opcode numbers, the
// CRC-64 Redis uses ("Jones" polynomial, reflected, no final xor), and the
// encodings of lengths and small integers — and the replication id's
// format (ValidReplID), which the repl-id AUX field, PSYNC and the
// journal's segment headers share.
//
// It imports only the standard library and has no I/O.
package rdb
