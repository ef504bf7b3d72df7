package apply_test

import (
	"fmt"
	"testing"
	"time"
)

// TestDirected runs hand-written command lists covering the odd corners on
// a real master and compares the applied stream with it and with a stock
// replica.
func TestDirected(t *testing.T) {
	h := newHarness(t, true)
	c := h.master.Client.Conn()
	defer c.Close()
	future := time.Now().Add(time.Hour).UnixMilli()
	cmds := [][]any{
		// Strings and options.
		{"SET", "s1", "v"}, {"SET", "s1", "w", "XX", "GET"}, {"SET", "s2", "x", "NX"},
		{"SET", "s3", "y", "EX", 1000}, {"SET", "s3", "z", "KEEPTTL"}, {"SET", "s4", "a", "PX", 500000, "GET"},
		{"SET", "s5", "b", "EXAT", future / 1000}, {"SET", "s6", "c", "PXAT", future},
		{"SETEX", "s7", 100, "v"}, {"PSETEX", "s8", 100000, "v"}, {"SETNX", "s8", "no"}, {"SETNX", "s9", "yes"},
		{"MSET", "m1", "1", "m2", "2"}, {"MSETNX", "m1", "x", "m3", "3"}, {"MSETNX", "m4", "4", "m5", "5"},
		{"GETSET", "s3", "gs"}, {"GETDEL", "s9"}, {"GETEX", "s1", "EX", 3000}, {"GETEX", "s1", "PERSIST"},
		{"GETEX", "s2", "PXAT", future}, {"APPEND", "s2", "tail"}, {"APPEND", "new", "first"},
		{"SETRANGE", "sr", 5, "abc"}, {"SETRANGE", "sr", 1, "Z"}, {"SETRANGE", "s2", 20, "far"},
		{"SETRANGE", "empty", 3, ""},
		{"INCR", "n"}, {"INCRBY", "n", 41}, {"DECR", "n"}, {"DECRBY", "n", -100}, {"INCRBY", "n", -9223372036854775000},
		{"INCRBYFLOAT", "f", "1.1"}, {"INCRBYFLOAT", "f", "2.2e3"}, {"INCRBYFLOAT", "f", "-0.0000001"},
		{"SET", "ft", "10"}, {"EXPIRE", "ft", 5000}, {"INCRBYFLOAT", "ft", "0.5"},
		// Keys.
		{"EXPIRE", "m1", 1000, "NX"}, {"EXPIRE", "m1", 2000, "NX"}, {"EXPIRE", "m1", 500, "GT"}, {"EXPIRE", "m1", 3000, "GT"},
		{"PEXPIRE", "m2", 900000, "XX"}, {"PEXPIRE", "m2", 900000}, {"PEXPIRE", "m2", 800000, "LT"},
		{"EXPIREAT", "m3", future/1000 + 10}, {"PEXPIREAT", "m4", future + 5}, {"PERSIST", "m4"},
		{"EXPIRE", "m5", -1}, {"RENAME", "m1", "m1r"}, {"RENAMENX", "m2", "m1r"}, {"RENAMENX", "m2", "m2r"},
		{"RENAME", "m2r", "m2r"}, {"MOVE", "m3", 2}, {"COPY", "m1r", "m1c"}, {"COPY", "m1r", "m1c", "REPLACE"},
		{"COPY", "m1r", "m1c", "DB", 3}, {"DEL", "s7", "nosuch"}, {"UNLINK", "s8"},
		{"SELECT", 3}, {"SET", "in3", "v"}, {"SWAPDB", 3, 4}, {"SELECT", 4}, {"SET", "in4", "x"}, {"SELECT", 0},
		{"SELECT", 5}, {"SET", "gone", "1"}, {"FLUSHDB"}, {"SELECT", 0},
		// Lists.
		{"RPUSH", "l", "a", "b", "c", "b", "a", "b"}, {"LPUSH", "l", "z"}, {"LPUSHX", "nol", "x"}, {"RPUSHX", "l", "end"},
		{"LINSERT", "l", "BEFORE", "b", "B"}, {"LINSERT", "l", "AFTER", "end", "END"}, {"LINSERT", "l", "AFTER", "nope", "x"},
		{"LSET", "l", -1, "last"}, {"LSET", "l", 0, "first"}, {"LREM", "l", -2, "b"}, {"LREM", "l", 1, "a"},
		{"LTRIM", "l", 1, -2}, {"LPOP", "l"}, {"RPOP", "l", 2}, {"RPOPLPUSH", "l", "l2"}, {"LMOVE", "l", "l2", "LEFT", "RIGHT"},
		{"LMOVE", "l2", "l2", "RIGHT", "LEFT"}, {"RPUSH", "lt", "1", "2"}, {"LTRIM", "lt", 5, 10},
		{"RPUSH", "bl", "x", "y"}, {"BLPOP", "bl", 1}, {"BLMOVE", "bl", "bl2", "LEFT", "LEFT", 1},
		{"RPUSH", "lm", "1", "2", "3"}, {"LMPOP", 2, "nosuch", "lm", "RIGHT", "COUNT", 5},
		// Sets.
		{"SADD", "st", "a", "b", "c", "1", "2"}, {"SREM", "st", "a", "x"}, {"SMOVE", "st", "st2", "b"},
		{"SMOVE", "st", "st", "c"}, {"SPOP", "st"}, {"SADD", "sa", "1", "2", "3"}, {"SADD", "sb", "2", "3", "4"},
		{"SINTERSTORE", "si", "sa", "sb"}, {"SUNIONSTORE", "su", "sa", "sb", "nosuch"}, {"SDIFFSTORE", "sd", "sa", "sb"},
		{"SINTERSTORE", "si", "sa", "nosuch"}, {"SPOP", "sb", 10},
		// Sorted sets.
		{"ZADD", "z", 1, "a", 2, "b", "3.5", "c", "-inf", "d", "+inf", "e"}, {"ZADD", "z", "NX", 10, "a", 10, "f"},
		{"ZADD", "z", "XX", "CH", 5, "a", 5, "g"}, {"ZADD", "z", "GT", 1, "b", 3, "b"}, {"ZADD", "z", "LT", 9, "c"},
		{"ZADD", "z", "INCR", 2.5, "a"}, {"ZADD", "z", "GT", "INCR", -1, "a"}, {"ZINCRBY", "z", "inf", "c"},
		{"ZADD", "z", "-0", "zero"}, {"ZREM", "z", "nosuch", "d"}, {"ZADD", "z2", 1, "x", 2, "y", 3, "a"},
		{"ZUNIONSTORE", "zu", 2, "z", "z2", "WEIGHTS", 2, "0.5", "AGGREGATE", "MAX"},
		{"ZINTERSTORE", "zi", 2, "z", "z2"}, {"ZDIFFSTORE", "zd", 2, "z", "z2"}, {"ZUNIONSTORE", "zs", 2, "st2", "z2"},
		{"ZRANGESTORE", "zr1", "z", 1, -2}, {"ZRANGESTORE", "zr2", "z", "(1", "+inf", "BYSCORE", "LIMIT", 1, 2},
		{"ZRANGESTORE", "zr3", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 0, 3},
		{"ZRANGESTORE", "zr4", "z", 0, 1, "REV"},
		{"ZADD", "zl", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e"}, {"ZRANGESTORE", "zr5", "zl", "[b", "(e", "BYLEX"},
		{"ZRANGESTORE", "zr6", "zl", "+", "[b", "BYLEX", "REV", "LIMIT", 1, 2}, {"ZREMRANGEBYLEX", "zl", "-", "[b"},
		{"ZREMRANGEBYSCORE", "z", "-inf", "(2"}, {"ZREMRANGEBYRANK", "z", -2, -1}, {"ZPOPMIN", "z"}, {"ZPOPMAX", "z2", 2},
		{"BZPOPMIN", "z2", 1}, {"ZADD", "zm", 1, "a", 2, "b"}, {"ZMPOP", 1, "zm", "MAX", "COUNT", 10},
		// Hashes.
		{"HSET", "h", "f1", "v1", "f2", "v2"}, {"HMSET", "h", "f1", "w"}, {"HSETNX", "h", "f1", "no"}, {"HSETNX", "h", "f3", "3"},
		{"HINCRBY", "h", "f3", 10}, {"HINCRBY", "h", "n", -5}, {"HINCRBYFLOAT", "h", "fl", "1.5"}, {"HINCRBYFLOAT", "h", "fl", "1e2"},
		{"HDEL", "h", "f2", "x"}, {"HSET", "h2", "only", "1"}, {"HDEL", "h2", "only"},
		// Streams.
		{"XADD", "x", "1-1", "f", "v"}, {"XADD", "x", "1-*", "f", "v2"}, {"XADD", "x", "*", "a", "1", "a", "2"},
		{"XADD", "x", "MAXLEN", "~", 2, "*", "f", "v"}, {"XADD", "x", "NOMKSTREAM", "*", "f", "v"},
		{"XADD", "nox", "NOMKSTREAM", "*", "f", "v"}, {"XADD", "x2", "MINID", "=", "0-5", "LIMIT", 0, "5-1", "f", "v"},
		{"XGROUP", "CREATE", "x", "g1", "0"}, {"XGROUP", "CREATE", "x", "g2", "$", "ENTRIESREAD", 3},
		{"XGROUP", "CREATE", "x3", "g", "$", "MKSTREAM"}, {"XGROUP", "CREATECONSUMER", "x", "g1", "alice"},
		{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", 2, "STREAMS", "x", ">"},
		{"XREADGROUP", "GROUP", "g1", "carol", "NOACK", "STREAMS", "x", ">"},
		{"XCLAIM", "x", "g1", "alice", 0, "1-1", "1-2"}, {"XACK", "x", "g1", "1-1"},
		{"XDEL", "x", "1-2"}, {"XAUTOCLAIM", "x", "g1", "dave", 0, "0-0"},
		{"XGROUP", "SETID", "x", "g2", "0", "ENTRIESREAD", 0}, {"XGROUP", "SETID", "x", "g1", "$"},
		{"XGROUP", "DELCONSUMER", "x", "g1", "carol"}, {"XGROUP", "DESTROY", "x", "g2"},
		{"XTRIM", "x", "MAXLEN", 1}, {"XSETID", "x3", "5-5", "ENTRIESADDED", 7, "MAXDELETEDID", "3-0"},
		{"XADD", "x4", "1-1", "a", "b"}, {"XADD", "x4", "2-1", "a", "b"}, {"XDEL", "x4", "1-1", "2-1"},
		// Functions and scripts.
		{"FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) redis.call('SET', keys[1], args[1]); return redis.call('INCR', keys[2]) end)"},
		{"FCALL", "f1", 2, "fk1", "fk2", "val"},
		{"FUNCTION", "LOAD", "REPLACE", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return redis.call('RPUSH', keys[1], args[1]) end)"},
		{"FCALL", "f1", 1, "fl", "x"},
		{"EVAL", "redis.call('SET', KEYS[1], ARGV[1]); redis.call('HSET', KEYS[2], 'a', ARGV[1]); return 1", 2, "ek1", "ek2", "ev"},
	}
	for _, cmd := range cmds {
		if _, err := do(h.ctx, c, cmd...); err != nil {
			t.Logf("master rejected %v: %v", cmd, err)
		}
	}
	// RESTORE of every type, with relative and absolute TTLs, and FUNCTION RESTORE.
	for _, k := range []string{"s2", "l2", "st2", "zu", "h", "x", "zl"} {
		payload, err := do(h.ctx, c, "DUMP", k)
		if err != nil || payload == nil {
			t.Fatalf("DUMP %s: %v %v", k, payload, err)
		}
		for _, cmd := range [][]any{
			{"RESTORE", "r:" + k, 0, payload},
			{"RESTORE", "r:" + k, 100000, payload, "REPLACE"},
			{"RESTORE", "ra:" + k, future, payload, "ABSTTL", "IDLETIME", 10},
			{"RESTORE", "r:" + k, 0, payload},
		} {
			if _, err := do(h.ctx, c, cmd...); err != nil {
				t.Logf("master rejected %v: %v", cmd[:2], err)
			}
		}
	}
	fdump, err := do(h.ctx, c, "FUNCTION", "DUMP")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]any{{"FUNCTION", "FLUSH"}, {"FUNCTION", "RESTORE", fdump}, {"FUNCTION", "RESTORE", fdump, "REPLACE"}} {
		if _, err := do(h.ctx, c, cmd...); err != nil {
			t.Fatalf("%v: %v", cmd[:2], err)
		}
	}
	// A transaction with a SELECT inside.
	for _, cmd := range [][]any{{"MULTI"}, {"SET", "tx", "1"}, {"SELECT", 6}, {"INCR", "tx6"}, {"SELECT", 0}, {"EXEC"}} {
		if _, err := do(h.ctx, c, cmd...); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	if n := h.compare("directed"); n > 0 {
		t.Log(fmt.Sprint(h.rp.names))
	}
}
