package rdbjsontest

import (
	"strings"
	"testing"
)

func lines(t *testing.T, s string) []Line {
	t.Helper()
	ls, err := ReadLines(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestCompareCatchesDifferences: the comparison must be able to fail.
func TestCompareCatchesDifferences(t *testing.T) {
	modern := Fixture{Server: "redis", Version: "7.4.1", Major: 7, Minor: 4, SavedAtMs: 1_000_000}
	old := Fixture{Server: "redis", Version: "5.0.14", Major: 5, SavedAtMs: 1_000_000}
	want := `{"db": 0, "key": "s", "type": "set", "value": ["a", "b"], "expire": -1}
{"db": 0, "key": "z", "type": "zset", "value": [["m", -Infinity], ["n", 1.0]], "expire": 5000000}
{"db": 1, "key": {"base64": "/w=="}, "type": "hash", "value": [["f", "v", -1]], "expire": -1}
`
	cases := []struct {
		name string
		fx   Fixture
		got  string
		want string // substring of the first problem; "" = no problem
	}{
		{"identical", modern, want, ""},
		{"set order", modern, strings.Replace(want, `["a", "b"]`, `["b", "a"]`, 1), "not byte-identical"},
		{"set member", modern, strings.Replace(want, `["a", "b"]`, `["a", "c"]`, 1), "value differs"},
		{"score", modern, strings.Replace(want, `1.0]`, `2.0]`, 1), "value differs"},
		{"score form", modern, strings.Replace(want, `1.0]`, `1]`, 1), "not byte-identical"},
		{"expire", modern, strings.Replace(want, `5000000`, `5000001`, 1), "expire 5000001"},
		{"missing", modern, strings.SplitAfterN(want, "\n", 2)[1], "missing"},
		{"type", modern, strings.Replace(want, `"set"`, `"list"`, 1), "type list"},
		{"field ttl", modern, strings.Replace(want, `"v", -1`, `"v", 7`, 1), "value differs"},
		{"extra key", modern, want + `{"db": 2, "key": "x", "type": "string", "value": "v", "expire": -1}` + "\n", "not in expected"},
		{"expired extra key", modern, want + `{"db": 2, "key": "x", "type": "string", "value": "v", "expire": 1100000}` + "\n", ""},
		{"expired extra field", modern, strings.Replace(want, `["f", "v", -1]`, `["f", "v", -1], ["g", "w", 1000001]`, 1), ""},
		{"live extra field", modern, strings.Replace(want, `["f", "v", -1]`, `["f", "v", -1], ["g", "w", 9000001]`, 1), "value differs"},
		{"base64 key", modern, strings.Replace(want, `{"base64": "/w=="}`, `{"base64": "/g=="}`, 1), "missing"},
		{"pttl bucket", old, strings.Replace(want, `5000000`, `-1`, 1), "no expire"},
		{"duplicate", modern, want + strings.SplitAfterN(want, "\n", 2)[0], "printed twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := want
			if c.fx.Major == 5 {
				w = strings.Replace(want, `5000000`, `["ttl", 4000]`, 1)
				w = strings.Replace(w, `"v", -1]`, `"v"]`, 1)
			}
			res := c.fx.Compare(lines(t, w), lines(t, c.got))
			switch {
			case c.want == "" && len(res.Problems) > 0:
				t.Errorf("unexpected problems: %v", res.Problems)
			case c.want != "" && (len(res.Problems) == 0 || !strings.Contains(res.Problems[0], c.want)):
				t.Errorf("problems %q, want one containing %q", res.Problems, c.want)
			}
		})
	}
}

func TestStreamRules(t *testing.T) {
	fx := Fixture{Server: "redis", Version: "7.0.15", Major: 7, SavedAtMs: 1}
	want := `{"db": 0, "key": "x", "type": "stream", "value": [[["1-0", ["a", "1"]]], [["g", "1-0", [], []]], [["entries-added", 1], ["last-generated-id", "1-0"], ["max-deleted-entry-id", "0-0"], ["recorded-first-entry-id", "1-0"]]], "expire": -1}` + "\n"
	withPEL := strings.Replace(want, `"1-0", [], []`, `"1-0", [["1-0", 2]], [["c", ["1-0"]]]`, 1)
	res := fx.Compare(lines(t, want), lines(t, withPEL))
	if len(res.Problems) > 0 || res.Explained["pel-not-recorded"] != 1 {
		t.Errorf("PEL rule: %+v", res)
	}
	res = fx.Compare(lines(t, withPEL), lines(t, want))
	if len(res.Problems) == 0 {
		t.Errorf("a recorded PEL missing from ours went unnoticed")
	}
	res = fx.Compare(lines(t, want), lines(t, strings.Replace(want, `["a", "1"]`, `["a", "2"]`, 1)))
	if len(res.Problems) == 0 {
		t.Errorf("a different entry went unnoticed")
	}
	res = fx.Compare(lines(t, want), lines(t, strings.Replace(want, `["entries-added", 1]`, `["entries-added", 2]`, 1)))
	if len(res.Problems) == 0 {
		t.Errorf("different metadata went unnoticed")
	}
}
