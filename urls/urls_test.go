package urls

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/idna"
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

// A form's action is a link, an action elsewhere is not, and the
// tokenizer keeps only the first of a repeated attribute (WHATWG HTML,
// 13.2.5.33: a duplicate attribute is dropped).
func TestHTMLFormActions(t *testing.T) {
	doc := `<br><div action="http://not-a-form.example/"><FORM id=f ACTION="http://first.example/" action="http://second.example/" data-x=1>` +
		`<form method=post action=http://third.example/><img/><a title=t href=http://link.example/></a>`
	var s Set
	s.AddHTML("1", []byte(doc))
	want := strings.Join([]string{
		"http://first.example/|first.example|first.example|1",
		"http://third.example/|third.example|third.example|1",
		"http://link.example/|link.example|link.example|1",
	}, "\n")
	if got := list(s.URLs()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// parseIPv4Split is parseIPv4 as first written, with strings.Split: the
// reference the allocation-free one must agree with.
func parseIPv4Split(h string) (netip.Addr, bool) {
	h = strings.TrimSuffix(h, ".")
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		n, err := strconv.ParseUint(p, base, 64)
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	last := len(nums) - 1
	for _, n := range nums[:last] {
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	if nums[last] >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := nums[last]
	for i, n := range nums[:last] {
		v |= n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"", ".", "1", "1.2.3.4", "1.2.3.4.", "1.2.3.4.5", "0x7f.1", "0x", "0x.1", "017.0.0.1",
		"3735928559", "256.1.1.1", "1.16777216", "www.example.com", "1..2", "+1.2.3.4", "1_000", "09.1.1.1", "0xffffffff", "4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, ok := parseIPv4(h)
		b, okb := parseIPv4Split(h)
		if a != b || ok != okb {
			t.Fatalf("parseIPv4(%q) = %v, %v; the Split version says %v, %v", h, a, ok, b, okb)
		}
	})
}

func TestParseIPv4NoAllocs(t *testing.T) {
	for _, h := range []string{"www.example.com", "10.0.0.1", "0xde.0xad.0xbe.0xef"} {
		if n := testing.AllocsPerRun(100, func() { parseIPv4(h) }); n != 0 {
			t.Errorf("parseIPv4(%q) allocates %v times", h, n)
		}
	}
}

// lookupName's shortcut for plain names must give what idna gives.
func FuzzLookupName(f *testing.F) {
	for _, s := range []string{"", ".", "a", "www.example.com", "-a.example", "a-.example", "a--b.example", "ab--c", "xn--bcher-kva.example",
		"a.xn--x", "1.2", "a..b", ".a", "a.", strings.Repeat("a", 70) + ".example", "ex_ample.com", "bücher.example", "Example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, ok := lookupName(h)
		want, wantOK := h, validName(h)
		if ascii, err := idna.Lookup.ToASCII(h); err == nil {
			want, wantOK = ascii, true
		}
		if got != want || ok != wantOK {
			t.Fatalf("lookupName(%q) = %q, %v; idna gives %q, %v", h, got, ok, want, wantOK)
		}
	})
}

// addHTMLPlain is AddHTML as first written, every attribute of every tag
// read: the reference the shortcuts must agree with.
func addHTMLPlain(s *Set, part string, doc []byte) {
	doc = s.room(doc)
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.TextToken:
			scanText(z.Text(), func(raw string) { s.add(part, raw) })
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "href" || (string(k) == "action" && string(name) == "form") {
					s.add(part, cleanHref(string(v)))
				}
			}
		}
	}
}

func FuzzAddHTML(f *testing.F) {
	for _, s := range []string{
		`<a href="http://a.example/">x</a>`,
		`<A HREF=http://b.example/><FORM ACTION="http://c.example/" action=http://d.example/>`,
		`<div action=http://e.example/ data-href=x><img src=x hReF = 'http://f.example/'>`,
		`<a title="href" x=1>http://g.example/</a><a h\x00ref=http://h.example/>`,
		`<form><input formaction=http://i.example/></form><a href=&#104;ttp://j.example/>&#104;ttp://k.example/`,
		`<script>var a = "<a href=http://l.example/>"</script><!-- <a href=http://m.example/> -->`,
		`<script><!-- <script> </script> http://n.example/ </script> http://o.example/ --> </script>http://p.example/`,
		`<script><!--<x</script>http://q.example/<!-- -- > --!> --> <?x http://r.example/ > <!doctype http://s.example/>`,
		`<title>&#104;ttp://t.example/&amp;</title><textarea>x</textareax></textarea >http://u.example/`,
		`<style>http://v.example/\x00x</style><xmp><a href=http://w.example/></xmp><plaintext></plaintext>http://x.example/`,
		`<a href="http://y.example/&copy;&x=1&amp;&#x41;&#65&#;&;" href=http://z.example/>`,
		`</a href=">" http://aa.example/><//x> </> <a\n\rhref\t=\f'http://bb.example/'/><a =href=x href/ action=y>`,
		`<form/action=http://cc.example/ Action=http://dd.example/><FORM action="http://ee.example/&#13;x">`,
		"<a href=http://ff.example/\x00>\x00http://gg.example/ <a href=\"http://hh.example/&notit;\">",
		`<a href="http://ii.example/`,
		`http://jj.example/<`,
		`<scr<script>http://kk.example/</SCRIPT/>http://ll.example/<!-`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var got, want Set
		got.AddHTML("1", doc)
		addHTMLPlain(&want, "1", doc)
		if g, w := list(got.URLs()), list(want.URLs()); g != w || got.Truncated() != want.Truncated() {
			t.Fatalf("AddHTML(%q) =\n%s\nreading every attribute gives\n%s", doc, g, w)
		}
	})
}

// TestAddHTMLRandom holds the scanner to the tokenizer on documents made
// of the pieces where their reading can part: tags, quotes, comment and
// script markers, references, NULs and line endings.
func TestAddHTMLRandom(t *testing.T) {
	pieces := []string{
		"<", ">", "/", "!", "?", "-", "--", "=", " ", "\n", "\r", "\t", "\x00", "\"", "'", "&", ";", "#",
		"a", "x", "href", "HREF", "action", "form", "script", "SCRIPT", "title", "textarea", "style", "plaintext",
		"<!--", "-->", "--!>", "</", "<a ", "<script>", "</script>", "<form ", "href=", "action=", "<!doctype ",
		"&amp;", "&lt;", "&#104;", "&#x68;", "&copy", "&nbsp;", "&a=", "http://", "https://", "www.", "h.example", ".com/",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 30000; n++ {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		doc := []byte(b.String())
		var got, want Set
		got.AddHTML("1", doc)
		addHTMLPlain(&want, "1", doc)
		if g, w := list(got.URLs()), list(want.URLs()); g != w {
			t.Fatalf("AddHTML(%q) =\n%s\nthe tokenizer gives\n%s", doc, g, w)
		}
	}
}

// Text mayDecodeToURL turns down decodes to no ':' and no '.', and so to
// no URL; what it lets through is decoded and scanned.
func TestMayDecodeToURL(t *testing.T) {
	pieces := []string{"&nbsp;", "&amp;", "&lt;", "&gt;", "&quot;", "&copy;", "&eacute;", "&colon;", "&period;",
		"&#58;", "&#x2E;", "&#x3a", "&Colon;", "&ap;", "&hellip;", "&middot;", "&nbsp", "&amp", "www", "http",
		"a", " ", "/", "&", ";", "example", "com", "&#", "x3a;"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b []byte
		for range 1 + rng.IntN(8) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		dec := html.UnescapeString(string(b))
		if !mayDecodeToURL(b) && strings.ContainsAny(dec, ":.") {
			t.Fatalf("%q decodes to %q, but was turned down", b, dec)
		}
	}
	for _, s := range []string{"&nbsp;click here&nbsp;", "a &amp; b"} {
		if mayDecodeToURL([]byte(s)) {
			t.Errorf("%q let through", s)
		}
	}
	for _, s := range []string{"http&colon;//a.example/", "www&period;a&period;example", "&#104;ttp&#58;//a/", "a.b &amp;"} {
		if !mayDecodeToURL([]byte(s)) {
			t.Errorf("%q turned down", s)
		}
	}
}

// A URL written again is kept once, whether the Set still looks through
// its list or has moved to a map, and the order is the order first found.
func TestSetKeepsEachOnce(t *testing.T) {
	for _, n := range []int{1, maxListed, maxListed + 1, 3 * maxListed} {
		var s Set
		var text []byte
		for i := range n {
			text = fmt.Appendf(text, "http://h%d.example/ ", i)
			if i > 0 {
				text = fmt.Appendf(text, "http://h%d.example/ ", i-1)
			}
		}
		s.AddText("1", text)
		s.AddHTML("2", text)
		got := s.URLs()
		if len(got) != n {
			t.Fatalf("n=%d: %d URLs kept", n, len(got))
		}
		for i, u := range got {
			if want := fmt.Sprintf("http://h%d.example/", i); u.URL != want || u.Part != "1" {
				t.Fatalf("n=%d: URL %d is %q in part %q, want %q in part 1", n, i, u.URL, u.Part, want)
			}
		}
	}
}
