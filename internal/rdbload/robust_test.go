package rdbload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

var long = flag.Bool("long", false, "run the exhaustive variants (1000 corruptions and truncations per fixture)")

// corruptionCases is N of "N random single-byte corruptions and N random
// truncations per fixture".
func corruptionCases() int {
	switch {
	case *long:
		return 1000
	case raceEnabled:
		return 10
	}
	return 30
}

// TestCorruptFixtures: every random single-byte corruption and every
// random truncation of every fixture must return an error (a CRC mismatch
// at the latest), of a known class, without panicking, hanging or
// allocating without bound.
func TestCorruptFixtures(t *testing.T) {
	n := corruptionCases()
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			orig, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(len(orig)), 1))
			classes := map[string]int{}
			buf := make([]byte, len(orig))
			for i := 0; i < n; i++ {
				copy(buf, orig)
				pos := rng.IntN(len(buf))
				buf[pos] ^= byte(1 + rng.IntN(255))
				if binary.LittleEndian.Uint64(buf[len(buf)-8:]) == 0 {
					continue // the corruption zeroed the CRC: "checksum off", a valid file
				}
				classes[decodeMustFail(t, buf, "corrupting byte", pos)]++

				cut := rng.IntN(len(orig))
				if decodeMustFail(t, orig[:cut], "truncating at", cut) != "truncated" {
					t.Errorf("truncation at %d not reported as io.ErrUnexpectedEOF", cut)
				}
			}
			t.Logf("%d corruptions by class: %v", n, classes)
		})
	}
}

// decodeMustFail decodes b, which must fail, and returns the error class.
func decodeMustFail(t *testing.T, b []byte, what string, at int) string {
	t.Helper()
	done := make(chan error, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- errors.New("PANIC")
				t.Errorf("%s %d: panic: %v", what, at, p)
			}
		}()
		_, _, err := Load(bytes.NewReader(b), Options{})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s %d: decode hangs", what, at)
	}
	runtime.ReadMemStats(&after)
	// Other parallel subtests allocate too; this only catches runaway
	// allocations (gigabytes from a corrupt length).
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
		t.Errorf("%s %d: %d MB allocated while decoding a %d-byte input", what, at, alloc>>20, len(b))
	}
	switch {
	case err == nil:
		t.Errorf("%s %d: decoded without an error", what, at)
		return "none"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case errors.Is(err, ErrCorrupt):
		var e *Error
		if errors.As(err, &e) && len(e.Msg) > 12 && e.Msg[:12] == "CRC-64 misma" {
			return "crc"
		}
		return "corrupt"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	}
	t.Errorf("%s %d: error of no known class: %v", what, at, err)
	return "other"
}

// TestTruncateEverywhere cuts a small fixture-like file at every offset.
func TestTruncateEverywhere(t *testing.T) {
	seeds, err := filepath.Glob("testdata/seeds/*.rdb")
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seed RDBs in testdata/seeds: %v", err)
	}
	for _, f := range seeds {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(bytes.NewReader(b), Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		step := 1
		if !*long {
			step = max(1, len(b)/300)
		}
		for cut := 0; cut < len(b); cut += step {
			if _, _, err := Load(bytes.NewReader(b[:cut]), Options{}); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s cut at %d: %v", f, cut, err)
			}
		}
	}
}
