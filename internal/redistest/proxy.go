package redistest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy on a free loopback port in front of a server, for
// fault injection on the server→client direction (the replication link
// as the replica sees it): cut a connection now, after a number of bytes,
// or at a byte found by a pattern; flip a byte (corruption); stall the
// flow. Rules are one-shot.
type Proxy struct {
	t     testing.TB
	Addr  string
	ln    net.Listener
	mu    sync.Mutex
	cond  *sync.Cond
	conns map[net.Conn]net.Conn
	wg    sync.WaitGroup

	target     string
	cutNext    int64 // >0: cut the next connection after this many server bytes
	corrupNext int64 // >0: flip byte number n-1 of the next connection
	rules      []*rule
	stalled    bool
	closed     bool
	accepted   atomic.Int64
	forwarded  atomic.Int64
}

type ruleKind int

const (
	ruleCut ruleKind = iota
	ruleCorrupt
	ruleStall
)

// rule acts at pattern start + k in the first connection whose stream
// contains pattern after the rule was armed.
type rule struct {
	kind    ruleKind
	pattern []byte
	k       int
	fired   chan struct{}
}

// NewProxy starts a proxy to target; it stops when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{t: t, Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]net.Conn{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Connections returns how many client connections were accepted.
func (p *Proxy) Connections() int64 { return p.accepted.Load() }

// Forwarded returns how many server bytes were forwarded to clients.
func (p *Proxy) Forwarded() int64 { return p.forwarded.Load() }

// SetTarget makes new connections go to addr (re-pointing the client).
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// CutNextAfter makes the next connection close after n bytes have been
// forwarded from the server to the client.
func (p *Proxy) CutNextAfter(n int64) {
	p.mu.Lock()
	p.cutNext = n
	p.mu.Unlock()
}

// CorruptNextAt flips (XOR 0xFF) the server byte at index n (0-based) of
// the next connection.
func (p *Proxy) CorruptNextAt(n int64) {
	p.mu.Lock()
	p.corrupNext = n + 1
	p.mu.Unlock()
}

// CutAt arms a rule: in the first connection (current or future) whose
// server stream then contains pattern, forward exactly the bytes before
// pattern start + k and close the connection. The returned channel is
// closed when the rule fired.
func (p *Proxy) CutAt(pattern []byte, k int) <-chan struct{} {
	return p.arm(ruleCut, pattern, k)
}

// CorruptAt arms a rule that flips the byte at pattern start + k.
func (p *Proxy) CorruptAt(pattern []byte, k int) <-chan struct{} {
	return p.arm(ruleCorrupt, pattern, k)
}

// StallAt arms a rule that forwards the bytes before pattern start + k and
// then stalls every connection (as Stall) until Resume.
func (p *Proxy) StallAt(pattern []byte, k int) <-chan struct{} {
	return p.arm(ruleStall, pattern, k)
}

func (p *Proxy) arm(kind ruleKind, pattern []byte, k int) <-chan struct{} {
	r := &rule{kind: kind, pattern: append([]byte(nil), pattern...), k: k, fired: make(chan struct{})}
	p.mu.Lock()
	p.rules = append(p.rules, r)
	p.mu.Unlock()
	return r.fired
}

// Stall stops forwarding server bytes (the server's writes back up in the
// kernel buffers; the client sees silence) until Resume.
func (p *Proxy) Stall() {
	p.mu.Lock()
	p.stalled = true
	p.mu.Unlock()
}

// Resume ends a stall.
func (p *Proxy) Resume() {
	p.mu.Lock()
	p.stalled = false
	p.mu.Unlock()
	p.cond.Broadcast()
}

// CutAll closes every open connection.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	for c, s := range p.conns {
		c.Close()
		s.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
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
		p.mu.Lock()
		target := p.target
		cut, corrupt := p.cutNext, p.corrupNext
		p.cutNext, p.corrupNext = 0, 0
		p.mu.Unlock()
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c] = s
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := s.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			s.Close()
		}()
		go func() {
			defer p.wg.Done()
			cutAt := int64(-1)
			if cut > 0 {
				cutAt = cut
			}
			p.serverToClient(c, s, cutAt, corrupt-1)
			c.Close()
			s.Close()
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
		}()
	}
}

// serverToClient forwards server bytes, applying the rules. cutAt and
// corruptAt are byte indexes in this connection (-1: none).
func (p *Proxy) serverToClient(c, s net.Conn, cutAt, corruptAt int64) {
	buf := make([]byte, 32<<10)
	var total int64 // bytes of this connection read from the server
	var tail []byte // the last bytes seen, for patterns split across reads
	var stallAt int64 = -1
	for {
		n, err := s.Read(buf)
		data := buf[:n]
		if n > 0 {
			// Resolve armed pattern rules to positions in this connection.
			p.mu.Lock()
			window := append(append([]byte(nil), tail...), data...)
			winStart := total - int64(len(tail))
			kept := p.rules[:0]
			for _, r := range p.rules {
				i := bytes.Index(window, r.pattern)
				if i >= 0 && i+len(r.pattern) <= len(tail) {
					// Seen before: only a match reaching into new bytes counts.
					from := max(0, len(tail)-len(r.pattern)+1)
					i = -1
					if j := bytes.Index(window[from:], r.pattern); j >= 0 {
						i = from + j
					}
				}
				if i < 0 {
					kept = append(kept, r)
					continue
				}
				at := winStart + int64(i) + int64(r.k)
				switch r.kind {
				case ruleCut:
					if cutAt < 0 || at < cutAt {
						cutAt = at
					}
				case ruleCorrupt:
					corruptAt = at
				case ruleStall:
					stallAt = at
				}
				close(r.fired)
			}
			p.rules = kept
			p.mu.Unlock()
			if len(window) > 256 {
				tail = append(tail[:0], window[len(window)-256:]...)
			} else {
				tail = append(tail[:0], window...)
			}
			if corruptAt >= total && corruptAt < total+int64(n) {
				data[corruptAt-total] ^= 0xFF
				corruptAt = -1
			}
			// Forward, stopping at a stall point or a cut point.
			for len(data) > 0 {
				end := int64(len(data))
				if stallAt >= total && stallAt < total+end {
					end = stallAt - total
				}
				if cutAt >= 0 && cutAt < total+end {
					end = max(0, cutAt-total)
				}
				if end > 0 {
					if !p.waitUnstalled(c) {
						return
					}
					if _, werr := c.Write(data[:end]); werr != nil {
						return
					}
					p.forwarded.Add(end)
				}
				total += end
				data = data[end:]
				if cutAt >= 0 && total >= cutAt {
					return
				}
				if stallAt >= 0 && total == stallAt {
					stallAt = -1
					p.Stall()
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// waitUnstalled blocks while the proxy is stalled; false once it or the
// connection was closed.
func (p *Proxy) waitUnstalled(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		_, open := p.conns[c]
		if p.closed || !open {
			return false
		}
		if !p.stalled {
			return true
		}
		p.cond.Wait()
	}
}
