// Command benche2e runs the end-to-end benchmarks side by side with a stock
// replica on this machine and writes BENCHMARKS.md (run it with
// `make bench-e2e`):
//
//  1. full sync of a ~1M-key mixed dataset, disk-based and diskless:
//     follower vs `redis-server --replicaof`, wall time connect → streaming;
//  2. steady state: the master driven flat out by redis-benchmark; lag in
//     bytes and ms (p50/p99/max) and the apply rate, follower and stock;
//  3. memory: follower RSS after the full sync vs the stock replica's RSS
//     and the master's used_memory;
//  4. RDB decode alone: ours vs github.com/hdt3213/rdb on the same file;
//  5. restart to streaming with a 1M-key data dir vs a stock replica
//     restarting from its RDB.
//
// CPU and heap profiles of scenarios 1 and 2 are written next to the report.
package main

import (
	"bufio"
	"bytes"
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
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	hdtmodel "github.com/hdt3213/rdb/model"
	hdtparser "github.com/hdt3213/rdb/parser"
	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

type opts struct {
	keys    int
	runs    int
	steady  time.Duration
	out     string
	profDir string
	bin     string
	only    string
}

func main() {
	var o opts
	flag.IntVar(&o.keys, "keys", 1_000_000, "approximate number of keys in the dataset")
	flag.IntVar(&o.runs, "runs", 3, "alternating runs per full-sync measurement")
	flag.DurationVar(&o.steady, "steady", 30*time.Second, "steady-state duration")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report file")
	flag.StringVar(&o.profDir, "profiles", "bench-profiles", "directory for CPU/heap profiles")
	flag.StringVar(&o.bin, "bin", "bin/redis-follower", "the redis-follower binary (memory and restart scenarios)")
	flag.StringVar(&o.only, "only", "1,2,3,4,5", "scenarios to run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benche2e:", err)
		os.Exit(1)
	}
}

// ---- servers ---------------------------------------------------------------

type server struct {
	addr, dir string
	cmd       *exec.Cmd
	c         *redis.Client
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startServer(dir string, extra ...string) (*server, error) {
	os.MkdirAll(dir, 0o755)
	port := freePort()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log"), "--enable-debug-command", "yes",
		"--repl-diskless-sync-delay", "0", "--protected-mode", "no"}, extra...)
	s := &server{addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: exec.Command("redis-server", args...)}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2, ReadTimeout: 2 * time.Minute})
	for i := 0; i < 2400; i++ {
		if err := s.c.Ping(context.Background()).Err(); err == nil {
			return s, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return nil, fmt.Errorf("redis-server on %s did not start", s.addr)
}

func (s *server) stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.c.Close()
}

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

func infoInt(c *redis.Client, section, field string) int64 {
	n, _ := strconv.ParseInt(info(c, section, field), 10, 64)
	return n
}

// replicaAcked returns the offset the master last heard from the replica
// at index i (INFO replication slaveN).
func replicaAcked(m *redis.Client, port int) int64 {
	txt, _ := m.Info(context.Background(), "replication").Result()
	sc := bufio.NewScanner(strings.NewReader(txt))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "slave") || !strings.Contains(line, ",port="+strconv.Itoa(port)+",") {
			continue
		}
		for _, kv := range strings.Split(line, ",") {
			if v, ok := strings.CutPrefix(kv, "offset="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
	}
	return -1
}

// ---- dataset -----------------------------------------------------------------

// populate builds a mixed dataset of about n keys: 60% 100-byte strings,
// then small hashes, lists, sets and sorted sets, large collections, and
// streams.
func populate(ctx context.Context, c *redis.Client, n int) error {
	if err := c.Do(ctx, "DEBUG", "POPULATE", n*6/10, "str", 100).Err(); err != nil {
		return err
	}
	p := c.Pipeline()
	flush := func(force bool) error {
		if p.Len() < 2000 && !force {
			return nil
		}
		_, err := p.Exec(ctx)
		return err
	}
	for i := 0; i < n/10; i++ {
		p.HSet(ctx, "hash:"+strconv.Itoa(i), "a", i, "b", "text-value", "c", i*7, "d", "x", "e", "yy")
		p.RPush(ctx, "list:"+strconv.Itoa(i), 1, 2, 3, "four", "five", 6, 7, "eight", 9, "ten")
		if err := flush(false); err != nil {
			return err
		}
	}
	for i := 0; i < n/20; i++ {
		p.SAdd(ctx, "set:"+strconv.Itoa(i), i, i+1, i+2, "m1", "m2")
		zs := make([]redis.Z, 10)
		for j := range zs {
			zs[j] = redis.Z{Score: float64(j) * 1.5, Member: "m" + strconv.Itoa(j)}
		}
		p.ZAdd(ctx, "zset:"+strconv.Itoa(i), zs...)
		if err := flush(false); err != nil {
			return err
		}
	}
	for i := 0; i < 10; i++ {
		for j := 0; j < 50000; j += 500 {
			args := make([]any, 0, 1000)
			zs := make([]redis.Z, 0, 500)
			for x := j; x < j+500; x++ {
				args = append(args, "f"+strconv.Itoa(x), x)
				zs = append(zs, redis.Z{Score: float64(x % 977), Member: "m" + strconv.Itoa(x)})
			}
			p.HSet(ctx, "bighash:"+strconv.Itoa(i), args...)
			p.RPush(ctx, "biglist:"+strconv.Itoa(i), args...)
			p.ZAdd(ctx, "bigzset:"+strconv.Itoa(i), zs...)
			p.SAdd(ctx, "bigset:"+strconv.Itoa(i), args[:500]...)
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	for i := 0; i < n/1000; i++ {
		for j := 0; j < 100; j++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "stream:" + strconv.Itoa(i), Values: []any{"f", j, "g", "value"}})
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	return flush(true)
}

// ---- follower helpers --------------------------------------------------------

type inproc struct {
	f      *follower.Follower
	cancel context.CancelFunc
	done   chan error
}

func startFollower(addr, dir string) (*inproc, error) {
	f, err := follower.New(follower.Config{Link: psync.LinkConfig{Addr: addr}, Dir: dir,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &inproc{f: f, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- f.Run(ctx) }()
	return p, nil
}

func (p *inproc) stop() error { p.cancel(); return <-p.done }

func waitUntil(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

func procRSS(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// markOffset writes a key so the master's offset is past anything a
// loading follower ACKs (0), and returns the offset to wait for.
func markOffset(m *server) int64 {
	m.c.Incr(context.Background(), "benche2e:marker")
	return infoInt(m.c, "replication", "master_repl_offset")
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// ---- report ------------------------------------------------------------------

type report struct {
	bytes.Buffer
}

func (r *report) line(format string, args ...any) {
	fmt.Fprintf(r, format+"\n", args...)
	fmt.Printf(format+"\n", args...)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// ---- scenarios -----------------------------------------------------------------

type env struct {
	o       opts
	dir     string
	rep     *report
	masters map[string]*server // by diskless setting
}

func (e *env) master(diskless string) (*server, error) {
	if m := e.masters[diskless]; m != nil {
		return m, nil
	}
	m, err := startServer(filepath.Join(e.dir, "master-"+diskless), "--repl-diskless-sync", diskless,
		"--repl-backlog-size", "256mb", "--client-output-buffer-limit", "replica 0 0 0")
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := populate(context.Background(), m.c, e.o.keys); err != nil {
		return nil, err
	}
	fmt.Printf("master (diskless=%s): %s in %v\n", diskless, info(m.c, "keyspace", "db0"), time.Since(t0).Round(time.Millisecond))
	e.masters[diskless] = m
	return m, nil
}

func (e *env) fullSync() error {
	r := e.rep
	r.line("\n## 1. Full sync of a %d-key mixed dataset\n", e.o.keys)
	r.line("Wall time from connect until streaming (stock replica: `master_link_status:up` and no sync in progress; follower: state streaming). Median of %d alternating runs; the master forks a BGSAVE each time.\n", e.o.runs)
	r.line("| transfer | stock replica | follower | ratio follower/stock | target ≤ 1.0 |")
	r.line("|---|---|---|---|---|")
	for _, diskless := range []string{"no", "yes"} {
		m, err := e.master(diskless)
		if err != nil {
			return err
		}
		host, port, _ := net.SplitHostPort(m.addr)
		var stock, ours []time.Duration
		for i := 0; i < e.o.runs; i++ {
			rdir := filepath.Join(e.dir, fmt.Sprintf("replica-%s-%d", diskless, i))
			t0 := time.Now()
			rep, err := startServer(rdir, "--replicaof", host, port)
			if err != nil {
				return err
			}
			err = waitUntil(10*time.Minute, "the stock replica", func() bool {
				return info(rep.c, "replication", "master_link_status") == "up" && info(rep.c, "replication", "master_sync_in_progress") == "0"
			})
			stock = append(stock, time.Since(t0))
			rep.stop()
			os.RemoveAll(rdir)
			if err != nil {
				return err
			}
			runtime.GC()
			var prof *os.File
			if i == 0 && diskless == "no" {
				prof, _ = os.Create(filepath.Join(e.o.profDir, "fullsync.cpu.pprof"))
				pprof.StartCPUProfile(prof)
			}
			fdir := filepath.Join(e.dir, fmt.Sprintf("follower-%s-%d", diskless, i))
			t0 = time.Now()
			f, err := startFollower(m.addr, fdir)
			if err != nil {
				return err
			}
			err = waitUntil(10*time.Minute, "the follower", func() bool { return f.f.Status().State == follower.StateStreaming })
			ours = append(ours, time.Since(t0))
			if prof != nil {
				pprof.StopCPUProfile()
				prof.Close()
				if hp, herr := os.Create(filepath.Join(e.o.profDir, "fullsync.heap.pprof")); herr == nil {
					pprof.WriteHeapProfile(hp)
					hp.Close()
				}
			}
			os.Remove(filepath.Join(fdir, follower.SnapshotFile)) // not part of the measurement
			f.cancel()
			<-f.done
			os.RemoveAll(fdir)
			if err != nil {
				return err
			}
			fmt.Printf("  diskless=%s run %d: stock %v follower %v\n", diskless, i+1, stock[i].Round(time.Millisecond), ours[i].Round(time.Millisecond))
			runtime.GC()
		}
		ms, mo := median(stock), median(ours)
		ratio := mo.Seconds() / ms.Seconds()
		mode := "disk-based (`$<len>`)"
		if diskless == "yes" {
			mode = "diskless (`$EOF:`)"
		}
		r.line("| %s | %v | %v | %.2f | %s |", mode, ms.Round(time.Millisecond), mo.Round(time.Millisecond), ratio, verdict(ratio <= 1.0))
	}
	return nil
}

func (e *env) memory() error {
	r := e.rep
	m, err := e.master("no")
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(m.addr)
	rep, err := startServer(filepath.Join(e.dir, "mem-replica"), "--replicaof", host, port)
	if err != nil {
		return err
	}
	defer rep.stop()
	if err := waitUntil(10*time.Minute, "the stock replica", func() bool {
		return info(rep.c, "replication", "master_link_status") == "up" && info(rep.c, "replication", "master_sync_in_progress") == "0"
	}); err != nil {
		return err
	}
	fdir := filepath.Join(e.dir, "mem-follower")
	fport := freePort()
	cmd := exec.Command(e.o.bin, "sync", "--dir", fdir, "--announce-port", strconv.Itoa(fport), "redis://"+m.addr)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w (run make build)", e.o.bin, err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	target := markOffset(m)
	if err := waitUntil(10*time.Minute, "the follower binary", func() bool { return replicaAcked(m.c, fport) >= target }); err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // let the heap settle after the load
	rss := procRSS(cmd.Process.Pid)
	stockRSS := infoInt(rep.c, "memory", "used_memory_rss")
	used := infoInt(m.c, "memory", "used_memory")
	ratio := float64(rss) / float64(stockRSS)
	r.line("\n## 3. Memory after the full sync\n")
	r.line("| follower RSS | stock replica RSS | master used_memory | follower/stock RSS | target ≤ 1.5 | follower/master used_memory |")
	r.line("|---|---|---|---|---|---|")
	r.line("| %s | %s | %s | %.2f | %s | %.2f |", mb(rss), mb(stockRSS), mb(used), ratio, verdict(ratio <= 1.5), float64(rss)/float64(used))
	return nil
}

// lagSample is one observation of the stream positions.
type lagSample struct {
	t                   time.Time
	master, ours, stock int64
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func (e *env) steady() error {
	r := e.rep
	m, err := startServer(filepath.Join(e.dir, "steady-master"), "--repl-backlog-size", "256mb",
		"--client-output-buffer-limit", "replica 0 0 0")
	if err != nil {
		return err
	}
	defer m.stop()
	host, port, _ := net.SplitHostPort(m.addr)
	rep, err := startServer(filepath.Join(e.dir, "steady-replica"), "--replicaof", host, port)
	if err != nil {
		return err
	}
	defer rep.stop()
	f, err := startFollower(m.addr, filepath.Join(e.dir, "steady-follower"))
	if err != nil {
		return err
	}
	defer f.stop()
	if err := waitUntil(time.Minute, "both replicas", func() bool {
		return f.f.Status().State == follower.StateStreaming && info(rep.c, "replication", "master_link_status") == "up"
	}); err != nil {
		return err
	}
	prof, _ := os.Create(filepath.Join(e.o.profDir, "steady.cpu.pprof"))
	pprof.StartCPUProfile(prof)
	ctx, cancel := context.WithTimeout(context.Background(), e.o.steady)
	defer cancel()
	var wg sync.WaitGroup
	benchCmds := 0
	var benchMu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			c := exec.CommandContext(ctx, "redis-benchmark", "-h", host, "-p", port, "-P", "16", "-c", "8", "-r", "100000",
				"-n", "500000", "-q", "-t", "set,incr,lpush,hset,zadd")
			out, _ := c.Output()
			benchMu.Lock()
			benchCmds += strings.Count(string(out), "requests per second")
			benchMu.Unlock()
		}
	}()
	var samples []lagSample
	t0 := time.Now()
	startOff := infoInt(m.c, "replication", "master_repl_offset")
	for ctx.Err() == nil {
		s := lagSample{t: time.Now(), master: infoInt(m.c, "replication", "master_repl_offset")}
		s.ours = f.f.Status().Offset
		s.stock = infoInt(rep.c, "replication", "master_repl_offset")
		samples = append(samples, s)
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	pprof.StopCPUProfile()
	prof.Close()
	if hp, herr := os.Create(filepath.Join(e.o.profDir, "steady.heap.pprof")); herr == nil {
		pprof.WriteHeapProfile(hp)
		hp.Close()
	}
	end := infoInt(m.c, "replication", "master_repl_offset")
	elapsed := time.Since(t0)
	// Time lag: how long ago the master first had (at least) the offset
	// the replica has applied now. Resolution: the sampling interval.
	lagMs := func(get func(lagSample) int64) []float64 {
		var out []float64
		for _, s := range samples {
			applied := get(s)
			j, _ := slices.BinarySearchFunc(samples, applied, func(x lagSample, a int64) int {
				if x.master < a {
					return -1
				}
				return 1
			})
			if j >= len(samples) {
				j = len(samples) - 1
			}
			out = append(out, max(0, s.t.Sub(samples[j].t).Seconds()*1000))
		}
		return out
	}
	lagBytes := func(get func(lagSample) int64) []float64 {
		var out []float64
		for _, s := range samples {
			out = append(out, float64(max(0, s.master-get(s))))
		}
		return out
	}
	ours := func(s lagSample) int64 { return s.ours }
	stock := func(s lagSample) int64 { return s.stock }
	bo, bs := lagBytes(ours), lagBytes(stock)
	lo, ls := lagMs(ours), lagMs(stock)
	rate := float64(end-startOff) / elapsed.Seconds() / (1 << 20)
	st := f.f.Status()
	r.line("\n## 2. Steady state: master driven flat out for %v\n", e.o.steady.Round(time.Second))
	r.line("`redis-benchmark -P 16 -c 8 -r 100000 -t set,incr,lpush,hset,zadd` in a loop; positions sampled every 5 ms (%d samples). Master stream rate %.1f MB/s; the follower applied %d commands (%.0f/s); compactions during the run (every 256 MiB of journal, in the background): %d, the last took %v.\n",
		len(samples), rate, st.Commands, float64(st.Commands)/elapsed.Seconds(), st.Compactions, st.LastCompaction.Round(time.Millisecond))
	r.line("| replica | lag bytes p50 | p99 | max | lag ms p50 | p99 | max | target p99 < 50 ms |")
	r.line("|---|---|---|---|---|---|---|---|")
	r.line("| follower | %.0f | %.0f | %.0f | %.1f | %.1f | %.1f | %s |", pct(bo, .5), pct(bo, .99), pct(bo, 1), pct(lo, .5), pct(lo, .99), pct(lo, 1), verdict(pct(lo, .99) < 50))
	r.line("| stock replica | %.0f | %.0f | %.0f | %.1f | %.1f | %.1f | |", pct(bs, .5), pct(bs, .99), pct(bs, 1), pct(ls, .5), pct(ls, .99), pct(ls, 1))
	if err := waitUntil(time.Minute, "the follower to catch up", func() bool { return f.f.Status().Offset == end }); err != nil {
		r.line("\nThe follower did not catch up within a minute after the load stopped (offset %d of %d).", f.f.Status().Offset, end)
	} else {
		r.line("\nSustained apply ≥ the master's rate: %s (the follower caught up with the master after the load stopped).", verdict(true))
	}
	return nil
}

// discard is a decode handler that keeps nothing.
type discard struct{ keys int64 }

func (d *discard) Aux(string, string) error                             { return nil }
func (d *discard) SelectDB(int) error                                   { return nil }
func (d *discard) Function(string, []byte) error                        { return nil }
func (d *discard) ModuleAux([]byte) error                               { return nil }
func (d *discard) Key(int, string, *store.Entry, rdbload.KeyMeta) error { d.keys++; return nil }

func (e *env) decode() error {
	r := e.rep
	m, err := e.master("no")
	if err != nil {
		return err
	}
	if err := m.c.Save(context.Background()).Err(); err != nil {
		return err
	}
	path := filepath.Join(m.dir, "dump.rdb")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	best := func(f func() (int64, error)) (time.Duration, int64, error) {
		var ds []time.Duration
		var keys int64
		for i := 0; i < 5; i++ {
			runtime.GC()
			t0 := time.Now()
			k, err := f()
			if err != nil {
				return 0, 0, err
			}
			ds = append(ds, time.Since(t0))
			keys = k
		}
		slices.Sort(ds)
		return ds[0], keys, nil
	}
	oursDecode, keys, err := best(func() (int64, error) {
		h := &discard{}
		_, err := rdbload.Decode(bytes.NewReader(data), h, rdbload.Options{})
		return h.keys, err
	})
	if err != nil {
		return err
	}
	oursLoad, _, err := best(func() (int64, error) {
		_, info, err := rdbload.Load(bytes.NewReader(data), rdbload.Options{})
		if err != nil {
			return 0, err
		}
		return info.Keys, nil
	})
	if err != nil {
		return err
	}
	hdt, hkeys, err := best(func() (int64, error) {
		var n int64
		err := hdtparser.NewDecoder(bytes.NewReader(data)).Parse(func(o hdtmodel.RedisObject) bool { n++; return true })
		return n, err
	})
	if err != nil {
		return err
	}
	size := float64(len(data)) / (1 << 20)
	r.line("\n## 4. RDB decode alone (%0.f MB, %d keys, best of 5)\n", size, keys)
	r.line("| decoder | time | MB/s | keys/s | vs hdt3213 | target ≥ 3× |")
	r.line("|---|---|---|---|---|---|")
	row := func(name string, d time.Duration, k int64, target bool) {
		ratio := hdt.Seconds() / d.Seconds()
		v := ""
		if target {
			v = verdict(ratio >= 3)
		}
		r.line("| %s | %v | %.0f | %.2f M | %.1f× | %s |", name, d.Round(time.Millisecond), size/d.Seconds(), float64(k)/d.Seconds()/1e6, ratio, v)
	}
	row("rdbload.Decode (values decoded, discarded)", oursDecode, keys, true)
	row("rdbload.Load (into the store)", oursLoad, keys, false)
	row("hdt3213/rdb v1.3.2 Parse (objects discarded)", hdt, hkeys, false)
	return nil
}

func (e *env) restart() error {
	r := e.rep
	m, err := e.master("no")
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(m.addr)
	// Stock replica: sync, SHUTDOWN SAVE, start again on its RDB.
	rdir := filepath.Join(e.dir, "restart-replica")
	rep, err := startServer(rdir, "--replicaof", host, port)
	if err != nil {
		return err
	}
	if err := waitUntil(10*time.Minute, "the stock replica", func() bool {
		return info(rep.c, "replication", "master_link_status") == "up" && info(rep.c, "replication", "master_sync_in_progress") == "0"
	}); err != nil {
		return err
	}
	rep.c.Do(context.Background(), "SHUTDOWN", "SAVE")
	rep.cmd.Wait()
	t0 := time.Now()
	rep, err = startServer(rdir, "--replicaof", host, port)
	if err != nil {
		return err
	}
	err = waitUntil(10*time.Minute, "the restarted stock replica", func() bool {
		return info(rep.c, "replication", "master_link_status") == "up" && info(rep.c, "replication", "master_sync_in_progress") == "0"
	})
	stockT := time.Since(t0)
	rep.stop()
	if err != nil {
		return err
	}
	// Follower binary: sync, SIGTERM (writes dump.rdb), start again.
	fdir := filepath.Join(e.dir, "restart-follower")
	fport := freePort()
	args := []string{"sync", "--dir", fdir, "--announce-port", strconv.Itoa(fport), "redis://" + m.addr}
	logf, err := os.Create(filepath.Join(e.dir, "restart-follower.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(e.o.bin, args...)
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return err
	}
	target := markOffset(m)
	if err := waitUntil(10*time.Minute, "the follower binary", func() bool { return replicaAcked(m.c, fport) >= target }); err != nil {
		cmd.Process.Kill()
		return err
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	partial := infoInt(m.c, "stats", "sync_partial_ok")
	t0 = time.Now()
	cmd = exec.Command(e.o.bin, args...)
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	target = markOffset(m)
	// Streaming: the master accepted the partial resync (what the stock
	// replica's master_link_status:up says too). Caught up: the follower
	// ACKed the marker written after its start (ACKs go out right after
	// +CONTINUE, then every second: up to a second late).
	err = waitUntil(10*time.Minute, "the restarted follower", func() bool {
		return infoInt(m.c, "stats", "sync_partial_ok") > partial
	})
	oursT := time.Since(t0)
	if err == nil {
		err = waitUntil(10*time.Minute, "the restarted follower to catch up", func() bool { return replicaAcked(m.c, fport) >= target })
	}
	caughtT := time.Since(t0)
	if err != nil {
		b, _ := os.ReadFile(logf.Name())
		return fmt.Errorf("%w; follower log:\n%s", err, b)
	}
	ratio := oursT.Seconds() / stockT.Seconds()
	r.line("\n## 5. Restart to streaming with a %d-key data directory\n", e.o.keys)
	r.line("Process start → partial resync accepted (stock replica: `master_link_status:up` and no sync in progress; follower: the master's `sync_partial_ok` counts it). Stock replica: `SHUTDOWN SAVE`, then `redis-server --replicaof` on its RDB. Follower: SIGTERM, then `redis-follower sync` on its data dir. Last column: until the follower ACKed a write made after its start (its ACKs go out after +CONTINUE, then once a second).\n")
	r.line("| stock replica | follower | ratio | target ≤ 1.0 | follower caught up (ACK) |")
	r.line("|---|---|---|---|---|")
	r.line("| %v | %v | %.2f | %s | %v |", stockT.Round(time.Millisecond), oursT.Round(time.Millisecond), ratio, verdict(ratio <= 1.0), caughtT.Round(time.Millisecond))
	return nil
}

func machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		if len(f) >= 2 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	rv, _ := exec.Command("redis-server", "--version").Output()
	gv, _ := exec.Command("git", "describe", "--always", "--dirty").Output()
	return fmt.Sprintf("- machine: %d cores (%s), %s RAM, %s/%s\n- %s- %s\n- redis-follower %s- date: %s",
		runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(rv))+"\n", runtime.Version(),
		strings.TrimSpace(string(gv))+"\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}

func run(o opts) error {
	dir, err := os.MkdirTemp("", "benche2e-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(o.profDir, 0o755); err != nil {
		return err
	}
	e := &env{o: o, dir: dir, rep: &report{}, masters: map[string]*server{}}
	defer func() {
		for _, m := range e.masters {
			m.stop()
		}
	}()
	e.rep.line("# redis-follower end-to-end benchmarks\n")
	e.rep.line("Written by `make bench-e2e` (tools/benche2e). Every comparison is side by side in one run on this machine:\n")
	e.rep.line("%s\n", machine())
	e.rep.line("Profiles of scenarios 1 and 2: `%s/` (`go tool pprof -top <file>`).", o.profDir)
	scen := map[string]func() error{"1": e.fullSync, "2": e.steady, "3": e.memory, "4": e.decode, "5": e.restart}
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		if !strings.Contains(o.only, id) {
			continue
		}
		if err := scen[id](); err != nil {
			return fmt.Errorf("scenario %s: %w", id, err)
		}
	}
	return os.WriteFile(o.out, e.rep.Bytes(), 0o644)
}
