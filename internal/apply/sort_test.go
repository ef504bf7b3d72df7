package apply_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/canon"
)

// TestSortStoreDifferential runs many random SORT ... STORE commands over
// lists and integer/string sets with weights, applying each propagated
// command and comparing after every one, to pin down ordering details
// (stable sort, pqsort with LIMIT, BY/GET patterns).
func TestSortStoreDifferential(t *testing.T) {
	h := newHarness(t, false)
	c := h.master.Client.Conn()
	defer c.Close()
	r := rand.New(rand.NewPCG(11, 12))
	elems := []string{"1", "2", "10", "433", "m62", "a", "b", "-3", "007", ""}
	for i := 0; i < 40; i++ {
		e := elems[r.IntN(len(elems))]
		do(h.ctx, c, "RPUSH", "l", e)
		do(h.ctx, c, "SADD", "si", fmt.Sprint(r.IntN(30)))
		if r.IntN(2) == 0 {
			do(h.ctx, c, "SET", "w:"+e, []string{"1", "2", "2", "-1", "x"}[r.IntN(5)])
		}
		if r.IntN(2) == 0 {
			do(h.ctx, c, "HSET", "wh:"+e, "f", r.IntN(3))
		}
	}
	for i := 0; i < 400; i++ {
		src := []string{"l", "si"}[r.IntN(2)]
		cmd := []any{"SORT", src}
		if r.IntN(2) == 0 {
			cmd = append(cmd, "BY", []string{"w:*", "wh:*->f", "nosort"}[r.IntN(3)])
		}
		if r.IntN(2) == 0 {
			cmd = append(cmd, "ALPHA")
		}
		if r.IntN(2) == 0 {
			cmd = append(cmd, "DESC")
		}
		if r.IntN(2) == 0 {
			cmd = append(cmd, "LIMIT", r.IntN(12)-2, r.IntN(20)-3)
		}
		for k := r.IntN(3); k > 0; k-- {
			cmd = append(cmd, "GET", []string{"#", "w:*", "wh:*->f", "const"}[r.IntN(4)])
		}
		cmd = append(cmd, "STORE", "dst")
		if _, err := do(h.ctx, c, cmd...); err != nil {
			continue
		}
		h.sync()
		want, err := canon.FromRedis(h.ctx, h.master.Client)
		if err != nil {
			t.Fatal(err)
		}
		got := canon.FromStore(h.rp.st, time.Now().UnixMilli())
		if n := diffKeys(t, fmt.Sprint(cmd), want, got); n > 0 {
			t.FailNow()
		}
	}
}
