// Package rdbsave writes a store as an RDB file that a stock redis-server
// (or valkey-server) of the master's version loads, and single values as
// DUMP payloads that RESTORE accepts.
//
// Contract:
//
//   - Versions: 9 (Redis 5.0-6.2), 10 (7.0, the default), 11 (7.2, Valkey
//     7.2-8.x), 12 (7.4-8.x) and 80 (Valkey 9, magic "VALKEY080").
//   - Layout (as Redis's rdbSaveRio): header, the caller's AUX fields in
//     order, the store's MODULE_AUX records saved before the keyspace,
//     function libraries (FUNCTION2, sorted by name, version >= 10), then
//     per non-empty database SELECTDB, RESIZEDB (keys, keys with an
//     expire) and the keys, each preceded by EXPIRETIME_MS when it has an
//     expire; then the MODULE_AUX records whose "when" field is
//     REDISMODULE_AUX_AFTER_RDB (2), EOF and the CRC-64 (little-endian).
//     MODULE_AUX records (Store.ModuleAux, kept by rdbload.Load) are written
//     back byte-identical, in their order, after checking that each is a
//     well-formed record (module ID, UINT when, module data, EOF). Keys are written in the store's map order,
//     which is unspecified: two writes of the same store may differ in key
//     order (and in the order of set members and hash fields) but load to
//     the same dataset. Empty lists, sets, sorted sets and hashes (which
//     the store should never hold) are not written, Redis's loader would
//     drop them, but RESIZEDB, a sizing hint computed without touching the
//     values, still counts them. No IDLE/FREQ opcodes.
//   - Encodings follow what Redis of the target version saves, with its
//     compiled-in default thresholds (hash-max-listpack-entries 512, which
//     the redis.conf Redis ships lowers to 128; zset 128; intset 512; set
//     listpack 128; values 64 bytes), so the loading server gets the same
//     compact encodings; its loader re-applies its own configured
//     thresholds in both directions anyway (list node layout excepted): strings as INT8/16/32 when canonical integers, optionally
//     LZF; lists as QUICKLIST_2 of listpack nodes split like quicklist.c
//     with list-max-listpack-size -2 (8 KB), PLAIN nodes from 1 GB, or for
//     version 9 a QUICKLIST of ziplists split like Redis 6.2; sets as intset
//     (<= 512 integers), listpack (>= 11, <= 128 members of <= 64 bytes) or
//     hashtable; sorted sets as listpack (>= 10) / ziplist (9) when <= 128
//     members of <= 64 bytes, else ZSET_2 (binary scores, greatest first);
//     hashes as listpack / ziplist when <= 512 fields and values of <= 64
//     bytes, else hashtable; hashes with field TTLs as HASH_LISTPACK_EX or
//     HASH_METADATA (12) or Valkey's HASH_2 (80) and refused below; streams
//     as STREAM_LISTPACKS (9), _2 (10) or _3 (>= 11) with nodes laid out as
//     XADD builds them (<= 100 entries, split at 4096 bytes); modules as
//     MODULE_2 with the raw bytes written back verbatim after checking they
//     are a well-formed module serialization.
//   - Listpack and ziplist entries are encoded exactly as listpack.c and
//     ziplist.c do (integer widths, string length forms, backlen, prevlen,
//     element-count saturation); strings become integers only in canonical
//     decimal form.
//   - Versions below what a value needs: hash field TTLs need 12 or 80,
//     functions need 10. Write fails naming the key (errors wrap
//     ErrUnrepresentable). Stream metadata a version lacks (first ID,
//     max-deleted ID, entries-added, entries-read below 10, consumer
//     active-time below 11) is left out, as the server of that version
//     would do.
//   - Errors: on any error the output is truncated before the EOF opcode, so
//     no loader accepts it; WriteFile removes its temp file and leaves the
//     destination untouched.
//   - Concurrency: Write reads the store; the caller holds its read lock for
//     the whole call. Nothing is retained after return; the package has no
//     global state.
//   - Speed: output goes through one buffer flushed in 128 KB chunks (large
//     strings bypass it) with the CRC computed per chunk; per-value scratch
//     buffers are reused, so steady-state writing allocates little.
package rdbsave
