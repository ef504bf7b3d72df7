package rdb

import "encoding/binary"

// moduleTypeCharset maps the 6-bit groups of a module type ID to the
// characters of its 9-character name (module.c ModuleTypeNameCharSet).
const moduleTypeCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// ModuleTypeName decodes the 9-character type name from a 64-bit module
// type ID (the low 10 bits are the encoding version).
func ModuleTypeName(id uint64) string {
	var name [9]byte
	id >>= 10
	for j := 8; j >= 0; j-- {
		name[j] = moduleTypeCharset[id&63]
		id >>= 6
	}
	return string(name[:])
}

// Module aux "when" values (REDISMODULE_AUX_*): where a MODULE_AUX
// record is saved.
const (
	ModuleAuxBeforeRDB = 1
	ModuleAuxAfterRDB  = 2
)

// Length decodes the RDB length at the start of p (6-, 14-, 32- or
// 64-bit; not a special string encoding) and the bytes it takes; ok is
// false when p does not start with a complete length.
func Length(p []byte) (v uint64, n int, ok bool) {
	if len(p) == 0 {
		return 0, 0, false
	}
	switch p[0] >> 6 {
	case Len6Bit:
		return uint64(p[0] & 0x3f), 1, true
	case Len14Bit:
		if len(p) < 2 {
			return 0, 0, false
		}
		return uint64(p[0]&0x3f)<<8 | uint64(p[1]), 2, true
	}
	switch p[0] {
	case Len32Bit:
		if len(p) < 5 {
			return 0, 0, false
		}
		return uint64(binary.BigEndian.Uint32(p[1:])), 5, true
	case Len64Bit:
		if len(p) < 9 {
			return 0, 0, false
		}
		return binary.BigEndian.Uint64(p[1:]), 9, true
	}
	return 0, 0, false
}

// ModuleAuxHeader reads the start of a raw MODULE_AUX record (what
// follows opcode 247): the module type ID and the "when" field behind
// its UINT opcode. ok is false when the record does not start that way.
func ModuleAuxHeader(raw []byte) (id, when uint64, ok bool) {
	id, n, ok := Length(raw)
	if !ok {
		return 0, 0, false
	}
	op, m, ok := Length(raw[n:])
	if !ok || op != ModuleOpUInt {
		return 0, 0, false
	}
	when, _, ok = Length(raw[n+m:])
	return id, when, ok
}
