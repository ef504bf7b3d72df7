package rdbsave

import (
	"fmt"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

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
	id, n, ok := rdb.Length(p)
	if !ok {
		return bad("no module id")
	}
	if m.ModuleID != 0 && id != m.ModuleID {
		return bad(fmt.Sprintf("module id %#x, entry says %#x", id, m.ModuleID))
	}
	if m.TypeName != "" && rdb.ModuleTypeName(id) != m.TypeName {
		return bad(fmt.Sprintf("module id names type %q", rdb.ModuleTypeName(id)))
	}
	p = p[n:]
	for {
		op, n, ok := rdb.Length(p)
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
			if _, n, ok = rdb.Length(p); !ok {
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
			clen, n1, ok := rdb.Length(p[1:])
			if !ok {
				return 0, false
			}
			_, n2, ok := rdb.Length(p[1+n1:])
			if !ok || clen > uint64(len(p)-1-n1-n2) {
				return 0, false
			}
			return 1 + n1 + n2 + int(clen), true
		}
		return 0, false
	}
	l, n, ok := rdb.Length(p)
	if !ok || l > uint64(len(p)-n) {
		return 0, false
	}
	return n + int(l), true
}

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
		id, when, ok := rdb.ModuleAuxHeader(raw)
		if !ok {
			return nil, nil, bad("no module id, UINT opcode and when field")
		}
		if err := checkModuleRaw(&store.Module{Raw: raw}); err != nil {
			return nil, nil, bad(fmt.Sprintf("module %q: %v", rdb.ModuleTypeName(id), err))
		}
		if when == rdb.ModuleAuxAfterRDB {
			after = append(after, raw)
		} else {
			before = append(before, raw)
		}
	}
	return before, after, nil
}
