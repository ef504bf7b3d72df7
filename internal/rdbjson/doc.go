// Package rdbjson renders keys as JSON lines, one object per key, in the
// shape of the fixtures' expected.jsonl (/work/shared/testdata/README.md):
// the shape `redis-follower rdb` prints and the tests compare.
//
// A line is
//
//	{"db": 0, "key": "k", "type": "hash", "value": [["f", "v"]], "expire": -1}
//
// written as Python's json.dumps writes it (", " and ": " separators,
// non-ASCII characters escaped as \uXXXX, floats in repr form such as
// 35.0, 1e+16, 1.5e-05), so that a line equals the fixture line byte for
// byte whenever the two datasets agree. Differences from the fixtures:
// a sorted-set score of ±infinity is the JSON string "Infinity" or
// "-Infinity" (json.dumps writes a bare Infinity, which is not JSON), and
// module values, which no fixture has, are rendered as
// {"module": "<type name>", "serialized": {"base64": "..."}}.
//
// Values:
//
//   - key and every string: a JSON string when the bytes are valid UTF-8 of
//     printable characters (Unicode categories L, M, N, P, S and the ASCII
//     space, as Python's str.isprintable), else {"base64": "<standard
//     base64 with padding>"}.
//   - expire: absolute Unix milliseconds, -1 for none.
//   - string: the string. list: array in order. set: array sorted by
//     bytes. zset: array of [member, score] in (score, member) order.
//   - hash: array of [field, value] sorted by field bytes, or of
//     [field, value, field-expire-ms] (-1 for none) when
//     Options.FieldTTLs (the RDB format can carry field TTLs: Redis RDB 12+
//     or Valkey's VALKEY080).
//   - stream: [entries, groups, metadata]: entries as [id, [f, v, ...]]
//     in ID order (field order and repeated field names kept); groups by
//     name as [name, last-delivered-id, PEL as [[id, delivery-count], ...]
//     by ID, consumers with a non-empty PEL as [[name, [ids...]], ...] by
//     name]; metadata as [["entries-added", n], ["last-generated-id", id],
//     ["max-deleted-entry-id", id], ["recorded-first-entry-id", id]].
//     Delivery times, entries-read and consumer seen/active times are not
//     part of the shape.
//
// The package has no state; AppendKey allocates only for sorting and
// base64 scratch.
package rdbjson
