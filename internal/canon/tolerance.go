package canon

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// streamRead matches the entries-read counter of a consumer group in the
// canonical rendering of a stream.
var streamRead = regexp.MustCompile(` read=-?[0-9]+`)

// consumerItem matches one consumer ("name":[ids]) of a rendered group.
var consumerItem = regexp.MustCompile(`"(?:[^"\\]|\\.)*":\[[^\]]*\]`)
var consumersList = regexp.MustCompile(`consumers=\[((?:"(?:[^"\\]|\\.)*":\[[^\]]*\],?)*)\]`)

// zmemberRe matches one member=score of a rendered sorted set.
var zmemberRe = regexp.MustCompile(`("(?:[^"\\]|\\.)*")=([^,\]]+)`)

// MasterView drops the two stream details on which a Redis 7.0 master and
// every replica of it (stock or follower) legitimately disagree, because
// the master propagates an XREADGROUP only as XCLAIMs: consumer groups'
// entries-read counters, and consumers that own no pending entry
// (XREADGROUP creates them on the master without propagating anything).
// Compare a master with MasterView on both sides; compare a follower with a
// stock replica exactly.
func MasterView(keys []Key) []Key {
	out := slices.Clone(keys)
	for i := range out {
		if out[i].Type != "stream" {
			continue
		}
		v := streamRead.ReplaceAllString(out[i].Value, " read=?")
		v = consumersList.ReplaceAllStringFunc(v, func(list string) string {
			var keep []string
			for _, item := range consumerItem.FindAllString(list[len("consumers="):], -1) {
				if !strings.HasSuffix(item, ":[]") {
					keep = append(keep, item)
				}
			}
			return "consumers=[" + strings.Join(keep, ",") + "]"
		})
		out[i].Value = v
	}
	return out
}

// NearlyEqualGeo reports whether two renderings of a sorted set have the
// same members in the same order with scores within 2 ulps. GEO distance
// scores (GEOSEARCHSTORE … STOREDIST) come from glibc's sin/cos/asin on
// the master, which are not correctly rounded for about 0.1% of
// arguments; the follower's are.
func NearlyEqualGeo(a, b string) bool {
	ma, mb := zmemberRe.FindAllStringSubmatch(a, -1), zmemberRe.FindAllStringSubmatch(b, -1)
	if len(ma) != len(mb) || len(ma) == 0 {
		return false
	}
	for i := range ma {
		if ma[i][1] != mb[i][1] {
			return false
		}
		x, err1 := strconv.ParseFloat(ma[i][2], 64)
		y, err2 := strconv.ParseFloat(mb[i][2], 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if x != y && (math.Abs(x-y) > 2*math.Abs(math.Nextafter(x, math.Inf(1))-x)) {
			return false
		}
	}
	return true
}

// AcceptGeoUlps replaces, in got, the value of every sorted set whose key
// starts with prefix and which is NearlyEqualGeo to want's value by want's
// value, and returns the keys it accepted (for the caller to log).
func AcceptGeoUlps(want, got []Key, prefix string) []string {
	idx := map[string]int{}
	for i, k := range got {
		idx[strconv.Itoa(k.DB)+"\x00"+k.Key] = i
	}
	var accepted []string
	for _, w := range want {
		if w.Type != "zset" || !strings.HasPrefix(w.Key, prefix) {
			continue
		}
		if i, ok := idx[strconv.Itoa(w.DB)+"\x00"+w.Key]; ok && got[i].Value != w.Value && NearlyEqualGeo(w.Value, got[i].Value) {
			got[i].Value = w.Value
			accepted = append(accepted, "db"+strconv.Itoa(w.DB)+" "+strconv.Quote(w.Key))
		}
	}
	return accepted
}

// FirstMismatch shows, for up to five keys present on both sides with
// different values, where their renderings first differ.
func FirstMismatch(want, got []Key) string {
	idx := map[string]Key{}
	for _, k := range got {
		idx[strconv.Itoa(k.DB)+"\x00"+k.Key] = k
	}
	var out []string
	for _, w := range want {
		g, ok := idx[strconv.Itoa(w.DB)+"\x00"+w.Key]
		if !ok || g.Value == w.Value {
			continue
		}
		i := 0
		for i < len(w.Value) && i < len(g.Value) && w.Value[i] == g.Value[i] {
			i++
		}
		lo := max(0, i-80)
		out = append(out, "db"+strconv.Itoa(w.DB)+" "+strconv.Quote(w.Key)+" first differs at byte "+strconv.Itoa(i)+
			":\n  want …"+w.Value[lo:min(len(w.Value), i+120)]+"\n  got  …"+g.Value[lo:min(len(g.Value), i+120)])
		if len(out) == 5 {
			break
		}
	}
	return strings.Join(out, "\n")
}

// NormalizeNegZero renders every -0 sorted-set score as 0. Use it on both
// sides when one of them is a server that loaded an RDB: Redis converts a
// small sorted set it loads to a listpack, which stores -0 as 0, while the
// master may hold the same set as a skiplist that keeps -0 (a set that
// grew past the limits and shrank). The master itself would lose the sign
// on a restart; a follower keeps it.
func NormalizeNegZero(keys []Key) []Key {
	out := slices.Clone(keys)
	for i := range out {
		if out[i].Type == "zset" && strings.Contains(out[i].Value, "=-0") {
			out[i].Value = negZero.ReplaceAllString(out[i].Value, "=0$1")
		}
	}
	return out
}

var negZero = regexp.MustCompile(`=-0([,\]])`)
