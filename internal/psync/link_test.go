package psync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// fakeMaster is a scripted master on a loopback listener: it answers the
// handshake, then writes a prepared byte sequence in chunks of a chosen
// size, and records every command the replica sends.
type fakeMaster struct {
	t     *testing.T
	ln    net.Listener
	after []byte // written after the PSYNC reply line
	chunk int    // write size for after (0: all at once)
	psync string // reply line to PSYNC
	cmds  chan []string
}

func newFakeMaster(t *testing.T, psyncReply string, after []byte, chunk int) *fakeMaster {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fm := &fakeMaster{t: t, ln: ln, after: after, chunk: chunk, psync: psyncReply, cmds: make(chan []string, 100)}
	go fm.serve()
	t.Cleanup(func() { ln.Close() })
	return fm
}

func (fm *fakeMaster) serve() {
	c, err := fm.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	rd := resp.NewReader(c, 4096, resp.DefaultLimits)
	for {
		args, _, err := rd.ReadCommand()
		if err != nil {
			close(fm.cmds)
			return
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		fm.cmds <- cmd
		switch strings.ToUpper(cmd[0]) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "REPLCONF":
			if strings.EqualFold(cmd[1], "ACK") {
				continue // no reply to ACKs
			}
			c.Write([]byte("+OK\r\n"))
		case "PSYNC":
			// Keepalives first, as a master waiting for BGSAVE sends.
			c.Write([]byte("\n\n" + fm.psync + "\r\n"))
			if fm.chunk <= 0 {
				c.Write(fm.after)
				continue
			}
			for i := 0; i < len(fm.after); i += fm.chunk {
				c.Write(fm.after[i:min(i+fm.chunk, len(fm.after))])
			}
		}
	}
}

func stream(cmds ...[]string) []byte {
	var b []byte
	for _, c := range cmds {
		b = resp.AppendCommandStrings(b, c...)
	}
	return b
}

// TestLinkFullSyncFraming: H15/H16/R1/R2 — preamble, payload and the first
// stream commands arrive intact and with exact sizes whether they come in
// one segment or one byte at a time, for both payload framings.
func TestLinkFullSyncFraming(t *testing.T) {
	payload := bytes.Repeat([]byte("RDBPAYLOAD"), 3000)
	mark := strings.Repeat("c", 40)
	cmds := stream([]string{"SELECT", "0"}, []string{"SET", "k", "v"}, []string{"REPLCONF", "GETACK", "*"})
	framings := map[string][]byte{
		"length":   append(append([]byte("\n\n$30000\r\n"), payload...), cmds...),
		"eof-mark": append(append(append([]byte("$EOF:"+mark+"\r\n"), payload...), mark...), cmds...),
	}
	for name, after := range framings {
		for _, chunk := range []int{0, 1, 7, 4096} {
			t.Run(name+"/chunk="+strconv.Itoa(chunk), func(t *testing.T) {
				fm := newFakeMaster(t, "+FULLRESYNC "+id1+" 1000", after, chunk)
				l, err := Dial(context.Background(), LinkConfig{Addr: fm.ln.Addr().String(), IdleTimeout: 5 * time.Second}, "", 0)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				if !l.Result.Full || l.Result.ReplID != id1 || l.Result.Offset != 1000 {
					t.Fatalf("result %+v", l.Result)
				}
				r, pre, err := l.Payload()
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("payload: %d bytes, err %v (preamble %+v)", len(got), err, pre)
				}
				wantSizes := []int{23, 27, 37}
				for i, want := range wantSizes {
					args, n, err := l.ReadCommand()
					if err != nil || n != want {
						t.Fatalf("command %d: %q size %d err %v", i, args, n, err)
					}
				}
				// The handshake went out in the documented order.
				var sent []string
				for i := 0; i < 4; i++ {
					sent = append(sent, strings.Join(<-fm.cmds, " "))
				}
				want := []string{"PING", "REPLCONF listening-port 0", "REPLCONF capa eof capa psync2", "PSYNC ? -1"}
				if strings.Join(sent, "|") != strings.Join(want, "|") {
					t.Fatalf("sent %q, want %q", sent, want)
				}
			})
		}
	}
}

// TestLinkAcks: StartAcks sends REPLCONF ACK at once and periodically;
// nothing else is written after PSYNC.
func TestLinkAcks(t *testing.T) {
	fm := newFakeMaster(t, "+CONTINUE "+id2, nil, 0)
	l, err := Dial(context.Background(), LinkConfig{Addr: fm.ln.Addr().String()}, id1, 41)
	if err != nil {
		t.Fatal(err)
	}
	if l.Result.Full || l.Result.ReplID != id2 || !l.Result.IDChanged || l.Result.Offset != 41 {
		t.Fatalf("result %+v", l.Result)
	}
	for i := 0; i < 4; i++ {
		<-fm.cmds // handshake
	}
	l.StartAcks(20*time.Millisecond, func() int64 { return 41 })
	for i := 0; i < 3; i++ {
		select {
		case c := <-fm.cmds:
			if strings.Join(c, " ") != "REPLCONF ACK 41" {
				t.Fatalf("replica sent %q after PSYNC", c)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("no ACK")
		}
	}
	l.Close()
}

func TestDialErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := Dial(context.Background(), LinkConfig{Addr: addr, DialTimeout: time.Second}, "", 0)
	if err == nil || ClassOf(err) != Transient || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("unreachable: %v", err)
	}
	// A master that never answers: the idle timeout ends the handshake.
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln2.Close()
	go func() {
		c, err := ln2.Accept()
		if err == nil {
			time.Sleep(2 * time.Second)
			c.Close()
		}
	}()
	start := time.Now()
	_, err = Dial(context.Background(), LinkConfig{Addr: ln2.Addr().String(), IdleTimeout: 200 * time.Millisecond}, "", 0)
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("silent master: %v after %v", err, time.Since(start))
	}
	// Cancelling the context aborts the handshake.
	ln3, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln3.Close()
	go func() {
		c, err := ln3.Accept()
		if err == nil {
			time.Sleep(2 * time.Second)
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, LinkConfig{Addr: ln3.Addr().String()}, "", 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled dial: %v", err)
	}
}

// FuzzHandshakeReply: no reply line, however hostile, panics the handshake
// state machine or the preamble parser.
func FuzzHandshakeReply(f *testing.F) {
	for _, s := range []string{"+PONG", "-NOAUTH x", "+FULLRESYNC " + id1 + " 5", "+CONTINUE", "$EOF:" + strings.Repeat("a", 40), "$12", "-ERR", "\x00\xff"} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, line []byte, step uint8) {
		h := NewHandshake(HandshakeConfig{Password: "p"}, id1, 9)
		for i := 0; i < int(step%8); i++ {
			h.Reply([]byte("+OK"))
		}
		h.Reply(line)
		ParsePreamble(line)
	})
}
