package rdbload

import "encoding/binary"

// lzfMaxRatio bounds how much LZF can expand: the longest back reference
// (3 input bytes) produces 264 output bytes. A claimed uncompressed length
// beyond clen*lzfMaxRatio is corrupt, which bounds the allocation by the
// bytes that actually arrived.
const lzfMaxRatio = 88

// lzfDecompress decompresses in into out, which must be exactly the
// uncompressed length; it reports false on malformed input or a length
// mismatch (as Redis's lzf_decompress(...) != len check does).
//
// Where the buffers have room, short literal runs and back references are
// copied 8 bytes at a time (a back reference closer than 8 bytes as its
// repeating pattern), writing up to 15 bytes past the run's end: those
// bytes of out are not final yet and are overwritten by what follows (a
// back reference only reads bytes before op, which are final).
func lzfDecompress(in, out []byte) bool {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if op+n > len(out) || ip+n > len(in) {
				return false
			}
			if n <= 16 && ip+16 <= len(in) && op+16 <= len(out) {
				binary.LittleEndian.PutUint64(out[op:], binary.LittleEndian.Uint64(in[ip:]))
				binary.LittleEndian.PutUint64(out[op+8:], binary.LittleEndian.Uint64(in[ip+8:]))
			} else {
				copy(out[op:op+n], in[ip:ip+n])
			}
			op += n
			ip += n
			continue
		}
		n := ctrl >> 5
		ref := op - ((ctrl & 0x1f) << 8) - 1
		if n == 7 {
			if ip >= len(in) {
				return false
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return false
		}
		ref -= int(in[ip])
		ip++
		n += 2
		if op+n > len(out) || ref < 0 {
			return false
		}
		// Copy 8 bytes at a time while the buffer has room for the
		// overshoot, then byte by byte (which is exactly LZF's
		// overlapping-copy semantics).
		i := 0
		if dist := op - ref; dist >= 8 {
			for ; i < n && op+i+8 <= len(out); i += 8 {
				binary.LittleEndian.PutUint64(out[op+i:], binary.LittleEndian.Uint64(out[ref+i:]))
			}
		} else {
			// The run repeats the last dist bytes: store 8 bytes of that
			// pattern every multiple of dist.
			var w uint64
			if dist == 1 { // a run of one byte, the most common case
				w = uint64(out[ref]) * 0x0101010101010101
			} else {
				var pat [8]byte
				for j, k := 0, 0; j < len(pat); j++ {
					pat[j] = out[ref+k]
					if k++; k == dist {
						k = 0
					}
				}
				w = binary.LittleEndian.Uint64(pat[:])
			}
			step := 8 - 8%dist
			for ; i < n && op+i+8 <= len(out); i += step {
				binary.LittleEndian.PutUint64(out[op+i:], w)
			}
		}
		for ; i < n; i++ {
			out[op+i] = out[ref+i]
		}
		op += n
	}
	return op == len(out)
}
