package follower_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if a goroutine of the follower, the journal, the
// replication link or the sentinel client outlives the tests (every test
// stops what it started, so each one must have been joined).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := ownGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines still running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// ownGoroutines waits up to timeout for our packages' goroutines to end
// and returns the stacks of those that did not.
func ownGoroutines(timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "TestMain") || strings.Contains(g, "ownGoroutines") {
				continue
			}
			for _, pkg := range []string{"internal/follower.", "internal/journal.", "internal/psync.", "internal/sentinel."} {
				if strings.Contains(g, "redis-follower/"+pkg) {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
