package apply_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/store"
)

func cmd(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// newTest returns an applier with a fixed clock (Unix ms 1e12).
func newTest() (*store.Store, *apply.Applier) {
	st := store.New()
	return st, apply.New(st, apply.Options{Now: func() int64 { return 1_000_000_000_000 }})
}

func mustApply(t *testing.T, ap *apply.Applier, args ...string) {
	t.Helper()
	if err := ap.Apply(cmd(args...)); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func TestErrors(t *testing.T) {
	_, ap := newTest()
	err := ap.Apply(cmd("FOOBAR", "k"))
	var ce *apply.CommandError
	if !errors.Is(err, apply.ErrUnknownCommand) || !errors.As(err, &ce) || ce.Command != "FOOBAR" {
		t.Errorf("unknown command: %v", err)
	}
	if err := ap.Apply(cmd("XGROUP", "NOPE", "k", "g")); !errors.Is(err, apply.ErrUnknownCommand) && !strings.Contains(err.Error(), "subcommand") {
		t.Errorf("unknown subcommand: %v", err)
	}
	err = ap.Apply(cmd("EVAL", "return 1", "0"))
	if !errors.Is(err, apply.ErrUnsupported) || !strings.Contains(err.Error(), "verbatim script replication is not supported") {
		t.Errorf("EVAL: %v", err)
	}
	mustApply(t, ap, "SET", "s", "v")
	err = ap.Apply(cmd("LPUSH", "s", "x"))
	if !errors.Is(err, apply.ErrWrongType) || !errors.As(err, &ce) || ce.Key != "s" || ce.Command != "LPUSH" {
		t.Errorf("wrong type: %v", err)
	}
	if err := ap.Apply(cmd("SET", "k")); !errors.Is(err, apply.ErrWrongArity) {
		t.Errorf("arity: %v", err)
	}
	for _, c := range [][]string{{"PING"}, {"PUBLISH", "ch", "m"}, {"SPUBLISH", "ch", "m"}, {"SCRIPT", "LOAD", "x"}, {"SCRIPT", "FLUSH"},
		{"CLUSTER", "SETSLOT", "1", "STABLE"}, {"CLUSTER", "FAILOVER", "FORCE"}, {"REPLCONF", "GETACK", "*"}} {
		mustApply(t, ap, c...)
	}
}

func TestTouchedAndSelect(t *testing.T) {
	st, ap := newTest()
	mustApply(t, ap, "SELECT", "3")
	mustApply(t, ap, "MSET", "a", "1", "b", "2")
	got := ap.Touched()
	if len(got) != 2 || got[0].DB != 3 || string(got[0].Key) != "a" || string(got[1].Key) != "b" {
		t.Errorf("touched %v", got)
	}
	mustApply(t, ap, "COPY", "a", "c", "DB", "5")
	if got := ap.Touched(); len(got) != 2 || got[1].DB != 5 || string(got[1].Key) != "c" {
		t.Errorf("COPY touched %v", got)
	}
	mustApply(t, ap, "FLUSHALL")
	if got := ap.Touched(); len(got) != 1 || got[0].DB != apply.AllDBs || got[0].Key != nil {
		t.Errorf("FLUSHALL touched %v", got)
	}
	if ap.DB() != 3 || st.DB(3).Len() != 0 {
		t.Errorf("db %d", ap.DB())
	}
	_ = ap.Apply(cmd("LPUSH", "x"))
	if err := ap.Apply(cmd("INCR", "bad")); err != nil {
		t.Fatal(err)
	}
	ap.SetDB(7)
	mustApply(t, ap, "SET", "in7", "v")
	if st.DB(7).GetString("in7") == nil {
		t.Error("SetDB did not select 7")
	}
}

func TestReplicaNeverExpires(t *testing.T) {
	st, ap := newTest()
	// A key whose TTL passed long ago is still there for the master's
	// commands: INCR continues from its value.
	mustApply(t, ap, "SET", "n", "41", "PXAT", "5")
	mustApply(t, ap, "INCR", "n")
	e := st.DB(0).GetString("n")
	if e == nil || string(e.Str()) != "42" || e.Expire != 5 {
		t.Fatalf("n = %v", e)
	}
	// EXPIRE with a past time stores it (the master sends the DEL).
	mustApply(t, ap, "PEXPIREAT", "n", "0")
	if e.Expire == 0 {
		t.Error("PEXPIREAT 0 lost the expiry")
	}
	// XADD/XTRIM "=" with LIMIT, which clients may not send, applies.
	mustApply(t, ap, "XADD", "x", "1-1", "f", "v")
	mustApply(t, ap, "XADD", "x", "MAXLEN", "=", "1", "LIMIT", "10", "2-1", "f", "v")
	mustApply(t, ap, "XTRIM", "x", "MINID", "=", "2-1", "LIMIT", "5")
	if s := st.DB(0).GetString("x").Stream(); s.Len() != 1 || s.FirstID.Ms != 2 {
		t.Errorf("stream len %d first %v", s.Len(), s.FirstID)
	}
}

func TestHashFieldExpiration(t *testing.T) {
	st, ap := newTest()
	h := func() *store.Hash { return st.DB(0).GetString("h").Hash() }
	mustApply(t, ap, "HSET", "h", "a", "1", "b", "2", "c", "3")
	mustApply(t, ap, "HPEXPIREAT", "h", "2000000000000", "FIELDS", "2", "a", "nosuch")
	if got := h().FieldExpire([]byte("a")); got != 2000000000000 {
		t.Fatalf("a ttl %d", got)
	}
	// GT fails against a larger TTL and against no TTL; LT sets on no TTL.
	mustApply(t, ap, "HPEXPIREAT", "h", "1500000000000", "GT", "FIELDS", "2", "a", "b")
	if h().FieldExpire([]byte("a")) != 2000000000000 || h().FieldExpire([]byte("b")) != 0 {
		t.Error("GT")
	}
	mustApply(t, ap, "HPEXPIREAT", "h", "1500000000000", "LT", "FIELDS", "2", "a", "b")
	if h().FieldExpire([]byte("a")) != 1500000000000 || h().FieldExpire([]byte("b")) != 1500000000000 {
		t.Error("LT")
	}
	mustApply(t, ap, "HPEXPIREAT", "h", "1600000000000", "NX", "FIELDS", "2", "b", "c")
	if h().FieldExpire([]byte("b")) != 1500000000000 || h().FieldExpire([]byte("c")) != 1600000000000 {
		t.Error("NX")
	}
	// Relative forms use the clock.
	mustApply(t, ap, "HEXPIRE", "h", "10", "XX", "FIELDS", "1", "c")
	if h().FieldExpire([]byte("c")) != 1_000_000_010_000 {
		t.Errorf("HEXPIRE %d", h().FieldExpire([]byte("c")))
	}
	// HPERSIST works even when the TTL is already past locally.
	mustApply(t, ap, "HPEXPIREAT", "h", "5", "FIELDS", "1", "a")
	mustApply(t, ap, "HPERSIST", "h", "FIELDS", "1", "a")
	if h().FieldExpire([]byte("a")) != 0 {
		t.Error("HPERSIST of a locally expired field")
	}
	// HINCRBY keeps the TTL; HSET clears it.
	mustApply(t, ap, "HINCRBY", "h", "b", "5")
	if h().FieldExpire([]byte("b")) != 1500000000000 {
		t.Error("HINCRBY dropped the TTL")
	}
	mustApply(t, ap, "HSET", "h", "b", "x")
	if h().FieldExpire([]byte("b")) != 0 {
		t.Error("HSET kept the TTL")
	}
	// HSETEX: FNX/FXX, TTL forms, KEEPTTL, none.
	mustApply(t, ap, "HSETEX", "h", "FNX", "PXAT", "1700000000000", "FIELDS", "2", "a", "new", "z", "new")
	if v, _ := h().Get([]byte("a")); string(v) != "1" {
		t.Error("FNX with an existing field must not set")
	}
	mustApply(t, ap, "HSETEX", "h", "FXX", "PXAT", "1700000000000", "FIELDS", "2", "a", "A", "b", "B")
	if v, _ := h().Get([]byte("a")); string(v) != "A" || h().FieldExpire([]byte("a")) != 1700000000000 {
		t.Error("FXX")
	}
	mustApply(t, ap, "HSETEX", "h", "KEEPTTL", "FIELDS", "1", "a", "A2")
	if h().FieldExpire([]byte("a")) != 1700000000000 {
		t.Error("KEEPTTL")
	}
	mustApply(t, ap, "HSETEX", "h", "FIELDS", "1", "a", "A3")
	if h().FieldExpire([]byte("a")) != 0 {
		t.Error("HSETEX without TTL keeps no TTL")
	}
	mustApply(t, ap, "HGETEX", "h", "EX", "100", "FIELDS", "2", "a", "nosuch")
	if h().FieldExpire([]byte("a")) != 1_000_000_100_000 {
		t.Error("HGETEX EX")
	}
	mustApply(t, ap, "HGETEX", "h", "PERSIST", "FIELDS", "1", "a")
	if h().FieldExpire([]byte("a")) != 0 {
		t.Error("HGETEX PERSIST")
	}
	mustApply(t, ap, "HGETDEL", "h", "FIELDS", "4", "a", "b", "c", "z")
	if st.DB(0).GetString("h") != nil {
		t.Error("HGETDEL of every field must delete the key")
	}
	for _, bad := range [][]string{
		{"HPEXPIREAT", "h", "-1", "FIELDS", "1", "a"},
		{"HPEXPIREAT", "h", "10", "FIELDS", "2", "a"},
		{"HPEXPIREAT", "h", "10", "FIELD", "1", "a"},
		{"HSETEX", "h", "EX", "0", "FIELDS", "1", "a", "b"},
	} {
		if err := ap.Apply(cmd(bad...)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	mustApply(t, ap, "MSETEX", "2", "k1", "v1", "k2", "v2", "PXAT", "1800000000000")
	if e := st.DB(0).GetString("k2"); e == nil || e.Expire != 1800000000000 {
		t.Error("MSETEX")
	}
	mustApply(t, ap, "MSETEX", "2", "k1", "x", "k3", "y", "NX", "EX", "5")
	if st.DB(0).GetString("k3") != nil {
		t.Error("MSETEX NX with an existing key must not set")
	}
}

func TestParsersAgreeWithRedis(t *testing.T) {
	_, ap := newTest()
	// string2ll: no leading zeros, no '+', no spaces, int64 range.
	for _, bad := range []string{"007", "+1", " 1", "1 ", "", "-", "9223372036854775808", "1.0", "-0"} {
		if err := ap.Apply(cmd("INCRBY", "k", bad)); err == nil {
			t.Errorf("INCRBY %q accepted", bad)
		}
	}
	for _, good := range []string{"0", "-9223372036854775808", "9223372036854775807"} {
		mustApply(t, ap, "DEL", "k")
		mustApply(t, ap, "INCRBY", "k", good)
	}
	// string2d: strtod syntax, whole string, no NaN, no overflow.
	for _, bad := range []string{"nan", "1e999", "abc", " 1", "1 ", "", "1e-400"} {
		if err := ap.Apply(cmd("ZADD", "z", bad, "m")); err == nil {
			t.Errorf("ZADD score %q accepted", bad)
		}
	}
	for _, good := range []string{"inf", "-Infinity", "0x1p3", "1e-310", ".5", "5.", "+1.5"} {
		mustApply(t, ap, "ZADD", "z", good, "m")
	}
}

func TestCheck(t *testing.T) {
	if err := apply.Check(cmd("SET", "k", "v")); err != nil {
		t.Errorf("SET: %v", err)
	}
	if err := apply.Check(cmd("NOPE")); !errors.Is(err, apply.ErrUnknownCommand) {
		t.Errorf("NOPE: %v", err)
	}
	if err := apply.Check(cmd("evalsha", "x", "0")); !errors.Is(err, apply.ErrUnsupported) {
		t.Errorf("EVALSHA: %v", err)
	}
	set := cmd("SET", "k", "v")
	if n := testing.AllocsPerRun(100, func() { _ = apply.Check(set) }); n != 0 {
		t.Errorf("Check allocates %v times", n)
	}
}

// TestRelativeTimes covers the relative forms ≤6.2 masters send, which
// the applier makes absolute with its clock (1e12 ms here).
func TestRelativeTimes(t *testing.T) {
	st, ap := newTest()
	const now = 1_000_000_000_000
	exp := func(k string) int64 { return st.DB(0).GetString(k).Expire }
	mustApply(t, ap, "SETEX", "a", "10", "v")
	mustApply(t, ap, "PSETEX", "b", "1500", "v")
	mustApply(t, ap, "SET", "c", "v", "EX", "7")
	mustApply(t, ap, "SET", "d", "v", "PX", "70")
	mustApply(t, ap, "SET", "e", "v")
	mustApply(t, ap, "EXPIRE", "e", "3")
	mustApply(t, ap, "SET", "f", "v")
	mustApply(t, ap, "PEXPIRE", "f", "30")
	mustApply(t, ap, "SET", "g", "v")
	mustApply(t, ap, "GETEX", "g", "PX", "5")
	mustApply(t, ap, "SET", "h", "v")
	mustApply(t, ap, "EXPIREAT", "h", "2000000000")
	want := map[string]int64{"a": now + 10000, "b": now + 1500, "c": now + 7000, "d": now + 70, "e": now + 3000,
		"f": now + 30, "g": now + 5, "h": 2000000000000}
	for k, w := range want {
		if got := exp(k); got != w {
			t.Errorf("%s: expire %d, want %d", k, got, w)
		}
	}
	mustApply(t, ap, "XADD", "x", "*", "f", "v")
	mustApply(t, ap, "XADD", "x", "*", "f", "v")
	if s := st.DB(0).GetString("x").Stream(); s.LastID.Ms != now || s.LastID.Seq != 1 {
		t.Errorf("XADD * ids: last %v", s.LastID)
	}
	if err := ap.Apply(cmd("SET", "k", "v", "EX", "-1")); !errors.Is(err, apply.ErrInvalidExp) {
		t.Errorf("SET EX -1: %v", err)
	}
}
