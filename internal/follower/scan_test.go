package follower

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/redis-follower/redis-follower/internal/journal"
	"github.com/redis-follower/redis-follower/internal/resp"
)

// checkScan fails unless scanCommand and resp.ParseCommand agree on b.
func checkScan(t *testing.T, b []byte, lim resp.Limits) {
	t.Helper()
	args, n, need, err := resp.ParseCommand(b, nil, lim)
	sn, sneed, argc, name, arg1, bad := scanCommand(b, lim)
	if bad != (err != nil) || sn != n || sneed != need {
		t.Fatalf("%q: scan (n %d need %d bad %v), ParseCommand (n %d need %d err %v)", b, sn, sneed, bad, n, need, err)
	}
	if n > 0 {
		if argc != len(args) || !bytes.Equal(name, args[0]) || (len(args) > 1) != (arg1 != nil) || (len(args) > 1 && !bytes.Equal(arg1, args[1])) {
			t.Fatalf("%q: scan argc %d name %q arg1 %q, ParseCommand %q", b, argc, name, arg1, args)
		}
	}
}

func FuzzScanCommand(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nPING\r\n", "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
		"*0\r\n", "*-1\r\n", "*01\r\n", "*1\r\n$-0\r\n", "*1\r\n$05\r\n", "*1\r\n$3\r\nabcX\n", "PING\r\n",
		"*1\r\n$99999999999999999999\r\n", "*2\r\n$1\r\n", "*1\r", "*1\r\n$4\r\nPI",
	} {
		f.Add([]byte(s))
	}
	lim := resp.Limits{MaxArgs: 8, MaxBulk: 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b, lim)
		checkScan(t, b, resp.DefaultLimits)
	})
}

// TestScanCommandEveryPrefix: every prefix of a real stream gets the same
// answer from both parsers.
func TestScanCommandEveryPrefix(t *testing.T) {
	stream := benchStream()[:20000]
	for i := range len(stream) {
		checkScan(t, stream[:i], resp.DefaultLimits)
	}
}

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
