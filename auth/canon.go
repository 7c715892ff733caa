package auth

import (
	"bytes"
	"crypto/sha256"
	"strings"
)

// rawField is one header field of a raw message: its name and its whole
// text (name, colon, value, continuation lines) with CRLF line endings.
type rawField struct {
	name string
	text string // "Name: value\r\n continued\r\n"
}

// splitMessage splits a raw message into its header fields and its body,
// line endings made CRLF (as DKIM verifiers read mail, RFC 6376 §5.3). An
// mbox "From " first line is skipped.
func splitMessage(msg []byte) ([]rawField, []byte) {
	if bytes.HasPrefix(msg, []byte("From ")) {
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		} else {
			return nil, nil
		}
	}
	var fields []rawField
	var cur strings.Builder
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		t := cur.String()
		name, _, _ := strings.Cut(t, ":")
		fields = append(fields, rawField{name: strings.TrimRight(name, " \t"), text: t})
		cur.Reset()
	}
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		var line []byte
		if i < 0 {
			line, msg = msg, nil
		} else {
			line, msg = msg[:i], msg[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			flush()
			return fields, crlf(msg)
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur.Len() > 0 {
				cur.Write(line)
				cur.WriteString("\r\n")
			}
			continue
		}
		flush()
		if bytes.IndexByte(line, ':') < 0 {
			continue // not a field
		}
		cur.Write(line)
		cur.WriteString("\r\n")
	}
	flush()
	return fields, nil
}

// crlf makes every line ending of b CRLF.
func crlf(b []byte) []byte {
	if bytes.IndexByte(b, '\n') < 0 || bytes.Count(b, []byte("\r\n")) == bytes.Count(b, []byte("\n")) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/40)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case b[i] == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b[i])
		}
	}
	return out
}

// canonHeader canonicalises one field (RFC 6376 §3.4.1 simple, §3.4.2
// relaxed). The result ends with CRLF.
func canonHeader(text string, relaxed bool) string {
	if !relaxed {
		return text
	}
	name, value, _ := strings.Cut(text, ":")
	var b strings.Builder
	b.Grow(len(text))
	b.WriteString(strings.ToLower(strings.TrimRight(name, " \t")))
	b.WriteByte(':')
	// Unfold, collapse white space runs, trim both ends.
	space := false
	started := false
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\r' || c == '\n' {
			continue
		}
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && started {
			b.WriteByte(' ')
		}
		space = false
		started = true
		b.WriteByte(c)
	}
	b.WriteString("\r\n")
	return b.String()
}

// canonBody canonicalises a body with CRLF line endings (RFC 6376 §3.4.3
// simple, §3.4.4 relaxed), cut to limit bytes when limit >= 0.
func canonBody(body []byte, relaxed bool, limit int64) []byte {
	var out []byte
	if relaxed {
		out = make([]byte, 0, len(body))
		for len(body) > 0 {
			i := bytes.Index(body, []byte("\r\n"))
			var line []byte
			if i < 0 {
				line, body = body, nil
			} else {
				line, body = body[:i], body[i+2:]
			}
			space := false
			for _, c := range line {
				if c == ' ' || c == '\t' {
					space = true
					continue
				}
				if space {
					out = append(out, ' ')
				}
				space = false
				out = append(out, c)
			}
			out = append(out, '\r', '\n')
		}
	} else {
		out = append([]byte(nil), body...)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
			out = append(out, '\r', '\n')
		}
	}
	for bytes.HasSuffix(out, []byte("\r\n\r\n")) {
		out = out[:len(out)-2]
	}
	if len(out) == 2 && relaxed {
		out = out[:0] // an empty body is empty under relaxed (RFC 6376 errata 3871)
	}
	if len(out) == 0 && !relaxed {
		out = []byte("\r\n")
	}
	if limit >= 0 && int64(len(out)) > limit {
		out = out[:limit]
	}
	return out
}

// stripB returns a signature field's text with the value of its b= tag
// removed (RFC 6376 §3.7: the signature is computed with b= empty).
func stripB(text string) string {
	name, value, ok := strings.Cut(text, ":")
	if !ok {
		return text
	}
	start := 0
	for start <= len(value) {
		end := strings.IndexByte(value[start:], ';')
		if end < 0 {
			end = len(value)
		} else {
			end += start
		}
		part := value[start:end]
		tag, _, hasEq := strings.Cut(part, "=")
		if hasEq && strings.TrimSpace(tag) == "b" {
			eq := start + strings.IndexByte(part, '=')
			return name + ":" + value[:eq+1] + value[end:]
		}
		start = end + 1
	}
	return text
}

// pickHeaders returns the fields the h= list names, each name taking the
// next instance from the bottom up (RFC 6376 §5.4.2); a name with no
// instance left contributes nothing.
func pickHeaders(fields []rawField, names []string) []string {
	used := make([]bool, len(fields))
	var out []string
	for _, n := range names {
		for i := len(fields) - 1; i >= 0; i-- {
			if !used[i] && strings.EqualFold(fields[i].name, n) {
				used[i] = true
				out = append(out, fields[i].text)
				break
			}
		}
	}
	return out
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
