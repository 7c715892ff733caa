package unwrap

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/emersion/go-message"
)

// Most mail is read by the walk above without a single problem: every
// Content-* field well formed, each multipart body closed, no transfer
// encoding but quoted-printable or none on the parts that are read. For
// such a message go-message's readers cost more than everything else the
// walk does (a header map and a bufio.Reader a part, a 4 KiB reader for
// each multipart body, a copy of every part read). The in-place walk
// below reads these messages from the input's own bytes and gives the
// same Messages: each step is the one the walk takes, written for bytes
// held whole. Wherever the walk would record an error, or reaches
// something this reading does not do (an unknown transfer encoding, an
// encoded word in a parameter, RFC 2231 parameter
// continuations, a bare CR in a header, a multipart body not closed, a
// limit reached), it gives up and the message is read by the walk from
// the start. TestInPlaceSameAsWalk and FuzzInPlace hold the two to the
// same output.

// inPlace walks one top-level message in place; ok is false when it gave
// up, with w.out then unusable.
type inPlace struct {
	lim   Limits
	out   []Message
	parts int
}

// fields are the header fields of an entity that shape its reading, as
// go-message's Header.Get gives them (the first of each name, unfolded).
type fields struct {
	ctype, cte string
	hasCtype   bool // a Content-Type field was present (Get gives "" otherwise too)
}

// message mirrors walker.message.
func (w *inPlace) message(raw []byte, at, parent string, nesting, depth int, headerOnly bool) bool {
	idx := len(w.out)
	w.out = append(w.out, Message{Part: at, Parent: parent, Nesting: nesting, Raw: raw, HeaderOnly: headerOnly})
	if headerOnly {
		return true
	}
	f, end, ok := readFields(raw, false)
	if !ok {
		return false
	}
	return w.entity(idx, &f, raw[end:], at, depth, true)
}

// entity mirrors walker.entity for an entity with fields f and the body
// body, as written.
func (w *inPlace) entity(idx int, f *fields, body []byte, at string, depth int, root bool) bool {
	if depth > w.lim.MaxDepth {
		return false
	}
	ct, ok := parseContentType(f.ctype)
	if !ok || !knownEncoding(ct, f.cte) {
		return false
	}
	if strings.HasPrefix(ct.mt, "multipart/") {
		report := ct.mt == "multipart/report" && strings.EqualFold(ct.reportType, "feedback-report")
		digest := ct.mt == "multipart/digest"
		mr, ok := newSplitter(body, ct.boundary)
		if !ok {
			return false
		}
		for n := 1; ; n++ {
			pf, pbody, more, ok := mr.next()
			if !ok {
				return false
			}
			if !more {
				return true
			}
			w.parts++
			if w.parts > w.lim.MaxParts {
				return false
			}
			pct, ok := parseContentType(pf.ctype)
			if !ok || !knownEncoding(pct, pf.cte) {
				return false
			}
			path := joinPath(at, n)
			if digest && pf.ctype == "" {
				if !w.leaf(idx, &pf, pct, pbody, "message/rfc822", path, depth+1, false) {
					return false
				}
				continue
			}
			if strings.HasPrefix(pct.mt, "multipart/") {
				if !w.entity(idx, &pf, pbody, path, depth+1, false) {
					return false
				}
				continue
			}
			if !w.leaf(idx, &pf, pct, pbody, pct.mt, path, depth+1, report && n == 3) {
				return false
			}
		}
	}
	if root {
		at = joinPath(at, 1)
	}
	return w.leaf(idx, f, ct, body, ct.mt, at, depth, false)
}

// knownEncoding reports whether message.New would read an entity of type
// ct with transfer encoding cte without an error (a known encoding, and a
// known charset for text).
func knownEncoding(ct contentType, cte string) bool {
	if strings.HasPrefix(ct.mt, "multipart/") {
		return true
	}
	switch lowerASCII(cte) {
	case "", "7bit", "8bit", "binary", "quoted-printable", "base64":
	default:
		return false
	}
	return !ct.hasCharset || !strings.HasPrefix(ct.mt, "text/") || charsetKnown(ct.charset)
}

// leaf mirrors walker.leaf; mt is the type the part is read as.
func (w *inPlace) leaf(idx int, f *fields, ct contentType, body []byte, mt, at string, depth int, reported bool) bool {
	kind := CarrierKind(mt)
	if kind == KindNone && reported && !strings.HasPrefix(mt, "multipart/") {
		kind = KindMessage
	}
	if kind != KindNone {
		m := &w.out[idx]
		if len(w.out)-1 >= w.lim.MaxAttached || m.Nesting+1 > w.lim.MaxNesting {
			return false
		}
		b, truncated, ok := decodeBody(f, ct, body, w.lim.MaxPartBytes)
		if !ok || truncated {
			return false
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return true
		}
		if kind == KindHeaders {
			b = headerBlock(b)
		}
		m.Attached = append(m.Attached, at)
		parent, nesting := m.Part, m.Nesting+1
		return w.message(stripFromLine(b), at, parent, nesting, depth+1, kind == KindHeaders)
	}
	if mt != "text/plain" && mt != "text/html" && mt != "" {
		return true
	}
	m := &w.out[idx]
	room, ok := textRoom(m, at, mt, w.lim)
	if !ok {
		return true
	}
	b, truncated, ok := decodeBody(f, ct, body, min(room, w.lim.MaxPartBytes))
	if !ok {
		return false
	}
	m.Text = append(m.Text, Text{Part: at, HTML: mt == "text/html", Body: b, Truncated: truncated})
	return true
}

// decodeBody is the body walker.read gives, at most max bytes: the bytes
// as written, quoted-printable decoded, the charset converted. It reports
// false where the walk's reading would end in an error.
func decodeBody(f *fields, ct contentType, raw []byte, max int64) ([]byte, bool, bool) {
	qp, b64 := false, false
	switch lowerASCII(f.cte) {
	case "quoted-printable":
		qp = true
	case "base64":
		b64 = true
	case "", "7bit", "8bit", "binary":
	default:
		return nil, false, false
	}
	ch, convert := ct.charset, ct.hasCharset && strings.HasPrefix(ct.mt, "text/")
	if convert {
		ch = strings.ToLower(ch)
		convert = ch != "utf-8" && ch != "us-ascii"
	}
	out := raw[:len(raw):len(raw)]
	if qp {
		var ok bool
		if out, ok = decodeQP(make([]byte, 0, len(raw)), raw); !ok {
			return nil, false, false
		}
	}
	if b64 {
		var ok bool
		if out, ok = decodeBase64(raw); !ok {
			return nil, false, false
		}
	}
	if convert && message.CharsetReader != nil && !(asciiKept[ch] && isASCII(out)) {
		if b, truncated, done, err := convertCharset(ch, out, max); done {
			return b, truncated, err == nil
		}
	}
	if int64(len(out)) > max {
		return out[:max:max], true, true
	}
	return out, false, true
}

// decodeBase64 decodes a body as go-message's reader does (spaces and
// tabs made line breaks, line breaks dropped, then base64.NewDecoder with
// the standard encoding). It reports false where that reader would fail.
func decodeBase64(raw []byte) ([]byte, bool) {
	buf := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		i := 0
		for i < len(raw) && !b64Space(raw[i]) {
			i++
		}
		buf = append(buf, raw[:i]...)
		for i < len(raw) && b64Space(raw[i]) {
			i++
		}
		raw = raw[i:]
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(buf)))
	n, err := base64.StdEncoding.Decode(out, buf)
	if err != nil {
		return nil, false
	}
	return out[:n:n], true
}

func b64Space(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// readFields reads the header block at the start of b up to and with its
// blank line (end is where the body starts) and returns its Content-Type
// and Content-Transfer-Encoding. With part set it reads as textproto's
// ReadHeader reads a part's header, every field checked; else as
// readMIME hands a message's Content-* fields to ReadHeader. It reports
// false where ReadHeader would fail, and for what it leaves to the walk.
func readFields(b []byte, part bool) (f fields, end int, ok bool) {
	if part && len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		return f, 0, false
	}
	var hasCTE bool
	i := 0
	for i < len(b) {
		// a field: its first line and the continuation lines after it
		start := i
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			if part {
				return f, 0, false // a part's header must end in a blank line
			}
			nl = len(b) - i
		}
		line := b[i : i+nl]
		next := min(i+nl+1, len(b))
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return f, next, true
		}
		if !part && len(bytes.TrimRight(line, "\r")) == 0 {
			return f, next, true // readMIME's blank line (a part's would be malformed)
		}
		i = next
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			k := bytes.IndexByte(b[i:], '\n')
			if k < 0 {
				if part {
					return f, 0, false
				}
				k = len(b) - i
			}
			i = min(i+k+1, len(b))
		}
		field := b[start:i]
		if !part {
			n := len(line) // readMIME's line has its '\n'
			if start+len(line) < len(b) {
				n++
			}
			if n <= 8 || !asciiEqualFold(line[:8], "content-") {
				continue // not handed to ReadHeader
			}
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return f, 0, false
		}
		key := trimSpaceTab(line[:colon])
		for _, c := range key {
			if c < 33 || c > 126 {
				return f, 0, false
			}
		}
		isCT := len(key) == 12 && asciiEqualFold(key, "content-type")
		isCTE := len(key) == 25 && asciiEqualFold(key, "content-transfer-encoding")
		if !isCT && !isCTE {
			continue
		}
		if isCT && f.hasCtype || isCTE && hasCTE {
			continue // Get gives the first
		}
		v, ok := fieldValue(field[colon+1:])
		if !ok {
			return f, 0, false
		}
		if isCT {
			f.ctype, f.hasCtype = v, true
		} else {
			f.cte, hasCTE = v, true
		}
	}
	if part {
		return f, 0, false
	}
	return f, len(b), true
}

// fieldValue unfolds a field's value (after its colon) as ReadHeader
// does: each line cut of its line end and of the spaces and tabs around
// it, the lines that are left joined by one space. It reports false for a
// CR that does not end a line.
func fieldValue(v []byte) (string, bool) {
	var joined []byte
	pieces := 0
	first := ""
	for len(v) > 0 {
		line := v
		if k := bytes.IndexByte(v, '\n'); k >= 0 {
			line, v = v[:k], v[k+1:]
		} else {
			v = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return "", false
		}
		line = trimSpaceTab(line)
		if len(line) == 0 {
			continue
		}
		pieces++
		switch pieces {
		case 1:
			first = string(line)
			continue
		case 2:
			joined = append(joined, first...)
		}
		joined = append(joined, ' ')
		joined = append(joined, line...)
	}
	if pieces <= 1 {
		return first, true
	}
	return string(joined), true
}

func trimSpaceTab(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// contentType is what the walk reads of a Content-Type: the media type as
// go-message's Header.ContentType gives it and three parameters.
type contentType struct {
	mt                   string
	charset              string
	hasCharset           bool
	boundary, reportType string
}

// parseContentType reads v as mime.ParseMediaType does (with go-message's
// decoding of the parameter values), for the values it reads without a
// copy: ASCII, no RFC 2231 continuation or encoding, no backslash in a
// quoted string, no encoded word in the parameters read, at most eight
// parameters. It reports false for anything else, and where
// ParseMediaType would fail.
func parseContentType(v string) (contentType, bool) {
	var ct contentType
	if v == "" {
		ct.mt = "text/plain"
		return ct, true
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return ct, false
		}
	}
	base, rest := v, ""
	if i := strings.IndexByte(v, ';'); i >= 0 {
		base, rest = v[:i], v[i:]
	}
	mt := lowerASCII(strings.TrimSpace(base))
	typ, after := cutToken(mt)
	if typ == "" {
		return ct, false
	}
	if after != "" {
		if after[0] != '/' {
			return ct, false
		}
		sub, after := cutToken(after[1:])
		if sub == "" || after != "" {
			return ct, false
		}
	}
	ct.mt = mt
	var seen [8][2]string
	n := 0
	for len(rest) > 0 {
		rest = trimLeftSpace(rest)
		if rest == "" {
			break
		}
		key, val, after, ok := mediaParam(rest)
		if !ok {
			if strings.TrimSpace(rest) == ";" {
				break // trailing semicolons
			}
			return ct, false
		}
		if strings.IndexByte(key, '*') >= 0 {
			return ct, false
		}
		dup := false
		for _, kv := range seen[:n] {
			if kv[0] == key {
				if kv[1] != val {
					return ct, false
				}
				dup = true
			}
		}
		if !dup {
			if n == len(seen) {
				return ct, false
			}
			seen[n] = [2]string{key, val}
			n++
		}
		switch key {
		case "charset", "boundary", "report-type":
			if strings.Contains(val, "=?") {
				return ct, false // an encoded word, which go-message decodes
			}
			switch key {
			case "charset":
				ct.charset, ct.hasCharset = val, true
			case "boundary":
				ct.boundary = val
			default:
				ct.reportType = val
			}
		}
		rest = after
	}
	return ct, true
}

// mediaParam reads one "; key=value" as mime's consumeMediaParam does.
func mediaParam(v string) (key, val, rest string, ok bool) {
	rest = trimLeftSpace(v)
	if rest == "" || rest[0] != ';' {
		return "", "", "", false
	}
	rest = trimLeftSpace(rest[1:])
	key, rest = cutToken(rest)
	key = lowerASCII(key)
	if key == "" {
		return "", "", "", false
	}
	rest = trimLeftSpace(rest)
	if rest == "" || rest[0] != '=' {
		return "", "", "", false
	}
	rest = trimLeftSpace(rest[1:])
	if rest != "" && rest[0] == '"' {
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '"':
				return key, rest[1:i], rest[i+1:], true
			case '\\', '\r', '\n':
				return "", "", "", false
			}
		}
		return "", "", "", false
	}
	val, after := cutToken(rest)
	if val == "" {
		return "", "", "", false
	}
	return key, val, after, true
}

// trimLeftSpace drops the white space unicode.IsSpace sees in ASCII.
func trimLeftSpace(s string) string {
	for len(s) > 0 {
		switch s[0] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			s = s[1:]
			continue
		}
		break
	}
	return s
}

// cutToken splits s after its leading RFC 2045 token.
func cutToken(s string) (tok, rest string) {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return s[:i], s[i:]
		}
	}
	return s, ""
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return strings.IndexByte(`()<>@,;:\"/[]?=`, c) < 0
}

// splitter reads the parts of a multipart body held whole as go-message's
// MultipartReader reads them from a stream (its peek buffer of 4 KiB
// included: a line it would refuse makes the splitter give up).
type splitter struct {
	b            []byte
	pos          int
	delim        []byte // "\r\n--" boundary "--"
	dashBoundary []byte // "--" boundary
	nl           []byte // "\r\n", or "\n" once the first delimiter line ends so
	partsRead    int
}

// mrPeek is go-message's multipart peek buffer size.
const mrPeek = 4096

func newSplitter(b []byte, boundary string) (*splitter, bool) {
	if boundary == "" || len(boundary) > 70 {
		return nil, false
	}
	d := []byte("\r\n--" + boundary + "--")
	return &splitter{b: b, delim: d, dashBoundary: d[2 : len(d)-2], nl: d[:2]}, true
}

// next returns the next part's fields and body; more is false at the
// closing delimiter. ok is false where the reader would fail, or where
// the splitter gives up.
func (s *splitter) next() (f fields, body []byte, more, ok bool) {
	expectNewPart := false
	for {
		if s.pos >= len(s.b) {
			return f, nil, false, false // the body ends without its closing delimiter
		}
		line := s.b[s.pos:]
		eof := true
		if k := bytes.IndexByte(line, '\n'); k >= 0 {
			line, eof = line[:k+1], false
		}
		if len(line) >= mrPeek {
			return f, nil, false, false
		}
		s.pos += len(line)
		if eof {
			return f, nil, false, s.isFinal(line)
		}
		if s.isDelimiter(line) {
			s.partsRead++
			pf, end, ok := readFields(s.b[s.pos:], true)
			if !ok {
				return f, nil, false, false
			}
			s.pos += end
			bodyEnd, ok := s.bodyEnd()
			if !ok {
				return f, nil, false, false
			}
			body = s.b[s.pos:bodyEnd]
			s.pos = bodyEnd
			return pf, body, true, true
		}
		if s.isFinal(line) {
			return f, nil, false, true
		}
		if expectNewPart {
			return f, nil, false, false
		}
		if s.partsRead == 0 {
			continue
		}
		if bytes.Equal(line, s.nl) {
			expectNewPart = true
			continue
		}
		return f, nil, false, false
	}
}

// bodyEnd finds where the part body starting at s.pos ends, as the part
// reader's scanUntilBoundary does: before "\r\n--boundary" (or
// "\n--boundary"), or before "--boundary" at its very start, followed by
// a space, tab, CR, LF or '-', or by the end. ok is false when none is
// found (the reader would fail with io.ErrUnexpectedEOF).
func (s *splitter) bodyEnd() (int, bool) {
	b := s.b
	start := s.pos
	i := start
	if bytes.HasPrefix(b[i:], s.dashBoundary) {
		if matchAfter(b, i+len(s.dashBoundary)) {
			return i, true
		}
		i += len(s.dashBoundary)
	}
	delim := s.delim[2-len(s.nl) : len(s.delim)-2] // nl "--" boundary
	for {
		k := bytes.Index(b[i:], delim)
		if k < 0 {
			return 0, false
		}
		i += k
		if matchAfter(b, i+len(delim)) {
			return i, true
		}
		i += len(delim)
	}
}

// matchAfter reports whether the byte at j ends a delimiter (matchAfterPrefix's +1).
func matchAfter(b []byte, j int) bool {
	if j >= len(b) {
		return true
	}
	switch b[j] {
	case ' ', '\t', '\r', '\n', '-':
		return true
	}
	return false
}

// isFinal matches ^--boundary--[ \t]*(\r\n)?$ (with s.nl).
func (s *splitter) isFinal(line []byte) bool {
	if !bytes.HasPrefix(line, s.delim[2:]) {
		return false
	}
	rest := trimLeftLWSP(line[len(s.delim)-2:])
	return len(rest) == 0 || bytes.Equal(rest, s.nl)
}

// isDelimiter matches a delimiter line, switching to LF line ends on the
// first one that ends so, as isBoundaryDelimiterLine does.
func (s *splitter) isDelimiter(line []byte) bool {
	if !bytes.HasPrefix(line, s.dashBoundary) {
		return false
	}
	rest := trimLeftLWSP(line[len(s.dashBoundary):])
	if s.partsRead == 0 && len(rest) == 1 && rest[0] == '\n' {
		s.nl = s.delim[1:2]
	}
	return bytes.Equal(rest, s.nl)
}

func trimLeftLWSP(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
