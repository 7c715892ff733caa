package received

import (
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// Where the date part of a header starts and what follows it; the date
// itself is read by ParseDate (date.go).

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
			if _, _, reason := parseDate(p.s[t.start:]); reason == "" {
				return i
			}
		}
		if isWeekday(w) && i+1 < len(toks) && toks[i+1].kind == tokWord && len(toks[i+1].text) > 0 && isDigit(toks[i+1].text[0]) {
			if _, _, reason := parseDate(p.s[t.start:]); reason == "" {
				return i
			}
		}
		if allDigits(w) && len(w) <= 2 && i+2 < len(toks) && toks[i+1].kind == tokWord && monthIndex(toks[i+1].text) >= 0 &&
			toks[i+2].kind == tokWord && allDigits(toks[i+2].text) && len(toks[i+2].text) == 4 {
			if _, _, reason := parseDate(p.s[t.start:]); reason == "" {
				return i
			}
		}
	}
	return -1
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
