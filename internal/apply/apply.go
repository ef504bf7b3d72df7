package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis-follower/redis-follower/internal/store"
)

// ErrUnknownCommand is wrapped by the error Apply returns for a command
// (or subcommand) that is not in the table. The *CommandError it comes in
// names the command.
var ErrUnknownCommand = errors.New("unknown command")

// ErrUnsupported is wrapped by the error Apply returns for a command form
// that needs an engine the follower does not have (verbatim Lua scripts
// from ≤4.0 masters or `lua-replicate-commands no`, non-deterministic
// commands that masters never send verbatim).
var ErrUnsupported = errors.New("unsupported command form")

// Reasons a command cannot apply, as Redis words them. They are wrapped in
// a *CommandError.
var (
	ErrWrongType   = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrSyntax      = errors.New("syntax error")
	ErrNotInteger  = errors.New("value is not an integer or out of range")
	ErrNotFloat    = errors.New("value is not a valid float")
	ErrWrongArity  = errors.New("wrong number of arguments")
	ErrNoSuchKey   = errors.New("no such key")
	ErrOutOfRange  = errors.New("index out of range")
	ErrOverflow    = errors.New("increment or decrement would overflow")
	ErrDBIndex     = errors.New("DB index is out of range")
	ErrSameObject  = errors.New("source and destination objects are the same")
	ErrInvalidExp  = errors.New("invalid expire time")
	ErrNaNInf      = errors.New("increment would produce NaN or Infinity")
	ErrStreamID    = errors.New("Invalid stream ID specified as stream command argument")
	ErrMasterOnly  = errors.New("MULTI/EXEC and REPLCONF GETACK are handled by the caller")
	errNotPositive = errors.New("value is out of range, must be positive")
)

// CommandError reports a replicated command that could not be applied.
// Nothing was changed unless the reason says otherwise (Redis itself never
// half-applies the commands listed here, apart from the ones that create an
// empty key first, which it mirrors).
type CommandError struct {
	Command string // upper-case command name (with the subcommand for containers)
	Key     string // the first key the command names, "" for none
	Err     error  // the reason: ErrWrongType, ErrUnsupported, ErrUnknownCommand, ...
}

func (e *CommandError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("apply %s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("apply %s %q: %v", e.Command, e.Key, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// AllDBs is the Touch.DB of a change to every database (FLUSHALL).
const AllDBs = -1

// Touch is one key a command changed or tried to change: Key in database
// DB. Key is nil for a change to a whole database (FLUSHDB, SWAPDB), and
// DB is AllDBs for FLUSHALL. Function library changes touch no key.
type Touch struct {
	DB  int
	Key []byte
}

// Options configure an Applier.
type Options struct {
	// Now returns the current Unix time in milliseconds. It is used for
	// relative TTLs from ≤6.2 masters (EXPIRE, SET EX, ...) and for the
	// times Redis takes from its clock (XCLAIM without TIME, consumer seen
	// times, XADD *). Default: the system clock.
	Now func() int64
	// Logger receives debug-level notes about unusual but valid input.
	// Default: slog.Default().
	Logger *slog.Logger
	// ZSetLimits are the master's zset-max-listpack-entries and
	// zset-max-listpack-value (they decide whether a -0 score survives);
	// zero fields take Redis's defaults (128, 64).
	ZSetLimits store.ZSetLimits
	// HLLSparseMaxBytes is the master's hll-sparse-max-bytes (when a
	// sparse HyperLogLog turns dense); 0 means Redis's default, 3000.
	HLLSparseMaxBytes int
	// MaxStringLen bounds the strings APPEND, SETRANGE, SETBIT and
	// BITFIELD may build, as the master's proto-max-bulk-len does for its
	// clients (it is not checked for the replication link, so this guards
	// against a corrupt stream); 0 means Redis's default, 512 MiB.
	MaxStringLen int64
}

// Applier applies replicated commands to a store with Redis's semantics.
// It is not safe for concurrent use; the caller holds the store's write
// lock during Apply.
type Applier struct {
	st      *store.Store
	db      int
	now     func() int64
	log     *slog.Logger
	touched []Touch
	name    [maxCmdLen]byte // lower-cased command name
	scratch []byte          // reusable number formatting buffer
	zlim    store.ZSetLimits
	// hllSparseMax is hll-sparse-max-bytes.
	hllSparseMax int
	maxStringLen int64
}

// New returns an Applier for s, starting in database 0.
func New(s *store.Store, opts Options) *Applier {
	a := &Applier{st: s, now: opts.Now, log: opts.Logger, zlim: opts.ZSetLimits}
	a.maxStringLen = opts.MaxStringLen
	if a.maxStringLen <= 0 {
		a.maxStringLen = defaultMaxStringLen
	}
	a.hllSparseMax = opts.HLLSparseMaxBytes
	if a.hllSparseMax <= 0 {
		a.hllSparseMax = hllSparseMaxBytesDefault
	}
	if a.zlim.MaxEntries == 0 && a.zlim.MaxValue == 0 {
		a.zlim = store.DefaultZSetLimits
	}
	if a.now == nil {
		a.now = func() int64 { return time.Now().UnixMilli() }
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.touched = make([]Touch, 0, 8)
	a.scratch = make([]byte, 0, 64)
	return a
}

// DB returns the currently selected database.
func (a *Applier) DB() int { return a.db }

// SetDB selects database db (restored from a snapshot's repl-stream-db or
// persisted state). Out-of-range values are clamped to 0.
func (a *Applier) SetDB(db int) {
	if !store.ValidDB(db) {
		db = 0
	}
	a.db = db
}

// Touched returns the keys the last Apply changed or tried to change, in
// the order it met them (also after an error, so the caller can mark them
// diverged). Keys are views into that Apply's args: valid as long as those
// are. The slice is reused by the next Apply.
func (a *Applier) Touched() []Touch { return a.touched }

func (a *Applier) touch(key []byte)            { a.touched = append(a.touched, Touch{DB: a.db, Key: key}) }
func (a *Applier) touchIn(db int, key []byte)  { a.touched = append(a.touched, Touch{DB: db, Key: key}) }
func (a *Applier) cur() *store.DB              { return a.st.DB(a.db) }
func (a *Applier) get(key []byte) *store.Entry { return a.st.DB(a.db).Get(key) }

// maxCmdLen bounds command names we look up (the longest is 17 bytes).
const maxCmdLen = 32

type handler func(a *Applier, args [][]byte) error

type command struct {
	fn    handler
	arity int // Redis arity: n > 0 exactly n args, n < 0 at least -n
}

// Apply applies one replicated command. args are views into the caller's
// buffer, valid only during the call; everything kept is copied. The caller
// holds the store's write lock and handles MULTI/EXEC and REPLCONF GETACK.
//
// Errors: a *CommandError wrapping ErrUnknownCommand for a command not in
// the table, ErrUnsupported for forms the follower cannot apply, or the
// reason the command failed (ErrWrongType, ErrSyntax, ...).
func (a *Applier) Apply(args [][]byte) error {
	a.touched = a.touched[:0]
	if len(args) == 0 {
		return &CommandError{Command: "", Err: ErrUnknownCommand}
	}
	name := args[0]
	if len(name) > maxCmdLen {
		return a.unknown(args)
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		a.name[i] = c
	}
	cmd, ok := commandTable[string(a.name[:len(name)])]
	if !ok {
		return a.unknown(args)
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || (cmd.arity < 0 && len(args) < -cmd.arity) {
		return a.fail(args, ErrWrongArity)
	}
	if err := cmd.fn(a, args); err != nil {
		return a.fail(args, err)
	}
	return nil
}

func (a *Applier) unknown(args [][]byte) error {
	return &CommandError{Command: strings.ToUpper(string(args[0])), Err: ErrUnknownCommand}
}

// fail wraps a handler's reason with the command and key names. An error
// that already is a *CommandError (an unknown subcommand) passes through.
func (a *Applier) fail(args [][]byte, err error) error {
	var ce *CommandError
	if errors.As(err, &ce) {
		return err
	}
	ce = &CommandError{Command: strings.ToUpper(string(args[0])), Err: err}
	if len(a.touched) > 0 && a.touched[0].Key != nil {
		ce.Key = string(a.touched[0].Key)
	} else if len(args) > 1 && !noKeyCommand(args[0]) {
		ce.Key = string(args[1])
	}
	return ce
}

// unknownSub reports an unknown subcommand of a container command.
func unknownSub(args [][]byte) error {
	n := strings.ToUpper(string(args[0]))
	if len(args) > 1 {
		n += " " + strings.ToUpper(string(args[1]))
	}
	return &CommandError{Command: n, Err: ErrUnknownCommand}
}

func noKeyCommand(name []byte) bool {
	for _, n := range []string{"select", "swapdb", "flushall", "flushdb", "function", "ping", "publish", "spublish", "script", "cluster", "replconf", "multi", "exec", "eval", "evalsha", "fcall", "xgroup", "object"} {
		if eqFold(name, n) {
			return true
		}
	}
	return false
}

// clone copies b into a new slice the store will own.
func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// setExpire stores an absolute expiry. Redis treats any stored time as an
// expiry (a time of 0 is "expired since 1970"); the store uses 0 for
// "none", so 0 is kept as -1, which is equally in the past.
func setExpire(e *store.Entry, when int64) {
	if when == 0 {
		when = -1
	}
	e.Expire = when
}

// setString overwrites the value of string key e with v (a view), reusing
// the entry's buffer when v fits in it (no allocation on the hot path).
func setStringValue(e *store.Entry, v []byte) {
	if e.Kind() == store.KindString {
		old := e.Str()
		// Reuse only the bytes the entry owns ([0:len)), and only when the
		// old buffer is not much larger (so a big value is not pinned).
		if len(v) <= len(old) && len(old) <= 2*len(v)+32 {
			b := old[:len(v)]
			copy(b, v)
			e.SetStr(b)
			return
		}
	}
	e.SetStr(clone(v))
}

// formatInt formats v in the reusable scratch buffer.
func (a *Applier) formatInt(v int64) []byte {
	a.scratch = strconv.AppendInt(a.scratch[:0], v, 10)
	return a.scratch
}

// deleteIfEmpty removes key when its collection became empty, as Redis does.
func (a *Applier) deleteIfEmpty(key []byte, e *store.Entry) {
	if e.Empty() {
		a.cur().Delete(key)
	}
}
