package apply

//lint:file-ignore ST1005 error texts are Redis's replies, kept verbatim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/rdbload"
	"github.com/redis-follower/redis-follower/internal/store"
)

var (
	errFuncNoMeta    = errors.New("Missing library metadata")
	errFuncBadMeta   = errors.New("Invalid library metadata")
	errFuncNoName    = errors.New("Library name was not given")
	errFuncNameChars = errors.New("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	errFuncNoLib     = errors.New("Library not found")
)

func cmdFunction(a *Applier, args [][]byte) error {
	sub := args[1]
	switch {
	case eqFold(sub, "load"):
		return functionLoad(a, args)
	case eqFold(sub, "delete") && len(args) == 3:
		if !a.st.DeleteFunction(string(args[2])) {
			return errFuncNoLib
		}
		return nil
	case eqFold(sub, "flush") && len(args) <= 3:
		if len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async") {
			return errors.New("FUNCTION FLUSH only supports SYNC|ASYNC option")
		}
		a.st.FlushFunctions()
		return nil
	case eqFold(sub, "restore") && len(args) >= 3 && len(args) <= 4:
		return functionRestore(a, args)
	}
	return unknownSub(args)
}

// functionLoad stores the library code under the name from its shebang
// ("#!lua name=mylib"). The follower has no Lua engine, so it cannot run
// the code or check its functions; it keeps the code for snapshots.
func functionLoad(a *Applier, args [][]byte) error {
	replace := false
	i := 2
	for ; i < len(args)-1; i++ {
		if !eqFold(args[i], "replace") {
			return fmt.Errorf("Unknown option given: %s", args[i])
		}
		replace = true
	}
	if i != len(args)-1 {
		return errors.New("Function code is missing")
	}
	code := args[i]
	name, err := libraryName(code)
	if err != nil {
		return err
	}
	if _, exists := a.st.Function(name); exists && !replace {
		return fmt.Errorf("Library '%s' already exists", name)
	}
	a.st.SetFunction(name, clone(code))
	return nil
}

// libraryName is functionExtractLibMetaData plus functionsVerifyName: the
// first line must be "#!<engine> name=<name>" (parts split like
// sdssplitargs; only name= is allowed).
func libraryName(code []byte) (string, error) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", errFuncNoMeta
	}
	nl := bytes.IndexByte(code, '\n')
	if nl < 0 {
		return "", errFuncBadMeta
	}
	parts, ok := splitArgs(code[:nl])
	if !ok || len(parts) == 0 {
		return "", errFuncBadMeta
	}
	name := ""
	found := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && eqFold(p[:5], "name=") {
			if found {
				return "", errors.New("Invalid metadata value, name argument was given multiple times")
			}
			name, found = string(p[5:]), true
			continue
		}
		return "", fmt.Errorf("Invalid metadata value given: %s", p)
	}
	if !found {
		return "", errFuncNoName
	}
	if name == "" {
		return "", errFuncNameChars
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '_' {
			return "", errFuncNameChars
		}
	}
	return name, nil
}

// splitArgs is sdssplitargs: space-separated words with "double" (and
// escapes) or 'single' quoting. ok is false for unbalanced quotes.
func splitArgs(line []byte) ([][]byte, bool) {
	var out [][]byte
	p := 0
	for {
		for p < len(line) && isCSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return out, true
		}
		var cur []byte
		inq, insq := false, false
		done := false
		for !done {
			switch {
			case inq:
				if p >= len(line) {
					return nil, false
				}
				if line[p] == '\\' && p+3 < len(line) && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]) {
					cur = append(cur, hexVal(line[p+2])<<4|hexVal(line[p+3]))
					p += 3
				} else if line[p] == '\\' && p+1 < len(line) {
					p++
					c := line[p]
					switch c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					cur = append(cur, c)
				} else if line[p] == '"' {
					if p+1 < len(line) && !isCSpace(line[p+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, line[p])
				}
			case insq:
				if p >= len(line) {
					return nil, false
				}
				if line[p] == '\\' && p+1 < len(line) && line[p+1] == '\'' {
					p++
					cur = append(cur, '\'')
				} else if line[p] == '\'' {
					if p+1 < len(line) && !isCSpace(line[p+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, line[p])
				}
			default:
				if p >= len(line) {
					done = true
					break
				}
				switch line[p] {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, line[p])
				}
			}
			if p < len(line) {
				p++
			}
		}
		out = append(out, cur)
	}
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// functionRestore is FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]. The
// payload is a FUNCTION DUMP: FUNCTION2 records (opcode 245 + RDB string),
// then the 2-byte RDB version and the CRC-64.
func functionRestore(a *Applier, args [][]byte) error {
	policy := "append"
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "flush"):
			policy = "flush"
		case eqFold(args[3], "append"):
		case eqFold(args[3], "replace"):
			policy = "replace"
		default:
			return errors.New("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		}
	}
	codes, err := decodeFunctionDump(args[2])
	if err != nil {
		return err
	}
	libs := make(map[string][]byte, len(codes))
	for _, c := range codes {
		name, err := libraryName(c)
		if err != nil {
			return err
		}
		if _, dup := libs[name]; dup {
			return fmt.Errorf("Library '%s' already exists", name)
		}
		libs[name] = c
	}
	switch policy {
	case "flush":
		a.st.FlushFunctions()
	case "append":
		for name := range libs {
			if _, ok := a.st.Function(name); ok {
				return fmt.Errorf("Library %s already exists", name)
			}
		}
	}
	for name, c := range libs {
		a.st.SetFunction(name, c)
	}
	return nil
}

// decodeFunctionDump returns the library codes of a FUNCTION DUMP payload.
// It checks the trailer (version, CRC-64) and then reads the FUNCTION2
// records with the RDB decoder, framed as a minimal RDB file.
func decodeFunctionDump(payload []byte) ([][]byte, error) {
	errPayload := errors.New("payload version or checksum are wrong")
	if len(payload) < 10 {
		return nil, errPayload
	}
	body := payload[:len(payload)-10]
	ver := binary.LittleEndian.Uint16(payload[len(payload)-10:])
	crc := binary.LittleEndian.Uint64(payload[len(payload)-8:])
	if rdb.CRC64(0, payload[:len(payload)-8]) != crc || ver < 10 || ver > 99 {
		return nil, errPayload
	}
	file := make([]byte, 0, len(body)+20)
	file = fmt.Appendf(file, "REDIS%04d", ver)
	file = append(file, body...)
	file = append(file, rdb.OpEOF)
	file = binary.LittleEndian.AppendUint64(file, rdb.CRC64(0, file))
	h := &funcCollector{}
	if _, err := rdbload.Decode(bytes.NewReader(file), h, rdbload.Options{}); err != nil {
		return nil, fmt.Errorf("function dump payload: %w", err)
	}
	if h.keys > 0 {
		return nil, errors.New("function dump payload holds keys")
	}
	return h.codes, nil
}

type funcCollector struct {
	codes [][]byte
	keys  int
}

func (f *funcCollector) Aux(string, string) error { return nil }
func (f *funcCollector) SelectDB(int) error       { return nil }
func (f *funcCollector) ModuleAux([]byte) error   { return nil }
func (f *funcCollector) Function(_ string, code []byte) error {
	f.codes = append(f.codes, code)
	return nil
}
func (f *funcCollector) Key(int, string, *store.Entry, rdbload.KeyMeta) error {
	f.keys++
	return nil
}
