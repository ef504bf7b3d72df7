// Command syncbench measures a full sync of a large mixed dataset side by
// side: a stock `redis-server --replicaof` against the in-process follower,
// on the same master, alternating runs. It prints wall times from connect
// to streaming, their ratio, and memory.
//
//	go run ./tools/syncbench -keys 1000000 -diskless no -runs 3
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/psync"
)

func main() {
	keys := flag.Int("keys", 1_000_000, "approximate number of keys")
	diskless := flag.String("diskless", "no", "master repl-diskless-sync (yes|no)")
	runs := flag.Int("runs", 3, "alternating runs of each")
	dump := flag.String("dump", "", "only populate a master, SAVE, and copy its dump.rdb to this file")
	flag.Parse()
	if *dump != "" {
		if err := dumpOnly(*keys, *dump); err != nil {
			fmt.Fprintln(os.Stderr, "syncbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*keys, *diskless, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

type server struct {
	addr string
	cmd  *exec.Cmd
	c    *redis.Client
}

func start(dir string, extra ...string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log"), "--enable-debug-command", "yes",
		"--repl-diskless-sync-delay", "0"}, extra...)
	s := &server{addr: "127.0.0.1:" + strconv.Itoa(port), cmd: exec.Command("redis-server", args...)}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2, ReadTimeout: time.Minute})
	for i := 0; i < 400; i++ {
		if s.c.Ping(context.Background()).Err() == nil {
			return s, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return nil, fmt.Errorf("redis-server on %s did not start", s.addr)
}

func (s *server) stop() { s.cmd.Process.Kill(); s.cmd.Wait(); s.c.Close() }

func info(c *redis.Client, section, field string) string {
	txt, _ := c.Info(context.Background(), section).Result()
	sc := bufio.NewScanner(strings.NewReader(txt))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), field+":"); ok {
			return v
		}
	}
	return ""
}

// populate builds a mixed dataset of about n keys: 60% 100-byte strings,
// then hashes, lists, sets, sorted sets and streams, small and large.
func populate(ctx context.Context, c *redis.Client, n int) error {
	if err := c.Do(ctx, "DEBUG", "POPULATE", n*6/10, "str", 100).Err(); err != nil {
		return err
	}
	p := c.Pipeline()
	flush := func() error {
		if p.Len() < 1000 {
			return nil
		}
		_, err := p.Exec(ctx)
		return err
	}
	for i := 0; i < n/10; i++ {
		p.HSet(ctx, "hash:"+strconv.Itoa(i), "a", i, "b", "text-value", "c", i*7, "d", "x", "e", "yy")
		if err := flush(); err != nil {
			return err
		}
	}
	for i := 0; i < n/10; i++ {
		p.RPush(ctx, "list:"+strconv.Itoa(i), 1, 2, 3, "four", "five", 6, 7, "eight", 9, "ten")
		if err := flush(); err != nil {
			return err
		}
	}
	for i := 0; i < n/20; i++ {
		p.SAdd(ctx, "set:"+strconv.Itoa(i), i, i+1, i+2, "m1", "m2")
		if err := flush(); err != nil {
			return err
		}
	}
	for i := 0; i < n/20; i++ {
		zs := make([]redis.Z, 10)
		for j := range zs {
			zs[j] = redis.Z{Score: float64(j) * 1.5, Member: "m" + strconv.Itoa(j)}
		}
		p.ZAdd(ctx, "zset:"+strconv.Itoa(i), zs...)
		if err := flush(); err != nil {
			return err
		}
	}
	for i := 0; i < 10; i++ {
		for j := 0; j < 20000; j += 500 {
			args := make([]any, 0, 1000)
			for x := j; x < j+500; x++ {
				args = append(args, "f"+strconv.Itoa(x), x)
			}
			p.HSet(ctx, "bighash:"+strconv.Itoa(i), args...)
			p.RPush(ctx, "biglist:"+strconv.Itoa(i), args...)
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for i := 0; i < n/1000; i++ {
		for j := 0; j < 100; j++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "stream:" + strconv.Itoa(i), Values: []any{"f", j, "g", "value"}})
		}
		if err := flush(); err != nil {
			return err
		}
	}
	_, err := p.Exec(ctx)
	return err
}

func stockSync(m *server, dir string) (time.Duration, string, error) {
	os.MkdirAll(dir, 0o755)
	host, port, _ := net.SplitHostPort(m.addr)
	t0 := time.Now()
	r, err := start(dir, "--replicaof", host, port)
	if err != nil {
		return 0, "", err
	}
	defer r.stop()
	for {
		if info(r.c, "replication", "master_link_status") == "up" && info(r.c, "replication", "master_sync_in_progress") == "0" {
			break
		}
		if time.Since(t0) > 10*time.Minute {
			return 0, "", fmt.Errorf("stock replica did not sync")
		}
		time.Sleep(2 * time.Millisecond)
	}
	d := time.Since(t0)
	return d, info(r.c, "memory", "used_memory_rss_human"), nil
}

func followerSync(m *server, dir string) (time.Duration, error) {
	f, err := follower.New(follower.Config{Link: psync.LinkConfig{Addr: m.addr}, Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- f.Run(ctx) }()
	for f.Status().State != follower.StateStreaming {
		if time.Since(t0) > 10*time.Minute {
			cancel()
			return 0, fmt.Errorf("follower did not sync: %s", f.Status().LastError)
		}
		time.Sleep(2 * time.Millisecond)
	}
	d := time.Since(t0)
	os.Remove(filepath.Join(dir, follower.SnapshotFile))
	cancel()
	<-done
	return d, nil
}

func rssMB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb >> 10
		}
	}
	return 0
}

func run(keys int, diskless string, runs int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m, err := start(filepath.Join(dir), "--repl-diskless-sync", diskless)
	if err != nil {
		return err
	}
	defer m.stop()
	t0 := time.Now()
	if err := populate(ctx, m.c, keys); err != nil {
		return err
	}
	fmt.Printf("master: %s keys, used_memory %s, populated in %v, repl-diskless-sync %s\n",
		info(m.c, "keyspace", "db0"), info(m.c, "memory", "used_memory_human"), time.Since(t0).Round(time.Millisecond), diskless)
	var stock, ours []time.Duration
	for i := 0; i < runs; i++ {
		d, rss, err := stockSync(m, filepath.Join(dir, fmt.Sprintf("replica%d", i)))
		if err != nil {
			return err
		}
		stock = append(stock, d)
		runtime.GC()
		fd, err := followerSync(m, filepath.Join(dir, fmt.Sprintf("follower%d", i)))
		if err != nil {
			return err
		}
		ours = append(ours, fd)
		fmt.Printf("run %d: stock replica %v (rss %s), follower %v (process rss %d MB)\n", i+1, d.Round(time.Millisecond), rss, fd.Round(time.Millisecond), rssMB())
		runtime.GC()
	}
	slices.Sort(stock)
	slices.Sort(ours)
	ms, mo := stock[len(stock)/2], ours[len(ours)/2]
	fmt.Printf("median: stock %v, follower %v, ratio follower/stock %.2f\n", ms.Round(time.Millisecond), mo.Round(time.Millisecond), mo.Seconds()/ms.Seconds())
	return nil
}

func dumpOnly(keys int, path string) error {
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m, err := start(dir)
	if err != nil {
		return err
	}
	defer m.stop()
	if err := populate(context.Background(), m.c, keys); err != nil {
		return err
	}
	if err := m.c.Save(context.Background()).Err(); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
