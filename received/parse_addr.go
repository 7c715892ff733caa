package received

import (
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// The connecting address of the from clause: literals, bare addresses,
// ports, and which of several candidates is kept.

// maybeIPName takes an address from the from-name when no other address
// was recorded: "from [192.0.2.1]", "from 192.0.2.1", "from 3735928559".
func (p *parser) maybeIPName(name string) {
	lit := len(name) > 1 && name[0] == '['
	s := name
	port := uint16(0)
	if lit {
		if k := strings.LastIndexByte(s, ']'); k > 0 {
			if k+1 < len(s) && s[k+1] == ':' {
				port = parsePort(s[k+2:])
			}
			s = s[1:k]
		}
	}
	a, form := ParseIPLiteral(s)
	if form == IPFormNone {
		return
	}
	if !lit && !plausibleBareIP(s, form) {
		return
	}
	p.setAddr(a, form, s, port)
}

// plausibleBareIP decides whether an unbracketed token is an address: a
// dotted quad (even a bad one), an IPv6 address, or a long number or hex
// number (a host name of "12345" is not an address).
func plausibleBareIP(s string, form IPForm) bool {
	switch form {
	case IPFormIPv4, IPFormIPv6, IPFormIPv4Mapped, IPFormBadOctet, IPFormLeadingZero, IPFormDottedHex, IPFormDottedOctal:
		return true
	case IPFormDecimal:
		return len(s) >= 8
	case IPFormHex:
		return len(s) >= 9
	case IPFormOctal:
		return len(s) >= 11
	}
	return false
}

func (p *parser) setIP(t token, fromSide bool) {
	s := t.text
	port := uint16(0)
	if t.end-t.start > len(s)+2 { // ":port" after the bracket
		rest := p.s[t.start+len(s)+2 : t.end]
		if len(rest) > 1 && rest[0] == ':' {
			port = parsePort(rest[1:])
		}
	}
	if fromSide {
		p.setLiteral(s, port)
	}
}

func (p *parser) setIPSub(text string, t token) {
	s := t.text
	port := uint16(0)
	if t.end-t.start > len(s)+2 {
		rest := text[t.start+len(s)+2 : t.end]
		if len(rest) > 1 && rest[0] == ':' {
			port = parsePort(rest[1:])
		}
	}
	p.setLiteral(s, port)
}

// setLiteral records the text of a bracketed literal as the connecting
// address. "[192.0.2.1:25]" (Momentum) carries its port inside; "[local]"
// and "[unix socket]" are no addresses at all.
func (p *parser) setLiteral(s string, port uint16) {
	if a, q := quad(s); q == quadOK {
		p.setAddr(a, IPFormIPv4, s, port) // what ParseIPLiteral gives
		return
	}
	if !hasDigit(s) {
		return
	}
	if len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
		// "[(123.150.8.42)]" (a "Generic MTA" gateway): the address
		// in parentheses.
		if a, q := quad(s[1 : len(s)-1]); q == quadOK {
			p.setAddr(a, IPFormIPv4, s[1:len(s)-1], port)
			return
		}
	}
	if !addressLike(s) {
		// "[MTA_---0WzjGRdB_1771929101]" (Alibaba's webmail): a
		// session token, no attempt at an address.
		return
	}
	a, form := ParseIPLiteral(s)
	if form == IPFormNone || form == IPFormInvalid {
		if ap, text, pt, ok := addrPort(s); ok {
			p.setAddr(ap, IPFormIPv4, text, pt)
			return
		}
		form = IPFormInvalid
	}
	p.setAddr(a, form, s, port)
}

// addressLike reports whether a bracketed literal is written only with
// what an address, well formed or not, is written with: letters and
// digits, dots and colons (a zone after '%' holds anything). Such a text
// can be a malformed address; one with other marks ('_', '-', '@') is
// some other token.
func addressLike(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c), 'a' <= c|0x20 && c|0x20 <= 'z', c == '.', c == ':':
		case c == '%':
			return true
		default:
			return false
		}
	}
	return true
}

func (p *parser) setAddr(a netip.Addr, form IPForm, text string, port uint16) {
	f := &p.hop.From
	if p.ipSet {
		// Keep the first canonical address; a later one only replaces a
		// non-canonical first guess.
		if f.IPForm.Canonical() || !form.Canonical() {
			return
		}
	}
	p.ipSet = true
	f.IP, f.IPForm, f.IPText = a, form, trimIPv6Tag(text)
	if port != 0 {
		f.Port = port
	}
}

func trimIPv6Tag(s string) string {
	if len(s) > 5 && ascii.EqualFold(s[:5], "IPv6:") {
		return s[5:]
	}
	return s
}

func parsePort(s string) uint16 {
	v := 0
	for i := 0; i < len(s) && i < 6; i++ {
		if !isDigit(s[i]) {
			break
		}
		v = v*10 + int(s[i]-'0')
	}
	if v > 65535 {
		return 0
	}
	return uint16(v)
}

// addrPort reads "192.0.2.1:25", a dotted quad with a port, without
// allocating (netip.ParseAddrPort allocates its error).
func addrPort(w string) (a netip.Addr, text string, port uint16, ok bool) {
	k := strings.LastIndexByte(w, ':')
	if k < 7 || k+1 == len(w) || len(w)-k-1 > 5 || !allDigits(w[k+1:]) || strings.IndexByte(w[:k], ':') >= 0 {
		return a, "", 0, false
	}
	a, form := ParseIPLiteral(w[:k])
	if form != IPFormIPv4 {
		return netip.Addr{}, "", 0, false
	}
	v := atoiPrefix(w[k+1:])
	if v > 65535 {
		return netip.Addr{}, "", 0, false
	}
	return a, w[:k], uint16(v), true
}

// isAddr reports whether s is an address in a canonical form.
func isAddr(s string) bool {
	_, form := ParseIPLiteral(s)
	return form.Canonical()
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}
