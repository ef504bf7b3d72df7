package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// StartSentinel starts a Redis Sentinel (redis-server --sentinel) that
// monitors master under name with quorum 1, a 1 s down-after period and
// a 10 s failover timeout. Its Client talks to the sentinel.
func StartSentinel(t testing.TB, name string, master *Server) *Server {
	t.Helper()
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s := &Server{t: t, Dir: dir, Port: FreePort(t)}
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\nprotected-mode no\ndir %s\nlogfile %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 1\n"+
			"sentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\n"+
			"sentinel parallel-syncs %s 1\n",
			s.Port, dir, filepath.Join(dir, "redis.log"), name, master.Port, name, name, name)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		s.args = []string{conf, "--sentinel"}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redis-sentinel did not start: %v", lastErr)
	return nil
}
