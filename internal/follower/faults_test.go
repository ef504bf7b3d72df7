package follower_test

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/redistest"
)

// syncs returns the master's sync_full and sync_partial_ok counters.
func syncs(m *redistest.Server) (full, partial int64) {
	return m.InfoInt("stats", "sync_full"), m.InfoInt("stats", "sync_partial_ok")
}

// wantSyncs fails unless the master counted exactly full and partial syncs.
func wantSyncs(t *testing.T, m *redistest.Server, full, partial int64) {
	t.Helper()
	if f, p := syncs(m); f != full || p != partial {
		t.Fatalf("master counted sync_full=%d sync_partial_ok=%d, want %d and %d", f, p, full, partial)
	}
}

// streamingVia starts a follower on dir through proxy p and waits until
// it has caught up with m.
func streamingVia(t *testing.T, m *redistest.Server, p *redistest.Proxy, dir string) *running {
	t.Helper()
	r := start(t, config(p.Addr, dir, nil))
	waitCaughtUp(t, r, m)
	return r
}

// waitPartial waits until the follower counted want partial resyncs and
// streams again.
func waitPartial(t *testing.T, r *running, want int64) {
	t.Helper()
	redistest.WaitFor(t, 20*time.Second, "a partial resync", func() bool {
		st := r.f.Status()
		return st.PartialSyncs == want && st.State == follower.StateStreaming
	})
}

// lastPartialStart returns the backlog offset the master's last accepted
// partial resync started from (its log: "... starting from offset N.").
func lastPartialStart(t *testing.T, m *redistest.Server) int64 {
	t.Helper()
	log := m.LogTail(200)
	i := strings.LastIndex(log, "starting from offset ")
	if i < 0 {
		t.Fatalf("no accepted partial resync in the master log:\n%s", m.LogTail(20))
	}
	s := log[i+len("starting from offset "):]
	s = s[:strings.IndexAny(s, ".\n")]
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("master log: %v", err)
	}
	return n
}

// dbConn returns a dedicated connection to m with db selected.
func dbConn(t *testing.T, m *redistest.Server, db int) *redis.Conn {
	t.Helper()
	c := m.Client.Conn()
	t.Cleanup(func() { c.Close() })
	if err := c.Select(t.Context(), db).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCutMidHandshake: the link breaks inside the handshake replies, first
// on the initial connection, then on a reconnection; the follower retries
// and resumes with a partial resync.
func TestCutMidHandshake(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	p := redistest.NewProxy(t, m.Addr)
	p.CutNextAfter(3) // inside "+PONG"
	r := streamingVia(t, m, p, t.TempDir())
	if p.Connections() < 2 {
		t.Fatalf("the cut connection was not retried (%d connections)", p.Connections())
	}
	wantSyncs(t, m, 1, 0)
	// Reconnection cut inside the +CONTINUE line.
	m.Do("SET", "during", "cut")
	p.CutNextAfter(int64(len("+PONG\r\n+OK\r\n+OK\r\n+CONT")))
	p.CutAll()
	waitPartial(t, r, 1)
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	// The master counts the partial resync whose +CONTINUE never reached
	// the follower, too.
	wantSyncs(t, m, 1, 2)
	if p.Connections() < 4 {
		t.Fatalf("expected the cut reconnection and a retry: %d connections", p.Connections())
	}
}

// TestCutMidCommand (S9): the link breaks inside a large bulk argument;
// the follower resumes from the last complete command and applies the
// command once.
func TestCutMidCommand(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	p := redistest.NewProxy(t, m.Addr)
	r := streamingVia(t, m, p, t.TempDir())
	conn := dbConn(t, m, 0) // one connection: no SELECT between the writes
	conn.Set(t.Context(), "warm-up", "1", 0)
	waitCaughtUp(t, r, m)
	before := m.MasterOffset()
	fired := p.CutAt([]byte("cut-me-big"), len("cut-me-big")+40000)
	if err := conn.Set(t.Context(), "cut-me-big", strings.Repeat("v", 100000), 0).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy never saw the command")
	}
	waitPartial(t, r, 1)
	if got := lastPartialStart(t, m); got != before+1 {
		t.Fatalf("PSYNC resumed at %d, want %d (the byte after the last complete command)", got, before+1)
	}
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	wantSyncs(t, m, 1, 1)
}

// TestCutMidMulti (S8): the link breaks after MULTI and one queued
// command; PSYNC resumes at the offset before MULTI and the transaction is
// applied exactly once.
func TestCutMidMulti(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	p := redistest.NewProxy(t, m.Addr)
	r := streamingVia(t, m, p, t.TempDir())
	ctx := context.Background()
	conn := dbConn(t, m, 0) // one connection: no SELECT between the writes
	conn.Set(ctx, "tx:counter", "0", 0)
	waitCaughtUp(t, r, m)
	before := m.MasterOffset()
	fired := p.CutAt([]byte("tx-marker-key"), 0)
	_, err := conn.TxPipelined(ctx, func(pp redis.Pipeliner) error {
		pp.Incr(ctx, "tx:counter")
		pp.Set(ctx, "tx-marker-key", "x", 0)
		pp.Incr(ctx, "tx:counter")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-fired
	waitPartial(t, r, 1)
	if got := lastPartialStart(t, m); got != before+1 {
		t.Fatalf("PSYNC resumed at %d, want %d (before MULTI)", got, before+1)
	}
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	v := r.stringAt(0, "tx:counter")
	if v != "2" {
		t.Fatalf("tx:counter = %s, want 2 (the transaction applied exactly once)", v)
	}
	wantSyncs(t, m, 1, 1)
}

// TestCorruptRDBByte: a byte of the payload flipped in transit fails the
// CRC check; nothing of that payload is used, and the retried full sync
// succeeds.
func TestCorruptRDBByte(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			m := redistest.Start(t, "--repl-diskless-sync", diskless)
			fill(t, m, 300)
			// An incompressible value, so the pattern is on the wire as is.
			b := make([]byte, 2000)
			rand.Read(b)
			val := "CORRUPT-ME-" + string(b)
			m.Do("SET", "corrupt-target", val)
			p := redistest.NewProxy(t, m.Addr)
			fired := p.CorruptAt([]byte("CORRUPT-ME-"), 500)
			dir := t.TempDir()
			r := streamingVia(t, m, p, dir)
			<-fired
			if !strings.Contains(r.logs.String(), "CRC") {
				t.Fatalf("the corruption was not reported as a CRC mismatch")
			}
			compare(t, r, m)
			wantSyncs(t, m, 2, 0)
			redistest.WaitFor(t, 5*time.Second, "the failed attempt's link to close", func() bool {
				return m.InfoInt("replication", "connected_slaves") == 1
			})
			if st := r.f.Status(); st.FullSyncs != 1 {
				t.Fatalf("follower counted %d full syncs, want 1 (the corrupt one never committed)", st.FullSyncs)
			}
			assertNoTemp(t, dir)
		})
	}
}

// TestMasterKilledMidRDB: the master dies while the payload is in flight;
// the follower keeps nothing of it and full-syncs from the restarted
// master.
func TestMasterKilledMidRDB(t *testing.T) {
	m := redistest.Start(t, "--repl-diskless-sync", "no")
	fill(t, m, 1000)
	m.Do("SAVE") // the restarted master loads it
	p := redistest.NewProxy(t, m.Addr)
	fired := p.StallAt([]byte("REDIS00"), 50000)
	r := start(t, config(p.Addr, t.TempDir(), nil))
	select {
	case <-fired:
	case <-time.After(20 * time.Second):
		t.Fatal("the payload never reached the stall point")
	}
	m.Restart()
	p.Resume()
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	if st := r.f.Status(); st.FullSyncs != 1 {
		t.Fatalf("follower counted %d full syncs, want 1", st.FullSyncs)
	}
}

// TestBacklogOverflowWhileDisconnected (P2): writes beyond the master's
// backlog while the follower cannot connect force a full resync, and the
// dataset is right afterwards.
func TestBacklogOverflowWhileDisconnected(t *testing.T) {
	m := redistest.Start(t, "--repl-backlog-size", "16kb")
	fill(t, m, 300)
	p := redistest.NewProxy(t, m.Addr)
	r := streamingVia(t, m, p, t.TempDir())
	p.SetTarget("127.0.0.1:1") // nothing listens: reconnections fail
	p.CutAll()
	big := strings.Repeat("x", 1000)
	for i := 0; i < 100; i++ {
		m.Do("SET", "overflow:"+strconv.Itoa(i), big)
	}
	p.SetTarget(m.Addr)
	redistest.WaitFor(t, 20*time.Second, "a second full sync", func() bool { return r.f.Status().FullSyncs == 2 })
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	wantSyncs(t, m, 2, 0)
}

// TestStallDetectedByIdleTimeout (T3): a link that goes silent (no RST) is
// detected by the idle timeout and resumed with a partial resync.
func TestStallDetectedByIdleTimeout(t *testing.T) {
	m := redistest.Start(t, "--repl-ping-replica-period", "1")
	fill(t, m, 300)
	p := redistest.NewProxy(t, m.Addr)
	cfg := config(p.Addr, t.TempDir(), nil)
	cfg.Link.IdleTimeout = 2500 * time.Millisecond
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	p.Stall()
	m.Do("SET", "while-stalled", "1")
	redistest.WaitFor(t, 10*time.Second, "the idle timeout", func() bool {
		return strings.Contains(r.f.Status().LastError, "timeout")
	})
	p.Resume()
	p.CutAll() // the stalled connection is dead to the follower anyway
	waitPartial(t, r, 1)
	waitCaughtUp(t, r, m)
	compare(t, r, m)
	wantSyncs(t, m, 1, 1)
}

// TestRecoveryTimeAfterLinkCut measures how long the follower, with the
// default configuration (first retry after 250 ms), takes to stream again
// after the master drops it (target: under 2 s).
func TestRecoveryTimeAfterLinkCut(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 300)
	cfg := config(m.Addr, t.TempDir(), nil)
	cfg.BackoffMin, cfg.BackoffMax = 0, 0 // defaults
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	var worst time.Duration
	for i := 1; i <= 3; i++ {
		m.Do("CLIENT", "KILL", "TYPE", "replica")
		t0 := time.Now()
		m.Do("SET", "after-cut", strconv.Itoa(i))
		waitPartial(t, r, int64(i))
		waitCaughtUp(t, r, m)
		d := time.Since(t0)
		worst = max(worst, d)
		t.Logf("cut %d: streaming and caught up again after %v", i, d.Round(time.Millisecond))
	}
	if worst > 2*time.Second {
		t.Fatalf("recovery took %v, target < 2s", worst)
	}
	compare(t, r, m)
}
