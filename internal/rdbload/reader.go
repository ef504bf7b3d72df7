package rdbload

import (
	"io"

	"github.com/redis-follower/redis-follower/internal/rdb"
)

// bufSize is the read buffer. Anything up to this size is handed out as a
// view into the buffer (no copy); larger strings and blobs are read in
// chunks into memory that grows only as bytes arrive.
const bufSize = 1 << 20

// reader is the decoder's own buffered reader. It never reads more than
// the source gives it (the caller bounds the source to the payload), keeps
// the absolute offset, folds every consumed byte into the CRC-64 in chunks
// (never per byte) and can capture the raw bytes of a region (module
// values) the same way.
type reader struct {
	src io.Reader
	buf []byte
	// viewMax is the longest string handed out as a view (len(buf); a
	// parallel worker's reader over one record says its decoder's).
	viewMax int
	r, w    int   // unread bytes are buf[r:w]
	base    int64 // input offset of buf[0]
	mark    int   // buf[:mark] has been folded into crc (and capture)
	crc     uint64
	err     error // sticky error of src (io.EOF kept as is)

	capturing bool
	capture   []byte

	// The raw-bytes copy of the parallel splitter (parallel.go): unlike
	// capture it costs no CRC fold per record.
	teeing  bool
	teeMark int // buf[teeMark:r] is not copied yet
	tee     []byte
}

func newReader(src io.Reader, size int) *reader {
	return &reader{src: src, buf: make([]byte, size), viewMax: size}
}

// offset is the input offset of the next unread byte.
func (rd *reader) offset() int64 { return rd.base + int64(rd.r) }

// fold adds the consumed bytes not yet folded to the CRC and the capture.
func (rd *reader) fold() {
	if rd.r > rd.mark {
		p := rd.buf[rd.mark:rd.r]
		rd.crc = rdb.CRC64(rd.crc, p)
		if rd.capturing {
			rd.capture = append(rd.capture, p...)
		}
		rd.mark = rd.r
	}
}

// fill makes at least n (<= len(buf)) unread bytes available.
func (rd *reader) fill(n int) error {
	if rd.w-rd.r >= n {
		return nil
	}
	if rd.r > 0 {
		rd.fold()
		if rd.teeing {
			rd.tee = append(rd.tee, rd.buf[rd.teeMark:rd.r]...)
			rd.teeMark = 0
		}
		copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.base += int64(rd.r)
		rd.w -= rd.r
		rd.r, rd.mark = 0, 0
	}
	empty := 0
	for rd.w < n {
		if rd.err != nil {
			if rd.err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return rd.err
		}
		m, err := rd.src.Read(rd.buf[rd.w:])
		if m < 0 || m > len(rd.buf)-rd.w {
			rd.err = io.ErrShortBuffer
			continue
		}
		rd.w += m
		if err != nil {
			rd.err = err
		} else if m == 0 {
			if empty++; empty >= 100 {
				rd.err = io.ErrNoProgress
			}
		}
	}
	return nil
}

func (rd *reader) readByte() (byte, error) {
	if rd.r == rd.w {
		if err := rd.fill(1); err != nil {
			return 0, err
		}
	}
	b := rd.buf[rd.r]
	rd.r++
	return b, nil
}

// view returns the next n (<= len(buf)) bytes; the slice is valid until
// the next call on the reader.
func (rd *reader) view(n int) ([]byte, error) {
	if rd.w-rd.r < n {
		if err := rd.fill(n); err != nil {
			return nil, err
		}
	}
	v := rd.buf[rd.r : rd.r+n : rd.r+n]
	rd.r += n
	return v, nil
}

// appendN appends the next n bytes of the input to dst, growing dst only
// as the bytes arrive (a corrupt huge n fails at the end of the input, not
// with a huge allocation).
func (rd *reader) appendN(dst []byte, n uint64) ([]byte, error) {
	for n > 0 {
		if rd.r == rd.w {
			if err := rd.fill(1); err != nil {
				return dst, err
			}
		}
		k := rd.w - rd.r
		if uint64(k) > n {
			k = int(n)
		}
		dst = append(dst, rd.buf[rd.r:rd.r+k]...)
		rd.r += k
		n -= uint64(k)
	}
	return dst, nil
}

// skip discards the next n bytes.
func (rd *reader) skip(n uint64) error {
	for n > 0 {
		if rd.r == rd.w {
			if err := rd.fill(1); err != nil {
				return err
			}
		}
		k := rd.w - rd.r
		if uint64(k) > n {
			k = int(n)
		}
		rd.r += k
		n -= uint64(k)
	}
	return nil
}

// sum returns the CRC-64 of every byte consumed so far.
func (rd *reader) sum() uint64 {
	rd.fold()
	return rd.crc
}

// startCapture begins recording consumed bytes.
func (rd *reader) startCapture() {
	rd.fold()
	rd.capturing = true
	rd.capture = nil
}

// endCapture stops recording and returns the bytes consumed since
// startCapture (owned by the caller).
func (rd *reader) endCapture() []byte {
	rd.fold()
	rd.capturing = false
	c := rd.capture
	rd.capture = nil
	return c
}

// atEOF reports nil when the input has no byte left, ErrCorrupt-class
// trailing data when it has, or the source's error.
func (rd *reader) atEOF() error {
	if rd.w > rd.r {
		return corrupt("unexpected data after the end of the RDB")
	}
	for empty := 0; rd.err == nil; {
		var one [1]byte
		m, err := rd.src.Read(one[:])
		if m > 0 {
			return corrupt("unexpected data after the end of the RDB")
		}
		if err != nil {
			rd.err = err
			break
		}
		if empty++; empty >= 100 {
			rd.err = io.ErrNoProgress
		}
	}
	if rd.err == io.EOF {
		return nil
	}
	return rd.err
}

// startTee begins appending the bytes consumed from now on to dst.
func (rd *reader) startTee(dst []byte) {
	rd.teeing, rd.teeMark, rd.tee = true, rd.r, dst
}

// endTee stops the copy and returns dst with the bytes consumed since
// startTee appended.
func (rd *reader) endTee() []byte {
	t := append(rd.tee, rd.buf[rd.teeMark:rd.r]...)
	rd.teeing, rd.tee = false, nil
	return t
}

// reset makes rd read p (input offset base) and nothing more, handing
// out views as a reader of viewMax bytes does.
func (rd *reader) reset(p []byte, base int64, viewMax int) {
	rd.src, rd.buf, rd.r, rd.w, rd.base, rd.mark, rd.err = eofReader{}, p, 0, len(p), base, 0, nil
	rd.viewMax = viewMax
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
