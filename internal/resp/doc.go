// Package resp frames the RESP2 protocol a master speaks on a replication
// link: reply lines during the handshake, and commands (arrays of bulk
// strings) in the replication stream.
//
// Contract:
//
//   - ParseCommand is a pure function over a byte slice: it returns views
//     into its input and the exact byte length of the command, or asks for
//     more bytes, or reports a *ProtocolError. It never panics and never
//     allocates in proportion to a length it has not yet seen the bytes of.
//   - Reader owns one buffer for the life of a connection, so the bytes that
//     follow a handshake reply or an RDB payload are never lost. Slices it
//     returns are valid until the next call on it; a caller that keeps an
//     argument copies it (once).
//   - Every count and length read from the wire is bounded by Limits before
//     anything is allocated for it.
//   - The byte count ReadCommand returns is the raw size on the wire, which
//     is exactly what the replication offset counts.
//
// The package imports only the standard library.
package resp
