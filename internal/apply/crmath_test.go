package apply

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

const refPrec = 256

func refSinCos(x float64) (float64, float64) {
	bx := new(big.Float).SetPrec(refPrec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(refPrec).Mul(bx, bx)
	s := new(big.Float).SetPrec(refPrec).Set(bx)
	c := new(big.Float).SetPrec(refPrec).SetInt64(1)
	st := new(big.Float).SetPrec(refPrec).Set(bx)
	ct := new(big.Float).SetPrec(refPrec).SetInt64(1)
	for k := int64(1); k < 80; k++ {
		st.Mul(st, x2).Quo(st, new(big.Float).SetInt64((2*k)*(2*k+1))).Neg(st)
		ct.Mul(ct, x2).Quo(ct, new(big.Float).SetInt64((2*k-1)*(2*k))).Neg(ct)
		s.Add(s, st)
		c.Add(c, ct)
	}
	fs, _ := s.Float64()
	fc, _ := c.Float64()
	return fs, fc
}

// TestCorrectlyRounded checks the double-double sin, cos and asin against
// a 256-bit reference over the argument ranges the GEO code uses.
func TestCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	bad := 0
	for i := 0; i < 3000; i++ {
		x := (r.Float64()*2 - 1) * 3.2
		if i%3 == 0 {
			x = (r.Float64()*2 - 1) * 1e-3
		}
		ws, wc := refSinCos(x)
		if got := crSin(x); got != ws {
			bad++
			t.Logf("sin(%v) = %v, want %v", x, got, ws)
		}
		if got := crCos(x); got != wc {
			bad++
			t.Logf("cos(%v) = %v, want %v", x, got, wc)
		}
		// asin: check sin(asin(y)) brackets y at the reference precision.
		y := r.Float64()
		a := crAsin(y)
		lo, _ := refSinCos(math.Nextafter(a, -1))
		hi, _ := refSinCos(math.Nextafter(a, 2))
		if !(lo <= y && y <= hi) {
			bad++
			t.Logf("asin(%v) = %v: sin of its neighbours %v %v", y, a, lo, hi)
		}
	}
	if bad > 0 {
		t.Errorf("%d results not correctly rounded", bad)
	}
}
