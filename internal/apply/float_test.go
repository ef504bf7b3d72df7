package apply_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/apply"
	"github.com/redis-follower/redis-follower/internal/canon"
	"github.com/redis-follower/redis-follower/internal/store"
)

// TestFloatIncrementsDirect applies INCRBYFLOAT and HINCRBYFLOAT as issued
// by a client (masters replicate them as SET/HSET, so this checks the long
// double emulation rather than replication) and requires the same stored
// bytes and the same accept/reject decisions as a real server.
func TestFloatIncrementsDirect(t *testing.T) {
	srv := newHarness(t, false).master
	c := srv.Client.Conn()
	defer c.Close()
	st := store.New()
	ap := apply.New(st, apply.Options{})
	r := rand.New(rand.NewPCG(7, 7))
	incr := func() string {
		switch r.IntN(9) {
		case 0:
			return fmt.Sprintf("%.*f", r.IntN(20), r.NormFloat64()*1000)
		case 1:
			return fmt.Sprintf("%de%d", r.IntN(100)-50, r.IntN(40)-20)
		case 2:
			return fmt.Sprint(r.Float64() * 1e-5)
		case 3:
			return []string{"0.1", "0.2", "0.3", "-0.1", "1e308", "-1e308", "1e4000", "1.7976931348623157e308",
				"3.0e-4950", "inf", "-inf", "nan", " 1", "1 ", "0x1p-3", "0X10", "1e", ".5", "5.", "+7", "-0",
				"123456789012345678901234567890", "0.00000000000000000001", "abc", "", "1e-20"}[r.IntN(26)]
		case 4:
			return fmt.Sprint(r.Int64N(1<<62) - 1<<61)
		case 5:
			return fmt.Sprintf("%.17g", r.NormFloat64()*1e20)
		}
		return fmt.Sprintf("%.3f", r.Float64()*10-5)
	}
	mismatch, ok := 0, 0
	for i := 0; i < 4000; i++ {
		var cmd []any
		switch r.IntN(6) {
		case 0:
			cmd = []any{"SET", fmt.Sprintf("k%d", r.IntN(5)), incr()}
		case 1:
			cmd = []any{"HINCRBYFLOAT", "h", fmt.Sprintf("f%d", r.IntN(5)), incr()}
		default:
			cmd = []any{"INCRBYFLOAT", fmt.Sprintf("k%d", r.IntN(5)), incr()}
		}
		_, merr := do(context.Background(), c, cmd...)
		args := make([][]byte, len(cmd))
		for j, a := range cmd {
			args[j] = []byte(fmt.Sprint(a))
		}
		aerr := ap.Apply(args)
		if aerr == nil {
			ok++
		}
		if (merr == nil) != (aerr == nil) {
			mismatch++
			t.Errorf("%q: master error %v, applier error %v", cmd, merr, aerr)
		}
	}
	if ok < 2000 {
		t.Errorf("only %d of 4000 commands succeeded: the workload is too weak", ok)
	}
	want, err := canon.FromRedis(context.Background(), srv.Client)
	if err != nil {
		t.Fatal(err)
	}
	got := canon.FromStore(st, time.Now().UnixMilli())
	if lines, n := canon.Diff(want, got, 10); n > 0 {
		t.Errorf("%d keys differ:\n%s", n, strings.Join(lines, "\n"))
	}
	t.Logf("%d commands applied; sample: %v", ok, got[:min(3, len(got))])
}
