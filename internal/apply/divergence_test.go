package apply_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/canon"
)

// TestStockReplicaDivergences documents two places where a Redis 7.0
// master and any replica of it (a stock one included) legitimately hold
// different stream metadata, and checks that the applier reproduces what a
// stock replica holds:
//
//  1. XREADGROUP (without NOACK) is propagated as XCLAIM ... LASTID, which
//     moves the group's last-delivered ID but not its entries-read counter
//     (XGROUP SETID ... ENTRIESREAD is only sent with NOACK before 7.4), so
//     the replica keeps the counter XGROUP CREATE gave it.
//  2. XREADGROUP that delivers nothing new still creates its consumer on
//     the master, and propagates nothing.
//  3. XREADGROUP of a consumer's history (an ID instead of ">") bumps the
//     delivery count and time of its pending entries on the master only.
//  4. SORT converts a small sorted set from listpack to skiplist even when
//     it fails (or stores nothing, or is SORT_RO), and only the master runs
//     it; afterwards a -0 score survives in the master's skiplist while the
//     replica's listpack stores it as 0.
func TestStockReplicaDivergences(t *testing.T) {
	h := newHarness(t, true)
	c := h.master.Client.Conn()
	defer c.Close()
	for _, cmd := range [][]any{
		{"XADD", "x", "1-1", "f", "v"},
		{"XADD", "x", "1-2", "f", "v"},
		{"XGROUP", "CREATE", "x", "g", "0"},
		{"XREADGROUP", "GROUP", "g", "reader", "COUNT", 1, "STREAMS", "x", ">"},
		{"XREADGROUP", "GROUP", "g", "idle", "STREAMS", "nosuchkey-but-x", ">"},
	} {
		do(h.ctx, c, cmd...)
	}
	do(h.ctx, c, "ZADD", "z", 1, "a", 2, "b")
	if _, err := do(h.ctx, c, "SORT", "z", "STORE", "dst"); err == nil {
		t.Fatal("SORT of non-numeric members should fail")
	}
	do(h.ctx, c, "ZADD", "z", "-0", "zero")
	do(h.ctx, c, "XREADGROUP", "GROUP", "g", "idle", "COUNT", 1, "STREAMS", "x", "0")
	time.Sleep(5 * time.Millisecond)
	do(h.ctx, c, "XREADGROUP", "GROUP", "g", "reader", "STREAMS", "x", "0")
	h.sync()
	waitReplica(t, h.master, h.replica)
	got := canon.FromStore(h.rp.st, time.Now().UnixMilli())
	rep, err := canon.FromRedis(h.ctx, h.replica.Client)
	if err != nil {
		t.Fatal(err)
	}
	mas, err := canon.FromRedis(h.ctx, h.master.Client)
	if err != nil {
		t.Fatal(err)
	}
	diffKeys(t, "store vs stock replica", rep, got)
	if len(mas) != 2 || len(got) != 2 {
		t.Fatalf("want two keys, master %v store %v", mas, got)
	}
	if mz, sz := mas[1].Value, got[1].Value; !strings.Contains(mz, `"zero"=-0`) || !strings.Contains(sz, `"zero"=0`) {
		t.Errorf("-0 after a failed SORT: the master keeps it, replicas store 0:\nmaster %s\nstore  %s", mz, sz)
	}
	m, s := mas[0].Value, got[0].Value
	if !strings.Contains(m, `read=1`) || !strings.Contains(s, `read=-1`) {
		t.Errorf("entries-read: master should count the delivery (read=1) and replicas keep -1:\nmaster %s\nstore  %s", m, s)
	}
	if !strings.Contains(m, `"idle":[]`) || strings.Contains(s, `"idle"`) {
		t.Errorf("consumer created by an empty XREADGROUP should exist on the master only:\nmaster %s\nstore  %s", m, s)
	}
	if !strings.Contains(m, `/"reader"/2/`) || !strings.Contains(s, `/"reader"/1/`) {
		t.Errorf("a history read should count a delivery on the master only:\nmaster %s\nstore  %s", m, s)
	}
}
