package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/canon"
)

func TestStartAndCanon(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	s.Do("SET", "a\x00b", "v")
	s.Do("RPUSH", "l", "1", "2")
	s.Do("SADD", "s", "x", "y")
	s.Do("ZADD", "z", "1.5", "m", "-inf", "n")
	s.Do("HSET", "h", "f", "v")
	s.Do("XADD", "x", "1-1", "a", "1", "a", "2")
	s.Do("XGROUP", "CREATE", "x", "g", "0")
	s.Do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">")
	s.Do("SELECT", "3")
	keys, err := canon.FromRedis(ctx, s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 6 {
		t.Fatalf("got %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		t.Log(k)
	}
}

func TestTap(t *testing.T) {
	s := Start(t)
	s.Do("SET", "pre", "1")
	tap := NewTap(t, s)
	s.Do("SET", "k", "v", "EX", "100")
	s.Do("INCRBYFLOAT", "f", "1.5")
	cmds := tap.Drain(s, 5*time.Second)
	for _, c := range cmds {
		t.Log(CommandString(c))
	}
	if len(cmds) < 3 {
		t.Fatalf("got %d commands", len(cmds))
	}
}

func TestRequirepassClient(t *testing.T) {
	s := Start(t, "--requirepass", "pw")
	s.Do("SET", "k", "v")
}
