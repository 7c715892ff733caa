package received

import (
	"strings"
)

// The by clause: the receiving host, its own address, its software.

func (p *parser) byClause(toks []token) {
	b := &p.hop.By
	for i, t := range toks {
		switch t.kind {
		case tokWord, tokLiteral:
			if b.Host == "" && i == 0 {
				if t.kind == tokLiteral {
					b.Host = p.s[t.start:t.end]
				} else {
					b.Host = t.text
				}
				p.byAddr(t.text)
				continue
			}
			if !b.IP.IsValid() && b.IPText == "" {
				if a, form := ParseIPLiteral(t.text); form.Canonical() || t.kind == tokLiteral && form != IPFormNone {
					b.IP, b.IPForm, b.IPText = a.WithZone(a.Zone()), form, trimIPv6Tag(t.text)
					continue
				}
			}
			if b.Host == "" {
				b.Host = t.text
			}
		case tokComment:
			c := trimSpace(t.text)
			// "(192.0.2.1)", "([192.0.2.1])" or amavis's "(host [192.0.2.1])":
			// the receiving server's own address, not its software.
			if s := c; len(s) > 2 && s[len(s)-1] == ']' {
				if k := strings.LastIndexByte(s, '['); k >= 0 {
					s = s[k+1 : len(s)-1]
				}
				if a, form := ParseIPLiteral(s); form.Canonical() {
					if !b.IP.IsValid() {
						b.IP, b.IPForm, b.IPText = a, form, trimIPv6Tag(s)
					}
					continue
				}
			} else if a, form := ParseIPLiteral(s); form.Canonical() {
				if !b.IP.IsValid() {
					b.IP, b.IPForm, b.IPText = a, form, trimIPv6Tag(s)
				}
				continue
			}
			fromThis := false
			if b.Software == "" {
				p.software(c)
				fromThis = b.Software != ""
			}
			p.comment(c, clBy)
			if fromThis && len(c) >= 3 && b.Software == c {
				// The whole comment is the software: its markers were
				// just searched.
				p.swKnown, p.swDialect = true, p.lastDialect
			}
		}
	}
}

func (p *parser) byAddr(s string) {
	b := &p.hop.By
	a, form := ParseIPLiteral(s)
	if form == IPFormNone {
		return
	}
	if form == IPFormDecimal && len(s) < 8 {
		return
	}
	b.IP, b.IPForm, b.IPText = a, form, trimIPv6Tag(strings.Trim(s, "[]"))
}

// software records the by clause's software comment: "Postfix",
// "8.12.5/8.12.5", "Postfix, from userid 1000", "amavisd-new, port 10024".
func (p *parser) software(c string) {
	if c == "" {
		return
	}
	sw := c
	if k := strings.IndexByte(sw, ','); k > 0 {
		rest := trimSpace(sw[k+1:])
		sw = sw[:k]
		if hasPrefixFoldFast(rest, "from userid ") {
			p.hop.From.Ident = rest[5:]
		}
	}
	if holdsVersionOrCipher(sw) || hasPrefixFoldFast(sw, "using ") ||
		hasPrefixFoldFast(sw, "envelope-from") || hasPrefixFoldFast(sw, "authenticated") {
		return
	}
	p.hop.By.Software = trimSpace(sw)
}

// holdsVersionOrCipher reports whether s holds "version=" or "cipher",
// ignoring ASCII case, in one pass.
func holdsVersionOrCipher(s string) bool {
	for i := 0; i < len(s); i++ {
		switch lowerTab[s[i]] {
		case 'v':
			if hasPrefixFoldFast(s[i:], "version=") {
				return true
			}
		case 'c':
			if hasPrefixFoldFast(s[i:], "cipher") {
				return true
			}
		}
	}
	return false
}
