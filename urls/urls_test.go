package urls

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func list(us []URL) string {
	var s []string
	for _, u := range us {
		s = append(s, fmt.Sprintf("%s|%s|%s|%s", u.URL, u.Host, u.Domain, u.Part))
	}
	return strings.Join(s, "\n")
}

func TestText(t *testing.T) {
	text := "Click http://Win.Prizes.EXAMPLE.co.uk/claim?id=7. Or (see https://a.example.com/x_(y)) now!\n" +
		"Also www.cheap-pills.example.net, and <http://[2001:db8::1]:8080/p>; user:pw@ is http://u:p@login.bank.example@phish.example.org/.\n" +
		"Mail me at someone@www.example.com, ftp://ignored.example/ and not xhttp://no.example/\n" +
		"Numeric: http://3735928559/x and http://0xde.0xad.0xbe.0xef/ and http://%77%77%77.bad.example/\n" +
		"IDN: http://bücher.example/ again http://win.prizes.example.co.uk/claim?id=7 and http://Win.Prizes.EXAMPLE.co.uk/claim?id=7\n"
	var s Set
	s.AddText("1", []byte(text))
	want := strings.Join([]string{
		"http://Win.Prizes.EXAMPLE.co.uk/claim?id=7|win.prizes.example.co.uk|example.co.uk|1",
		"https://a.example.com/x_(y)|a.example.com|example.com|1",
		"www.cheap-pills.example.net|www.cheap-pills.example.net|example.net|1",
		"http://[2001:db8::1]:8080/p|2001:db8::1||1",
		"http://u:p@login.bank.example@phish.example.org/|phish.example.org|example.org|1",
		"http://3735928559/x|222.173.190.239||1",
		"http://0xde.0xad.0xbe.0xef/|222.173.190.239||1",
		"http://%77%77%77.bad.example/|www.bad.example|bad.example|1",
		"http://bücher.example/|xn--bcher-kva.example|xn--bcher-kva.example|1",
		"http://win.prizes.example.co.uk/claim?id=7|win.prizes.example.co.uk|example.co.uk|1",
	}, "\n")
	if got := list(s.URLs()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if s.Truncated() {
		t.Errorf("truncated")
	}
}

func TestHTML(t *testing.T) {
	doc := `<html><body><a href=" http://track.spam.example/r?u=1&amp;v=2 ">Your bank</a>
<A HREF="https://secure-login.ph
ish.example/">log in</A> <a href="mailto:x@y.example">m</a> <a href="/relative">r</a>
<form action="http://collect.example.net/post"><input></form>
<p>or paste www.text-in-html.example into your browser &lt;http://entity.example/&gt;</p>
<script>var u="http://in-script.example/"</script></body></html>`
	var s Set
	s.AddHTML("2.1", []byte(doc))
	want := strings.Join([]string{
		"http://track.spam.example/r?u=1&v=2|track.spam.example|spam.example|2.1",
		"https://secure-login.phish.example/|secure-login.phish.example|phish.example|2.1",
		"http://collect.example.net/post|collect.example.net|example.net|2.1",
		"www.text-in-html.example|www.text-in-html.example|text-in-html.example|2.1",
		"http://entity.example/|entity.example|entity.example|2.1",
		"http://in-script.example/|in-script.example|in-script.example|2.1",
	}, "\n")
	if got := list(s.URLs()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "http://h%d.example.com/ ", i)
	}
	s := Set{Limits: Limits{MaxURLs: 10}}
	s.AddText("1", []byte(b.String()))
	if len(s.URLs()) != 10 || !s.Truncated() {
		t.Errorf("MaxURLs: %d, truncated %v", len(s.URLs()), s.Truncated())
	}
	s = Set{Limits: Limits{MaxBytes: 40}}
	s.AddText("1", []byte(b.String()))
	s.AddHTML("2", []byte(`<a href="http://late.example/">`))
	if got := list(s.URLs()); got != "http://h0.example.com/|h0.example.com|example.com|1" || !s.Truncated() {
		t.Errorf("MaxBytes: %s", got)
	}
	long := "http://long.example/" + strings.Repeat("a", 5000)
	var l Set
	l.AddText("1", []byte(long))
	if u := l.URLs(); len(u) != 1 || len(u[0].URL) != maxURLBytes || u[0].Host != "long.example" {
		t.Errorf("long URL: %d", len(u))
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, host, domain string }{
		{"http://EXAMPLE.com.", "example.com", "example.com"},
		{"https://a.b.example.org:8443/x", "a.b.example.org", "example.org"},
		{"http://127.1/", "127.0.0.1", ""},
		{"http://017700000001/", "127.0.0.1", ""},
		{"http:\\\\back.example\\x", "back.example", "back.example"},
		{"http://under_score.example/", "under_score.example", "under_score.example"},
		{"http://localhost/", "localhost", ""},
	} {
		u, ok := Parse(tc.in)
		if !ok || u.Host != tc.host || u.Domain != tc.domain {
			t.Errorf("Parse(%q) = %+v, %v; want host %q domain %q", tc.in, u, ok, tc.host, tc.domain)
		}
	}
	for _, in := range []string{"ftp://x.example/", "/rel", "http://", "http://[::1/", "mailto:a@b", "http:// /", "javascript:alert(1)"} {
		if u, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %+v, want false", in, u)
		}
	}
}

func FuzzURLs(f *testing.F) {
	f.Add([]byte("see http://a.example/x, www.b.example and http://3735928559/"), false)
	f.Add([]byte(`<a href="http://x.example/&amp;">http://y.example</a><form action=http://z.example>`), true)
	f.Add([]byte("http://[::1]:80/ http://%zz/ http://0x.0x/ www."), false)
	f.Fuzz(func(t *testing.T, b []byte, isHTML bool) {
		if got, want := collect(scanText, b), collect(scanTextReference, b); !slices.Equal(got, want) {
			t.Fatalf("scanText %q, reference %q", got, want)
		}
		s := Set{Limits: Limits{MaxURLs: 20, MaxBytes: 4096}}
		if isHTML {
			s.AddHTML("1", b)
		} else {
			s.AddText("1", b)
		}
		if len(s.URLs()) > 20 {
			t.Fatalf("%d URLs", len(s.URLs()))
		}
		seen := map[string]bool{}
		for _, u := range s.URLs() {
			if u.Host == "" || len(u.URL) > maxURLBytes || seen[u.URL] {
				t.Fatalf("bad %+v", u)
			}
			seen[u.URL] = true
			if utf8.ValidString(u.Host) && strings.ContainsAny(u.Host, " \t\r\n") {
				t.Fatalf("space in host %q", u.Host)
			}
			// A URL read back gives the same host.
			if again, ok := Parse(u.URL); !ok || again.Host != u.Host || again.Domain != u.Domain {
				t.Fatalf("Parse(%q) = %+v, %v; first %+v", u.URL, again, ok, u)
			}
		}
	})
}

func BenchmarkHostileText(b *testing.B) {
	text := []byte("http://x.example/" + strings.Repeat(")", 1<<20))
	b.ReportAllocs()
	for b.Loop() {
		var s Set
		s.AddText("1", text)
	}
}

// scanTextReference is the first, byte-by-byte scanner: the fuzz target
// checks that scanText finds exactly what it finds.
func scanTextReference(b []byte, fn func(string)) {
	for i := 0; i < len(b); {
		start := -1
		for ; i < len(b) && start < 0; i++ {
			switch c := b[i]; c {
			case 'h', 'H':
				if (hasPrefixFold(b[i:], "http://") || hasPrefixFold(b[i:], "https://")) && (i == 0 || !isAlnum(b[i-1])) {
					start = i
				}
			case 'w', 'W':
				if hasPrefixFold(b[i:], "www.") && len(b) > i+4 && isAlnum(b[i+4]) && (i == 0 || !(isAlnum(b[i-1]) || b[i-1] == '.' || b[i-1] == '/' || b[i-1] == '@')) {
					start = i
				}
			}
		}
		if start < 0 {
			return
		}
		end := start
		for end < len(b) && urlByte(b[end]) {
			end++
		}
		fn(trimTail(string(b[start:end])))
		if end == start {
			end++
		}
		i = end
	}
}

func collect(scan func([]byte, func(string)), b []byte) []string {
	var out []string
	scan(b, func(s string) { out = append(out, s) })
	return out
}
