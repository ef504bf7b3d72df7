package rdbload

import (
	"errors"
	"strconv"
	"strings"
)

// Error classes. Every error Decode, Load and DecodeDump return wraps
// exactly one of ErrCorrupt, ErrUnsupported, io.ErrUnexpectedEOF (the input
// ended early) or the error the underlying reader returned; test with
// errors.Is.
var (
	// ErrCorrupt: the bytes are not a valid RDB (bad structure, bad CRC,
	// trailing data). A replica answers this with a new full sync.
	ErrCorrupt = errors.New("corrupt RDB")
	// ErrUnsupported: a valid RDB in a format this decoder does not read
	// (a newer RDB version, a release-candidate format). Retrying will not
	// help; the master has to be a supported version.
	ErrUnsupported = errors.New("unsupported RDB format")
)

// Error is the error type of the package: where decoding stopped and why.
type Error struct {
	// Offset is the byte offset in the input where the problem was found.
	Offset int64
	// DB is the database being decoded, -1 before the first SELECTDB.
	DB int
	// Key is the key being decoded; HasKey says whether there is one.
	Key    string
	HasKey bool
	// Msg says what was expected.
	Msg string
	// Err is the class: ErrCorrupt, ErrUnsupported, io.ErrUnexpectedEOF or
	// an error of the underlying reader.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rdb: at offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	if e.DB >= 0 || e.HasKey {
		b.WriteString(" (")
		if e.DB >= 0 {
			b.WriteString("db ")
			b.WriteString(strconv.Itoa(e.DB))
			if e.HasKey {
				b.WriteString(", ")
			}
		}
		if e.HasKey {
			b.WriteString("key ")
			k := e.Key
			if len(k) > 64 {
				k = k[:64]
				b.WriteString(strconv.Quote(k))
				b.WriteString("…")
			} else {
				b.WriteString(strconv.Quote(k))
			}
		}
		b.WriteByte(')')
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// corrupt and unsupported build the context-free errors raised deep
// inside the parsers; the decoder adds offset, db and key in wrap.
func corrupt(msg string) error { return &Error{Offset: -1, DB: -1, Msg: msg, Err: ErrCorrupt} }

func unsupported(msg string) error {
	return &Error{Offset: -1, DB: -1, Msg: msg, Err: ErrUnsupported}
}
