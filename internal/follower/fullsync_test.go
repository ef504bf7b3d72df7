package follower

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/rdbsave"
	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/store"
)

// TestAppendAux: an RDB without (or with other) replication aux fields
// gets the +FULLRESYNC state appended before its EOF opcode with a new
// CRC; our loader and a stock redis-server both read the appended values
// (last one wins), and the keys are intact.
func TestAppendAux(t *testing.T) {
	s := store.New()
	s.DB(0).Put([]byte("k"), store.NewString([]byte("v")))
	s.DB(3).Put([]byte("k3"), store.NewString(bytes.Repeat([]byte("x"), 300)))
	var b bytes.Buffer
	aux := []rdbsave.AuxField{{Key: "redis-ver", Value: "7.0.15"}, {Key: "repl-id", Value: "ffffffffffffffffffffffffffffffffffffffff"}, {Key: "repl-offset", Value: "1"}}
	if err := rdbsave.Write(&b, s, rdbsave.Options{Version: 10, Aux: aux}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dump.rdb")
	os.WriteFile(src, b.Bytes(), 0o644)
	f := &Follower{}
	if err := f.appendAux(src, dst, 10, []auxKV{{"repl-stream-db", "3"}, {"repl-id", benchID}, {"repl-offset", "12345"}}); err != nil {
		t.Fatal(err)
	}
	file, _ := os.Open(dst)
	st, info, err := rdbload.Load(file, rdbload.Options{})
	file.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.ReplID != benchID || info.ReplOffset != 12345 || info.ReplStreamDB != 3 || st.Keys() != 2 {
		t.Fatalf("loaded repl-id %s offset %d db %d, %d keys", info.ReplID, info.ReplOffset, info.ReplStreamDB, st.Keys())
	}
	// A stock 7.0 master restores a saved history as its replid2.
	srv := redistest.StartInDir(t, dir)
	if got := srv.Info("replication", "master_replid2"); got != benchID {
		t.Fatalf("redis-server read replid2 %s, want %s", got, benchID)
	}
	if got := srv.Info("keyspace", "db3"); got == "" || srv.Do("DBSIZE") != int64(1) {
		t.Fatalf("keys missing on the server: db3 %q, db0 size %v", got, srv.Do("DBSIZE"))
	}
	// Not an RDB ending: refused, nothing written in its place.
	os.WriteFile(src, []byte("REDIS0010garbage-without-eof-opcode"), 0o644)
	if err := f.appendAux(src, dst+".2", 10, nil); err == nil {
		t.Fatal("a file without EOF opcode was accepted")
	}
}
