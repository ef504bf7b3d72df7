package rdbsave

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

// typeRecorder records each key's RDB type byte.
type typeRecorder struct {
	types map[string]byte
	ents  map[string]*store.Entry
}

func (r *typeRecorder) Aux(string, string) error      { return nil }
func (r *typeRecorder) SelectDB(int) error            { return nil }
func (r *typeRecorder) Function(string, []byte) error { return nil }
func (r *typeRecorder) ModuleAux([]byte) error        { return nil }
func (r *typeRecorder) Key(db int, key string, e *store.Entry, m rdbload.KeyMeta) error {
	k := fmt.Sprintf("%d/%q", db, key)
	r.types[k] = m.Type
	r.ents[k] = e
	return nil
}

func recordTypes(t *testing.T, b []byte) *typeRecorder {
	t.Helper()
	r := &typeRecorder{types: map[string]byte{}, ents: map[string]*store.Entry{}}
	if _, err := rdbload.Decode(bytes.NewReader(b), r, rdbload.Options{}); err != nil {
		t.Fatal(err)
	}
	return r
}

// compactTypes are the encodings Redis converts away from when a value
// outgrows them, and never converts back to.
var compactTypes = map[byte]bool{11: true, 12: true, 13: true, 16: true, 17: true, 20: true, 25: true}

// TestTypeChoicesMatchRealServers re-encodes each real server's dump at its
// version and compares the type byte (encoding) chosen for every key with
// the server's. Redis's encoding also depends on history (it never
// converts back to a compact encoding when a value shrinks, and keeps a
// hash listpack-ex after its last field TTL is gone); so the only allowed
// difference is the server holding a less compact encoding than ours.
func TestTypeChoicesMatchRealServers(t *testing.T) {
	paths, _ := filepath.Glob("../rdbload/testdata/*/dump.rdb")
	if len(paths) < 5 {
		t.Fatal("real-server fixtures not found")
	}
	for _, p := range paths {
		server := filepath.Base(filepath.Dir(p))
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		orig, info, err := rdbload.Load(bytes.NewReader(raw), rdbload.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, orig, Options{Version: info.Version}); err != nil {
			t.Fatal(err)
		}
		theirs, ours := recordTypes(t, raw), recordTypes(t, buf.Bytes())
		if len(theirs.types) != len(ours.types) {
			t.Fatalf("%s: %d keys, re-encoded %d", server, len(theirs.types), len(ours.types))
		}
		same := 0
		for k, ta := range theirs.types {
			tb := ours.types[k]
			switch {
			case ta == tb:
				same++
			case !compactTypes[ta] && compactTypes[tb]:
				// History: Redis converted it once and never back.
			case ta == 25 && tb == 16 && !theirs.ents[k].Hash().HasFieldExpires():
				// A listpack-ex whose field TTLs are all gone.
			default:
				t.Errorf("%s key %s: server wrote type %d, we chose %d", server, k, ta, tb)
			}
		}
		if same*100 < len(theirs.types)*98 {
			t.Errorf("%s: only %d of %d keys in the server's encoding", server, same, len(theirs.types))
		}
		t.Logf("%s (RDB %d): %d of %d keys in the same encoding, the rest less compact on the server", server, info.Version, same, len(theirs.types))
	}
}
