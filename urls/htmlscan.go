package urls

import (
	"bytes"

	"golang.org/x/net/html"
)

// The HTML of a message is read for two things only: the text between
// its tags and the href and form action attributes. Running
// golang.org/x/net/html's tokenizer for that cost more than the rest of
// the URL search, since it copies the document and reads it a byte at a
// time through a method call. htmlScan reads the document in place and
// finds the same tokens the tokenizer finds: text runs, tags with their
// attributes (quoted values may hold '>'), comments, doctypes and bogus
// comments, and the raw text of script, style, title, textarea and the
// other elements the tokenizer reads raw, with script's escaped and
// double-escaped sections. Where the tokenizer departs from the HTML
// standard (a "<" followed by a letter inside an escaped script section
// leaves it, for one) the scanner departs with it: FuzzAddHTML and the
// corpus test hold the two to the same output.

// htmlScanner walks one document.
type htmlScanner struct {
	doc  []byte
	text func(b []byte)   // a text token, decoded as the tokenizer's Text decodes it
	link func(raw string) // an href or form action value, decoded and cleaned

	links []attrVal // the tag being read's link attributes, reused
	vals  []string  // their values, reused
}

// rawElements are the elements whose content the tokenizer reads as raw
// text up to their end tag (title and textarea with entities decoded).
var rawElements = [...]string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"}

func htmlSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

func isLetter(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }

// run scans the whole document.
func (z *htmlScanner) run() {
	doc := z.doc
	i := 0
	for i < len(doc) {
		// data state: text up to the next '<' that opens markup
		start := i
		j := i
		for {
			k := bytes.IndexByte(doc[j:], '<')
			if k < 0 {
				z.emitText(doc[start:], false, false)
				return
			}
			j += k
			if j+1 >= len(doc) {
				// a '<' at the very end is text
				z.emitText(doc[start:], false, false)
				return
			}
			c := doc[j+1]
			if isLetter(c) || c == '/' || c == '!' || c == '?' {
				break
			}
			j++
		}
		if j > start {
			z.emitText(doc[start:j], false, false)
		}
		// markup at j
		switch c := doc[j+1]; {
		case isLetter(c):
			end, raw := z.startTag(j)
			if end < 0 {
				return // cut off at the end: the tokenizer stops there
			}
			i = end
			if raw != "" {
				if i = z.rawText(i, raw); i < 0 {
					return
				}
			}
		case c == '/':
			if j+2 >= len(doc) {
				return // "</" at the end: text with nothing to find
			}
			switch c2 := doc[j+2]; {
			case c2 == '>':
				i = j + 3
			case isLetter(c2):
				end := z.tag(j+2, nil)
				if end < 0 {
					return
				}
				i = end
			default:
				i = closeAngle(doc, j+2)
			}
		case c == '!':
			i = z.markupDeclaration(j + 2)
		default: // '?'
			i = closeAngle(doc, j+1)
		}
	}
}

// closeAngle returns the index after the first '>' at or after i, or
// len(doc) when there is none.
func closeAngle(doc []byte, i int) int {
	if k := bytes.IndexByte(doc[i:], '>'); k >= 0 {
		return i + k + 1
	}
	return len(doc)
}

// markupDeclaration skips a comment, a doctype or a bogus comment whose
// "<!" ends before i; it returns where the next token starts.
func (z *htmlScanner) markupDeclaration(i int) int {
	doc := z.doc
	if i+2 > len(doc) {
		return len(doc)
	}
	if doc[i] != '-' || doc[i+1] != '-' {
		// a doctype and a bogus comment both end at the first '>'
		return closeAngle(doc, i)
	}
	// a comment: it ends at "-->" or "--!>", or at once with "<!-->" or
	// "<!--->"
	dashes := 0
	beginning := true
	for k := i + 2; k < len(doc); k++ {
		switch doc[k] {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				return k + 1
			}
		case '!':
			if dashes >= 2 {
				if k+1 >= len(doc) {
					return len(doc)
				}
				k++
				if doc[k] == '>' {
					return k + 1
				}
				if doc[k] == '-' {
					dashes = 1
					beginning = false
					continue
				}
			}
		}
		dashes = 0
		beginning = false
	}
	return len(doc)
}

// attrVal is one attribute value of a tag, as written.
type attrVal struct {
	start, end int
	form       bool // an action attribute (a link only on a form)
}

// startTag reads the start tag whose '<' is at lt and passes its links
// on. It returns where the next token starts, or -1 when the document
// ends inside the tag, and the element when its content is raw text.
func (z *htmlScanner) startTag(lt int) (int, string) {
	z.links = z.links[:0]
	end := z.tag(lt+1, &z.links)
	links := z.links
	if end < 0 {
		return -1, ""
	}
	nameEnd := lt + 1
	for nameEnd < len(z.doc) && !htmlSpace(z.doc[nameEnd]) && z.doc[nameEnd] != '/' && z.doc[nameEnd] != '>' {
		nameEnd++
	}
	name := z.doc[lt+1 : nameEnd]
	if len(links) > 0 {
		isForm := len(name) == 4 && hasPrefixFold(name, "form")
		vals := z.vals[:0]
		for _, a := range links {
			if a.form && !isForm {
				continue
			}
			v, ok := attrUnescape(z.doc[a.start:a.end])
			if !ok {
				z.slowTag(z.doc[lt:end])
				vals = nil
				break
			}
			vals = append(vals, cleanHref(v))
		}
		for _, v := range vals {
			z.link(v)
		}
		z.vals = vals[:0]
	}
	raw := ""
	if len(name) <= len("plaintext") {
		for _, e := range rawElements {
			if len(e) == len(name) && hasPrefixFold(name, e) {
				raw = e
				break
			}
		}
	}
	return end, raw
}

// slowTag reads the links of one tag with the tokenizer itself: an
// attribute value with a named character reference other than the common
// few needs its table.
func (z *htmlScanner) slowTag(tag []byte) {
	t := html.NewTokenizer(bytes.NewReader(tag))
	switch t.Next() {
	case html.StartTagToken, html.SelfClosingTagToken:
	default:
		return
	}
	form := 0
	for more := true; more; {
		var k, v []byte
		k, v, more = t.TagAttr()
		if string(k) == "action" && form == 0 {
			form = -1
			if name, _ := t.TagName(); string(name) == "form" {
				form = 1
			}
		}
		if string(k) == "href" || (string(k) == "action" && form == 1) {
			z.link(cleanHref(string(v)))
		}
	}
}

// tag reads the name and attributes of a tag from i (the name's first
// letter) to its closing '>'; it returns the index after it, or -1 when
// the document ends first. With links, the values of its first href and
// first action attribute are appended in order (a repeated attribute
// name is dropped, the first kept).
func (z *htmlScanner) tag(i int, links *[]attrVal) int {
	doc := z.doc
	n := len(doc)
	// the name: up to a space (consumed), '/' or '>'
	for {
		if i >= n {
			return -1
		}
		c := doc[i]
		i++
		if htmlSpace(c) {
			break
		}
		if c == '/' || c == '>' {
			i--
			break
		}
	}
	seenHref, seenAction := false, false
	for {
		for i < n && htmlSpace(doc[i]) {
			i++
		}
		if i >= n {
			return -1
		}
		if doc[i] == '>' {
			return i + 1
		}
		// the attribute's name: an '=' only as its first byte
		ks := i
		i++
		if doc[ks] == '/' {
			i = ks // an empty name; '/' is read as what follows a name
		}
		for i < n {
			c := doc[i]
			if htmlSpace(c) || c == '/' || c == '>' || c == '=' {
				break
			}
			i++
		}
		if i >= n {
			return -1
		}
		key := doc[ks:i]
		// the value
		vs, ve := i, i
		for i < n && htmlSpace(doc[i]) {
			i++
		}
		if i >= n {
			return -1
		}
		switch doc[i] {
		case '/':
			i++
		case '=':
			i++
			for i < n && htmlSpace(doc[i]) {
				i++
			}
			if i >= n {
				return -1
			}
			switch q := doc[i]; q {
			case '>':
				vs, ve = i, i
			case '"', '\'':
				k := bytes.IndexByte(doc[i+1:], q)
				if k < 0 {
					return -1
				}
				vs, ve = i+1, i+1+k
				i = ve + 1
			default:
				vs = i
				for i < n && !htmlSpace(doc[i]) && doc[i] != '>' {
					i++
				}
				if i >= n {
					return -1
				}
				ve = i
				if doc[i] != '>' {
					i++
				}
			}
		default:
			vs, ve = i, i
		}
		if links != nil && len(key) > 0 {
			switch {
			case len(key) == 4 && hasPrefixFold(key, "href"):
				if !seenHref {
					seenHref = true
					*links = append(*links, attrVal{start: vs, end: ve})
				}
			case len(key) == 6 && hasPrefixFold(key, "action"):
				if !seenAction {
					seenAction = true
					*links = append(*links, attrVal{start: vs, end: ve, form: true})
				}
			}
		}
	}
}

// rawText passes on the raw text that follows the start tag of element
// e (ending before i) and returns where its end tag starts, or -1 when
// the text runs to the end of the document.
func (z *htmlScanner) rawText(i int, e string) int {
	doc := z.doc
	var end int
	switch e {
	case "plaintext":
		end = len(doc)
	case "script":
		end = scriptEnd(doc, i)
	default:
		end = len(doc)
		for k := i; ; {
			j := bytes.IndexByte(doc[k:], '<')
			if j < 0 {
				break
			}
			k += j
			if endTagAt(doc, k, e) {
				end = k
				break
			}
			k++
		}
	}
	if end > i {
		z.emitText(doc[i:end], true, e != "title" && e != "textarea")
	}
	if end >= len(doc) {
		return -1
	}
	return end
}

// endTagAt reports whether doc[k:] starts with "</" e (in either case of
// each letter) and a space, '/' or '>'.
func endTagAt(doc []byte, k int, e string) bool {
	if k+2+len(e) >= len(doc) || doc[k] != '<' || doc[k+1] != '/' {
		return false
	}
	if !hasPrefixFold(doc[k+2:], e) {
		return false
	}
	c := doc[k+2+len(e)]
	return htmlSpace(c) || c == '/' || c == '>'
}

// Script states, as the tokenizer has them.
const (
	scriptData = iota
	scriptEscaped
	scriptEscapedDash
	scriptEscapedDashDash
	scriptDouble
	scriptDoubleDash
	scriptDoubleDashDash
)

// scriptEnd returns where the "</script" that ends a script's text
// starts, or len(doc): "<!--" hides a "<script>...</script>" inside it.
// A "</" that turns out not to close the script is read on from the '/':
// the letters of "script" it may have matched change no state.
func scriptEnd(doc []byte, i int) int {
	n := len(doc)
	state := scriptData
	for i < n {
		c := doc[i]
		switch state {
		case scriptData:
			j := bytes.IndexByte(doc[i:], '<')
			if j < 0 {
				return n
			}
			i += j + 1
			if endTagAt(doc, i-1, "script") {
				return i - 1
			}
			if i+2 < n && doc[i] == '!' && doc[i+1] == '-' && doc[i+2] == '-' {
				i += 3
				state = scriptEscapedDashDash
			}
		case scriptEscaped, scriptEscapedDash, scriptEscapedDashDash:
			i++
			switch c {
			case '-':
				if state == scriptEscaped {
					state = scriptEscapedDash
				} else {
					state = scriptEscapedDashDash
				}
			case '<':
				if endTagAt(doc, i-1, "script") {
					return i - 1
				}
				state = scriptEscaped
				if i >= n || doc[i] == '/' {
					break
				}
				if !isLetter(doc[i]) {
					// the tokenizer leaves the escaped text here
					state = scriptData
					break
				}
				m := matched(doc, i, "script")
				i += m
				if m == len("script") && i < n {
					if t := doc[i]; htmlSpace(t) || t == '/' || t == '>' {
						i++
						state = scriptDouble
					}
				}
			case '>':
				if state == scriptEscapedDashDash {
					state = scriptData
				} else {
					state = scriptEscaped
				}
			default:
				state = scriptEscaped
			}
		default: // double escaped
			i++
			switch c {
			case '-':
				if state == scriptDouble {
					state = scriptDoubleDash
				} else {
					state = scriptDoubleDashDash
				}
			case '<':
				state = scriptDouble
				if endTagAt(doc, i-1, "script") {
					i += len("/script") + 1
					state = scriptEscaped
				}
			case '>':
				if state == scriptDoubleDashDash {
					state = scriptData
				} else {
					state = scriptDouble
				}
			default:
				state = scriptDouble
			}
		}
	}
	return n
}

// matched is how many bytes of s (lower-case letters) doc[i:] starts
// with, in either case.
func matched(doc []byte, i int, s string) int {
	m := 0
	for m < len(s) && i+m < len(doc) && doc[i+m]|0x20 == s[m] {
		m++
	}
	return m
}

var (
	nulByte     = []byte{0}
	replacement = []byte("\ufffd")
)

// emitText passes a text token on as the tokenizer's Text gives it: NUL
// bytes of raw text replaced, character references decoded outside raw
// text. (Line endings, which Text also converts, change no URL: a URL ends
// at either.)
func (z *htmlScanner) emitText(b []byte, convertNUL, raw bool) {
	if len(b) < minURLText {
		return // the white space between tags, mostly: no URL fits
	}
	if convertNUL && bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, nulByte, replacement)
	}
	if !raw && bytes.IndexByte(b, '&') >= 0 {
		if !mayDecodeToURL(b) {
			return // the text scan would find nothing in it
		}
		b = []byte(html.UnescapeString(string(b)))
	}
	z.text(b)
}

// mayDecodeToURL reports whether text may hold a URL once its character
// references are decoded. Every URL the text scan finds holds a ':' or a
// '.', and a reference gives one only as a number (&#58;, &#x2e;) or as
// &colon; or &period;.
func mayDecodeToURL(b []byte) bool {
	return bytes.IndexByte(b, ':') >= 0 || bytes.IndexByte(b, '.') >= 0 || bytes.IndexByte(b, '#') >= 0 ||
		bytes.Contains(b, []byte("colon;")) || bytes.Contains(b, []byte("period;"))
}

// attrUnescape decodes the character references of an attribute value as
// the tokenizer does, NUL bytes replaced. It reports false when the value
// holds a named reference it does not know (the caller asks the tokenizer).
func attrUnescape(v []byte) (string, bool) {
	if bytes.IndexByte(v, '&') < 0 && bytes.IndexByte(v, 0) < 0 {
		return string(v), true
	}
	var out []byte
	for i := 0; i < len(v); {
		c := v[i]
		if c == 0 {
			out = append(out, replacement...)
			i++
			continue
		}
		if c != '&' {
			out = append(out, c)
			i++
			continue
		}
		// a character reference: &#digits, &#xhex, or &name
		if i+1 < len(v) && v[i+1] == '#' {
			k := i + 2
			hex := k < len(v) && v[k]|0x20 == 'x'
			if hex {
				k++
			}
			d := k
			for k < len(v) && (isDigit(v[k]) || hex && isHexLetter(v[k])) {
				k++
			}
			if k == d {
				out = append(out, '&')
				i++
				continue
			}
			if k < len(v) && v[k] == ';' {
				k++
			}
			// numeric references decode alike in text and attributes
			out = append(out, html.UnescapeString(string(v[i:k]))...)
			i = k
			continue
		}
		k := i + 1
		for k < len(v) && isAlnum(v[k]) {
			k++
		}
		semi := k < len(v) && v[k] == ';'
		name := v[i+1 : k]
		if semi {
			k++
		}
		switch {
		case len(name) == 0:
			out = append(out, '&')
			i++
			continue
		case !semi && k < len(v) && v[k] == '=':
			out = append(out, '&')
			i++
			continue
		}
		r, ok := commonEntity(string(name))
		if !ok {
			return "", false
		}
		out = append(out, r)
		i = k
	}
	return string(out), true
}

// commonEntity decodes the named references an attribute value most
// often holds, with or without their semicolon (all four are among the
// HTML standard's legacy names, which may omit it).
func commonEntity(name string) (byte, bool) {
	switch name {
	case "amp", "AMP":
		return '&', true
	case "lt", "LT":
		return '<', true
	case "gt", "GT":
		return '>', true
	case "quot", "QUOT":
		return '"', true
	}
	return 0, false
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isHexLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'f' }
