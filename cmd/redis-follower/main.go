// Command redis-follower is a replica of a Redis or Valkey master that is
// not a Redis server: it syncs the master's dataset into an embedded store,
// follows its replication stream, and resumes with a partial resync after
// a dropped link or its own restart.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK     = 0
	exitFatal  = 1 // the follower stopped on an error retrying cannot fix
	exitConfig = 2 // usage or configuration error
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// usageError marks configuration problems (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "redis-follower",
		Usage:     "a replica of a Redis/Valkey master that keeps its copy in an embedded store",
		Version:   version,
		Writer:    stdout,
		ErrWriter: stderr,
		Description: "redis-follower connects to a master as a replica (PSYNC), loads its RDB, applies the live\n" +
			"command stream, and resumes with a partial resync after a dropped link or a restart.\n\n" +
			"Exit codes: 0 clean stop, 1 fatal error (e.g. wrong password), 2 usage or configuration error.",
		Flags:          profileFlags(),
		Before:         startProfiles,
		After:          stopProfiles,
		Commands:       []*cli.Command{syncCommand(), rdbCommand()},
		ExitErrHandler: func(*cli.Context, error) {}, // run() maps errors to exit codes
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).Run(args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "redis-follower:", err)
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		return exitConfig
	}
	return exitFatal
}

// isFlagError recognises urfave/cli's own parse errors.
func isFlagError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "flag provided but not defined") || strings.HasPrefix(s, "invalid value") ||
		strings.Contains(s, "Required flag") || strings.HasPrefix(s, "No help topic")
}

// newLogger builds the process logger from --log-format and --log-level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format: %q is not text or json", format)
}
