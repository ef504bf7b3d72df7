package rdbload

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hdt3213/rdb/model"
	"github.com/hdt3213/rdb/parser"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Differential test against github.com/hdt3213/rdb v1.3.2, an independent
// decoder, on the same files. Both sides are rendered into the library's
// (lossy) model so that only real disagreements show. Known divergences,
// where the library is wrong or models less (rdb-notes.md §3, §5), are
// left out of the comparison on purpose:
//
//   - Stream entries: the library keeps fields in a map, losing their order
//     and collapsing duplicate names (B7), so entries are compared as maps
//     with the last value of a repeated field winning, as in the library.
//   - Stream v1 (type 15) metadata: the library leaves first ID, max
//     deleted ID, entries-added and group entries-read at zero; we derive
//     them as Redis does on load. Compared for v2/v3 only.
//   - Consumer active-time of v1/v2 streams: the library reports 0; Redis
//     (and we) use the seen-time. Compared for v3 only.
//   - Cluster-mode files (opcode 244 SLOT_INFO under REDIS magic): the
//     library refuses them; the test asserts that it still does, so the
//     exclusion is noticed if it ever changes.
//   - Expiry at or before the epoch: the library reads it as "no expiry";
//     we keep the key as already expired (expire 1). Not present in these
//     files.
//   - Module values: the library returns nil values; not compared.
//   - Listpacks/ziplists with 65535+ elements: the library truncates them
//     (B3); none in these files (TestHugeListpack covers ours).
func TestDifferentialHdt3213(t *testing.T) {
	files := []string{}
	for _, d := range fixtureDirs(t) {
		files = append(files, filepath.Join(d, "dump.rdb"))
	}
	cases := libCases(t)
	files = append(files, cases...)
	var compared atomic.Int64
	for _, f := range files {
		name := f
		if rel, err := filepath.Rel(filepath.Dir(filepath.Dir(f)), f); err == nil {
			name = rel
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lib, libErr := libDecode(f)
			ours, oursErr := oursDecode(f)
			if refusal, ok := libRefusals[filepath.Base(f)]; ok {
				// Files Redis itself refuses; the library reads them.
				if oursErr == nil || !strings.Contains(oursErr.Error(), refusal) {
					t.Fatalf("want our decode to refuse %s with %q, got %v", name, refusal, oursErr)
				}
				t.Logf("refused as Redis does: %v", oursErr)
				return
			}
			if oursErr != nil {
				t.Fatalf("ours: %v (hdt3213: %v)", oursErr, libErr)
			}
			if strings.Contains(f, "cluster") && (libErr == nil || !strings.Contains(libErr.Error(), "244")) {
				t.Errorf("hdt3213 was expected to refuse opcode 244 in a cluster-mode file, got %v", libErr)
			}
			if libErr != nil {
				// The library refuses opcode 244, or panics in its memory
				// estimator (B4: quicklist PLAIN nodes) and drops the rest
				// of the file. Compare key by key instead: each key record
				// is cut out into a file of its own.
				t.Logf("hdt3213 fails on the whole file (%v); comparing key by key", libErr)
				var failed []string
				lib, failed = libDecodePerKey(t, f)
				for _, k := range failed {
					delete(ours.keys, k)
				}
				if len(failed) > 0 {
					t.Logf("hdt3213 fails on %d single-key files (left out): %.300v", len(failed), failed)
				}
				if len(failed) > len(lib.keys)/20 {
					t.Errorf("hdt3213 failed on %d of %d keys: too many to call this a comparison", len(failed), len(lib.keys))
				}
				lib.aux, lib.funcs = ours.aux, ours.funcs // not comparable per key
			}
			for k, why := range knownDivergences[filepath.Base(f)] {
				// Compare the rest of the value without the diverging part.
				lv, ov := lib.keys[k], ours.keys[k]
				if lv == "" || ov == "" {
					t.Errorf("known divergence %s (%s) no longer present", k, why.reason)
					continue
				}
				lib.keys[k], ours.keys[k] = why.re.ReplaceAllString(lv, ""), why.re.ReplaceAllString(ov, "")
				t.Logf("%s: known divergence left out: %s", k, why.reason)
			}
			for k, lv := range lib.keys {
				ov, ok := ours.keys[k]
				if !ok {
					t.Errorf("%s: in hdt3213 only: %.300s", k, lv)
					continue
				}
				if ov != lv {
					t.Errorf("%s differs:\n%s", k, diffContext(ov, lv))
				}
			}
			for k, ov := range ours.keys {
				if _, ok := lib.keys[k]; !ok {
					t.Errorf("%s: in ours only: %.300s", k, ov)
				}
			}
			if !slices.Equal(lib.funcs, ours.funcs) {
				t.Errorf("function libraries differ: hdt3213 %d, ours %d", len(lib.funcs), len(ours.funcs))
			}
			if !slices.Equal(lib.aux, ours.aux) {
				t.Errorf("aux fields differ:\n hdt3213 %q\n ours    %q", lib.aux, ours.aux)
			}
			compared.Add(int64(len(lib.keys)))
		})
	}
	t.Cleanup(func() {
		if n := compared.Load(); n < 5000 {
			t.Errorf("only %d keys compared; the differential test is not exercising much", n)
		} else {
			t.Logf("%d keys compared across %d files", n, len(files))
		}
	})
}

type divergence struct {
	re     *regexp.Regexp // the part of both renderings left out
	reason string
}

// knownDivergences lists keys where we deliberately differ from the
// library, by file.
var knownDivergences = map[string]map[string]divergence{
	"stream_listpacks_1.rdb": {
		`0/"trim"`: {regexp.MustCompile(` len=\d+`), "the file (a Redis 5.0 release candidate's, after XTRIM) stores " +
			"length 120 for 118 live entries; Redis loads 120 unchecked, the library reports 120, the store's " +
			"length is its live entries (118) and the decoder logs a warning"},
	},
}

// libRefusals lists hdt3213 test files that Redis 7.4 itself refuses
// (and so do we), with the reason we must give.
var libRefusals = map[string]string{
	// zipmap length byte 255 with 2 entries: zipmapValidateIntegrity
	// accepts only 254 ("unknown") or the true count. Real zipmaps
	// saturate at 254.
	"zipmap_big_len.rdb": "zipmap header counts 255 pairs but holds 2",
}

// libDecodePerKey runs the library on one small RDB per key record of
// path (header, SELECTDB, the expire our decode found, the key record's
// bytes, EOF, CRC). It returns the keys decoded and those the library
// failed on. (The expire is ours, so only the value is compared here;
// TestFixtures checks expiries against the server.)
func libDecodePerKey(t *testing.T, path string) (*decoded, []string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		db         int
		start, end int64
		expire     int64
	}
	var recs []rec
	d := newDecoder(bytes.NewReader(raw), &collect{d: &decoded{keys: map[string]string{}}}, Options{}, bufSize)
	d.onRecord = func(db int, start, end int64, e *store.Entry) {
		if e != nil {
			recs = append(recs, rec{db, start, end, e.Expire})
		}
	}
	if err := d.run(); err != nil {
		t.Fatal(err)
	}
	out := &decoded{keys: map[string]string{}}
	var failed []string
	for _, r := range recs {
		var b []byte
		b = append(b, raw[:9]...)
		b = append(b, rdb.OpSelectDB)
		b = appendLen(b, uint64(r.db))
		if r.expire != 0 {
			b = binary.LittleEndian.AppendUint64(append(b, rdb.OpExpireTimeMs), uint64(r.expire))
		}
		b = append(b, raw[r.start:r.end]...)
		b = append(b, rdb.OpEOF)
		b = binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b))
		one := &decoded{keys: map[string]string{}}
		err := parser.NewDecoder(bytes.NewReader(b)).Parse(func(o model.RedisObject) bool {
			k := strconv.Itoa(o.GetDBIndex()) + "/" + strconv.Quote(o.GetKey())
			exp := int64(0)
			if e := o.GetExpiration(); e != nil {
				exp = e.UnixMilli()
			}
			one.keys[k] = "exp=" + strconv.FormatInt(exp, 10) + " " + renderLib(o)
			return true
		})
		if err != nil {
			// Only the memory estimator's panic (B4) is an accepted
			// failure; anything else is a disagreement to look at.
			if !strings.Contains(err.Error(), "panic: runtime error: index out of range") {
				t.Errorf("hdt3213 fails on a single-key file with an unexpected error: %v", err)
			}
			// Name the key from our own decode of the same record.
			c := &collect{d: &decoded{keys: map[string]string{}}}
			if _, err := Decode(bytes.NewReader(b), c, Options{}); err != nil {
				t.Fatalf("our decode of a single-record file: %v", err)
			}
			for k := range c.d.keys {
				failed = append(failed, k)
			}
			continue
		}
		maps.Copy(out.keys, one.keys)
	}
	return out, failed
}

// appendLen appends an RDB length encoding.
func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// libCases returns the RDB files shipped in hdt3213/rdb's own test cases
// (old formats: linked lists, zipmaps, ziplists, RDB v5 and v8 ...).
func libCases(t *testing.T) []string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hdt3213/rdb").Output()
	if err != nil {
		t.Fatalf("locating the hdt3213/rdb module: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "cases", "*.rdb"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no hdt3213/rdb test cases found: %v", err)
	}
	return files
}

type decoded struct {
	keys  map[string]string // "db/key" -> rendering
	funcs []string
	aux   []string
}

func libDecode(path string) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := &decoded{keys: map[string]string{}}
	err = parser.NewDecoder(f).WithSpecialOpCode().Parse(func(o model.RedisObject) bool {
		switch x := o.(type) {
		case *model.AuxObject:
			out.aux = append(out.aux, x.Key+"="+x.Value)
			return true
		case *model.FunctionsObject:
			out.funcs = append(out.funcs, x.FunctionsLua)
			return true
		case *model.DBSizeObject:
			return true
		}
		k := strconv.Itoa(o.GetDBIndex()) + "/" + strconv.Quote(o.GetKey())
		exp := int64(0)
		if e := o.GetExpiration(); e != nil {
			exp = e.UnixMilli()
		}
		out.keys[k] = "exp=" + strconv.FormatInt(exp, 10) + " " + renderLib(o)
		return true
	})
	return out, err
}

func oursDecode(path string) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := &collect{d: &decoded{keys: map[string]string{}}}
	if _, err := Decode(f, h, Options{}); err != nil {
		return nil, err
	}
	return h.d, nil
}

type collect struct{ d *decoded }

func (c *collect) Aux(k, v string) error { c.d.aux = append(c.d.aux, k+"="+v); return nil }
func (c *collect) SelectDB(int) error    { return nil }
func (c *collect) Function(_ string, code []byte) error {
	c.d.funcs = append(c.d.funcs, string(code))
	return nil
}
func (c *collect) ModuleAux([]byte) error { return nil }
func (c *collect) Key(db int, key string, e *store.Entry, meta KeyMeta) error {
	k := strconv.Itoa(db) + "/" + strconv.Quote(key)
	c.d.keys[k] = "exp=" + strconv.FormatInt(e.Expire, 10) + " " + renderOursAsLib(e, meta.Type)
	return nil
}

func renderLib(o model.RedisObject) string {
	var parts []string
	switch x := o.(type) {
	case *model.StringObject:
		return "string " + q(string(x.Value))
	case *model.ListObject:
		for _, v := range x.Values {
			parts = append(parts, q(string(v)))
		}
		return "list [" + strings.Join(parts, ",") + "]"
	case *model.SetObject:
		for _, v := range x.Members {
			parts = append(parts, q(string(v)))
		}
		sort.Strings(parts)
		return "set {" + strings.Join(parts, ",") + "}"
	case *model.ZSetObject:
		for _, e := range x.Entries {
			parts = append(parts, q(e.Member)+"="+renderScore(e.Score))
		}
		sort.Strings(parts)
		return "zset {" + strings.Join(parts, ",") + "}"
	case *model.HashObject:
		for f, v := range x.Hash {
			s := q(f) + ":" + q(string(v))
			if exp := x.FieldExpirations[f]; exp != 0 {
				s += "@" + strconv.FormatInt(exp, 10)
			}
			parts = append(parts, s)
		}
		sort.Strings(parts)
		return "hash {" + strings.Join(parts, ",") + "}"
	case *model.StreamObject:
		v := x.Version
		if v == 0 {
			v = 1
		}
		var b strings.Builder
		b.WriteString("stream v" + strconv.Itoa(int(v)) + " len=" + strconv.FormatUint(x.Length, 10) + " last=" + libID(x.LastId))
		if v >= 2 {
			b.WriteString(" first=" + libID(x.FirstId) + " maxdel=" + libID(x.MaxDeletedId) +
				" added=" + strconv.FormatUint(x.AddedEntriesCount, 10))
		}
		b.WriteString(" entries=[")
		for _, e := range x.Entries {
			for _, m := range e.Msgs {
				if m.Deleted {
					continue
				}
				b.WriteString(libID(m.Id) + ":" + renderFieldMap(m.Fields) + " ")
			}
		}
		b.WriteString("] groups=[")
		gs := slices.Clone(x.Groups)
		slices.SortFunc(gs, func(a, b *model.StreamGroup) int { return strings.Compare(a.Name, b.Name) })
		for _, g := range gs {
			b.WriteString(q(g.Name) + " last=" + libID(g.LastId))
			if v >= 2 {
				b.WriteString(" read=" + strconv.FormatUint(g.EntriesRead, 10))
			}
			b.WriteString(" pel=[")
			for _, p := range g.Pending {
				b.WriteString(libID(p.Id) + "/" + strconv.FormatUint(p.DeliveryTime, 10) + "/" +
					strconv.FormatUint(p.DeliveryCount, 10) + " ")
			}
			b.WriteString("] consumers=[")
			cs := slices.Clone(g.Consumers)
			slices.SortFunc(cs, func(a, b *model.StreamConsumer) int { return strings.Compare(a.Name, b.Name) })
			for _, c := range cs {
				b.WriteString(q(c.Name) + " seen=" + strconv.FormatUint(c.SeenTime, 10))
				if v >= 3 {
					b.WriteString(" active=" + strconv.FormatUint(c.ActiveTime, 10))
				}
				b.WriteString(" pending=[")
				for _, id := range c.Pending {
					b.WriteString(libID(id) + " ")
				}
				b.WriteString("] ")
			}
			b.WriteString("] ")
		}
		b.WriteString("]")
		return b.String()
	case *model.ModuleTypeObject:
		return "module " + x.ModuleType
	}
	return "unknown " + o.GetType()
}

func libID(id *model.StreamId) string {
	if id == nil {
		return "nil"
	}
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Sequence, 10)
}

func renderFieldMap(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, q(k)+"="+q(v))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func renderOursAsLib(e *store.Entry, rdbType byte) string {
	var parts []string
	switch e.Kind() {
	case store.KindString:
		return "string " + q(string(e.Str()))
	case store.KindList:
		for _, v := range e.List().All() {
			parts = append(parts, q(string(v)))
		}
		return "list [" + strings.Join(parts, ",") + "]"
	case store.KindSet:
		for m := range e.Set().All() {
			parts = append(parts, q(m))
		}
		sort.Strings(parts)
		return "set {" + strings.Join(parts, ",") + "}"
	case store.KindZSet:
		for m, s := range e.ZSet().All() {
			parts = append(parts, q(m)+"="+renderScore(s))
		}
		sort.Strings(parts)
		return "zset {" + strings.Join(parts, ",") + "}"
	case store.KindHash:
		h := e.Hash()
		for f, v := range h.All() {
			s := q(f) + ":" + q(string(v))
			if exp := h.FieldExpire([]byte(f)); exp != 0 {
				s += "@" + strconv.FormatInt(exp, 10)
			}
			parts = append(parts, s)
		}
		sort.Strings(parts)
		return "hash {" + strings.Join(parts, ",") + "}"
	case store.KindStream:
		s := e.Stream()
		v := map[byte]int{rdb.TypeStreamListpacks: 1, rdb.TypeStreamListpacks2: 2, rdb.TypeStreamListpacks3: 3}[rdbType]
		var b strings.Builder
		b.WriteString("stream v" + strconv.Itoa(v) + " len=" + strconv.Itoa(s.Len()) + " last=" + s.LastID.String())
		if v >= 2 {
			b.WriteString(" first=" + s.FirstID.String() + " maxdel=" + s.MaxDeletedID.String() +
				" added=" + strconv.FormatUint(s.EntriesAdded, 10))
		}
		b.WriteString(" entries=[")
		for _, en := range s.Entries() {
			m := map[string]string{}
			for i := 0; i+1 < len(en.Fields); i += 2 {
				m[string(en.Fields[i])] = string(en.Fields[i+1])
			}
			b.WriteString(en.ID.String() + ":" + renderFieldMap(m) + " ")
		}
		b.WriteString("] groups=[")
		for _, g := range s.Groups() {
			b.WriteString(q(g.Name) + " last=" + g.LastID.String())
			if v >= 2 {
				b.WriteString(" read=" + strconv.FormatUint(uint64(g.EntriesRead), 10))
			}
			b.WriteString(" pel=[")
			for _, p := range g.SortedPEL() {
				b.WriteString(p.ID.String() + "/" + strconv.FormatUint(uint64(p.DeliveryTime), 10) + "/" +
					strconv.FormatUint(p.DeliveryCount, 10) + " ")
			}
			b.WriteString("] consumers=[")
			for _, c := range g.SortedConsumers() {
				b.WriteString(q(c.Name) + " seen=" + strconv.FormatUint(uint64(c.SeenTime), 10))
				if v >= 3 {
					b.WriteString(" active=" + strconv.FormatUint(uint64(c.ActiveTime), 10))
				}
				b.WriteString(" pending=[")
				for _, p := range c.SortedPending() {
					b.WriteString(p.ID.String() + " ")
				}
				b.WriteString("] ")
			}
			b.WriteString("] ")
		}
		b.WriteString("]")
		return b.String()
	case store.KindModule:
		return "module " + e.Module().TypeName
	}
	return "?"
}
