package canon

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/store"
)

// FunctionsFromStore returns the store's function libraries, name -> code.
// The caller holds s's read lock.
func FunctionsFromStore(s *store.Store) map[string]string {
	out := map[string]string{}
	for _, name := range s.FunctionNames() {
		code, _ := s.Function(name)
		out[name] = string(code)
	}
	return out
}

// FunctionsFromRedis returns a live server's function libraries (Redis
// 7.0+), name -> code, from FUNCTION LIST WITHCODE.
func FunctionsFromRedis(ctx context.Context, c *redis.Client) (map[string]string, error) {
	libs, err := c.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
	if err != nil {
		return nil, fmt.Errorf("FUNCTION LIST: %w", err)
	}
	out := map[string]string{}
	for _, l := range libs {
		out[l.Name] = l.Code
	}
	return out, nil
}

// DiffFunctions describes how two sets of libraries differ ("" if equal).
func DiffFunctions(want, got map[string]string) string {
	var d []string
	for _, n := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[n]
		switch {
		case !ok:
			d = append(d, "missing library "+n)
		case g != want[n]:
			d = append(d, "library "+n+" has different code")
		}
	}
	for _, n := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[n]; !ok {
			d = append(d, "extra library "+n)
		}
	}
	return strings.Join(d, "; ")
}
