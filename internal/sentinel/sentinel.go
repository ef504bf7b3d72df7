package sentinel

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// Dialer opens network connections (net.Dialer satisfies it).
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Config says which sentinels to ask about which master.
type Config struct {
	// Addrs are the sentinels (host:port), asked in order.
	Addrs []string
	// Master is the name the sentinels monitor the master under.
	Master string
	// Username and Password authenticate with the sentinels (AUTH), when
	// they require it; they are not the master's credentials.
	Username, Password string
	// TLS, when set, is used for the sentinel connections.
	TLS *tls.Config
	// Dialer opens connections (default: a net.Dialer).
	Dialer Dialer
	// Timeout bounds each connection attempt and request (default 2s).
	Timeout time.Duration
	// PingInterval is how often the watch connection is checked (default 10s).
	PingInterval time.Duration
}

// Validate fills defaults and reports configuration errors.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Addrs) == 0 {
		errs = append(errs, errors.New("sentinel: at least one sentinel address is required"))
	}
	for _, a := range c.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("sentinel: address %q is not host:port", a))
		}
	}
	if c.Master == "" {
		errs = append(errs, errors.New("sentinel: the monitored master name is required (--sentinel-master)"))
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 10 * time.Second
	}
	if c.Dialer == nil {
		c.Dialer = &net.Dialer{KeepAlive: 30 * time.Second}
	}
	return errors.Join(errs...)
}

// Switch is a +switch-master event for the monitored master.
type Switch struct {
	Master  string
	OldAddr string
	NewAddr string
}

// Client asks sentinels where the master is. It is safe for concurrent use.
type Client struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	order []string // sentinels, the last one that answered first
}

// New returns a client; cfg must have been validated.
func New(cfg Config, log *slog.Logger) *Client {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log, order: append([]string(nil), cfg.Addrs...)}
}

func (c *Client) sentinels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.order...)
}

// promote moves addr to the front, as the Sentinel client guidelines ask.
func (c *Client) promote(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, a := range c.order {
		if a == addr {
			copy(c.order[1:i+1], c.order[:i])
			c.order[0] = addr
			return
		}
	}
}

// MasterAddr asks the sentinels in turn (SENTINEL get-master-addr-by-name)
// and returns the first address one of them gives.
func (c *Client) MasterAddr(ctx context.Context) (string, error) {
	var errs []error
	for _, s := range c.sentinels() {
		addr, err := c.askOne(ctx, s)
		if err == nil {
			c.promote(s)
			return addr, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		c.log.Debug("sentinel did not answer", "sentinel", s, "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", s, err))
	}
	return "", fmt.Errorf("no sentinel knows the address of master %q: %w", c.cfg.Master, errors.Join(errs...))
}

func (c *Client) askOne(ctx context.Context, sentinel string) (string, error) {
	cn, err := c.dial(ctx, sentinel)
	if err != nil {
		return "", err
	}
	defer cn.close()
	cn.conn.SetDeadline(time.Now().Add(c.cfg.Timeout))
	v, err := cn.do("SENTINEL", "get-master-addr-by-name", c.cfg.Master)
	if err != nil {
		return "", err
	}
	arr, ok := v.([]any)
	if v == nil || (ok && arr == nil) {
		return "", fmt.Errorf("sentinel does not monitor a master named %q", c.cfg.Master)
	}
	if !ok || len(arr) != 2 {
		return "", fmt.Errorf("unexpected reply %v", v)
	}
	host, _ := arr[0].(string)
	port, _ := arr[1].(string)
	if host == "" || port == "" {
		return "", fmt.Errorf("unexpected reply %v", v)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("unexpected port in reply %v", v)
	}
	return net.JoinHostPort(host, port), nil
}

// Watch subscribes to +switch-master on one sentinel after another and
// calls fn for every switch of the monitored master, until ctx is done.
// A sentinel that goes silent (no reply to PING within PingInterval) or
// away is replaced by the next one after a short pause.
func (c *Client) Watch(ctx context.Context, fn func(Switch)) {
	for ctx.Err() == nil {
		for _, s := range c.sentinels() {
			err := c.watchOne(ctx, s, fn)
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("sentinel watch connection lost; trying the next sentinel", "sentinel", s, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (c *Client) watchOne(ctx context.Context, sentinel string, fn func(Switch)) error {
	cn, err := c.dial(ctx, sentinel)
	if err != nil {
		return err
	}
	defer cn.close()
	stop := context.AfterFunc(ctx, func() { cn.conn.Close() })
	defer stop()
	cn.conn.SetDeadline(time.Now().Add(c.cfg.Timeout))
	v, err := cn.do("SUBSCRIBE", "+switch-master")
	if err != nil {
		return err
	}
	if a, ok := v.([]any); !ok || len(a) < 1 || a[0] != "subscribe" {
		return fmt.Errorf("unexpected SUBSCRIBE reply %v", v)
	}
	c.log.Debug("watching sentinel for +switch-master", "sentinel", sentinel, "master", c.cfg.Master)
	pinged := false
	for {
		// Wait for a reply without consuming anything, so a quiet period
		// never cuts one in half.
		cn.conn.SetDeadline(time.Now().Add(c.cfg.PingInterval))
		_, err := cn.br.Peek(1)
		if ne, ok := err.(net.Error); ok && ne.Timeout() && !pinged {
			// Quiet: check the sentinel is still there.
			cn.conn.SetDeadline(time.Now().Add(c.cfg.Timeout))
			if err := cn.send("PING"); err != nil {
				return err
			}
			pinged = true
			continue
		}
		if err != nil {
			return err
		}
		cn.conn.SetDeadline(time.Now().Add(c.cfg.Timeout))
		v, err := readReply(cn.br, 0)
		if err != nil {
			return err
		}
		pinged = false
		msg, ok := v.([]any)
		if !ok || len(msg) != 3 || msg[0] != "message" || msg[1] != "+switch-master" {
			continue // PING replies and anything else
		}
		payload, _ := msg[2].(string)
		f := strings.Fields(payload)
		if len(f) != 5 || f[0] != c.cfg.Master {
			continue
		}
		sw := Switch{Master: f[0], OldAddr: net.JoinHostPort(f[1], f[2]), NewAddr: net.JoinHostPort(f[3], f[4])}
		c.promote(sentinel)
		fn(sw)
	}
}

type conn struct {
	conn net.Conn
	br   *bufio.Reader
}

func (c *Client) dial(ctx context.Context, addr string) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	nc, err := c.cfg.Dialer.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if c.cfg.TLS != nil {
		tc := tls.Client(nc, c.cfg.TLS)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	cn := &conn{conn: nc, br: bufio.NewReader(nc)}
	if c.cfg.Password != "" {
		nc.SetDeadline(time.Now().Add(c.cfg.Timeout))
		args := []string{"AUTH", c.cfg.Password}
		if c.cfg.Username != "" {
			args = []string{"AUTH", c.cfg.Username, c.cfg.Password}
		}
		if _, err := cn.do(args...); err != nil {
			nc.Close()
			return nil, fmt.Errorf("sentinel AUTH failed: %w", err)
		}
	}
	return cn, nil
}

func (cn *conn) close() { cn.conn.Close() }

func (cn *conn) send(args ...string) error {
	_, err := cn.conn.Write(resp.AppendCommandStrings(nil, args...))
	return err
}

// do sends a command and reads one reply; an error reply is returned as
// an error.
func (cn *conn) do(args ...string) (any, error) {
	if err := cn.send(args...); err != nil {
		return nil, err
	}
	v, err := readReply(cn.br, 0)
	if err != nil {
		return nil, err
	}
	if e, ok := v.(ReplyError); ok {
		return nil, e
	}
	return v, nil
}

// ReplyError is an error reply ("-ERR ...") from a sentinel.
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// Limits on what a reply can make us allocate.
const (
	maxBulk  = 1 << 20
	maxArray = 4096
	maxDepth = 4
	maxLine  = 64 << 10
)

var errProtocol = errors.New("sentinel: malformed reply")

// readReply reads one RESP2 reply: string (simple or bulk), ReplyError,
// int64, []any or nil (null bulk or array).
func readReply(br *bufio.Reader, depth int) (any, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errProtocol
	}
	switch line[0] {
	case '+':
		return string(line[1:]), nil
	case '-':
		return ReplyError(line[1:]), nil
	case ':':
		n, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil {
			return nil, errProtocol
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil || n < -1 || n > maxBulk {
			return nil, errProtocol
		}
		if n == -1 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		if b[n] != '\r' || b[n+1] != '\n' {
			return nil, errProtocol
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil || n < -1 || n > maxArray || depth >= maxDepth {
			return nil, errProtocol
		}
		if n == -1 {
			return []any(nil), nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(br, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errProtocol
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			if len(line) > maxLine {
				return nil, errProtocol
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	return line[:len(line)-2], nil
}
