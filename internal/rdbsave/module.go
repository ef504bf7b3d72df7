package rdbsave

import (
	"encoding/binary"
	"fmt"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// moduleCharset is the alphabet of module type names (module.c).
const moduleCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// moduleTypeName decodes the 9-character type name from a module type id
// (the top 54 bits, 6 bits per character; the low 10 bits are the
// encoding version).
func moduleTypeName(id uint64) string {
	var name [9]byte
	id >>= 10
	for i := 8; i >= 0; i-- {
		name[i] = moduleCharset[id&63]
		id >>= 6
	}
	return string(name[:])
}

// checkModuleRaw verifies that m.Raw is a well-formed MODULE_2 value: the
// module id (matching m.ModuleID and m.TypeName when those are set), then
// opcode-prefixed items (signed/unsigned lengths, 4-byte floats, 8-byte
// doubles, RDB strings) ending with the EOF opcode as its last byte. Only
// such a value can be written back byte-identical for a server with the
// module to load.
func checkModuleRaw(m *store.Module) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: module value (type %q) raw bytes are not a MODULE_2 serialization: %s", ErrUnrepresentable, m.TypeName, why)
	}
	p := m.Raw
	id, n, ok := readLen(p)
	if !ok {
		return bad("no module id")
	}
	if m.ModuleID != 0 && id != m.ModuleID {
		return bad(fmt.Sprintf("module id %#x, entry says %#x", id, m.ModuleID))
	}
	if m.TypeName != "" && moduleTypeName(id) != m.TypeName {
		return bad(fmt.Sprintf("module id names type %q", moduleTypeName(id)))
	}
	p = p[n:]
	for {
		op, n, ok := readLen(p)
		if !ok {
			return bad("truncated before the EOF opcode")
		}
		p = p[n:]
		switch op {
		case rdb.ModuleOpEOF:
			if len(p) != 0 {
				return bad(fmt.Sprintf("%d bytes after the EOF opcode", len(p)))
			}
			return nil
		case rdb.ModuleOpSInt, rdb.ModuleOpUInt:
			if _, n, ok = readLen(p); !ok {
				return bad("truncated integer")
			}
			p = p[n:]
		case rdb.ModuleOpFloat, rdb.ModuleOpDouble:
			w := 4
			if op == rdb.ModuleOpDouble {
				w = 8
			}
			if len(p) < w {
				return bad("truncated float")
			}
			p = p[w:]
		case rdb.ModuleOpString:
			n, ok := skipString(p)
			if !ok {
				return bad("truncated or malformed string")
			}
			p = p[n:]
		default:
			return bad(fmt.Sprintf("unknown module opcode %d", op))
		}
	}
}

// readLen decodes an RDB length (not a special encoding) at the start of p.
func readLen(p []byte) (v uint64, n int, ok bool) {
	if len(p) == 0 {
		return 0, 0, false
	}
	switch p[0] >> 6 {
	case rdb.Len6Bit:
		return uint64(p[0] & 0x3f), 1, true
	case rdb.Len14Bit:
		if len(p) < 2 {
			return 0, 0, false
		}
		return uint64(p[0]&0x3f)<<8 | uint64(p[1]), 2, true
	}
	switch p[0] {
	case rdb.Len32Bit:
		if len(p) < 5 {
			return 0, 0, false
		}
		return uint64(binary.BigEndian.Uint32(p[1:])), 5, true
	case rdb.Len64Bit:
		if len(p) < 9 {
			return 0, 0, false
		}
		return binary.BigEndian.Uint64(p[1:]), 9, true
	}
	return 0, 0, false
}

// skipString returns the size of the RDB string at the start of p.
func skipString(p []byte) (int, bool) {
	if len(p) == 0 {
		return 0, false
	}
	if p[0]>>6 == rdb.LenEncVal {
		switch p[0] & 0x3f {
		case rdb.EncInt8:
			return 2, len(p) >= 2
		case rdb.EncInt16:
			return 3, len(p) >= 3
		case rdb.EncInt32:
			return 5, len(p) >= 5
		case rdb.EncLZF:
			clen, n1, ok := readLen(p[1:])
			if !ok {
				return 0, false
			}
			_, n2, ok := readLen(p[1+n1:])
			if !ok || clen > uint64(len(p)-1-n1-n2) {
				return 0, false
			}
			return 1 + n1 + n2 + int(clen), true
		}
		return 0, false
	}
	l, n, ok := readLen(p)
	if !ok || l > uint64(len(p)-n) {
		return 0, false
	}
	return n + int(l), true
}

// Values of a MODULE_AUX record's "when" field (REDISMODULE_AUX_*).
const (
	auxBeforeRDB = 1
	auxAfterRDB  = 2
)

// splitModuleAux checks the raw MODULE_AUX records (module ID, the UINT
// opcode, "when", opcode-prefixed module data, EOF opcode) and splits
// them by where Redis saves them: before the function libraries and the
// keyspace, or after the keyspace (when is REDISMODULE_AUX_AFTER_RDB).
// Records keep their order within each group.
func splitModuleAux(records [][]byte) (before, after [][]byte, err error) {
	for i, raw := range records {
		bad := func(why string) error {
			return fmt.Errorf("rdbsave: MODULE_AUX record %d: %w: not a MODULE_AUX serialization: %s", i, ErrUnrepresentable, why)
		}
		id, n, ok := readLen(raw)
		if !ok {
			return nil, nil, bad("no module id")
		}
		if err := checkModuleRaw(&store.Module{Raw: raw}); err != nil {
			return nil, nil, bad(fmt.Sprintf("module %q: %v", moduleTypeName(id), err))
		}
		op, m, ok := readLen(raw[n:])
		if !ok || op != rdb.ModuleOpUInt {
			return nil, nil, bad("the when-opcode is not UINT")
		}
		when, _, _ := readLen(raw[n+m:])
		if when == auxAfterRDB {
			after = append(after, raw)
		} else {
			before = append(before, raw)
		}
	}
	return before, after, nil
}
