package main

import (
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/urfave/cli/v2"
)

// Global profiling flags (for benchmarks and bug reports): a CPU profile of
// the whole run and a heap profile taken when the command ends.
func profileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the run to `FILE`", EnvVars: []string{"REDIS_FOLLOWER_CPUPROFILE"}},
		&cli.StringFlag{Name: "memprofile", Usage: "write a heap profile to `FILE` when the command ends", EnvVars: []string{"REDIS_FOLLOWER_MEMPROFILE"}},
	}
}

var cpuProfile *os.File

func startProfiles(c *cli.Context) error {
	path := c.String("cpuprofile")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return usagef("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return usagef("--cpuprofile: %v", err)
	}
	cpuProfile = f
	return nil
}

func stopProfiles(c *cli.Context) error {
	if cpuProfile != nil {
		pprof.StopCPUProfile()
		cpuProfile.Close()
		cpuProfile = nil
	}
	if path := c.String("memprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		runtime.GC()
		return pprof.WriteHeapProfile(f)
	}
	return nil
}
