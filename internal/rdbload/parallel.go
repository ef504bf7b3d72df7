package rdbload

import (
	"errors"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// Parallel decoding. A splitter (the decoder's own loop, in a goroutine)
// walks the input as a KeySelector's skip does — every length bounded,
// every byte folded into the CRC-64 — and copies each key record's raw
// bytes into a batch; workers decode the batches' values into entries;
// the caller's goroutine hands them to the Handler in file order, with
// every other record (SELECTDB, AUX, FUNCTION2, ...) in its place. The
// Handler sees exactly the calls, in exactly the order, a sequential
// decode makes, on the caller's goroutine; an error is the first one in
// file order, with the same offset and words: where the splitter fails
// inside a value, a worker decodes the bytes it read, and the error the
// worker meets first (one a sequential decode meets first) wins.
//
// Memory in flight is bounded: about 2n+5 batches of batchBytes (n
// workers: the channels' capacities), plus a value larger than that in a
// batch of its own.

const (
	batchBytes   = 256 << 10 // raw bytes per batch, roughly
	maxBatchRecs = 2048      // records per batch at most
	// parallelMin is the smallest known input size decoded in parallel.
	parallelMin = 1 << 20
)

// workers is how many value decoders a decode uses (1: sequential).
func (d *decoder) workers() int {
	if d.sel != nil { // skipping keys is already cheap
		return 1
	}
	w := d.opts.Workers
	if w == 0 {
		if d.size >= 0 && d.size < parallelMin {
			return 1
		}
		w = min(runtime.GOMAXPROCS(0), 4)
	}
	return max(w, 1)
}

// prec is one record of a batch: a key record to decode (op < 0), or a
// deferred call to the handler (b.ops[op]). It holds no pointers: a batch
// of them is filled and cleared without write barriers.
type prec struct {
	off    int64 // input offset of the record (its type byte)
	end    int64 // input offset after it
	expire int64
	lo, hi int   // the record's bytes after the type byte: batch.buf[lo:hi]
	op     int32 // index in batch.ops, or -1
	meta   int32 // index in batch.metas (IDLE/FREQ seen), or -1
	db     int32
	t      byte
	hasExp bool
}

// pop is a deferred handler call and how its error is named.
type pop struct {
	fn     func() error
	what   string
	db     int // -1: none
	key    string
	hasKey bool
}

type pbatch struct {
	buf   []byte
	recs  []prec
	ops   []pop
	metas []KeyMeta
	// The workers' results, by record index.
	ents []*store.Entry
	keys []string
	// The first error in the batch: a value's (at errAt) or the
	// splitter's own (errAt == len(recs), after every record).
	err   error
	errAt int
	// partial: the record at errAt holds the bytes the splitter read
	// before its error.
	partial bool
	done    chan struct{} // closed once the worker is through
}

// par is the state shared by the splitter, the workers and the consumer.
type par struct {
	work  chan *pbatch
	order chan *pbatch
	free  chan *pbatch
	quit  chan struct{}
	cur   *pbatch
	info  *Info // the consumer's counts
	recs  int   // records per batch at most
}

var errStopped = errors.New("rdbload: decode stopped")

func (p *par) newBatch() *pbatch {
	select {
	case b := <-p.free:
		clear(b.ops)
		clear(b.ents)
		clear(b.keys)
		b.buf, b.recs, b.ops, b.ents, b.keys = b.buf[:0], b.recs[:0], b.ops[:0], b.ents[:0], b.keys[:0]
		b.metas = b.metas[:0]
		b.err, b.errAt, b.partial = nil, -1, false
		b.done = make(chan struct{})
		return b
	default:
		return &pbatch{buf: make([]byte, 0, batchBytes+batchBytes/4), errAt: -1, done: make(chan struct{})}
	}
}

// flush sends the current batch to the workers and the consumer.
func (p *par) flush() error {
	b := p.cur
	select {
	case p.work <- b:
	case <-p.quit:
		return errStopped
	}
	p.cur = p.newBatch() // b belongs to the workers and the consumer now
	select {
	case p.order <- b:
	case <-p.quit:
		return errStopped
	}
	return nil
}

// deferOp queues a handler call (made by the consumer, in order).
func (d *decoder) deferOp(what string, fn func() error) error {
	p := d.par
	b := p.cur
	db := -1
	if d.inDB {
		db = d.db
	}
	b.ops = append(b.ops, pop{fn: fn, what: what, db: db, key: d.key, hasKey: d.hasKey})
	b.recs = append(b.recs, prec{off: d.rd.offset(), op: int32(len(b.ops) - 1), meta: -1})
	if len(b.recs) >= p.recs {
		return p.flush()
	}
	return nil
}

// splitRecord copies the key record whose type byte t (at offset start)
// was just read into the current batch.
func (d *decoder) splitRecord(t byte, start, expire int64, hasExpire bool, meta KeyMeta) error {
	p := d.par
	b := p.cur
	lo := len(b.buf)
	if t == rdb.TypeString {
		if n := d.plainStringRecord(); n > 0 {
			rd := d.rd
			b.buf = append(b.buf, rd.buf[rd.r:rd.r+n]...)
			rd.r += n
			return d.splitDone(t, start, expire, hasExpire, meta, lo)
		}
	}
	// Framing only: the key name and the value are skipped (lengths
	// checked as decoding checks them) and the worker decodes both.
	d.rd.startTee(b.buf)
	err := d.skipString()
	inValue := err == nil
	if inValue {
		err = d.skipValue(t)
	}
	b.buf = d.rd.endTee()
	if err != nil {
		what := "reading a key name"
		if inValue {
			what = "reading a " + typeName(t, d.valkey) + " value"
		}
		err = d.wrap(err, what)
		// A worker decodes the bytes read so far: where it meets a
		// corruption before they end, that is the error a sequential
		// decode reports (and it names the key).
		b.recs = append(b.recs, prec{off: start, end: d.rd.offset(), lo: lo, hi: len(b.buf), op: -1,
			meta: -1, db: int32(d.db), t: t})
		b.err, b.errAt, b.partial = err, len(b.recs)-1, true
		return err
	}
	return d.splitDone(t, start, expire, hasExpire, meta, lo)
}

// splitDone records the key record just copied to the batch from lo on.
func (d *decoder) splitDone(t byte, start, expire int64, hasExpire bool, meta KeyMeta, lo int) error {
	p := d.par
	b := p.cur
	mi := int32(-1)
	if meta.Idle != -1 || meta.Freq != -1 {
		b.metas = append(b.metas, meta)
		mi = int32(len(b.metas) - 1)
	}
	b.recs = append(b.recs, prec{off: start, end: d.rd.offset(), expire: expire, lo: lo, hi: len(b.buf),
		op: -1, meta: mi, db: int32(d.db), t: t, hasExp: hasExpire})
	if len(b.buf) >= batchBytes || len(b.recs) >= p.recs {
		return p.flush()
	}
	return nil
}

// deferH is the splitter's handler: every call is queued for the consumer.
type deferH struct {
	d *decoder
	h Handler
}

func (q *deferH) Aux(k, v string) error {
	return q.d.deferOp("handler refused an AUX field", func() error { return q.h.Aux(k, v) })
}

func (q *deferH) SelectDB(db int) error {
	return q.d.deferOp("handler refused SELECTDB", func() error { return q.h.SelectDB(db) })
}

func (q *deferH) Function(name string, code []byte) error {
	return q.d.deferOp("handler refused function library "+strconv.Quote(name), func() error { return q.h.Function(name, code) })
}

func (q *deferH) ModuleAux(raw []byte) error {
	return q.d.deferOp("handler refused a MODULE_AUX record", func() error { return q.h.ModuleAux(raw) })
}

func (q *deferH) Key(int, string, *store.Entry, KeyMeta) error {
	return errors.New("rdbload: internal error: the parallel splitter decoded a key") // splitRecord takes them
}

func (q *deferH) Header(magic string, version int) error {
	hh, ok := q.h.(HeaderHandler)
	if !ok {
		return nil
	}
	return q.d.deferOp("handler refused the RDB header", func() error { return hh.Header(magic, version) })
}

func (q *deferH) ResizeDB(db int, keys uint64) {
	if rs, ok := q.h.(Resizer); ok {
		_ = q.d.deferOp("", func() error { rs.ResizeDB(db, keys); return nil })
	}
}

// progress calls Progress with the keys handed to the handler so far;
// while splitting, the call is queued for the consumer, which makes it
// with its count at that point of the file.
func (d *decoder) progress(off int64) {
	f := d.opts.Progress
	if d.par == nil {
		f(off, d.info.Keys)
		return
	}
	info := d.par.info
	_ = d.deferOp("", func() error { f(off, info.Keys); return nil })
}

// runParallel is Decode with n value decoders.
func (d *decoder) runParallel(n int) (*Info, error) {
	p := &par{
		work:  make(chan *pbatch, n+1),
		order: make(chan *pbatch, 2*n+2),
		free:  make(chan *pbatch, 3*n+4),
		quit:  make(chan struct{}),
		recs:  maxBatchRecs,
		info:  &Info{},
	}
	if d.opts.batchRecs > 0 {
		p.recs = d.opts.batchRecs
	}
	h := d.h
	q := &deferH{d: d, h: h}
	d.h, d.par = q, p
	p.cur = p.newBatch()

	var wg sync.WaitGroup
	var splitErr error
	wg.Add(1)
	go func() { // the splitter
		defer wg.Done()
		defer close(p.work)
		defer close(p.order)
		splitErr = d.run()
		if errors.Is(splitErr, errStopped) {
			return
		}
		if splitErr != nil && p.cur.err == nil {
			p.cur.err, p.cur.errAt = splitErr, len(p.cur.recs)
		}
		if p.flush() != nil {
			return
		}
	}()
	for range n {
		wg.Add(1)
		go func() { // a value decoder
			defer wg.Done()
			w := newDecoder(eofReader{}, h, d.opts, 0)
			w.size, w.viewMax = d.size, len(d.rd.buf)
			for b := range p.work {
				select {
				case <-p.quit:
				default:
					w.decodeBatch(d, b)
				}
				close(b.done)
			}
		}()
	}

	// The consumer: the caller's goroutine.
	info := p.info
	var err error
	for b := range p.order {
		<-b.done
		if err == nil {
			if err = d.consume(b, h, info); err != nil {
				close(p.quit)
			}
		}
		select {
		case p.free <- b:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if splitErr != nil { // cannot be: the consumer met it
		return nil, splitErr
	}
	d.info.Keys, d.info.Expires, d.info.EmptySkipped = info.Keys, info.Expires, info.EmptySkipped
	if d.info.EmptySkipped > 10 {
		d.log.Warn("RDB held empty collections; skipped them", "count", d.info.EmptySkipped)
	}
	return d.info, nil
}

// decodeBatch decodes the key records of b (main is the splitter's
// decoder: its header fields are set before any batch exists), up to the
// first error.
func (w *decoder) decodeBatch(main *decoder, b *pbatch) {
	w.version, w.valkey = main.version, main.valkey
	n := len(b.recs)
	if b.errAt >= 0 {
		n = b.errAt
	}
	// Cleared when the batch was recycled (newBatch).
	b.ents = slices.Grow(b.ents[:0], len(b.recs))[:len(b.recs)]
	b.keys = slices.Grow(b.keys[:0], len(b.recs))[:len(b.recs)]
	for i := range n {
		r := &b.recs[i]
		if r.op >= 0 {
			continue
		}
		e, _, err := w.decodeRec(b, r)
		if err == nil && w.rd.r != w.rd.w {
			// The value's decoder and the splitter disagree on its end.
			err = w.wrap(corrupt("the value ends before its record"), "reading a "+typeName(r.t, w.valkey)+" value")
		}
		if err != nil {
			b.err, b.errAt, b.partial = err, i, false
			return
		}
		b.ents[i], b.keys[i] = e, w.key
	}
	if b.partial {
		// The worker's error is the sequential one unless its bytes ran
		// out where the splitter found something else wrong.
		_, hasKey, err := w.decodeRec(b, &b.recs[n])
		switch {
		case err != nil && (!errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(b.err, io.ErrUnexpectedEOF)):
			b.err = err
		case hasKey: // the splitter's error, with the key the worker read
			b.err = wrapErr(b.err, "", 0, -1, w.key, true)
		}
	}
}

// decodeRec decodes record r, and reports whether the key name was read
// (w.key) when it fails.
func (w *decoder) decodeRec(b *pbatch, r *prec) (e *store.Entry, hasKey bool, err error) {
	w.rd.reset(b.buf[r.lo:r.hi:r.hi], r.off+1, w.viewMax)
	w.db, w.inDB, w.hasKey, w.key = int(r.db), true, false, ""
	e, err = w.decodeKey(r.t)
	hasKey, w.hasKey = w.hasKey, false
	return e, hasKey, err
}

// consume hands the batch's records to h in order.
func (d *decoder) consume(b *pbatch, h Handler, info *Info) error {
	for i := range b.recs {
		if i == b.errAt {
			return b.err
		}
		r := &b.recs[i]
		if r.op >= 0 {
			op := &b.ops[r.op]
			if err := op.fn(); err != nil {
				return wrapErr(err, op.what, r.off, op.db, op.key, op.hasKey)
			}
			continue
		}
		meta := KeyMeta{Type: r.t, Idle: -1, Freq: -1}
		if r.meta >= 0 {
			meta = b.metas[r.meta]
		}
		if err := deliverKey(h, info, d.log, d.onRecord, d.valkey, int(r.db), b.keys[i], r.t, b.ents[i], r.off, r.end,
			r.expire, r.hasExp, meta); err != nil {
			return wrapErr(err, "handler refused the key", r.end, int(r.db), b.keys[i], true)
		}
	}
	if b.errAt == len(b.recs) {
		return b.err
	}
	return nil
}

// plainStringRecord is the length of a string record (after its type
// byte) that is all in the read buffer with a key name and value of
// 6- or 14-bit lengths (or an integer-encoded value) within maxLen, else
// 0: the common case, framed without the general string readers.
func (d *decoder) plainStringRecord() int {
	rd := d.rd
	p := rd.buf[rd.r:rd.w]
	kl, h := shortLen(p)
	if h == 0 || uint64(kl) > d.maxLen {
		return 0
	}
	n := h + kl
	if n >= len(p) {
		return 0
	}
	vl, vh := shortLen(p[n:])
	if vh == 0 {
		if p[n]>>6 != rdb.LenEncVal {
			return 0
		}
		switch p[n] & 0x3f {
		case rdb.EncInt8:
			vl = 1
		case rdb.EncInt16:
			vl = 2
		case rdb.EncInt32:
			vl = 4
		default:
			return 0
		}
		vh = 1
	}
	if uint64(vl) > d.maxLen {
		return 0
	}
	if n += vh + vl; n > len(p) {
		return 0
	}
	return n
}
