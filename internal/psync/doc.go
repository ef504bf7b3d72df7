// Package psync is the replica side of the Redis/Valkey replication
// protocol (see shared/docs/protocol.md §2–§5).
//
// Contract:
//
//   - Handshake is an I/O-free state machine: PING, AUTH (when a password is
//     set), REPLCONF listening-port, [ip-address], capa eof capa psync2,
//     [version], then PSYNC <replid> <offset+1> or PSYNC ? -1 — one command
//     at a time, every reply line classified (protocol.md §2.5); blank
//     keepalive lines are skipped.
//   - ParsePreamble and PayloadReader frame the full-sync payload: "$<len>"
//     (no trailing CRLF) or diskless "$EOF:<40-byte mark>" found with a
//     window that rolls across reads. The RDB decoder only ever sees a reader
//     bounded to exactly the payload.
//   - Link drives a net.Conn (through an injected Dialer, optionally TLS):
//     one resp.Reader for the life of the connection, so nothing buffered
//     after a reply line or the payload is lost; an idle timeout on every
//     read; REPLCONF ACK sending, safe concurrently with reads; a keepalive
//     goroutine owned by the Link and joined by Close.
//   - Nothing but REPLCONF ACK is ever written after PSYNC.
//   - Errors are *Error values classified by recovery (Transient: reconnect
//     and resume; Protocol: drop the cached state and full-resync; Fatal:
//     configuration or permission, stop). Network errors are Transient.
//
// psync knows nothing of the store or of applying commands.
package psync
