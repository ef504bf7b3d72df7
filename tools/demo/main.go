// Command demo shows redis-follower at work (run it with `make demo`):
// it starts a throwaway redis-server on a free port (or uses -master),
// fills it with sample data of every type, starts bin/redis-follower
// against it, keeps writing while printing how far behind the follower is,
// stops the follower with SIGTERM, restarts it (partial resync), and finally
// loads the follower's snapshot into a fresh redis-server and compares it
// with the master key by key.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/workload"
)

func main() {
	master := flag.String("master", "", "use this master (host:port) instead of a throwaway one; sample keys are written to it")
	bin := flag.String("bin", "bin/redis-follower", "the redis-follower binary")
	seconds := flag.Int("seconds", 10, "how long to keep writing while the follower follows")
	rate := flag.Int("rate", 3000, "writes per second during the demo")
	scale := flag.Int("scale", 5000, "sample data size (string keys per database)")
	keep := flag.Bool("keep", false, "keep the temp directory (logs, snapshot)")
	flag.Parse()
	if err := run(*master, *bin, *seconds, *rate, *scale, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type server struct {
	addr string
	cmd  *exec.Cmd
	c    *redis.Client
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer(dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{addr: "127.0.0.1:" + strconv.Itoa(port)}
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log"), "--repl-diskless-sync-delay", "0")
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2})
	for i := 0; i < 200; i++ {
		if s.c.Ping(context.Background()).Err() == nil {
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("redis-server did not start; see " + filepath.Join(dir, "redis.log"))
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	s.c.Close()
}

func info(c *redis.Client, section, field string) string {
	txt, err := c.Info(context.Background(), section).Result()
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(strings.NewReader(txt))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), field+":"); ok {
			return v
		}
	}
	return ""
}

// replicaOffset returns the offset the master last heard from its first
// replica (our follower) and its state.
func replicaOffset(c *redis.Client) (int64, string) {
	v := info(c, "replication", "slave0")
	var off int64 = -1
	state := "absent"
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "offset":
			off, _ = strconv.ParseInt(val, 10, 64)
		case "state":
			state = val
		}
	}
	return off, state
}

func startFollower(bin, addr, dir string) (*exec.Cmd, error) {
	logf, err := os.OpenFile(filepath.Join(dir, "follower.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "sync", "--dir", filepath.Join(dir, "data"), "redis://"+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	return cmd, cmd.Start()
}

func waitFor(what string, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func run(masterAddr, bin string, seconds, rate, scale int, keep bool) error {
	ctx := context.Background()
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s not found: run `make build` first", bin)
	}
	dir, err := os.MkdirTemp("", "redis-follower-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("working directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	var m *server
	if masterAddr == "" {
		md := filepath.Join(dir, "master")
		os.MkdirAll(md, 0o755)
		if m, err = startServer(md); err != nil {
			return err
		}
		defer m.stop()
		fmt.Printf("▶ throwaway master: redis-server %s on %s\n", info(m.c, "server", "redis_version"), m.addr)
	} else {
		m = &server{addr: masterAddr, c: redis.NewClient(&redis.Options{Addr: masterAddr, Protocol: 2})}
		fmt.Printf("▶ master: %s (redis %s)\n", masterAddr, info(m.c, "server", "redis_version"))
	}

	start := time.Now()
	if err := workload.Fill(ctx, m.c, workload.FillOptions{Scale: scale, Seed: 1}); err != nil {
		return fmt.Errorf("filling the master: %w", err)
	}
	fmt.Printf("▶ sample data written in %v: strings, lists, sets, sorted sets, hashes, streams with groups, HLL, geo, functions in DBs 0, 1, 5 (%s)\n",
		time.Since(start).Round(time.Millisecond), strings.TrimSpace(info(m.c, "keyspace", "db0")))

	wctx, stopWriting := context.WithCancel(ctx)
	writerDone := make(chan error, 1)
	go func() {
		_, err := workload.RunWriter(wctx, m.c, workload.WriterOptions{Seed: 2, Rate: rate}, 0)
		writerDone <- err
	}()
	fmt.Printf("▶ writing ~%d ops/s to the master; starting %s sync redis://%s\n", rate, bin, m.addr)
	fol, err := startFollower(bin, m.addr, dir)
	if err != nil {
		stopWriting()
		return err
	}
	for i := 1; i <= seconds; i++ {
		time.Sleep(time.Second)
		off, state := replicaOffset(m.c)
		mo, _ := strconv.ParseInt(info(m.c, "replication", "master_repl_offset"), 10, 64)
		lag := "-"
		if off >= 0 {
			lag = strconv.FormatInt(mo-off, 10) + " bytes"
		}
		fmt.Printf("  t=%2ds  master offset %-10d follower ACKed %-10d (ACKs come every second)  state %-8s behind %s\n", i, mo, off, state, lag)
	}
	stopWriting()
	if err := <-writerDone; err != nil {
		return fmt.Errorf("writer: %w", err)
	}
	mo, _ := strconv.ParseInt(info(m.c, "replication", "master_repl_offset"), 10, 64)
	if err := waitFor("the follower to catch up", 30*time.Second, func() bool {
		off, _ := replicaOffset(m.c)
		return off == mo
	}); err != nil {
		return err
	}
	fmt.Printf("▶ writes stopped; the follower acknowledged offset %d = master offset\n", mo)

	fol.Process.Signal(syscall.SIGTERM)
	if err := fol.Wait(); err != nil {
		return fmt.Errorf("follower exit: %w (see %s)", err, filepath.Join(dir, "follower.log"))
	}
	fmt.Println("▶ SIGTERM: the follower stopped cleanly and wrote", filepath.Join("data", "dump.rdb"))

	m.c.Do(ctx, "SET", "written-while-the-follower-was-down", "yes")
	partialBefore := info(m.c, "stats", "sync_partial_ok")
	if fol, err = startFollower(bin, m.addr, dir); err != nil {
		return err
	}
	mo, _ = strconv.ParseInt(info(m.c, "replication", "master_repl_offset"), 10, 64)
	if err := waitFor("the restarted follower", 30*time.Second, func() bool {
		off, _ := replicaOffset(m.c)
		return off == mo
	}); err != nil {
		return err
	}
	fmt.Printf("▶ restarted: resumed by partial resync (master sync_partial_ok %s → %s, sync_full %s)\n",
		partialBefore, info(m.c, "stats", "sync_partial_ok"), info(m.c, "stats", "sync_full"))
	fol.Process.Signal(syscall.SIGTERM)
	if err := fol.Wait(); err != nil {
		return fmt.Errorf("follower exit: %w", err)
	}

	// The snapshot is a Redis RDB: load it into a fresh redis-server and
	// compare every key with the master.
	ld := filepath.Join(dir, "loaded")
	os.MkdirAll(ld, 0o755)
	b, err := os.ReadFile(filepath.Join(dir, "data", "dump.rdb"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ld, "dump.rdb"), b, 0o644); err != nil {
		return err
	}
	loaded, err := startServer(ld)
	if err != nil {
		return err
	}
	defer loaded.stop()
	want, err := canon.FromRedis(ctx, m.c)
	if err != nil {
		return err
	}
	got, err := canon.FromRedis(ctx, loaded.c)
	if err != nil {
		return err
	}
	diffs, n := canon.Diff(want, got, 10)
	if n > 0 {
		return fmt.Errorf("the follower's snapshot differs from the master in %d keys:\n%s", n, strings.Join(diffs, "\n"))
	}
	fmt.Printf("▶ the follower's dump.rdb (%d KB), loaded into a fresh redis-server, equals the master: %d keys, type, value and expire\n",
		len(b)>>10, len(want))
	return nil
}
