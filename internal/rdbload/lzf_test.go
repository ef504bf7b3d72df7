package rdbload

import (
	"bytes"
	"testing"
)

// lzfReference is lzf_d.c's algorithm written plainly (byte-by-byte back
// references), the oracle for lzfDecompress's chunked copies.
func lzfReference(in []byte, outLen int) ([]byte, bool) {
	var out []byte
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			n := ctrl + 1
			if ip+n > len(in) || len(out)+n > outLen {
				return nil, false
			}
			out = append(out, in[ip:ip+n]...)
			ip += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(in) {
				return nil, false
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, false
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1 - int(in[ip])
		ip++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, false
		}
		for i := 0; i < n; i++ {
			out = append(out, out[ref+i])
		}
	}
	return out, len(out) == outLen
}

func FuzzLZF(f *testing.F) {
	f.Add([]byte{0x00, 'a', 0xE0, 90, 0x00}, 100)
	f.Add([]byte{0x02, 'a', 'b', 'c', 0x20, 0x02, 0xE0, 0x10, 0x01}, 26)
	f.Add([]byte{0x03, 1, 2, 3, 4, 0x40, 0x03}, 8)
	f.Fuzz(func(t *testing.T, in []byte, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		want, wok := lzfReference(in, n)
		out := make([]byte, n)
		ok := lzfDecompress(in, out)
		if ok != wok || (ok && !bytes.Equal(out, want)) {
			t.Fatalf("lzfDecompress(%x, %d) = %v %x, reference %v %x", in, n, ok, out, wok, want)
		}
	})
}
