package psync

import (
	"bytes"
	"errors"
	"io"

	"github.com/redis-follower/redis-follower/internal/resp"
)

// PayloadReader returns a reader bounded to exactly the RDB payload that
// follows preamble p on r: the next p.Length bytes, or everything up to
// (not including) the EOF mark. It returns io.EOF exactly at the payload's
// end and never reads a byte past it (past the mark, a diskless master
// sends nothing until it gets our first ACK).
//
// A master sends nothing after the mark until the first ACK; should bytes
// follow it anyway, they are handed back to r (they belong to the stream).
func PayloadReader(r *resp.Reader, p *Preamble) io.Reader {
	if p.Length >= 0 {
		return &lengthReader{r: r, n: p.Length}
	}
	return newMarkReader(r, p.Mark)
}

// lengthReader is io.LimitReader that reports a short payload as
// io.ErrUnexpectedEOF instead of a clean EOF.
type lengthReader struct {
	r io.Reader
	n int64
}

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err == io.EOF && l.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// markReader yields bytes until the 40-byte mark: it always holds back the
// last len(mark) bytes received, and ends when they equal the mark. The
// window therefore rolls across reads, whatever their sizes.
type markReader struct {
	r      *resp.Reader
	mark   []byte
	buf    []byte
	lo, hi int // unreturned bytes are buf[lo:hi]
	found  bool
	err    error
}

// ErrMarkNotFound is returned when the link ends before the EOF mark.
var ErrMarkNotFound = errors.New("connection ended before the diskless payload's EOF mark")

func newMarkReader(r *resp.Reader, mark []byte) *markReader {
	return &markReader{r: r, mark: mark, buf: make([]byte, 64<<10+len(mark))}
}

func (m *markReader) Read(p []byte) (int, error) {
	for {
		// Bytes that can no longer be part of the mark may be released.
		avail := m.hi - m.lo
		if !m.found {
			avail -= len(m.mark)
		}
		if avail > 0 {
			n := copy(p, m.buf[m.lo:m.lo+avail])
			m.lo += n
			return n, nil
		}
		if m.found {
			return 0, io.EOF
		}
		if m.err != nil {
			return 0, m.err
		}
		if m.lo > 0 {
			m.hi = copy(m.buf, m.buf[m.lo:m.hi])
			m.lo = 0
		}
		n, err := m.r.Read(m.buf[m.hi:])
		// The mark may start up to len(mark)-1 bytes before the new data.
		from := max(m.lo, m.hi-len(m.mark)+1)
		m.hi += n
		if i := bytes.Index(m.buf[from:m.hi], m.mark); i >= 0 {
			end := from + i
			m.r.Unread(m.buf[end+len(m.mark) : m.hi])
			m.found = true
			m.hi = end
		}
		if err != nil && !m.found {
			if err == io.EOF {
				err = ErrMarkNotFound
			}
			m.err = err
		}
	}
}
