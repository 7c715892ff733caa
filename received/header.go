package received

import (
	"net/textproto"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// Header is the header fields of a message, top first, as [ReadHeader]
// reads them into [Message.Header]. Its zero value (nil) is a header with
// no fields. A Header read from a message shares one string among all its
// fields: keeping any field keeps the whole header block alive.
type Header []Field

// Field is one header field.
type Field struct {
	// Name is the field name as written, without the colon and the
	// spaces or tabs before it.
	Name string
	// Value is the field body unfolded, as go-message's textproto gives
	// it: each line trimmed of spaces and tabs, the lines that are left
	// non-empty joined by one space, nothing decoded.
	Value string
	// Raw is the field as read, continuation lines included, with every
	// line ending (CR LF, a lone CR or a lone LF) written as CR LF;
	// empty for a field that was not read from text.
	Raw string
}

// Key returns the field name in canonical form
// (net/textproto.CanonicalMIMEHeaderKey, "Message-Id" for "Message-ID"),
// the key go-message's textproto files the field under. It allocates only
// for a name that is neither canonical as written nor one of the few dozen
// names this package knows (those a trace reads among them).
func (f Field) Key() string { return canonicalKey(f.Name) }

// Is reports whether the field has the key name has, as go-message
// compares keys: f.Key() == textproto.CanonicalMIMEHeaderKey(name), ASCII
// case ignored for a name of token characters. It does not allocate.
func (f Field) Is(name string) bool { return sameKey(f.Name, name) }

// Get returns the value of the topmost field with the key name has (see
// [Field.Is]), or "" when there is none.
func (h Header) Get(name string) string {
	for i := range h {
		if h[i].Is(name) {
			return h[i].Value
		}
	}
	return ""
}

// Has reports whether h holds a field with the key name has.
func (h Header) Has(name string) bool {
	for i := range h {
		if h[i].Is(name) {
			return true
		}
	}
	return false
}

// Values returns the values of the fields with the key name has, top
// first; nil when there is none.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h {
		if h[i].Is(name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// sameKey reports whether names a and b have the same canonical key:
// equal bytes, or equal ignoring ASCII case when they are made of token
// characters (canonicalisation rewrites the case of those only).
func sameKey(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true
	}
	if !ascii.EqualFold(a, b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !tokenByte(b[i]) {
			return false
		}
	}
	return true
}

// tokenByte reports whether c may appear in a header field name that
// net/textproto canonicalises (an RFC 7230 tchar).
func tokenByte(c byte) bool { return c < 128 && tokenBytes[c] }

var tokenBytes = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// canonicalKey is textproto.CanonicalMIMEHeaderKey(s), without its
// allocations for the names of knownKeys.
func canonicalKey(s string) string {
	if s == "Received" {
		return s // the most common field by far
	}
	upper := true
	for i := 0; i < len(s); i++ {
		k := keyClass[s[i]]
		if k == 0 {
			return s // not canonicalised at all
		}
		if upper && k == kLower || !upper && k == kUpper {
			if len(s) < len(knownKeys) {
				for _, k := range knownKeys[len(s)] {
					if ascii.EqualFold(s, k) {
						return k
					}
				}
			}
			return textproto.CanonicalMIMEHeaderKey(s)
		}
		upper = k == kDash
	}
	return s
}

// Classes of the bytes of a header field name, for canonicalKey: 0 is a
// byte that is not a token character.
const (
	kLower = 1 + iota
	kUpper
	kDash
	kOther // another token character
)

var keyClass = func() (t [256]uint8) {
	for c := range 128 {
		switch {
		case 'a' <= c && c <= 'z':
			t[c] = kLower
		case 'A' <= c && c <= 'Z':
			t[c] = kUpper
		case c == '-':
			t[c] = kDash
		case tokenBytes[c]:
			t[c] = kOther
		}
	}
	return t
}()

// knownKeys are canonical keys by length: the names a trace reads and the
// common ones most often written in another case. The canonical key of a
// name of token characters depends only on its letters' case-folded
// values, so a name equal to one of these ignoring case has it as its key.
var knownKeys = func() (t [64][]string) {
	for _, n := range []string{
		"Received", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
		"Content-ID", "Reply-To", "Return-Path", "Delivered-To", "X-Original-To", "In-Reply-To",
		"DKIM-Signature", "DomainKey-Signature", "ARC-Seal", "ARC-Message-Signature",
		"ARC-Authentication-Results", "Authentication-Results", "Received-SPF",
		"X-Forefront-Antispam-Report", "X-Microsoft-Antispam", "X-MS-Exchange-Organization-SCL",
		"X-Spam-Status", "X-Spam-Flag", "X-Spam-Score", "X-Spamd-Result", "X-Spam-Level",
		"X-Originating-IP", "X-Sender-IP", "X-Source-IP", "X-Client-IP", "X-Yahoo-Post-IP",
		"X-AOL-IP", "X-Originating-Client-IP", "X-MS-Exchange-Organization-OriginalClientIPAddress",
		"X-Mailer-IP", "X-Authenticated-Sender-IP", "X-Real-IP", "X-Forwarded-For",
		"X-MIME-Autoconverted", "X-MSMail-Priority", "X-MimeOLE", "X-UIDL", "X-Mailing-List",
	} {
		k := textproto.CanonicalMIMEHeaderKey(n)
		t[len(k)] = append(t[len(k)], k)
	}
	return t
}()

// header turns a header block (as readHeaderBlock gives it: field lines
// each ending in CR LF, spans and values in rb.fields) into a Header whose
// fields share one string, and returns the values of its first maxHops
// Received fields and the count of all its Received fields. go-message's
// reader skips fields with an empty name: so does header.
func (rb *readBuffers) header(block []byte, maxHops int) (Header, []string, int) {
	n, nReceived := 0, 0
	for _, f := range rb.fields {
		if block[f.start] != ':' {
			n++
			if f.received {
				nReceived++
			}
		}
	}
	if n == 0 {
		return nil, nil, 0
	}
	var b strings.Builder
	b.Grow(len(block) + len(rb.vals))
	b.Write(block)
	b.Write(rb.vals)
	s := b.String()
	h := make(Header, 0, n)
	var recv []string
	if nReceived > 0 {
		recv = make([]string, 0, min(nReceived, maxHops))
	}
	for _, f := range rb.fields {
		if block[f.start] == ':' {
			continue
		}
		vs, ve := f.valStart, f.valEnd
		if f.folded {
			vs, ve = vs+len(block), ve+len(block)
		}
		h = append(h, Field{Name: s[f.start:f.nameEnd], Value: s[vs:ve], Raw: s[f.start:f.end]})
		if f.received && len(recv) < maxHops {
			recv = append(recv, s[vs:ve])
		}
	}
	return h, recv, nReceived
}
