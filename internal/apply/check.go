package apply

import "strings"

// Check reports, without applying anything, an error wrapping
// ErrUnknownCommand for a command not in the table, or ErrUnsupported for
// a verbatim script (EVAL, EVALSHA, FCALL), which Apply would refuse. The
// caller uses it to refuse a whole MULTI block before applying any of it.
// Unknown subcommands are only detected by Apply. It does not allocate
// for a known command.
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
	if _, ok := commandTable[string(buf[:len(args[0])])]; !ok {
		return &CommandError{Command: strings.ToUpper(string(args[0])), Err: ErrUnknownCommand}
	}
	if eqFold(args[0], "eval") || eqFold(args[0], "evalsha") || eqFold(args[0], "fcall") {
		return &CommandError{Command: strings.ToUpper(string(args[0])), Err: cmdEval(nil, args)}
	}
	return nil
}
