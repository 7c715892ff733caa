package auth

import (
	"strings"
	"testing"
)

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
