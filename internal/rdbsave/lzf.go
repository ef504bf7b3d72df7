package rdbsave

// LZF (the format of liblzf, which Redis uses for RDB strings):
//
//	000LLLLL  <L+1 literal bytes>          literal run of 1..32 bytes
//	LLLooooo  oooooooo                     back reference, length L+2 (3..8)
//	111ooooo  LLLLLLLL oooooooo            back reference, length L+9 (9..264)
//
// where the offset o+1 (1..8192) counts back from the current output
// position. This is an independent greedy compressor for that format: a
// hash of the next three bytes finds the most recent candidate, which is
// verified byte by byte, so stale table entries are harmless.

const (
	lzfHashLog  = 14
	lzfMaxLit   = 32
	lzfMaxOff   = 1 << 13
	lzfMaxMatch = 264 // 2 + 7 + 255
)

// lzfTable maps a 3-byte hash to the last position+1 it was seen at.
type lzfTable [1 << lzfHashLog]uint32

func lzfHash(a, b, c byte) uint32 {
	v := uint32(a)<<16 | uint32(b)<<8 | uint32(c)
	return (v * 2654435761) >> (32 - lzfHashLog)
}

// lzfCompress appends the LZF compression of in to dst. It gives up and
// reports false as soon as the output would exceed max bytes (or when in
// is too short to compress), as lzf_compress does with its out_len.
func lzfCompress(dst, in []byte, max int, tab *lzfTable) ([]byte, bool) {
	n := len(in)
	if n < 3 || max <= 0 {
		return dst, false
	}
	base := len(dst)
	limit := base + max
	ctrl := len(dst) // position of the open literal run's control byte
	dst = append(dst, 0)
	lit := 0
	ip := 0
	for ip < n-2 {
		h := lzfHash(in[ip], in[ip+1], in[ip+2])
		ref := int(tab[h]) - 1
		tab[h] = uint32(ip + 1)
		if ref >= 0 && ref < ip && ip-ref <= lzfMaxOff &&
			in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			maxLen := n - ip
			if maxLen > lzfMaxMatch {
				maxLen = lzfMaxMatch
			}
			l := 3
			for l < maxLen && in[ref+l] == in[ip+l] {
				l++
			}
			// Close the literal run (or drop its unused control byte).
			if lit > 0 {
				dst[ctrl] = byte(lit - 1)
			} else {
				dst = dst[:len(dst)-1]
			}
			off := ip - ref - 1
			if L := l - 2; L < 7 {
				dst = append(dst, byte(off>>8)|byte(L)<<5, byte(off))
			} else {
				dst = append(dst, byte(off>>8)|7<<5, byte(L-7), byte(off))
			}
			// Index a couple of positions inside the match for later ones.
			end := ip + l
			for p := ip + 1; p < end && p < n-2 && p < ip+3; p++ {
				tab[lzfHash(in[p], in[p+1], in[p+2])] = uint32(p + 1)
			}
			ip = end
			ctrl = len(dst)
			dst = append(dst, 0)
			lit = 0
		} else {
			dst = append(dst, in[ip])
			ip++
			lit++
			if lit == lzfMaxLit {
				dst[ctrl] = lzfMaxLit - 1
				ctrl = len(dst)
				dst = append(dst, 0)
				lit = 0
			}
		}
		if len(dst) > limit+1 { // +1: the open control byte may be dropped
			return dst[:base], false
		}
	}
	for ; ip < n; ip++ {
		dst = append(dst, in[ip])
		lit++
		if lit == lzfMaxLit {
			dst[ctrl] = lzfMaxLit - 1
			ctrl = len(dst)
			dst = append(dst, 0)
			lit = 0
		}
	}
	if lit > 0 {
		dst[ctrl] = byte(lit - 1)
	} else {
		dst = dst[:len(dst)-1]
	}
	if len(dst)-base > max {
		return dst[:base], false
	}
	return dst, true
}
