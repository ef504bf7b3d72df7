package rdbload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/store"
)

// recorder is a Handler (and HeaderHandler, Resizer) that fills a store
// and logs every call, so two decodes can be compared call by call.
type recorder struct {
	loader
	calls []string
	// failAt, when > 0, makes the failAt-th call fail.
	failAt int
}

var errRefused = errors.New("refused by the test handler")

func newRecorder() *recorder {
	r := &recorder{loader: loader{s: store.New()}}
	r.cur = r.s.DB(0)
	return r
}

func (r *recorder) log(format string, args ...any) error {
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
	if r.failAt > 0 && len(r.calls) == r.failAt {
		return errRefused
	}
	return nil
}

func (r *recorder) Header(magic string, version int) error {
	return r.log("header %s %d", magic, version)
}

func (r *recorder) Aux(k, v string) error { return r.log("aux %q %q", k, v) }

func (r *recorder) SelectDB(db int) error {
	if err := r.log("select %d", db); err != nil {
		return err
	}
	return r.loader.SelectDB(db)
}

func (r *recorder) Function(name string, code []byte) error {
	if err := r.log("function %s %q", name, code); err != nil {
		return err
	}
	return r.loader.Function(name, code)
}

func (r *recorder) ModuleAux(raw []byte) error {
	if err := r.log("moduleaux %x", raw); err != nil {
		return err
	}
	return r.loader.ModuleAux(raw)
}

func (r *recorder) ResizeDB(db int, keys uint64) {
	_ = r.log("resize %d %d", db, keys)
	r.loader.ResizeDB(db, keys)
}

func (r *recorder) Key(db int, key string, e *store.Entry, meta KeyMeta) error {
	if err := r.log("key %d %q exp=%d %s meta=%+v", db, key, e.Expire, e.Kind(), meta); err != nil {
		return err
	}
	return r.loader.Key(db, key, e, meta)
}

// decodeBoth decodes data sequentially and with parallel workers (small
// batches, to cross their boundaries) and fails the test unless both
// make the same calls and end the same way. It returns the sequential
// error.
func decodeBoth(t *testing.T, data []byte, name string, failAt int, sameErr bool) error {
	t.Helper()
	seq, par := newRecorder(), newRecorder()
	seq.failAt, par.failAt = failAt, failAt
	var progSeq, progPar []string
	every := int64(1 + len(data)/7) // a few calls per input
	sinfo, serr := Decode(bytes.NewReader(data), seq, Options{Workers: 1, progressEvery: every,
		Progress: func(off, keys int64) { progSeq = append(progSeq, fmt.Sprint(off, keys)) }})
	pinfo, perr := Decode(bytes.NewReader(data), par, Options{Workers: 3, batchRecs: 1 + len(data)%5,
		progressEvery: every, Progress: func(off, keys int64) { progPar = append(progPar, fmt.Sprint(off, keys)) }})
	if (serr == nil) != (perr == nil) {
		t.Fatalf("%s: sequential error %v, parallel error %v", name, serr, perr)
	}
	if perr != nil {
		if !errors.Is(perr, errRefused) {
			checkErr(t, perr)
		}
		if sameErr && serr.Error() != perr.Error() {
			t.Fatalf("%s: errors differ:\nsequential: %v\nparallel:   %v", name, serr, perr)
		}
		if !errors.Is(perr, errRefused) && classOf(serr) != classOf(perr) {
			t.Fatalf("%s: error classes differ:\nsequential: %v\nparallel:   %v", name, serr, perr)
		}
		// The parallel decode made the calls the sequential one made
		// before its error (the splitter may stop at a different record
		// of a corrupt input, never past a call the other did not make).
		n := min(len(seq.calls), len(par.calls))
		if a, b := strings.Join(seq.calls[:n], "\n"), strings.Join(par.calls[:n], "\n"); a != b {
			t.Fatalf("%s: calls before the error differ:\n%s", name, diffContext(b, a))
		}
		return serr
	}
	if a, b := strings.Join(seq.calls, "\n"), strings.Join(par.calls, "\n"); a != b {
		t.Fatalf("%s: calls differ:\n%s", name, diffContext(b, a))
	}
	if a, b := render(seq.s), render(par.s); a != b {
		t.Fatalf("%s: stores differ:\n%s", name, diffContext(b, a))
	}
	if fmt.Sprintf("%+v", *sinfo) != fmt.Sprintf("%+v", *pinfo) {
		t.Fatalf("%s: Info differs:\nsequential %+v\nparallel   %+v", name, *sinfo, *pinfo)
	}
	if len(data) > 100 && len(progSeq) == 0 {
		t.Fatalf("%s: no progress call", name)
	}
	if a, b := strings.Join(progSeq, ","), strings.Join(progPar, ","); a != b {
		t.Fatalf("%s: progress calls (offset keys) differ:\nsequential %s\nparallel   %s", name, a, b)
	}
	return nil
}

func classOf(err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case errors.Is(err, ErrCorrupt):
		return "corrupt"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	}
	return "other"
}

// TestParallelMatchesSequential: every fixture and seed decodes to the
// same handler calls, store and Info through the parallel decoders as
// sequentially; a handler refusing any call stops both at the same
// record with the same error.
func TestParallelMatchesSequential(t *testing.T) {
	for name, data := range inputs(t) {
		if err := decodeBoth(t, data, name, 0, true); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rec := newRecorder()
		if _, err := Decode(bytes.NewReader(data), rec, Options{Workers: 1}); err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{1, 2, len(rec.calls) / 2, len(rec.calls)} {
			if at < 1 || strings.HasPrefix(rec.calls[at-1], "resize") {
				continue // ResizeDB cannot refuse
			}
			if err := decodeBoth(t, data, fmt.Sprintf("%s refusing call %d", name, at), at, true); !errors.Is(err, errRefused) {
				t.Fatalf("%s refusing call %d: %v", name, at, err)
			}
		}
	}
}

// TestParallelCorrupt: corruptions and truncations of every fixture fail
// in parallel as sequentially (same class, same calls before the error;
// a truncation the same error).
func TestParallelCorrupt(t *testing.T) {
	n := corruptionCases()
	for name, orig := range inputs(t) {
		rng := rand.New(rand.NewPCG(uint64(len(orig)), 7))
		buf := make([]byte, len(orig))
		for i := 0; i < n; i++ {
			copy(buf, orig)
			pos := rng.IntN(len(buf))
			buf[pos] ^= byte(1 + rng.IntN(255))
			decodeBoth(t, buf, fmt.Sprintf("%s corrupting byte %d", name, pos), 0, true)
			cut := rng.IntN(len(orig))
			if err := decodeBoth(t, orig[:cut], fmt.Sprintf("%s cut at %d", name, cut), 0, true); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s cut at %d: %v", name, cut, err)
			}
		}
	}
}

// TestParallelAllocs: splitting costs no allocation per record — a
// parallel decode allocates what a sequential one does plus a few per
// batch (the values are the same allocations either way).
func TestParallelAllocs(t *testing.T) {
	f := fileOf(t, "mixed", mixedStore(5000))
	allocs := func(workers int) float64 {
		return testing.AllocsPerRun(2, func() {
			if _, err := Decode(bytes.NewReader(f.data), &collectNothing{}, Options{Workers: workers}); err != nil {
				t.Fatal(err)
			}
		})
	}
	seq, par := allocs(1), allocs(2)
	batches := float64(len(f.data))/batchBytes + float64(f.keys)/maxBatchRecs + 1
	if limit := seq + 40*batches + 100; par > limit {
		t.Fatalf("parallel decode: %.0f allocations, sequential %.0f (limit %.0f for %.0f batches of %d keys)", par, seq, limit, batches, f.keys)
	}
	t.Logf("%d keys: %.0f allocations sequentially, %.0f in parallel", f.keys, seq, par)
}
