package resp

import (
	"bytes"
	"testing"
)

func BenchmarkReadCommand(b *testing.B) {
	one := AppendCommand(nil, []byte("SET"), []byte("key:000001"), []byte("value-value-value"))
	stream := bytes.Repeat(one, 4096)
	br := bytes.NewReader(stream)
	rd := NewReader(br, 64<<10, DefaultLimits)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := rd.ReadCommand(); err != nil {
			br.Reset(stream)
		}
	}
}

func BenchmarkParseCommand(b *testing.B) {
	one := AppendCommand(nil, []byte("HSET"), []byte("user:1000"), []byte("name"), []byte("Ada Lovelace"))
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for b.Loop() {
		args, _, _, _ = ParseCommand(one, args, DefaultLimits)
	}
}
