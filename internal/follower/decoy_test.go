package follower

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// TestDecoy: the handshake a master runs when it fails over to the
// follower gets its replies and PSYNC an error; anything else (what a
// Sentinel sends first) closes the connection unanswered; close joins
// every connection.
func TestDecoy(t *testing.T) {
	d, err := startDecoy("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", d.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		return c, bufio.NewReader(c)
	}
	c, rd := dial()
	for _, step := range []struct{ send, want string }{
		{"*1\r\n$4\r\nPING\r\n", "+PONG\r\n"},
		{"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n", "+OK\r\n"},
		{"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n", "+OK\r\n"},
		{"*4\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n$8\r\nFAILOVER\r\n", "-ERR redis-follower is not a Redis server"},
	} {
		if _, err := io.WriteString(c, step.send); err != nil {
			t.Fatal(err)
		}
		line, err := rd.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, step.want) {
			t.Fatalf("after %q: %q, %v; want %q", step.send, line, err, step.want)
		}
	}
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("the connection stays open after PSYNC (%v)", err)
	}
	c.Close()

	c, rd = dial()
	io.WriteString(c, "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$12\r\nsentinel-cmd\r\n")
	if b, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("a Sentinel's first command got %q (%v); want the connection closed", b, err)
	}
	c.Close()

	idle, _ := dial() // open while the decoy closes
	defer idle.Close()
	d.close()
	if _, err := net.Dial("tcp", d.ln.Addr().String()); err == nil {
		t.Fatal("the decoy still listens after close")
	}
}
