// Package workload fills a Redis master with sample data of every type and
// drives it with a seeded random mix of write commands. Integration tests
// and `make demo` use it; it talks to Redis only as a client (go-redis).
//
// Everything is deterministic for a given seed, except wall-clock-derived
// values the server computes itself (stream IDs, delivery times).
package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// FillOptions shapes the sample dataset.
type FillOptions struct {
	// Scale is the number of string keys per database; collections scale
	// from it. 1000 gives about 1,500 keys per database.
	Scale int
	// DBs are the databases to fill (default 0, 1 and 5).
	DBs []int
	// Seed makes the data reproducible.
	Seed uint64
	// TTLBase is the earliest absolute expiry given to keys with a TTL
	// (default: one hour from now, so nothing expires during a test).
	TTLBase time.Time
}

// Library is a function library loaded by Fill (Redis 7.0+).
const Library = "#!lua name=followerdemo\nredis.register_function('hello', function(keys, args) return 'hello' end)\n"

// binaryKey returns a key name that is not valid UTF-8 and holds CR/LF/NUL.
func binaryKey(prefix string, i int) string {
	return prefix + "\r\n\x00bin\xff:" + strconv.Itoa(i)
}

func randBytes(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// Fill writes the sample dataset. It needs a 7.0+ server for functions
// (skipped, with no error, on older servers).
func Fill(ctx context.Context, c *redis.Client, o FillOptions) error {
	if o.Scale <= 0 {
		o.Scale = 1000
	}
	if len(o.DBs) == 0 {
		o.DBs = []int{0, 1, 5}
	}
	if o.TTLBase.IsZero() {
		o.TTLBase = time.Now().Add(time.Hour)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	conn := c.Conn()
	defer releaseConn(ctx, c, conn)
	for _, db := range o.DBs {
		if err := conn.Select(ctx, db).Err(); err != nil {
			return fmt.Errorf("SELECT %d: %w", db, err)
		}
		if err := fillDB(ctx, conn, r, o, db); err != nil {
			return fmt.Errorf("filling db %d: %w", db, err)
		}
	}
	if err := conn.Do(ctx, "FUNCTION", "LOAD", "REPLACE", Library).Err(); err != nil && !strings.Contains(err.Error(), "unknown command") {
		return fmt.Errorf("FUNCTION LOAD: %w", err)
	}
	return nil
}

func fillDB(ctx context.Context, conn *redis.Conn, r *rand.Rand, o FillOptions, db int) error {
	n := o.Scale
	ttl := func() int64 { return o.TTLBase.UnixMilli() + r.Int64N(24*3600*1000) }
	p := conn.Pipeline()
	flush := func() error {
		if p.Len() == 0 {
			return nil
		}
		_, err := p.Exec(ctx)
		return err
	}
	// Strings: integers (every int encoding width), text, binary, empty.
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("str:%d:%d", db, i)
		var v string
		switch i % 8 {
		case 0:
			v = strconv.FormatInt(r.Int64N(1<<40)-(1<<39), 10)
		case 1:
			v = strconv.Itoa(i % 128)
		case 2:
			v = strings.Repeat("abc", 1+i%30)
		case 3:
			v = randBytes(r, 1+r.IntN(200))
		case 4:
			v = ""
		case 5:
			v = "007"
		case 6:
			v = strconv.FormatFloat(r.Float64()*1000, 'f', -1, 64)
		default:
			v = fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", 90))
		}
		if i%10 == 0 {
			p.Set(ctx, k, v, 0)
			p.PExpireAt(ctx, k, time.UnixMilli(ttl()))
		} else {
			p.Set(ctx, k, v, 0)
		}
		if p.Len() >= 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, v := range []string{"9223372036854775807", "-9223372036854775808", "-1", "0", "2147483648", "-32768"} {
		p.Set(ctx, "int:"+v, v, 0)
	}
	for i := 0; i < max(2, n/200); i++ {
		p.Set(ctx, fmt.Sprintf("big:compressible:%d", i), strings.Repeat("0123456789", 4000), 0)
		p.Set(ctx, fmt.Sprintf("big:random:%d", i), randBytes(r, 20000), 0)
		p.Set(ctx, binaryKey("bkey", i), randBytes(r, 64), 0)
	}
	// Bitmaps and HyperLogLogs are strings too.
	for i := 0; i < 200; i++ {
		p.SetBit(ctx, "bitmap", int64(r.IntN(100000)), 1)
		p.PFAdd(ctx, "hll:small", fmt.Sprintf("e%d", i))
	}
	for i := 0; i < 5000; i++ {
		p.PFAdd(ctx, "hll:dense", fmt.Sprintf("e%d", i))
	}
	if err := flush(); err != nil {
		return err
	}

	// Lists: listpack-sized, quicklist, big, a huge element, binary.
	for i := 0; i < max(4, n/20); i++ {
		k := fmt.Sprintf("list:%d", i)
		size := 1 + r.IntN(10)
		if i%10 == 0 {
			size = 200 + r.IntN(300)
		}
		args := make([]any, size)
		for j := range args {
			if j%3 == 0 {
				args[j] = r.Int64N(1 << 20)
			} else {
				args[j] = fmt.Sprintf("item-%d-%d", i, j)
			}
		}
		p.RPush(ctx, k, args...)
		if i%7 == 0 {
			p.PExpireAt(ctx, k, time.UnixMilli(ttl()))
		}
	}
	for j := 0; j < 10000; j += 1000 {
		args := make([]any, 1000)
		for x := range args {
			args[x] = j + x
		}
		p.RPush(ctx, "list:big", args...)
	}
	p.RPush(ctx, "list:hugeelem", "a", strings.Repeat("L", 70000), "b")
	p.RPush(ctx, binaryKey("blist", 0), randBytes(r, 10), randBytes(r, 10))

	// Sets: intsets, small string sets, big hashtable sets.
	for i := 0; i < max(4, n/20); i++ {
		k := fmt.Sprintf("set:%d", i)
		size := 1 + r.IntN(12)
		if i%10 == 0 {
			size = 600
		}
		args := make([]any, size)
		for j := range args {
			if i%2 == 0 {
				args[j] = r.Int64N(1 << 40)
			} else {
				args[j] = fmt.Sprintf("m-%d", r.IntN(1<<20))
			}
		}
		p.SAdd(ctx, k, args...)
	}
	// Sorted sets: listpack and skiplist, special scores, geo.
	for i := 0; i < max(4, n/20); i++ {
		k := fmt.Sprintf("zset:%d", i)
		size := 1 + r.IntN(12)
		if i%10 == 0 {
			size = 300
		}
		zs := make([]redis.Z, size)
		for j := range zs {
			zs[j] = redis.Z{Score: float64(r.IntN(1000)) / 7, Member: fmt.Sprintf("member-%d", j)}
		}
		p.ZAdd(ctx, k, zs...)
	}
	p.ZAdd(ctx, "zset:special", redis.Z{Score: 1e300, Member: "huge"}, redis.Z{Score: 1e-300, Member: "tiny"},
		redis.Z{Score: -0.1, Member: "neg"}, redis.Z{Score: 9007199254740993, Member: "2^53+1"})
	p.Do(ctx, "ZADD", "zset:special", "+inf", "pinf", "-inf", "ninf")
	p.GeoAdd(ctx, "geo", &redis.GeoLocation{Name: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
		&redis.GeoLocation{Name: "Catania", Longitude: 15.087269, Latitude: 37.502669})
	// Hashes: listpack and hashtable.
	for i := 0; i < max(4, n/20); i++ {
		k := fmt.Sprintf("hash:%d", i)
		size := 1 + r.IntN(8)
		if i%10 == 0 {
			size = 1000
		}
		args := make([]any, 0, 2*size)
		for j := 0; j < size; j++ {
			args = append(args, fmt.Sprintf("field-%d", j), fmt.Sprintf("v%d", r.IntN(1<<30)))
		}
		p.HSet(ctx, k, args...)
		if i%5 == 0 {
			p.PExpireAt(ctx, k, time.UnixMilli(ttl()))
		}
	}
	p.HSet(ctx, "hash:bin", randBytes(r, 8), randBytes(r, 100), "", "empty-field")
	if err := flush(); err != nil {
		return err
	}
	// Streams: entries over several nodes, deletions, groups, PEL, consumers.
	for i := 0; i < max(2, n/250); i++ {
		k := fmt.Sprintf("stream:%d", i)
		for j := 0; j < 300; j++ {
			fields := []any{"sensor", j % 7, "reading", r.IntN(1000)}
			if j%50 == 0 {
				fields = append(fields, "sensor", "dup-field-name")
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: k, Values: fields})
		}
		if err := flush(); err != nil {
			return err
		}
		ids, err := conn.XRange(ctx, k, "-", "+").Result()
		if err != nil {
			return err
		}
		for j := 0; j < len(ids); j += 17 {
			p.XDel(ctx, k, ids[j].ID)
		}
		p.XGroupCreate(ctx, k, "g1", "0")
		p.XGroupCreate(ctx, k, "g2", "$")
		p.XGroupCreateConsumer(ctx, k, "g2", "idle-consumer")
		if err := flush(); err != nil {
			return err
		}
		for _, consumer := range []string{"alice", "bob"} {
			msgs, err := conn.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: consumer, Streams: []string{k, ">"}, Count: 40}).Result()
			if err != nil {
				return err
			}
			for mi, m := range msgs[0].Messages {
				if mi%3 == 0 {
					p.XAck(ctx, k, "g1", m.ID)
				}
			}
		}
	}
	p.XGroupCreateMkStream(ctx, "stream:empty", "g", "$")
	p.XAdd(ctx, &redis.XAddArgs{Stream: "stream:trimmed", ID: "1-1", Values: []any{"a", 1}})
	p.XAdd(ctx, &redis.XAddArgs{Stream: "stream:trimmed", ID: "2-1", Values: []any{"a", 2}})
	p.XDel(ctx, "stream:trimmed", "2-1")
	return flush()
}

// WriterOptions shapes a random write workload.
type WriterOptions struct {
	Seed uint64
	// Keys is the size of each key family (default 500).
	Keys int
	// DBs are the databases written to (default 0, 1, 5).
	DBs []int
	// TTLBase is the earliest absolute expiry set (default now + 1h).
	TTLBase time.Time
	// Rate limits operations per second (0: as fast as possible).
	Rate int
}

// RunWriter drives random writes through one connection until ctx is done
// or ops operations were sent (ops <= 0: unlimited). It returns how many
// were sent. Command errors (e.g. WRONGTYPE) are part of the workload and
// ignored; connection errors end it.
func RunWriter(ctx context.Context, c *redis.Client, o WriterOptions, ops int) (int, error) {
	if o.Keys <= 0 {
		o.Keys = 500
	}
	if len(o.DBs) == 0 {
		o.DBs = []int{0, 1, 5}
	}
	if o.TTLBase.IsZero() {
		o.TTLBase = time.Now().Add(time.Hour)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x3517e5))
	conn := c.Conn()
	defer releaseConn(ctx, c, conn)
	var tick *time.Ticker
	if o.Rate > 0 {
		tick = time.NewTicker(time.Second / time.Duration(o.Rate))
		defer tick.Stop()
	}
	done := 0
	for ops <= 0 || done < ops {
		if ctx.Err() != nil {
			return done, nil
		}
		if tick != nil {
			select {
			case <-ctx.Done():
				return done, nil
			case <-tick.C:
			}
		}
		if r.IntN(50) == 0 {
			if err := conn.Select(ctx, o.DBs[r.IntN(len(o.DBs))]).Err(); err != nil {
				return done, err
			}
		}
		var err error
		if r.IntN(20) == 0 {
			_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for i := 0; i < 2+r.IntN(4); i++ {
					p.Do(ctx, randomCommand(r, o)...)
				}
				return nil
			})
		} else {
			err = conn.Do(ctx, randomCommand(r, o)...).Err()
		}
		if err != nil && isConnErr(err) {
			return done, err
		}
		done++
	}
	return done, nil
}

// releaseConn selects the client's own database again before conn goes
// back to the client's pool (a later command through the pool must not
// land in the database the workload left it on).
func releaseConn(ctx context.Context, c *redis.Client, conn *redis.Conn) {
	conn.Select(context.WithoutCancel(ctx), c.Options().DB)
	conn.Close()
}

func isConnErr(err error) bool {
	if err == redis.Nil {
		return false
	}
	var re redis.Error
	return !errors.As(err, &re)
}

func randomCommand(r *rand.Rand, o WriterOptions) []any {
	k := func(family string) string { return family + ":w:" + strconv.Itoa(r.IntN(o.Keys)) }
	val := func() string {
		switch r.IntN(4) {
		case 0:
			return strconv.Itoa(r.IntN(100000))
		case 1:
			return randBytes(r, 1+r.IntN(40))
		default:
			return "v" + strconv.Itoa(r.IntN(1<<30))
		}
	}
	exp := func() string { return strconv.FormatInt(o.TTLBase.UnixMilli()+r.Int64N(3600*1000), 10) }
	switch r.IntN(30) {
	case 0, 1, 2:
		return []any{"SET", k("s"), val()}
	case 3:
		return []any{"SET", k("s"), val(), "PXAT", exp()}
	case 4:
		return []any{"INCRBY", k("n"), r.IntN(100) - 50}
	case 5:
		return []any{"APPEND", k("s"), val()}
	case 6:
		return []any{"DEL", k("s")}
	case 7:
		return []any{"LPUSH", k("l"), val(), val()}
	case 8:
		return []any{"RPOP", k("l")}
	case 9:
		return []any{"LTRIM", k("l"), 0, 20}
	case 10:
		return []any{"SADD", k("set"), val(), r.IntN(100)}
	case 11:
		return []any{"SREM", k("set"), r.IntN(100)}
	case 12:
		return []any{"ZADD", k("z"), r.IntN(1000), "m" + strconv.Itoa(r.IntN(50))}
	case 13:
		return []any{"ZINCRBY", k("z"), 1.5, "m" + strconv.Itoa(r.IntN(50))}
	case 14:
		return []any{"ZREM", k("z"), "m" + strconv.Itoa(r.IntN(50))}
	case 15, 16:
		return []any{"HSET", k("h"), "f" + strconv.Itoa(r.IntN(20)), val()}
	case 17:
		return []any{"HDEL", k("h"), "f" + strconv.Itoa(r.IntN(20))}
	case 18:
		return []any{"HINCRBY", k("h"), "counter", r.IntN(10)}
	case 19:
		return []any{"XADD", k("x"), "MAXLEN", "~", 100, "*", "f", val()}
	case 20:
		return []any{"PEXPIREAT", k("s"), exp()}
	case 21:
		return []any{"PERSIST", k("s")}
	case 22:
		return []any{"INCRBYFLOAT", k("f"), float64(r.IntN(1000)) / 8}
	case 23:
		return []any{"SETRANGE", k("s"), r.IntN(30), val()}
	case 24:
		return []any{"RENAME", k("s"), k("s")}
	case 25:
		return []any{"LINSERT", k("l"), "BEFORE", val(), val()}
	case 26:
		return []any{"SMOVE", k("set"), k("set"), r.IntN(100)}
	case 27:
		return []any{"HINCRBYFLOAT", k("h"), "float", 0.25}
	case 28:
		return []any{"EXPIRE", k("h"), 3600 + r.IntN(3600)}
	default:
		return []any{"MSET", k("s"), val(), k("s"), val()}
	}
}
