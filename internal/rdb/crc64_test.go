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

// TestCRC64Lanes checks the lane-interleaved path against the plain loop
// at sizes around the lane split and with non-zero starting CRCs.
func TestCRC64Lanes(t *testing.T) {
	crcOnce.Do(initCRC)
	r := rand.New(rand.NewPCG(2, 3))
	buf := make([]byte, 300<<10)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for _, n := range []int{crcLanesMin, crcLanesMin + 1, crcLanesMin + 7, crcLanesMin + 31, 64 << 10, 100003, len(buf)} {
		for _, start := range []uint64{0, 1, 0xdeadbeefcafef00d} {
			want := crc64Small(start, buf[:n])
			if got := crc64Lanes(start, buf[:n]); got != want {
				t.Fatalf("n=%d start=%#x: lanes %#x, plain %#x", n, start, got, want)
			}
		}
	}
	for i := 0; i < 200; i++ {
		a, b := r.Uint64(), r.Uint64()
		if crcMulMod(a, b) != crcMulMod(b, a) {
			t.Fatalf("crcMulMod not commutative for %#x, %#x", a, b)
		}
	}
}

func BenchmarkCRC64Small(b *testing.B) {
	crcOnce.Do(initCRC)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		crc64Small(0, buf)
	}
}
