// Package urls finds the web addresses a message advertises: the http and
// https URLs (and bare "www." names) in its plain text and the href and
// form targets and text of its HTML, each with its host and registered
// domain, for reporting the spamvertised sites.
//
// # Hosts
//
// A host is read as a browser reads it (WHATWG URL Standard, "host
// parsing"): percent-escapes are decoded, letters lower-cased, a trailing
// dot dropped and an internationalised name converted to its A-label
// (punycode) form. A host that is an IPv4 address written in decimal,
// hexadecimal or octal parts (http://3735928559/, http://0xde.0xad.0xbe.0xef/)
// is given in dotted-quad form, since that is where a browser connects.
// The registered domain is the public suffix plus one label
// (golang.org/x/net/publicsuffix); it is empty for an address or a name
// under no known suffix.
//
// # Limits
//
// A [Set] scans at most Limits.MaxBytes bytes of text and keeps at most
// Limits.MaxURLs distinct URLs; each URL is cut at 2048 bytes. Scanning is
// linear in the input. A Set is not safe for concurrent use; separate Sets
// are independent.
package urls

import (
	"bytes"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// URL is one advertised address.
type URL struct {
	URL    string // as written (HTML entities and transfer encoding decoded), at most 2048 bytes
	Host   string // as a browser would connect to it: lower case, A-label, IPv4 dotted
	Domain string // registered domain of Host; "" for an address or no known suffix
	Part   string // MIME part path the URL was found in ("" when not given)
}

// Limits caps what a Set scans and keeps. Its zero value means the
// defaults.
type Limits struct {
	// MaxBytes caps the bytes of text and HTML scanned. Zero means 1 MiB.
	MaxBytes int
	// MaxURLs caps the distinct URLs kept. Zero means 100.
	MaxURLs int
}

const maxURLBytes = 2048

// Set collects the distinct URLs of one message's text parts, in the
// order first found. Its zero value is ready to use with the default
// Limits.
type Set struct {
	Limits Limits

	urls      []URL
	seen      map[string]bool // the kept URLs, once there are more than maxListed
	scanned   int
	truncated bool
}

func (s *Set) maxBytes() int {
	if s.Limits.MaxBytes > 0 {
		return s.Limits.MaxBytes
	}
	return 1 << 20
}

func (s *Set) maxURLs() int {
	if s.Limits.MaxURLs > 0 {
		return s.Limits.MaxURLs
	}
	return 100
}

// URLs returns the URLs found so far.
func (s *Set) URLs() []URL { return s.urls }

// Truncated reports whether a limit stopped the scanning or the keeping.
func (s *Set) Truncated() bool { return s.truncated }

// room cuts b to what MaxBytes leaves and counts it as scanned.
func (s *Set) room(b []byte) []byte {
	left := s.maxBytes() - s.scanned
	if left <= 0 {
		if len(b) > 0 {
			s.truncated = true
		}
		return nil
	}
	if len(b) > left {
		// cut at the last space before the limit, so that no URL is
		// read half
		b = b[:left]
		if i := bytes.LastIndexAny(b, " \t\r\n"); i >= 0 {
			b = b[:i]
		}
		s.truncated = true
	}
	s.scanned += len(b)
	return b
}

// add keeps u if it is a web address not seen before.
func (s *Set) add(part, raw string) {
	if len(raw) > maxURLBytes {
		raw = raw[:maxURLBytes]
	}
	if s.has(raw) {
		return // parsed once is enough: spam repeats its links
	}
	u, ok := Parse(raw)
	if !ok {
		return
	}
	if len(s.urls) >= s.maxURLs() {
		s.truncated = true
		return
	}
	if s.urls == nil {
		s.urls = make([]URL, 0, 4) // a message keeps three or four on average
	}
	u.Part = part
	s.urls = append(s.urls, u)
	if s.seen != nil {
		s.seen[u.URL] = true
	} else if len(s.urls) > maxListed {
		s.seen = make(map[string]bool, 2*len(s.urls))
		for _, k := range s.urls {
			s.seen[k.URL] = true
		}
	}
}

// maxListed is how many URLs a Set looks through one by one before it
// keeps a map of them: most messages keep a few.
const maxListed = 16

// has reports whether the URL raw is kept.
func (s *Set) has(raw string) bool {
	if s.seen != nil {
		return s.seen[raw]
	}
	for i := range s.urls {
		if s.urls[i].URL == raw {
			return true
		}
	}
	return false
}

// AddText scans plain text found in MIME part part.
func (s *Set) AddText(part string, text []byte) {
	scanText(s.room(text), func(raw string) { s.add(part, raw) })
}

// AddHTML scans HTML found in MIME part part: the href of every element
// that has one (a, area, link, base), form actions, and the text. The
// document is split into text and tags as golang.org/x/net/html's
// tokenizer splits it (see htmlScanner).
func (s *Set) AddHTML(part string, doc []byte) {
	z := htmlScanner{
		doc:  s.room(doc),
		text: func(b []byte) { scanText(b, func(raw string) { s.add(part, raw) }) },
		link: func(raw string) { s.add(part, raw) },
	}
	z.run()
}

// cleanHref removes what a browser removes from an attribute's URL:
// surrounding spaces and any tab or line break inside.
func cleanHref(v string) string {
	v = strings.TrimSpace(v)
	if strings.ContainsAny(v, "\t\r\n") {
		v = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(v)
	}
	return v
}

// minURLText is the shortest text that can hold a URL scanText finds:
// "www." and one letter or digit ("http://" is longer). Decoding character
// references only shortens a text.
const minURLText = len("www.") + 1

// scanText calls fn with each URL-looking run of text: from "http://",
// "https://" or a word-initial "www." to the first character that cannot
// be part of a URL written in text, with trailing punctuation and
// unbalanced closing brackets dropped. It looks only at the colons and
// dots of the text (found with bytes.IndexByte), where every start is
// anchored: "http:", "https:" and "www." end in one.
func scanText(b []byte, fn func(string)) {
	nextColon, nextDot := -1, -1
	for i := 0; i < len(b); {
		if nextColon < i {
			nextColon = indexFrom(b, i, ':')
		}
		if nextDot < i {
			nextDot = indexFrom(b, i, '.')
		}
		p := min(nextColon, nextDot)
		if p >= len(b) {
			return
		}
		start := -1
		if b[p] == ':' {
			switch {
			case p >= 4 && hasPrefixFold(b[p-4:], "http://") && wordStart(b, p-4):
				start = p - 4
			case p >= 5 && hasPrefixFold(b[p-5:], "https://") && wordStart(b, p-5):
				start = p - 5
			}
		} else if p >= 3 && hasPrefixFold(b[p-3:], "www.") && p+1 < len(b) && isAlnum(b[p+1]) && nameStart(b, p-3) {
			start = p - 3
		}
		if start < 0 {
			i = p + 1
			continue
		}
		end := p
		for end < len(b) && urlByte(b[end]) {
			end++
		}
		fn(trimTail(string(b[start:end])))
		i = end
	}
}

// indexFrom is the index of the first c in b at or after i; len(b) if none.
func indexFrom(b []byte, i int, c byte) int {
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return len(b)
}

// wordStart reports whether a URL may start at i: not inside a word
// ("xhttp://").
func wordStart(b []byte, i int) bool { return i == 0 || !isAlnum(b[i-1]) }

// nameStart reports whether a bare "www." name may start at i: not inside
// a word, a longer name, a path or an address.
func nameStart(b []byte, i int) bool {
	if i == 0 {
		return true
	}
	c := b[i-1]
	return !(isAlnum(c) || c == '.' || c == '/' || c == '@')
}

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// urlByte reports whether c may continue a URL written in text. Bytes of
// 0x80 and above (UTF-8 in internationalised names and paths) may.
func urlByte(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	switch c {
	case '<', '>', '"', '`', '{', '}', '|', '\\', '^', '\'':
		return false
	}
	return true
}

// trimTail drops sentence punctuation after a URL and closing brackets
// that have no opening one inside it.
func trimTail(s string) string {
	// Counted once: a run of brackets must not cost a count per bracket.
	parens := strings.Count(s, "(") - strings.Count(s, ")")
	squares := strings.Count(s, "[") - strings.Count(s, "]")
	for len(s) > 0 {
		switch s[len(s)-1] {
		case '.', ',', ';', ':', '!', '?', '*':
		case ')':
			if parens >= 0 {
				return s
			}
			parens++
		case ']':
			if squares >= 0 {
				return s
			}
			squares++
		default:
			return s
		}
		s = s[:len(s)-1]
	}
	return s
}

// Parse reads one absolute http or https URL (or a "www." name, taken as
// http) into its host and registered domain. It reports false for other
// schemes, relative references and URLs without a host.
func Parse(raw string) (URL, bool) {
	if len(raw) > maxURLBytes {
		raw = raw[:maxURLBytes]
	}
	rest := ""
	switch {
	case hasPrefixFold([]byte(raw), "http:"):
		rest = raw[len("http:"):]
	case hasPrefixFold([]byte(raw), "https:"):
		rest = raw[len("https:"):]
	case hasPrefixFold([]byte(raw), "www."):
		rest = "//" + raw
	default:
		return URL{}, false
	}
	// Browsers read a backslash in a special URL as a slash.
	if rest == "" || (rest[0] != '/' && rest[0] != '\\') {
		return URL{}, false
	}
	rest = strings.TrimLeft(rest, "/\\")
	auth := rest
	if i := strings.IndexAny(auth, "/?#\\"); i >= 0 {
		auth = auth[:i]
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	host := auth
	if strings.HasPrefix(host, "[") {
		j := strings.IndexByte(host, ']')
		if j < 0 {
			return URL{}, false
		}
		a, err := netip.ParseAddr(host[1:j])
		if err != nil {
			return URL{}, false
		}
		return URL{URL: raw, Host: a.String()}, true
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if strings.IndexByte(host, '%') >= 0 {
		if h, err := url.PathUnescape(host); err == nil {
			host = h
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return URL{}, false
	}
	if a, ok := parseIPv4(host); ok {
		return URL{URL: raw, Host: a.String()}, true
	}
	host, ok := lookupName(host)
	if !ok {
		return URL{}, false
	}
	u := URL{URL: raw, Host: host}
	if strings.IndexByte(host, '.') > 0 {
		if d, ok := registeredDomain(host); ok {
			u.Domain = d
		}
	}
	return u, true
}

// lookupName is the name a browser looks host up by: its A-label form
// (idna's lookup profile); host itself when idna refuses it but validName
// accepts it; false when neither.
func lookupName(host string) (string, bool) {
	if plainName(host) {
		// idna maps such a name to itself or refuses it, and validName
		// accepts it: the answer is host either way.
		return host, true
	}
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		return ascii, true
	}
	return host, validName(host)
}

// plainName reports whether h is made of lower-case letters, digits,
// hyphens and dots only, with no label in punycode ("xn--").
func plainName(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
		if c == 'x' && (i == 0 || h[i-1] == '.') && strings.HasPrefix(h[i:], "xn--") {
			return false
		}
	}
	return true
}

// validName accepts a host that idna refused but a resolver could still be
// asked about (underscores, over-long labels): printable, no spaces.
func validName(h string) bool {
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// parseIPv4 reads a host of one to four dot-separated numbers, each
// decimal, 0x-hexadecimal or 0-octal, the last filling the remaining
// bytes, as the WHATWG URL Standard's IPv4 parser does. It reports false
// when the host is not such a number form.
func parseIPv4(h string) (netip.Addr, bool) {
	h = strings.TrimSuffix(h, ".")
	if strings.Count(h, ".") > 3 {
		return netip.Addr{}, false
	}
	var buf [4]uint64
	nums := buf[:0]
	for rest := h; ; {
		p, after, more := strings.Cut(rest, ".")
		rest = after
		if p == "" || p[0] < '0' || p[0] > '9' {
			// a name, not a number: ParseUint would refuse it too,
			// at the cost of an error value
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
		nums = append(nums, n)
		if !more {
			break
		}
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
