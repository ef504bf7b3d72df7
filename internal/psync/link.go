package psync

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// Dialer opens network connections (net.Dialer satisfies it; tests inject
// their own).
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// LinkConfig configures a replication link.
type LinkConfig struct {
	Addr      string      // host:port of the master
	TLS       *tls.Config // nil for plain TCP
	Dialer    Dialer      // nil: a net.Dialer with DialTimeout
	Handshake HandshakeConfig

	DialTimeout time.Duration // default 5s
	// IdleTimeout bounds the wait for any byte from the master: during the
	// handshake (keepalive lines count), the payload and the stream (the
	// master PINGs every 10s by default). Default 60s, like repl-timeout.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write to the master. Default 10s.
	WriteTimeout time.Duration
	// ReadBuffer is the initial stream buffer size. Default 256 KiB.
	ReadBuffer int
	Limits     resp.Limits
}

func (c *LinkConfig) defaults() {
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = 256 << 10
	}
	if c.Limits.MaxArgs == 0 {
		c.Limits = resp.DefaultLimits
	}
}

// Link is one connection to the master after a successful PSYNC. After a
// full resync the caller reads the payload (Payload) before the stream
// (ReadCommand). A Link is used by one goroutine, except that SendAck and
// the keepalive goroutine may write concurrently with reads.
type Link struct {
	cfg    LinkConfig
	conn   net.Conn
	rd     *resp.Reader
	Result Result

	wmu      sync.Mutex
	ackStop  chan struct{}
	ackDone  chan struct{}
	closeMu  sync.Mutex
	closed   bool
	ackBytes []byte
}

// idleConn sets a fresh read deadline before every read, so the timeout
// measures silence, not the length of a transfer.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(p)
}

// Dial connects to the master, runs the handshake and PSYNC with the cached
// state (replID NoReplID or "" asks for a full sync; otherwise PSYNC asks
// for offset+1). Cancelling ctx aborts it. Errors are classified (*Error
// for replies; plain network errors are Transient).
func Dial(ctx context.Context, cfg LinkConfig, replID string, offset int64) (*Link, error) {
	cfg.defaults()
	d := cfg.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	conn, err := d.DialContext(dctx, "tcp", cfg.Addr)
	cancel()
	if err != nil {
		return nil, &Error{Class: Transient, Step: "connect", Msg: "cannot reach the master at " + cfg.Addr, Err: err}
	}
	if cfg.TLS != nil {
		tc := tls.Client(conn, cfg.TLS)
		hctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			c := Transient
			var certErr *tls.CertificateVerificationError
			if errors.As(err, &certErr) {
				c = Fatal
			}
			return nil, &Error{Class: c, Step: "TLS", Msg: "TLS handshake with " + cfg.Addr + " failed (check --tls-ca/--tls-cert/--tls-key)", Err: err}
		}
		conn = tc
	}
	l := &Link{cfg: cfg, conn: conn}
	l.rd = resp.NewReader(idleConn{conn, cfg.IdleTimeout}, cfg.ReadBuffer, cfg.Limits)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	err = l.handshake(replID, offset)
	if !stop() || ctx.Err() != nil {
		conn.Close()
		return nil, ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return l, nil
}

func (l *Link) handshake(replID string, offset int64) error {
	h := NewHandshake(l.cfg.Handshake, replID, offset)
	for cmd := h.Command(); cmd != nil; cmd = h.Command() {
		step := h.Step()
		if err := l.write(cmd); err != nil {
			return &Error{Class: Transient, Step: step, Msg: "cannot send to the master", Err: err}
		}
		for {
			line, err := l.rd.ReadLine()
			if err != nil {
				if errors.Is(err, resp.ErrLineTooLong) {
					return &Error{Class: Transient, Step: step, Msg: "reply too long", Err: err}
				}
				return &Error{Class: Transient, Step: step, Msg: "no reply from the master (connection closed or timed out)", Err: err}
			}
			if len(line) == 0 {
				continue // keepalive while the master prepares the sync
			}
			done, err := h.Reply(line)
			if err != nil {
				return err
			}
			if done {
				l.Result = *h.Result()
			}
			break
		}
	}
	return nil
}

func (l *Link) write(b []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.conn.SetWriteDeadline(time.Now().Add(l.cfg.WriteTimeout))
	_, err := l.conn.Write(b)
	return err
}

// Payload reads the preamble of a full-sync payload (skipping keepalive
// lines) and returns a reader bounded to exactly the RDB bytes.
func (l *Link) Payload() (io.Reader, *Preamble, error) {
	for {
		line, err := l.rd.ReadLine()
		if err != nil {
			return nil, nil, &Error{Class: Transient, Step: "payload", Msg: "connection lost before the RDB payload", Err: err}
		}
		p, err := ParsePreamble(line)
		if err != nil {
			return nil, nil, err
		}
		if p != nil {
			return PayloadReader(l.rd, p), p, nil
		}
	}
}

// ReadCommand returns the next command of the replication stream and its
// exact size on the wire. Arguments are valid until the next call.
func (l *Link) ReadCommand() ([][]byte, int, error) {
	args, n, err := l.rd.ReadCommand()
	if err != nil && resp.IsProtocolError(err) {
		return nil, 0, &Error{Class: Protocol, Step: "stream", Msg: "corrupt replication stream", Err: err}
	}
	return args, n, err
}

// Buffered reports how many received stream bytes are not yet consumed.
func (l *Link) Buffered() int { return l.rd.Buffered() }

// SendAck sends REPLCONF ACK <offset> (safe for concurrent use).
func (l *Link) SendAck(offset int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.ackBytes = resp.AppendCommand(l.ackBytes[:0], []byte("REPLCONF"), []byte("ACK"), strconv.AppendInt(nil, offset, 10))
	l.conn.SetWriteDeadline(time.Now().Add(l.cfg.WriteTimeout))
	_, err := l.conn.Write(l.ackBytes)
	return err
}

// StartAcks sends REPLCONF ACK <offset()> now and then every interval until
// the link is closed. Close joins the goroutine.
func (l *Link) StartAcks(interval time.Duration, offset func() int64) {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	if l.closed || l.ackStop != nil {
		return
	}
	l.ackStop, l.ackDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.ackDone)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := l.SendAck(offset()); err != nil {
				l.conn.Close() // the reader sees the error and reconnects
				return
			}
			select {
			case <-l.ackStop:
				return
			case <-t.C:
			}
		}
	}()
}

// Close closes the connection and joins the keepalive goroutine.
func (l *Link) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	stop, done := l.ackStop, l.ackDone
	l.closeMu.Unlock()
	err := l.conn.Close()
	if stop != nil {
		close(stop)
		<-done
	}
	return err
}
