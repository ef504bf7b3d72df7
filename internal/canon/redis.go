package canon

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// FromRedis reads every key of every database of a live server through
// client and renders it. Expires are read with PEXPIRETIME (Redis 7.0+);
// hash field expires with HPEXPIRETIME where the server has it (7.4+).
// Keys that vanish while being read are skipped.
func FromRedis(ctx context.Context, client *redis.Client) ([]Key, error) {
	info, err := client.Info(ctx, "keyspace", "server").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO: %w", err)
	}
	var dbs []int
	major, minor := 0, 0
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "redis_version:"); ok {
			fmt.Sscanf(rest, "%d.%d", &major, &minor)
		}
		if strings.HasPrefix(line, "db") {
			if n, err := strconv.Atoi(line[2:strings.IndexByte(line, ':')]); err == nil {
				dbs = append(dbs, n)
			}
		}
	}
	if major < 7 {
		return nil, fmt.Errorf("canon.FromRedis needs Redis 7.0+ (PEXPIRETIME); server is %d.%d", major, minor)
	}
	hfe := major > 7 || (major == 7 && minor >= 4)
	conn := client.Conn()
	defer conn.Close()
	var out []Key
	for _, db := range dbs {
		if err := conn.Select(ctx, db).Err(); err != nil {
			return nil, fmt.Errorf("SELECT %d: %w", db, err)
		}
		var cursor uint64
		for {
			keys, next, err := conn.Scan(ctx, cursor, "*", 1000).Result()
			if err != nil {
				return nil, fmt.Errorf("SCAN: %w", err)
			}
			for _, key := range keys {
				k, ok, err := readKey(ctx, conn, key, hfe)
				if err != nil {
					return nil, fmt.Errorf("db %d key %q: %w", db, key, err)
				}
				if ok {
					k.DB = db
					out = append(out, k)
				}
			}
			if next == 0 {
				break
			}
			cursor = next
		}
	}
	Sort(out)
	return out, nil
}

func readKey(ctx context.Context, c *redis.Conn, key string, hfe bool) (Key, bool, error) {
	k := Key{Key: key}
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		return k, false, err
	}
	if typ == "none" {
		return k, false, nil
	}
	k.Type = typ
	exp, err := c.Do(ctx, "PEXPIRETIME", key).Int64()
	if err != nil {
		return k, false, err
	}
	if exp == -2 {
		return k, false, nil
	}
	k.Expire = exp
	switch typ {
	case "string":
		v, err := c.Get(ctx, key).Result()
		if err == redis.Nil {
			return k, false, nil
		}
		if err != nil {
			return k, false, err
		}
		k.Value = strconv.Quote(v)
	case "list":
		v, err := c.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return k, false, err
		}
		k.Value = renderList(v, false)
	case "set":
		v, err := c.SMembers(ctx, key).Result()
		if err != nil {
			return k, false, err
		}
		k.Value = renderList(v, true)
	case "zset":
		v, err := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil {
			return k, false, err
		}
		ms := make([]zmember, len(v))
		for i, z := range v {
			ms[i] = zmember{z.Member.(string), z.Score}
		}
		k.Value = renderZSet(ms)
	case "hash":
		v, err := c.HGetAll(ctx, key).Result()
		if err != nil {
			return k, false, err
		}
		fs := make([]hashField, 0, len(v))
		var names []string
		for f, val := range v {
			fs = append(fs, hashField{f, val, -1})
			names = append(names, f)
		}
		if hfe && len(names) > 0 {
			// HPEXPIRETIME answers in the order of the FIELDS given.
			args := []any{"HPEXPIRETIME", key, "FIELDS", len(fs)}
			for _, f := range fs {
				args = append(args, f.field)
			}
			res, err := c.Do(ctx, args...).Int64Slice()
			if err != nil {
				return k, false, err
			}
			for i := range fs {
				if i < len(res) && res[i] >= 0 {
					fs[i].expire = res[i]
				}
			}
		}
		if len(fs) == 0 {
			return k, false, nil
		}
		k.Value = renderHash(fs)
	case "stream":
		s, err := readStream(ctx, c, key)
		if err != nil {
			return k, false, err
		}
		k.Value = s.render()
	default:
		k.Value = "<unsupported type " + typ + ">"
	}
	return k, true, nil
}

// pairs turns a RESP2 flat array or a RESP3 map into name -> value.
func pairs(v any) (map[string]any, error) {
	out := map[string]any{}
	switch t := v.(type) {
	case []any:
		for i := 0; i+1 < len(t); i += 2 {
			out[fmt.Sprint(t[i])] = t[i+1]
		}
	case map[any]any:
		for k, val := range t {
			out[fmt.Sprint(k)] = val
		}
	default:
		return nil, fmt.Errorf("unexpected reply shape %T", v)
	}
	return out, nil
}

func asInt(v any) int64 {
	switch t := v.(type) {
	case int64:
		return t
	case string:
		n, _ := strconv.ParseInt(t, 10, 64)
		return n
	}
	return -1 // nil: "unknown"
}

func asStr(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func readStream(ctx context.Context, c *redis.Conn, key string) (*stream, error) {
	raw, err := c.Do(ctx, "XINFO", "STREAM", key, "FULL", "COUNT", 0).Result()
	if err != nil {
		return nil, err
	}
	info, err := pairs(raw)
	if err != nil {
		return nil, err
	}
	s := &stream{
		length:       asInt(info["length"]),
		entriesAdded: asInt(info["entries-added"]),
		lastID:       asStr(info["last-generated-id"]),
		firstID:      asStr(info["recorded-first-entry-id"]),
		maxDeletedID: asStr(info["max-deleted-entry-id"]),
	}
	entries, _ := info["entries"].([]any)
	for _, e := range entries {
		pair, _ := e.([]any)
		if len(pair) != 2 {
			return nil, fmt.Errorf("bad stream entry %v", e)
		}
		se := streamEntry{id: asStr(pair[0])}
		fv, _ := pair[1].([]any)
		for _, f := range fv {
			se.fields = append(se.fields, asStr(f))
		}
		s.entries = append(s.entries, se)
	}
	groups, _ := info["groups"].([]any)
	for _, graw := range groups {
		gi, err := pairs(graw)
		if err != nil {
			return nil, err
		}
		g := group{name: asStr(gi["name"]), lastID: asStr(gi["last-delivered-id"]), entriesRead: asInt(gi["entries-read"])}
		pel, _ := gi["pending"].([]any)
		for _, p := range pel {
			pa, _ := p.([]any)
			if len(pa) != 4 {
				return nil, fmt.Errorf("bad PEL entry %v", p)
			}
			g.pel = append(g.pel, pending{asStr(pa[0]), asStr(pa[1]), asInt(pa[3]), asInt(pa[2])})
		}
		cons, _ := gi["consumers"].([]any)
		for _, craw := range cons {
			ci, err := pairs(craw)
			if err != nil {
				return nil, err
			}
			cc := consumer{name: asStr(ci["name"])}
			cp, _ := ci["pending"].([]any)
			for _, p := range cp {
				pa, _ := p.([]any)
				if len(pa) >= 1 {
					cc.pending = append(cc.pending, asStr(pa[0]))
				}
			}
			g.consumers = append(g.consumers, cc)
		}
		s.groups = append(s.groups, g)
	}
	return s, nil
}

// NowMs returns the current Unix time in milliseconds.
func NowMs() int64 { return time.Now().UnixMilli() }
