package journal

// blockSize is the size of one block of the in-memory tail.
const blockSize = 256 << 10

// memTail keeps the most recent stream bytes in fixed-size blocks, so the
// applier reads what was just received without touching the file. It
// holds bytes base+1 .. end; blocks[i] holds bytes base+1+i*blockSize ...
// Appending beyond max drops whole blocks from the front.
type memTail struct {
	blocks [][]byte
	free   [][]byte
	base   int64
	end    int64
	max    int
}

func (m *memTail) reset(off int64) {
	for _, b := range m.blocks {
		m.release(b)
	}
	m.blocks = m.blocks[:0]
	m.base, m.end = off, off
}

func (m *memTail) release(b []byte) {
	if len(m.free) < 4 {
		m.free = append(m.free, b[:0])
	}
}

func (m *memTail) newBlock() []byte {
	if n := len(m.free); n > 0 {
		b := m.free[n-1]
		m.free = m.free[:n-1]
		return b
	}
	return make([]byte, 0, blockSize)
}

// append copies p at the end, evicting old blocks beyond the budget.
func (m *memTail) append(p []byte) {
	for len(p) > 0 {
		n := len(m.blocks)
		if n == 0 || len(m.blocks[n-1]) == blockSize {
			m.blocks = append(m.blocks, m.newBlock())
			n++
		}
		last := m.blocks[n-1]
		k := min(len(p), blockSize-len(last))
		m.blocks[n-1] = append(last, p[:k]...)
		p = p[k:]
		m.end += int64(k)
	}
	for len(m.blocks) > 1 && len(m.blocks)*blockSize > m.max {
		m.release(m.blocks[0])
		m.blocks[0] = nil
		m.blocks = m.blocks[1:]
		m.base += blockSize
	}
}

// copyAt copies bytes pos+1 .. into dst (base <= pos < end) and returns
// how many.
func (m *memTail) copyAt(dst []byte, pos int64) int {
	n := 0
	for n < len(dst) && pos < m.end {
		rel := pos - m.base
		b := m.blocks[rel/blockSize]
		k := copy(dst[n:], b[rel%blockSize:])
		n += k
		pos += int64(k)
	}
	return n
}

// truncate drops the bytes after off (base <= off <= end); below base it
// resets the tail to start at off.
func (m *memTail) truncate(off int64) {
	if off < m.base || off > m.end {
		m.reset(off)
		return
	}
	rel := off - m.base
	keep := int((rel + blockSize - 1) / blockSize)
	for i := keep; i < len(m.blocks); i++ {
		m.release(m.blocks[i])
		m.blocks[i] = nil
	}
	m.blocks = m.blocks[:keep]
	if keep > 0 {
		m.blocks[keep-1] = m.blocks[keep-1][:rel-int64(keep-1)*blockSize]
	}
	m.end = off
}
