package canon

import "testing"

func TestNormalizeNegZero(t *testing.T) {
	in := []Key{{Type: "zset", Value: `["a"=-0,"b"=-0.5,"c"=-0]`}, {Type: "string", Value: `"=-0,"`}}
	out := NormalizeNegZero(in)
	if out[0].Value != `["a"=0,"b"=-0.5,"c"=0]` || out[1].Value != in[1].Value {
		t.Fatalf("got %q", out)
	}
}
