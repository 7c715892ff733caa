package received

import (
	"strings"
	"time"
)

// The scanner splits a header value into tokens: words, comments (with
// nesting), domain literals ("[...]", with a ":port" suffix kept),
// angle-addresses, quoted strings and semicolons. Tokens are substrings of
// the input: scanning allocates nothing.

type tokKind uint8

const (
	tokWord tokKind = iota
	tokComment
	tokLiteral
	tokAngle
	tokQuoted
	tokSemi
)

type token struct {
	text       string // contents: a comment without its parentheses, a literal without brackets
	start, end int    // byte range in the scanned string, delimiters included
	kind       tokKind
}

// firstTokens is the size of the token array a scan starts with, on the
// stack; a header with more tokens has them moved to a heap array of
// maxTokens (a header of real mail has 8 to 20).
const firstTokens = 32

// maxTokens caps the tokens kept per scan; the 32,585 headers of the
// SpamAssassin corpus have at most 29.
const maxTokens = 64

// maxCommentTokens caps the tokens read inside one from-clause comment.
const maxCommentTokens = 16

// maxCommentDepth is the deepest comment nesting read without complaint
// (RFC 5322 allows any depth; real headers nest two or three levels).
// Deeper comments are still matched, in linear time, and reported.
const maxCommentDepth = 32

type scanner struct {
	toks         []token // backed by the caller's array, grown to max when it fills
	max          int     // the tokens kept at most
	n            int
	overflow     bool // more tokens than maxTokens
	unterminated bool // a comment, literal or quoted string ran to the end
	tooDeep      bool // comments nested deeper than maxCommentDepth
	// unterminatedAt and tooDeepAt are the offsets of the first such
	// problem: the opening delimiter, the '(' one level too deep.
	unterminatedAt, tooDeepAt int
	lastSemiTok               int  // index of the last ';' token, -1 when none was kept
	recovered                 bool // an unterminated comment was cut at a ';' already

	// date, set by the caller, lets scan stop at a ';' followed by
	// nothing but a date of the commonest form (parseDateRFC): the tokens
	// it would add are known, and none of them is read but as the date,
	// which scan then stores in *date. (A pointer to a variable of its
	// own, so that the date leaving for the heap does not take the token
	// array with it in escape analysis.)
	date *scannedDate
}

// scannedDate is a date scan read; ok reports whether it did.
type scannedDate struct {
	t    time.Time
	zone string
	ok   bool
}

// Character classes of the scanner, as bits of charClass.
const (
	ccSpace   = 1 << iota // white space, including NUL, CR and LF
	ccDelim               // ends a word: space or one of ( ) [ < ; " ,
	ccAlnum               // ASCII letter or digit
	ccComment             // ends a run of plain bytes in a comment: ( ) ; and backslash
	ccLitEnd              // ends a domain literal: ] [ or white space
)

var charClass = func() (t [256]uint8) {
	for _, c := range " \t\r\n\x00\f\v" {
		t[c] = ccSpace | ccDelim | ccLitEnd
	}
	for _, c := range "();\\" {
		t[c] |= ccComment
	}
	t['['] |= ccLitEnd
	t[']'] |= ccLitEnd
	for _, c := range "()[<;\"," {
		t[c] |= ccDelim
	}
	for c := '0'; c <= 'z'; c++ {
		if c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' {
			t[c] |= ccAlnum
		}
	}
	return t
}()

// What the scanner does with a byte that starts a token.
const (
	actWord    = iota // a word; every byte not named below
	actSkip           // white space, ')' and ','
	actSemi           // ';'
	actComment        // '('
	actLiteral        // '['
	actAngle          // '<'
	actQuoted         // '"'
)

var scanAction = func() (t [256]uint8) {
	for _, c := range " \t\r\n\x00\f\v)," {
		t[c] = actSkip
	}
	t[';'], t['('], t['['], t['<'], t['"'] = actSemi, actComment, actLiteral, actAngle, actQuoted
	return t
}()

// keyword returns the clause w opens as a keyword (any case), clNone when
// it is none. The letters are folded with |0x20, which maps no other byte
// onto a lower-case letter.
func keyword(w string) clause {
	switch len(w) {
	case 2:
		switch uint16(w[0]|0x20)<<8 | uint16(w[1]|0x20) {
		case 'b'<<8 | 'y':
			return clBy
		case 'i'<<8 | 'd':
			return clID
		}
	case 3:
		switch uint32(w[0]|0x20)<<16 | uint32(w[1]|0x20)<<8 | uint32(w[2]|0x20) {
		case 'v'<<16 | 'i'<<8 | 'a':
			return clVia
		case 'f'<<16 | 'o'<<8 | 'r':
			return clFor
		}
	case 4:
		switch uint32(w[0]|0x20)<<24 | uint32(w[1]|0x20)<<16 | uint32(w[2]|0x20)<<8 | uint32(w[3]|0x20) {
		case 'f'<<24 | 'r'<<16 | 'o'<<8 | 'm':
			return clFrom
		case 'w'<<24 | 'i'<<16 | 't'<<8 | 'h':
			return clWith
		}
	}
	return clNone
}

func isSpace(c byte) bool { return charClass[c]&ccSpace != 0 }

// isDelim reports whether c ends a word.
func isDelim(c byte) bool { return charClass[c]&ccDelim != 0 }

func (sc *scanner) add(kind tokKind, start, end int, text string) {
	if sc.n == len(sc.toks) {
		if sc.n >= sc.max {
			sc.overflow = true
			return
		}
		sc.grow()
	}
	sc.toks[sc.n] = token{text: text, start: start, end: end, kind: kind}
	sc.n++
}

// restIsDate reports whether s[i:] is white space around a date that
// parseDateRFC reads, whose tokens (an optional weekday, day, month,
// year, time, offset and an optional zone comment) would all fit, the
// zone comment being one datePart skips (isZoneComment). It then records
// the date in sc and counts its tokens as added, so that scan can stop:
// no ';' follows, and nothing after the date is a clause.
func (sc *scanner) restIsDate(s string, i int) bool {
	d, _ := trimLWS(s, i)
	if len(d) < 24 || !isDigit(d[0]) && !isLetter(d[0]) {
		return false
	}
	t, zone, ok := parseDateRFC(d)
	if !ok || len(zone) > 5 {
		return false
	}
	ntok := 5
	if d[0] > '9' {
		ntok++ // "Thu,"
	}
	if d[len(d)-1] == ')' {
		ntok++ // "(EDT)"
	}
	if sc.n+ntok > sc.max {
		return false // let the token cap be reached as it would be
	}
	*sc.date = scannedDate{t, zone, true}
	return true
}

// grow moves the tokens to an array of sc.max: the caller's array is
// smaller, enough for real headers, so that the common case does not pay
// for clearing the cap's worth on every scan.
func (sc *scanner) grow() {
	t := make([]token, sc.max)
	copy(t, sc.toks)
	sc.toks = t
}

// unterminatedFrom records a comment, literal or quoted string opened at
// offset i that runs to the end (or was cut short).
func (sc *scanner) unterminatedFrom(i int) {
	if !sc.unterminated {
		sc.unterminated, sc.unterminatedAt = true, i
	}
}

// scan tokenizes s. It stops collecting at maxTokens but always reads to
// the end (linear time), so the last semicolon is still found.
func (sc *scanner) scan(s string, lastSemi *int) {
	*lastSemi = -1
	sc.lastSemiTok = -1
	i, n := 0, len(s)
	for i < n {
		c := s[i]
		if scanAction[c] == actSkip {
			for i++; i < n && scanAction[s[i]] == actSkip; i++ {
			}
			continue
		}
		switch scanAction[c] {
		case actSemi:
			*lastSemi = i
			sc.lastSemiTok = -1
			if sc.n < sc.max {
				sc.lastSemiTok = sc.n
			}
			sc.add(tokSemi, i, i+1, "")
			i++
			if sc.date != nil && sc.restIsDate(s, i) {
				return
			}
		case actComment:
			// Nesting is counted, not recursed into, so depth costs nothing;
			// beyond maxCommentDepth the comment is still matched but
			// reported. An unterminated comment ends at the last ')' before
			// a top-level ';' when there is one (sendmail's
			// "BASENAME(x.mc, .mc):RCS_REVISION(" leaves one open), so the
			// clauses and date after it are still read. That recovery is
			// made once per scan: a second unterminated comment runs to the
			// end, so scanning stays linear.
			j, depth, lastClose, semiClose := i+1, 1, -1, -1
			for j < n {
				j = commentRun(s, j)
				if j >= n {
					break
				}
				switch s[j] {
				case '(':
					depth++
					if depth > maxCommentDepth && !sc.tooDeep {
						sc.tooDeep, sc.tooDeepAt = true, j
					}
				case ')':
					depth--
					lastClose = j
				case ';':
					if depth == 1 && semiClose < 0 {
						semiClose = lastClose
					}
				case '\\':
					j++
				}
				j++
				if depth == 0 {
					break
				}
			}
			if j > n {
				j = n
			}
			end, inner := j, ""
			switch {
			case depth == 0:
				inner = s[i+1 : j-1]
			case semiClose > i && !sc.recovered:
				sc.recovered = true
				sc.unterminatedFrom(i)
				end, inner = semiClose+1, s[i+1:semiClose]
			default:
				sc.unterminatedFrom(i)
				end, inner = n, s[i+1:n]
			}
			sc.add(tokComment, i, end, inner)
			i = end
		case actLiteral:
			j := i + 1
			for j < n && charClass[s[j]]&ccLitEnd == 0 {
				j++
			}
			if j < n && s[j] == ']' {
				end := j + 1
				// "[192.0.2.1]:25" keeps its port with the literal.
				if end+1 < n && s[end] == ':' && isDigit(s[end+1]) {
					end++
					for end < n && isDigit(s[end]) {
						end++
					}
				}
				sc.add(tokLiteral, i, end, s[i+1:j])
				i = end
				continue
			}
			// No closing bracket: read it as a word.
			sc.add(tokWord, i, j, s[i:j])
			if j == i {
				j++
			}
			i = j
		case actAngle:
			if k := strings.IndexByte(s[i+1:], '>'); k >= 0 {
				j := i + 1 + k
				sc.add(tokAngle, i, j+1, s[i+1:j])
				i = j + 1
			} else {
				sc.unterminatedFrom(i)
				sc.add(tokAngle, i, n, s[i+1:])
				i = n
			}
		case actQuoted:
			j := i + 1
			for j < n && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= n {
				sc.unterminatedFrom(i)
				sc.add(tokQuoted, i, n, s[i+1:])
				i = n
			} else {
				sc.add(tokQuoted, i, j+1, s[i+1:j])
				i = j + 1
			}
		default:
			j := i + 1
			for j < n && charClass[s[j]]&ccDelim == 0 {
				j++
			}
			// "host[192.0.2.1]" style: a word glued to a literal stays two tokens.
			sc.add(tokWord, i, j, s[i:j])
			i = j
		}
	}
}
