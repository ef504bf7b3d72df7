package follower_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/follower"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/resp"
	"github.com/redis-follower/redis-follower/internal/store"
)

const fakeID = "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"
const fakeMark = "0123456789abcdef0123456789abcdef01234567"

// scriptedMaster is a fake master for byte-exact cases: every connection
// gets a diskless full sync of rdb at offset 100, then (after the replica's
// second ACK: the first one is ignored, as a master that has not yet
// noticed the RDB child exit does) the stream bytes.
type scriptedMaster struct {
	t      *testing.T
	ln     net.Listener
	rdb    []byte
	stream []byte
	psyncs chan string // PSYNC arguments, per connection
	acks   chan int64  // every ACK offset received
}

func newScriptedMaster(t *testing.T, rdb, stream []byte) *scriptedMaster {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &scriptedMaster{t: t, ln: ln, rdb: rdb, stream: stream, psyncs: make(chan string, 10), acks: make(chan int64, 1000)}
	go m.serve()
	t.Cleanup(func() { ln.Close() })
	return m
}

func (m *scriptedMaster) serve() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		go m.conn(c)
	}
}

func (m *scriptedMaster) conn(c net.Conn) {
	defer c.Close()
	rd := resp.NewReader(c, 4096, resp.DefaultLimits)
	acks := 0
	for {
		args, _, err := rd.ReadCommand()
		if err != nil {
			return
		}
		switch strings.ToUpper(string(args[0])) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "PSYNC":
			m.psyncs <- string(args[1]) + " " + string(args[2])
			var b []byte
			b = append(b, "+FULLRESYNC "+fakeID+" 100\r\n$EOF:"+fakeMark+"\r\n"...)
			b = append(b, m.rdb...)
			b = append(b, fakeMark...)
			c.Write(b)
		case "REPLCONF":
			if !strings.EqualFold(string(args[1]), "ACK") {
				c.Write([]byte("+OK\r\n"))
				continue
			}
			off, _ := strconv.ParseInt(string(args[2]), 10, 64)
			m.acks <- off
			if off > 0 {
				if acks++; acks == 2 {
					c.Write(m.stream)
				}
			}
		}
	}
}

func rdbOf(t *testing.T, s *store.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := rdbsave.Write(&b, s, rdbsave.Options{Version: 10, Aux: []rdbsave.AuxField{{Key: "repl-stream-db", Value: "0"}}}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func cmds(cs ...string) []byte {
	var b []byte
	for _, c := range cs {
		b = resp.AppendCommandStrings(b, strings.Fields(c)...)
	}
	return b
}

func fakeConfig(addr, dir string) follower.Config {
	cfg := config(addr, dir, nil)
	cfg.AckInterval = 30 * time.Millisecond
	return cfg
}

func has(f *follower.Follower, db int, key string) bool {
	s := f.Store()
	s.RLock()
	defer s.RUnlock()
	return s.DB(db).GetString(key) != nil
}

// TestDisklessAckAndGetack (R2, S2): the follower ACKs at once after the
// EOF mark and keeps ACKing, so a master that ignores the first ACK still
// starts the stream; GETACK is answered with the offset after it.
func TestDisklessAckAndGetack(t *testing.T) {
	s := store.New()
	s.DB(0).Put([]byte("from-rdb"), store.NewString([]byte("x")))
	stream := cmds("SELECT 0", "SET a 1", "REPLCONF GETACK *")
	m := newScriptedMaster(t, rdbOf(t, s), stream)
	r := start(t, fakeConfig(m.ln.Addr().String(), t.TempDir()))
	want := int64(100 + len(stream))
	deadline := time.After(10 * time.Second)
	for {
		select {
		case off := <-m.acks:
			if off == want {
				if !has(r.f, 0, "a") || !has(r.f, 0, "from-rdb") {
					t.Fatal("data missing after GETACK")
				}
				if got := r.f.Status().Offset; got != want {
					t.Fatalf("offset %d, want %d", got, want)
				}
				return
			}
			if off != 0 && off != 100 {
				t.Fatalf("unexpected ACK %d (want 0 while loading, 100 after, then %d)", off, want)
			}
		case <-deadline:
			t.Fatalf("no ACK for the GETACK; offset %d", r.f.Status().Offset)
		}
	}
}

// TestUnknownCommandPolicies: under stop, nothing of the unknown command
// (nor of its MULTI block) is applied, the offset stays before it and the
// snapshot says so; under skip, it is counted and the key marked diverged.
func TestUnknownCommandPolicies(t *testing.T) {
	head := cmds("SELECT 0", "SET a 1")
	stream := append(append([]byte(nil), head...), cmds("MULTI", "SET b 2", "MODULE.FOO x", "EXEC", "SET c 3")...)
	rdb := rdbOf(t, store.New())

	t.Run("stop", func(t *testing.T) {
		m := newScriptedMaster(t, rdb, stream)
		dir := t.TempDir()
		r := start(t, fakeConfig(m.ln.Addr().String(), dir))
		var err error
		select {
		case err = <-r.done:
			close(r.done)
		case <-time.After(10 * time.Second):
			t.Fatal("the follower did not stop at the unknown command")
		}
		if !follower.IsFatal(err) || !strings.Contains(err.Error(), "MODULE.FOO") {
			t.Fatalf("Run returned %v", err)
		}
		want := int64(100 + len(head))
		if st := r.f.Status(); st.Offset != want {
			t.Fatalf("offset %d, want %d (before the MULTI block)", st.Offset, want)
		}
		if !has(r.f, 0, "a") || has(r.f, 0, "b") || has(r.f, 0, "c") {
			t.Fatal("a should be applied, b (same MULTI as the unknown command) and c not")
		}
		file, ferr := openSnapshot(dir)
		if ferr != nil {
			t.Fatal(ferr)
		}
		defer file.Close()
		_, info, lerr := rdbload.Load(file, rdbload.Options{})
		if lerr != nil || info.ReplOffset != want || info.ReplID != fakeID {
			t.Fatalf("snapshot: %v, repl-offset %d repl-id %s", lerr, info.ReplOffset, info.ReplID)
		}
	})
	t.Run("skip", func(t *testing.T) {
		m := newScriptedMaster(t, rdb, stream)
		cfg := fakeConfig(m.ln.Addr().String(), t.TempDir())
		cfg.OnUnknown = follower.OnUnknownSkip
		r := start(t, cfg)
		want := int64(100 + len(stream))
		redistestWait(t, "all commands", func() bool { return r.f.Status().Offset == want })
		st := r.f.Status()
		if !has(r.f, 0, "a") || !has(r.f, 0, "b") || !has(r.f, 0, "c") {
			t.Fatal("a, b and c should be applied")
		}
		if st.Unknown["MODULE.FOO"] != 1 || st.Diverged != 1 {
			t.Fatalf("unknown %v diverged %d", st.Unknown, st.Diverged)
		}
	})
}

// TestInlineCommandForcesFullResync (S11): an inline command in the stream
// is corruption: the follower drops its replication state, so the next
// attempt asks for a full resync instead of resuming at a bad offset.
func TestInlineCommandForcesFullResync(t *testing.T) {
	stream := append(cmds("SELECT 0", "SET a 1"), "FOO bar\r\n"...)
	m := newScriptedMaster(t, rdbOf(t, store.New()), stream)
	start(t, fakeConfig(m.ln.Addr().String(), t.TempDir()))
	for i, want := range []string{"? -1", "? -1"} {
		select {
		case got := <-m.psyncs:
			if got != want {
				t.Fatalf("PSYNC #%d: %q, want %q", i+1, got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no PSYNC #%d", i+1)
		}
	}
}

func redistestWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openSnapshot(dir string) (*os.File, error) {
	return os.Open(filepath.Join(dir, follower.SnapshotFile))
}
