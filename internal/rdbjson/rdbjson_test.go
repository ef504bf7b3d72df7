package rdbjson

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/redis-follower/redis-follower/internal/store"
)

// Reference strings from CPython 3's repr(float) / json.dumps.
func TestAppendFloat(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-35, "-35.0"}, {0.1, "0.1"},
		{1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {1234567890123456, "1234567890123456.0"},
		{12345678901234567, "1.2345678901234568e+16"}, {1e-4, "0.0001"}, {1e-5, "1e-05"},
		{0.00012345, "0.00012345"}, {1.5e-05, "1.5e-05"}, {123.456, "123.456"}, {1e300, "1e+300"},
		{-1e-300, "-1e-300"}, {5e-324, "5e-324"}, {1 << 53, "9007199254740992.0"},
		{1035805602643346, "1035805602643346.0"}, {-652118.5195392242, "-652118.5195392242"},
		{13509.263163007796, "13509.263163007796"}, {1e22, "1e+22"}, {0.001, "0.001"}, {100, "100.0"},
		{9999999999999998, "9999999999999998.0"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), `"Infinity"`}, {math.Inf(-1), `"-Infinity"`},
	}
	for _, c := range cases {
		if got := string(AppendFloat(nil, c.f)); got != c.want {
			t.Errorf("%v: got %s, want %s", c.f, got, c.want)
		}
	}
}

func TestAppendBytes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"plain text", `"plain text"`},
		{"h\u00e9llo \U0001F600 \"q\" \\ /", `"h\u00e9llo \ud83d\ude00 \"q\" \\ /"`},
		{"tab\there", `{"base64": "dGFiCWhlcmU="}`},
		{"\x00\r\n\xff", `{"base64": "AA0K/w=="}`},
		{"del\x7f", `{"base64": "ZGVsfw=="}`},
		{"nbsp\u00a0", `{"base64": "bmJzcMKg"}`},                // Zs other than space
		{"bad utf8 \xc3\x28", `{"base64": "YmFkIHV0Zjggwyg="}`}, // invalid sequence
	}
	for _, c := range cases {
		got := string(AppendBytes(nil, []byte(c.in)))
		if got != c.want {
			t.Errorf("%q: got %s, want %s", c.in, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%q: %s is not valid JSON", c.in, got)
		}
	}
}

// TestAppendKeyShapes renders one key of each type and checks the exact
// line and that it is valid JSON.
func TestAppendKeyShapes(t *testing.T) {
	l := store.NewList(2)
	l.PushBack([]byte("a"))
	l.PushBack([]byte{0xff})
	set := store.NewSet(2)
	set.Add([]byte("b"))
	set.Add([]byte("a"))
	z := store.NewZSet(3)
	z.Add([]byte("x"), 2)
	z.Add([]byte("y"), math.Inf(-1))
	z.Add([]byte("w"), 2)
	h := store.NewHash(2)
	h.Set([]byte("f2"), []byte("v2"))
	h.Set([]byte("f1"), []byte("v1"))
	h.SetFieldExpire([]byte("f2"), 1900000000000)
	st := store.NewStream()
	id1, id2 := store.StreamID{Ms: 5, Seq: 0}, store.StreamID{Ms: 6, Seq: 1}
	st.Append(store.StreamEntry{ID: id1, Fields: [][]byte{[]byte("a"), []byte("1"), []byte("a"), []byte("2")}})
	st.Append(store.StreamEntry{ID: id2, Fields: [][]byte{[]byte("b"), []byte("")}})
	st.LastID, st.EntriesAdded = id2, 3
	g := st.CreateGroup([]byte("g"), id2, 2)
	c := g.CreateConsumer([]byte("c1"), 1, 1)
	g.CreateConsumer([]byte("idle"), 1, 1)
	p := &store.PendingEntry{ID: id1, DeliveryTime: 7, DeliveryCount: 3, Consumer: c}
	g.PEL[id1], c.Pending[id1] = p, p
	str := store.NewString([]byte("v"))
	str.Expire = 1800000000000
	mod := store.NewModuleEntry(&store.Module{TypeName: "mymodule1", Raw: []byte{1, 2}})

	cases := []struct {
		e    *store.Entry
		opts Options
		want string
	}{
		{str, Options{}, `{"db": 3, "key": "k", "type": "string", "value": "v", "expire": 1800000000000}`},
		{store.NewListEntry(l), Options{}, `{"db": 3, "key": "k", "type": "list", "value": ["a", {"base64": "/w=="}], "expire": -1}`},
		{store.NewSetEntry(set), Options{}, `{"db": 3, "key": "k", "type": "set", "value": ["a", "b"], "expire": -1}`},
		{store.NewZSetEntry(z), Options{}, `{"db": 3, "key": "k", "type": "zset", "value": [["y", "-Infinity"], ["w", 2.0], ["x", 2.0]], "expire": -1}`},
		{store.NewHashEntry(h), Options{}, `{"db": 3, "key": "k", "type": "hash", "value": [["f1", "v1"], ["f2", "v2"]], "expire": -1}`},
		{store.NewHashEntry(h), Options{FieldTTLs: true}, `{"db": 3, "key": "k", "type": "hash", "value": [["f1", "v1", -1], ["f2", "v2", 1900000000000]], "expire": -1}`},
		{store.NewStreamEntry(st), Options{}, `{"db": 3, "key": "k", "type": "stream", "value": [[["5-0", ["a", "1", "a", "2"]], ["6-1", ["b", ""]]], [["g", "6-1", [["5-0", 3]], [["c1", ["5-0"]]]]], [["entries-added", 3], ["last-generated-id", "6-1"], ["max-deleted-entry-id", "0-0"], ["recorded-first-entry-id", "5-0"]]], "expire": -1}`},
		{mod, Options{}, `{"db": 3, "key": "k", "type": "module", "value": {"module": "mymodule1", "serialized": {"base64": "AQI="}}, "expire": -1}`},
	}
	for _, c := range cases {
		got := string(AppendKey(nil, 3, "k", c.e, c.opts))
		if !strings.HasSuffix(got, "\n") || got[:len(got)-1] != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("not valid JSON: %s", got)
		}
	}
}
