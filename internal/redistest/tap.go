package redistest

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// Tap is a minimal replica for tests: it full-syncs from a master
// (discarding the RDB payload), then hands out the replicated commands
// exactly as the master propagates them. It ACKs every 100ms so the master
// streams to it and keeps it online. It is a test instrument, not the
// follower's protocol implementation (that is internal/psync).
type Tap struct {
	t      testing.TB
	conn   net.Conn
	rd     *resp.Reader
	mu     sync.Mutex
	offset int64 // offset of the last byte handed out
	stop   chan struct{}
	done   chan struct{}
}

// NewTap connects to s as a replica and reads past the full-sync payload.
func NewTap(t testing.TB, s *Server) *Tap {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("tap dial: %v", err)
	}
	tp := &Tap{t: t, conn: conn, rd: resp.NewReader(conn, 64<<10, resp.DefaultLimits), stop: make(chan struct{}), done: make(chan struct{})}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	for _, cmd := range [][]string{{"PING"}, {"REPLCONF", "listening-port", "0"}, {"REPLCONF", "capa", "eof", "capa", "psync2"}} {
		conn.Write(resp.AppendCommandStrings(nil, cmd...))
		line := tp.line()
		if strings.HasPrefix(line, "-") && cmd[0] == "PING" {
			t.Fatalf("tap: %s -> %s", cmd, line)
		}
	}
	conn.Write(resp.AppendCommandStrings(nil, "PSYNC", "?", "-1"))
	line := tp.line()
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "+FULLRESYNC" {
		t.Fatalf("tap: PSYNC reply %q", line)
	}
	tp.offset, _ = strconv.ParseInt(f[2], 10, 64)
	pre := tp.line()
	if mark, ok := strings.CutPrefix(pre, "$EOF:"); ok {
		tp.skipToMark([]byte(mark))
	} else if n, err := strconv.Atoi(strings.TrimPrefix(pre, "$")); err == nil && strings.HasPrefix(pre, "$") {
		if err := tp.rd.Discard(n); err != nil {
			t.Fatalf("tap: payload: %v", err)
		}
	} else {
		t.Fatalf("tap: payload preamble %q", pre)
	}
	conn.SetDeadline(time.Time{})
	go tp.acker()
	t.Cleanup(tp.Close)
	return tp
}

func (tp *Tap) line() string {
	for {
		l, err := tp.rd.ReadLine()
		if err != nil {
			tp.t.Fatalf("tap: read: %v", err)
		}
		if len(l) > 0 {
			return string(l)
		}
	}
}

func (tp *Tap) skipToMark(mark []byte) {
	var win []byte
	buf := make([]byte, 1)
	for {
		if _, err := io.ReadFull(tp.rd, buf); err != nil {
			tp.t.Fatalf("tap: payload: %v", err)
		}
		win = append(win, buf[0])
		if len(win) > len(mark) {
			win = win[1:]
		}
		if string(win) == string(mark) {
			return
		}
	}
}

func (tp *Tap) acker() {
	defer close(tp.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		tp.mu.Lock()
		off := tp.offset
		tp.mu.Unlock()
		if _, err := tp.conn.Write(resp.AppendCommandStrings(nil, "REPLCONF", "ACK", strconv.FormatInt(off, 10))); err != nil {
			return
		}
		select {
		case <-tp.stop:
			return
		case <-tick.C:
		}
	}
}

// Next returns the next propagated command (a copy) and its size on the
// wire. It fails the test after timeout.
func (tp *Tap) Next(timeout time.Duration) ([][]byte, int) {
	tp.t.Helper()
	tp.conn.SetReadDeadline(time.Now().Add(timeout))
	args, n, err := tp.rd.ReadCommand()
	if err != nil {
		tp.t.Fatalf("tap: next command: %v", err)
	}
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte(nil), a...)
	}
	tp.mu.Lock()
	tp.offset += int64(n)
	tp.mu.Unlock()
	return out, n
}

// Offset returns the master offset of the last byte handed out.
func (tp *Tap) Offset() int64 {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.offset
}

// Drain returns every command until the tap's offset reaches the master's
// current master_repl_offset (read once at the call).
func (tp *Tap) Drain(s *Server, timeout time.Duration) [][][]byte {
	tp.t.Helper()
	target := s.MasterOffset()
	var out [][][]byte
	for tp.Offset() < target {
		args, _ := tp.Next(timeout)
		out = append(out, args)
	}
	return out
}

// Close disconnects the tap.
func (tp *Tap) Close() {
	select {
	case <-tp.stop:
		return
	default:
	}
	close(tp.stop)
	tp.conn.Close()
	<-tp.done
}

// String describes a command for diagnostics.
func CommandString(args [][]byte) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(parts, " ")
}
