package auth

import (
	"errors"
	"strings"
)

// cursor walks a header value the way RFC 5322 reads it: comments nest,
// quoted strings keep their specials, folding white space is skipped.
type cursor struct {
	s string
	i int
}

func (c *cursor) done() bool { return c.i >= len(c.s) }

func (c *cursor) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

func isWSP(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// skipCFWS skips white space and comments, adding each top-level comment
// (without its parentheses) to comments when comments is non-nil.
func (c *cursor) skipCFWS(comments *strArena) error {
	for c.i < len(c.s) {
		switch b := c.s[c.i]; {
		case isWSP(b):
			c.i++
		case b == '(':
			start := c.i
			if err := c.skipComment(); err != nil {
				return err
			}
			if comments != nil {
				comments.add(strings.TrimSpace(c.s[start+1 : c.i-1]))
			}
		default:
			return nil
		}
	}
	return nil
}

// skipCFWSFirst is skipCFWS keeping only the first top-level comment, in
// *first when it is empty.
func (c *cursor) skipCFWSFirst(first *string, seen *bool) error {
	for c.i < len(c.s) {
		switch b := c.s[c.i]; {
		case isWSP(b):
			c.i++
		case b == '(':
			start := c.i
			if err := c.skipComment(); err != nil {
				return err
			}
			if !*seen {
				*first, *seen = strings.TrimSpace(c.s[start+1:c.i-1]), true
			}
		default:
			return nil
		}
	}
	return nil
}

// strArena hands out the string lists a result keeps (comments, DKIM h=
// names) from shared arrays: a list is the run of strings added since the
// last one was taken. A kept list is capped at its length, so appending to
// it copies; an array once handed out is never written again.
type strArena struct {
	buf   []string
	start int // where the current run begins
}

// reserve makes room for n more strings in the current run.
func (s *strArena) reserve(n int) {
	if cap(s.buf)-len(s.buf) >= n {
		return
	}
	run := len(s.buf) - s.start
	nb := make([]string, run, max(run+n, 2*cap(s.buf)))
	copy(nb, s.buf[s.start:])
	s.buf, s.start = nb, 0
}

func (s *strArena) add(v string) {
	if len(s.buf) == cap(s.buf) {
		s.reserve(8)
	}
	s.buf = append(s.buf, v)
}

// take returns the current run (nil when empty) and starts the next.
func (s *strArena) take() []string {
	if len(s.buf) == s.start {
		return nil
	}
	r := s.buf[s.start:len(s.buf):len(s.buf)]
	s.start = len(s.buf)
	return r
}

// run is the current run, to read.
func (s *strArena) run() []string { return s.buf[s.start:] }

// drop forgets the current run.
func (s *strArena) drop() {
	clear(s.buf[s.start:])
	s.buf = s.buf[:s.start]
}

var (
	errComment = errors.New("auth: unterminated comment")
	errQuote   = errors.New("auth: unterminated quoted string")
)

// maxCommentDepth bounds comment nesting (RFC 5322 sets none): a hostile
// value of open parentheses costs one pass, not a deep recursion.
const maxCommentDepth = 64

func (c *cursor) skipComment() error {
	depth := 0
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case '\\':
			c.i++
		case '(':
			depth++
			if depth > maxCommentDepth {
				return errComment
			}
		case ')':
			depth--
			if depth == 0 {
				c.i++
				return nil
			}
		}
		c.i++
	}
	c.i = len(c.s) // a trailing backslash may have stepped past the end
	return errComment
}

// quoted reads a quoted string at the cursor and returns its content with
// quoted pairs resolved.
func (c *cursor) quoted() (string, error) {
	c.i++ // the opening quote
	start := c.i
	var b []byte
	for c.i < len(c.s) {
		switch ch := c.s[c.i]; ch {
		case '"':
			c.i++
			if b == nil {
				return c.s[start : c.i-1], nil
			}
			return string(b), nil
		case '\\':
			if b == nil {
				b = append([]byte{}, c.s[start:c.i]...)
			}
			c.i++
			if c.i < len(c.s) {
				b = append(b, c.s[c.i])
			}
		default:
			if b != nil {
				b = append(b, ch)
			}
		}
		c.i++
	}
	c.i = len(c.s)
	return "", errQuote
}

// tokenStops classes the bytes that end a token: 1 for those that always
// do (white space, '(' and ';'), 2 for '=' and 4 for '/', the stop sets
// the parsers pass.
var tokenStops = func() (t [256]uint8) {
	for _, b := range " \t\r\n(;" {
		t[b] = 1
	}
	t['='], t['/'] = 2, 4
	return t
}()

// stopMask returns the tokenStops mask of a stop set, when it has one.
func stopMask(stop string) (uint8, bool) {
	switch stop {
	case "":
		return 1, true
	case "=":
		return 1 | 2, true
	case "=/", "/=":
		return 1 | 2 | 4, true
	}
	return 0, false
}

// token reads up to white space, a comment, ';' or any byte in stop.
func (c *cursor) token(stop string) string {
	start := c.i
	if m, ok := stopMask(stop); ok {
		for c.i < len(c.s) && tokenStops[c.s[c.i]]&m == 0 {
			c.i++
		}
		return c.s[start:c.i]
	}
	for c.i < len(c.s) {
		b := c.s[c.i]
		if isWSP(b) || b == '(' || b == ';' || strings.IndexByte(stop, b) >= 0 {
			break
		}
		c.i++
	}
	return c.s[start:c.i]
}

// value reads a token or a quoted string.
func (c *cursor) value(stop string) (string, error) {
	if c.peek() == '"' {
		return c.quoted()
	}
	return c.token(stop), nil
}

// cutTop cuts s at its first sep outside comments and quoted strings: the
// items of s, read until found is false, are those splitting s at every
// such sep would give (the state at a top-level sep is the start's).
func cutTop(s string, sep byte) (item, rest string, found bool) {
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '\\' && (quoted || depth > 0):
			i++
		case quoted:
			if b == '"' {
				quoted = false
			}
		case b == '(':
			depth++
		case b == ')':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case b == '"':
			quoted = true
		case b == sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// lower returns s in ASCII lower case, s itself when it has no upper case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// clip shortens a string for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
