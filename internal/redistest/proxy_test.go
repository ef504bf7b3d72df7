package redistest

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// byteServer serves each connection the given bytes, written in chunks
// of chunk bytes, then keeps the connection open until the client closes.
func byteServer(t *testing.T, data []byte, chunk int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for i := 0; i < len(data); i += chunk {
					c.Write(data[i:min(i+chunk, len(data))])
					time.Sleep(time.Millisecond)
				}
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func readUntilClosed(t *testing.T, addr string, want int) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < want {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	return got
}

func testData() []byte {
	var b []byte
	for i := 0; i < 2000; i++ {
		b = append(b, byte('a'+i%26))
	}
	return append(append(b, "<<MARK>>"...), bytes.Repeat([]byte("z"), 1000)...)
}

func TestProxyCutAndCorruptAtPattern(t *testing.T) {
	data := testData()
	mark := bytes.Index(data, []byte("<<MARK>>"))
	p := NewProxy(t, byteServer(t, data, 7)) // the pattern straddles reads

	fired := p.CutAt([]byte("<<MARK>>"), 3)
	if got := readUntilClosed(t, p.Addr, len(data)); !bytes.Equal(got, data[:mark+3]) {
		t.Fatalf("cut: got %d bytes, want %d", len(got), mark+3)
	}
	<-fired
	p.CorruptAt([]byte("<<MARK>>"), 2)
	got := readUntilClosed(t, p.Addr, len(data))
	want := append([]byte(nil), data...)
	want[mark+2] ^= 0xFF
	if !bytes.Equal(got, want) {
		t.Fatal("corrupt: wrong bytes")
	}
	// One-shot: the next connection is clean.
	if got := readUntilClosed(t, p.Addr, len(data)); !bytes.Equal(got, data) {
		t.Fatal("a fired rule acted again")
	}
	p.CutNextAfter(10)
	p.CorruptNextAt(4)
	got = readUntilClosed(t, p.Addr, len(data))
	if len(got) != 10 || got[4] != data[4]^0xFF {
		t.Fatalf("cut-next/corrupt-next: %q", got)
	}
}

func TestProxyStallResumeAndRetarget(t *testing.T) {
	data := testData()
	p := NewProxy(t, byteServer(t, data, 500))
	p.StallAt([]byte("<<MARK>>"), 0)
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mark := bytes.Index(data, []byte("<<MARK>>"))
	buf := make([]byte, len(data))
	n, _ := io.ReadFull(c, buf[:mark])
	if n != mark {
		t.Fatalf("read %d before the stall point", n)
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := c.Read(buf); n != 0 {
		t.Fatalf("read %d bytes while stalled", n)
	}
	p.Resume()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := io.ReadFull(c, buf[mark:]); err != nil || n != len(data)-mark {
		t.Fatalf("after resume: %d %v", n, err)
	}
	other := byteServer(t, []byte("other"), 5)
	p.SetTarget(other)
	if got := readUntilClosed(t, p.Addr, 5); string(got) != "other" {
		t.Fatalf("retarget: %q", got)
	}
}
