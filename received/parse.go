package received

import (
	"fmt"

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

// scanDates lets the scanner read the commonest date itself (see
// scanner.date); tests turn it off to compare.
var scanDates = true

// span is a run of tokens [first, end).
type span struct{ first, end int }

// parser holds the state of one Parse call. It lives on the stack.
type parser struct {
	s    string
	base int // offset of s in the value given to Parse
	// spans are the clauses' tokens, kwStart their keywords' byte offsets.
	spans   [numClauses]span
	kwStart [numClauses]int
	seen    [numClauses]bool
	hop     Hop
	errs    [4]problem
	nerr    int
	ipSet   bool
	heloBy  bool // HELO came from an explicit marker (HELO x, helo=x)
	// bareIPComment: a from comment was a bare address, "(192.0.2.1)",
	// as qmail writes it.
	bareIPComment bool
	dateStart     int  // offset of DateText in s
	fromComments  int  // comments in the from clause
	verified      bool // CommuniGate "([192.0.2.1] verified)": the name resolved to the address
	// comDialect is 1 + the index of the dialect marker found in the first
	// comment holding one, 0 when none.
	comDialect int
	// lastDialect is the index of the smallest dialect marker in the last
	// comment read (len(dialectMarkers) for none).
	lastDialect int
	// swKnown says swDialect is that index for By.Software, found when its
	// comment was read.
	swKnown   bool
	swDialect int
	// withPlain: With is one protocol name, which holds no dialect marker.
	withPlain bool
}

// problem is a ParseError in the making: its clause is known only once
// the clauses are assigned.
type problem struct {
	off    int // in p.s
	reason string
	cause  error
}

// fail records a problem at byte off of p.s.
func (p *parser) fail(off int, reason string, cause error) {
	if p.nerr < len(p.errs) {
		p.errs[p.nerr] = problem{off, reason, cause}
		p.nerr++
	}
}

// Parse parses the value of one Received header field. It is best effort:
// it returns every part it understood, and a non-nil error naming what it
// did not understand (the Hop is still useful then). Raw is always set.
// Parse never panics, and its time is linear in len(value).
//
// The error is a *[ParseError] (byte offset, clause, reason), or wraps one
// for each problem when there are several; use [errors.As].
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

// Parser is [ParseTo] for a caller that parses several fields, the
// Received fields of one message: the Comments of the hops it fills are
// cut from arrays they share, a few hops to an allocation, where
// [ParseTo] makes one for each hop, and the scanner's token array is
// cleared once, not once a field. The zero Parser is ready to use. A
// Parser is not safe for concurrent use. The hops it fills do not refer
// to it, but a hop kept keeps the array its Comments lie in alive, as it
// keeps its field's value.
type Parser struct {
	comments []string // room for the Comments of the hops to come
	toks     [firstTokens]token
}

// commentRoom is the room for Comments a Parser allocates at once: five
// or six hops of real mail, two or three comments each.
const commentRoom = 16

// ParseTo is [ParseTo] with the Parser's arrays.
func (ps *Parser) ParseTo(h *Hop, value string) error {
	var p parser
	p.parseWith(value, ps)
	*h = p.hop
	if p.nerr == 0 {
		return nil
	}
	return p.err()
}

// newComments returns a slice of length 0 and capacity n for a hop's
// Comments: cut from ps's shared array when ps is set, so that appending
// to it cannot write into another hop's.
func newComments(ps *Parser, n int) []string {
	if ps == nil {
		return make([]string, 0, n)
	}
	if len(ps.comments) < n {
		ps.comments = make([]string, max(n, commentRoom))
	}
	c := ps.comments[:0:n]
	ps.comments = ps.comments[n:]
	return c
}

func (p *parser) parse(value string) { p.parseWith(value, nil) }

// parseWith is parse with a Parser's arrays when ps is set. (ps is not
// kept in p: escape analysis would then send it to the heap with the
// hop's strings.)
func (p *parser) parseWith(value string, ps *Parser) {
	p.s = value
	p.hop.Raw = value
	// A whole header in brackets, "[from a by b ...; date]", as some
	// gateways rewrote them.
	if t := trimSpace(value); len(t) > 7 && t[0] == '[' && t[len(t)-1] == ']' && ascii.HasPrefixFold(t[1:], "from ") {
		p.s = t[1 : len(t)-1]
		for value[p.base] != '[' { // the white space trimSpace cut
			p.base++
		}
		p.base++
	}
	p.run(ps)
}

func (p *parser) err() error {
	if p.nerr == 1 {
		return p.parseError(&p.errs[0])
	}
	es := make(parseErrors, p.nerr)
	for i := range es {
		es[i] = p.parseError(&p.errs[i])
	}
	return es
}

func (p *parser) parseError(pr *problem) *ParseError {
	return &ParseError{Offset: p.base + pr.off, Clause: clauseNames[p.clauseAt(pr.off)], Reason: pr.reason, Err: pr.cause}
}

// clauseAt returns the clause holding byte off of p.s: the date from where
// it starts, else the clause whose keyword is the last one before off.
func (p *parser) clauseAt(off int) clause {
	if p.hop.DateText != "" && off >= p.dateStart {
		return clDate
	}
	c, at := clNone, -1
	for k := clFrom; k < numClauses; k++ {
		if p.seen[k] && p.kwStart[k] <= off && p.kwStart[k] > at {
			c, at = k, p.kwStart[k]
		}
	}
	return c
}

func (p *parser) run(ps *Parser) {
	h := &p.hop
	var lastSemi int
	var date scannedDate
	var sc scanner
	if ps != nil {
		sc = scanner{toks: ps.toks[:], max: maxTokens}
	} else {
		var buf [firstTokens]token
		sc = scanner{toks: buf[:], max: maxTokens}
	}
	if scanDates {
		sc.date = &date
	}
	sc.scan(p.s, &lastSemi)
	toks := sc.toks[:sc.n]
	if sc.overflow {
		p.fail(toks[len(toks)-1].end, "too many tokens; the rest was not read", nil)
	}
	if sc.unterminated {
		p.fail(sc.unterminatedAt, "unterminated comment, literal or quoted string", nil)
	}
	if sc.tooDeep {
		p.fail(sc.tooDeepAt, "comments nested too deep", nil)
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
				p.kwStart[k] = t.start
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
		h.Comments = newComments(ps, ncom)
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
			p.fail(t.start, fmt.Sprintf("unexpected %q before the first clause", clip(t.text)), nil)
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

	if date.ok {
		// The scan read the date (toks[clauseEnd:] is the ';' alone).
		h.Date, h.ZoneName = date.t, date.zone
	} else if h.DateText != "" {
		p.datePart(toks[clauseEnd:])
	}
	if h.DateText != "" && !date.ok {
		t, zone, reason := parseDate(h.DateText)
		h.ZoneName = zone
		if reason == "" {
			h.Date = t
		} else {
			p.fail(p.dateStart, "date "+fmt.Sprintf("%q", clip(h.DateText))+": "+reason, dateError(h.DateText, reason))
		}
	}
	p.finish()
	if !p.seen[clFrom] && !p.seen[clBy] && !p.seen[clWith] && !p.seen[clID] && !p.seen[clFor] && h.Dialect == "" && h.From.Ident == "" && h.DateText == "" {
		p.fail(0, "no from, by, with, id or for clause", nil)
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
	return keyword(toks[i].text) == clID
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

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
