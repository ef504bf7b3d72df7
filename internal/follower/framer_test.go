package follower

import (
	"math/rand/v2"
	"testing"

	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/resp"
)

// TestFramerSplitAnywhere: the framer finds the same boundaries, DBs and
// MULTI state however the stream is cut into reads.
func TestFramerSplitAnywhere(t *testing.T) {
	var s []byte
	for _, c := range [][]string{{"SELECT", "3"}, {"SET", "a", "1"}, {"MULTI"}, {"SELECT", "7"}, {"INCR", "x"}, {"EXEC"}, {"PING"}, {"MULTI"}, {"SET", "b", "2"}} {
		s = resp.AppendCommandStrings(s, c...)
	}
	wantCommit := int64(len(s) - len(resp.AppendCommandStrings(nil, "MULTI")) - len(resp.AppendCommandStrings(nil, "SET", "b", "2")))
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		fr := newFramer(journal.State{Offset: 100}, resp.DefaultLimits)
		for b := s; len(b) > 0; {
			k := 1 + r.IntN(min(len(b), 12))
			if good, err := fr.feed(b[:k]); err != nil || good != k {
				t.Fatalf("feed: %d %v", good, err)
			}
			b = b[k:]
		}
		if fr.commit != 100+wantCommit || fr.cdb != 7 || !fr.inMulti || fr.pos != 100+int64(len(s)) {
			t.Fatalf("commit %d (want %d) db %d multi %v pos %d", fr.commit, 100+wantCommit, fr.cdb, fr.inMulti, fr.pos)
		}
	}
	fr := newFramer(journal.State{}, resp.DefaultLimits)
	set := resp.AppendCommandStrings(nil, "SET", "a", "1")
	good, err := fr.feed(append(set, "FOO bar\r\n"...))
	if err == nil || good != len(set) {
		t.Fatalf("inline command: good %d err %v", good, err)
	}
}

// TestFramerSplitMatchesWhole: however a stream (valid, or ending in
// garbage) is cut into reads, the framer reaches the same boundaries and
// counts the same good bytes as when it gets the stream whole.
func TestFramerSplitMatchesWhole(t *testing.T) {
	stream := benchStream()[:50000]
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 300 {
		s := stream[:r.IntN(len(stream))]
		if iter%3 == 0 {
			s = append(append([]byte(nil), s...), "*2\r\n$3\r\nGET\r\n$x\r\n"...) // garbage at the end
		}
		whole := newFramer(journal.State{}, resp.DefaultLimits)
		wantGood, wantErr := whole.feed(s)
		split := newFramer(journal.State{}, resp.DefaultLimits)
		var good int
		var err error
		for b := s; len(b) > 0 && err == nil; {
			k := 1 + r.IntN(min(len(b), 3000))
			var g int
			g, err = split.feed(b[:k])
			good += g
			b = b[k:]
		}
		if (err != nil) != (wantErr != nil) || split.commit != whole.commit || split.cdb != whole.cdb || split.inMulti != whole.inMulti {
			t.Fatalf("split: commit %d db %d multi %v err %v; whole: commit %d db %d multi %v err %v",
				split.commit, split.cdb, split.inMulti, err, whole.commit, whole.cdb, whole.inMulti, wantErr)
		}
		if err == nil && (good != len(s) || wantGood != len(s)) {
			t.Fatalf("good %d/%d of %d", good, wantGood, len(s))
		}
	}
}
