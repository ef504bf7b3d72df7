package rdbsave

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

// auxRecord builds a raw MODULE_AUX record (what follows opcode 247):
// module ID, UINT opcode, when, the items, EOF opcode.
func auxRecord(name string, when uint64, items ...func([]byte) []byte) []byte {
	_, raw := moduleRaw(name, append([]func([]byte) []byte{
		func(b []byte) []byte { return appendLen(appendLen(b, rdb.ModuleOpUInt), when) },
	}, items...)...)
	return raw
}

func auxItems() []func([]byte) []byte {
	return []func([]byte) []byte{
		func(b []byte) []byte { return append(appendLen(appendLen(b, rdb.ModuleOpString), 6), "config"...) },
		func(b []byte) []byte { return appendLen(appendLen(b, rdb.ModuleOpSInt), 12345) },
		func(b []byte) []byte { return append(appendLen(b, rdb.ModuleOpDouble), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f) },
	}
}

// event records the order of what a decode delivers.
type eventRecorder struct {
	events []string
	aux    [][]byte
}

func (r *eventRecorder) Aux(k, _ string) error { r.events = append(r.events, "aux:"+k); return nil }
func (r *eventRecorder) SelectDB(db int) error { r.events = append(r.events, "select"); return nil }
func (r *eventRecorder) Function(name string, _ []byte) error {
	r.events = append(r.events, "function:"+name)
	return nil
}
func (r *eventRecorder) ModuleAux(raw []byte) error {
	r.events = append(r.events, "moduleaux")
	r.aux = append(r.aux, raw)
	return nil
}
func (r *eventRecorder) Key(_ int, key string, _ *store.Entry, _ rdbload.KeyMeta) error {
	r.events = append(r.events, "key:"+key)
	return nil
}

// moduleAuxRDB is a hand-built RDB 10 with MODULE_AUX records before the
// keyspace (when 1) and after it (when 2, two modules), as Redis orders
// them: header, AUX, MODULE_AUX before, FUNCTION2, keyspace, MODULE_AUX
// after, EOF, CRC.
func moduleAuxRDB(before, after1, after2 []byte) []byte {
	b := []byte("REDIS0010")
	b = append(b, rdb.OpAux)
	b = append(appendLen(b, 9), "redis-ver"...)
	b = append(appendLen(b, 6), "7.0.15"...)
	b = append(append(b, rdb.OpModuleAux), before...)
	lib := "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
	b = append(appendLen(append(b, rdb.OpFunction2), uint64(len(lib))), lib...)
	b = appendLen(append(b, rdb.OpSelectDB), 0)
	b = appendLen(appendLen(append(b, rdb.OpResizeDB), 1), 0)
	b = append(appendLen(append(b, rdb.TypeString), 1), 'k')
	b = append(appendLen(b, 1), 'v')
	b = append(append(b, rdb.OpModuleAux), after1...)
	b = append(append(b, rdb.OpModuleAux), after2...)
	b = append(b, rdb.OpEOF)
	return binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b))
}

// TestModuleAuxRoundTrip: MODULE_AUX records decoded by rdbload.Load are
// kept in the store and written back by Write byte-identical, before or
// after the keyspace as their "when" says, at every version; the result
// passes redis-check-rdb (which walks module data in check mode).
func TestModuleAuxRoundTrip(t *testing.T) {
	before := auxRecord("auxmod-AA", rdb.ModuleAuxBeforeRDB, auxItems()...)
	after1 := auxRecord("auxmod-AA", rdb.ModuleAuxAfterRDB, auxItems()...)
	after2 := auxRecord("othermod0", rdb.ModuleAuxAfterRDB, func(b []byte) []byte {
		return append(appendLen(b, rdb.ModuleOpFloat), 0, 0, 0x80, 0x3f)
	})
	file := moduleAuxRDB(before, after1, after2)
	want := [][]byte{before, after1, after2}

	s, info, err := rdbload.Load(bytes.NewReader(file), rdbload.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(s.ModuleAux(), want, bytes.Equal) || !slices.EqualFunc(info.ModuleAux, want, bytes.Equal) {
		t.Fatalf("Load kept %x, want %x", s.ModuleAux(), want)
	}

	for _, v := range []int{9, 10, 11, 12, 80} {
		st, _, err := rdbload.Load(bytes.NewReader(file), rdbload.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantEvents := []string{"aux:redis-ver", "moduleaux", "function:mylib", "select", "key:k", "moduleaux", "moduleaux"}
		if v < 10 {
			st.FlushFunctions()
			wantEvents = slices.Delete(wantEvents, 2, 3)
		}
		var buf bytes.Buffer
		if err := Write(&buf, st, Options{Version: v, Aux: []AuxField{{"redis-ver", "7.0.15"}}}); err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		rec := &eventRecorder{}
		if _, err := rdbload.Decode(bytes.NewReader(buf.Bytes()), rec, rdbload.Options{}); err != nil {
			t.Fatalf("v%d: decode: %v", v, err)
		}
		if !slices.Equal(rec.events, wantEvents) {
			t.Errorf("v%d: records in order %v, want %v", v, rec.events, wantEvents)
		}
		if !slices.EqualFunc(rec.aux, want, bytes.Equal) {
			t.Errorf("v%d: MODULE_AUX records not byte-identical: %x, want %x", v, rec.aux, want)
		}
		// decode -> write -> decode: the store keeps them again.
		again, _, err := rdbload.Load(bytes.NewReader(buf.Bytes()), rdbload.Options{})
		if err != nil || !slices.EqualFunc(again.ModuleAux(), want, bytes.Equal) {
			t.Errorf("v%d: reloaded %x (%v)", v, again.ModuleAux(), err)
		}
		if v == 10 {
			path := filepath.Join(t.TempDir(), "dump.rdb")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			checkRDB(t, path)
		}
	}
}

// TestModuleAuxMalformed: a record that is not a MODULE_AUX serialization
// fails the write (it could not be loaded back).
func TestModuleAuxMalformed(t *testing.T) {
	good := auxRecord("auxmod-AA", rdb.ModuleAuxBeforeRDB, auxItems()...)
	_, noWhen := moduleRaw("auxmod-AA", auxItems()...) // first item is a STRING, not the UINT when
	bad := [][]byte{
		nil,
		good[:len(good)-1],
		append(slices.Clone(good), 0),
		noWhen,
		append(slices.Clone(good[:len(good)-1]), 9, 0), // unknown module opcode
	}
	for i, raw := range bad {
		s := store.New()
		s.SetModuleAux([][]byte{good, raw})
		err := Write(&bytes.Buffer{}, s, Options{})
		if !errors.Is(err, ErrUnrepresentable) || !strings.Contains(err.Error(), "MODULE_AUX record 1") {
			t.Errorf("bad record %d: %v", i, err)
		}
	}
}
