package apply

import "math"

// Redis's GEO distances call glibc's sin, cos and asin, which are correctly
// rounded in all but about 0.1% of cases, while Go's math package differs
// from them in 8-30% of cases by an ulp. The stored distances of
// GEORADIUS ... STOREDIST and the inclusion of points on a search boundary
// depend on those last bits, so the functions here compute in
// double-double arithmetic (about 106 bits) and round once, giving the
// correctly rounded result. Explicit float64() conversions keep the
// compiler from fusing multiply-adds where C does not.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	e := (a - (s - bb)) + (b - bb)
	return dd{s, e}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(x, y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddNeg(x dd) dd { return dd{-x.hi, -x.lo} }

func ddMul(x, y dd) dd {
	p := twoProd(x.hi, y.hi)
	p.lo += float64(x.hi*y.lo) + float64(x.lo*y.hi)
	return quickTwoSum(p.hi, p.lo)
}

func ddMulF(x dd, f float64) dd {
	p := twoProd(x.hi, f)
	p.lo += float64(x.lo * f)
	return quickTwoSum(p.hi, p.lo)
}

func ddDiv(x, y dd) dd {
	q1 := x.hi / y.hi
	r := ddAdd(x, ddNeg(ddMulF(y, q1)))
	q2 := r.hi / y.hi
	r = ddAdd(r, ddNeg(ddMulF(y, q2)))
	q3 := r.hi / y.hi
	q := quickTwoSum(q1, q2)
	return ddAdd(q, dd{q3, 0})
}

func (x dd) float() float64 { return x.hi + x.lo }

// piOver2 to about 160 bits, as three doubles.
var (
	pio2a = 1.5707963267948966192313216916397514420985846996875529104874722961
	pio2b = 6.123233995736766035868820147291818e-17
	pio2c = -1.4973849048591698329435e-33
)

// ddSinCos returns sin(x) and cos(x) in double-double for |x| up to a few
// multiples of pi (the GEO code never goes beyond 2*pi).
func ddSinCos(x float64) (dd, dd) {
	k := math.Round(x / pio2a)
	// r = x - k*pi/2, exactly enough: k is a small integer.
	r := ddAdd(dd{x, 0}, ddNeg(twoProd(k, pio2a)))
	r = ddAdd(r, ddNeg(twoProd(k, pio2b)))
	r = ddAdd(r, dd{-k * pio2c, 0})
	s, c := ddSinCosReduced(r)
	switch int64(k) & 3 {
	case 1:
		return c, ddNeg(s)
	case 2:
		return ddNeg(s), ddNeg(c)
	case 3:
		return ddNeg(c), s
	}
	return s, c
}

// Taylor coefficients as double-double: -1/((2n)(2n+1)) and -1/((2n-1)(2n)).
var sinStep, cosStep = func() (s, c [16]dd) {
	for n := 1; n <= 16; n++ {
		s[n-1] = ddDiv(dd{-1, 0}, dd{float64((2 * n) * (2*n + 1)), 0})
		c[n-1] = ddDiv(dd{-1, 0}, dd{float64((2*n - 1) * (2 * n)), 0})
	}
	return
}()

// ddSinCosReduced evaluates the Taylor series for |r| <= pi/4.
func ddSinCosReduced(r dd) (dd, dd) {
	r2 := ddMul(r, r)
	// sin: r - r^3/3! + ...; cos: 1 - r^2/2! + ...
	s, c := r, dd{1, 0}
	st, ct := r, dd{1, 0}
	for n := 0; n < 16; n++ {
		st = ddMul(ddMul(st, r2), sinStep[n])
		ct = ddMul(ddMul(ct, r2), cosStep[n])
		s = ddAdd(s, st)
		c = ddAdd(c, ct)
		if math.Abs(st.hi) < 1e-40 && math.Abs(ct.hi) < 1e-40 {
			break
		}
	}
	return s, c
}

// crSin is sin(x) correctly rounded (for the GEO argument range).
func crSin(x float64) float64 {
	if x == 0 || !(math.Abs(x) < 1e6) {
		return math.Sin(x)
	}
	s, _ := ddSinCos(x)
	return s.float()
}

// crCos is cos(x) correctly rounded (for the GEO argument range).
func crCos(x float64) float64 {
	if !(math.Abs(x) < 1e6) {
		return math.Cos(x)
	}
	_, c := ddSinCos(x)
	return c.float()
}

// crAsin is asin(x) correctly rounded for x in [-1, 1]: math.Asin's
// estimate refined by one Newton step on sin in double-double.
func crAsin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || x > 1 || x < -1 {
		return math.Asin(x)
	}
	if x == 1 || x == -1 {
		return math.Copysign(pio2a, x)
	}
	y := math.Asin(x)
	s, c := ddSinCos(y)
	// y - (sin y - x) / cos y: one Newton step from an estimate within an
	// ulp or two leaves an error far below an ulp.
	return ddAdd(dd{y, 0}, ddNeg(ddDiv(ddAdd(s, dd{-x, 0}), c))).float()
}
