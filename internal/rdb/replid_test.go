package rdb

import (
	"strings"
	"testing"
)

func TestValidReplID(t *testing.T) {
	for id, want := range map[string]bool{
		strings.Repeat("a", 40):          true,
		strings.Repeat("0F", 20):         true,
		strings.Repeat("a", 39):          false,
		strings.Repeat("a", 41):          false,
		strings.Repeat("a", 39) + "g":    false,
		strings.Repeat("a", 39) + "\x00": false,
		"":                               false,
	} {
		if ValidReplID(id) != want {
			t.Errorf("ValidReplID(%q) = %v", id, !want)
		}
	}
}
