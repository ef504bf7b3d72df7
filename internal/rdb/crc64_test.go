package rdb

import (
	"math/rand/v2"
	"testing"
)

func TestCRC64Vector(t *testing.T) {
	// The check value from Redis's crc64.c self-test.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x", got)
	}
}

func TestCRC64Incremental(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	buf := make([]byte, 5000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	whole := CRC64(0, buf)
	for cut := 0; cut < len(buf); cut += 37 {
		if got := CRC64(CRC64(0, buf[:cut]), buf[cut:]); got != whole {
			t.Fatalf("split at %d: %#x != %#x", cut, got, whole)
		}
	}
}

func BenchmarkCRC64(b *testing.B) {
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		CRC64(0, buf)
	}
}
