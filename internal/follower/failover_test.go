package follower_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/sentinel"
)

// startReplica starts a stock replica of m and waits until it is in sync.
func startReplica(t *testing.T, m *redistest.Server) *redistest.Server {
	t.Helper()
	rep := redistest.Start(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	waitReplicaSynced(t, rep, m)
	return rep
}

func waitReplicaSynced(t *testing.T, rep, m *redistest.Server) {
	t.Helper()
	redistest.WaitFor(t, 30*time.Second, "the stock replica in sync", func() bool {
		return rep.Info("replication", "master_link_status") == "up" && rep.MasterOffset() == m.MasterOffset()
	})
}

// TestReplicaPromotedFollowerRepointed (P3): a stock replica R is promoted
// with REPLICAOF NO ONE and the follower re-pointed at it: PSYNC with the
// old id continues (+CONTINUE <new id>), the new id is persisted and used
// after a restart, and the data equals R's.
func TestReplicaPromotedFollowerRepointed(t *testing.T) {
	m := redistest.Start(t, "--repl-ping-replica-period", "60")
	fill(t, m, 500)
	rep := startReplica(t, m)
	p := redistest.NewProxy(t, m.Addr)
	dir := t.TempDir()
	r := start(t, config(p.Addr, dir, nil))
	stopWriter := writeDuring(t, m, 61)
	time.Sleep(300 * time.Millisecond)
	stopWriter()
	waitCaughtUp(t, r, m)
	waitReplicaSynced(t, rep, m)
	rep.Do("REPLICAOF", "NO", "ONE")
	newID := rep.Info("replication", "master_replid")
	p.SetTarget(rep.Addr)
	p.CutAll()
	waitPartial(t, r, 1)
	if got := r.f.Status().ReplID; got != newID {
		t.Fatalf("follower continues with replid %s, want the promoted replica's %s", got, newID)
	}
	stopWriter = writeDuring(t, rep, 62)
	time.Sleep(300 * time.Millisecond)
	stopWriter()
	waitCaughtUp(t, r, rep)
	compare(t, r, rep)
	wantSyncs(t, rep, 0, 1)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	rep.Do("SET", "while-down", "1")
	r2 := start(t, config(p.Addr, dir, nil))
	waitCaughtUp(t, r2, rep)
	compare(t, r2, rep)
	wantSyncs(t, rep, 0, 2)
}

// TestFollowerAheadOfPromotedReplica (P4): the follower received writes
// the promoted replica never got; re-pointed at it, it must full-sync
// (those writes are lost by design) rather than continue.
func TestFollowerAheadOfPromotedReplica(t *testing.T) {
	m := redistest.Start(t, "--repl-ping-replica-period", "60")
	fill(t, m, 300)
	rep := startReplica(t, m)
	p := redistest.NewProxy(t, m.Addr)
	r := streamingVia(t, m, p, t.TempDir())
	rep.Do("REPLICAOF", "NO", "ONE")
	m.Do("SET", "only-on-the-old-master", "1")
	waitCaughtUp(t, r, m)
	p.SetTarget(rep.Addr)
	p.CutAll()
	redistest.WaitFor(t, 20*time.Second, "a full resync from the promoted replica", func() bool {
		st := r.f.Status()
		return st.FullSyncs == 2 && st.State == follower.StateStreaming
	})
	waitCaughtUp(t, r, rep)
	compare(t, r, rep)
	wantSyncs(t, rep, 1, 0)
}

// TestSentinelFailover (X2): the follower finds the master through a
// Sentinel, which also lists the follower as a replica but cannot reach it
// (it announces port 0), so a failover promotes the stock replica; the
// follower follows it with a partial resync and ends equal to it.
func TestSentinelFailover(t *testing.T) {
	m := redistest.Start(t)
	fill(t, m, 500)
	rep := startReplica(t, m)
	s := redistest.StartSentinel(t, "mymaster", m)
	cfg := config("", t.TempDir(), nil)
	cfg.Sentinel = &sentinel.Config{Addrs: []string{"127.0.0.1:1", s.Addr}, Master: "mymaster", Timeout: time.Second}
	r := start(t, cfg)
	waitCaughtUp(t, r, m)
	if got := r.f.Status().MasterAddr; got != m.Addr {
		t.Fatalf("master address %q, want %s (from the sentinel)", got, m.Addr)
	}
	// The sentinel learns replicas from the master's INFO every 10s.
	var followerEntry string
	redistest.WaitFor(t, 25*time.Second, "the sentinel to list the follower", func() bool {
		followerEntry = ""
		v, err := s.Client.Do(context.Background(), "SENTINEL", "REPLICAS", "mymaster").Slice()
		if err != nil {
			return false
		}
		for _, e := range v {
			if entry := fmt.Sprint(e); !strings.Contains(entry, "name "+rep.Addr+" ") {
				followerEntry = entry
			}
		}
		return followerEntry != ""
	})
	t.Logf("the sentinel's view of the follower: %s", followerEntry)
	stopWriter := writeDuring(t, m, 71)
	time.Sleep(300 * time.Millisecond)
	stopWriter()
	waitCaughtUp(t, r, m)
	waitReplicaSynced(t, rep, m)
	// A loaded machine can put the sentinel in TILT mode (its timer ran
	// late), where it does not act: ask again until the replica is master.
	redistest.WaitFor(t, 120*time.Second, "the sentinel to promote the replica", func() bool {
		if rep.Info("replication", "role") == "master" {
			return true
		}
		s.Client.Do(context.Background(), "SENTINEL", "FAILOVER", "mymaster") // -INPROG while one runs
		for range 50 {
			if rep.Info("replication", "role") == "master" {
				return true
			}
			time.Sleep(100 * time.Millisecond)
		}
		return false
	})
	redistest.WaitFor(t, 60*time.Second, "the follower to follow the promoted replica", func() bool {
		st := r.f.Status()
		return st.MasterAddr == rep.Addr && st.State == follower.StateStreaming && rep.Info("replication", "role") == "master"
	})
	redistest.WaitFor(t, 10*time.Second, "the +switch-master event", func() bool {
		return strings.Contains(r.logs.String(), "the master moved")
	})
	if got := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); fmt.Sprint(got) != fmt.Sprintf("[127.0.0.1 %d]", rep.Port) {
		t.Fatalf("sentinel promoted %v, want the stock replica %s", got, rep.Addr)
	}
	stopWriter = writeDuring(t, rep, 72)
	time.Sleep(300 * time.Millisecond)
	stopWriter()
	waitCaughtUp(t, r, rep)
	compare(t, r, rep)
	if st := r.f.Status(); st.FullSyncs != 1 || st.PartialSyncs < 1 {
		t.Fatalf("follower: %d full, %d partial syncs; want 1 full and partial ones after the failover", st.FullSyncs, st.PartialSyncs)
	}
	if full := rep.InfoInt("stats", "sync_full"); full != 0 {
		t.Fatalf("the promoted replica served %d full syncs, want 0", full)
	}
}

// TestCutMidMultiThenFailover: the link breaks inside a transaction the
// promoted replica never received. The follower must resume at the
// boundary before MULTI on the new master and never apply the half
// transaction: the new master's history differs from that byte on.
func TestCutMidMultiThenFailover(t *testing.T) {
	m := redistest.Start(t, "--repl-ping-replica-period", "60")
	fill(t, m, 300)
	rep := startReplica(t, m)
	p := redistest.NewProxy(t, m.Addr)
	r := streamingVia(t, m, p, t.TempDir())
	ctx := context.Background()
	conn := dbConn(t, m, 0)
	conn.Set(ctx, "tx:counter", "0", 0)
	waitCaughtUp(t, r, m)
	waitReplicaSynced(t, rep, m)
	rep.Do("REPLICAOF", "NO", "ONE") // its history ends before the transaction
	fired := p.CutAt([]byte("tx-marker-key"), 0)
	p.SetTarget(rep.Addr) // the reconnection goes to the promoted replica
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
	if err := dbConn(t, rep, 0).Set(ctx, "after-failover", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, r, rep)
	compare(t, r, rep)
	v := r.stringAt(0, "tx:counter")
	if v != "0" {
		t.Fatalf("tx:counter = %s: part of the cut transaction was applied", v)
	}
	wantSyncs(t, rep, 0, 1)
}

// TestFailoverWithoutTarget (protocol.md X3): FAILOVER without TO picks
// any replica that ACKed the master's offset — here the follower, the
// only one. With the decoy on the announced port, the master's PSYNC ...
// FAILOVER is refused and the master aborts at once, stays master and
// takes writes; the follower keeps replicating. Without it, the master
// stays in failover-in-progress (writes paused) until FAILOVER ABORT.
func TestFailoverWithoutTarget(t *testing.T) {
	for _, decoy := range []bool{true, false} {
		t.Run(fmt.Sprintf("decoy=%v", decoy), func(t *testing.T) {
			m := redistest.Start(t)
			fill(t, m, 50)
			cfg := config(m.Addr, t.TempDir(), nil)
			cfg.NoDecoy = !decoy
			cfg.DecoyAddr = "127.0.0.1:0"
			r := start(t, cfg)
			waitCaughtUp(t, r, m)
			port := m.Info("replication", "slave0")
			if decoy && strings.Contains(port, "port=0,") {
				t.Fatalf("the decoy's port is not announced: %s", port)
			}
			if got := fmt.Sprint(m.Do("FAILOVER")); got != "OK" {
				t.Fatalf("FAILOVER: %s", got)
			}
			if !decoy {
				time.Sleep(2 * time.Second)
				if st := m.Info("replication", "master_failover_state"); st != "failover-in-progress" {
					t.Fatalf("without the decoy: master_failover_state %q, want failover-in-progress", st)
				}
				m.Do("FAILOVER", "ABORT")
			}
			redistest.WaitFor(t, 10*time.Second, "the failover aborted", func() bool {
				return m.Info("replication", "master_failover_state") == "no-failover" && m.Info("replication", "role") == "master"
			})
			if decoy && !strings.Contains(m.LogTail(50), "Failover target rejected psync request") {
				t.Fatalf("the master did not abort for the refused PSYNC:\n%s", m.LogTail(20))
			}
			if got := fmt.Sprint(m.Do("SET", "after-failover", "1")); got != "OK" {
				t.Fatalf("SET after the failover: %s", got)
			}
			waitCaughtUp(t, r, m)
			compare(t, r, m)
		})
	}
}
