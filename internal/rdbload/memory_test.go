package rdbload

import (
	"bytes"
	"flag"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"
)

// Memory probe (opt-in): the live heap a loaded store needs, and where it
// goes. Give it any RDB file (e.g. a stock server's dump of the benchmark
// dataset):
//
//	go test -run TestLoadMemory -v ./internal/rdbload/ -args -mem.rdb /path/dump.rdb [-mem.profile heap.pprof]
var (
	memRDB     = flag.String("mem.rdb", "", "TestLoadMemory: RDB file to load and measure")
	memProfile = flag.String("mem.profile", "", "TestLoadMemory: write a heap profile of the loaded store here")
)

func TestLoadMemory(t *testing.T) {
	if *memRDB == "" {
		t.Skip("opt-in: -mem.rdb FILE")
	}
	data, err := os.ReadFile(*memRDB)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	st, info, err := Load(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	loadTime := time.Since(t0)
	runtime.ReadMemStats(&after)
	allocs, allocBytes := after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc
	gcs := after.NumGC - before.NumGC
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("%d keys from %d MB in %v (%d GCs): %d allocations, %d MB allocated; live heap %d MB (%d objects)",
		info.Keys, len(data)>>20, loadTime.Round(time.Millisecond), gcs, allocs, allocBytes>>20,
		(after.HeapAlloc-before.HeapAlloc)>>20, after.HeapObjects-before.HeapObjects)
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	runtime.KeepAlive(st)
}

// memFile reads the -mem.rdb file, or skips the benchmark without one.
func memFile(b *testing.B) []byte {
	if *memRDB == "" {
		b.Skip("opt-in: -mem.rdb FILE")
	}
	data, err := os.ReadFile(*memRDB)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeFile decodes the -mem.rdb file (values built and
// discarded), for profiling a real dataset: with the default value
// decoders, sequentially, and with 2 and 4.
func BenchmarkDecodeFile(b *testing.B) {
	data := memFile(b)
	for _, w := range []int{0, 1, 2, 4} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(data), &collectNothing{}, Options{Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadFile loads the -mem.rdb file into a store.
func BenchmarkLoadFile(b *testing.B) {
	data := memFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Load(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
