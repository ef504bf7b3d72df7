package apply

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		cmd  string
		want error
	}{
		{"SET", nil},
		{"hset", nil},
		{"JSON.SET", ErrUnknownCommand},
		{"NOSUCHCOMMAND", ErrUnknownCommand},
		{"EVAL", ErrUnsupported},
		{"evalsha", ErrUnsupported},
	}
	for _, c := range cases {
		err := Check([][]byte{[]byte(c.cmd), []byte("k")})
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("Check(%s) = %v, want %v", c.cmd, err, c.want)
		}
	}
}
