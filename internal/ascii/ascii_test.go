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

// TestWordAtATime checks the eight-bytes-at-a-time EqualFold,
// EqualFoldBytes and HasUpper against a byte at a time, for every byte
// value at every place of strings of 1 to 20 bytes.
func TestWordAtATime(t *testing.T) {
	lower := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			b[i] = Lower(c)
		}
		return string(b)
	}
	base := "aB3-xYz.Q_mnOP9@kLw%"
	for n := 1; n <= len(base); n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := []byte(base[:n])
				b[at] = byte(c)
				s := string(b)
				if got, want := HasUpper(s), lower(s) != s; got != want {
					t.Fatalf("HasUpper(%q) = %v, want %v", s, got, want)
				}
				for _, o := range []string{base[:n], strings.ToUpper(base[:n]), lower(base[:n]), strings.ToUpper(s), lower(s)} {
					want := lower(s) == lower(o)
					if got := EqualFold(s, o); got != want {
						t.Fatalf("EqualFold(%q, %q) = %v, want %v", s, o, got, want)
					}
					if got := EqualFoldBytes([]byte(s), o); got != want {
						t.Fatalf("EqualFoldBytes(%q, %q) = %v, want %v", s, o, got, want)
					}
				}
			}
		}
	}
}

// TestIndexLetter checks IndexLetter against a byte at a time, for every
// byte value at every place of strings of 1 to 20 bytes.
func TestIndexLetter(t *testing.T) {
	base := "abcdefghijklnopqrstu"
	for _, c := range []byte{'m', 'a', 'z'} {
		for n := 1; n <= len(base); n++ {
			for at := 0; at < n; at++ {
				for v := 0; v < 256; v++ {
					b := []byte(strings.ReplaceAll(base[:n], string(c), "_"))
					b[at] = byte(v)
					if at+3 < n {
						b[at+3] = c - 'a' + 'A' // a later one, in upper case
					}
					s := string(b)
					want := -1
					for i := 0; i < len(s); i++ {
						if s[i] == c || s[i] == c-'a'+'A' {
							want = i
							break
						}
					}
					if got := IndexLetter(s, c); got != want {
						t.Fatalf("IndexLetter(%q, %q) = %d, want %d", s, c, got, want)
					}
				}
			}
		}
	}
}
