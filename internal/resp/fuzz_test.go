package resp

import (
	"bytes"
	"testing"
)

// FuzzParseCommand: never panics; whatever parses re-encodes to exactly the
// bytes it was parsed from (RESP2 commands have one canonical encoding).
func FuzzParseCommand(f *testing.F) {
	for _, c := range cmds()[:4] {
		f.Add(AppendCommand(nil, c...))
	}
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("*2\r\n$3\r\nSET"))
	lim := Limits{MaxArgs: 64, MaxBulk: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		args, n, need, err := ParseCommand(b, nil, lim)
		if err != nil {
			return
		}
		if n == 0 {
			if need <= len(b) {
				t.Fatalf("incomplete but need %d <= len %d", need, len(b))
			}
			return
		}
		if enc := AppendCommand(nil, args...); !bytes.Equal(enc, b[:n]) {
			t.Fatalf("round trip: %q != %q", enc, b[:n])
		}
	})
}
