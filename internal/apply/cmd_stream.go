package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"fmt"
	"math"

	"github.com/redis-follower/redis-follower/internal/store"
)

var (
	errXAddZeroID      = errors.New("The ID specified in XADD must be greater than 0-0")
	errXAddSmallID     = errors.New("The ID specified in XADD is equal or smaller than the target stream top item")
	errXAddExhausted   = errors.New("The stream has exhausted the last possible ID, unable to add more items")
	errXAddTooLarge    = errors.New("Elements are too large to be stored")
	errXTrimBoth       = errors.New("syntax error, MAXLEN and MINID options at the same time are not compatible")
	errXTrimMaxLen     = errors.New("The MAXLEN argument must be >= 0.")
	errXTrimLimit      = errors.New("The LIMIT argument must be >= 0.")
	errXTrimLimitAlone = errors.New("syntax error, LIMIT cannot be used without specifying a trimming strategy")
	errXTrimNoStrategy = errors.New("syntax error, XTRIM must be called with a trimming strategy")
	errXGroupNoKey     = errors.New("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
	errXGroupBusy      = errors.New("BUSYGROUP Consumer Group name already exists")
	errXGroupRead      = errors.New("value for ENTRIESREAD must be positive or -1")
	errXGroupSyntax    = errors.New("unknown subcommand or wrong number of arguments")
	errXSetIDSmall     = errors.New("The ID specified in XSETID is smaller than the target stream top item")
	errXSetIDAdded     = errors.New("entries_added must be positive")
	errXSetIDMaxDel    = errors.New("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
	errXSetIDLength    = errors.New("The entries_added specified in XSETID is smaller than the target stream length")
)

// streamListpackMaxSize is STREAM_LISTPACK_MAX_SIZE (1 GiB).
const streamListpackMaxSize = 1 << 30

var maxStreamID = store.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}

// parseStreamID is streamGenericParseIDOrReply. With strict, "-" and "+"
// are invalid. seqStar allows "<ms>-*" (then seqGiven is false).
func parseStreamID(arg []byte, strict bool, missingSeq uint64, seqStar bool) (id store.StreamID, seqGiven bool, ok bool) {
	if len(arg) > 127 {
		return id, false, false
	}
	b := cString(arg)
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '-' {
			return store.StreamID{}, true, true
		}
		return maxStreamID, true, true
	}
	msPart, seqPart, hasDash := b, []byte(nil), false
	for i, c := range b {
		if c == '-' {
			msPart, seqPart, hasDash = b[:i], b[i+1:], true
			break
		}
	}
	ms, ok := parseUint64(msPart)
	if !ok {
		return id, false, false
	}
	seqGiven = true
	seq := missingSeq
	if hasDash {
		if seqStar && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = parseUint64(seqPart); !ok {
			return id, false, false
		}
	}
	return store.StreamID{Ms: ms, Seq: seq}, seqGiven, true
}

func (a *Applier) streamOf(key []byte) (*store.Entry, error) {
	e := a.get(key)
	if e == nil {
		return nil, nil
	}
	if e.Kind() != store.KindStream {
		return nil, ErrWrongType
	}
	return e, nil
}

const (
	trimNone = iota
	trimMaxLen
	trimMinID
)

// addTrimArgs is streamAddTrimArgs.
type addTrimArgs struct {
	id         store.StreamID
	idGiven    bool
	seqGiven   bool
	noMkStream bool
	strategy   int
	maxlen     int64
	minid      store.StreamID
}

// parseAddTrim is streamParseAddOrTrimArgsOrReply for the master client:
// LIMIT is parsed and then ignored (trimming is exact), and "=" with LIMIT
// is accepted. It returns the index of the ID argument for XADD.
func parseAddTrim(args [][]byte, xadd bool) (addTrimArgs, int, error) {
	var t addTrimArgs
	var limit int64
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			return t, i, finishAddTrim(&t, limit, xadd)
		case eqFold(opt, "maxlen") && more > 0:
			if t.strategy != trimNone {
				return t, 0, errXTrimBoth
			}
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				i++
			}
			v, ok := parseInt64(args[i+1])
			if !ok {
				return t, 0, ErrNotInteger
			}
			if v < 0 {
				return t, 0, errXTrimMaxLen
			}
			t.maxlen = v
			t.strategy = trimMaxLen
			i++
		case eqFold(opt, "minid") && more > 0:
			if t.strategy != trimNone {
				return t, 0, errXTrimBoth
			}
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				i++
			}
			id, _, ok := parseStreamID(args[i+1], true, 0, false)
			if !ok {
				return t, 0, ErrStreamID
			}
			t.minid = id
			t.strategy = trimMinID
			i++
		case eqFold(opt, "limit") && more > 0:
			v, ok := parseInt64(args[i+1])
			if !ok {
				return t, 0, ErrNotInteger
			}
			if v < 0 {
				return t, 0, errXTrimLimit
			}
			limit = v
			i++
		case xadd && eqFold(opt, "nomkstream"):
			t.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, true, 0, true)
			if !ok {
				return t, 0, ErrStreamID
			}
			t.id, t.idGiven, t.seqGiven = id, true, seqGiven
			return t, i, finishAddTrim(&t, limit, xadd)
		default:
			return t, 0, ErrSyntax
		}
	}
	return t, i, finishAddTrim(&t, limit, xadd)
}

func finishAddTrim(t *addTrimArgs, limit int64, xadd bool) error {
	if limit != 0 && t.strategy == trimNone {
		return errXTrimLimitAlone
	}
	if !xadd && t.strategy == trimNone {
		return errXTrimNoStrategy
	}
	return nil
}

// trim is streamTrim with approx off and no limit (what a master's
// rewritten XADD/XTRIM asks of a replica).
func trim(s *store.Stream, t *addTrimArgs) {
	switch t.strategy {
	case trimMaxLen:
		if n := int64(s.Len()); n > t.maxlen {
			s.TrimFront(int(n - t.maxlen))
		}
	case trimMinID:
		i, _ := s.Find(t.minid)
		s.TrimFront(i)
	}
}

func cmdXAdd(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	t, idpos, err := parseAddTrim(args, true)
	if err != nil {
		return err
	}
	fieldPos := idpos + 1
	if n := len(args) - fieldPos; n < 2 || n%2 == 1 {
		return ErrWrongArity
	}
	if t.idGiven && t.seqGiven && t.id.IsZero() {
		return errXAddZeroID
	}
	e, err := a.streamOf(key)
	if err != nil {
		return err
	}
	if e == nil {
		if t.noMkStream {
			return nil
		}
		e = store.NewStreamEntry(store.NewStream())
		a.cur().Put(key, e)
	}
	s := e.Stream()
	if s.LastID == maxStreamID {
		return errXAddExhausted
	}
	var id store.StreamID
	switch {
	case !t.idGiven:
		id = nextStreamID(s.LastID, uint64(a.now()))
	case t.seqGiven:
		id = t.id
	case s.LastID.Ms == t.id.Ms:
		if s.LastID.Seq == math.MaxUint64 {
			return errXAddSmallID
		}
		id = store.StreamID{Ms: s.LastID.Ms, Seq: s.LastID.Seq + 1}
	default:
		id = store.StreamID{Ms: t.id.Ms}
	}
	if id.Compare(s.LastID) <= 0 {
		return errXAddSmallID
	}
	fields := args[fieldPos:]
	total := 0
	for _, f := range fields {
		total += len(f)
	}
	if total > streamListpackMaxSize {
		return errXAddTooLarge
	}
	s.Append(store.StreamEntry{ID: id, Fields: cloneFields(fields, total)})
	s.EntriesAdded++
	s.LastID = id
	trim(s, &t)
	return nil
}

// nextStreamID is streamNextID.
func nextStreamID(last store.StreamID, ms uint64) store.StreamID {
	if ms > last.Ms {
		return store.StreamID{Ms: ms}
	}
	if last.Seq == math.MaxUint64 {
		if last.Ms == math.MaxUint64 {
			return store.StreamID{}
		}
		return store.StreamID{Ms: last.Ms + 1}
	}
	return store.StreamID{Ms: last.Ms, Seq: last.Seq + 1}
}

// cloneFields copies the field/value pairs into one buffer.
func cloneFields(fields [][]byte, total int) [][]byte {
	buf := make([]byte, total)
	out := make([][]byte, len(fields))
	off := 0
	for i, f := range fields {
		n := copy(buf[off:], f)
		out[i] = buf[off : off+n : off+n]
		off += n
	}
	return out
}

func cmdXTrim(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	t, _, err := parseAddTrim(args, false)
	if err != nil {
		return err
	}
	e, err := a.streamOf(key)
	if err != nil || e == nil {
		return err
	}
	trim(e.Stream(), &t)
	return nil
}

func cmdXDel(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.streamOf(key)
	if err != nil || e == nil {
		return err
	}
	ids := make([]store.StreamID, 0, len(args)-2)
	for _, arg := range args[2:] {
		id, _, ok := parseStreamID(arg, true, 0, false)
		if !ok {
			return ErrStreamID
		}
		ids = append(ids, id)
	}
	s := e.Stream()
	for _, id := range ids {
		if s.Delete(id) && id.Compare(s.MaxDeletedID) > 0 {
			s.MaxDeletedID = id
		}
	}
	return nil
}

func cmdXSetID(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	id, _, ok := parseStreamID(args[2], true, 0, false)
	if !ok {
		return ErrStreamID
	}
	entriesAdded := int64(-1)
	var maxDel store.StreamID
	for i := 3; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "entriesadded") && more > 0:
			v, ok := parseInt64(args[i+1])
			if !ok {
				return ErrNotInteger
			}
			if v < 0 {
				return errXSetIDAdded
			}
			entriesAdded = v
		case eqFold(args[i], "maxdeletedid") && more > 0:
			v, _, ok := parseStreamID(args[i+1], true, 0, false)
			if !ok {
				return ErrStreamID
			}
			if id.Compare(v) < 0 {
				return errXSetIDMaxDel
			}
			maxDel = v
		default:
			return ErrSyntax
		}
	}
	e, err := a.streamOf(key)
	if err != nil {
		return err
	}
	if e == nil {
		return ErrNoSuchKey
	}
	s := e.Stream()
	if n := s.Len(); n > 0 {
		if id.Compare(s.Entries()[n-1].ID) < 0 {
			return errXSetIDSmall
		}
		if entriesAdded != -1 && int64(n) > entriesAdded {
			return errXSetIDLength
		}
	}
	s.LastID = id
	if entriesAdded != -1 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	return nil
}

func errNoGroup(key, group []byte) error {
	return fmt.Errorf("NOGROUP No such key '%s' or consumer group '%s'", key, group)
}

func cmdXGroup(a *Applier, args [][]byte) error {
	sub := args[1]
	if len(args) < 4 {
		return unknownSub(args)
	}
	key, group := args[2], args[3]
	a.touch(key)
	create, setid := eqFold(sub, "create"), eqFold(sub, "setid")
	mkstream := false
	entriesRead := int64(-1)
	for i := 5; i < len(args); {
		switch {
		case create && eqFold(args[i], "mkstream"):
			mkstream = true
			i++
		case (create || setid) && eqFold(args[i], "entriesread") && i+1 < len(args):
			v, ok := parseInt64(args[i+1])
			if !ok {
				return ErrNotInteger
			}
			if v < 0 && v != -1 {
				return errXGroupRead
			}
			entriesRead = v
			i += 2
		default:
			return errXGroupSyntax
		}
	}
	e, err := a.streamOf(key)
	if err != nil {
		return err
	}
	var s *store.Stream
	if e != nil {
		s = e.Stream()
	}
	var cg *store.ConsumerGroup
	if !mkstream {
		if s == nil {
			return errXGroupNoKey
		}
		cg = s.Group(group)
		if cg == nil && (setid || eqFold(sub, "createconsumer") || eqFold(sub, "delconsumer")) {
			return fmt.Errorf("NOGROUP No such consumer group '%s' for key name '%s'", group, key)
		}
	}
	switch {
	case create && len(args) >= 5 && len(args) <= 8:
		var id store.StreamID
		if string(args[4]) == "$" {
			if s != nil {
				id = s.LastID
			}
		} else {
			var ok bool
			if id, _, ok = parseStreamID(args[4], true, 0, false); !ok {
				return ErrStreamID
			}
		}
		if s == nil {
			e = store.NewStreamEntry(store.NewStream())
			a.cur().Put(key, e)
			s = e.Stream()
		}
		if s.Group(group) != nil {
			return errXGroupBusy
		}
		s.CreateGroup(group, id, entriesRead)
	case setid && (len(args) == 5 || len(args) == 7):
		var id store.StreamID
		if string(args[4]) == "$" {
			id = s.LastID
		} else {
			var ok bool
			if id, _, ok = parseStreamID(args[4], false, 0, false); !ok {
				return ErrStreamID
			}
		}
		cg.LastID = id
		cg.EntriesRead = entriesRead
	case eqFold(sub, "destroy") && len(args) == 4:
		s.DestroyGroup(group)
	case eqFold(sub, "createconsumer") && len(args) == 5:
		if cg.Consumer(args[4]) == nil {
			cg.CreateConsumer(args[4], a.now(), -1)
		}
	case eqFold(sub, "delconsumer") && len(args) == 5:
		cg.DeleteConsumer(args[4])
	default:
		return errXGroupSyntax
	}
	return nil
}

func cmdXAck(a *Applier, args [][]byte) error {
	key := args[1]
	a.touch(key)
	e, err := a.streamOf(key)
	if err != nil || e == nil {
		return err
	}
	cg := e.Stream().Group(args[2])
	if cg == nil {
		return nil
	}
	ids := make([]store.StreamID, 0, len(args)-3)
	for _, arg := range args[3:] {
		id, _, ok := parseStreamID(arg, true, 0, false)
		if !ok {
			return ErrStreamID
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if p := cg.PEL[id]; p != nil {
			delete(cg.PEL, id)
			if p.Consumer != nil {
				delete(p.Consumer.Pending, id)
			}
		}
	}
	return nil
}

// cmdXClaim is xclaimCommand as a replica runs it. Masters send every
// claim (and every XREADGROUP delivery) as
// XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID id.
// An id no longer in the stream drops its PEL entry and creates nothing,
// even with FORCE (protocol.md §6.8).
func cmdXClaim(a *Applier, args [][]byte) error {
	key, group, name := args[1], args[2], args[3]
	a.touch(key)
	e, err := a.streamOf(key)
	if err != nil {
		return err
	}
	if e == nil || e.Stream().Group(group) == nil {
		return errNoGroup(key, group)
	}
	s := e.Stream()
	cg := s.Group(group)
	minidle, ok := parseInt64(args[4])
	if !ok {
		return errors.New("Invalid min-idle-time argument for XCLAIM")
	}
	if minidle < 0 {
		minidle = 0
	}
	j := 5
	ids := make([]store.StreamID, 0, 1)
	for ; j < len(args); j++ {
		id, _, ok := parseStreamID(args[j], true, 0, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := a.now()
	var (
		force, justid bool
		retrycount    int64 = -1
		deliverytime  int64 = -1
		lastID        store.StreamID
	)
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case eqFold(opt, "force"):
			force = true
		case eqFold(opt, "justid"):
			justid = true
		case eqFold(opt, "idle") && more > 0:
			j++
			v, ok := parseInt64(args[j])
			if !ok {
				return errors.New("Invalid IDLE option argument for XCLAIM")
			}
			deliverytime = now - v
		case eqFold(opt, "time") && more > 0:
			j++
			v, ok := parseInt64(args[j])
			if !ok {
				return errors.New("Invalid TIME option argument for XCLAIM")
			}
			deliverytime = v
		case eqFold(opt, "retrycount") && more > 0:
			j++
			v, ok := parseInt64(args[j])
			if !ok {
				return errors.New("Invalid RETRYCOUNT option argument for XCLAIM")
			}
			retrycount = v
		case eqFold(opt, "lastid") && more > 0:
			j++
			v, _, ok := parseStreamID(args[j], true, 0, false)
			if !ok {
				return ErrStreamID
			}
			lastID = v
		default:
			return fmt.Errorf("Unrecognized XCLAIM option '%s'", opt)
		}
	}
	if lastID.Compare(cg.LastID) > 0 {
		cg.LastID = lastID
	}
	if deliverytime != -1 {
		if deliverytime < 0 || deliverytime > now {
			if deliverytime > now {
				a.log.Debug("XCLAIM TIME is ahead of the local clock; using the local time as Redis does",
					"key", string(key), "time", deliverytime, "now", now)
			}
			deliverytime = now
		}
	} else {
		deliverytime = now
	}
	var consumer *store.Consumer
	for _, id := range ids {
		nack := cg.PEL[id]
		if _, exists := s.Get(id); !exists {
			if nack != nil {
				delete(cg.PEL, id)
				if nack.Consumer != nil {
					delete(nack.Consumer.Pending, id)
				}
			}
			continue
		}
		if force && nack == nil {
			nack = &store.PendingEntry{ID: id, DeliveryTime: now, DeliveryCount: 1}
			cg.PEL[id] = nack
		}
		if nack == nil {
			continue
		}
		if nack.Consumer != nil && minidle != 0 && now-nack.DeliveryTime < minidle {
			continue
		}
		if consumer == nil {
			if consumer = cg.Consumer(name); consumer == nil {
				consumer = cg.CreateConsumer(name, now, -1)
			} else {
				consumer.SeenTime = now
			}
		}
		if nack.Consumer != consumer && nack.Consumer != nil {
			delete(nack.Consumer.Pending, id)
		}
		nack.DeliveryTime = deliverytime
		if retrycount >= 0 {
			nack.DeliveryCount = uint64(retrycount)
		} else if !justid {
			nack.DeliveryCount++
		}
		if nack.Consumer != consumer {
			consumer.Pending[id] = nack
			nack.Consumer = consumer
		}
	}
	return nil
}
