package rdbload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// DecodeDump decodes a DUMP/RESTORE payload: a type byte and a value in
// RDB encoding, then the 2-byte little-endian RDB version of the server
// that wrote it and an 8-byte little-endian CRC-64 of everything before
// the CRC. It accepts versions 1..12 (Redis) and 80 (Valkey 9, where type
// 22 is Valkey's HASH_2); the CRC must match. The entry has no expiry.
func DecodeDump(payload []byte) (*store.Entry, error) {
	if len(payload) < 11 {
		return nil, &Error{DB: -1, Msg: "DUMP payload of " + strconv.Itoa(len(payload)) +
			" bytes is shorter than type byte + version + CRC", Err: ErrCorrupt}
	}
	body := payload[:len(payload)-10]
	ver := int(binary.LittleEndian.Uint16(payload[len(payload)-10:]))
	crc := binary.LittleEndian.Uint64(payload[len(payload)-8:])
	if sum := rdb.CRC64(0, payload[:len(payload)-8]); sum != crc {
		return nil, &Error{Offset: int64(len(payload) - 8), DB: -1, Msg: "DUMP payload CRC-64 mismatch: payload says " +
			strconv.FormatUint(crc, 16) + ", content hashes to " + strconv.FormatUint(sum, 16), Err: ErrCorrupt}
	}
	valkey := false
	switch {
	case ver >= 1 && ver <= rdb.MaxRedisVersion:
	case ver == rdb.ValkeyVersion80:
		valkey = true
	default:
		return nil, &Error{Offset: int64(len(body)), DB: -1, Msg: "DUMP payload of RDB version " +
			strconv.Itoa(ver) + " is not supported", Err: ErrUnsupported}
	}
	d := newSizedDecoder(bytes.NewReader(body), nil, Options{})
	d.valkey, d.version = valkey, ver
	t, err := d.rd.readByte()
	if err != nil {
		return nil, d.wrap(err, "reading the type byte")
	}
	if !objectType(t, valkey) {
		return nil, &Error{DB: -1, Msg: "unknown RDB object type " + strconv.Itoa(int(t)), Err: ErrCorrupt}
	}
	e, err := d.readObject(t)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// The payload is complete in memory: running out is corruption.
		err = corrupt("the value runs past the end of the payload")
	}
	if err != nil {
		return nil, d.wrap(err, "reading a "+typeName(t, valkey)+" value")
	}
	if e == nil {
		return nil, d.wrap(corrupt("empty collection in a DUMP payload"), "")
	}
	if err := d.rd.atEOF(); err != nil {
		return nil, d.wrap(corrupt("DUMP payload has bytes after its value"), "")
	}
	return e, nil
}
