package follower

import (
	"bytes"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// decoy listens on the port the follower announces (REPLCONF
// listening-port) and refuses to be promoted. A master running FAILOVER
// without TO picks any replica whose ACKed offset equals its own — a
// prompt follower qualifies — then becomes a replica of that ip:port and
// sends PSYNC ... FAILOVER; with nothing answering there it would stay in
// failover-in-progress, writes paused, until FAILOVER ABORT
// (protocol.md §12). The decoy answers the handshake (PING, AUTH,
// REPLCONF) and -ERR to PSYNC and SYNC: the master aborts ("Failover
// target rejected psync request") and stays master. Any other command
// (a Sentinel's CLIENT SETNAME, INFO, SUBSCRIBE) closes the connection
// unanswered: to Sentinel the follower stays an unreachable replica, which
// it never promotes and does not wait for when it reconfigures replicas
// after a failover (a reachable one that refuses SLAVEOF would hold the
// failover's end, and the follower's switch, for the failover timeout).
// Nothing of the dataset is served.
type decoy struct {
	ln  net.Listener
	log *slog.Logger

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{} // nil once closed
}

// decoyIdle closes a decoy connection that sent nothing for this long.
const decoyIdle = time.Minute

func startDecoy(addr string, log *slog.Logger) (*decoy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	d := &decoy{ln: ln, log: log, conns: map[net.Conn]struct{}{}}
	d.wg.Add(1)
	go d.serve()
	return d, nil
}

// port is the port the decoy listens on.
func (d *decoy) port() int { return d.ln.Addr().(*net.TCPAddr).Port }

func (d *decoy) serve() {
	defer d.wg.Done()
	for {
		c, err := d.ln.Accept()
		if err != nil {
			return // closed
		}
		d.mu.Lock()
		if d.conns == nil {
			d.mu.Unlock()
			c.Close()
			return
		}
		d.conns[c] = struct{}{}
		d.wg.Add(1)
		d.mu.Unlock()
		go d.handle(c)
	}
}

func (d *decoy) handle(c net.Conn) {
	defer d.wg.Done()
	defer func() {
		d.mu.Lock()
		if d.conns != nil {
			delete(d.conns, c)
		}
		d.mu.Unlock()
		c.Close()
	}()
	rd := resp.NewReader(c, 4096, resp.Limits{MaxArgs: 64, MaxBulk: 4096})
	for {
		c.SetReadDeadline(time.Now().Add(decoyIdle))
		args, _, err := rd.ReadCommand()
		if err != nil {
			return
		}
		reply, last := decoyReply(args)
		if reply == "" {
			return
		}
		if _, err := c.Write([]byte(reply)); err != nil || last {
			if last {
				d.log.Warn("a master tried to fail over to the follower (FAILOVER without TO?); refused, so it aborts the failover and stays master",
					"from", c.RemoteAddr().String(), "command", string(bytes.ToUpper(args[0])))
			}
			return
		}
	}
}

// decoyReply is the decoy's answer to a command ("": close unanswered),
// and whether the connection ends after it.
func decoyReply(args [][]byte) (string, bool) {
	switch string(bytes.ToUpper(args[0])) {
	case "PING":
		return "+PONG\r\n", false
	case "AUTH", "REPLCONF":
		return "+OK\r\n", false
	case "PSYNC", "SYNC":
		return "-ERR redis-follower is not a Redis server and cannot be promoted\r\n", true
	}
	return "", true
}

// close stops listening, closes every connection and joins them.
func (d *decoy) close() {
	d.ln.Close()
	d.mu.Lock()
	for c := range d.conns {
		c.Close()
	}
	d.conns = nil
	d.mu.Unlock()
	d.wg.Wait()
}
