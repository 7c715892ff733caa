package received

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// ParseIPLiteral reads s as an IP address literal the way a Received
// header may carry one: with or without brackets and an "IPv6:" prefix
// (RFC 5321 section 4.1.3), with an IPv6 zone, or in one of the
// non-canonical forms the BSD inet_aton accepts and spammers use to hide an
// address: one decimal, hex or octal number (3735928559, 0xdeadbeef),
// dotted hex or octal parts, fewer than four parts (127.1), leading zeros.
//
// It returns the address when s denotes one, and the form s is written in.
// A dotted quad with a part over 255 returns the zero Addr and
// IPFormBadOctet; text that looks like an address but is none returns
// IPFormInvalid; anything else returns IPFormNone.
func ParseIPLiteral(s string) (netip.Addr, IPForm) {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if len(s) > 5 && s[4] == ':' && (s[:5] == "IPv6:" || s[:5] == "ipv6:" || s[:5] == "IPV6:") {
		s = s[5:]
	}
	if s == "" || len(s) > 64 {
		return netip.Addr{}, IPFormNone
	}
	// Host names are the common case: an address starts with a digit, or
	// with a hex letter and holds a ':'.
	if c := s[0]; !isDigit(c) && c != ':' && !(isHex(c) && strings.IndexByte(s, ':') >= 0) {
		return netip.Addr{}, IPFormNone
	}
	if strings.IndexByte(s, ':') >= 0 {
		return parseIPv6Literal(s)
	}
	return parseIPv4Literal(s)
}

func parseIPv6Literal(s string) (netip.Addr, IPForm) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			break // zone: anything goes
		}
		if !(isHex(c) || c == ':' || c == '.') {
			return netip.Addr{}, IPFormNone
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, IPFormInvalid
	}
	if a.Is4In6() {
		return a, IPFormIPv4Mapped
	}
	return a, IPFormIPv6
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ipPart is one dot-separated part of an IPv4 literal.
type ipPart struct {
	dec, alt uint64 // value read as decimal; value read as hex or octal
	base     uint8  // 10, 16 (0x prefix) or 8 (leading zero, octal digits only)
	lead0    bool   // a leading zero on a decimal-looking part
	decOK    bool   // readable as plain decimal
}

// Results of quad besides an address.
const (
	quadOK    = iota
	quadOther // not a canonical quad; the general reading decides
	quadNone  // a byte no IPv4 literal of any form holds: no address
)

// ipv4Byte marks the bytes an IPv4 literal of some form may hold: digits,
// hex digits, the 0x prefix's x and dots.
var ipv4Byte = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxX." {
		t[c] = true
	}
	return t
}()

// quad reads a canonical dotted quad (no leading zeros, parts 0-255), the
// common case, quickly. It stops at the first byte that is not one: when
// no IPv4 literal can hold that byte (a sendmail version "8.11.6/8.11.6"),
// parseIPv4Literal's general reading would fail too, and quad says so.
func quad(s string) (netip.Addr, int) {
	var b [4]byte
	part, n, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && part == 0 {
				return netip.Addr{}, quadOther // leading zero
			}
			part = part*10 + int(c-'0')
			digits++
			if part > 255 {
				return netip.Addr{}, quadOther
			}
		case c == '.' && digits > 0 && n < 3:
			b[n] = byte(part)
			n++
			part, digits = 0, 0
		case !ipv4Byte[c]:
			return netip.Addr{}, quadNone
		default:
			return netip.Addr{}, quadOther
		}
	}
	if n != 3 || digits == 0 {
		return netip.Addr{}, quadOther
	}
	b[3] = byte(part)
	return netip.AddrFrom4(b), quadOK
}

func parseIPv4Literal(s string) (netip.Addr, IPForm) {
	switch a, q := quad(s); q {
	case quadOK:
		return a, IPFormIPv4
	case quadNone:
		return netip.Addr{}, IPFormNone
	}
	var parts [4]ipPart
	n := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if n == 4 {
			return netip.Addr{}, IPFormNone
		}
		p, ok := readIPPart(s[start:i])
		if !ok {
			return netip.Addr{}, IPFormNone
		}
		parts[n] = p
		n++
		start = i + 1
	}
	if n == 0 {
		return netip.Addr{}, IPFormNone
	}
	anyHex, anyOct, anyLead0, allDec := false, false, false, true
	for _, p := range parts[:n] {
		anyHex = anyHex || p.base == 16
		anyOct = anyOct || p.base == 8
		anyLead0 = anyLead0 || p.lead0
		allDec = allDec && p.decOK
	}
	if n == 4 && allDec {
		over := false
		var b [4]byte
		for i, p := range parts {
			if p.dec > 255 {
				over = true
			}
			b[i] = byte(p.dec)
		}
		if !over {
			if anyLead0 {
				return netip.AddrFrom4(b), IPFormLeadingZero
			}
			return netip.AddrFrom4(b), IPFormIPv4
		}
		if !anyOct {
			return netip.Addr{}, IPFormBadOctet
		}
	}
	// inet_aton semantics: each part in its own base, the last part fills
	// the remaining bytes.
	var v uint64
	for i, p := range parts[:n] {
		x := p.dec
		if p.base != 10 {
			x = p.alt
		}
		if i < n-1 {
			if x > 255 {
				return netip.Addr{}, IPFormInvalid
			}
			v = v<<8 | x
			continue
		}
		rem := uint(4 - (n - 1))
		if x >= 1<<(8*rem) {
			if n == 4 {
				return netip.Addr{}, IPFormBadOctet
			}
			return netip.Addr{}, IPFormInvalid
		}
		v = v<<(8*rem) | x
	}
	a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	switch {
	case n == 1 && parts[0].base == 16:
		return a, IPFormHex
	case n == 1 && parts[0].base == 8:
		return a, IPFormOctal
	case n == 1:
		return a, IPFormDecimal
	case n < 4:
		return a, IPFormShort
	case anyHex:
		return a, IPFormDottedHex
	default:
		return a, IPFormDottedOctal
	}
}

func readIPPart(s string) (ipPart, bool) {
	var p ipPart
	if s == "" || len(s) > 34 {
		return p, false
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		p.base = 16
		for i := 2; i < len(s); i++ {
			c := s[i]
			var d uint64
			switch {
			case c >= '0' && c <= '9':
				d = uint64(c - '0')
			case c >= 'a' && c <= 'f':
				d = uint64(c-'a') + 10
			case c >= 'A' && c <= 'F':
				d = uint64(c-'A') + 10
			default:
				return p, false
			}
			if p.alt > 1<<32 {
				return p, false
			}
			p.alt = p.alt*16 + d
		}
		return p, true
	}
	p.base = 10
	p.decOK = true
	octal := len(s) > 1 && s[0] == '0'
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return p, false
		}
		if p.dec <= 1<<33 {
			p.dec = p.dec*10 + uint64(c-'0')
		}
		if c > '7' {
			octal = false
		}
		if p.alt <= 1<<33 {
			p.alt = p.alt*8 + uint64(c-'0')
		}
	}
	if len(s) > 1 && s[0] == '0' {
		p.lead0 = true
		if octal {
			p.base = 8
		}
	}
	return p, true
}

// MarshalText writes the form's name, so IPForm reads as "decimal" rather
// than a number in JSON.
func (f IPForm) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (f *IPForm) UnmarshalText(b []byte) error {
	for i, n := range ipFormNames {
		if n == string(b) {
			*f = IPForm(i)
			return nil
		}
	}
	return errors.New("received: unknown IP form " + strconv.Quote(string(b)))
}
