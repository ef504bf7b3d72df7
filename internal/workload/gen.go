package workload

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Gen produces a seeded random workload of write commands (as a client
// sends them to the master) over small pools of keys, so that commands
// meet each other's keys, cross the encoding thresholds and sometimes hit
// the wrong type (the master rejects those and propagates nothing). It
// covers every command the follower applies: strings, bitmaps, HLL, keys,
// lists, sets, sorted sets (GEO, SORT), hashes, streams with consumer
// groups, EVAL with several writes and FUNCTION LOAD + FCALL.
//
// Undefined behaviour (lex ranges over mixed scores, SORT ALPHA ties, ...)
// and TTLs that could expire during a run are not generated.
type Gen struct {
	r     *rand.Rand
	now   int64 // Unix ms at start; TTLs are hours ahead so none expires during a run
	funcs int
	// q runs a read-only query on the master (not propagated), to pick
	// existing stream IDs and pending entries.
	q func(args ...any) (any, error)
}

// NewGen returns a generator for seed. q runs a read-only query on the
// master (not propagated), used to pick existing stream IDs and pending
// entries; it must use the database the workload is currently in.
func NewGen(seed uint64, q func(args ...any) (any, error)) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: time.Now().UnixMilli(), q: q}
}

// ids returns up to n IDs from the reply of a stream query: XRANGE entries
// or XPENDING rows (both have the ID first).
func (g *Gen) ids(args ...any) []any {
	v, err := g.q(args...)
	rows, _ := v.([]any)
	if err != nil {
		return nil
	}
	var out []any
	for _, r := range rows {
		if row, ok := r.([]any); ok && len(row) > 0 {
			out = append(out, row[0])
		}
	}
	return out
}

// someIDs picks a few of ids, sometimes adding one that no longer exists.
func (g *Gen) someIDs(ids []any) []any {
	var out []any
	for _, id := range ids {
		if g.chance(0.3) {
			out = append(out, id)
		}
	}
	if len(out) == 0 && len(ids) > 0 {
		out = append(out, ids[g.n(len(ids))])
	}
	if len(out) == 0 || g.chance(0.2) {
		out = append(out, fmt.Sprintf("%d-%d", g.now-int64(g.n(3)), g.n(3)))
	}
	return out
}

func (g *Gen) n(k int) int        { return g.r.IntN(k) }
func (g *Gen) pick(xs ...any) any { return xs[g.r.IntN(len(xs))] }

// Chance returns true with probability p.
func (g *Gen) Chance(p float64) bool { return g.chance(p) }

func (g *Gen) chance(p float64) bool {
	return g.r.Float64() < p
}

// key returns a key of the given family; a small share of the time a key
// of another family, to exercise WRONGTYPE paths.
func (g *Gen) key(family string) string {
	if g.chance(0.03) {
		family = g.pick("s", "l", "set", "z", "h", "x").(string)
	}
	return fmt.Sprintf("%s:%d", family, g.n(8))
}

// val returns a value: short, numeric, binary, or long (past the 64-byte
// listpack limit).
func (g *Gen) val() string {
	switch g.n(10) {
	case 0:
		b := make([]byte, 1+g.n(12))
		for i := range b {
			b[i] = byte(g.n(256))
		}
		return string(b)
	case 1:
		return string(make([]byte, 65+g.n(40))) + "long"
	case 2, 3:
		return strconv.Itoa(g.n(1000) - 100)
	case 4:
		return ""
	}
	return fmt.Sprintf("v%d", g.n(50))
}

// member draws from a pool big enough to cross the 128-entry limits.
func (g *Gen) member() string {
	if g.chance(0.02) {
		return fmt.Sprintf("long-member-%070d", g.n(5))
	}
	if g.chance(0.3) {
		return strconv.Itoa(g.n(600))
	}
	return fmt.Sprintf("m%d", g.n(300))
}

func (g *Gen) score() any {
	switch g.n(12) {
	case 0:
		return g.pick("inf", "-inf", "+inf", "-0", "0")
	case 1:
		return fmt.Sprintf("%.3f", g.r.NormFloat64()*1e6)
	case 2:
		// No subnormal scores ("1e-310"): parsing one leaves errno at
		// ERANGE in the server process until a system call resets it, and
		// SORT reads errno without clearing it, so a numeric SORT ... STORE
		// arriving in the same replication read fails on a stock replica
		// after succeeding on the master (the applier follows the master).
		return g.pick("1.5e300", "-2.5", "0.1", "3.14159265358979")
	}
	return g.n(100) - 20
}

func (g *Gen) ttlSeconds() int { return 3600 + g.n(7200) }

func (g *Gen) members(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = g.member()
	}
	return out
}

func (g *Gen) many(n int, f func() []any) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, f()...)
	}
	return out
}

// Cmd returns the next command.
func (g *Gen) Cmd() []any { return g.cmd() }

func (g *Gen) cmd() []any {
	switch g.n(11) {
	case 10:
		return g.sortCmd()
	case 9:
		return g.geoCmd()
	case 7:
		return g.bitCmd()
	case 8:
		return g.hllCmd()
	case 0:
		return g.stringCmd()
	case 1:
		return g.keyCmd()
	case 2:
		return g.listCmd()
	case 3:
		return g.setCmd()
	case 4:
		return g.zsetCmd()
	case 5:
		return g.hashCmd()
	default:
		return g.streamCmd()
	}
}

func (g *Gen) stringCmd() []any {
	k := g.key("s")
	switch g.n(20) {
	case 0, 1:
		c := []any{"SET", k, g.val()}
		if g.chance(0.3) {
			c = append(c, g.pick("NX", "XX"))
		}
		if g.chance(0.3) {
			c = append(c, "GET")
		}
		switch g.n(6) {
		case 0:
			c = append(c, "EX", g.ttlSeconds())
		case 1:
			c = append(c, "PX", g.ttlSeconds()*1000)
		case 2:
			c = append(c, "EXAT", g.now/1000+int64(g.ttlSeconds()))
		case 3:
			c = append(c, "PXAT", g.now+int64(g.ttlSeconds())*1000)
		case 4:
			c = append(c, "KEEPTTL")
		}
		return c
	case 2:
		return []any{"SETEX", k, g.ttlSeconds(), g.val()}
	case 3:
		return []any{"PSETEX", k, g.ttlSeconds() * 1000, g.val()}
	case 4:
		return []any{"SETNX", k, g.val()}
	case 5:
		return []any{g.pick("MSET", "MSETNX"), k, g.val(), g.key("s"), g.val()}
	case 6:
		return []any{"GETSET", k, g.val()}
	case 7:
		return []any{"GETDEL", k}
	case 8:
		switch g.n(5) {
		case 0:
			return []any{"GETEX", k, "EX", g.ttlSeconds()}
		case 1:
			return []any{"GETEX", k, "PX", g.ttlSeconds() * 1000}
		case 2:
			return []any{"GETEX", k, "EXAT", g.now/1000 + int64(g.ttlSeconds())}
		case 3:
			return []any{"GETEX", k, "PXAT", g.now + int64(g.ttlSeconds())*1000}
		}
		return []any{"GETEX", k, "PERSIST"}
	case 9:
		return []any{"APPEND", k, g.val()}
	case 10:
		return []any{"SETRANGE", k, g.n(80), g.val()}
	case 11, 12:
		return []any{g.pick("INCR", "DECR"), g.key("n")}
	case 13:
		return []any{g.pick("INCRBY", "DECRBY"), g.key("n"), g.n(2000) - 1000}
	case 14, 15:
		return []any{"INCRBYFLOAT", g.key("f"), g.pick("0.1", "-1.5", "1e3", "3", "-0.0001", "2.5e-5", "17")}
	case 16:
		return []any{"SET", g.key("n"), g.n(100)}
	}
	return []any{"SET", k, g.val()}
}

func (g *Gen) keyCmd() []any {
	fam := g.pick("s", "l", "set", "z", "h", "x", "n").(string)
	k := g.key(fam)
	switch g.n(24) {
	case 0, 1:
		return []any{g.pick("DEL", "UNLINK"), k, g.key(fam)}
	case 2, 3:
		c := []any{g.pick("EXPIRE", "PEXPIRE"), k, g.ttlSeconds()}
		if c[0] == "PEXPIRE" {
			c[2] = g.ttlSeconds() * 1000
		}
		if g.chance(0.5) {
			c = append(c, g.pick("NX", "XX", "GT", "LT"))
		}
		return c
	case 4:
		c := []any{"EXPIREAT", k, g.now/1000 + int64(g.ttlSeconds())}
		if g.chance(0.5) {
			c = append(c, g.pick("NX", "XX", "GT", "LT"))
		}
		return c
	case 5:
		return []any{"PEXPIREAT", k, g.now + int64(g.ttlSeconds())*1000, g.pick("NX", "XX", "GT", "LT")}
	case 6:
		return []any{"EXPIRE", k, -1}
	case 7, 8:
		return []any{"PERSIST", k}
	case 9:
		return []any{"RENAME", k, g.key(fam)}
	case 10:
		return []any{"RENAMENX", k, g.key(fam)}
	case 11:
		return []any{"MOVE", k, 1 + g.n(2)}
	case 12, 13:
		c := []any{"COPY", k, g.key(fam)}
		if g.chance(0.5) {
			c = append(c, "REPLACE")
		}
		if g.chance(0.3) {
			c = append(c, "DB", g.n(3))
		}
		return c
	case 14:
		return []any{"SELECT", g.n(3)}
	case 15:
		if g.chance(0.1) {
			return []any{"SWAPDB", g.n(3), g.n(3)}
		}
	case 16:
		if g.chance(0.02) {
			return []any{"FLUSHDB", g.pick("ASYNC", "SYNC")}
		}
	case 17:
		return g.evalCmd()
	case 18:
		return g.functionCmd()
	}
	return []any{"TOUCH", k}
}

func (g *Gen) evalCmd() []any {
	switch g.n(3) {
	case 0:
		return []any{"EVAL", "redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', KEYS[2]); redis.call('LPUSH', KEYS[3], ARGV[1]); return 1",
			3, g.key("s"), g.key("n"), g.key("l"), g.val()}
	case 1:
		return []any{"EVAL", "redis.call('ZINCRBY', KEYS[1], ARGV[1], ARGV[2]); redis.call('HINCRBYFLOAT', KEYS[2], ARGV[2], ARGV[1]); return 1",
			2, g.key("z"), g.key("h"), g.pick("1.5", "-2", "0.1"), g.member()}
	}
	return []any{"EVAL", "local v = redis.call('SPOP', KEYS[1]); if v then redis.call('SADD', KEYS[2], v) end; return v",
		2, g.key("set"), g.key("set")}
}

func (g *Gen) functionCmd() []any {
	if g.funcs == 0 || g.chance(0.1) {
		g.funcs++
		return []any{"FUNCTION", "LOAD", "REPLACE", fmt.Sprintf(
			"#!lua name=lib%d\nredis.register_function('f%d', function(keys, args) redis.call('SET', keys[1], args[1]); redis.call('RPUSH', keys[2], args[1]); return redis.call('HINCRBY', keys[3], 'calls', %d) end)",
			g.funcs%3, g.funcs%3, g.funcs)}
	}
	if g.chance(0.05) {
		return []any{"FUNCTION", "DELETE", fmt.Sprintf("lib%d", g.n(3))}
	}
	return []any{"FCALL", fmt.Sprintf("f%d", g.n(3)), 3, g.key("s"), g.key("l"), g.key("h"), g.val()}
}

func (g *Gen) listCmd() []any {
	k := g.key("l")
	switch g.n(18) {
	case 0, 1, 2:
		return append([]any{g.pick("LPUSH", "RPUSH"), k}, g.many(1+g.n(3), func() []any { return []any{g.val()} })...)
	case 3:
		if g.chance(0.2) {
			return append([]any{"RPUSH", k}, g.many(150, func() []any { return []any{g.member()} })...)
		}
		return []any{g.pick("LPUSHX", "RPUSHX"), k, g.val()}
	case 4:
		if g.chance(0.5) {
			return []any{g.pick("LPOP", "RPOP"), k, g.n(4)}
		}
		return []any{g.pick("LPOP", "RPOP"), k}
	case 5:
		return []any{"LINSERT", k, g.pick("BEFORE", "AFTER"), g.existing("LINDEX", k, g.n(10)-5), g.val()}
	case 6:
		return []any{"LSET", k, g.n(10) - 5, g.val()}
	case 7:
		return []any{"LTRIM", k, g.n(10) - 3, g.n(200) - 20}
	case 8:
		return []any{"LREM", k, g.n(7) - 3, g.existing("LINDEX", k, g.n(10)-5)}
	case 9:
		return []any{"RPOPLPUSH", k, g.key("l")}
	case 10:
		return []any{"LMOVE", k, g.key("l"), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT")}
	case 11:
		return []any{g.pick("BLPOP", "BRPOP"), k, g.key("l"), "0.01"}
	case 12:
		return []any{"BLMOVE", k, g.key("l"), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT"), "0.01"}
	case 13:
		return []any{"LMPOP", 2, k, g.key("l"), g.pick("LEFT", "RIGHT"), "COUNT", 1 + g.n(3)}
	case 14:
		return []any{"BRPOPLPUSH", k, g.key("l"), "0.01"}
	}
	return []any{"RPUSH", k, g.val()}
}

func (g *Gen) setCmd() []any {
	k := g.key("set")
	switch g.n(14) {
	case 0, 1, 2:
		return append([]any{"SADD", k}, g.members(1+g.n(4))...)
	case 3:
		if g.chance(0.3) {
			return append([]any{"SADD", k}, g.members(200)...)
		}
		return append([]any{"SADD", k}, strconv.Itoa(g.n(600)), strconv.Itoa(g.n(600)))
	case 4:
		return []any{"SREM", k, g.existing("SRANDMEMBER", k), g.member()}
	case 5:
		return []any{"SMOVE", k, g.key("set"), g.member()}
	case 6:
		if g.chance(0.5) {
			return []any{"SPOP", k, g.n(5)}
		}
		return []any{"SPOP", k}
	case 7:
		return []any{"SINTERSTORE", g.key("set"), k, g.key("set")}
	case 8:
		return []any{"SUNIONSTORE", g.key("set"), k, g.key("set"), g.key("set")}
	case 9:
		return []any{"SDIFFSTORE", g.key("set"), k, g.key("set")}
	}
	return []any{"SADD", k, g.member()}
}

func (g *Gen) zsetCmd() []any {
	k := g.key("z")
	if g.chance(0.12) {
		return g.zlexCmd()
	}
	switch g.n(24) {
	case 0, 1, 2, 3:
		c := []any{"ZADD", k}
		incr := false
		for _, opt := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if g.chance(0.12) {
				c = append(c, opt)
				incr = incr || opt == "INCR"
			}
		}
		n := 1 + g.n(4)
		if incr {
			n = 1
		}
		return append(c, g.many(n, func() []any { return []any{g.score(), g.member()} })...)
	case 4:
		if g.chance(0.3) {
			return append([]any{"ZADD", k}, g.many(150, func() []any { return []any{g.n(1000), g.member()} })...)
		}
		return []any{"ZINCRBY", k, g.score(), g.member()}
	case 5:
		return []any{"ZINCRBY", k, g.score(), g.member()}
	case 6:
		return []any{"ZREM", k, g.existing("ZRANDMEMBER", k), g.member()}
	case 7:
		return []any{"ZREMRANGEBYSCORE", k, g.pick("-inf", "(5", "10", "0"), g.pick("+inf", "(20", "30", "0")}
	case 8:
		return []any{"ZREMRANGEBYRANK", k, g.n(10) - 5, g.n(10) - 3}
	case 9:
		return []any{g.pick("ZPOPMIN", "ZPOPMAX"), k, g.n(4)}
	case 10:
		return []any{g.pick("BZPOPMIN", "BZPOPMAX"), k, g.key("z"), "0.01"}
	case 11:
		return []any{"ZMPOP", 2, k, g.key("z"), g.pick("MIN", "MAX"), "COUNT", 1 + g.n(3)}
	case 12, 13, 14:
		op := g.pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE").(string)
		srcs := []any{k, g.key("z")}
		if g.chance(0.3) {
			srcs = append(srcs, g.key("set"))
		}
		c := append([]any{op, g.key("z"), len(srcs)}, srcs...)
		if op != "ZDIFFSTORE" {
			if g.chance(0.5) {
				c = append(c, "WEIGHTS")
				for range srcs {
					c = append(c, g.pick(1, 2, "0.5", -1, 0, "-0.25", "inf"))
				}
			}
			if g.chance(0.5) {
				c = append(c, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
			}
		}
		return c
	case 15, 16:
		return g.zrangestoreCmd(k)
	}
	return []any{"ZADD", k, g.score(), g.member()}
}

func (g *Gen) zrangestoreCmd(src string) []any {
	dst := g.key("z")
	switch g.n(3) {
	case 0:
		c := []any{"ZRANGESTORE", dst, src, g.n(20) - 10, g.n(200) - 10}
		if g.chance(0.5) {
			c = append(c, "REV")
		}
		return c
	case 1:
		lo, hi := g.pick("-inf", "(0", "5", "-10"), g.pick("+inf", "(50", "100", "0")
		c := []any{"ZRANGESTORE", dst, src}
		rev := g.chance(0.4)
		if rev {
			c = append(c, hi, lo, "BYSCORE", "REV")
		} else {
			c = append(c, lo, hi, "BYSCORE")
		}
		if g.chance(0.5) {
			c = append(c, "LIMIT", g.n(5)-1, g.n(8)-1)
		}
		return c
	}
	return []any{"ZRANGESTORE", dst, src, 0, -1}
}

// zlexCmd works on zl:* keys whose members all have score 0 (lex ranges
// are only defined then).
func (g *Gen) zlexCmd() []any {
	k := fmt.Sprintf("zl:%d", g.n(3))
	lex := func() any {
		switch g.n(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		}
		return string(g.pick("[", "(").(string)) + fmt.Sprintf("m%d", g.n(300))
	}
	switch g.n(6) {
	case 0, 1:
		return append([]any{"ZADD", k}, g.many(1+g.n(5), func() []any { return []any{0, g.member()} })...)
	case 2:
		return []any{"ZREMRANGEBYLEX", k, lex(), lex()}
	case 3:
		c := []any{"ZRANGESTORE", fmt.Sprintf("zl:%d", g.n(3)), k, lex(), lex(), "BYLEX"}
		if g.chance(0.5) {
			c = append(c, "REV")
		}
		if g.chance(0.5) {
			c = append(c, "LIMIT", g.n(4), g.n(10)-1)
		}
		return c
	case 4:
		return []any{"ZPOPMIN", k}
	}
	return []any{"ZREM", k, g.existing("ZRANDMEMBER", k)}
}

func (g *Gen) hashCmd() []any {
	k := g.key("h")
	field := func() string {
		if g.chance(0.3) {
			return fmt.Sprintf("f%d", g.n(300))
		}
		return fmt.Sprintf("f%d", g.n(10))
	}
	switch g.n(12) {
	case 0, 1, 2:
		return append([]any{"HSET", k}, g.many(1+g.n(3), func() []any { return []any{field(), g.val()} })...)
	case 3:
		if g.chance(0.2) {
			return append([]any{"HSET", k}, g.many(150, func() []any { return []any{field(), g.val()} })...)
		}
		return []any{"HMSET", k, field(), g.val()}
	case 4:
		return []any{"HSETNX", k, field(), g.val()}
	case 5:
		return []any{"HDEL", k, g.existing("HRANDFIELD", k), field()}
	case 6, 7:
		return []any{"HINCRBY", k, fmt.Sprintf("n%d", g.n(4)), g.n(200) - 100}
	case 8, 9:
		return []any{"HINCRBYFLOAT", k, fmt.Sprintf("x%d", g.n(4)), g.pick("0.1", "-1.25", "1e2", "3.0e-3")}
	}
	return []any{"HSET", k, field(), g.val()}
}

// existing returns an element of the collection at key via a read-only
// query (LINDEX, ZRANDMEMBER, SRANDMEMBER, HRANDFIELD), or a random one.
func (g *Gen) existing(query ...any) string {
	v, err := g.q(query...)
	if err == nil {
		switch t := v.(type) {
		case string:
			return t
		case []any:
			if len(t) > 0 {
				return fmt.Sprint(t[0])
			}
		}
	}
	return g.member()
}

func (g *Gen) streamCmd() []any {
	k := fmt.Sprintf("x:%d", g.n(3))
	group := fmt.Sprintf("g%d", g.n(3))
	consumer := fmt.Sprintf("c%d", g.n(4))
	switch g.n(26) {
	case 0, 1, 2, 3, 4:
		c := []any{"XADD", k}
		if g.chance(0.1) {
			c = append(c, "NOMKSTREAM")
		}
		if g.chance(0.25) {
			op := g.pick("~", "=", "").(string)
			if g.chance(0.5) {
				c = append(c, "MAXLEN")
				if op != "" {
					c = append(c, op)
				}
				c = append(c, 5+g.n(30))
			} else {
				c = append(c, "MINID")
				if op != "" {
					c = append(c, op)
				}
				c = append(c, fmt.Sprintf("%d-0", time.Now().UnixMilli()-int64(g.n(300))))
			}
			if op == "~" && g.chance(0.5) {
				c = append(c, "LIMIT", 1+g.n(20))
			}
		}
		c = append(c, "*")
		return append(c, g.many(1+g.n(3), func() []any { return []any{g.pick("a", "b", "c", "d"), g.val()} })...)
	case 5:
		if g.chance(0.5) {
			return append([]any{"XADD", k, "*"}, g.many(1+g.n(2), func() []any { return []any{"f", g.val()} })...)
		}
		return []any{"XADD", k, fmt.Sprintf("%d-*", g.now+int64(g.n(100000))), "f", g.val()}
	case 6:
		return append([]any{"XDEL", k}, g.someIDs(g.ids("XRANGE", k, "-", "+", "COUNT", 30))...)
	case 19, 20:
		return append([]any{"XACK", k, group}, g.someIDs(g.ids("XPENDING", k, group, "-", "+", 20))...)
	case 21, 22:
		ids := g.someIDs(append(g.ids("XPENDING", k, group, "-", "+", 20), g.ids("XRANGE", k, "-", "+", "COUNT", 5)...))
		c := append([]any{"XCLAIM", k, group, consumer, g.pick(0, 0, 100000)}, ids...)
		for _, opt := range []string{"FORCE", "JUSTID"} {
			if g.chance(0.3) {
				c = append(c, opt)
			}
		}
		if g.chance(0.3) {
			c = append(c, "RETRYCOUNT", g.n(5))
		}
		if g.chance(0.3) {
			c = append(c, g.pick("IDLE", "TIME").(string))
			if c[len(c)-1] == "IDLE" {
				c = append(c, g.n(100000))
			} else {
				c = append(c, time.Now().UnixMilli()-int64(g.n(100000)))
			}
		}
		if g.chance(0.2) {
			c = append(c, "LASTID", fmt.Sprintf("%d-0", time.Now().UnixMilli()))
		}
		return c
	case 7:
		return []any{"XTRIM", k, g.pick("MAXLEN", "MINID"), g.pick("~", "="), g.pick(10, 3, fmt.Sprintf("%d", g.now))}
	case 8:
		c := []any{"XGROUP", "CREATE", k, group, g.pick("0", "$")}
		if g.chance(0.5) {
			c = append(c, "MKSTREAM")
		}
		if g.chance(0.3) {
			c = append(c, "ENTRIESREAD", g.n(5))
		}
		return c
	case 9:
		c := []any{"XGROUP", "SETID", k, group, g.pick("0", "$")}
		if g.chance(0.5) {
			c = append(c, "ENTRIESREAD", g.n(5))
		}
		return c
	case 10:
		if g.chance(0.2) {
			return []any{"XGROUP", "DESTROY", k, group}
		}
		return []any{"XGROUP", "CREATECONSUMER", k, group, consumer}
	case 11:
		return []any{"XGROUP", "DELCONSUMER", k, group, consumer}
	case 12, 13, 14, 15:
		c := []any{"XREADGROUP", "GROUP", group, consumer, "COUNT", 1 + g.n(4)}
		if g.chance(0.2) {
			c = append(c, "NOACK")
		}
		// History reads ("0") are left out: they bump delivery counts on the
		// master only (TestStockReplicaDivergences).
		return append(c, "STREAMS", k, ">")
	case 16, 17:
		return []any{"XAUTOCLAIM", k, group, consumer, 0, "0-0", "COUNT", 1 + g.n(5)}
	case 18:
		return []any{"XSETID", k, fmt.Sprintf("%d-0", g.now+100000000), "ENTRIESADDED", 1000 + g.n(10), "MAXDELETEDID", "1-0"}
	}
	return []any{"XADD", k, "*", "f", g.val()}
}

func (g *Gen) bitCmd() []any {
	k := fmt.Sprintf("b:%d", g.n(4))
	typ := func() string {
		if g.chance(0.5) {
			return fmt.Sprintf("i%d", 1+g.n(64))
		}
		return fmt.Sprintf("u%d", 1+g.n(63))
	}
	off := func() any {
		if g.chance(0.3) {
			return fmt.Sprintf("#%d", g.n(40))
		}
		return g.n(700)
	}
	switch g.n(6) {
	case 0, 1:
		return []any{"SETBIT", k, g.n(3000), g.n(2)}
	case 2:
		op := g.pick("AND", "OR", "XOR", "NOT").(string)
		if op == "NOT" {
			return []any{"BITOP", op, fmt.Sprintf("b:%d", g.n(4)), k}
		}
		return []any{"BITOP", op, fmt.Sprintf("b:%d", g.n(4)), k, fmt.Sprintf("b:%d", g.n(4)), g.key("s")}
	case 3, 4:
		// A WRAP SET first, so that growing the string always counts as a
		// change: a BITFIELD whose every write fails under OVERFLOW FAIL
		// grows the string on the master without propagating anything.
		c := []any{"BITFIELD", k, "SET", typ(), off(), g.r.Int64N(1<<40) - 1<<39}
		for i := 0; i < 1+g.n(4); i++ {
			if g.chance(0.3) {
				c = append(c, "OVERFLOW", g.pick("WRAP", "SAT", "FAIL"))
			}
			switch g.n(3) {
			case 0:
				c = append(c, "GET", typ(), off())
			case 1:
				c = append(c, "SET", typ(), off(), g.r.Int64N(1<<20)-1<<19)
			default:
				c = append(c, "INCRBY", typ(), off(), g.pick(1, -1, 100, -1000, 1<<62, -(1<<62), g.r.Int64()))
			}
		}
		return c
	}
	return []any{"SETRANGE", k, g.n(300), g.val()}
}

func (g *Gen) hllCmd() []any {
	k := fmt.Sprintf("hll:%d", g.n(4))
	switch g.n(8) {
	case 0, 1, 2:
		n := 1 + g.n(5)
		if g.chance(0.15) {
			n = 300 + g.n(800)
		}
		c := []any{"PFADD", k}
		base := g.n(100000)
		for i := 0; i < n; i++ {
			c = append(c, fmt.Sprintf("e%d", base+i))
		}
		return c
	case 3, 4:
		return []any{"PFCOUNT", k}
	case 5:
		return []any{"PFCOUNT", k, fmt.Sprintf("hll:%d", g.n(4))}
	case 6:
		return []any{"PFMERGE", fmt.Sprintf("hll:%d", g.n(4)), k, fmt.Sprintf("hll:%d", g.n(4))}
	}
	return []any{"PFDEBUG", "TODENSE", k}
}

// geoPoint returns a longitude, latitude pair clustered around a few
// places (a pole region and the date line included), sometimes repeated
// exactly so that equal distances occur.
func (g *Gen) geoPoint() (string, string) {
	centers := [][2]float64{{13.36, 38.11}, {15.08, 37.5}, {-122.4, 37.8}, {179.9, 0.5}, {-179.95, -0.3}, {10, 81}, {-45, -84.9}}
	c := centers[g.n(len(centers))]
	if g.chance(0.15) {
		return fmt.Sprint(c[0]), fmt.Sprint(c[1])
	}
	lon := c[0] + g.r.NormFloat64()*0.5
	lat := c[1] + g.r.NormFloat64()*0.3
	lon = max(-180, min(180, lon))
	lat = max(-85.05112878, min(85.05112878, lat))
	return fmt.Sprintf("%.6f", lon), fmt.Sprintf("%.6f", lat)
}

func (g *Gen) geoCmd() []any {
	k := fmt.Sprintf("geo:%d", g.n(3))
	dst := fmt.Sprintf("geo:%d", g.n(5))
	unit := g.pick("m", "km", "mi", "ft").(string)
	radius := func() any {
		switch unit {
		case "m":
			return 1000 + g.n(200000)
		case "ft":
			return 3000 + g.n(600000)
		}
		return fmt.Sprintf("%.2f", 1+g.r.Float64()*(300))
	}
	opts := func(c []any) []any {
		if g.chance(0.5) {
			c = append(c, g.pick("ASC", "DESC"))
		}
		if g.chance(0.5) {
			c = append(c, "COUNT", 1+g.n(15))
			if g.chance(0.3) {
				c = append(c, "ANY")
			}
		}
		return c
	}
	switch g.n(8) {
	case 0, 1, 2:
		c := []any{"GEOADD", k}
		if g.chance(0.1) {
			c = append(c, g.pick("NX", "XX", "CH"))
		}
		for i := 0; i < 1+g.n(8); i++ {
			lon, lat := g.geoPoint()
			c = append(c, lon, lat, fmt.Sprintf("p%d", g.n(400)))
		}
		return c
	case 3:
		lon, lat := g.geoPoint()
		c := []any{"GEORADIUS", k, lon, lat, radius(), unit}
		c = opts(c)
		return append(c, g.pick("STORE", "STOREDIST"), dst)
	case 4:
		c := []any{"GEORADIUSBYMEMBER", k, g.existing("ZRANDMEMBER", k), radius(), unit}
		c = opts(c)
		return append(c, g.pick("STORE", "STOREDIST"), dst)
	}
	c := []any{"GEOSEARCHSTORE", dst, k}
	if g.chance(0.5) {
		c = append(c, "FROMMEMBER", g.existing("ZRANDMEMBER", k))
	} else {
		lon, lat := g.geoPoint()
		c = append(c, "FROMLONLAT", lon, lat)
	}
	if g.chance(0.5) {
		c = append(c, "BYRADIUS", radius(), unit)
	} else {
		c = append(c, "BYBOX", radius(), radius(), unit)
	}
	c = opts(c)
	if g.chance(0.5) {
		c = append(c, "STOREDIST")
	}
	return c
}

// sortCmd sorts lists, sets and sorted sets into a list, with BY and GET
// patterns over string weights (w:<elem>) and hash fields (wh:<elem>->f).
// ALPHA with BY is used on lists only: on sets Redis breaks ties in
// hash-table order, which no replica reproduces.
func (g *Gen) sortCmd() []any {
	if g.chance(0.3) {
		m := g.member()
		if g.chance(0.5) {
			return []any{"SET", "w:" + m, g.pick(g.n(50), "1.5", "-3", "abc", "1e3")}
		}
		return []any{"HSET", "wh:" + m, "f", g.n(50)}
	}
	src := g.pick(g.key("l"), g.key("set"), g.key("z")).(string)
	c := []any{"SORT", src}
	typ, _ := g.q("TYPE", src) // keys of one family can hold another type
	alpha := g.chance(0.4)
	if typ == "zset" {
		// A SORT that fails on a sorted set (a score that is not a number)
		// or stores nothing (so is not propagated) still turns it into a
		// skiplist on the master, and only there
		// (TestStockReplicaDivergences): sorted sets are sorted ALPHA and
		// without LIMIT.
		alpha = true
	}
	by := ""
	if g.chance(0.5) {
		by = g.pick("w:*", "wh:*->f", "nosort").(string)
		if alpha && typ != "list" {
			by = "nosort"
		}
		c = append(c, "BY", by)
	}
	if alpha {
		c = append(c, "ALPHA")
	}
	if g.chance(0.4) {
		c = append(c, "DESC")
	}
	if g.chance(0.4) && typ != "zset" {
		c = append(c, "LIMIT", g.n(10)-2, g.n(20)-3)
	}
	for i := 0; i < g.n(3); i++ {
		c = append(c, "GET", g.pick("#", "w:*", "wh:*->f", "const").(string))
	}
	return append(c, "STORE", g.key("l"))
}
