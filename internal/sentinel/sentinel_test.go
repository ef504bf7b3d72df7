package sentinel

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// fakeSentinel answers like a sentinel that monitors "mymaster" at addr,
// requires password pw when set, and publishes the switches sent on pub.
type fakeSentinel struct {
	ln   net.Listener
	addr string
	pw   string
	pub  chan string
	seen chan []string
}

func newFake(t *testing.T, masterAddr, pw string) *fakeSentinel {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSentinel{ln: ln, addr: masterAddr, pw: pw, pub: make(chan string, 4), seen: make(chan []string, 32)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeSentinel) serve(c net.Conn) {
	defer c.Close()
	rd := resp.NewReader(c, 4096, resp.DefaultLimits)
	authed := s.pw == ""
	for {
		args, _, err := rd.ReadCommand()
		if err != nil {
			return
		}
		var strs []string
		for _, a := range args {
			strs = append(strs, string(a))
		}
		s.seen <- strs
		switch strings.ToUpper(strs[0]) {
		case "AUTH":
			if strs[len(strs)-1] == s.pw {
				authed = true
				c.Write([]byte("+OK\r\n"))
			} else {
				c.Write([]byte("-WRONGPASS invalid username-password pair\r\n"))
			}
		case "SENTINEL":
			if !authed {
				c.Write([]byte("-NOAUTH Authentication required.\r\n"))
				continue
			}
			if strs[2] != "mymaster" {
				c.Write([]byte("*-1\r\n"))
				continue
			}
			host, port, _ := net.SplitHostPort(s.addr)
			c.Write(resp.AppendCommandStrings(nil, host, port))
		case "SUBSCRIBE":
			c.Write([]byte("*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n"))
			go func() {
				for m := range s.pub {
					c.Write(resp.AppendCommandStrings(nil, "message", "+switch-master", m))
				}
			}()
		case "PING":
			c.Write([]byte("*2\r\n$4\r\npong\r\n$0\r\n\r\n"))
		}
	}
}

func client(t *testing.T, cfg Config) *Client {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(cfg, nil)
}

func TestMasterAddrAsksInTurnAndPromotes(t *testing.T) {
	good := newFake(t, "10.0.0.7:6380", "s3cret")
	c := client(t, Config{Addrs: []string{"127.0.0.1:1", good.ln.Addr().String()}, Master: "mymaster", Password: "s3cret", Timeout: time.Second})
	addr, err := c.MasterAddr(context.Background())
	if err != nil || addr != "10.0.0.7:6380" {
		t.Fatalf("got %q, %v", addr, err)
	}
	if c.sentinels()[0] != good.ln.Addr().String() {
		t.Fatal("the sentinel that answered is not asked first next time")
	}
	wrong := client(t, Config{Addrs: []string{good.ln.Addr().String()}, Master: "mymaster", Password: "nope"})
	if _, err := wrong.MasterAddr(context.Background()); err == nil || !strings.Contains(err.Error(), "AUTH") || strings.Contains(err.Error(), "nope") {
		t.Fatalf("wrong password: %v", err)
	}
	other := client(t, Config{Addrs: []string{good.ln.Addr().String()}, Master: "other", Password: "s3cret"})
	if _, err := other.MasterAddr(context.Background()); err == nil || !strings.Contains(err.Error(), "does not monitor") {
		t.Fatalf("unknown master: %v", err)
	}
}

func TestWatchReportsSwitches(t *testing.T) {
	s := newFake(t, "10.0.0.7:6380", "")
	c := client(t, Config{Addrs: []string{s.ln.Addr().String()}, Master: "mymaster", PingInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Switch, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Watch(ctx, func(sw Switch) { got <- sw })
	}()
	s.pub <- "othermaster 1.1.1.1 1 2.2.2.2 2"
	s.pub <- "mymaster 10.0.0.7 6380 10.0.0.8 6381"
	select {
	case sw := <-got:
		if sw != (Switch{Master: "mymaster", OldAddr: "10.0.0.7:6380", NewAddr: "10.0.0.8:6381"}) {
			t.Fatalf("got %+v", sw)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no switch reported")
	}
	// A quiet link is PINGed.
	deadline := time.After(5 * time.Second)
	for pinged := false; !pinged; {
		select {
		case cmd := <-s.seen:
			pinged = cmd[0] == "PING"
		case <-deadline:
			t.Fatal("no PING on a quiet link")
		}
	}
	cancel()
	<-done
	select {
	case sw := <-got:
		t.Fatalf("unexpected switch %+v", sw)
	default:
	}
}

func TestValidate(t *testing.T) {
	for _, cfg := range []Config{{}, {Addrs: []string{"x"}, Master: "m"}, {Addrs: []string{"h:1"}}} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "*99999999\r\n", "$99999999999\r\n", "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readReply(bufio.NewReader(bytes.NewReader(b)), 0)
	})
}
