package resp

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bound what a peer can make us allocate.
type Limits struct {
	// MaxArgs is the largest argument count accepted in one command.
	MaxArgs int
	// MaxBulk is the largest single argument, in bytes (Redis's
	// proto-max-bulk-len, 512 MB by default).
	MaxBulk int
}

// DefaultLimits match a stock Redis's defaults for what it accepts from a
// client (and so what a master can relay to us).
var DefaultLimits = Limits{MaxArgs: 1 << 27, MaxBulk: 512 << 20}

// maxHeaderDigits bounds the digits of a count or length line.
const maxHeaderDigits = 19

// ProtocolError reports bytes that are not a valid RESP2 command. After one,
// the stream position is unknown: the link must be dropped and the
// replication state discarded (a full resync is the only safe recovery).
type ProtocolError struct {
	Offset int // offset of the offending byte from the command's start
	Msg    string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("RESP protocol error at byte %d of command: %s", e.Offset, e.Msg)
}

// IsProtocolError reports whether err is (or wraps) a *ProtocolError.
func IsProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}

func perr(off int, format string, args ...any) error {
	return &ProtocolError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// parseInt reads a CRLF-terminated decimal integer at b[i:]. It returns the
// value and the index after the CRLF, or next == -1 when more bytes are
// needed.
func parseInt(b []byte, i int) (v int, next int, err error) {
	// Fast paths: most counts and lengths have one or two digits.
	if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' && b[i] >= '0' && b[i] <= '9' {
		return int(b[i] - '0'), i + 3, nil
	}
	if i+3 < len(b) && b[i+2] == '\r' && b[i+3] == '\n' && b[i] >= '1' && b[i] <= '9' && b[i+1] >= '0' && b[i+1] <= '9' {
		return int(b[i]-'0')*10 + int(b[i+1]-'0'), i + 4, nil
	}
	start := i
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	digits := 0
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			if digits == 1 && v == 0 {
				// Redis's string2ll rejects leading zeros (and "-0").
				return 0, 0, perr(i, "number with a leading zero")
			}
			if digits++; digits > maxHeaderDigits {
				return 0, 0, perr(i, "number too long")
			}
			v = v*10 + int(c-'0')
			continue
		}
		if c != '\r' {
			return 0, 0, perr(i, "unexpected byte %q in a number", c)
		}
		if digits == 0 {
			return 0, 0, perr(i, "empty number")
		}
		if neg && v == 0 {
			return 0, 0, perr(i, "negative zero")
		}
		if i+1 >= len(b) {
			return 0, -1, nil
		}
		if b[i+1] != '\n' {
			return 0, 0, perr(i+1, "expected LF after CR")
		}
		if neg {
			v = -v
		}
		return v, i + 2, nil
	}
	if i-start > maxHeaderDigits+1 {
		return 0, 0, perr(i, "number too long")
	}
	return 0, -1, nil
}

// ParseCommand parses one RESP2 command (an array of bulk strings) at the
// start of b.
//
// On success it returns the arguments, appended to dst[:0] as views into b
// (valid as long as b is), and n, the number of bytes the command occupies.
// If b holds only part of a command it returns n == 0 and need, a lower
// bound on len(b) for the next attempt. Anything that is not a valid
// command gives a *ProtocolError. It never allocates beyond growing dst.
func ParseCommand(b []byte, dst [][]byte, lim Limits) (args [][]byte, n, need int, err error) {
	args = dst[:0]
	if len(b) == 0 {
		return args, 0, 1, nil
	}
	if b[0] != '*' {
		return args[:0], 0, 0, perr(0, "expected '*', got %q (inline commands are not valid from a master)", b[0])
	}
	count, i, err := parseInt(b, 1)
	if err != nil {
		return args[:0], 0, 0, err
	}
	if i < 0 {
		return args[:0], 0, len(b) + 1, nil
	}
	if count < 1 || count > lim.MaxArgs {
		return args[:0], 0, 0, perr(1, "invalid argument count %d", count)
	}
	for a := 0; a < count; a++ {
		if i >= len(b) {
			return args[:0], 0, i + 4, nil
		}
		if b[i] != '$' {
			return args[:0], 0, 0, perr(i, "expected '$', got %q", b[i])
		}
		size, j, err := parseInt(b, i+1)
		if err != nil {
			return args[:0], 0, 0, err
		}
		if j < 0 {
			return args[:0], 0, len(b) + 1, nil
		}
		if size < 0 || size > lim.MaxBulk {
			return args[:0], 0, 0, perr(i+1, "invalid bulk length %d", size)
		}
		end := j + size
		if end+2 > len(b) {
			// Remaining arguments need at least 4 bytes each ("$0\r\n\r\n" is 6).
			return args[:0], 0, end + 2 + 4*(count-a-1), nil
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return args[:0], 0, 0, perr(end, "bulk string not terminated by CRLF")
		}
		args = append(args, b[j:end:end])
		i = end + 2
	}
	return args, i, 0, nil
}

// AppendCommand appends args encoded as a RESP2 array of bulk strings.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// AppendCommandStrings is AppendCommand for string arguments.
func AppendCommandStrings(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
