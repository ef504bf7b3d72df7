package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLineLength bounds a reply line during the handshake. Redis's
// protected-mode -DENIED message is over 1000 bytes, so this is generous.
const MaxLineLength = 64 << 10

// ErrLineTooLong is returned by ReadLine for a line over MaxLineLength.
var ErrLineTooLong = errors.New("reply line longer than 64 KiB: is this a Redis server?")

// Reader is the single buffered reader of a replication link: handshake
// lines, then the RDB payload (through Read), then commands parsed in place.
// Nothing it has buffered is ever lost between those phases.
//
// It is not safe for concurrent use.
type Reader struct {
	rd    io.Reader
	buf   []byte
	r, w  int
	args  [][]byte
	lim   Limits
	start int // initial buffer size; the buffer shrinks back to it
}

// NewReader returns a Reader with an initial buffer of size bytes.
func NewReader(rd io.Reader, size int, lim Limits) *Reader {
	if size < 16 {
		size = 16
	}
	return &Reader{rd: rd, buf: make([]byte, size), lim: lim, start: size}
}

// Buffered returns the number of bytes read from the source but not yet
// consumed.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads more data, first making room for at least min bytes in total
// (from r.r). It returns the error of the underlying read, if any, after
// storing whatever it got.
func (r *Reader) fill(min int) error {
	if r.r > 0 && (r.r == r.w || min > len(r.buf)-r.r) {
		// Move the unread bytes to the front; shrink an oversized buffer
		// once it is no longer needed.
		if len(r.buf) > 4*r.start && min <= r.start && r.w-r.r <= r.start {
			nb := make([]byte, r.start)
			r.w = copy(nb, r.buf[r.r:r.w])
			r.buf = nb
		} else {
			r.w = copy(r.buf, r.buf[r.r:r.w])
		}
		r.r = 0
	}
	if min > len(r.buf)-r.r {
		size := 2 * len(r.buf)
		for size < min {
			size *= 2
		}
		nb := make([]byte, size)
		r.w = copy(nb, r.buf[r.r:r.w])
		r.r = 0
		r.buf = nb
	}
	n, err := r.rd.Read(r.buf[r.w:])
	if n < 0 {
		return errors.New("resp: invalid read count")
	}
	r.w += n
	if n == 0 && err == nil {
		return nil // a reader may return (0, nil); the caller loops
	}
	return err
}

// ReadLine returns the next line without its terminator ("\n" or "\r\n").
// A blank keepalive line ("\n") returns an empty slice. The slice is valid
// until the next call on r.
func (r *Reader) ReadLine() ([]byte, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(r.buf[r.r+scanned:r.w], '\n'); i >= 0 {
			end := r.r + scanned + i
			line := r.buf[r.r:end]
			r.r = end + 1
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, nil
		}
		scanned = r.w - r.r
		if scanned > MaxLineLength {
			return nil, ErrLineTooLong
		}
		if err := r.fill(scanned + 1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// Read implements io.Reader: buffered bytes first, then the source.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.r == r.w {
		if len(p) >= len(r.buf) {
			return r.rd.Read(p) // large read: bypass the buffer
		}
		r.r, r.w = 0, 0
		if err := r.fill(1); err != nil && r.w == 0 {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.r:r.w])
	r.r += n
	return n, nil
}

// ReadCommand reads the next command. It returns its arguments (views into
// the buffer, valid until the next call on r) and n, the exact number of
// stream bytes the command occupied. A *ProtocolError means the stream is
// corrupt; io.EOF or a network error means the link broke (a partially
// received command is simply not returned).
func (r *Reader) ReadCommand() (args [][]byte, n int, err error) {
	for {
		args, n, need, err := ParseCommand(r.buf[r.r:r.w], r.args, r.lim)
		r.args = args[:0]
		if err != nil {
			return nil, 0, err
		}
		if n > 0 {
			r.r += n
			return args, n, nil
		}
		if err := r.fill(need); err != nil {
			if err == io.EOF && r.w > r.r {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		// Read until at least need bytes are buffered before parsing again,
		// so a huge argument is not re-scanned for every read.
		for r.w-r.r < need {
			if err := r.fill(need); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, 0, err
			}
		}
	}
}

// Unread puts b back in front of the buffered bytes, so the next read
// returns it first. It is for a consumer that read past the end of its
// part of the stream (the diskless payload's EOF mark).
func (r *Reader) Unread(b []byte) {
	if len(b) == 0 {
		return
	}
	if len(b) <= r.r {
		r.r -= len(b)
		copy(r.buf[r.r:], b)
		return
	}
	nb := make([]byte, max(len(r.buf), len(b)+r.w-r.r))
	n := copy(nb, b)
	n += copy(nb[n:], r.buf[r.r:r.w])
	r.buf, r.r, r.w = nb, 0, n
}

// Discard skips n buffered-or-upcoming bytes.
func (r *Reader) Discard(n int) error {
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(1); err != nil {
				return err
			}
			continue
		}
		k := min(n, r.w-r.r)
		r.r += k
		n -= k
	}
	return nil
}

// String describes the reader state (for debugging).
func (r *Reader) String() string {
	return fmt.Sprintf("resp.Reader{buffered=%d cap=%d}", r.w-r.r, len(r.buf))
}
