package received

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// clause identifies a Received header clause (RFC 5321 section 4.4).
type clause uint8

const (
	clNone clause = iota
	clFrom
	clBy
	clVia
	clWith
	clID
	clFor
	numClauses
)

// clDate marks comments after the date for (*parser).comment.
const clDate clause = numClauses + 1

func keyword(w string) clause {
	switch len(w) {
	case 2:
		if ascii.EqualFold(w, "by") {
			return clBy
		}
		if ascii.EqualFold(w, "id") {
			return clID
		}
	case 3:
		if ascii.EqualFold(w, "via") {
			return clVia
		}
		if ascii.EqualFold(w, "for") {
			return clFor
		}
	case 4:
		if ascii.EqualFold(w, "from") {
			return clFrom
		}
		if ascii.EqualFold(w, "with") {
			return clWith
		}
	}
	return clNone
}

// span is a run of tokens [first, end).
type span struct{ first, end int }

// parser holds the state of one Parse call. It lives on the stack.
type parser struct {
	s      string
	spans  [numClauses]span
	seen   [numClauses]bool
	hop    Hop
	errs   [4]string
	nerr   int
	ipSet  bool
	heloBy bool // HELO came from an explicit marker (HELO x, helo=x)
	// bareIPComment: a from comment was a bare address, "(192.0.2.1)",
	// as qmail writes it.
	bareIPComment bool
	dateStart     int  // offset of DateText in s
	fromComments  int  // comments in the from clause
	verified      bool // CommuniGate "([192.0.2.1] verified)": the name resolved to the address
	// comDialect is 1 + the index of the dialect marker found in the first
	// comment holding one, 0 when none.
	comDialect int
}

func (p *parser) fail(msg string) {
	if p.nerr < len(p.errs) {
		p.errs[p.nerr] = msg
		p.nerr++
	}
}

// Parse parses the value of one Received header field. It is best effort:
// it returns every part it understood, and a non-nil error naming what it
// did not understand (the Hop is still useful then). Raw is always set.
// Parse never panics, and its time is linear in len(value).
//
// See the package documentation for the dialects recognised and every
// departure from RFC 5321 and RFC 5322.
func Parse(value string) (Hop, error) {
	var p parser
	p.parse(value)
	if p.nerr == 0 {
		return p.hop, nil
	}
	return p.hop, p.err()
}

// ParseTo is [Parse] writing into *h, which it overwrites: for callers that
// keep hops inside their own structures.
func ParseTo(h *Hop, value string) error {
	var p parser
	p.parse(value)
	*h = p.hop
	if p.nerr == 0 {
		return nil
	}
	return p.err()
}

func (p *parser) parse(value string) {
	p.s = value
	p.hop.Raw = value
	// A whole header in brackets, "[from a by b ...; date]", as some
	// gateways rewrote them.
	if t := trimSpace(value); len(t) > 7 && t[0] == '[' && t[len(t)-1] == ']' && ascii.HasPrefixFold(t[1:], "from ") {
		p.s = t[1 : len(t)-1]
	}
	p.run()
}

func (p *parser) err() error {
	if p.nerr == 1 {
		return errors.New("received: " + p.errs[0])
	}
	return errors.New("received: " + strings.Join(p.errs[:p.nerr], "; "))
}

func (p *parser) run() {
	h := &p.hop
	var lastSemi int
	var buf [maxTokens]token
	sc := scanner{toks: buf[:]}
	sc.scan(p.s, &lastSemi)
	toks := sc.toks[:sc.n]
	if sc.overflow {
		p.fail("too many tokens; the rest was not read")
	}
	if sc.unterminated {
		p.fail("unterminated comment, literal or quoted string")
	}
	if sc.tooDeep {
		p.fail("comments nested too deep")
	}

	// The date follows the last top-level ';'.
	clauseEnd := len(toks)
	if lastSemi >= 0 {
		h.DateText, p.dateStart = trimLWS(p.s, lastSemi+1)
		if sc.lastSemiTok >= 0 {
			clauseEnd = sc.lastSemiTok
		}
	} else if i := p.findBareDate(toks); i >= 0 {
		// SendGrid and others leave out the ';'.
		clauseEnd = i
		h.DateText, p.dateStart = trimLWS(p.s, toks[i].start)
	}
	if sc.overflow && lastSemi < 0 {
		clauseEnd = len(toks)
	}

	// Assign tokens to clauses. A keyword opens a clause only once, and
	// "from" only at the start.
	cur := clNone
	pre := span{0, 0}
	ncom := 0
	for i := 0; i < clauseEnd; i++ {
		t := &toks[i]
		if t.kind == tokComment {
			ncom++
		}
		if t.kind == tokWord {
			if len(t.text) >= 5 {
				p.looseWord(toks, i)
			}
			if k := keyword(t.text); k != clNone && !p.seen[k] && (k != clFrom || cur == clNone) && p.hasValueAfter(toks, i, clauseEnd) {
				if cur != clNone {
					p.spans[cur].end = i
				} else {
					pre.end = i
				}
				cur = k
				p.seen[k] = true
				p.spans[k] = span{i + 1, clauseEnd}
				continue
			}
		}
		if cur == clNone {
			pre.end = i + 1
		}
	}

	// Comments, wherever they are.
	if ncom > 0 {
		if ncom > 32 {
			ncom = 32
		}
		h.Comments = make([]string, 0, ncom)
		for i := range toks[:clauseEnd] {
			if toks[i].kind == tokComment && len(h.Comments) < cap(h.Comments) {
				h.Comments = append(h.Comments, toks[i].text)
			}
		}
	}

	for _, t := range toks[pre.first:pre.end] {
		switch t.kind {
		case tokComment:
			p.comment(t.text, clNone)
		case tokWord:
			// Leading junk is tolerated but reported.
			p.fail(fmt.Sprintf("unexpected %q before the first clause", clip(t.text)))
		}
	}
	if p.seen[clFrom] {
		p.fromClause(toks[p.spans[clFrom].first:p.spans[clFrom].end])
	}
	if p.seen[clBy] {
		p.byClause(toks[p.spans[clBy].first:p.spans[clBy].end])
	}
	if p.seen[clVia] {
		h.Via = p.words(toks[p.spans[clVia].first:p.spans[clVia].end], clVia)
	}
	if p.seen[clWith] {
		p.withClause(toks[p.spans[clWith].first:p.spans[clWith].end])
	}
	if p.seen[clID] {
		p.idClause(toks[p.spans[clID].first:p.spans[clID].end])
	}
	if p.seen[clFor] {
		p.forClause(toks[p.spans[clFor].first:p.spans[clFor].end])
	}

	if h.DateText != "" {
		p.datePart(toks[clauseEnd:])
	}
	if h.DateText != "" {
		t, zone, err := ParseDate(h.DateText)
		h.ZoneName = zone
		if err == nil {
			h.Date = t
		} else {
			p.fail("date " + fmt.Sprintf("%q", clip(h.DateText)) + ": " + strings.TrimPrefix(err.Error(), "received: "))
		}
	}
	p.finish()
	if !p.seen[clFrom] && !p.seen[clBy] && !p.seen[clWith] && !p.seen[clID] && !p.seen[clFor] && h.Dialect == "" && h.From.Ident == "" && h.DateText == "" {
		p.fail("no from, by, with, id or for clause")
	}
}

// hasValueAfter reports whether the keyword at i is followed by a value:
// "from" at the very end, or directly before ';', is a stray word.
func (p *parser) hasValueAfter(toks []token, i, end int) bool {
	for j := i + 1; j < end; j++ {
		if toks[j].kind != tokComment {
			return true
		}
	}
	return keyword(toks[i].text) == clID || false
}

// findBareDate finds where a date starts in a header with no ';': a weekday
// followed by a day, or a day followed by a month name, after at least
// one clause. It returns the token index or -1.
func (p *parser) findBareDate(toks []token) int {
	sawClause := false
	for i, t := range toks {
		if t.kind != tokWord {
			continue
		}
		if keyword(t.text) != clNone {
			sawClause = true
			continue
		}
		w := t.text
		// A header that is nothing but a date (after comments at most).
		if !sawClause && i > 0 && toks[i-1].kind == tokWord && toks[i-1].text != ":" {
			continue
		}
		// Go's time.Time.String, as SendGrid writes it:
		// "2026-04-29 19:12:16.1 +0000 UTC m=+7.8".
		if len(w) == 10 && w[4] == '-' && w[7] == '-' && isDigit(w[0]) && i+1 < len(toks) && toks[i+1].kind == tokWord && strings.IndexByte(toks[i+1].text, ':') > 0 {
			if _, _, err := ParseDate(p.s[t.start:]); err == nil {
				return i
			}
		}
		if isWeekday(w) && i+1 < len(toks) && toks[i+1].kind == tokWord && len(toks[i+1].text) > 0 && isDigit(toks[i+1].text[0]) {
			if _, _, err := ParseDate(p.s[t.start:]); err == nil {
				return i
			}
		}
		if allDigits(w) && len(w) <= 2 && i+2 < len(toks) && toks[i+1].kind == tokWord && monthIndex(toks[i+1].text) >= 0 &&
			toks[i+2].kind == tokWord && allDigits(toks[i+2].text) && len(toks[i+2].text) == 4 {
			if _, _, err := ParseDate(p.s[t.start:]); err == nil {
				return i
			}
		}
	}
	return -1
}

// words returns the text from the first to the last word of a clause that
// comes before its first comment, as a substring.
func (p *parser) words(toks []token, c clause) string {
	start, end := -1, -1
	for _, t := range toks {
		if t.kind == tokComment {
			p.comment(t.text, c)
			if start >= 0 {
				break
			}
			continue
		}
		if start < 0 {
			start = t.start
		}
		end = t.end
	}
	if start < 0 {
		return ""
	}
	return p.s[start:end]
}

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

func trimIPv6Tag(s string) string {
	if len(s) > 5 && ascii.EqualFold(s[:5], "IPv6:") {
		return s[5:]
	}
	return s
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

// fromComment reads a comment of the from clause: "rdns [ip]",
// "[ip] helo=x", "HELO x", "user@rdns [ip]", "ip", "may be forged",
// "rdns [ip]:port \"EHLO x\" rhost-flags-OK-OK-OK-OK", port=N, ident=x.
func (p *parser) fromComment(text string) {
	f := &p.hop.From
	// SquirrelMail "(proxying for 192.168.1.2)": the web client's address,
	// not the connecting one.
	if ascii.HasPrefixFold(text, "proxying for") {
		return
	}
	if p.simpleFromComment(text) {
		return
	}
	var buf [maxCommentTokens]token
	sc := scanner{toks: buf[:]}
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
			if len(q) > 5 && (ascii.HasPrefixFold(q, "EHLO ") || ascii.HasPrefixFold(q, "HELO ") || ascii.HasPrefixFold(q, "LHLO ")) {
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
			case ascii.HasPrefixFold(w, "helo="):
				v := w[5:]
				if v == "" && i+1 < len(toks) && toks[i+1].kind != tokComment && toks[i+1].start == t.end {
					i++
					v = text[toks[i].start:toks[i].end]
				}
				f.HELO, p.heloBy = v, true
				prevWord = ""
				continue
			case ascii.HasPrefixFold(w, "port="):
				f.Port = parsePort(w[5:])
			case ascii.HasPrefixFold(w, "ident="):
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
			case ascii.HasPrefixFold(w, "IDENT:"):
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
	if !hasDigit(s) {
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

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

// looksHost reports whether w can be a host name (for "rdns [ip]").
func looksHost(w string) bool {
	if w == "" || len(w) > 255 {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(isLetter(c) || isDigit(c) || c == '.' || c == '-' || c == '_') && c < 0x80 {
			return false
		}
	}
	return true
}

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
			if b.Software == "" {
				p.software(c)
			}
			p.comment(c, clBy)
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
		if ascii.HasPrefixFold(rest, "from userid ") {
			p.hop.From.Ident = rest[5:]
		}
	}
	if ascii.ContainsFold(sw, "version=") || ascii.ContainsFold(sw, "cipher") || ascii.HasPrefixFold(sw, "using ") ||
		ascii.HasPrefixFold(sw, "envelope-from") || ascii.HasPrefixFold(sw, "authenticated") {
		return
	}
	p.hop.By.Software = trimSpace(sw)
}

func (p *parser) withClause(toks []token) {
	h := &p.hop
	start, end := -1, -1
	sawComment := false
	for i, t := range toks {
		switch t.kind {
		case tokComment:
			sawComment = true
			p.comment(t.text, clWith)
		case tokWord:
			if sawComment {
				// Exim 4.9x: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384"
				if ascii.EqualFold(t.text, "tls") && i+1 < len(toks) && toks[i+1].kind == tokWord {
					h.TLS.Cipher = toks[i+1].text
				}
				continue
			}
			if start < 0 {
				start = t.start
			}
			end = t.end
		default:
			if !sawComment && start >= 0 {
				end = t.end
			}
		}
	}
	if start >= 0 {
		h.With = p.s[start:end]
	}
	h.Protocol = classifyProtocol(h.With)
}

func (p *parser) idClause(toks []token) {
	for _, t := range toks {
		switch t.kind {
		case tokComment:
			p.comment(t.text, clID)
		default:
			if p.hop.ID == "" {
				p.hop.ID = t.text
			}
		}
	}
}

func (p *parser) forClause(toks []token) {
	for _, t := range toks {
		switch t.kind {
		case tokComment:
			p.comment(t.text, clFor)
		case tokAngle, tokWord, tokQuoted:
			if p.hop.For == "" {
				p.hop.For = t.text
			}
		}
	}
}

// comment reads markers that may stand in any comment: TLS parameters,
// authentication, the envelope sender, local submission and software.
func (p *parser) comment(c string, where clause) {
	h := &p.hop
	if len(c) < 3 {
		return
	}
	var m markerPos
	if d := findMarkers(c, &m); d < len(dialectMarkers) && p.comDialect == 0 {
		p.comDialect = d + 1
	}
	// TLS: Postfix "using TLSv1.3 with cipher X (256/256 bits)".
	if m.has(mUsing) && m.has(mCipher) && m.at(mCipher) > m.at(mUsing) {
		k := m.at(mUsing)
		if h.TLS.Version == "" {
			h.TLS.Version = firstWord(c[k+6:])
		}
		if m.has(mWithCipher) && h.TLS.Cipher == "" {
			h.TLS.Cipher = firstWord(c[m.at(mWithCipher)+12:])
		}
		if j := strings.Index(c, " bits)"); j > 0 && h.TLS.Bits == 0 {
			h.TLS.Bits = bitsBefore(c[:j])
		}
	}
	// sendmail, Gmail, Exchange, Haraka: version=... cipher=... bits=...
	if m.has(mVersionEq) && (m.has(mCipherEq) || m.has(mCipherSpEq)) {
		if h.TLS.Version == "" {
			h.TLS.Version = valueAfter(c[m.at(mVersionEq)+8:])
		}
		if m.has(mCipherEq) && h.TLS.Cipher == "" {
			h.TLS.Cipher = valueAfter(c[m.at(mCipherEq)+7:])
		}
		if m.has(mBitsEq) && h.TLS.Bits == 0 {
			h.TLS.Bits = atoiPrefix(c[m.at(mBitsEq)+5:])
		}
	}
	// Exim "TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256", OpenSMTPD
	// "TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO", or Exim 4.9x "(TLS1.3)".
	if (ascii.HasPrefixFold(c, "TLS") || ascii.HasPrefixFold(c, "SSL")) && strings.IndexByte(c, ' ') < 0 {
		k := strings.IndexByte(c, ':')
		if k < 0 {
			if h.TLS.Version == "" {
				h.TLS.Version = c
			}
		} else {
			if h.TLS.Version == "" {
				h.TLS.Version = c[:k]
			}
			rest := c[k+1:]
			j := strings.IndexByte(rest, ':')
			if j < 0 {
				if h.TLS.Cipher == "" {
					h.TLS.Cipher = rest
				}
			} else {
				if h.TLS.Cipher == "" {
					h.TLS.Cipher = rest[:j]
				}
				if h.TLS.Bits == 0 {
					h.TLS.Bits = atoiPrefix(rest[j+1:])
				}
			}
		}
	}
	// Courier: "TLS: TLSv1/SSLv3,256bits,AES256-SHA"
	if m.has(mTLSColon) {
		v := c[m.at(mTLSColon)+5:]
		if e := strings.IndexByte(v, ')'); e >= 0 {
			v = v[:e]
		}
		if i := strings.IndexByte(v, ','); i > 0 {
			if h.TLS.Version == "" {
				h.TLS.Version = v[:i]
			}
			rest := v[i+1:]
			if j := strings.IndexByte(rest, ','); j > 0 {
				if h.TLS.Bits == 0 {
					h.TLS.Bits = atoiPrefix(rest)
				}
				if h.TLS.Cipher == "" {
					h.TLS.Cipher = trimSpace(rest[j+1:])
				}
			}
		}
	}
	// Authentication.
	if m.has(mAuthSender) {
		h.Auth.Method = c[m.at(mAuthSender) : m.at(mAuthSender)+20]
		h.Auth.User = trimAngle(firstWord(trimSpace(c[m.at(mAuthSender)+21:])))
	} else if m.has(mAuthenticated) && h.Auth.Method == "" && !m.has(mNotAuthenticated) && !m.has(mUnauthenticated) {
		k := m.at(mAuthenticated)
		h.Auth.Method = c[k : k+13]
		rest := trimSpace(c[k+13:])
		if ascii.HasPrefixFold(rest, "as ") {
			h.Auth.User = trimAngle(firstWord(trimSpace(rest[3:])))
		} else if ascii.HasPrefixFold(rest, "user ") {
			h.Auth.User = trimAngle(firstWord(trimSpace(rest[5:])))
		} else if ascii.HasPrefixFold(rest, "sender ") {
			h.Auth.User = trimAngle(firstWord(trimSpace(rest[7:])))
		}
	}
	if m.has(mAuthColon) && h.Auth.Method == "" {
		rest := c[m.at(mAuthColon)+6:]
		h.Auth.Method = firstWord(rest)
		if sp := strings.IndexByte(rest, ' '); sp > 0 {
			u := firstWord(trimSpace(rest[sp+1:]))
			h.Auth.User = strings.TrimRight(u, ",")
		}
	}
	// Envelope sender: Exim "(envelope-from <x>)", sendmail "(envelope-from x)".
	if m.has(mEnvelopeFrom) && h.EnvelopeFrom == "" {
		h.EnvelopeFrom = trimAngle(firstWord(trimSpace(strings.TrimLeft(c[m.at(mEnvelopeFrom)+13:], " =:"))))
	} else if m.has(mEnvelopeSender) && h.EnvelopeFrom == "" {
		h.EnvelopeFrom = trimAngle(firstWord(trimSpace(strings.TrimLeft(c[m.at(mEnvelopeSender)+15:], " =:"))))
	}
	// Local submission: sendmail "(from user@localhost)", qmail
	// "(qmail 123 invoked by uid 500)", Postfix "(Postfix, from userid 0)".
	if where == clNone || where == clBy {
		switch {
		case ascii.HasPrefixFold(c, "from ") && where == clNone && !m.has(mFromUserid):
			w := firstWord(c[5:])
			if at := strings.IndexByte(w, '@'); at > 0 {
				h.From.Ident = w[:at]
			} else {
				h.From.Ident = w
			}
		case m.has(mInvokedByUID):
			k := m.at(mInvokedByUID) + 11 // "uid N", a substring of the input
			h.From.Ident = c[k : k+4+len(firstWord(c[k+4:]))]
			h.Dialect = "qmail"
		case m.has(mInvokedFromNetwork), m.has(mInvokedByAlias), m.has(mInvokedForBounce):
			h.Dialect = "qmail"
		}
	}
	if m.has(mFromUserid) && h.From.Ident == "" {
		k := m.at(mFromUserid) + 5 // "userid N"
		h.From.Ident = c[k : k+7+len(firstWord(c[k+7:]))]
	}
	if m.has(mMayBeForged) && where == clFrom {
		h.From.MayBeForged = true
	}
	if where == clWith && h.By.Software == "" {
		if ascii.HasPrefixFold(c, "Exim ") || ascii.HasPrefixFold(c, "fetchmail") || ascii.HasPrefixFold(c, "getmail") || ascii.HasPrefixFold(c, "Smail") {
			h.By.Software = c
		}
	}
}

func firstWord(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', ')', ';', '\r', '\n':
			return s[:i]
		}
	}
	return s
}

// valueAfter returns a key=value value: up to a space, comma or ')'.
func valueAfter(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', ',', ')', ';':
			return s[:i]
		}
	}
	return s
}

func atoiPrefix(s string) int {
	v := 0
	for i := 0; i < len(s) && i < 6 && isDigit(s[i]); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// bitsBefore reads "256/256" or "128" at the end of s (before " bits)").
func bitsBefore(s string) int {
	k := strings.LastIndexByte(s, '(')
	if k < 0 {
		return 0
	}
	return atoiPrefix(s[k+1:])
}

func trimAngle(s string) string {
	s = strings.TrimSuffix(s, ",")
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return strings.Trim(s, "<>")
}

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
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

// looseWord reads markers some MTAs write as bare words rather than in
// comments: Haraka's "envelope-from <a@b>", OpenSMTPD's "auth=yes
// user=bob". toks[i] is a word of at least five bytes.
func (p *parser) looseWord(toks []token, i int) {
	h := &p.hop
	w := toks[i].text
	switch lowerTab[w[0]] {
	case 'e':
		if ascii.EqualFold(w, "envelope-from") && i+1 < len(toks) && toks[i+1].kind == tokAngle && h.EnvelopeFrom == "" {
			h.EnvelopeFrom = toks[i+1].text
		}
	case 'a':
		if ascii.HasPrefixFold(w, "auth=") && !ascii.EqualFold(w[5:], "no") && h.Auth.Method == "" {
			h.Auth.Method = w
		}
	case 'u':
		if ascii.HasPrefixFold(w, "user=") && h.Auth.User == "" {
			h.Auth.User = w[5:]
		}
	}
}

// datePart reads what follows the date: comments after it (sendmail
// "(envelope-from x)") and Courier's id, written after the date
// ("; Thu, 04 Jan 2024 10:00:00 -0500 id 00057F23.65983F20.00001234"),
// which is cut from DateText.
func (p *parser) datePart(toks []token) {
	h := &p.hop
	for i, t := range toks {
		switch t.kind {
		case tokComment:
			if !isZoneComment(t.text) {
				p.comment(t.text, clDate)
			}
		case tokWord:
			if len(t.text) == 2 && ascii.EqualFold(t.text, "id") && i+1 < len(toks) && toks[i+1].kind == tokWord {
				if h.ID == "" {
					h.ID = toks[i+1].text
				}
				if k := t.start - p.dateStart; k >= 0 && k <= len(h.DateText) {
					h.DateText = trimSpace(h.DateText[:k])
				}
				return
			}
		}
	}
}

// isZoneComment reports whether c is a zone name such as "EST" or "UTC",
// which holds no marker.
func isZoneComment(c string) bool {
	if len(c) > 5 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isLetter(c[i]) {
			return false
		}
	}
	return true
}

// trimLWS returns s[from:] without leading and trailing white space
// (space, tab, CR, LF: a folded value keeps its line breaks), and the
// offset in s where it starts.
func trimLWS(s string, from int) (string, int) {
	end := len(s)
	for from < end && (s[from] == ' ' || s[from] == '\t' || s[from] == '\r' || s[from] == '\n') {
		from++
	}
	for end > from && (s[end-1] == ' ' || s[end-1] == '\t' || s[end-1] == '\r' || s[end-1] == '\n') {
		end--
	}
	return s[from:end], from
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
	for i := 0; i < len(lit); i++ {
		if c := lit[i]; c == '[' || c == ']' || isSpace(c) {
			return false
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
	p.setLiteral(lit, 0)
	if word != "" && f.RDNS == "" && !f.RDNSUnknown {
		p.setRDNS(word)
	}
	return true
}
