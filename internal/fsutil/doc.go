// Package fsutil holds the file-system steps the data directory's
// durability rests on, shared by the journal, the snapshot writer and
// the full sync: SyncDir makes a rename or a new file in a directory
// durable. No state, no goroutines.
package fsutil
