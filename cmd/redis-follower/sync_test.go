package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDurabilityAndSentinelFlags(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sync", "--fsync", "sometimes", "redis://h:1"}, exitConfig, "fsync policy"},
		{[]string{"sync", "--compact-size", "lots", "redis://h:1"}, exitConfig, "--compact-size"},
		{[]string{"sync", "--sentinel-master", "m", "redis://h:1"}, exitConfig, "needs --sentinel"},
		{[]string{"sync", "--sentinel", "127.0.0.1:1"}, exitConfig, "master name"},
		{[]string{"sync", "--sentinel", "nohostport", "--sentinel-master", "m"}, exitConfig, "not host:port"},
		{[]string{"sync", "--sentinel", "127.0.0.1:1", "--sentinel-master", "m", "--sentinel-password-file", "/nonexistent"}, exitConfig, "--sentinel-password-file"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(append([]string{"redis-follower"}, c.args...), &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errb.String(), c.msg)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "10b": 10, "64MiB": 64 << 20, "64mb": 64 << 20, "2G": 2 << 30, " 3 kib ": 3 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "1.5GiB", "MiB", "9999999999999G"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestSentinelURLWithoutHost(t *testing.T) {
	m, err := parseURL("redis://user:pw@", true)
	if err != nil || m.addr != "" || m.user != "user" || m.pass != "pw" {
		t.Fatalf("got %+v, %v", m, err)
	}
	if _, err := parseURL("redis://user:pw@", false); err == nil {
		t.Fatal("a URL without host accepted outside sentinel mode")
	}
}
