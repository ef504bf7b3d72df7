// Package rdbjsontest reads the real-server RDB fixtures (dump.rdb,
// expected.jsonl, server.json; /work/shared/testdata/README.md) and
// compares JSON lines in the rdbjson shape with a fixture's expected
// lines. It is the one definition of "decodes to expected.jsonl" for the
// rdbload fixture test and the `redis-follower rdb` command's tests.
//
// How the fixture files are read (the interpretation rules; each is
// counted in Result.Explained when it was needed):
//
//   - "expired-after-save": keys and hash fields whose TTL ran out between
//     SAVE and the generator's read are absent from expected.jsonl but in
//     dump.rdb. A decoded key or field missing from expected.jsonl is
//     accepted only when its expire is at or before saved_at_ms +
//     ExpiredSlackMs.
//   - "pttl-bucket": before Redis 7.0 expire is a coarse PTTL bucket
//     (["ttl", n]); only the presence of an expire is compared.
//   - "field-ttls-not-recorded": hash values carry field expires on Redis
//     7.4+ only; the Valkey 9 expected.jsonl has [field, value] rows, so
//     the third element of ours is not compared there.
//   - "groups-not-recorded": Redis 5.0 has no XINFO STREAM FULL, so its
//     expected.jsonl lists no consumer groups.
//   - "pel-not-recorded": expected.jsonl never records a pending entry
//     (every PEL and consumer list is empty) although some dump.rdb files
//     hold consistent PELs: when the expected PEL and consumer lists are
//     empty, ours are not compared (they are checked for consistency by
//     the rdbload tests and against a live server by the round trips).
//   - "stream-meta-not-recorded": stream metadata pairs are compared for
//     the names expected.jsonl has (none on 5.0, last-generated-id on
//     6.2, all four from 7.0).
//
// Every other difference is a problem, and a line equal under the rules
// must be byte-identical to the expected one (after json.dumps's bare
// Infinity is quoted) unless a rule was needed for it.
package rdbjsontest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// ExpiredSlackMs is how long after saved_at_ms the fixture generator may
// have read the keys.
const ExpiredSlackMs = 120_000

// Fixture is one server's fixture directory.
type Fixture struct {
	Dir          string `json:"-"`
	Name         string `json:"-"` // directory name, e.g. redis-7.4.1
	Server       string `json:"server"`
	Version      string `json:"version"`
	Cluster      bool   `json:"cluster"`
	RDBHeader    string `json:"rdb_header"`
	Keys         int    `json:"keys"`
	SavedAtMs    int64  `json:"saved_at_ms"`
	Major, Minor int    `json:"-"`
}

// Fixtures lists the fixtures under root (root/<name>/dump.rdb).
func Fixtures(root string) ([]Fixture, error) {
	dumps, err := filepath.Glob(filepath.Join(root, "*", "dump.rdb"))
	if err != nil {
		return nil, err
	}
	if len(dumps) == 0 {
		return nil, fmt.Errorf("no fixtures in %s/*/dump.rdb", root)
	}
	var out []Fixture
	for _, d := range dumps {
		dir := filepath.Dir(d)
		b, err := os.ReadFile(filepath.Join(dir, "server.json"))
		if err != nil {
			return nil, err
		}
		f := Fixture{Dir: dir, Name: filepath.Base(dir)}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s/server.json: %w", dir, err)
		}
		fmt.Sscanf(f.Version, "%d.%d", &f.Major, &f.Minor)
		out = append(out, f)
	}
	return out, nil
}

// DumpPath is the fixture's dump.rdb.
func (f Fixture) DumpPath() string { return filepath.Join(f.Dir, "dump.rdb") }

// groups: expected.jsonl lists consumer groups (XINFO STREAM FULL, 6.0+).
func (f Fixture) groups() bool { return f.Major >= 6 || f.Server == "valkey" }

// fieldTTLs: expected.jsonl hash rows carry field expires (Redis 7.4+).
func (f Fixture) fieldTTLs() bool {
	return f.Server == "redis" && (f.Major > 7 || f.Major == 7 && f.Minor >= 4)
}

// Expected reads the fixture's expected lines (expected.jsonl, or
// expected.jsonl.gz).
func (f Fixture) Expected() ([]Line, error) {
	var r io.Reader
	if fh, err := os.Open(filepath.Join(f.Dir, "expected.jsonl")); err == nil {
		defer fh.Close()
		r = fh
	} else {
		fh, err := os.Open(filepath.Join(f.Dir, "expected.jsonl.gz"))
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fh.Name(), err)
		}
		r = zr
	}
	return ReadLines(r)
}

// ReadLines parses every line of r.
func ReadLines(r io.Reader) ([]Line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	var out []Line
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		l, err := ParseLine(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// Line is one parsed JSON line.
type Line struct {
	Raw    string // the line (bare Infinity/NaN tokens quoted), no newline
	DB     int
	Key    string // raw key bytes
	Type   string
	Value  any // decoded with json.Number
	Expire any // json.Number or ["ttl", n]
}

// ParseLine parses one line. Python's bare Infinity, -Infinity and NaN
// tokens are accepted (read as the strings "Infinity", ...).
func ParseLine(b []byte) (Line, error) {
	b = QuoteNonFinite(bytes.TrimRight(b, "\r\n"))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return Line{}, fmt.Errorf("bad JSON line %.200s: %w", b, err)
	}
	if dec.More() {
		return Line{}, fmt.Errorf("bad JSON line %.200s: data after the object", b)
	}
	db, ok1 := m["db"].(json.Number)
	typ, ok2 := m["type"].(string)
	value, ok3 := m["value"]
	expire, ok4 := m["expire"]
	if !ok1 || !ok2 || !ok3 || !ok4 || len(m) != 5 {
		return Line{}, fmt.Errorf("line %.200s: want exactly db, key, type, value and expire", b)
	}
	n, err := strconv.Atoi(db.String())
	if err != nil {
		return Line{}, fmt.Errorf("line %.200s: bad db: %w", b, err)
	}
	key, err := Bytes(m["key"])
	if err != nil {
		return Line{}, fmt.Errorf("line %.200s: %w", b, err)
	}
	return Line{Raw: string(b), DB: n, Key: key, Type: typ, Value: value, Expire: expire}, nil
}

// QuoteNonFinite turns the bare Infinity / -Infinity / NaN tokens that
// Python's json writes into JSON strings; tokens inside strings are left
// alone.
func QuoteNonFinite(line []byte) []byte {
	if !bytes.Contains(line, []byte("Infinity")) && !bytes.Contains(line, []byte("NaN")) {
		return line
	}
	out := make([]byte, 0, len(line)+16)
	inStr := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if inStr {
			out = append(out, c)
			if c == '\\' && i+1 < len(line) {
				i++
				out = append(out, line[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
			out = append(out, c)
			continue
		}
		matched := false
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(line[i:], []byte(tok)) {
				out = append(append(append(out, '"'), tok...), '"')
				i += len(tok) - 1
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, c)
		}
	}
	return out
}

// Bytes decodes a rendered string: a JSON string or {"base64": "..."}.
func Bytes(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		s, ok := x["base64"].(string)
		if !ok || len(x) != 1 {
			break
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", fmt.Errorf("bad base64 %q: %w", s, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("not a rendered string: %#v", v)
}

// Result is the outcome of a comparison.
type Result struct {
	// Matched counts keys equal on both sides (under the rules).
	Matched int
	// Identical counts matched keys whose lines are byte-identical.
	Identical int
	// ExpiredAfterSave counts keys only in ours, expired by the read.
	ExpiredAfterSave int
	// Explained counts, per rule, matched keys that needed it.
	Explained map[string]int
	// Problems lists every difference (empty when equal).
	Problems []string
}

type dbKey struct {
	db  int
	key string
}

// Compare compares our lines with the fixture's expected lines.
// Report fails t with the first max problems (and how many more there
// are).
func (r Result) Report(t testing.TB, max int) {
	t.Helper()
	for i, p := range r.Problems {
		if i == max {
			t.Errorf("... %d more", len(r.Problems)-i)
			return
		}
		t.Error(p)
	}
}

func (f Fixture) Compare(want, got []Line) Result {
	res := Result{Explained: map[string]int{}}
	limit := f.SavedAtMs + ExpiredSlackMs
	ours := make(map[dbKey]Line, len(got))
	for _, g := range got {
		k := dbKey{g.DB, g.Key}
		if _, dup := ours[k]; dup {
			res.Problems = append(res.Problems, fmt.Sprintf("db %d key %q: printed twice", g.DB, g.Key))
		}
		ours[k] = g
	}
	seen := make(map[dbKey]bool, len(want))
	for _, w := range want {
		k := dbKey{w.DB, w.Key}
		seen[k] = true
		g, ok := ours[k]
		if !ok {
			res.Problems = append(res.Problems, fmt.Sprintf("db %d key %q (%s): missing", w.DB, w.Key, w.Type))
			continue
		}
		if g.Raw == w.Raw {
			res.Matched++
			res.Identical++
			continue
		}
		rules, err := f.compareLine(w, g, limit)
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("db %d key %q (%s): %v", w.DB, w.Key, w.Type, err))
			continue
		}
		res.Matched++
		if len(rules) == 0 {
			res.Problems = append(res.Problems, fmt.Sprintf("db %d key %q: equal but not byte-identical:\n want %.400s\n got  %.400s",
				w.DB, w.Key, w.Raw, g.Raw))
			continue
		}
		for _, r := range rules {
			res.Explained[r]++
		}
	}
	for _, g := range got {
		k := dbKey{g.DB, g.Key}
		if seen[k] {
			continue
		}
		if exp, ok := expireMs(g.Expire); ok && exp >= 0 && exp <= limit {
			res.ExpiredAfterSave++
			continue
		}
		res.Problems = append(res.Problems, fmt.Sprintf("db %d key %q (%s, expire %v): not in expected.jsonl", g.DB, g.Key, g.Type, g.Expire))
	}
	return res
}

func expireMs(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// ruleSet collects the rules a comparison needed.
type ruleSet []string

func (r *ruleSet) add(name string) {
	if !slices.Contains(*r, name) {
		*r = append(*r, name)
	}
}

func (f Fixture) compareLine(w, g Line, limit int64) (ruleSet, error) {
	var rules ruleSet
	if w.Type != g.Type {
		return nil, fmt.Errorf("type %s, want %s", g.Type, w.Type)
	}
	gotExp, ok := expireMs(g.Expire)
	if !ok {
		return nil, fmt.Errorf("bad expire %v", g.Expire)
	}
	switch we := w.Expire.(type) {
	case json.Number:
		if we.String() != strconv.FormatInt(gotExp, 10) {
			return nil, fmt.Errorf("expire %d, want %s", gotExp, we)
		}
	case []any:
		if gotExp == -1 {
			return nil, fmt.Errorf("no expire, want one (%v)", we)
		}
		rules.add("pttl-bucket")
	default:
		return nil, fmt.Errorf("bad expected expire %v", w.Expire)
	}
	wv, gv := w.Value, g.Value
	var err error
	switch w.Type {
	case "zset":
		wv, err = zset(wv)
		if err == nil {
			gv, err = zset(gv)
		}
	case "set":
		wv, err = sortedStrings(wv)
		if err == nil {
			gv, err = sortedStrings(gv)
		}
	case "hash":
		wv, gv, err = f.hash(wv, gv, limit, &rules)
	case "stream":
		wv, gv, err = f.stream(wv, gv, &rules)
	}
	if err != nil {
		return nil, err
	}
	ws, err := canon(wv)
	if err != nil {
		return nil, fmt.Errorf("expected value: %w", err)
	}
	gs, err := canon(gv)
	if err != nil {
		return nil, fmt.Errorf("our value: %w", err)
	}
	if ws != gs {
		return nil, fmt.Errorf("value differs:\n%s", diffContext(gs, ws))
	}
	return rules, nil
}

// canon renders a decoded value canonically: strings by their bytes
// (plain or base64 alike), numbers by their text, arrays in order.
func canon(v any) (string, error) {
	var b strings.Builder
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := walk(e); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		case json.Number:
			b.WriteString("#" + x.String())
		case float64:
			b.WriteString("#" + strconv.FormatFloat(x, 'g', -1, 64))
		case string, map[string]any:
			s, err := Bytes(x)
			if err != nil {
				return err
			}
			b.WriteString(strconv.Quote(s))
		case nil:
			b.WriteString("null")
		default:
			return fmt.Errorf("unexpected %T", v)
		}
		return nil
	}
	err := walk(v)
	return b.String(), err
}

func list(v any) ([]any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not an array: %#v", v)
	}
	return l, nil
}

func sortedStrings(v any) (any, error) {
	l, err := list(v)
	if err != nil {
		return nil, err
	}
	ss := make([]string, len(l))
	for i, e := range l {
		if ss[i], err = Bytes(e); err != nil {
			return nil, err
		}
	}
	sort.Strings(ss)
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out, nil
}

// score reads a rendered score: a number or "Infinity" / "-Infinity".
func score(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseFloat(x.String(), 64)
	case string:
		switch x {
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("not a score: %#v", v)
}

// zset turns [[member, score], ...] into [member, float, ...] in order.
func zset(v any) (any, error) {
	l, err := list(v)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, e := range l {
		p, err := list(e)
		if err != nil || len(p) != 2 {
			return nil, fmt.Errorf("bad sorted-set member %#v", e)
		}
		s, err := score(p[1])
		if err != nil {
			return nil, err
		}
		out = append(out, p[0], s)
	}
	return out, nil
}

// hash aligns the two hash values: rows sorted by field bytes; fields of
// ours missing from want dropped when expired by the read; the expire
// column compared only where want has it.
func (f Fixture) hash(wv, gv any, limit int64, rules *ruleSet) (any, any, error) {
	type row struct {
		field string
		cols  []any
	}
	rows := func(v any) ([]row, error) {
		l, err := list(v)
		if err != nil {
			return nil, err
		}
		out := make([]row, 0, len(l))
		for _, e := range l {
			p, err := list(e)
			if err != nil || len(p) < 2 || len(p) > 3 {
				return nil, fmt.Errorf("bad hash row %#v", e)
			}
			fb, err := Bytes(p[0])
			if err != nil {
				return nil, err
			}
			out = append(out, row{fb, p})
		}
		slices.SortFunc(out, func(a, b row) int { return strings.Compare(a.field, b.field) })
		return out, nil
	}
	w, err := rows(wv)
	if err != nil {
		return nil, nil, err
	}
	g, err := rows(gv)
	if err != nil {
		return nil, nil, err
	}
	inWant := make(map[string]bool, len(w))
	wantTTL := false
	for _, r := range w {
		inWant[r.field] = true
		if len(r.cols) == 3 {
			wantTTL = true
		}
	}
	if len(w) > 0 && !wantTTL && f.fieldTTLs() {
		return nil, nil, fmt.Errorf("expected hash rows lack the field expire on a 7.4+ fixture")
	}
	var wo, gout []any
	for _, r := range w {
		wo = append(wo, r.cols)
	}
	for _, r := range g {
		cols := r.cols
		var exp int64 = -1
		if len(cols) == 3 {
			e, ok := expireMs(cols[2])
			if !ok {
				return nil, nil, fmt.Errorf("bad field expire %#v", cols[2])
			}
			exp = e
		}
		if !inWant[r.field] && exp >= 0 && exp <= limit {
			rules.add("expired-after-save")
			continue
		}
		if len(cols) == 3 && len(w) > 0 && !wantTTL {
			cols = cols[:2]
			rules.add("field-ttls-not-recorded")
		}
		gout = append(gout, cols)
	}
	return wo, gout, nil
}

// stream aligns the two stream values (see the package doc).
func (f Fixture) stream(wv, gv any, rules *ruleSet) (any, any, error) {
	w, err := list(wv)
	if err != nil || len(w) != 3 {
		return nil, nil, fmt.Errorf("bad expected stream %#v", wv)
	}
	g, err := list(gv)
	if err != nil || len(g) != 3 {
		return nil, nil, fmt.Errorf("bad stream %#v", gv)
	}
	g = slices.Clone(g)
	// Groups.
	wg, err := list(w[1])
	if err != nil {
		return nil, nil, err
	}
	gg, err := list(g[1])
	if err != nil {
		return nil, nil, err
	}
	if !f.groups() {
		if len(wg) != 0 {
			return nil, nil, fmt.Errorf("groups listed on a server without XINFO STREAM FULL")
		}
		if len(gg) != 0 {
			rules.add("groups-not-recorded")
		}
		g[1] = []any{}
	} else if len(wg) == len(gg) {
		out := make([]any, len(gg))
		for i := range gg {
			wgi, err1 := list(wg[i])
			ggi, err2 := list(gg[i])
			if err1 != nil || err2 != nil || len(wgi) != 4 || len(ggi) != 4 {
				return nil, nil, fmt.Errorf("bad group %#v / %#v", wg[i], gg[i])
			}
			wpel, _ := wgi[2].([]any)
			wcons, _ := wgi[3].([]any)
			gpel, _ := ggi[2].([]any)
			gcons, _ := ggi[3].([]any)
			if len(wpel) == 0 && len(wcons) == 0 && (len(gpel) > 0 || len(gcons) > 0) {
				rules.add("pel-not-recorded")
				ggi = []any{ggi[0], ggi[1], []any{}, []any{}}
			}
			out[i] = ggi
		}
		g[1] = out
	}
	// Metadata: the names want has.
	wm, err := list(w[2])
	if err != nil {
		return nil, nil, err
	}
	gm, err := list(g[2])
	if err != nil {
		return nil, nil, err
	}
	names := map[string]bool{}
	for _, p := range wm {
		pp, err := list(p)
		if err != nil || len(pp) != 2 {
			return nil, nil, fmt.Errorf("bad metadata pair %#v", p)
		}
		name, _ := pp[0].(string)
		names[name] = true
	}
	var keep []any
	for _, p := range gm {
		pp, err := list(p)
		if err != nil || len(pp) != 2 {
			return nil, nil, fmt.Errorf("bad metadata pair %#v", p)
		}
		if name, _ := pp[0].(string); names[name] {
			keep = append(keep, p)
		}
	}
	if len(keep) != len(gm) {
		rules.add("stream-meta-not-recorded")
	}
	g[2] = keep
	return w, []any(g), nil
}

// diffContext shows both renderings around their first difference.
func diffContext(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-150)
	cut := func(s string) string { return s[min(from, len(s)):min(len(s), i+250)] }
	return fmt.Sprintf(" got  …%s\n want …%s", cut(got), cut(want))
}
