package resp

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func cmds() [][][]byte {
	big := bytes.Repeat([]byte("x"), 70000)
	return [][][]byte{
		{[]byte("SELECT"), []byte("0")},
		{[]byte("SET"), []byte("k"), []byte("v")},
		{[]byte("set"), []byte("bin\r\n\x00key"), []byte("")},
		{[]byte("PING")},
		{[]byte("RPUSH"), []byte("l"), big, []byte("y")},
		{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")},
	}
}

func encodeAll(cs [][][]byte) []byte {
	var b []byte
	for _, c := range cs {
		b = AppendCommand(b, c...)
	}
	return b
}

func readAll(t *testing.T, r io.Reader, bufSize int) ([][][]byte, []int) {
	t.Helper()
	rd := NewReader(r, bufSize, DefaultLimits)
	var got [][][]byte
	var sizes []int
	for {
		args, n, err := rd.ReadCommand()
		if err == io.EOF {
			return got, sizes
		}
		if err != nil {
			t.Fatalf("ReadCommand: %v", err)
		}
		cp := make([][]byte, len(args))
		for i, a := range args {
			cp[i] = append([]byte(nil), a...)
		}
		got = append(got, cp)
		sizes = append(sizes, n)
	}
}

func check(t *testing.T, want, got [][][]byte, sizes []int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d commands, want %d", len(got), len(want))
	}
	for i := range want {
		if n := len(AppendCommand(nil, want[i]...)); sizes[i] != n {
			t.Fatalf("command %d: size %d want %d", i, sizes[i], n)
		}
		for j := range want[i] {
			if !bytes.Equal(want[i][j], got[i][j]) {
				t.Fatalf("command %d arg %d differs", i, j)
			}
		}
	}
}

func TestReadCommandWhole(t *testing.T) {
	want := cmds()
	got, sizes := readAll(t, bytes.NewReader(encodeAll(want)), 4096)
	check(t, want, got, sizes)
}

func TestReadCommandOneByte(t *testing.T) {
	want := cmds()
	got, sizes := readAll(t, iotest.OneByteReader(bytes.NewReader(encodeAll(want))), 16)
	check(t, want, got, sizes)
}

// TestParseSplitAtEveryByte: every proper prefix of a command asks for
// more bytes (never errors, never returns a command), and the need hint
// never overshoots the real size.
func TestParseSplitAtEveryByte(t *testing.T) {
	for _, c := range cmds()[:4] {
		enc := AppendCommand(nil, c...)
		for cut := 0; cut < len(enc); cut++ {
			args, n, need, err := ParseCommand(enc[:cut], nil, DefaultLimits)
			if err != nil || n != 0 || len(args) != 0 {
				t.Fatalf("%q cut %d: n=%d err=%v", enc, cut, n, err)
			}
			if need <= cut || need > len(enc) {
				t.Fatalf("%q cut %d: need %d outside (%d, %d]", enc, cut, need, cut, len(enc))
			}
		}
		if _, n, _, err := ParseCommand(enc, nil, DefaultLimits); err != nil || n != len(enc) {
			t.Fatalf("%q whole: n=%d err=%v", enc, n, err)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	bad := []string{
		"PING\r\n",                        // inline
		"*0\r\n",                          // empty array
		"*-1\r\n",                         // null array
		"*1\r\n:5\r\n",                    // not a bulk
		"*1\r\n$-1\r\n",                   // null bulk
		"*1\r\n$3\r\nabcd\r\n",            // wrong length
		"*1\r\n$3\rx",                     // CR without LF
		"*1\r\n$99999999999999999999\r\n", // too long a number
		"*1x\r\n",
		"*\r\n",
		"*2\r\n$1\r\na\r\n*",
	}
	for _, s := range bad {
		_, _, _, err := ParseCommand([]byte(s), nil, DefaultLimits)
		if !IsProtocolError(err) {
			t.Errorf("%q: got %v, want a protocol error", s, err)
		}
	}
	lim := Limits{MaxArgs: 2, MaxBulk: 4}
	for _, s := range []string{"*3\r\n", "*1\r\n$5\r\n"} {
		if _, _, _, err := ParseCommand([]byte(s), nil, lim); !IsProtocolError(err) {
			t.Errorf("%q over limits: got %v", s, err)
		}
	}
}

func TestReadLine(t *testing.T) {
	in := "\n+FULLRESYNC abc 10\r\n\n$EOF:xyz\r\nrest"
	rd := NewReader(iotest.OneByteReader(strings.NewReader(in)), 16, DefaultLimits)
	for _, want := range []string{"", "+FULLRESYNC abc 10", "", "$EOF:xyz"} {
		line, err := rd.ReadLine()
		if err != nil || string(line) != want {
			t.Fatalf("ReadLine = %q, %v; want %q", line, err, want)
		}
	}
	rest, _ := io.ReadAll(rd)
	if string(rest) != "rest" {
		t.Fatalf("rest = %q", rest)
	}
	long := NewReader(strings.NewReader(strings.Repeat("x", MaxLineLength+10)), 64, DefaultLimits)
	if _, err := long.ReadLine(); err != ErrLineTooLong {
		t.Fatalf("long line: %v", err)
	}
}

func TestTruncatedStream(t *testing.T) {
	enc := AppendCommand(nil, []byte("SET"), []byte("k"), []byte("v"))
	rd := NewReader(bytes.NewReader(enc[:len(enc)-3]), 16, DefaultLimits)
	if _, _, err := rd.ReadCommand(); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v, want ErrUnexpectedEOF", err)
	}
}

func TestReadCommandAllocs(t *testing.T) {
	one := AppendCommand(nil, []byte("SET"), []byte("key:000001"), []byte("value-value-value"))
	stream := bytes.Repeat(one, 1000)
	br := bytes.NewReader(stream)
	rd := NewReader(br, 64<<10, DefaultLimits)
	rd.ReadCommand() // warm up args slice
	allocs := testing.AllocsPerRun(500, func() {
		if _, _, err := rd.ReadCommand(); err != nil {
			br.Reset(stream)
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadCommand allocates %.1f times per command", allocs)
	}
}

func TestUnread(t *testing.T) {
	rd := NewReader(strings.NewReader("abcdef*1\r\n$4\r\nPING\r\n"), 16, DefaultLimits)
	buf := make([]byte, 8)
	io.ReadFull(rd, buf)
	rd.Unread(buf[6:]) // give back "*1"
	args, n, err := rd.ReadCommand()
	if err != nil || n != 14 || string(args[0]) != "PING" {
		t.Fatalf("after Unread: %q %d %v", args, n, err)
	}
	rd2 := NewReader(strings.NewReader(""), 16, DefaultLimits)
	rd2.Unread([]byte("*1\r\n$4\r\nPING\r\n")) // larger than what was consumed
	if args, _, err := rd2.ReadCommand(); err != nil || string(args[0]) != "PING" {
		t.Fatalf("Unread into empty reader: %v", err)
	}
}
