package workload

import (
	"context"
	"testing"

	"github.com/redis-follower/redis-follower/internal/redistest"
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
