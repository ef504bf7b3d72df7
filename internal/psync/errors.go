package psync

import (
	"errors"
	"fmt"
)

// Class says how to recover from an error on the replication link.
type Class int

const (
	// Transient: reconnect after a backoff and resume (partial resync if the
	// master still can). Network errors, -LOADING, -BUSY, -MASTERDOWN, ...
	Transient Class = iota
	// Protocol: the master sent something we cannot interpret. Drop the
	// cached replication state (next sync is full) and reconnect.
	Protocol
	// Fatal: configuration or permission problem that retrying will not
	// fix (wrong password, missing ACL permission, replication disabled).
	Fatal
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Protocol:
		return "protocol"
	case Fatal:
		return "fatal"
	}
	return "unknown"
}

// Error is a classified replication-link error.
type Error struct {
	Class Class
	Step  string // handshake step or phase, e.g. "AUTH", "PSYNC", "payload"
	Msg   string // what happened and what to do
	Err   error  // underlying error, if any
}

func (e *Error) Error() string {
	s := e.Step + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the recovery class of err: the class of a wrapped *Error,
// otherwise Transient (I/O and network errors).
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Transient
}

func newErr(c Class, step, format string, args ...any) *Error {
	return &Error{Class: c, Step: step, Msg: fmt.Sprintf(format, args...)}
}
