package received

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
	kind       tokKind
	start, end int    // byte range in the scanned string, delimiters included
	text       string // contents: a comment without its parentheses, a literal without brackets
}

// maxTokens caps the tokens kept per scan; real headers have fewer than 40.
const maxTokens = 96

// maxCommentDepth caps nested comments; deeper parentheses are read as
// plain characters of the innermost kept comment.
const maxCommentDepth = 32

type scanner struct {
	toks         [maxTokens]token
	n            int
	overflow     bool // more tokens than maxTokens
	unterminated bool // a comment, literal or quoted string ran to the end
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 || c == '\f' || c == '\v'
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '[', '<', ';', '"':
		return true
	}
	return isSpace(c)
}

func (sc *scanner) add(t token) {
	if sc.n == maxTokens {
		sc.overflow = true
		return
	}
	sc.toks[sc.n] = t
	sc.n++
}

// scan tokenizes s. It stops collecting at maxTokens but always reads to
// the end (linear time), so the last semicolon is still found.
func (sc *scanner) scan(s string, lastSemi *int) {
	*lastSemi = -1
	i, n := 0, len(s)
	for i < n {
		c := s[i]
		switch {
		case isSpace(c) || c == ')' || c == ',':
			i++
		case c == ';':
			*lastSemi = i
			sc.add(token{kind: tokSemi, start: i, end: i + 1})
			i++
		case c == '(':
			j, depth := i+1, 1
			for j < n && depth > 0 {
				switch s[j] {
				case '(':
					depth++
				case ')':
					depth--
				case '\\':
					j++
				}
				j++
			}
			end := j
			inner := ""
			if depth > 0 {
				sc.unterminated = true
				end = n
				inner = s[i+1 : n]
			} else {
				inner = s[i+1 : j-1]
			}
			if end > n {
				end = n
				inner = s[i+1 : n]
			}
			sc.add(token{kind: tokComment, start: i, end: end, text: inner})
			i = end
		case c == '[':
			j := i + 1
			for j < n && s[j] != ']' && !isSpace(s[j]) && s[j] != '[' {
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
				sc.add(token{kind: tokLiteral, start: i, end: end, text: s[i+1 : j]})
				i = end
				continue
			}
			// No closing bracket: read it as a word.
			sc.add(token{kind: tokWord, start: i, end: j, text: s[i:j]})
			if j == i {
				j++
			}
			i = j
		case c == '<':
			j := i + 1
			for j < n && s[j] != '>' {
				j++
			}
			if j < n {
				sc.add(token{kind: tokAngle, start: i, end: j + 1, text: s[i+1 : j]})
				i = j + 1
			} else {
				sc.unterminated = true
				sc.add(token{kind: tokAngle, start: i, end: n, text: s[i+1:]})
				i = n
			}
		case c == '"':
			j := i + 1
			for j < n && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= n {
				sc.unterminated = true
				sc.add(token{kind: tokQuoted, start: i, end: n, text: s[i+1:]})
				i = n
			} else {
				sc.add(token{kind: tokQuoted, start: i, end: j + 1, text: s[i+1 : j]})
				i = j + 1
			}
		default:
			j := i
			for j < n && !isDelim(s[j]) && s[j] != ')' && s[j] != ',' {
				j++
			}
			// "host[192.0.2.1]" style: a word glued to a literal stays two tokens.
			sc.add(token{kind: tokWord, start: i, end: j, text: s[i:j]})
			i = j
		}
	}
}
