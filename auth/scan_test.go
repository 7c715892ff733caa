package auth

import (
	"strings"
	"testing"
	"unsafe"
)

// unsafeData is the address of a string's bytes: whether two strings
// share them.
func unsafeData(s string) *byte { return unsafe.StringData(s) }

// tokenByHand is token as the spec reads: up to white space, a comment,
// ';' or a byte of stop.
func tokenByHand(s string, stop string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; isWSP(b) || b == '(' || b == ';' || strings.IndexByte(stop, b) >= 0 {
			return s[:i]
		}
	}
	return s
}

// The stop sets read through the byte table end tokens exactly where a
// byte-by-byte reading does, and so does any other stop set.
func TestTokenStops(t *testing.T) {
	inputs := []string{
		"", "pass", "dkim=pass", "spf/fail=x", "a b", "a\tb", "a\r\nb", "a(b)", "a;b",
		"header.d=example.com;", "x=/y", "/=", "==", "smtp.mailfrom=a@b.example (comment)",
		"\x00=\xff/", "a:b", "é=ü",
	}
	for _, in := range inputs {
		for _, stop := range []string{"", "=", "=/", "/=", ":", "=:"} {
			c := &cursor{s: in}
			if got, want := c.token(stop), tokenByHand(in, stop); got != want || c.i != len(want) {
				t.Errorf("token(%q) of %q = %q at %d, want %q", stop, in, got, c.i, want)
			}
		}
	}
}

// A DKIM h= list comes back in lower case, names in order, empty ones
// and folding white space dropped.
func TestHeaderList(t *testing.T) {
	got := strings.Join(headerList(" From:To: Subject:\r\n\tDate::Message-ID:"), ",")
	if want := "from,to,subject,date,message-id"; got != want {
		t.Errorf("headerList = %q, want %q", got, want)
	}
}

func TestFoldValue(t *testing.T) {
	for _, c := range []struct {
		in          string
		lower       bool
		want        string
		sameAsInput bool
	}{
		{"abc", false, "abc", true},
		{"abc", true, "abc", true},
		{"a b\tc\r\n d", false, "abcd", false},
		{"From:To", false, "From:To", true},
		{"From:To", true, "from:to", false},
		{" From :\r\n\tTO", true, "from:to", false},
		{"", true, "", true},
		{"ÄB", true, "Äb", false},
	} {
		got := foldValue(c.in, c.lower)
		if got != c.want {
			t.Errorf("foldValue(%q, %v) = %q, want %q", c.in, c.lower, got, c.want)
		}
		if c.sameAsInput && len(got) > 0 && unsafeData(got) != unsafeData(c.in) {
			t.Errorf("foldValue(%q, %v) copied a value it did not change", c.in, c.lower)
		}
	}
}

// Lists taken from a strArena keep their strings when the arena grows,
// and appending to one does not write into the next.
func TestStrArena(t *testing.T) {
	var s strArena
	s.reserve(2)
	s.add("a")
	s.add("b")
	ab := s.take()
	s.add("c")
	s.drop()
	for i := 0; i < 20; i++ {
		s.add("x")
	}
	xs := s.take()
	if s.take() != nil {
		t.Error("an empty run is not nil")
	}
	ab = append(ab, "z")
	if strings.Join(ab, "") != "abz" || len(xs) != 20 || xs[0] != "x" {
		t.Errorf("lists %q %q", ab, xs)
	}
}

// The analysis' h= reading gives headerList's names, and reads a
// lower-case list in place.
func TestHeaderListInPlace(t *testing.T) {
	for _, in := range []string{
		" From:To: Subject:\r\n\tDate::Message-ID:", "from:to: subject:\r\n\tdate::message-id:",
		"from : t o :", "", ":", " \t", "from", "a:\u00a0b", "x:Y",
	} {
		var b parseBufs
		got, want := b.headerList(in), headerList(in)
		if strings.Join(got, ",") != strings.Join(want, ",") || len(got) != len(want) {
			t.Errorf("headerList(%q) = %q, want %q", in, got, want)
		}
	}
	in := "from:to: subject:\r\n\tdate"
	var b parseBufs
	if h := b.headerList(in); len(h) != 4 || unsafeData(h[2]) != unsafeData(in[9:]) {
		t.Errorf("a lower-case list was copied: %q", h)
	}
}
