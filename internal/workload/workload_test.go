package workload

import (
	"context"
	"testing"

	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func TestFillAndWrite(t *testing.T) {
	s := redistest.Start(t)
	ctx := context.Background()
	if err := Fill(ctx, s.Client, FillOptions{Scale: 200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	n, err := RunWriter(ctx, s.Client, WriterOptions{Seed: 2}, 2000)
	if err != nil || n != 2000 {
		t.Fatalf("writer: %d %v", n, err)
	}
	if keys := s.Client.DBSize(ctx).Val(); keys < 300 {
		t.Fatalf("db0 has only %d keys", keys)
	}
}

// TestPoolLeftOnClientDB: after Fill and RunWriter (which SELECT other
// databases on their connection), the client's pool still writes to its
// own database.
func TestPoolLeftOnClientDB(t *testing.T) {
	s := redistest.Start(t)
	ctx := context.Background()
	one := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, Protocol: 2})
	defer one.Close()
	if err := Fill(ctx, one, FillOptions{Scale: 10, DBs: []int{3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := RunWriter(ctx, one, WriterOptions{DBs: []int{4}}, 200); err != nil {
		t.Fatal(err)
	}
	before := one.DBSize(ctx).Val()
	one.Set(ctx, "marker-in-db0", "1", 0)
	if c, _ := s.Client.Exists(ctx, "marker-in-db0").Result(); c != 1 || one.DBSize(ctx).Val() != before+1 {
		t.Fatal("the pooled connection was left on another database")
	}
}
