// Package rdbload is the project's own streaming RDB decoder: it reads
// every RDB a supported server writes (Redis RDB versions 1 to 12, i.e.
// Redis 2.x to 8.4, and Valkey 9's "VALKEY080") and loads it into a fresh
// *store.Store, or hands each record to a Handler.
//
// Entry points:
//
//   - Load(r, opts) decodes a whole RDB into a new store. The store is
//     returned only when everything decoded and the CRC-64 matched; on any
//     error it is nil, never a partial load.
//   - Decode(r, h, opts) streams the same records to a Handler (AUX fields,
//     SELECTDB, function libraries, MODULE_AUX records, and keys as
//     *store.Entry with their expiry, LRU/LFU metadata and the record's
//     offset and size in the input), for tools that dump an RDB without
//     building a store. Load is built on it. A Handler that also
//     implements HeaderHandler gets the magic and version first; one that
//     implements KeySelector chooses the keys whose values it wants, and
//     the others are skipped without being decoded (summaries, filtered
//     dumps).
//   - DecodeDump(payload) decodes a DUMP/RESTORE payload (value, 2-byte
//     RDB version, CRC-64) into one entry.
//
// Input contract: r is bounded to exactly the payload (a $<len> limit or
// an EOF-mark reader on the replication link, or a file). The decoder
// reads ahead freely inside r, never needs its size, verifies the CRC-64
// over every byte before the 8 CRC bytes (a stored CRC of 0 means the file
// was written with rdbchecksum off, and is accepted, as Redis does), and
// fails if r has any byte after the CRC. RDB versions below 5 have no CRC
// and end at the EOF opcode.
//
// Semantics follow Redis's rdbLoadObject and rdbLoadRioWithLoadingCtx:
// expired keys are kept (a replica keeps them; the master sends the DEL),
// an expiry at or before the epoch is stored as 1 (0 means none), empty
// collections (files written by servers with redis#8453) are skipped with
// a warning, stream v1/v2 consumers get their seen-time as active-time and
// v1 streams derive entries-added, first ID and group entries-read as
// Redis does, hash field TTLs of types 24/25 are made absolute, types 22
// and 23 are the Redis 7.4 release-candidate hash formats under the REDIS
// magic and 22 is Valkey's HASH_2 under the VALKEY magic. Module values
// (type 7) keep their exact serialized value in store.Module.Raw: the
// bytes from the module ID's length encoding through the module EOF
// opcode, i.e. what follows the type byte in a DUMP payload and the key
// name in an RDB. MODULE_AUX records are kept raw in Info.ModuleAux (the
// bytes after the opcode, module ID through module EOF), passed to the
// Handler, and kept by Load in the store (Store.ModuleAux) for rdbsave to
// write back. IDLE/FREQ are passed to the Handler (KeyMeta, with the value's
// RDB type byte) but not kept by Load. The decoder is stricter than Redis
// in a few places where Redis trusts the file: duplicate set members, hash
// fields or sorted-set members inside compact encodings, stream entries
// out of ID order, and a stream length that disagrees with its entries are
// reported as corrupt.
//
// Errors are *Error values naming the byte offset, the database and key
// being decoded and what was expected, and wrap ErrCorrupt (bad data, CRC
// mismatch, trailing bytes), ErrUnsupported (a newer or release-candidate
// format: RDB 13+, KEY_META opcode 243 under REDIS, function format 246,
// module type 6), io.ErrUnexpectedEOF (the input ended early) or the
// reader's own error; test with errors.Is.
//
// Robustness: the decoder never panics on hostile input and never
// allocates more than what actually arrived: counts read from the input
// only ever give a capacity hint bounded by the bytes left in the input
// when its size is known (a bytes.Reader, strings.Reader,
// io.LimitedReader or regular file), else by a small constant (the
// RESIZEDB hint passed to a Resizer is bounded the same way), strings
// longer than the 1 MiB read
// buffer grow as their bytes arrive, LZF output is bounded by 88 times the
// compressed bytes read, and listpack, ziplist, intset and zipmap internal
// lengths are validated against their blob. Options.MaxLength (1 GiB by
// default) bounds any single string or element count.
//
// Memory ownership: everything handed to a Handler, and everything in the
// returned store, is owned by the receiver. Lists, sets, sorted sets and
// hashes are built with a store.Builder: a packed value (store/doc.go) is
// one allocation together with its *store.Entry and its key name; the
// elements of a big one share a few larger allocations (each slice has its
// capacity clipped to its length, so appending to one never overwrites
// another, and the strings, member and field names, are views of bytes
// never written again). A string key shares one allocation with its value
// (up to 512 bytes) and, when both fit store.MaxEmbedded bytes, with its
// *store.Entry too. The price of sharing: memory of a replaced or deleted
// element stays allocated while its neighbours live. Stream entries that
// share their node's master field names share those byte slices, and the
// fields of one stream node share an allocation.
//
// Concurrency: a decode of an input of 1 MB or more (or of unknown size)
// runs in parallel (parallel.go; Options.Workers: GOMAXPROCS, at most 4,
// by default): one goroutine reads the input and frames the key records
// (every length bounded and every byte folded into the CRC, as a skip
// does), workers decode the values, and the Handler is called on the
// calling goroutine, in file order, with exactly the calls a sequential
// decode makes — and, on bad input, the same error (TestParallelCorrupt,
// FuzzDecode). Every goroutine is joined before Decode returns. A smaller
// input, Workers: 1 or a KeySelector decode on the calling goroutine
// alone. The package has no global state.
package rdbload
