package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"fmt"
	"math"

	"github.com/redis-follower/redis-follower/internal/store"
)

// GEO commands store points as sorted-set scores: a 52-bit interleaved
// geohash of (latitude, longitude). Masters propagate GEOADD as the ZADD
// it turns into, and GEORADIUS ... STORE / GEOSEARCHSTORE verbatim, so a
// replica repeats the search: the same geohash boxes, visited in the same
// order, the same distance arithmetic (see crmath.go), and for COUNT the
// same partial quicksort (pqsort.c), whose choice among equal distances
// depends on the input order.

// Geo constants as doubles, computed at run time like the C code does.
var (
	geoLatMin  = -85.05112878
	geoLatMax  = 85.05112878
	geoLongMin = -180.0
	geoLongMax = 180.0
	dR         = func() float64 { pi := math.Pi; return pi / 180.0 }()
	earthR     = 6372797.560856
	mercMax    = 20037726.37
)

const geoStepMax = 26

var (
	errGeoUnit       = errors.New("unsupported unit provided. please use M, KM, FT, MI")
	errGeoRadius     = errors.New("need numeric radius")
	errGeoRadiusNeg  = errors.New("radius cannot be negative")
	errGeoBox        = errors.New("height or width cannot be negative")
	errGeoMember     = errors.New("could not decode requested zset member")
	errGeoCount      = errors.New("COUNT must be > 0")
	errGeoAny        = errors.New("the ANY argument requires COUNT argument")
	errGeoStoreWith  = errors.New("STORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	errGeoFrom       = errors.New("exactly one of FROMMEMBER or FROMLONLAT can be specified")
	errGeoBy         = errors.New("exactly one of BYRADIUS and BYBOX can be specified")
	errGeoNeedWidth  = errors.New("need numeric width")
	errGeoNeedHeight = errors.New("need numeric height")
)

func degRad(a float64) float64 { return a * dR }
func radDeg(a float64) float64 { return a / dR }

type geoHash struct {
	bits uint64
	step uint8
}

func (h geoHash) zero() bool { return h.bits == 0 && h.step == 0 }

func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// f2u32 is C's (uint32_t) conversion of a non-negative double.
func f2u32(f float64) uint32 { return uint32(uint64(f)) }

// geoEncode is geohashEncode on the WGS84 ranges; ok is false out of range.
func geoEncode(lon, lat float64, step uint8) (geoHash, bool) {
	if lon > geoLongMax || lon < geoLongMin || lat > geoLatMax || lat < geoLatMin {
		return geoHash{}, false
	}
	latOff := (lat - geoLatMin) / (geoLatMax - geoLatMin)
	lonOff := (lon - geoLongMin) / (geoLongMax - geoLongMin)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	return geoHash{interleave64(f2u32(latOff), f2u32(lonOff)), step}, true
}

func align52(h geoHash) uint64 { return h.bits << (52 - 2*uint(h.step)) }

type geoArea struct{ latMin, latMax, lonMin, lonMax float64 }

func geoDecode(h geoHash) geoArea {
	sep := deinterleave64(h.bits)
	latScale := geoLatMax - geoLatMin
	lonScale := geoLongMax - geoLongMin
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	return geoArea{
		latMin: geoLatMin + float64(float64(ilat)*1.0/div*latScale),
		latMax: geoLatMin + float64((float64(ilat)+1)*1.0/div*latScale),
		lonMin: geoLongMin + float64(float64(ilon)*1.0/div*lonScale),
		lonMax: geoLongMin + float64((float64(ilon)+1)*1.0/div*lonScale),
	}
}

// decodeScore is decodeGeohash: the center of the score's 52-bit cell.
func decodeScore(score float64) (lon, lat float64) {
	var bits uint64
	if score < 0 {
		bits = uint64(int64(score))
	} else {
		bits = uint64(score)
	}
	a := geoDecode(geoHash{bits, geoStepMax})
	lon = (a.lonMin + a.lonMax) / 2
	lon = min(max(lon, geoLongMin), geoLongMax)
	lat = (a.latMin + a.latMax) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

func moveX(h *geoHash, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - 2*uint(h.step))
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - 2*uint(h.step))
	h.bits = x | y
}

func moveY(h *geoHash, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(h.step))
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - 2*uint(h.step))
	h.bits = x | y
}

// neighbors in geohashNeighbors order: N S E W NE NW SE SW.
func neighbors(h geoHash) [8]geoHash {
	var n [8]geoHash
	dirs := [8][2]int{{0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
	for i, d := range dirs {
		n[i] = h
		moveX(&n[i], d[0])
		moveY(&n[i], d[1])
	}
	return n
}

func estimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// geoShape is GeoShape.
type geoShape struct {
	box           bool
	lon, lat      float64
	conversion    float64
	radius        float64
	width, height float64
	bounds        [4]float64
}

func (s *geoShape) boundingBox() {
	h, w := s.radius, s.radius
	if s.box {
		h, w = s.height/2, s.width/2
	}
	height := float64(s.conversion * h)
	width := float64(s.conversion * w)
	latDelta := radDeg(height / earthR)
	top := radDeg(width / earthR / crCos(degRad(s.lat+latDelta)))
	bottom := radDeg(width / earthR / crCos(degRad(s.lat-latDelta)))
	if s.lat < 0 {
		s.bounds[0], s.bounds[2] = s.lon-bottom, s.lon+bottom
	} else {
		s.bounds[0], s.bounds[2] = s.lon-top, s.lon+top
	}
	s.bounds[1] = s.lat - latDelta
	s.bounds[3] = s.lat + latDelta
}

// areas is geohashCalculateAreasByShapeWGS84: the center cell first, then
// its neighbours (zeroed when outside the bounding box).
func (s *geoShape) areas() [9]geoHash {
	s.boundingBox()
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	radius := s.radius
	if s.box {
		radius = math.Sqrt(float64(s.width/2*(s.width/2)) + float64(s.height/2*(s.height/2)))
	}
	radius *= s.conversion
	steps := estimateSteps(radius, s.lat)
	hash, _ := geoEncode(s.lon, s.lat, steps)
	nb := neighbors(hash)
	area := geoDecode(hash)
	north, south, east, west := geoDecode(nb[0]), geoDecode(nb[1]), geoDecode(nb[2]), geoDecode(nb[3])
	decrease := north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon
	if steps > 1 && decrease {
		steps--
		hash, _ = geoEncode(s.lon, s.lat, steps)
		nb = neighbors(hash)
		area = geoDecode(hash)
	}
	const (
		n, so, e, w, ne, nw, se, sw = 0, 1, 2, 3, 4, 5, 6, 7
	)
	if steps >= 2 {
		if area.latMin < minLat {
			nb[so], nb[sw], nb[se] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.latMax > maxLat {
			nb[n], nb[ne], nb[nw] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lonMin < minLon {
			nb[w], nb[sw], nb[nw] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lonMax > maxLon {
			nb[e], nb[se], nb[ne] = geoHash{}, geoHash{}, geoHash{}
		}
	}
	// membersOfAllNeighbors order: self, N, S, E, W, NE, NW, SE, SW.
	return [9]geoHash{hash, nb[n], nb[so], nb[e], nb[w], nb[ne], nb[nw], nb[se], nb[sw]}
}

func latDistance(lat1, lat2 float64) float64 {
	return earthR * math.Abs(degRad(lat2)-degRad(lat1))
}

// geoDistance is geohashGetDistance.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := crSin((lon2r - lon1r) / 2)
	if v == 0 {
		return latDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := crSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(crCos(lat1r)*crCos(lat2r))*v)*v)
	return 2.0 * earthR * crAsin(math.Sqrt(a))
}

// within is geoWithinShape: the point's distance and whether it counts.
func (s *geoShape) within(score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = decodeScore(score)
	if !s.box {
		dist = geoDistance(s.lon, s.lat, lon, lat)
		return lon, lat, dist, dist <= s.radius*s.conversion
	}
	if latDistance(s.lat, lat) > s.height*s.conversion/2 {
		return lon, lat, 0, false
	}
	// The east-west distance is taken along the point's own latitude.
	if geoDistance(lon, lat, s.lon, lat) > s.width*s.conversion/2 {
		return lon, lat, 0, false
	}
	return lon, lat, geoDistance(s.lon, s.lat, lon, lat), true
}

type geoPoint struct {
	dist, score float64
	member      string
}

// search is membersOfAllNeighbors: the points within the shape, in the
// order Redis collects them; limit > 0 stops early (ANY).
func (s *geoShape) search(z *store.ZSet, limit int) []geoPoint {
	var out []geoPoint
	boxes := s.areas()
	last := 0
	for i, h := range boxes {
		if h.zero() {
			continue
		}
		// Redis compares with the last processed box only once that is not
		// the center box (its index 0 doubles as "none yet").
		if last > 0 && h == boxes[last] {
			continue
		}
		if len(out) > 0 && limit > 0 && len(out) >= limit {
			break
		}
		minScore := float64(align52(h))
		maxScore := float64(align52(geoHash{h.bits + 1, h.step}))
		start, end := z.ScoreRange(minScore, false, maxScore, true)
		for m, sc := range z.Range(start, end) {
			if _, _, d, ok := s.within(sc); ok {
				out = append(out, geoPoint{d, sc, m})
			}
			if len(out) > 0 && limit > 0 && len(out) >= limit {
				break
			}
		}
		last = i
	}
	return out
}

func geoUnit(b []byte) (float64, error) {
	switch {
	case eqFold(b, "m"):
		return 1, nil
	case eqFold(b, "km"):
		return 1000, nil
	case eqFold(b, "ft"):
		return 0.3048, nil
	case eqFold(b, "mi"):
		return 1609.34, nil
	}
	return 0, errGeoUnit
}

func lonLat(lonArg, latArg []byte) (float64, float64, error) {
	lon, ok1 := parseFloat64(lonArg)
	lat, ok2 := parseFloat64(latArg)
	if !ok1 || !ok2 {
		return 0, 0, ErrNotFloat
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		return 0, 0, fmt.Errorf("invalid longitude,latitude pair %f,%f", lon, lat)
	}
	return lon, lat, nil
}

// cmdGeoAdd is GEOADD key [NX|XX] [CH] lon lat member ...: the ZADD it
// becomes (masters propagate that ZADD).
func cmdGeoAdd(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	i := 2
	nx, xx := false, false
	for ; i < len(args); i++ {
		switch {
		case eqFold(args[i], "nx"):
			nx = true
		case eqFold(args[i], "xx"):
			xx = true
		case eqFold(args[i], "ch"):
		default:
			goto points
		}
	}
points:
	if (len(args)-i)%3 != 0 || (nx && xx) {
		return ErrSyntax
	}
	zargs := make([][]byte, 0, i+(len(args)-i)/3*2)
	zargs = append(zargs, []byte("zadd"))
	zargs = append(zargs, args[1:i]...)
	for j := i; j < len(args); j += 3 {
		lon, lat, err := lonLat(args[j], args[j+1])
		if err != nil {
			return err
		}
		h, _ := geoEncode(lon, lat, geoStepMax)
		zargs = append(zargs, fmt.Appendf(nil, "%d", align52(h)), args[j+2])
	}
	a.touched = a.touched[:0]
	return a.zadd(zargs, 0)
}

// geoSearchStore is georadiusGeneric with a store key, for GEORADIUS,
// GEORADIUSBYMEMBER (STORE/STOREDIST) and GEOSEARCHSTORE.
func (a *Applier) geoSearchStore(args [][]byte, srcIdx int, kind int) error {
	const (
		byCoords = iota
		byMember
		search
	)
	src := args[srcIdx]
	var storeKey []byte
	if kind == search {
		storeKey = args[1]
		a.touch(storeKey)
	}
	e := a.get(src)
	if e != nil && e.Kind() != store.KindZSet {
		return ErrWrongType
	}
	var s geoShape
	base := 0
	var err error
	switch kind {
	case byCoords:
		base = 6
		if s.lon, s.lat, err = lonLat(args[2], args[3]); err != nil {
			return err
		}
		if s.radius, s.conversion, err = geoDistanceArg(args[4], args[5]); err != nil {
			return err
		}
	case byMember:
		base = 5
		if e != nil {
			sc, ok := e.ZSet().Score(args[2])
			if !ok {
				return errGeoMember
			}
			s.lon, s.lat = decodeScore(sc)
			if s.radius, s.conversion, err = geoDistanceArg(args[3], args[4]); err != nil {
				return err
			}
		}
	case search:
		base = 3
	}
	var (
		storedist, any, fromMember, fromLoc, byRadius, byBox, with bool
		sortDir                                                    int // 0 none, 1 asc, 2 desc
		count                                                      int64
	)
	for i := base; i < len(args); i++ {
		rem := len(args) - base - (i - base) // args left including this one
		arg := args[i]
		switch {
		case eqFold(arg, "withdist"), eqFold(arg, "withhash"), eqFold(arg, "withcoord"):
			with = true
		case eqFold(arg, "any"):
			any = true
		case eqFold(arg, "asc"):
			sortDir = 1
		case eqFold(arg, "desc"):
			sortDir = 2
		case eqFold(arg, "count") && rem > 1:
			v, ok := parseInt64(args[i+1])
			if !ok {
				return ErrNotInteger
			}
			if v <= 0 {
				return errGeoCount
			}
			count = v
			i++
		case (eqFold(arg, "store") || eqFold(arg, "storedist")) && rem > 1 && kind != search:
			storeKey = args[i+1]
			storedist = eqFold(arg, "storedist")
			i++
		case eqFold(arg, "storedist") && kind == search:
			storedist = true
		case eqFold(arg, "frommember") && rem > 1 && kind == search && !fromLoc:
			if e != nil {
				sc, ok := e.ZSet().Score(args[i+1])
				if !ok {
					return errGeoMember
				}
				s.lon, s.lat = decodeScore(sc)
			}
			fromMember = true
			i++
		case eqFold(arg, "fromlonlat") && rem > 2 && kind == search && !fromMember:
			if s.lon, s.lat, err = lonLat(args[i+1], args[i+2]); err != nil {
				return err
			}
			fromLoc = true
			i += 2
		case eqFold(arg, "byradius") && rem > 2 && kind == search && !byBox:
			if s.radius, s.conversion, err = geoDistanceArg(args[i+1], args[i+2]); err != nil {
				return err
			}
			s.box = false
			byRadius = true
			i += 2
		case eqFold(arg, "bybox") && rem > 3 && kind == search && !byRadius:
			w, ok1 := parseFloat64(args[i+1])
			if !ok1 {
				return errGeoNeedWidth
			}
			h, ok2 := parseFloat64(args[i+2])
			if !ok2 {
				return errGeoNeedHeight
			}
			if h < 0 || w < 0 {
				return errGeoBox
			}
			if s.conversion, err = geoUnit(args[i+3]); err != nil {
				return err
			}
			s.width, s.height, s.box = w, h, true
			byBox = true
			i += 3
		default:
			return ErrSyntax
		}
	}
	if storeKey != nil && kind != search {
		a.touch(storeKey)
	}
	if storeKey != nil && with {
		return errGeoStoreWith
	}
	if kind == search && !(fromMember || fromLoc) {
		return errGeoFrom
	}
	if kind == search && !(byRadius || byBox) {
		return errGeoBy
	}
	if any && count == 0 {
		return errGeoAny
	}
	if storeKey == nil {
		return nil // a read-only search changes nothing
	}
	if e == nil {
		a.cur().Delete(storeKey)
		return nil
	}
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}
	limit := 0
	if any {
		limit = int(min(count, math.MaxInt32))
	}
	pts := s.search(e.ZSet(), limit)
	n := len(pts)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	if sortDir != 0 && n < len(pts) {
		less := func(x, y *geoPoint) int {
			switch {
			case x.dist > y.dist:
				return 1
			case x.dist == y.dist:
				return 0
			}
			return -1
		}
		cmp := less
		if sortDir == 2 {
			cmp = func(x, y *geoPoint) int { return -less(x, y) }
		}
		pqsortGeneric(pts, cmp, 0, n-1)
	}
	if n == 0 {
		a.cur().Delete(storeKey)
		return nil
	}
	res := store.NewZSet(n)
	for _, p := range pts[:n] {
		score := p.score
		if storedist {
			score = p.dist / s.conversion
		}
		res.AddString(p.member, score)
	}
	a.finishStoredZSet(res)
	a.cur().Put(storeKey, store.NewZSetEntry(res))
	return nil
}

func geoDistanceArg(distArg, unitArg []byte) (radius, conversion float64, err error) {
	d, ok := parseFloat64(distArg)
	if !ok {
		return 0, 0, errGeoRadius
	}
	if d < 0 {
		return 0, 0, errGeoRadiusNeg
	}
	c, err := geoUnit(unitArg)
	return d, c, err
}

func cmdGeoRadius(a *Applier, args [][]byte) error {
	a.touch(args[1])
	return a.geoSearchStore(args, 1, 0)
}

func cmdGeoRadiusByMember(a *Applier, args [][]byte) error {
	a.touch(args[1])
	return a.geoSearchStore(args, 1, 1)
}

func cmdGeoSearchStore(a *Applier, args [][]byte) error {
	return a.geoSearchStore(args, 2, 2)
}

// pqsortGeneric is Redis's pqsort.c (a partial quicksort from NetBSD's
// qsort): it sorts enough of p that positions lrange..rrange hold what a
// full sort would put there. Ties make the result depend on its exact
// steps, which are reproduced here.
func pqsortGeneric[T any](p []T, cmp func(x, y *T) int, lrange, rrange int) {
	pqsortRange(p, 0, len(p), cmp, lrange, rrange)
}

func pqsortRange[T any](p []T, a, n int, cmp func(x, y *T) int, lrange, rrange int) {
	swap := func(i, j int) { p[i], p[j] = p[j], p[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(&p[x], &p[y]) < 0 {
			if cmp(&p[y], &p[z]) < 0 {
				return y
			}
			if cmp(&p[x], &p[z]) < 0 {
				return z
			}
			return x
		}
		if cmp(&p[y], &p[z]) > 0 {
			return y
		}
		if cmp(&p[x], &p[z]) < 0 {
			return x
		}
		return z
	}
	for {
		if n < 7 {
			for pm := a + 1; pm < a+n; pm++ {
				for pl := pm; pl > a && cmp(&p[pl-1], &p[pl]) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := a + n/2
		if n > 7 {
			pl, pn := a, a+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(a, pm)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				r := cmp(&p[pb], &p[a])
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&p[pc], &p[a])
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := a + n
		r := min(pa-a, pb-pa)
		vecswap(a, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 {
			// Recurse only when [a, a+r) overlaps [lrange, rrange].
			if !((lrange < a && rrange < a) || (lrange > a+r-1 && rrange > a+r-1)) {
				pqsortRange(p, a, r, cmp, lrange, rrange)
			}
		}
		if r = pd - pc; r > 1 {
			a, n = pn-r, r
			if !((lrange < a && rrange < a) || (lrange > a+n-1 && rrange > a+n-1)) {
				continue
			}
		}
		return
	}
}
