package redistest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy on a free loopback port in front of a server, for
// fault injection: it can cut connections now, or cut the next one after
// a chosen number of bytes from the server.
type Proxy struct {
	t        testing.TB
	Addr     string
	target   string
	ln       net.Listener
	cutAfter atomic.Int64 // >0: cut the next connection after this many server bytes
	mu       sync.Mutex
	conns    map[net.Conn]net.Conn
	wg       sync.WaitGroup
	accepted atomic.Int64
}

// NewProxy starts a proxy to target; it stops when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{t: t, Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]net.Conn{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Connections returns how many client connections were accepted.
func (p *Proxy) Connections() int64 { return p.accepted.Load() }

// CutNextAfter makes the next connection close after n bytes have been
// forwarded from the server to the client.
func (p *Proxy) CutNextAfter(n int64) { p.cutAfter.Store(n) }

// CutAll closes every open connection.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, s := range p.conns {
		c.Close()
		s.Close()
	}
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.CutAll()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		limit := p.cutAfter.Swap(0)
		p.mu.Lock()
		p.conns[c] = s
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(s, c)
			s.Close()
		}()
		go func() {
			defer p.wg.Done()
			if limit > 0 {
				io.CopyN(c, s, limit)
			} else {
				io.Copy(c, s)
			}
			c.Close()
			s.Close()
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
		}()
	}
}
