package main

import (
	"bufio"
	"cmp"
	"container/heap"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/rdbjson"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

func rdbCommand() *cli.Command {
	return &cli.Command{
		Name:      "rdb",
		Usage:     "decode an RDB file offline: one JSON line per key, or a summary",
		ArgsUsage: "FILE (or - for standard input)",
		Description: "Reads every RDB a supported server writes (Redis RDB 1-12, i.e. Redis 2.x to 8.4, and Valkey 9's\n" +
			"VALKEY080), streaming: the file is never held in memory, each key is printed as it is decoded.\n\n" +
			"Output: one JSON object per key, in file order:\n" +
			"  {\"db\": 0, \"key\": \"k\", \"type\": \"hash\", \"value\": [[\"f\", \"v\"]], \"expire\": -1}\n" +
			"expire is absolute Unix ms (-1 none). Keys and strings that are not printable UTF-8 are\n" +
			"{\"base64\": \"...\"}. Values: string; list in order; set sorted; zset [member, score] by score\n" +
			"(infinite scores as \"Infinity\" / \"-Infinity\"); hash [field, value] sorted by field, or\n" +
			"[field, value, field-expire-ms] when the RDB format carries field TTLs (Redis RDB 12+, Valkey 9);\n" +
			"stream [entries as [id, [f, v, ...]], groups as [name, last-delivered-id, [[pel-id,\n" +
			"delivery-count]...], [[consumer, [pending ids]]...] (consumers with pending entries)],\n" +
			"metadata pairs]; module values {\"module\": type name, \"serialized\": {\"base64\": ...}}.\n" +
			"Keys already expired are printed too (with their past expire): the file holds them.\n\n" +
			"--summary prints instead: format and version, every AUX field, keys and expires per database\n" +
			"and type, function libraries, module types and MODULE_AUX records, the biggest keys by\n" +
			"serialized size (the bytes of the key's record in the file: type byte, key name and value,\n" +
			"without the EXPIRETIME/IDLE/FREQ opcodes before it), total bytes and decode time. A summary\n" +
			"walks over the values without decoding them (module values excepted), so it runs much faster\n" +
			"than a dump; the CRC-64 still covers every byte, but the inside of compact encodings\n" +
			"(listpacks, ziplists, intsets, LZF data) is not checked. --db, --key-prefix and --match\n" +
			"select the keys printed or counted; the values of the others are skipped the same way.\n\n" +
			"The CRC-64 at the end of the file is checked after the last key. If the file is corrupt or\n" +
			"truncated, what was decoded before the error has been printed, and the command exits 1\n" +
			"with an error naming the byte offset (and key): the output above it is not verified.\n\n" +
			"Exit codes: 0 decoded and verified, 1 corrupt, truncated or unsupported file, 2 usage error\n" +
			"(bad flag, missing or unreadable FILE).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "summary", Usage: "print a summary instead of the keys"},
			&cli.IntFlag{Name: "top", Value: 10, Usage: "with --summary: list the `N` biggest keys by serialized size"},
			&cli.IntFlag{Name: "db", Value: -1, Usage: "only keys of database `N`"},
			&cli.StringFlag{Name: "key-prefix", Usage: "only keys starting with `PREFIX`"},
			&cli.StringFlag{Name: "match", Usage: "only keys matching the Redis glob `PATTERN` (*, ?, [a-z], [^x], \\ escapes)"},
		},
		Action: runRDB,
	}
}

func runRDB(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("rdb takes one FILE (or - for standard input), got %d arguments (see redis-follower rdb --help)", c.NArg())
	}
	top := c.Int("top")
	if top < 0 {
		return usagef("--top: %d is negative", top)
	}
	sel := keyFilter{db: c.Int("db"), prefix: c.String("key-prefix"), match: c.String("match"), hasMatch: c.IsSet("match")}
	if sel.db != -1 && !store.ValidDB(sel.db) {
		return usagef("--db: %d is not a database number (0-%d)", sel.db, store.MaxDatabases-1)
	}
	name := c.Args().First()
	var in io.Reader
	if name == "-" {
		in = c.App.Reader
		if in == nil {
			in = os.Stdin
		}
		name = "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return usagef("cannot open the RDB file: %v", err)
		}
		defer f.Close()
		in = f
	}

	out := bufio.NewWriterSize(c.App.Writer, 256<<10)
	h := &rdbHandler{out: out, sel: sel}
	if c.Bool("summary") {
		h.sum = newRDBSummary(top)
	}
	opts := rdbload.Options{
		Logger: slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	start := time.Now()
	info, err := rdbload.Decode(in, h, opts)
	elapsed := time.Since(start)
	if h.sum != nil {
		h.sum.print(out, name, info, elapsed, sel, err != nil)
	}
	ferr := out.Flush()
	switch {
	case h.writeErr != nil:
		return fmt.Errorf("writing the output: %w", h.writeErr)
	case err != nil:
		what := "the keys printed above were decoded before the error and are NOT verified " +
			"(the file's CRC-64, checked after its last key, did not pass)"
		if h.sum != nil {
			what = "the summary above counts what was decoded before the error and is NOT verified"
		}
		return fmt.Errorf("%s: %w\n%s", name, err, what)
	case ferr != nil:
		return fmt.Errorf("writing the output: %w", ferr)
	}
	return nil
}

// keyFilter selects keys by database, prefix and glob.
type keyFilter struct {
	db       int // -1 all
	prefix   string
	match    string
	hasMatch bool
}

func (f keyFilter) active() bool { return f.db != -1 || f.prefix != "" || f.hasMatch }

func (f keyFilter) keep(db int, key string) bool {
	return (f.db == -1 || db == f.db) && strings.HasPrefix(key, f.prefix) &&
		(!f.hasMatch || globMatch(f.match, key))
}

// rdbHandler prints each key as a JSON line, or feeds the summary.
type rdbHandler struct {
	out      *bufio.Writer
	sel      keyFilter
	opts     rdbjson.Options
	buf      []byte
	sum      *rdbSummary
	writeErr error
}

func (h *rdbHandler) Header(magic string, version int) error {
	h.opts.FieldTTLs = rdbjson.FieldTTLsFor(magic, version)
	if h.sum != nil {
		h.sum.magic, h.sum.version = magic, version
	}
	return nil
}

func (h *rdbHandler) Aux(key, value string) error {
	if h.sum != nil {
		h.sum.aux = append(h.sum.aux, rdbload.AuxField{Key: key, Value: value})
	}
	return nil
}

func (h *rdbHandler) SelectDB(int) error { return nil }

func (h *rdbHandler) Function(name string, code []byte) error {
	if h.sum != nil {
		h.sum.functions = append(h.sum.functions, function{name, len(code)})
	}
	return nil
}

func (h *rdbHandler) ModuleAux(raw []byte) error {
	if h.sum != nil {
		h.sum.moduleAux = append(h.sum.moduleAux, raw)
	}
	return nil
}

// WantKey declines the keys the filters leave out, and in summary mode
// every value but module values (whose type name the summary lists):
// declined values are skipped without being decoded.
func (h *rdbHandler) WantKey(db int, key []byte, rdbType byte) bool {
	if !h.sel.keep(db, unsafe.String(unsafe.SliceData(key), len(key))) {
		return false
	}
	return h.sum == nil || rdbType == rdb.TypeModule2
}

func (h *rdbHandler) SkippedKey(db int, key []byte, expire int64, meta rdbload.KeyMeta) error {
	if h.sum == nil {
		return nil
	}
	k := unsafe.String(unsafe.SliceData(key), len(key)) // copied if kept
	if !h.sel.keep(db, k) {
		return nil
	}
	kind, _ := rdbload.KindOf(meta.Type)
	h.sum.add(db, k, kind, expire, meta, "")
	return nil
}

func (h *rdbHandler) Key(db int, key string, e *store.Entry, meta rdbload.KeyMeta) error {
	if !h.sel.keep(db, key) {
		return nil
	}
	if h.sum != nil {
		mod := ""
		if m := e.Module(); m != nil {
			mod = m.TypeName
		}
		h.sum.add(db, key, e.Kind(), e.Expire, meta, mod)
		return nil
	}
	h.buf = rdbjson.AppendKey(h.buf[:0], db, key, e, h.opts)
	if _, err := h.out.Write(h.buf); err != nil {
		h.writeErr = err
		return err
	}
	return nil
}

type function struct {
	name string
	size int
}

// bigKey is one candidate of the biggest-keys list.
type bigKey struct {
	db        int
	key, kind string
	size, off int64
}

// bigKeys is a min-heap on (size, -offset): the smallest kept key first.
type bigKeys []bigKey

func (b bigKeys) Len() int { return len(b) }
func (b bigKeys) Less(i, j int) bool {
	if b[i].size != b[j].size {
		return b[i].size < b[j].size
	}
	return b[i].off > b[j].off
}
func (b bigKeys) Swap(i, j int) { b[i], b[j] = b[j], b[i] }
func (b *bigKeys) Push(x any)   { *b = append(*b, x.(bigKey)) }
func (b *bigKeys) Pop() any {
	old := *b
	x := old[len(old)-1]
	*b = old[:len(old)-1]
	return x
}

type dbStats struct {
	keys, expires int64
	bytes         int64
	byType        map[string]int64
}

type rdbSummary struct {
	magic     string
	version   int
	aux       []rdbload.AuxField
	functions []function
	moduleAux [][]byte
	dbs       map[int]*dbStats
	modules   map[string]int64 // module type name -> keys
	keys      int64
	expires   int64
	keyBytes  int64
	top       int
	big       bigKeys
}

func newRDBSummary(top int) *rdbSummary {
	return &rdbSummary{dbs: map[int]*dbStats{}, modules: map[string]int64{}, top: top}
}

// add counts one key. key may be a view: it is copied when kept.
func (s *rdbSummary) add(db int, key string, kind store.Kind, expire int64, meta rdbload.KeyMeta, module string) {
	st := s.dbs[db]
	if st == nil {
		st = &dbStats{byType: map[string]int64{}}
		s.dbs[db] = st
	}
	kindName := kind.String()
	st.keys++
	st.byType[kindName]++
	st.bytes += meta.Size
	s.keys++
	s.keyBytes += meta.Size
	if expire != 0 {
		st.expires++
		s.expires++
	}
	if module != "" {
		s.modules[module]++
	}
	if s.top == 0 {
		return
	}
	k := bigKey{db: db, kind: kindName, size: meta.Size, off: meta.Offset}
	if len(s.big) < s.top {
		k.key = strings.Clone(key)
		heap.Push(&s.big, k)
		return
	}
	if low := s.big[0]; k.size > low.size {
		k.key = strings.Clone(key)
		s.big[0] = k
		heap.Fix(&s.big, 0)
	}
}

// print writes the summary. info is nil when the decode failed.
func (s *rdbSummary) print(w io.Writer, name string, info *rdbload.Info, elapsed time.Duration, sel keyFilter, failed bool) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if failed {
		p("INCOMPLETE: the decode failed (error below); counts cover the records before the error\n")
	}
	p("file:           %s\n", name)
	if s.magic != "" {
		p("format:         %s%0*d (magic %s, RDB version %d)\n", s.magic, 9-len(s.magic), s.version, s.magic, s.version)
	}
	if info != nil {
		secs := elapsed.Seconds()
		p("bytes:          %d (CRC-64 verified)\n", info.Bytes)
		p("decode time:    %s (%.1f MB/s, %.0f keys/s)\n", elapsed.Round(time.Microsecond),
			float64(info.Bytes)/1e6/max(secs, 1e-9), float64(info.Keys)/max(secs, 1e-9))
	}
	p("aux fields:     %d\n", len(s.aux))
	for _, a := range s.aux {
		p("  %s = %s\n", quoteIfNeeded(a.Key), quoteIfNeeded(a.Value))
	}
	if sel.active() {
		p("selection:      %s\n", sel.describe())
	}
	p("keys:           %d (%d with an expire), %d bytes of key records\n", s.keys, s.expires, s.keyBytes)
	if info != nil && info.EmptySkipped > 0 {
		p("empty keys:     %d skipped (empty collections, as Redis skips them)\n", info.EmptySkipped)
	}
	dbs := slices.Sorted(maps.Keys(s.dbs))
	for _, db := range dbs {
		st := s.dbs[db]
		p("  db %d: %d keys, %d with an expire, %d bytes:", db, st.keys, st.expires, st.bytes)
		for _, t := range slices.Sorted(maps.Keys(st.byType)) {
			p(" %s %d", t, st.byType[t])
		}
		p("\n")
	}
	byType := map[string]int64{}
	for _, st := range s.dbs {
		for t, n := range st.byType {
			byType[t] += n
		}
	}
	p("keys by type:  ")
	if len(byType) == 0 {
		p(" (none)")
	}
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		p(" %s %d", t, byType[t])
	}
	p("\n")
	p("functions:      %d libraries\n", len(s.functions))
	for _, f := range s.functions {
		p("  %s (%d bytes)\n", quoteIfNeeded(f.name), f.size)
	}
	p("module types:   %d\n", len(s.modules))
	for _, m := range slices.Sorted(maps.Keys(s.modules)) {
		p("  %s: %d keys\n", m, s.modules[m])
	}
	p("module aux:     %d records\n", len(s.moduleAux))
	for _, raw := range s.moduleAux {
		p("  %s (%d bytes)\n", moduleAuxName(raw), len(raw))
	}
	if s.top > 0 {
		big := slices.Clone(s.big)
		slices.SortFunc(big, func(a, b bigKey) int {
			if c := cmp.Compare(b.size, a.size); c != 0 {
				return c
			}
			return cmp.Compare(a.off, b.off)
		})
		p("biggest keys:   %d by serialized size (bytes of the record in the file)\n", len(big))
		for i, k := range big {
			p("  %2d. %d bytes  db %d  %s  %s  (offset %d)\n", i+1, k.size, k.db, k.kind, strconv.Quote(k.key), k.off)
		}
	}
}

func (f keyFilter) describe() string {
	var parts []string
	if f.db != -1 {
		parts = append(parts, "db "+strconv.Itoa(f.db))
	}
	if f.prefix != "" {
		parts = append(parts, "key prefix "+strconv.Quote(f.prefix))
	}
	if f.hasMatch {
		parts = append(parts, "keys matching "+strconv.Quote(f.match))
	}
	return strings.Join(parts, ", ")
}

// quoteIfNeeded leaves plain printable text alone and quotes the rest.
func quoteIfNeeded(s string) string {
	if s != "" && rdbjson.Printable([]byte(s)) && !strings.ContainsAny(s, " \"\\") {
		return s
	}
	return strconv.Quote(s)
}

// moduleAuxName names the module of a raw MODULE_AUX record and where
// it is saved (its "when" field).
func moduleAuxName(raw []byte) string {
	id, when, ok := rdb.ModuleAuxHeader(raw)
	if !ok {
		return "?"
	}
	name := rdb.ModuleTypeName(id)
	switch when {
	case rdb.ModuleAuxBeforeRDB:
		return name + ", before the keyspace"
	case rdb.ModuleAuxAfterRDB:
		return name + ", after the keyspace"
	}
	return name
}

// globMatch reports whether s matches the Redis glob pattern as KEYS and
// SCAN MATCH do: "*" matches every key; otherwise the rules of Redis's
// stringmatchlen (* any run, ? any byte, [abc] [^abc] [a-z] classes, \
// escaping the next byte, an unterminated class ending at the end of the
// pattern, and an empty key matching only an empty pattern). Binary-safe;
// backtracks only to the last star, so it runs in O(len(pattern) *
// len(s)) at worst.
func globMatch(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	if s == "" {
		return pattern == ""
	}
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			case '[':
				ok, n := globClass(pattern[px:], s[sx])
				if ok {
					px += n
					sx++
					continue
				}
			case '\\':
				lit, n := c, 1
				if px+1 < len(pattern) {
					lit, n = pattern[px+1], 2
				}
				if s[sx] == lit {
					px += n
					sx++
					continue
				}
			default:
				if s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx < 0 {
			return false
		}
		starSx++
		px, sx = starPx+1, starSx
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// globClass matches c against the class at the start of p (p[0] is '[')
// and returns the pattern bytes the class spans.
func globClass(p string, c byte) (bool, int) {
	i := 1
	not := i < len(p) && p[i] == '^'
	if not {
		i++
	}
	match := false
	for {
		switch {
		case i >= len(p):
			return match != not, len(p)
		case p[i] == '\\' && i+1 < len(p):
			if p[i+1] == c {
				match = true
			}
			i += 2
		case p[i] == ']':
			return match != not, i + 1
		case i+2 < len(p) && p[i+1] == '-':
			lo, hi := p[i], p[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				match = true
			}
			i += 3
		default:
			if p[i] == c {
				match = true
			}
			i++
		}
	}
}
