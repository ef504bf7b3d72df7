package follower

import "github.com/redis-follower/redis-follower/internal/resp"

// scanCommand finds the end of the RESP command at the start of b, with
// exactly the validation of resp.ParseCommand but without building the
// argument list: the stream reader only needs boundaries, the command
// name and its first argument (SELECT's DB). It returns n > 0, the
// argument count and the two views for a complete command, n == 0 and need (as ParseCommand) when
// more bytes are needed, and bad for anything ParseCommand rejects
// (which then gives the error). FuzzScanCommand holds the two to the
// same answers.
func scanCommand(b []byte, lim resp.Limits) (n, need, argc int, name, arg1 []byte, bad bool) {
	if len(b) == 0 {
		return 0, 1, 0, nil, nil, false
	}
	if b[0] != '*' {
		return 0, 0, 0, nil, nil, true
	}
	count, i, st := scanInt(b, 1)
	switch {
	case st == scanBad:
		return 0, 0, 0, nil, nil, true
	case st == scanMore:
		return 0, len(b) + 1, 0, nil, nil, false
	case count < 1 || count > lim.MaxArgs:
		return 0, 0, 0, nil, nil, true
	}
	for a := 0; a < count; a++ {
		if i >= len(b) {
			return 0, i + 4, 0, nil, nil, false
		}
		if b[i] != '$' {
			return 0, 0, 0, nil, nil, true
		}
		size, j, st := scanInt(b, i+1)
		switch {
		case st == scanBad:
			return 0, 0, 0, nil, nil, true
		case st == scanMore:
			return 0, len(b) + 1, 0, nil, nil, false
		case size < 0 || size > lim.MaxBulk:
			return 0, 0, 0, nil, nil, true
		}
		end := j + size
		if end+2 > len(b) {
			return 0, end + 2 + 4*(count-a-1), 0, nil, nil, false
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return 0, 0, 0, nil, nil, true
		}
		switch a {
		case 0:
			name = b[j:end:end]
		case 1:
			arg1 = b[j:end:end]
		}
		i = end + 2
	}
	return i, 0, count, name, arg1, false
}

type scanState int

const (
	scanOK scanState = iota
	scanMore
	scanBad
)

// maxDigits bounds the digits of a count or length (as resp).
const maxDigits = 19

// scanInt reads a CRLF-terminated decimal at b[i:] under resp's rules
// (optional '-', no leading zero, no "-0", at most 19 digits).
func scanInt(b []byte, i int) (v, next int, st scanState) {
	// Fast paths: most counts and lengths have one or two digits.
	if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' && b[i] >= '0' && b[i] <= '9' {
		return int(b[i] - '0'), i + 3, scanOK
	}
	if i+3 < len(b) && b[i+2] == '\r' && b[i+3] == '\n' && b[i] >= '1' && b[i] <= '9' && b[i+1] >= '0' && b[i+1] <= '9' {
		return int(b[i]-'0')*10 + int(b[i+1]-'0'), i + 4, scanOK
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
				return 0, 0, scanBad
			}
			if digits++; digits > maxDigits {
				return 0, 0, scanBad
			}
			v = v*10 + int(c-'0')
			continue
		}
		if c != '\r' || digits == 0 || (neg && v == 0) {
			return 0, 0, scanBad
		}
		if i+1 >= len(b) {
			return 0, 0, scanMore
		}
		if b[i+1] != '\n' {
			return 0, 0, scanBad
		}
		if neg {
			v = -v
		}
		return v, i + 2, scanOK
	}
	if i-start > maxDigits+1 {
		return 0, 0, scanBad
	}
	return 0, 0, scanMore
}
