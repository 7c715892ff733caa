package received

import (
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// The from clause: the HELO name, the reverse-DNS name, the ident, and the
// comments beside them ("rdns [ip]", "helo=x", "user@rdns [ip]").

func (p *parser) fromClause(toks []token) {
	h := &p.hop
	f := &h.From
	name := ""
	glued := -1
	for i, t := range toks {
		switch t.kind {
		case tokComment:
			p.fromComments++
			p.fromComment(t.text)
		case tokLiteral:
			if i == 1 && toks[0].kind == tokWord && toks[0].end == t.start && name == toks[0].text {
				// "from gw02_[192.168.224.26] ([198.51.100.4])": a HELO
				// with the client's own address glued on. The address the
				// MTA recorded wins; the glued one is a fallback.
				name, glued = p.s[toks[0].start:t.end], i
				continue
			}
			if name == "" && i == 0 {
				// "from [192.0.2.1] (...)": the HELO; an address the MTA
				// recorded in the comment takes precedence (fromName).
				name = p.s[t.start:t.end]
				continue
			}
			p.setIP(t, true)
		case tokWord, tokQuoted:
			if name == "" && i == 0 && t.kind == tokWord && ascii.EqualFold(t.text, "mail") && i+2 < len(toks) &&
				ascii.EqualFold(toks[i+1].text, "pickup") && ascii.EqualFold(toks[i+2].text, "service") {
				// SMTPSVC "from mail pickup service by ...": a local
				// submission, no client at all.
				f.Ident = p.s[t.start:toks[i+2].end]
				name = "-"
				continue
			}
			if name == "" {
				name = t.text
				continue
			}
			// "from jalapeno 127.0.0.1", qmail-ish bare addresses
			if a, form := ParseIPLiteral(t.text); form.Canonical() {
				p.setAddr(a, form, t.text, 0)
			} else if ascii.EqualFold(t.text, "HELO") || ascii.EqualFold(t.text, "EHLO") {
				// "from x HELO y" is rare but real
				if i+1 < len(toks) && toks[i+1].kind == tokWord {
					f.HELO, f.HELOVerb, p.heloBy = toks[i+1].text, t.text, true
				}
			}
		case tokAngle:
			// "from <user@host>": a local submission naming the sender
			if f.Ident == "" {
				f.Ident = t.text
			}
		}
	}
	p.fromName(name)
	if glued >= 0 && !p.ipSet {
		p.setIP(toks[glued], true)
	}
}

// fromName interprets the word after "from" once the comments are read:
// it is the HELO name unless an explicit HELO marker was given, in which
// case it is the name the receiving MTA looked up (qmail, Exim).
func (p *parser) fromName(name string) {
	f := &p.hop.From
	if name == "" || name == "-" {
		return
	}
	lit := len(name) > 1 && name[0] == '['
	if ascii.EqualFold(name, "unknown") {
		if p.heloBy {
			// qmail "from unknown (HELO x) (192.0.2.1)": the host name
			// qmail found (none), the HELO being x.
			if f.RDNS == "" {
				f.RDNSUnknown = true
			}
			return
		}
		// Postfix and sendmail write the HELO first, whatever it was;
		// qmail writes "from unknown (192.0.2.1)" when the HELO matched
		// the (unknown) host name.
		f.HELO = name
		if p.bareIPComment && f.RDNS == "" {
			f.RDNSUnknown = true
		}
		return
	}
	if p.heloBy {
		if f.RDNS == "" && !lit && !f.RDNSUnknown {
			if _, form := ParseIPLiteral(name); form == IPFormNone {
				f.RDNS = trimDot(name)
			}
		}
		if !p.ipSet {
			p.maybeIPName(name)
		}
		return
	}
	// "from 192.0.2.1 by ... with HTTP", "from [192.0.2.1] by ... with
	// NNFMP": with nothing else in the from part the address is all the
	// MTA recorded, no HELO.
	if p.fromComments == 0 && !p.ipSet {
		p.maybeIPName(name)
		if p.ipSet {
			return
		}
	}
	f.HELO = name
	if !p.ipSet {
		p.maybeIPName(name)
	}
}

// simpleFromComment reads the commonest from comments, "host [192.0.2.1]"
// and "[192.0.2.1]", without the general scan, and reports whether it did.
// Anything else (markers, ports, idents, several words) is left to the
// general reading in fromComment, which gives the same result on these.
func (p *parser) simpleFromComment(text string) bool {
	n := len(text)
	if n < 3 || text[n-1] != ']' {
		return false
	}
	k := strings.LastIndexByte(text, '[')
	if k < 0 {
		return false
	}
	lit := text[k+1 : n-1]
	a, q := quad(lit) // a canonical quad holds none of the bytes below
	if q != quadOK {
		for i := 0; i < len(lit); i++ {
			if c := lit[i]; c == '[' || c == ']' || isSpace(c) {
				return false
			}
		}
	}
	word := ""
	if k > 0 {
		if k < 2 || text[k-1] != ' ' {
			return false
		}
		word = text[:k-1]
		if !looksHost(word) || ascii.EqualFold(word, "unknown") || isAddr(word) ||
			ascii.EqualFold(word, "HELO") || ascii.EqualFold(word, "EHLO") || ascii.EqualFold(word, "LHLO") {
			return false
		}
	}
	f := &p.hop.From
	if q == quadOK {
		p.setAddr(a, IPFormIPv4, lit, 0) // what setLiteral gives
	} else {
		p.setLiteral(lit, 0)
	}
	if word != "" && f.RDNS == "" && !f.RDNSUnknown {
		p.setRDNS(word)
	}
	return true
}

// fromComment reads a comment of the from clause: "rdns [ip]",
// "[ip] helo=x", "HELO x", "user@rdns [ip]", "ip", "may be forged",
// "rdns [ip]:port \"EHLO x\" rhost-flags-OK-OK-OK-OK", port=N, ident=x.
func (p *parser) fromComment(text string) {
	f := &p.hop.From
	// SquirrelMail "(proxying for 192.168.1.2)": the web client's address,
	// not the connecting one.
	if hasPrefixFoldFast(text, "proxying for") {
		return
	}
	if p.simpleFromComment(text) {
		return
	}
	var buf [maxCommentTokens]token
	sc := scanner{toks: buf[:], max: len(buf)}
	var semi int
	sc.scan(text, &semi)
	toks := sc.toks[:sc.n]
	prevWord := ""
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tokLiteral:
			before := f.IPText
			p.setIPSub(text, t)
			if prevWord != "" && f.RDNS == "" && !f.RDNSUnknown {
				p.setRDNS(prevWord)
			}
			_ = before
			prevWord = ""
		case tokComment:
			lc := t.text
			if ascii.ContainsFold(lc, "may be forged") {
				f.MayBeForged = true
			}
			p.comment(lc, clFrom)
		case tokQuoted:
			// zmailer: "EHLO x"
			q := t.text
			if len(q) > 5 && (hasPrefixFoldFast(q, "EHLO ") || hasPrefixFoldFast(q, "HELO ") || hasPrefixFoldFast(q, "LHLO ")) {
				f.HELOVerb, f.HELO, p.heloBy = q[:4], trimSpace(q[5:]), true
			}
		case tokWord:
			w := t.text
			switch {
			case ascii.EqualFold(w, "HELO") || ascii.EqualFold(w, "EHLO") || ascii.EqualFold(w, "LHLO"):
				if i+1 < len(toks) && (toks[i+1].kind == tokWord || toks[i+1].kind == tokLiteral) {
					i++
					f.HELOVerb, f.HELO, p.heloBy = w, text[toks[i].start:toks[i].end], true
				}
				prevWord = ""
				continue
			case hasPrefixFoldFast(w, "helo="):
				v := w[5:]
				if v == "" && i+1 < len(toks) && toks[i+1].kind != tokComment && toks[i+1].start == t.end {
					i++
					v = text[toks[i].start:toks[i].end]
				}
				f.HELO, p.heloBy = v, true
				prevWord = ""
				continue
			case hasPrefixFoldFast(w, "port="):
				f.Port = parsePort(w[5:])
			case hasPrefixFoldFast(w, "ident="):
				f.Ident = w[6:]
			case ascii.EqualFold(w, "verified"):
				p.verified = true
			case ascii.EqualFold(w, "account") && i+1 < len(toks) && toks[i+1].kind == tokWord:
				// CommuniGate Pro: "(account alice@example.org HELO x)".
				i++
				p.hop.Auth.Method, p.hop.Auth.User = w, toks[i].text
				prevWord = ""
				continue
			case ascii.EqualFold(w, "uid") && i+1 < len(toks) && toks[i+1].kind == tokWord && allDigits(toks[i+1].text):
				// Courier: "(uid 1000)".
				i++
				f.Ident = text[t.start:toks[i].end]
				prevWord = ""
				continue
			case hasPrefixFoldFast(w, "IDENT:"):
				p.identAt(w[6:], toks, i)
				prevWord = ""
				continue
			case ascii.EqualFold(w, "may") || ascii.EqualFold(w, "be") || ascii.EqualFold(w, "forged"):
				if ascii.EqualFold(w, "forged") {
					f.MayBeForged = true
				}
			case ascii.EqualFold(w, "unknown"):
				f.RDNSUnknown = f.RDNS == ""
			case strings.IndexByte(w, '@') > 0 && i+1 < len(toks) && toks[i+1].kind == tokLiteral:
				// sendmail ident: "user@rdns [ip]"
				p.identAt(w, toks, i)
				prevWord = ""
				continue
			default:
				if a, form := ParseIPLiteral(w); form.Canonical() {
					p.setAddr(a, form, w, 0)
					p.bareIPComment = p.bareIPComment || len(toks) == 1
				} else if at := strings.LastIndexByte(w, '@'); at > 0 && isAddr(w[at+1:]) {
					// qmail after SMTP AUTH: "(user@example.org@192.0.2.1)",
					// Yahoo "(user@192.0.2.1 with login)".
					a, form := ParseIPLiteral(w[at+1:])
					p.setAddr(a, form, w[at+1:], 0)
					f.Ident = w[:at]
					p.bareIPComment = true
				} else if a, text, port, ok := addrPort(w); ok {
					p.setAddr(a, IPFormIPv4, text, port)
				} else if form == IPFormBadOctet && !p.ipSet {
					p.setAddr(netip.Addr{}, form, w, 0)
				} else if looksHost(w) {
					prevWord = w
					continue
				}
			}
			prevWord = ""
		}
	}
	// "name [ip]", "[ip]" and "user@name [ip]" hold no marker: skip the
	// search.
	// So do "192.0.2.1" and "user@192.0.2.1" (an ident named sendmail-bs
	// is no sendmail marker).
	if len(toks) == 1 && toks[0].kind == tokLiteral || len(toks) == 2 && toks[0].kind == tokWord && toks[1].kind == tokLiteral ||
		len(toks) == 1 && toks[0].kind == tokWord && p.bareIPComment {
		return
	}
	p.comment(text, clFrom)
}

func (p *parser) identAt(w string, toks []token, i int) {
	f := &p.hop.From
	at := strings.IndexByte(w, '@')
	if at < 0 {
		f.Ident = w
		return
	}
	// qmail writes an authenticated user as "user@domain@ip": the host is
	// after the last '@'.
	at = strings.LastIndexByte(w, '@')
	f.Ident = w[:at]
	if host := w[at+1:]; host != "" && f.RDNS == "" {
		p.setRDNS(host)
	}
}

func (p *parser) setRDNS(name string) {
	f := &p.hop.From
	if ascii.EqualFold(name, "unknown") {
		f.RDNSUnknown = true
		return
	}
	f.RDNS = trimDot(name)
}

// looksHost reports whether w can be a host name (for "rdns [ip]").
func looksHost(w string) bool {
	if w == "" || len(w) > 255 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if !hostByte[w[i]] {
			return false
		}
	}
	return true
}

// hostByte marks the bytes looksHost takes: ASCII letters, digits, '.',
// '-', '_', and every byte of 0x80 and above.
var hostByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isLetter(byte(c)) || isDigit(byte(c)) || c == '.' || c == '-' || c == '_' || c >= 0x80
	}
	return t
}()

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}
