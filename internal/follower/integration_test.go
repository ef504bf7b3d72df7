package follower_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/psync"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/workload"
)

// running is a follower started in the background.
type running struct {
	f      *follower.Follower
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// config returns a test configuration; with logs nil, start captures the
// log and prints its tail when the test fails.
func config(addr, dir string, logs io.Writer) follower.Config {
	cfg := follower.Config{
		Link:       psync.LinkConfig{Addr: addr, IdleTimeout: 20 * time.Second},
		Dir:        dir,
		BackoffMin: 50 * time.Millisecond,
		BackoffMax: 500 * time.Millisecond,
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

func start(t *testing.T, cfg follower.Config) *running {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f, err := follower.New(cfg)
	if err != nil {
		t.Fatalf("follower.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{f: f, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { r.done <- f.Run(ctx) }()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("follower log:\n%s", tail(logs.String(), 40))
		}
	})
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stop cancels the follower and returns Run's error (idempotent).
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("follower did not stop within 30s")
	}
	return nil
}

// waitCaughtUp waits until the follower has applied everything the master
// has written (the master must be quiet).
// stringAt reads a string key of the follower's store ("" when absent).
func (r *running) stringAt(db int, key string) string {
	s := r.f.Store()
	s.RLock()
	defer s.RUnlock()
	e := s.DB(db).GetString(key)
	if e == nil {
		return ""
	}
	return string(e.Str())
}

func waitCaughtUp(t *testing.T, r *running, m *redistest.Server) {
	t.Helper()
	redistest.WaitFor(t, 60*time.Second, "the follower to catch up with the master", func() bool {
		st := r.f.Status()
		return st.State == follower.StateStreaming && st.Offset == m.MasterOffset()
	})
}

// compare fails the test if the follower's store differs from the master.
func compare(t *testing.T, r *running, m *redistest.Server) int {
	t.Helper()
	want, err := canon.FromRedis(context.Background(), m.Client)
	if err != nil {
		t.Fatalf("reading the master: %v", err)
	}
	wantFn, err := canon.FunctionsFromRedis(context.Background(), m.Client)
	if err != nil {
		t.Fatal(err)
	}
	s := r.f.Store()
	s.RLock()
	got := canon.FromStore(s, time.Now().UnixMilli())
	gotFn := canon.FunctionsFromStore(s)
	s.RUnlock()
	if d := canon.DiffFunctions(wantFn, gotFn); d != "" {
		t.Fatalf("function libraries differ: %s", d)
	}
	diffs, n := canon.Diff(want, got, 20)
	if n > 0 {
		t.Fatalf("follower differs from the master in %d of %d keys:\n%s", n, len(want), strings.Join(diffs, "\n"))
	}
	if len(want) == 0 {
		t.Fatalf("the master is empty: this comparison proves nothing")
	}
	return len(want)
}

// compareServers fails the test if two live servers hold different data.
func compareServers(t *testing.T, want, got *redistest.Server) int {
	t.Helper()
	w, err := canon.FromRedis(context.Background(), want.Client)
	if err != nil {
		t.Fatal(err)
	}
	g, err := canon.FromRedis(context.Background(), got.Client)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := canon.FunctionsFromRedis(context.Background(), want.Client)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := canon.FunctionsFromRedis(context.Background(), got.Client)
	if err != nil {
		t.Fatal(err)
	}
	if d := canon.DiffFunctions(wf, gf); d != "" {
		t.Fatalf("function libraries differ: %s", d)
	}
	diffs, n := canon.Diff(w, g, 20)
	if n > 0 {
		t.Fatalf("servers differ in %d of %d keys:\n%s", n, len(w), strings.Join(diffs, "\n"))
	}
	return len(w)
}

// writeDuring runs the random writer until the returned stop is called.
func writeDuring(t *testing.T, m *redistest.Server, seed uint64) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	var n int
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err = workload.RunWriter(ctx, m.Client, workload.WriterOptions{Seed: seed, Keys: 300}, 0)
	}()
	return func() int {
		cancel()
		<-done
		if err != nil {
			t.Fatalf("writer: %v", err)
		}
		return n
	}
}

func fill(t *testing.T, m *redistest.Server, scale int) {
	t.Helper()
	if err := workload.Fill(context.Background(), m.Client, workload.FillOptions{Scale: scale, Seed: 7}); err != nil {
		t.Fatalf("fill: %v", err)
	}
}

// TestFullSync: a master with every type is fully synced, both with a
// disk-based and a diskless transfer, and writes made during and after the
// sync arrive.
func TestFullSync(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			m := redistest.Start(t, "--repl-diskless-sync", diskless)
			fill(t, m, 2000)
			stopWriter := writeDuring(t, m, 11)
			r := start(t, config(m.Addr, t.TempDir(), nil))
			redistest.WaitFor(t, 60*time.Second, "the follower to stream", func() bool {
				return r.f.Status().State == follower.StateStreaming
			})
			time.Sleep(300 * time.Millisecond) // writes after the sync, too
			ops := stopWriter()
			waitCaughtUp(t, r, m)
			keys := compare(t, r, m)
			st := r.f.Status()
			if st.FullSyncs != 1 || m.InfoInt("stats", "sync_full") != 1 {
				t.Fatalf("full syncs: follower %d, master %d; want 1", st.FullSyncs, m.InfoInt("stats", "sync_full"))
			}
			if st.ApplyErrors != 0 || len(st.Unknown) != 0 {
				t.Fatalf("apply errors %d, unknown %v", st.ApplyErrors, st.Unknown)
			}
			t.Logf("synced %d keys, %d writes during/after the sync, %d commands applied, offset %d", keys, ops, st.Commands, st.Offset)
		})
	}
}

// TestPartialResyncAfterClientKill: the master drops the follower; it is
// back within seconds via partial resync.
func TestPartialResyncAfterClientKill(t *testing.T) {
	m := redistest.Start(t, "--repl-backlog-size", "64mb") // the writer never stops
	fill(t, m, 500)
	r := start(t, config(m.Addr, t.TempDir(), nil))
	waitCaughtUp(t, r, m)
	stopWriter := writeDuring(t, m, 21)
	for i := 0; i < 3; i++ {
		time.Sleep(200 * time.Millisecond)
		m.Do("CLIENT", "KILL", "TYPE", "replica")
		start := time.Now()
		want := int64(i + 1)
		redistest.WaitFor(t, 10*time.Second, "a partial resync", func() bool {
			return r.f.Status().PartialSyncs == want && r.f.Status().State == follower.StateStreaming
		})
		t.Logf("back after %v", time.Since(start).Round(time.Millisecond))
	}
	stopWriter()
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	// WAIT counts us: GETACK is answered with the applied offset.
	m.Do("SET", "wait-probe", "1")
	if n, err := m.Client.Do(context.Background(), "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 5000 = %d, %v; want 1", n, err)
	}
	if full, partial := m.InfoInt("stats", "sync_full"), m.InfoInt("stats", "sync_partial_ok"); full != 1 || partial != 3 {
		t.Fatalf("master counted sync_full=%d sync_partial_ok=%d, want 1 and 3", full, partial)
	}
}

// TestRestartResumesWithPartialResync: SIGTERM-equivalent stop writes
// dump.rdb; a new follower on the same dir resumes with +CONTINUE; its
// snapshot, loaded by a stock redis-server, equals the master.
func TestRestartResumesWithPartialResync(t *testing.T) {
	// The writer keeps going while the follower is down: a backlog that
	// holds a few seconds of it keeps a loaded machine from turning the
	// restart into a full sync.
	m := redistest.Start(t, "--repl-backlog-size", "64mb")
	fill(t, m, 1000)
	dir := t.TempDir()
	r1 := start(t, config(m.Addr, dir, nil))
	stopWriter := writeDuring(t, m, 31)
	waitFor := time.Now().Add(500 * time.Millisecond)
	redistest.WaitFor(t, 30*time.Second, "streaming", func() bool {
		return r1.f.Status().State == follower.StateStreaming && time.Now().After(waitFor)
	})
	if err := r1.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, follower.SnapshotFile)); err != nil {
		t.Fatalf("no snapshot after stop: %v", err)
	}
	if segs := segments(t, dir); len(segs) != 0 {
		t.Fatalf("journal segments left after a clean stop (dump.rdb alone should be the dataset): %v", segs)
	}
	time.Sleep(200 * time.Millisecond) // writes while the follower is down
	r2 := start(t, config(m.Addr, dir, nil))
	redistest.WaitFor(t, 30*time.Second, "streaming again", func() bool {
		return r2.f.Status().State == follower.StateStreaming
	})
	stopWriter()
	waitCaughtUp(t, r2, m)
	compare(t, r2, m)
	if full, partial := m.InfoInt("stats", "sync_full"), m.InfoInt("stats", "sync_partial_ok"); full != 1 || partial != 1 {
		t.Fatalf("master counted sync_full=%d sync_partial_ok=%d, want 1 and 1", full, partial)
	}
	if st := r2.f.Status(); st.PartialSyncs != 1 || st.FullSyncs != 0 {
		t.Fatalf("second follower: partial %d full %d", st.PartialSyncs, st.FullSyncs)
	}
	if err := r2.stop(t); err != nil {
		t.Fatal(err)
	}
	// The snapshot is a Redis RDB: a stock redis-server loads it and holds
	// exactly the master's dataset.
	loaded := t.TempDir()
	b, err := os.ReadFile(filepath.Join(dir, follower.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loaded, "dump.rdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	stock := redistest.StartInDir(t, loaded)
	n := compareServers(t, m, stock)
	t.Logf("snapshot of %d bytes loaded by redis-server: %d keys equal", len(b), n)
}

// TestWrongPassword stops with a fatal, plainly worded error.
func TestWrongPassword(t *testing.T) {
	m := redistest.Start(t, "--requirepass", "right-password")
	cfg := config(m.Addr, t.TempDir(), io.Discard)
	cfg.Link.Handshake.Password = "wrong-password"
	r := start(t, cfg)
	select {
	case err := <-r.done:
		close(r.done)
		if err == nil || !follower.IsFatal(err) || !strings.Contains(err.Error(), "authentication failed") {
			t.Fatalf("got %v, want a fatal authentication error", err)
		}
		if strings.Contains(err.Error(), "wrong-password") {
			t.Fatalf("error leaks the password: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the follower kept running with a wrong password")
	}
}

// TestRetriesUnreachableAndNonRedis: no listener, and a listener that is
// not Redis, give clear errors and retries — never a panic or an exit.
func TestRetriesUnreachableAndNonRedis(t *testing.T) {
	port := redistest.FreePort(t)
	r := start(t, config("127.0.0.1:"+strconv.Itoa(port), t.TempDir(), nil))
	redistest.WaitFor(t, 10*time.Second, "a connection error", func() bool {
		return strings.Contains(r.f.Status().LastError, "cannot reach the master")
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	r2 := start(t, config(ln.Addr().String(), t.TempDir(), nil))
	redistest.WaitFor(t, 10*time.Second, "a not-Redis error", func() bool {
		return strings.Contains(r2.f.Status().LastError, "is the address a Redis server?")
	})
	time.Sleep(300 * time.Millisecond) // a few retries
	for _, x := range []*running{r, r2} {
		select {
		case err := <-x.done:
			t.Fatalf("follower exited: %v", err)
		default:
		}
	}
}

// TestMasterClosesMidRDB: the link breaks inside the payload; the store is
// never half-loaded and the next attempt completes.
func TestMasterClosesMidRDB(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			m := redistest.Start(t, "--repl-diskless-sync", diskless)
			fill(t, m, 3000)
			p := redistest.NewProxy(t, m.Addr)
			p.CutNextAfter(200 << 10)
			dir := t.TempDir()
			r := start(t, config(p.Addr, dir, nil))
			total := int(m.Client.DBSize(context.Background()).Val())
			// Until the sync commits, the store is empty; after, complete.
			var sawPartial bool
			redistest.WaitFor(t, 60*time.Second, "the full sync", func() bool {
				s := r.f.Store()
				s.RLock()
				n := s.DB(0).Len()
				s.RUnlock()
				if n != 0 && n != total {
					sawPartial = true
				}
				return r.f.Status().FullSyncs == 1
			})
			if sawPartial {
				t.Fatal("a reader saw a half-loaded store")
			}
			if p.Connections() < 2 {
				t.Fatalf("expected a failed attempt and a retry, saw %d connections", p.Connections())
			}
			waitCaughtUp(t, r, m)
			compare(t, r, m)
			if !strings.Contains(r.logs.String(), "full sync failed") && !strings.Contains(r.logs.String(), "reconnecting") {
				t.Fatalf("the failed attempt was not logged")
			}
			assertNoTemp(t, dir) // the cut payload's temp file is gone
		})
	}
}
