package rdb

// ReplIDLen is the length of a replication id (the repl-id AUX field,
// PSYNC's replid, the journal's segment headers).
const ReplIDLen = 40

// ValidReplID reports whether id is a 40-character hex replication id.
func ValidReplID(id string) bool {
	if len(id) != ReplIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
