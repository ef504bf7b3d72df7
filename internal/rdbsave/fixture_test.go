package rdbsave

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/redis-follower/redis-follower/internal/store"
)

// fixtureOpts selects what the fixture holds.
type fixtureOpts struct {
	functions bool  // function libraries (RDB >= 10)
	hashTTLs  bool  // hash field TTLs (RDB 12 / 80)
	nowMs     int64 // base for expires
	// light leaves out the multi-megabyte values (the live loads keep
	// them; the per-version round trips do not need them again).
	light bool
}

const (
	libA = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
	libB = "#!lua name=otherlib\nredis.register_function('g', function(keys, args) return #keys end)\n" +
		"-- padding so the library is long enough to be worth compressing ------------------------------"
)

// intEdges are integers at every encoding boundary of RDB strings,
// listpacks, ziplists and intsets.
var intEdges = []int64{
	0, 1, 12, 13, 127, 128, -1, -127, -128, -129, 255, 256, 4095, 4096, -4096, -4097,
	32767, 32768, -32768, -32769, 8388607, 8388608, -8388608, -8388609,
	2147483647, 2147483648, -2147483648, -2147483649, 1 << 40, -(1 << 40),
	math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
}

// numberLike are strings that look numeric but are not canonical integers,
// so they must stay strings everywhere.
var numberLike = []string{"007", "-0", "+1", " 1", "1 ", "3.14", "1e10", "0x10", "-", "",
	"9223372036854775808", "-9223372036854775809", "99999999999999999999", "00", "12345678901234567890123"}

func rnd() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

func compressible(n int) []byte {
	return bytes.Repeat([]byte("abcdefghij0123456789-redis-follower-"), n/36+1)[:n]
}

// buildFixture returns a store with every type and edge case.
func buildFixture(o fixtureOpts) *store.Store {
	r := rnd()
	s := store.New()
	d0 := s.DB(0)
	put := func(d *store.DB, k string, e *store.Entry) { d.PutString(k, e) }
	str := func(v []byte) *store.Entry { return store.NewString(v) }

	// ---- strings ----
	for _, v := range intEdges {
		put(d0, "s:int:"+strconv.FormatInt(v, 10), str([]byte(strconv.FormatInt(v, 10))))
	}
	for i, v := range numberLike {
		put(d0, "s:numlike:"+strconv.Itoa(i), str([]byte(v)))
	}
	put(d0, "s:empty", str([]byte{}))
	put(d0, "s:bin", str([]byte("\x00\x01\xff\r\n\x00binary\x00")))
	put(d0, "s:utf8", str([]byte("héllo wörld ☃")))
	put(d0, "s:float", str([]byte("3.14159265358979")))
	put(d0, "s:short21", str([]byte("aaaaaaaaaaaaaaaaaaaaa")))
	put(d0, "s:40k-compressible", str(compressible(40<<10)))
	put(d0, "s:40k-random", str(randBytes(r, 40<<10)))
	if !o.light {
		put(d0, "s:100k-random", str(randBytes(r, 100<<10)))
		put(d0, "s:2m-compressible", str(compressible(2<<20)))
	}
	put(d0, "s:300b", str(randBytes(r, 300)))
	put(d0, "", str([]byte("empty key")))
	put(d0, "12345", str([]byte("int-like key")))
	put(d0, "-7", str([]byte("negative int-like key")))
	put(d0, "\x00\xff\r\nbinkey", str([]byte("binary key")))
	put(d0, strings.Repeat("k", 300), str([]byte("long key")))
	ttl := store.NewString([]byte("expiring"))
	ttl.Expire = o.nowMs + 3_600_000
	put(d0, "s:ttl", ttl)
	expired := store.NewString([]byte("already expired"))
	expired.Expire = o.nowMs - 60_000
	put(d0, "s:expired", expired)

	// ---- lists ----
	mixed := store.NewList(0)
	for _, v := range intEdges {
		mixed.PushBack([]byte(strconv.FormatInt(v, 10)))
	}
	for _, v := range numberLike {
		mixed.PushBack([]byte(v))
	}
	// String lengths at every listpack/ziplist length-form and backlen
	// boundary: 6/12/32-bit listpack strings (63/64, 4095/4096), backlen
	// 127/128 (125/126 + 2), 16383 (16378 + 5), ziplist 14/32-bit strings
	// (16383/16384), ziplist prevlen 253/254.
	for _, n := range []int{0, 1, 62, 63, 64, 65, 125, 126, 127, 250, 251, 252, 253, 254, 4094, 4095, 4096, 4097,
		16377, 16378, 16379, 16383, 16384} {
		mixed.PushBack(compressible(n))
	}
	put(d0, "l:mixed", store.NewListEntry(mixed))
	big := store.NewList(0)
	for i := 0; i < 12000; i++ {
		switch i % 4 {
		case 0:
			big.PushBack([]byte(strconv.Itoa(i)))
		case 1:
			big.PushBack([]byte("element-" + strconv.Itoa(i)))
		case 2:
			big.PushBack(randBytes(r, r.IntN(100)))
		default:
			big.PushBack([]byte(strconv.Itoa(-i * 1000003)))
		}
	}
	put(d0, "l:12k", store.NewListEntry(big))
	ints := store.NewList(0)
	for i := 0; i < 20000; i++ {
		ints.PushBack([]byte(strconv.Itoa(i * 7)))
	}
	put(d0, "l:20k-ints", store.NewListEntry(ints))
	huge := store.NewList(0)
	sizes := []int{2097145, 2097146, 2097147, 10, 3 << 20}
	if o.light {
		sizes = []int{9000, 10, 20000}
	}
	for _, n := range sizes {
		huge.PushBack(compressible(n))
	}
	put(d0, "l:huge-elements", store.NewListEntry(huge))
	one := store.NewList(0)
	one.PushBack([]byte("x"))
	le := store.NewListEntry(one)
	le.Expire = o.nowMs + 7_200_000
	put(d0, "l:one-ttl", le)

	// ---- sets ----
	mkSet := func(members ...string) *store.Entry {
		st := store.NewSet(len(members))
		for _, m := range members {
			st.AddString(m)
		}
		return store.NewSetEntry(st)
	}
	put(d0, "set:int16", mkSet("1", "2", "3", "-32768", "32767"))
	put(d0, "set:int32", mkSet("1", "70000", "-70000", "2147483647"))
	put(d0, "set:int64", mkSet("1", "-1", "9223372036854775807", "-9223372036854775808"))
	var n512, n513, s5000, s129 []string
	for i := 0; i < 513; i++ {
		n513 = append(n513, strconv.Itoa(i*3-700))
	}
	n512 = n513[:512]
	for i := 0; i < 5000; i++ {
		s5000 = append(s5000, "member-"+strconv.Itoa(i))
	}
	for i := 0; i < 129; i++ {
		s129 = append(s129, "m"+strconv.Itoa(i))
	}
	put(d0, "set:512ints", mkSet(n512...))
	put(d0, "set:513ints", mkSet(n513...))
	put(d0, "set:strings", mkSet("a", "b", "c", "", "007", "-0"))
	put(d0, "set:mixed", mkSet("1", "2", "three"))
	put(d0, "set:128", mkSet(s129[:128]...))
	put(d0, "set:129", mkSet(s129...))
	put(d0, "set:long-member", mkSet("short", strings.Repeat("L", 65)))
	put(d0, "set:64-member", mkSet("short", strings.Repeat("L", 64)))
	put(d0, "set:5000", mkSet(s5000...))
	put(d0, "set:bin", mkSet("\x00", "\xff\xfe", "\r\n"))

	// ---- sorted sets ----
	mkZ := func(pairs map[string]float64) *store.Entry {
		z := store.NewZSet(len(pairs))
		for m, sc := range pairs {
			z.AddString(m, sc)
		}
		return store.NewZSetEntry(z)
	}
	put(d0, "z:small", mkZ(map[string]float64{
		"inf": math.Inf(1), "-inf": math.Inf(-1), "big": 1e300, "tiny": 1e-300, "denormal": 5e-324,
		"tenth": 0.1, "2^53+1": 9007199254740993, "2^62": 1 << 62, "2^63": 1 << 63, "neg": -2.5,
		"zero": 0, "int": 42, "negint": -17, "third": 1.0 / 3, "max": math.MaxFloat64,
		"": 7, "007": 8, "12": 12.5, "pi": math.Pi, "1e21": 1e21, "1e-7": 1e-7, "123456.789": 123456.789,
	}))
	bigZ := map[string]float64{}
	for i := 0; i < 3000; i++ {
		bigZ["member:"+strconv.Itoa(i)] = float64(r.IntN(1000)) + r.Float64()
	}
	bigZ["negzero"] = math.Copysign(0, -1)
	bigZ["inf"] = math.Inf(1)
	put(d0, "z:3000", mkZ(bigZ))
	z129 := map[string]float64{}
	for i := 0; i < 129; i++ {
		z129["m"+strconv.Itoa(i)] = float64(i)
	}
	put(d0, "z:129", mkZ(z129))
	delete(z129, "m128")
	put(d0, "z:128", mkZ(z129))
	put(d0, "z:long-member", mkZ(map[string]float64{"a": 1, strings.Repeat("M", 65): 2}))
	put(d0, "z:same-scores", mkZ(map[string]float64{"c": 1, "a": 1, "b": 1, "d": 0.5}))

	// ---- hashes ----
	mkH := func(kv ...string) *store.Hash {
		h := store.NewHash(len(kv) / 2)
		for i := 0; i+1 < len(kv); i += 2 {
			h.SetString(kv[i], []byte(kv[i+1]))
		}
		return h
	}
	put(d0, "h:small", store.NewHashEntry(mkH("f1", "v1", "", "empty-field", "empty-value", "", "1", "2", "-5", "007",
		"big", "9223372036854775807")))
	put(d0, "h:64", store.NewHashEntry(mkH("f", strings.Repeat("v", 64), strings.Repeat("f", 64), "v")))
	put(d0, "h:65-value", store.NewHashEntry(mkH("f", strings.Repeat("v", 65))))
	put(d0, "h:65-field", store.NewHashEntry(mkH(strings.Repeat("f", 65), "v")))
	var kv []string
	for i := 0; i < 1000; i++ {
		kv = append(kv, "field:"+strconv.Itoa(i), "value:"+strconv.Itoa(i*i))
	}
	put(d0, "h:1000", store.NewHashEntry(mkH(kv...)))
	put(d0, "h:128", store.NewHashEntry(mkH(kv[:256]...)))
	put(d0, "h:129", store.NewHashEntry(mkH(kv[:258]...)))
	put(d0, "h:512", store.NewHashEntry(mkH(kv[:1024]...)))
	put(d0, "h:513", store.NewHashEntry(mkH(kv[:1026]...)))
	he := store.NewHashEntry(mkH("a", "1", "b", "2"))
	he.Expire = o.nowMs + 86_400_000
	put(d0, "h:ttl", he)
	if o.hashTTLs {
		h := mkH("a", "1", "b", "2", "c", "3", "d", "4")
		h.SetFieldExpire([]byte("b"), o.nowMs+5_000_000)
		h.SetFieldExpire([]byte("a"), o.nowMs+9_000_000)
		h.SetFieldExpire([]byte("d"), o.nowMs+5_000_000)
		put(d0, "hfe:small", store.NewHashEntry(h))
		h2 := mkH(kv...)
		for i := 0; i < 1000; i += 3 {
			h2.SetFieldExpire([]byte("field:"+strconv.Itoa(i)), o.nowMs+int64(1_000_000+i*1000))
		}
		put(d0, "hfe:1000", store.NewHashEntry(h2))
		h3 := mkH("x", strings.Repeat("y", 100), "z", "1")
		h3.SetFieldExpire([]byte("z"), o.nowMs+123_456)
		put(d0, "hfe:long-value", store.NewHashEntry(h3))
	}

	// ---- streams ----
	put(d0, "x:simple", store.NewStreamEntry(simpleStream()))
	put(d0, "x:big", store.NewStreamEntry(bigStream(r)))
	put(d0, "x:empty-groups", store.NewStreamEntry(emptyStreamWithGroups()))
	xe := store.NewStreamEntry(bigValuesStream())
	xe.Expire = o.nowMs + 10_000_000
	put(d0, "x:bigvals", xe)
	put(d0, "x:neg-seq", store.NewStreamEntry(negSeqStream()))

	// ---- other databases ----
	d1 := s.DB(1)
	put(d1, "db1:str", str([]byte("in db 1")))
	put(d1, "s:int:-1", str([]byte("same key name, other db")))
	put(d1, "l", store.NewListEntry(one))
	d15 := s.DB(15)
	put(d15, "db15:str", str([]byte("in db 15")))
	put(d15, "db15:set", mkSet("1", "2"))
	// db 2 holds only an expired key and an empty list (not written).
	put(s.DB(2), "expired", expired)
	put(s.DB(2), "empty-list", store.NewListEntry(store.NewList(0)))

	if o.functions {
		s.SetFunction("mylib", []byte(libA))
		s.SetFunction("otherlib", []byte(libB))
	}
	return s
}

func fv(kv ...string) [][]byte {
	out := make([][]byte, len(kv))
	for i, s := range kv {
		out[i] = []byte(s)
	}
	return out
}

func sid(ms, seq uint64) store.StreamID { return store.StreamID{Ms: ms, Seq: seq} }

// simpleStream has entries with differing field sets, reordered and
// duplicate field names, empty and integer values (negative ones too).
func simpleStream() *store.Stream {
	x := store.NewStream()
	add := func(id store.StreamID, kv ...string) { x.Append(store.StreamEntry{ID: id, Fields: fv(kv...)}) }
	add(sid(1, 0), "a", "1", "b", "2")
	add(sid(1, 1), "a", "3", "b", "4") // same fields
	add(sid(2, 0), "b", "5", "a", "6") // reordered
	add(sid(3, 0), "a", "1", "a", "2") // duplicate names
	add(sid(4, 0), "a", "", "b", "")   // empty values
	add(sid(5, 0), "n", "-1", "m", "-129", "k", "-9223372036854775808")
	add(sid(6, 0), "", "empty field name")
	add(sid(7, 0), "a", "007", "b", "-0")
	add(sid(8, 0), "a", "x")                     // fewer fields
	add(sid(9, 0), "a", "1", "b", "2", "c", "3") // more fields
	add(sid(1<<40, 5), "a", "1", "b", "2")       // large ms delta
	x.LastID = sid(1<<40, 7)
	x.EntriesAdded = 14
	x.MaxDeletedID = sid(1<<40, 6)
	return x
}

// bigStream has 1000 entries over many nodes and three groups with PEL,
// consumers with and without pending entries.
func bigStream(r *rand.Rand) *store.Stream {
	x := store.NewStream()
	ms := uint64(1_700_000_000_000)
	for i := 0; i < 1000; i++ {
		ms += uint64(r.IntN(3))
		seq := uint64(0)
		if n := x.Len(); n > 0 && x.Entries()[n-1].ID.Ms == ms {
			seq = x.Entries()[n-1].ID.Seq + 1
		}
		kv := []string{"sensor", "s-" + strconv.Itoa(i%7), "value", strconv.Itoa(r.IntN(100000) - 50000)}
		if i%10 == 0 {
			kv = append(kv, "note", strings.Repeat("n", r.IntN(200)))
		}
		x.Append(store.StreamEntry{ID: sid(ms, seq), Fields: fv(kv...)})
	}
	es := x.Entries()
	x.LastID = es[len(es)-1].ID
	x.EntriesAdded = 1005
	x.MaxDeletedID = sid(1_699_999_999_000, 3) // before the first entry
	g1 := x.CreateGroup([]byte("g1"), es[500].ID, 505)
	alice := g1.CreateConsumer([]byte("alice"), 1_700_000_100_000, 1_700_000_100_000)
	bob := g1.CreateConsumer([]byte("bob"), 1_700_000_200_000, 1_700_000_150_000)
	g1.CreateConsumer([]byte("idle"), 1_700_000_300_000, -1)
	for i := 0; i <= 500; i += 25 {
		c := alice
		if i%50 == 0 {
			c = bob
		}
		addPending(g1, c, es[i].ID, 1_700_000_000_000+int64(i), uint64(i%5+1))
	}
	g2 := x.CreateGroup([]byte("g2"), x.LastID, 1005)
	carol := g2.CreateConsumer([]byte("carol"), 1_700_000_400_000, 1_700_000_400_000)
	addPending(g2, carol, es[999].ID, 1_700_000_400_000, 1)
	x.CreateGroup([]byte("a-empty-group"), store.StreamID{}, 0)
	x.CreateGroup([]byte("unknown-read"), es[10].ID, -1)
	return x
}

func addPending(g *store.ConsumerGroup, c *store.Consumer, id store.StreamID, t int64, n uint64) {
	p := &store.PendingEntry{ID: id, DeliveryTime: t, DeliveryCount: n, Consumer: c}
	g.PEL[id] = p
	c.Pending[id] = p
}

// emptyStreamWithGroups has no entries but metadata and groups.
func emptyStreamWithGroups() *store.Stream {
	x := store.NewStream()
	x.LastID = sid(1_700_000_000_123, 4)
	x.EntriesAdded = 9
	x.MaxDeletedID = sid(1_700_000_000_123, 4)
	g := x.CreateGroup([]byte("grp"), sid(1_700_000_000_123, 4), 9)
	g.CreateConsumer([]byte("c1"), 1_700_000_000_500, 1_700_000_000_400)
	x.CreateGroup([]byte("another"), sid(0, 0), 0)
	return x
}

// bigValuesStream has entries whose values alone exceed a node.
func bigValuesStream() *store.Stream {
	x := store.NewStream()
	for i := 0; i < 5; i++ {
		x.Append(store.StreamEntry{ID: sid(100, uint64(i)), Fields: [][]byte{[]byte("payload"), compressible(3000 + 1000*i)}})
	}
	x.Append(store.StreamEntry{ID: sid(101, 0), Fields: fv("small", "1")})
	x.LastID = sid(101, 0)
	x.EntriesAdded = 6
	return x
}

// negSeqStream has a node whose later entries have smaller sequence
// numbers than the master entry (negative seq deltas).
func negSeqStream() *store.Stream {
	x := store.NewStream()
	x.Append(store.StreamEntry{ID: sid(5, 1000), Fields: fv("f", "1")})
	x.Append(store.StreamEntry{ID: sid(6, 0), Fields: fv("f", "2")})
	x.Append(store.StreamEntry{ID: sid(7, 3), Fields: fv("f", "3")})
	x.LastID = sid(7, 3)
	x.EntriesAdded = 3
	return x
}
