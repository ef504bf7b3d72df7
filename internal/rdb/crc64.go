package rdb

import "sync"

// The CRC-64 Redis uses (crc64.c): "Jones" polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0, no final xor. The reversed
// polynomial below drives the LSB-first table.
const crcPolyReversed = 0x95ac9329ac4bc9b5

var (
	crcOnce   sync.Once
	crcTables [8][256]uint64
)

func initCRC() {
	for i := 0; i < 256; i++ {
		c := uint64(i)
		for j := 0; j < 8; j++ {
			if c&1 == 1 {
				c = (c >> 1) ^ crcPolyReversed
			} else {
				c >>= 1
			}
		}
		crcTables[0][i] = c
	}
	for i := 0; i < 256; i++ {
		c := crcTables[0][i]
		for t := 1; t < 8; t++ {
			c = crcTables[0][c&0xff] ^ (c >> 8)
			crcTables[t][i] = c
		}
	}
}

// CRC64 continues crc over p (start with 0).
func CRC64(crc uint64, p []byte) uint64 {
	crcOnce.Do(initCRC)
	if len(p) >= crcLanesMin {
		return crc64Lanes(crc, p)
	}
	return crc64Small(crc, p)
}

// crc64Small is CRC64 by slicing-by-8 (tables initialized).
func crc64Small(crc uint64, p []byte) uint64 {
	t := &crcTables
	for len(p) >= 8 {
		crc ^= uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
		crc = t[7][crc&0xff] ^ t[6][(crc>>8)&0xff] ^ t[5][(crc>>16)&0xff] ^ t[4][(crc>>24)&0xff] ^
			t[3][(crc>>32)&0xff] ^ t[2][(crc>>40)&0xff] ^ t[1][(crc>>48)&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ (crc >> 8)
	}
	return crc
}
