package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/redistest"
	"github.com/redis-follower/redis-follower/internal/workload"
)

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sync"}, exitConfig, "missing REDIS_URL"},
		{[]string{"sync", "http://x:1"}, exitConfig, "scheme"},
		{[]string{"sync", "redis://h:99999"}, exitConfig, "not a TCP port"},
		{[]string{"sync", "--no-such-flag", "redis://h:1"}, exitConfig, "flag provided but not defined"},
		{[]string{"sync", "--log-level", "loud", "redis://h:1"}, exitConfig, "--log-level"},
		{[]string{"sync", "--on-unknown", "maybe", "redis://h:1"}, exitConfig, "on-unknown"},
		{[]string{"sync", "--tls-ca", "/nonexistent", "redis://h:1"}, exitConfig, "rediss://"},
		{[]string{"sync", "--password-file", "/nonexistent", "redis://h:1"}, exitConfig, "--password-file"},
		{[]string{"sync", "a", "b"}, exitConfig, "one REDIS_URL"},
		{[]string{"--help"}, exitOK, ""},
		{[]string{"sync", "--help"}, exitOK, ""},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(append([]string{"redis-follower"}, c.args...), &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errb.String(), c.msg)
		}
	}
}

func TestParseMasterURL(t *testing.T) {
	cases := []struct {
		url, addr, user, pass, redacted string
		tls                             bool
	}{
		{"redis://127.0.0.1:7000", "127.0.0.1:7000", "", "", "redis://127.0.0.1:7000", false},
		{"redis://localhost", "localhost:6379", "", "", "redis://localhost:6379", false},
		{"rediss://u:s3cret@h:7001", "h:7001", "u", "s3cret", "rediss://u:***@h:7001", true},
		{"redis://:s3cret@h:7001", "h:7001", "", "s3cret", "redis://***@h:7001", false},
		{"redis://s3cret@h:7001", "h:7001", "", "s3cret", "redis://***@h:7001", false},
		{"redis://[::1]:7002", "[::1]:7002", "", "", "redis://[::1]:7002", false},
	}
	for _, c := range cases {
		m, err := parseMasterURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if m.addr != c.addr || m.user != c.user || m.pass != c.pass || m.redactedForm != c.redacted || m.tls != c.tls {
			t.Errorf("%s: got %+v", c.url, *m)
		}
		if strings.Contains(m.redactedForm, "s3cret") {
			t.Errorf("%s: redacted form leaks the password", c.url)
		}
	}
}

// buildBinary compiles the command once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "redis-follower")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan struct{}
}

func startBinary(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("process still running after %v; stderr:\n%s", timeout, p.stderr.String())
	}
	return -1
}

// replicaOnline reports whether the master sees a caught-up replica.
func replicaOnline(m *redistest.Server) bool {
	v := m.Info("replication", "slave0")
	return strings.Contains(v, "state=online") && strings.Contains(v, "offset="+m.Info("replication", "master_repl_offset")+",")
}

// TestBinarySignalsRestartAndSecrets runs the real binary: it syncs, stops
// with exit code 0 on SIGTERM writing dump.rdb, resumes with a partial
// resync after a restart, stops on SIGINT, and never prints the password.
func TestBinarySignalsRestartAndSecrets(t *testing.T) {
	bin := buildBinary(t)
	const secret = "pa55-w0rd-never-printed"
	m := redistest.Start(t, "--requirepass", secret)
	if err := workload.Fill(context.Background(), m.Client, workload.FillOptions{Scale: 300}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(secret+"\n"), 0o600)
	args := []string{"sync", "--dir", dir, "--password-file", pwFile, "--log-format", "json", "redis://" + m.Addr}

	p := startBinary(t, bin, nil, args...)
	redistest.WaitFor(t, 30*time.Second, "the follower online", func() bool { return replicaOnline(m) })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM; stderr:\n%s", code, p.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatalf("no dump.rdb: %v", err)
	}
	m.Client.Set(context.Background(), "while-down", "1", 0)

	p2 := startBinary(t, bin, []string{"REDIS_FOLLOWER_LOG_LEVEL=debug"}, args...)
	redistest.WaitFor(t, 30*time.Second, "the follower online again", func() bool { return replicaOnline(m) })
	if full, partial := m.InfoInt("stats", "sync_full"), m.InfoInt("stats", "sync_partial_ok"); full != 1 || partial != 1 {
		t.Fatalf("sync_full=%d sync_partial_ok=%d, want 1 and 1", full, partial)
	}
	p2.cmd.Process.Signal(syscall.SIGINT)
	if code := p2.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGINT; stderr:\n%s", code, p2.stderr)
	}
	for _, out := range []string{p.stderr.String(), p2.stderr.String()} {
		if strings.Contains(out, secret) {
			t.Fatalf("the password appears in the logs:\n%s", out)
		}
	}
	if !strings.Contains(p2.stderr.String(), `"partial resync"`) {
		t.Fatalf("the restart did not log a partial resync:\n%s", p2.stderr)
	}
}

// TestBinaryWrongPassword exits 1 with a plain message.
func TestBinaryWrongPassword(t *testing.T) {
	bin := buildBinary(t)
	m := redistest.Start(t, "--requirepass", "the-right-one")
	p := startBinary(t, bin, []string{"REDIS_FOLLOWER_PASSWORD=the-wrong-one"}, "sync", "--dir", t.TempDir(), "redis://"+m.Addr)
	if code := p.wait(t, 15*time.Second); code != exitFatal {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitFatal, p.stderr)
	}
	if out := p.stderr.String(); !strings.Contains(out, "authentication failed") || strings.Contains(out, "the-wrong-one") {
		t.Fatalf("stderr should say authentication failed without the password:\n%s", out)
	}
}
