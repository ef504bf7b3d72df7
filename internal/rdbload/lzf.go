package rdbload

// lzfMaxRatio bounds how much LZF can expand: the longest back reference
// (3 input bytes) produces 264 output bytes. A claimed uncompressed length
// beyond clen*lzfMaxRatio is corrupt, which bounds the allocation by the
// bytes that actually arrived.
const lzfMaxRatio = 88

// lzfDecompress decompresses in into out, which must be exactly the
// uncompressed length; it reports false on malformed input or a length
// mismatch (as Redis's lzf_decompress(...) != len check does).
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
			copy(out[op:op+n], in[ip:ip+n])
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
		// The copy may overlap its own output (a run repeating the last
		// op-ref bytes). Copying out[ref:op] as a whole keeps the result
		// periodic with that distance, so the chunk doubles each round.
		for n > 0 {
			k := copy(out[op:op+n], out[ref:op])
			op += k
			n -= k
		}
	}
	return op == len(out)
}
