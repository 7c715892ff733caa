package ascii

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for _, tt := range []struct {
		s, sub string
		index  int
	}{
		{"by localhost with POP3 (fetchmail-6.4)", "FETCHMAIL", 24},
		{"FETCHMAIL", "fetchmail", 0},
		{"fetchmai", "fetchmail", -1},
		{"ffetchmail", "fetchmail", 1},
		{"IMAP", "imap", 0},
		{"", "imap", -1},
		{"x", "", 0},
		{"1.2.3", "2.3", 2},
		{"\u212a", "k", -1}, // the Kelvin sign is not ASCII K
	} {
		if got := IndexFold(tt.s, tt.sub); got != tt.index {
			t.Errorf("IndexFold(%q, %q) = %d, want %d", tt.s, tt.sub, got, tt.index)
		}
		if got := ContainsFold(tt.s, tt.sub); got != (tt.index >= 0) {
			t.Errorf("ContainsFold(%q, %q) = %v", tt.s, tt.sub, got)
		}
		if tt.index == 0 != HasPrefixFold(tt.s, tt.sub) {
			t.Errorf("HasPrefixFold(%q, %q) = %v", tt.s, tt.sub, !(tt.index == 0))
		}
	}
	for _, p := range [][2]string{{"Received", "received"}, {"X-Originating-IP", "x-originating-ip"}, {"a", "b"}, {"ab", "a"}, {"@", "`"}} {
		want := strings.EqualFold(p[0], p[1])
		if EqualFold(p[0], p[1]) != want || EqualFoldBytes([]byte(p[0]), p[1]) != want {
			t.Errorf("EqualFold(%q, %q) != %v", p[0], p[1], want)
		}
	}
}
