package psync

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/redis-follower/redis-follower/internal/resp"
)

const id1 = "0123456789abcdef0123456789abcdef01234567"
const id2 = "fedcba9876543210fedcba9876543210fedcba98"

// exchange is one command we must send and the lines the master answers.
type exchange struct {
	send    string   // space-separated arguments
	replies []string // reply lines, "" is a keepalive
}

// runTranscript plays a transcript against the state machine and returns
// the result or the error of the step that failed.
func runTranscript(t *testing.T, cfg HandshakeConfig, replID string, off int64, tr []exchange) (*Result, error) {
	t.Helper()
	h := NewHandshake(cfg, replID, off)
	for i, ex := range tr {
		cmd := h.Command()
		want := resp.AppendCommandStrings(nil, strings.Fields(ex.send)...)
		if !bytes.Equal(cmd, want) {
			t.Fatalf("exchange %d: sent %q, want %q", i, cmd, want)
		}
		var done bool
		var err error
		for _, line := range ex.replies {
			done, err = h.Reply([]byte(line))
			if err != nil {
				return nil, err
			}
		}
		if done {
			if i != len(tr)-1 {
				t.Fatalf("handshake done after exchange %d of %d", i, len(tr))
			}
			return h.Result(), nil
		}
	}
	t.Fatalf("handshake not done; next command %q", h.Command())
	return nil, nil
}

func TestHandshakeTranscripts(t *testing.T) {
	basic := func(psync string, replies ...string) []exchange {
		return []exchange{
			{"PING", []string{"+PONG"}},
			{"REPLCONF listening-port 0", []string{"+OK"}},
			{"REPLCONF capa eof capa psync2", []string{"+OK"}},
			{psync, replies},
		}
	}
	cases := []struct {
		name   string
		cfg    HandshakeConfig
		replID string
		off    int64
		tr     []exchange
		want   *Result
		class  Class // when an error is expected
	}{
		{name: "H1 full sync", tr: basic("PSYNC ? -1", "+FULLRESYNC "+id1+" 1000"),
			want: &Result{Full: true, ReplID: id1, Offset: 1000}},
		{name: "H12 keepalives before FULLRESYNC", tr: basic("PSYNC ? -1", "", "", "", "+FULLRESYNC "+id1+" 7"),
			want: &Result{Full: true, ReplID: id1, Offset: 7}},
		{name: "partial resync keeps id", replID: id1, off: 1052, tr: basic("PSYNC "+id1+" 1053", "+CONTINUE"),
			want: &Result{ReplID: id1, Offset: 1052}},
		{name: "continue with new id", replID: id1, off: 10, tr: basic("PSYNC "+id1+" 11", "+CONTINUE "+id2),
			want: &Result{ReplID: id2, Offset: 10, IDChanged: true}},
		{name: "continue with same id", replID: id1, off: 10, tr: basic("PSYNC "+id1+" 11", "+CONTINUE "+id1),
			want: &Result{ReplID: id1, Offset: 10}},
		{name: "H2 requirepass", cfg: HandshakeConfig{Password: "s3cret"}, tr: []exchange{
			{"PING", []string{"-NOAUTH Authentication required."}},
			{"AUTH s3cret", []string{"+OK"}},
			{"REPLCONF listening-port 0", []string{"+OK"}},
			{"REPLCONF capa eof capa psync2", []string{"+OK"}},
			{"PSYNC ? -1", []string{"+FULLRESYNC " + id1 + " 0"}},
		}, want: &Result{Full: true, ReplID: id1, Offset: 0}},
		{name: "H3 ACL user, announce ip, version", cfg: HandshakeConfig{Username: "repl", Password: "pw", ListeningPort: 7000, AnnounceIP: "10.0.0.1", Version: "9.0.0"}, tr: []exchange{
			{"PING", []string{"+PONG"}},
			{"AUTH repl pw", []string{"+OK"}},
			{"REPLCONF listening-port 7000", []string{"+OK"}},
			{"REPLCONF ip-address 10.0.0.1", []string{"+OK"}},
			{"REPLCONF capa eof capa psync2", []string{"+OK"}},
			{"REPLCONF version 9.0.0", []string{"-ERR Unrecognized REPLCONF option: version"}},
			{"PSYNC ? -1", []string{"+FULLRESYNC " + id1 + " 5"}},
		}, want: &Result{Full: true, ReplID: id1, Offset: 5}},
		{name: "H5 REPLCONF errors ignored", tr: []exchange{
			{"PING", []string{"+PONG"}},
			{"REPLCONF listening-port 0", []string{"-ERR Unrecognized REPLCONF option: listening-port"}},
			{"REPLCONF capa eof capa psync2", []string{"-ERR Unrecognized REPLCONF option: capa"}},
			{"PSYNC ? -1", []string{"+FULLRESYNC " + id1 + " 5"}},
		}, want: &Result{Full: true, ReplID: id1, Offset: 5}},
		{name: "H4 wrong password is fatal", cfg: HandshakeConfig{Password: "bad"}, tr: []exchange{
			{"PING", []string{"-NOAUTH Authentication required."}},
			{"AUTH bad", []string{"-WRONGPASS invalid username-password pair or user is disabled."}},
		}, class: Fatal},
		{name: "no password but master needs one", tr: []exchange{
			{"PING", []string{"-NOAUTH Authentication required."}},
		}, class: Fatal},
		{name: "H3 missing replconf permission", cfg: HandshakeConfig{Username: "u", Password: "p"}, tr: []exchange{
			{"PING", []string{"+PONG"}},
			{"AUTH u p", []string{"+OK"}},
			{"REPLCONF listening-port 0", []string{"-NOPERM User u has no permissions to run the 'replconf' command"}},
		}, class: Fatal},
		{name: "H6 loading at PING", tr: []exchange{{"PING", []string{"-LOADING Redis is loading the dataset in memory"}}}, class: Transient},
		{name: "H6 loading at PSYNC", tr: basic("PSYNC ? -1", "-LOADING Redis is loading the dataset in memory"), class: Transient},
		{name: "H7 nomasterlink", tr: basic("PSYNC ? -1", "-NOMASTERLINK Can't SYNC while not connected with my master"), class: Transient},
		{name: "H7 masterdown at PING", tr: []exchange{{"PING", []string{"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."}}}, class: Transient},
		{name: "H8 busy", tr: basic("PSYNC ? -1", "-BUSY Redis is busy running a script."), class: Transient},
		{name: "H9 protected mode", tr: []exchange{{"PING", []string{"-DENIED Redis is running in protected mode because protected mode is enabled " + strings.Repeat("x", 1200)}}}, class: Fatal},
		{name: "H10 maxclients", tr: []exchange{{"PING", []string{"-ERR max number of clients reached"}}}, class: Transient},
		{name: "H11 PSYNC disabled", tr: basic("PSYNC ? -1", "-ERR unknown command 'PSYNC', with args beginning with: '?' '-1' "), class: Fatal},
		{name: "BGSAVE failed", tr: basic("PSYNC ? -1", "-ERR BGSAVE failed, replication can't continue"), class: Transient},
		{name: "H13 short replid", tr: basic("PSYNC ? -1", "+FULLRESYNC "+id1[:39]+" 10"), class: Protocol},
		{name: "H13 missing offset", tr: basic("PSYNC ? -1", "+FULLRESYNC "+id1), class: Protocol},
		{name: "H14 dual channel", tr: basic("PSYNC ? -1", "+DUALCHANNELSYNC"), class: Protocol},
		{name: "H14 rdb channel", tr: basic("PSYNC ? -1", "+RDBCHANNELSYNC 6"), class: Protocol},
		{name: "CONTINUE to a full request", tr: basic("PSYNC ? -1", "+CONTINUE "+id1), class: Protocol},
		{name: "not a redis server", tr: []exchange{{"PING", []string{"HTTP/1.1 400 Bad Request"}}}, class: Transient},
		{name: "noperm at PSYNC", tr: basic("PSYNC ? -1", "-NOPERM no permission"), class: Fatal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := runTranscript(t, c.cfg, c.replID, c.off, c.tr)
			if c.want != nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if *res != *c.want {
					t.Fatalf("result %+v, want %+v", *res, *c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected a %v error, got result %+v", c.class, res)
			}
			if got := ClassOf(err); got != c.class {
				t.Fatalf("error %q classified %v, want %v", err, got, c.class)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw") && c.cfg.Password == "pw" {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestParsePreamble(t *testing.T) {
	mark := strings.Repeat("ab", 20)
	cases := []struct {
		line  string
		len   int64
		mark  string
		class Class
		err   bool
		blank bool
	}{
		{line: "", blank: true},
		{line: "$1234", len: 1234},
		{line: "$0", len: 0},
		{line: "$EOF:" + mark, len: -1, mark: mark},
		{line: "$EOF:" + mark[:39], err: true, class: Protocol},
		{line: "-ERR BGSAVE failed, replication can't continue", err: true, class: Transient},
		{line: "+FULLRESYNC", err: true, class: Protocol},
		{line: "$-5", err: true, class: Protocol},
		{line: "$12x", err: true, class: Protocol},
	}
	for _, c := range cases {
		p, err := ParsePreamble([]byte(c.line))
		switch {
		case c.blank:
			if p != nil || err != nil {
				t.Errorf("%q: want keepalive, got %v %v", c.line, p, err)
			}
		case c.err:
			if err == nil || ClassOf(err) != c.class {
				t.Errorf("%q: want %v error, got %v %v", c.line, c.class, p, err)
			}
		default:
			if err != nil || p.Length != c.len || string(p.Mark) != c.mark {
				t.Errorf("%q: got %+v %v", c.line, p, err)
			}
		}
	}
}

// TestMarkReaderSplitEverywhere is R4: the payload is recovered exactly
// whatever the read boundaries, including the mark split at each of its 41
// positions.
func TestMarkReaderSplitEverywhere(t *testing.T) {
	mark := []byte("0123456789012345678901234567890123456789")
	payload := bytes.Repeat([]byte("REDIS0010-payload-bytes-"), 50)
	wire := append(append([]byte(nil), payload...), mark...)
	for cut := len(payload) - 1; cut <= len(wire); cut++ {
		r := resp.NewReader(io.MultiReader(bytes.NewReader(wire[:cut]), bytes.NewReader(wire[cut:])), 64, resp.DefaultLimits)
		got, err := io.ReadAll(PayloadReader(r, &Preamble{Length: -1, Mark: mark}))
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("cut %d: err=%v len=%d", cut, err, len(got))
		}
	}
	got, err := io.ReadAll(PayloadReader(resp.NewReader(iotest.OneByteReader(bytes.NewReader(wire)), 16, resp.DefaultLimits), &Preamble{Length: -1, Mark: mark}))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("one byte reads: err=%v len=%d", err, len(got))
	}
}

// TestMarkReaderDoesNotOverread: bytes after the mark stay in the source.
func TestMarkReaderDoesNotOverread(t *testing.T) {
	mark := bytes.Repeat([]byte("z"), 40)
	src := resp.NewReader(bytes.NewReader(append(append([]byte("payload"), mark...), "*1\r\n$4\r\nPING\r\n"...)), 16, resp.DefaultLimits)
	// The reader may read ahead into its own buffer, but the payload reader
	// must hand back only the payload, and the stream must follow intact.
	got, err := io.ReadAll(PayloadReader(src, &Preamble{Length: -1, Mark: mark}))
	if err != nil || string(got) != "payload" {
		t.Fatalf("payload %q err %v", got, err)
	}
	args, n, err := src.ReadCommand()
	if err != nil || n != 14 || string(args[0]) != "PING" {
		t.Fatalf("stream after mark: %q %d %v", args, n, err)
	}
}

func TestMarkReaderTruncated(t *testing.T) {
	mark := bytes.Repeat([]byte("m"), 40)
	src := func(s string) *resp.Reader { return resp.NewReader(bytes.NewReader([]byte(s)), 16, resp.DefaultLimits) }
	_, err := io.ReadAll(PayloadReader(src("partial payload, no mark"), &Preamble{Length: -1, Mark: mark}))
	if err != ErrMarkNotFound {
		t.Fatalf("got %v, want ErrMarkNotFound", err)
	}
	_, err = io.ReadAll(PayloadReader(src("short"), &Preamble{Length: 10}))
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("length payload: got %v, want ErrUnexpectedEOF", err)
	}
}
