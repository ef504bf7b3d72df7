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
	defer func() {
		// The connection goes back to the client's pool: select the
		// client's own database again.
		conn.Select(ctx, client.Options().DB)
		conn.Close()
	}()
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
			batch, err := readBatch(ctx, conn, keys, hfe)
			if err != nil {
				return nil, fmt.Errorf("db %d: %w", db, err)
			}
			for _, k := range batch {
				k.DB = db
				out = append(out, k)
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

// readBatch reads keys with three pipelined round trips: types and
// expires, then values, then hash field expires.
func readBatch(ctx context.Context, c *redis.Conn, keys []string, hfe bool) ([]Key, error) {
	p := c.Pipeline()
	types := make([]*redis.StatusCmd, len(keys))
	exps := make([]*redis.Cmd, len(keys))
	for i, key := range keys {
		types[i] = p.Type(ctx, key)
		exps[i] = p.Do(ctx, "PEXPIRETIME", key)
	}
	if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	vals := make([]redis.Cmder, len(keys))
	for i, key := range keys {
		switch types[i].Val() {
		case "string":
			vals[i] = p.Get(ctx, key)
		case "list":
			vals[i] = p.LRange(ctx, key, 0, -1)
		case "set":
			vals[i] = p.SMembers(ctx, key)
		case "zset":
			vals[i] = p.ZRangeWithScores(ctx, key, 0, -1)
		case "hash":
			vals[i] = p.HGetAll(ctx, key)
		case "stream":
			vals[i] = p.Do(ctx, "XINFO", "STREAM", key, "FULL", "COUNT", 0)
		}
	}
	if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("reading values: %w", err)
	}
	out := make([]Key, 0, len(keys))
	hashes := map[int][]hashField{}
	for i, key := range keys {
		typ := types[i].Val()
		exp, err := exps[i].Int64()
		if typ == "none" || vals[i] == nil || err != nil || exp == -2 {
			if typ != "none" && vals[i] == nil {
				out = append(out, Key{Key: key, Type: typ, Expire: exp, Value: "<unsupported type " + typ + ">"})
			}
			continue // vanished while being read
		}
		k := Key{Key: key, Type: typ, Expire: exp}
		switch v := vals[i].(type) {
		case *redis.StringCmd:
			if v.Err() == redis.Nil {
				continue
			}
			k.Value = strconv.Quote(v.Val())
		case *redis.StringSliceCmd:
			k.Value = renderList(v.Val(), typ == "set")
		case *redis.ZSliceCmd:
			ms := make([]zmember, len(v.Val()))
			for j, z := range v.Val() {
				ms[j] = zmember{z.Member.(string), z.Score}
			}
			k.Value = renderZSet(ms)
		case *redis.MapStringStringCmd:
			fs := make([]hashField, 0, len(v.Val()))
			for f, val := range v.Val() {
				fs = append(fs, hashField{f, val, -1})
			}
			if len(fs) == 0 {
				continue
			}
			hashes[len(out)] = fs
		case *redis.Cmd:
			s, err := parseStream(v.Val())
			if err != nil {
				return nil, fmt.Errorf("stream %q: %w", key, err)
			}
			k.Value = s.render()
		}
		out = append(out, k)
	}
	if hfe && len(hashes) > 0 {
		cmds := map[int]*redis.IntSliceCmd{}
		for idx, fs := range hashes {
			args := []any{"HPEXPIRETIME", out[idx].Key, "FIELDS", len(fs)}
			for _, f := range fs {
				args = append(args, f.field)
			}
			cmd := redis.NewIntSliceCmd(ctx, args...)
			p.Process(ctx, cmd)
			cmds[idx] = cmd
		}
		if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("HPEXPIRETIME: %w", err)
		}
		for idx, cmd := range cmds {
			for j, t := range cmd.Val() {
				if j < len(hashes[idx]) && t >= 0 {
					hashes[idx][j].expire = t
				}
			}
		}
	}
	for idx, fs := range hashes {
		out[idx].Value = renderHash(fs)
	}
	return out, nil
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

func parseStream(raw any) (*stream, error) {
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
