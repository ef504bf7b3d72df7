package psync

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/resp"
)

// HandshakeConfig is what the replica announces and authenticates with.
type HandshakeConfig struct {
	Username string // ACL user (Redis 6.0+); empty for the default user
	Password string // empty: no AUTH
	// ListeningPort is announced with REPLCONF listening-port. The master
	// lists it in INFO replication; Sentinel and FAILOVER would try to
	// reach it there.
	ListeningPort int
	AnnounceIP    string // sent as REPLCONF ip-address when set
	// Version is sent as "REPLCONF version <v>" when set. A Valkey 9
	// primary needs >= 9.0.0 to send RDB 80 (which can hold hash field
	// TTLs); Redis masters reject the option, which is ignored.
	Version string
}

// Result is the outcome of a successful PSYNC.
type Result struct {
	// Full is true for +FULLRESYNC: an RDB payload follows.
	Full bool
	// ReplID is the replication ID to continue with.
	ReplID string
	// Offset is, for a full sync, the master offset the snapshot includes;
	// for a partial resync, the applied offset we resumed from.
	Offset int64
	// IDChanged is true for +CONTINUE <id> with a new id (failover, or a
	// 7.0+ master restarted from its RDB).
	IDChanged bool
}

// Handshake is the I/O-free replica handshake: it yields one command at a
// time and consumes the master's reply lines. It never reads past a reply
// line; the driver owns the reader (whose remaining bytes belong to the
// payload or the stream).
type Handshake struct {
	steps  []hsStep
	i      int
	cfg    HandshakeConfig
	replID string
	offset int64
	res    *Result
}

type hsStep struct {
	name   string
	cmd    []byte
	handle func(h *Handshake, line string) error
}

// NoReplID is the replid sent to ask for a full resync ("PSYNC ? -1").
const NoReplID = "?"

// NewHandshake prepares the handshake. replID/offset are the cached
// replication state: replID NoReplID (or "") asks for a full sync; otherwise
// PSYNC asks for offset+1, the first byte not yet applied.
func NewHandshake(cfg HandshakeConfig, replID string, offset int64) *Handshake {
	if replID == "" {
		replID = NoReplID
	}
	h := &Handshake{cfg: cfg, replID: replID, offset: offset}
	h.add("PING", onPing, "PING")
	if cfg.Password != "" {
		if cfg.Username != "" {
			h.add("AUTH", onAuth, "AUTH", cfg.Username, cfg.Password)
		} else {
			h.add("AUTH", onAuth, "AUTH", cfg.Password)
		}
	}
	h.add("REPLCONF listening-port", onReplconf, "REPLCONF", "listening-port", strconv.Itoa(cfg.ListeningPort))
	if cfg.AnnounceIP != "" {
		h.add("REPLCONF ip-address", onReplconf, "REPLCONF", "ip-address", cfg.AnnounceIP)
	}
	h.add("REPLCONF capa", onReplconf, "REPLCONF", "capa", "eof", "capa", "psync2")
	if cfg.Version != "" {
		h.add("REPLCONF version", onReplconf, "REPLCONF", "version", cfg.Version)
	}
	if replID == NoReplID {
		h.add("PSYNC", onPsync, "PSYNC", NoReplID, "-1")
	} else {
		h.add("PSYNC", onPsync, "PSYNC", replID, strconv.FormatInt(offset+1, 10))
	}
	return h
}

func (h *Handshake) add(name string, fn func(*Handshake, string) error, args ...string) {
	h.steps = append(h.steps, hsStep{name: name, cmd: resp.AppendCommandStrings(nil, args...), handle: fn})
}

// Command returns the encoded command to send now, or nil once the
// handshake is complete.
func (h *Handshake) Command() []byte {
	if h.i >= len(h.steps) {
		return nil
	}
	return h.steps[h.i].cmd
}

// Step names the command awaiting its reply ("" when done).
func (h *Handshake) Step() string {
	if h.i >= len(h.steps) {
		return ""
	}
	return h.steps[h.i].name
}

// Reply consumes one reply line (without CRLF) to the current command.
// Blank keepalive lines are ignored. It returns done once PSYNC has been
// answered successfully; Result then holds the outcome. An error is a
// classified *Error; the handshake cannot continue after one.
func (h *Handshake) Reply(line []byte) (done bool, err error) {
	if h.i >= len(h.steps) {
		return true, nil
	}
	if len(line) == 0 {
		return false, nil // keepalive: keep waiting
	}
	st := h.steps[h.i]
	if err := st.handle(h, string(line)); err != nil {
		return false, err
	}
	h.i++
	return h.i == len(h.steps), nil
}

// Result returns the PSYNC outcome (nil until done).
func (h *Handshake) Result() *Result { return h.res }

// errCode returns the error code of a "-CODE message" reply.
func errCode(line string) string {
	code, _, _ := strings.Cut(line[1:], " ")
	return code
}

// quoteReply shortens a reply for messages.
func quoteReply(line string) string {
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return strconv.Quote(line)
}

func notRESP(step, line string) *Error {
	return newErr(Transient, step, "reply %s is not a Redis reply: is the address a Redis server?", quoteReply(line))
}

func onPing(h *Handshake, line string) error {
	switch line[0] {
	case '+':
		return nil
	case '-':
	default:
		return notRESP("PING", line)
	}
	switch code := errCode(line); {
	case code == "NOAUTH" || code == "NOPERM" || strings.HasPrefix(line, "-ERR operation not permitted"):
		if h.cfg.Password == "" {
			return newErr(Fatal, "PING", "the master requires authentication (%s): give a password in the URL, --password-file or REDIS_FOLLOWER_PASSWORD", quoteReply(line))
		}
		return nil // AUTH comes next
	case code == "DENIED":
		return newErr(Fatal, "PING", "the master refused the connection (protected mode): set a password on it or bind it to this interface; it said %s", quoteReply(line))
	case code == "LOADING" || code == "BUSY" || code == "MASTERDOWN":
		return newErr(Transient, "PING", "master not ready: %s", quoteReply(line))
	default:
		return newErr(Transient, "PING", "master answered %s", quoteReply(line))
	}
}

func onAuth(h *Handshake, line string) error {
	switch line[0] {
	case '+':
		return nil
	case '-':
		return newErr(Fatal, "AUTH", "authentication failed, check the user name and password: master said %s", quoteReply(line))
	}
	return notRESP("AUTH", line)
}

func onReplconf(h *Handshake, line string) error {
	switch line[0] {
	case '+':
		return nil
	case '-':
		if c := errCode(line); c == "NOAUTH" || c == "NOPERM" {
			return newErr(Fatal, "REPLCONF", "the replication user lacks permission (needs +psync +replconf +ping): master said %s", quoteReply(line))
		}
		return nil // unknown options are not critical (as in the reference replica)
	}
	return notRESP("REPLCONF", line)
}

func onPsync(h *Handshake, line string) error {
	if line[0] == '+' {
		f := strings.Fields(line[1:])
		switch {
		case len(f) > 0 && f[0] == "FULLRESYNC":
			if len(f) != 3 || !rdb.ValidReplID(f[1]) {
				return newErr(Protocol, "PSYNC", "malformed reply %s", quoteReply(line))
			}
			off, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || off < 0 {
				return newErr(Protocol, "PSYNC", "malformed offset in %s", quoteReply(line))
			}
			h.res = &Result{Full: true, ReplID: f[1], Offset: off}
			return nil
		case len(f) > 0 && f[0] == "CONTINUE":
			if h.replID == NoReplID {
				return newErr(Protocol, "PSYNC", "master answered %s to a full-sync request", quoteReply(line))
			}
			res := &Result{ReplID: h.replID, Offset: h.offset}
			if len(f) >= 2 {
				if !rdb.ValidReplID(f[1]) {
					return newErr(Protocol, "PSYNC", "malformed replication id in %s", quoteReply(line))
				}
				res.IDChanged = f[1] != h.replID
				res.ReplID = f[1]
			}
			h.res = res
			return nil
		case len(f) > 0 && (f[0] == "DUALCHANNELSYNC" || f[0] == "RDBCHANNELSYNC"):
			return newErr(Protocol, "PSYNC", "master answered %s although no two-channel sync was requested", quoteReply(line))
		}
		return newErr(Protocol, "PSYNC", "unexpected reply %s", quoteReply(line))
	}
	if line[0] != '-' {
		return notRESP("PSYNC", line)
	}
	switch code := errCode(line); {
	case code == "NOAUTH" || code == "NOPERM" || code == "WRONGPASS":
		return newErr(Fatal, "PSYNC", "the replication user lacks permission (needs +psync +replconf +ping): master said %s", quoteReply(line))
	case code == "NOMASTERLINK" || code == "LOADING" || code == "MASTERDOWN" || code == "BUSY" || code == "TRYAGAIN":
		return newErr(Transient, "PSYNC", "master cannot serve a sync now: %s", quoteReply(line))
	case strings.HasPrefix(line, "-ERR unknown command"):
		return newErr(Fatal, "PSYNC", "replication is not permitted by this server (PSYNC renamed or disabled): %s", quoteReply(line))
	default:
		return newErr(Transient, "PSYNC", "master refused: %s", quoteReply(line))
	}
}

// Preamble describes how the RDB payload after +FULLRESYNC is framed.
type Preamble struct {
	// Length is the payload size for "$<len>" framing, -1 for EOF-mark.
	Length int64
	// Mark is the 40-byte end mark for "$EOF:<mark>" framing.
	Mark []byte
}

// EOFMarkLen is the length of a diskless-sync end mark.
const EOFMarkLen = 40

// ParsePreamble interprets one line read where the payload preamble is
// expected. It returns (nil, nil) for a blank keepalive (read another
// line), an error for "-..." (master aborted: transient) or garbage
// (protocol).
func ParsePreamble(line []byte) (*Preamble, error) {
	if len(line) == 0 {
		return nil, nil
	}
	switch line[0] {
	case '-':
		return nil, newErr(Transient, "payload", "master aborted the full sync: %s", quoteReply(string(line)))
	case '$':
	default:
		return nil, newErr(Protocol, "payload", "expected the RDB preamble ($<len> or $EOF:), got %s", quoteReply(string(line)))
	}
	if rest, ok := bytes.CutPrefix(line, []byte("$EOF:")); ok {
		if len(rest) < EOFMarkLen {
			return nil, newErr(Protocol, "payload", "EOF mark shorter than 40 bytes in %s", quoteReply(string(line)))
		}
		return &Preamble{Length: -1, Mark: append([]byte(nil), rest[:EOFMarkLen]...)}, nil
	}
	n, err := strconv.ParseInt(string(line[1:]), 10, 64)
	if err != nil || n < 0 {
		return nil, newErr(Protocol, "payload", "bad payload length in %s", quoteReply(string(line)))
	}
	return &Preamble{Length: n}, nil
}
