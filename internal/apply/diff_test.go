package apply_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
	"github.com/redis/go-redis/v9"
)

// replayer applies a propagated command stream the way the follower's
// stream loop does: MULTI queues until EXEC, REPLCONF is the caller's.
type replayer struct {
	t       testing.TB
	st      *store.Store
	ap      *apply.Applier
	queue   [][][]byte
	inMulti bool
	applied int
	names   map[string]int
}

func newReplayer(t testing.TB) *replayer {
	st := store.New()
	return &replayer{t: t, st: st, ap: apply.New(st, apply.Options{}), names: map[string]int{}}
}

func (r *replayer) feed(cmd [][]byte) {
	r.t.Helper()
	name := strings.ToLower(string(cmd[0]))
	switch {
	case name == "multi":
		r.inMulti = true
		return
	case name == "exec":
		r.inMulti = false
		q := r.queue
		r.queue = nil
		for _, c := range q {
			r.apply(c)
		}
		return
	case name == "replconf":
		return
	}
	if r.inMulti {
		r.queue = append(r.queue, cmd)
		return
	}
	r.apply(cmd)
}

func (r *replayer) apply(cmd [][]byte) {
	r.t.Helper()
	r.names[strings.ToUpper(string(cmd[0]))]++
	if err := r.ap.Apply(cmd); err != nil {
		r.t.Fatalf("apply %s: %v", redistest.CommandString(cmd), err)
	}
	r.applied++
}

// geoUlps is how many GEO distance scores differed by an ulp or two (and
// were accepted): glibc's sin/cos/asin, which Redis uses, are not
// correctly rounded for about 0.1% of arguments, and the applier's are.
var geoUlps int

// diffKeys compares two canonical datasets and fails with the first
// differences (GEO distance scores within 2 ulps accepted and counted).
func diffKeys(t testing.TB, what string, want, got []canon.Key) int {
	t.Helper()
	for _, k := range canon.AcceptGeoUlps(want, got, "geo:") {
		geoUlps++
		t.Logf("%s: GEO distances within 2 ulps accepted for %s", what, k)
	}
	lines, n := canon.Diff(want, got, 20)
	if n > 0 {
		t.Errorf("%s: %d keys differ:\n%s\n%s", what, n, strings.Join(lines, "\n"), canon.FirstMismatch(want, got))
	}
	return n
}

// functions reads FUNCTION LIST WITHCODE as name -> code.
func functions(ctx context.Context, t testing.TB, c *redis.Client) map[string]string {
	t.Helper()
	res, err := c.Do(ctx, "FUNCTION", "LIST", "WITHCODE").Slice()
	if err != nil {
		t.Fatalf("FUNCTION LIST: %v", err)
	}
	out := map[string]string{}
	for _, lib := range res {
		fields, ok := lib.([]any)
		if !ok {
			t.Fatalf("FUNCTION LIST entry %T", lib)
		}
		var name, code string
		for i := 0; i+1 < len(fields); i += 2 {
			switch fields[i] {
			case "library_name":
				name = fmt.Sprint(fields[i+1])
			case "library_code":
				code = fmt.Sprint(fields[i+1])
			}
		}
		out[name] = code
	}
	return out
}

func storeFunctions(st *store.Store) map[string]string {
	out := map[string]string{}
	for _, n := range st.FunctionNames() {
		c, _ := st.Function(n)
		out[n] = string(c)
	}
	return out
}

// waitReplica waits until replica has applied everything master sent.
func waitReplica(t testing.TB, master, replica *redistest.Server) {
	t.Helper()
	redistest.WaitFor(t, 30*time.Second, "replica caught up", func() bool {
		return replica.Info("replication", "master_link_status") == "up" &&
			replica.InfoInt("replication", "slave_repl_offset") == master.MasterOffset()
	})
}

// harness is a master, a stock replica of it and a tap, for differential
// tests of the applier.
type harness struct {
	t       testing.TB
	ctx     context.Context
	master  *redistest.Server
	replica *redistest.Server
	tap     *redistest.Tap
	rp      *replayer
}

func newHarness(t testing.TB, withReplica bool) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background()}
	h.master = redistest.Start(t)
	if withReplica {
		h.replica = redistest.Start(t, "--replicaof", "127.0.0.1", fmt.Sprint(h.master.Port))
		redistest.WaitFor(t, 30*time.Second, "replica link up", func() bool {
			return h.replica.Info("replication", "master_link_status") == "up"
		})
	}
	h.tap = redistest.NewTap(t, h.master)
	h.rp = newReplayer(t)
	return h
}

// sync drains the tap into the applier.
func (h *harness) sync() {
	h.t.Helper()
	for _, c := range h.tap.Drain(h.master, 30*time.Second) {
		h.rp.feed(c)
	}
	if h.rp.inMulti {
		h.t.Fatalf("stream ended inside MULTI")
	}
}

// compare syncs and compares the store with the master (entries-read
// aside) and, when there is one, exactly with the stock replica. It
// returns the number of differing keys.
func (h *harness) compare(label string) int {
	h.t.Helper()
	h.sync()
	now := time.Now().UnixMilli()
	got := canon.FromStore(h.rp.st, now)
	want, err := canon.FromRedis(h.ctx, h.master.Client)
	if err != nil {
		h.t.Fatalf("read master: %v", err)
	}
	n := diffKeys(h.t, label+": store vs master (entries-read, idle consumers aside)", canon.MasterView(want), canon.MasterView(got))
	if h.replica != nil {
		waitReplica(h.t, h.master, h.replica)
		rep, err := canon.FromRedis(h.ctx, h.replica.Client)
		if err != nil {
			h.t.Fatalf("read replica: %v", err)
		}
		n += diffKeys(h.t, label+": store vs stock replica", rep, got)
	}
	mf, sf := functions(h.ctx, h.t, h.master.Client), storeFunctions(h.rp.st)
	if fmt.Sprint(mf) != fmt.Sprint(sf) {
		h.t.Errorf("%s: functions differ:\nmaster %v\nstore  %v", label, mf, sf)
		n++
	}
	return n
}

// do runs a command on the master through one connection; errors are
// returned (the workload expects some: wrong types, bad ranges).
func do(ctx context.Context, c *redis.Conn, args ...any) (any, error) {
	v, err := c.Do(ctx, args...).Result()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return v, err
}
