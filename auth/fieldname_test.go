package auth

import (
	"strings"
	"testing"
)

// fieldIndexRef is fieldIndex as it was written first: strings.EqualFold
// against every name of the same length.
func fieldIndexRef(name string) int {
	for i, f := range fieldKinds {
		if len(f.name) == len(name) && strings.EqualFold(f.name, name) {
			return i
		}
	}
	return -1
}

// TestFieldIndex changes every byte of every field name to every value and
// checks that the word-at-a-time comparison agrees with strings.EqualFold.
func TestFieldIndex(t *testing.T) {
	for _, f := range fieldKinds {
		for _, n := range []string{f.name, strings.ToLower(f.name), strings.ToUpper(f.name)} {
			if got, want := fieldIndex(n), fieldIndexRef(n); got != want || got < 0 {
				t.Errorf("fieldIndex(%q) = %d, want %d", n, got, want)
			}
		}
		b := []byte(f.name)
		for i := range b {
			orig := b[i]
			for c := range 256 {
				b[i] = byte(c)
				n := string(b)
				if got, want := fieldIndex(n), fieldIndexRef(n); got != want {
					t.Errorf("fieldIndex(%q) = %d, want %d", n, got, want)
				}
			}
			b[i] = orig
		}
	}
	for _, n := range []string{"", "X", "Subject", "Receive", "Receivedx", "D\u212aIM-Signature", "Received\r", strings.Repeat("a", 40)} {
		if got, want := fieldIndex(n), fieldIndexRef(n); got != want {
			t.Errorf("fieldIndex(%q) = %d, want %d", n, got, want)
		}
	}
}

func TestDomainCache(t *testing.T) {
	for _, tt := range []struct{ name, org, attrib string }{
		{"mail.example.co.uk", "example.co.uk", "example.co.uk"},
		{"MX1.Example.COM.", "example.com", "example.com"},
		{"gabe.freedesktop.org", "gabe.freedesktop.org", "freedesktop.org"},
		{"co.uk", "co.uk", "co.uk"},
		{"", "", ""},
	} {
		for range 2 { // computed, then from the cache
			if got := orgDomain(tt.name); got != tt.org {
				t.Errorf("orgDomain(%q) = %q, want %q", tt.name, got, tt.org)
			}
			if got := attribOrg(tt.name); got != tt.attrib {
				t.Errorf("attribOrg(%q) = %q, want %q", tt.name, got, tt.attrib)
			}
		}
	}
}

func TestHasAddressSpecial(t *testing.T) {
	const specials = " \t\"()<>,;:[]\\"
	for c := range 256 {
		s := "a" + string(rune(c)) + "b"
		if c >= 0x80 {
			s = "a" + string([]byte{byte(c)}) + "b"
		}
		if got, want := hasAddressSpecial(s), strings.ContainsAny(s, specials); got != want {
			t.Errorf("hasAddressSpecial(%q) = %v, want %v", s, got, want)
		}
	}
}
