package apply

import "strings"

// Check reports, without applying anything, an error wrapping
// ErrUnknownCommand for a command not in the table, or ErrUnsupported for
// a verbatim script (EVAL, EVALSHA, FCALL), which Apply would refuse. The
// caller uses it to refuse a whole MULTI block before applying any of it.
// Unknown subcommands are only detected by Apply.
func Check(args [][]byte) error {
	if len(args) == 0 || len(args[0]) > maxCmdLen {
		return &CommandError{Err: ErrUnknownCommand}
	}
	var buf [maxCmdLen]byte
	for i, c := range args[0] {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	name := string(buf[:len(args[0])])
	if _, ok := commandTable[name]; !ok {
		return &CommandError{Command: strings.ToUpper(name), Err: ErrUnknownCommand}
	}
	switch name {
	case "eval", "evalsha", "fcall":
		return &CommandError{Command: strings.ToUpper(name), Err: cmdEval(nil, args)}
	}
	return nil
}
