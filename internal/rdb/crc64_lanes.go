package rdb

import "encoding/binary"

// Faster CRC-64 for large inputs: the input is cut into crcLanes equal
// lanes whose CRCs are computed in one interleaved loop (independent
// dependency chains keep the CPU's load and xor units busy), then joined
// with the CRC combination rule. The CRC is linear (initial value 0, no
// final xor), so for consecutive parts A and B
//
//	crc(A‖B) = crc(A)·x^(8·|B|) mod P  ⊕  crc(B)
//
// with the multiplication done in GF(2)[x] modulo the Jones polynomial, in
// the reflected bit order the tables use (bit 63 is the x^0 coefficient).

const (
	crcLanes    = 4
	crcLanesMin = 4 << 10 // below this, the plain slicing-by-8 loop
)

// crcMulMod returns a·b mod P (reflected representation).
func crcMulMod(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	var p uint64
	for m := uint64(1) << 63; ; m >>= 1 {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				return p
			}
		}
		if b&1 != 0 {
			b = b>>1 ^ crcPolyReversed
		} else {
			b >>= 1
		}
	}
}

// crcXPow8n returns x^(8n) mod P (reflected), by square-and-multiply.
func crcXPow8n(n uint64) uint64 {
	const one = uint64(1) << 63 // x^0
	result := one
	sq := uint64(1) << (63 - 8) // x^8
	for n != 0 {
		if n&1 != 0 {
			result = crcMulMod(result, sq)
		}
		sq = crcMulMod(sq, sq)
		n >>= 1
	}
	return result
}

// crc64Lanes is CRC64 for len(p) >= crcLanesMin.
func crc64Lanes(crc uint64, p []byte) uint64 {
	t := &crcTables
	lane := len(p) / crcLanes &^ 7
	p0, p1, p2, p3 := p[:lane], p[lane:2*lane], p[2*lane:3*lane], p[3*lane:4*lane]
	c0, c1, c2, c3 := crc, uint64(0), uint64(0), uint64(0)
	for i := 0; i+8 <= lane; i += 8 {
		c0 ^= binary.LittleEndian.Uint64(p0[i:])
		c1 ^= binary.LittleEndian.Uint64(p1[i:])
		c2 ^= binary.LittleEndian.Uint64(p2[i:])
		c3 ^= binary.LittleEndian.Uint64(p3[i:])
		c0 = t[7][c0&0xff] ^ t[6][(c0>>8)&0xff] ^ t[5][(c0>>16)&0xff] ^ t[4][(c0>>24)&0xff] ^
			t[3][(c0>>32)&0xff] ^ t[2][(c0>>40)&0xff] ^ t[1][(c0>>48)&0xff] ^ t[0][c0>>56]
		c1 = t[7][c1&0xff] ^ t[6][(c1>>8)&0xff] ^ t[5][(c1>>16)&0xff] ^ t[4][(c1>>24)&0xff] ^
			t[3][(c1>>32)&0xff] ^ t[2][(c1>>40)&0xff] ^ t[1][(c1>>48)&0xff] ^ t[0][c1>>56]
		c2 = t[7][c2&0xff] ^ t[6][(c2>>8)&0xff] ^ t[5][(c2>>16)&0xff] ^ t[4][(c2>>24)&0xff] ^
			t[3][(c2>>32)&0xff] ^ t[2][(c2>>40)&0xff] ^ t[1][(c2>>48)&0xff] ^ t[0][c2>>56]
		c3 = t[7][c3&0xff] ^ t[6][(c3>>8)&0xff] ^ t[5][(c3>>16)&0xff] ^ t[4][(c3>>24)&0xff] ^
			t[3][(c3>>32)&0xff] ^ t[2][(c3>>40)&0xff] ^ t[1][(c3>>48)&0xff] ^ t[0][c3>>56]
	}
	x := crcXPow8n(uint64(lane))
	c := crcMulMod(c0, x) ^ c1
	c = crcMulMod(c, x) ^ c2
	c = crcMulMod(c, x) ^ c3
	return crc64Small(c, p[4*lane:])
}
