package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redis-follower/redis-follower/internal/rdb"
)

// Segment file format (integers little-endian):
//
//	offset size field
//	     0    8 magic "RFJRNL01"
//	     8    4 header size (HeaderSize)
//	    12    8 base: replication offset before the segment's first byte
//	    20    4 db: stream database selected at base (-1: unknown)
//	    24   40 replid: replication id of the bytes in the segment
//	    64   40 prev: replication id at base (== replid, except where a
//	             +CONTINUE <newid> switched ids at exactly this offset)
//	   104    4 CRC-32C of bytes 0..103
//	   108   20 zero padding
//	   128    … raw stream bytes: byte i of the data is stream byte base+1+i
//
// A segment is named by the offset of its first byte: %020d.seg of base+1.
const (
	// HeaderSize is the size of a segment header.
	HeaderSize = 128
	magic      = "RFJRNL01"
	segSuffix  = ".seg"
	tmpSuffix  = ".tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// UnknownDB in a header: the segment starts where the writer did not know
// the selected DB (a size rotation inside the stream).
const UnknownDB = -1

// Header describes a segment.
type Header struct {
	Base   int64  // replication offset before the first byte
	DB     int    // stream DB selected at Base, or UnknownDB
	ReplID string // replication id of the segment's bytes
	PrevID string // replication id at Base
}

func (h Header) encode() []byte {
	b := make([]byte, HeaderSize)
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[8:], HeaderSize)
	binary.LittleEndian.PutUint64(b[12:], uint64(h.Base))
	binary.LittleEndian.PutUint32(b[20:], uint32(int32(h.DB)))
	copy(b[24:64], h.ReplID)
	copy(b[64:104], h.PrevID)
	binary.LittleEndian.PutUint32(b[104:], crc32.Checksum(b[:104], castagnoli))
	return b
}

var errBadHeader = errors.New("not a journal segment header")

func decodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize || string(b[:8]) != magic {
		return Header{}, fmt.Errorf("%w: bad magic", errBadHeader)
	}
	if binary.LittleEndian.Uint32(b[8:]) != HeaderSize {
		return Header{}, fmt.Errorf("%w: unknown header size", errBadHeader)
	}
	if crc32.Checksum(b[:104], castagnoli) != binary.LittleEndian.Uint32(b[104:]) {
		return Header{}, fmt.Errorf("%w: checksum mismatch", errBadHeader)
	}
	h := Header{
		Base:   int64(binary.LittleEndian.Uint64(b[12:])),
		DB:     int(int32(binary.LittleEndian.Uint32(b[20:]))),
		ReplID: string(b[24:64]),
		PrevID: string(b[64:104]),
	}
	if h.Base < 0 || h.DB < UnknownDB || !rdb.ValidReplID(h.ReplID) || !rdb.ValidReplID(h.PrevID) {
		return Header{}, fmt.Errorf("%w: invalid field", errBadHeader)
	}
	return h, nil
}

// segName is the file name of a segment whose first byte is base+1.
func segName(base int64) string { return fmt.Sprintf("%020d%s", base+1, segSuffix) }

// parseSegName returns the base of a segment file name.
func parseSegName(name string) (int64, bool) {
	s, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, false
	}
	return n - 1, true
}

// segment is one segment file of the journal.
type segment struct {
	Header
	path string
	size int64 // data bytes (file size - HeaderSize)
	// from is the offset the chain reaches when this segment takes over:
	// the segment serves bytes from+1 .. Base+size (from >= Base).
	from int64
}

func (s *segment) end() int64 { return s.Base + s.size }

// readSegment reads a segment file's header and size.
func readSegment(path string) (*segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, HeaderSize)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadHeader, err)
	}
	h, err := decodeHeader(b)
	if err != nil {
		return nil, err
	}
	if base, ok := parseSegName(filepath.Base(path)); !ok || base != h.Base {
		return nil, fmt.Errorf("%w: file name does not match its base offset %d", errBadHeader, h.Base)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &segment{Header: h, path: path, size: st.Size() - HeaderSize, from: h.Base}, nil
}
