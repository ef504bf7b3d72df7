// Package redistest starts real redis-server processes for tests: each on a
// free loopback port (never 6379) in its own temp dir, stopped when the test
// ends. A missing redis-server fails the test (it never skips): CI installs
// it, and a green run without it would prove nothing.
//
// The binary is $REDIS_SERVER if set, else redis-server on $PATH.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one running redis-server.
type Server struct {
	t      testing.TB
	Port   int
	Addr   string
	Dir    string
	args   []string
	cmd    *exec.Cmd
	done   chan struct{}
	Client *redis.Client
}

// Binary returns the redis-server path or fails the test.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: install it (apt-get install -y redis-server) or set REDIS_SERVER; integration tests do not skip")
	}
	return p
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p != 6379 {
			return p
		}
	}
}

// Start starts a redis-server with test defaults plus extra config
// arguments ("--name", "value", ...), which override the defaults.
// Defaults: bind 127.0.0.1, no RDB saves, no AOF, no protected mode,
// repl-diskless-sync-delay 0, DEBUG enabled.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	return StartInDir(t, dir, extra...)
}

// StartInDir is Start with a chosen data directory (to load a dump.rdb
// placed there).
func StartInDir(t testing.TB, dir string, extra ...string) *Server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s := &Server{t: t, Dir: dir, Port: FreePort(t)}
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
		s.args = append([]string{
			"--port", strconv.Itoa(s.Port),
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--logfile", filepath.Join(dir, "redis.log"),
			"--save", "",
			"--appendonly", "no",
			"--protected-mode", "no",
			"--daemonize", "no",
			"--repl-diskless-sync-delay", "0",
			"--enable-debug-command", "yes",
		}, extra...)
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return nil
}

func (s *Server) start() error {
	s.cmd = exec.Command(Binary(s.t), s.args...)
	s.cmd.Dir = s.Dir
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	s.Client = redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.password(), Protocol: 2, MaxRetries: -1, ReadTimeout: 30 * time.Second})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("redis-server exited: %s", s.LogTail(20))
		default:
		}
		err := s.Client.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if strings.HasPrefix(err.Error(), "LOADING") {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	return errors.New("redis-server not ready after 20s: " + s.LogTail(20))
}

// password returns the last --requirepass given, so Client can log in.
func (s *Server) password() string {
	pw := ""
	for i := 0; i+1 < len(s.args); i++ {
		if s.args[i] == "--requirepass" {
			pw = s.args[i+1]
		}
	}
	return pw
}

// LogTail returns the last n lines of the server log.
func (s *Server) LogTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.done
	}
	if s.Client != nil {
		s.Client.Close()
	}
}

// Stop kills the server (idempotent). On a failed test it logs the tail of
// the server log first.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	if s.t.Failed() {
		s.t.Logf("redis-server %s log tail:\n%s", s.Addr, s.LogTail(15))
	}
	s.kill()
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and dir
// with the same arguments (plus extra ones).
func (s *Server) Restart(extra ...string) {
	s.t.Helper()
	s.kill()
	s.args = append(s.args, extra...)
	if err := s.start(); err != nil {
		s.t.Fatalf("restart: %v", err)
	}
}

// Info returns field from INFO section (e.g. "sync_partial_ok").
func (s *Server) Info(section, field string) string {
	s.t.Helper()
	info, err := s.Client.Info(context.Background(), section).Result()
	if err != nil {
		s.t.Fatalf("INFO %s: %v", section, err)
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), field+":"); ok {
			return v
		}
	}
	return ""
}

// InfoInt is Info parsed as an integer (0 if absent).
func (s *Server) InfoInt(section, field string) int64 {
	n, _ := strconv.ParseInt(s.Info(section, field), 10, 64)
	return n
}

// MasterOffset returns master_repl_offset.
func (s *Server) MasterOffset() int64 { return s.InfoInt("replication", "master_repl_offset") }

// Do runs one command and fails the test on error.
func (s *Server) Do(args ...any) any {
	s.t.Helper()
	v, err := s.Client.Do(context.Background(), args...).Result()
	if err != nil && err != redis.Nil {
		s.t.Fatalf("%v: %v", args, err)
	}
	return v
}

// WaitFor polls cond every 10ms until it is true or timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
