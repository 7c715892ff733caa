// Package unwrap finds the messages carried inside a message: spam
// forwarded as an attachment (message/rfc822, message/global), a header
// block sent as text/rfc822-headers, and the third part of an RFC 5965
// abuse report. Each is returned with its MIME part path, so it can be
// traced as a message of its own, together with the decoded text parts
// (text/plain, text/html) of every message.
//
// # Part paths
//
// Part paths are numbered as IMAP numbers body parts (RFC 3501 section
// 6.4.5, BODY[section]): the parts of a multipart body are 1, 2, …, a part
// inside part 2 is 2.1, and the body of a message that is not multipart is
// part 1. The parts of a message attached at part 2 are 2.1, 2.2, …. Paths
// always count from the top-level message, so "2.3" names the same part
// whichever message it is read from.
//
// # Leniencies
//
// The third part of a feedback report (multipart/report;
// report-type=feedback-report, RFC 5965 section 2) is read as the reported
// message whatever its Content-Type says. A part of a multipart/digest
// without a Content-Type is a message (RFC 2046 section 5.1.5). A few
// unregistered labels (text/rfc822, message/rfc822-headers, …) are read as
// what they can only mean. Only the Content-* fields of a header are read,
// so a malformed field elsewhere does not hide the parts. A body cut before
// its closing boundary keeps the parts read so far, with an error. A
// text/rfc822-headers part keeps its header block only.
//
// # Limits
//
// MIME is read as go-message's reader reads it (transfer encodings
// decoded, text converted to UTF-8 through
// github.com/emersion/go-message/charset). A message that reader would
// read without a problem is read in place, from the input's own bytes, by
// a reading held to give the same Messages (inplace.go); any other is read
// through go-message. A quoted-printable body is decoded from its bytes by
// a decoder of our own that gives mime/quotedprintable's bytes (a body it
// declines, one with an error, is read through go-message), ASCII text in
// a charset that keeps ASCII as it is is not converted, and text in such a
// charset is converted by a table of its upper 128 bytes made from
// go-message's reader: the text is the same.
// Hostile input costs a bounded amount: [Limits] caps the bytes read of a
// part, the parts visited, the nesting depth, the attached messages and
// the text kept. A cap reached, an unknown charset or encoding, or a
// malformed part is recorded in the message's Errors; reading goes on with
// what is left.
//
// The package does no I/O and keeps no state: Messages may be called from
// many goroutines at once.
package unwrap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charsets for text parts
	"github.com/emersion/go-message/textproto"
)

// Limits caps what unwrapping one top-level message may cost. The zero
// value (or a nil *Limits) means the defaults.
type Limits struct {
	// MaxPartBytes caps the decoded bytes read of one part (an attached
	// message, a text part). Zero means 16 MiB.
	MaxPartBytes int64
	// MaxParts caps the MIME parts visited in the whole tree, attached
	// messages' parts included. Zero means 1000.
	MaxParts int
	// MaxDepth caps the MIME nesting (a multipart in a multipart, a
	// message in a message, each one level). Zero means 16.
	MaxDepth int
	// MaxAttached caps the attached messages returned, all depths
	// together. Zero means 100.
	MaxAttached int
	// MaxNesting caps how deep messages nest in messages: 1 returns only
	// the messages attached to the top-level one. Zero means 4.
	MaxNesting int
	// MaxTextBytes caps the decoded text kept of one message's text parts
	// together. Zero means 1 MiB.
	MaxTextBytes int
}

func (l *Limits) orDefaults() Limits {
	var o Limits
	if l != nil {
		o = *l
	}
	if o.MaxPartBytes <= 0 {
		o.MaxPartBytes = 16 << 20
	}
	if o.MaxParts <= 0 {
		o.MaxParts = 1000
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 16
	}
	if o.MaxAttached <= 0 {
		o.MaxAttached = 100
	}
	if o.MaxNesting <= 0 {
		o.MaxNesting = 4
	}
	if o.MaxTextBytes <= 0 {
		o.MaxTextBytes = 1 << 20
	}
	return o
}

// Message is the top-level message or one attached to it.
type Message struct {
	// Part is the part path of the attached message ("2", "2.3"); "" for
	// the top-level message.
	Part string
	// Parent is the Part of the message this one is attached to: "" when
	// it is attached to the top-level message (or is the top-level one).
	Parent string
	// Nesting is 0 for the top-level message, 1 for a message attached to
	// it, 2 for one attached to that, and so on.
	Nesting int
	// Raw is the message as carried, transfer encoding removed. For the
	// top-level message it is the input (an mbox "From " line removed).
	Raw []byte
	// HeaderOnly is set when the part carried only a header block
	// (text/rfc822-headers, message/global-headers).
	HeaderOnly bool
	// Attached lists the Part paths of the messages attached directly to
	// this one, in document order.
	Attached []string
	// Text holds the message's own text/plain and text/html parts (not
	// those of attached messages), decoded to UTF-8.
	Text []Text
	// Errors are what could not be read: a malformed part, an unknown
	// charset or transfer encoding, a limit reached.
	Errors []string
}

// Text is one decoded text part.
type Text struct {
	Part      string // part path
	HTML      bool   // text/html (else text/plain)
	Body      []byte // UTF-8 when the charset was known
	Truncated bool   // MaxTextBytes or MaxPartBytes cut the body
}

// Kind says how a part carries a message.
type Kind uint8

// Kinds of carried message.
const (
	KindNone    Kind = iota // not a carried message
	KindMessage             // a whole message (message/rfc822, message/global)
	KindHeaders             // a header block only (text/rfc822-headers)
)

// String returns "none", "message" or "headers".
func (k Kind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindHeaders:
		return "headers"
	}
	return "none"
}

// carriers maps the media types that carry a message to what they carry.
// The last four are not registered types; they are read leniently, since a
// part so labelled can only be meant as a message or a header block.
var carriers = map[string]Kind{
	"message/rfc822":         KindMessage, // RFC 2046 section 5.2.1
	"message/global":         KindMessage, // RFC 6532 section 3.7
	"text/rfc822-headers":    KindHeaders, // RFC 6522 section 4 (was RFC 3462)
	"message/global-headers": KindHeaders, // RFC 6533 section 6.3
	"message/rfc822-headers": KindHeaders,
	"text/rfc822":            KindMessage,
	"application/rfc822":     KindMessage,
	"message/x-rfc822":       KindMessage,
}

// CarrierKind reports whether a part of media type mediaType (lower case,
// without parameters) carries a message.
func CarrierKind(mediaType string) Kind { return carriers[mediaType] }

// Messages returns the top-level message of raw followed by every message
// attached to it, depth first in document order: each attached message
// comes after the message that carries it. The first element is always the
// top-level message, even when its MIME structure cannot be read.
func Messages(raw []byte, lim *Limits) []Message {
	l := lim.orDefaults()
	raw = stripFromLine(raw)
	if !walkOnly {
		f := inPlace{lim: l}
		if f.message(raw, "", "", 0, 0, false) {
			return f.out
		}
	}
	w := walker{lim: l}
	w.message(raw, "", "", 0, 0, false)
	return w.out
}

// walkOnly turns the in-place reading off, for tests that compare it with
// the walk.
var walkOnly = false

type walker struct {
	lim      Limits
	out      []Message
	parts    int
	unclosed bool // a part's body ended without a closing boundary
	tooMany  bool // MaxAttached was reached
	// direct is the body reader readMIME gave the entity of the message
	// being read, over direct.body: when go-message left it as it is (no
	// transfer encoding or charset to undo), the body is handed out as a
	// slice of the input instead of read into a copy.
	direct directBody
	// undecoded is the body, as written, of the entity being visited
	// (the message's own, or the multipart part just read): a
	// quoted-printable body is decoded from it (decodeQP) rather than
	// through go-message's readers, and ASCII text is not converted
	// (readUndecoded).
	undecoded undecodedBody
	ct        parsedType // the last entity's Content-Type
}

// contentType is e.Header.ContentType(), parsed once for the entity
// being visited (the walk asks it of the same entity several times).
func (w *walker) contentType(e *message.Entity) (string, map[string]string) {
	if w.ct.e != e {
		mt, params, _ := e.Header.ContentType()
		w.ct = parsedType{e: e, mt: mt, params: params}
	}
	return w.ct.mt, w.ct.params
}

type parsedType struct {
	e      *message.Entity
	mt     string
	params map[string]string
}

type undecodedBody struct {
	e    *message.Entity
	body []byte    // the bytes, for a message's own entity
	part io.Reader // the part's reader, for a part of a multipart body
}

type directBody struct {
	r    *bytes.Reader
	body []byte
}

var errUnclosed = "the multipart body ends without its closing boundary"

// failRead records an error reading the body of the part at at.
func (w *walker) failRead(idx int, at string, err error) {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		w.fail(idx, "unwrap: part %s: %s", at, errUnclosed)
		w.unclosed = true
		return
	}
	w.fail(idx, "unwrap: part %s: %v", at, err)
}

// message reads one message (raw) found at part path at and appends it and
// what it carries to w.out.
func (w *walker) message(raw []byte, at, parent string, nesting, depth int, headerOnly bool) {
	idx := len(w.out)
	w.out = append(w.out, Message{Part: at, Parent: parent, Nesting: nesting, Raw: raw, HeaderOnly: headerOnly})
	if headerOnly {
		return
	}
	e, direct, err := readMIME(raw)
	w.direct = direct
	w.undecoded = undecodedBody{e: e, body: direct.body}
	if err != nil && e == nil {
		w.fail(idx, "unwrap: header: %v", err)
		return
	}
	if err != nil {
		w.fail(idx, "unwrap: part %s: %s", joinPath(at, 1), entityError(e, err))
	}
	w.entity(idx, e, at, depth, true)
}

func (w *walker) fail(idx int, format string, args ...any) {
	m := &w.out[idx]
	if len(m.Errors) < 20 {
		m.Errors = append(m.Errors, fmt.Sprintf(format, args...))
	}
}

func joinPath(prefix string, n int) string {
	if prefix == "" {
		return strconv.Itoa(n)
	}
	return prefix + "." + strconv.Itoa(n)
}

// entity walks e, a part of message idx at part path at. root is set for a
// message's own top entity: when that is not multipart, its body is part
// at.1 (at "1" for the top-level message).
func (w *walker) entity(idx int, e *message.Entity, at string, depth int, root bool) {
	if depth > w.lim.MaxDepth {
		w.fail(idx, "unwrap: %snested deeper than %d levels; not read", partPrefix(at), w.lim.MaxDepth)
		return
	}
	mt, params := w.contentType(e)
	if strings.HasPrefix(mt, "multipart/") { // as e.MultipartReader decides
		// The parts are read as go-message's multipart reader reads them
		// (textproto's parts, each made an entity by message.New), keeping
		// each part's undecoded body at hand.
		tr := textproto.NewMultipartReader(e.Body, params["boundary"])
		report := mt == "multipart/report" && strings.EqualFold(params["report-type"], "feedback-report")
		digest := mt == "multipart/digest"
		for n := 1; ; n++ {
			var p *message.Entity
			tp, err := tr.NextPart()
			if err == nil {
				p, err = newEntity(message.Header{Header: tp.Header}, tp)
				w.undecoded = undecodedBody{e: p, part: tp}
			}
			if err == io.EOF {
				return
			}
			if err != nil && p == nil {
				if strings.HasSuffix(err.Error(), "EOF") {
					// said once, where the body was cut
					if !w.unclosed {
						w.fail(idx, "unwrap: %s%s", partPrefix(at), errUnclosed)
					}
					w.unclosed = true
					return
				}
				w.fail(idx, "unwrap: part %s: %v", joinPath(at, n), err)
				return
			}
			w.parts++
			if w.parts > w.lim.MaxParts {
				w.fail(idx, "unwrap: more than %d parts; the rest not read", w.lim.MaxParts)
				return
			}
			if err != nil {
				w.fail(idx, "unwrap: part %s: %s", joinPath(at, n), entityError(p, err))
			}
			// RFC 5965 section 2: the third part of a feedback report is
			// the reported message or its header, whatever it is labelled.
			if digest && p.Header.Get("Content-Type") == "" {
				// RFC 2046 section 5.1.5: a digest's parts are messages
				// unless labelled otherwise.
				w.leaf(idx, p, "message/rfc822", joinPath(at, n), depth+1, false)
				continue
			}
			w.leafOrMultipart(idx, p, joinPath(at, n), depth+1, report && n == 3)
		}
	}
	if root {
		at = joinPath(at, 1)
	}
	w.leaf(idx, e, mt, at, depth, false)
}

// entityError words the error go-message gives with an entity it could
// still read (an unknown charset or transfer encoding).
func entityError(e *message.Entity, err error) string {
	switch {
	case message.IsUnknownCharset(err):
		_, params, _ := e.Header.ContentType()
		return fmt.Sprintf("unknown charset %q; the text is read as it is", params["charset"])
	case message.IsUnknownEncoding(err):
		return fmt.Sprintf("unknown transfer encoding %q; the body is read as it is", e.Header.Get("Content-Transfer-Encoding"))
	}
	return err.Error()
}

// partPrefix is "part 2.1: " for an error about a part, "" for one about
// the top-level message's body.
func partPrefix(at string) string {
	if at == "" {
		return ""
	}
	return "part " + at + ": "
}

func (w *walker) leafOrMultipart(idx int, p *message.Entity, at string, depth int, reported bool) {
	mt, _ := w.contentType(p)
	if strings.HasPrefix(mt, "multipart/") { // as p.MultipartReader decides
		w.entity(idx, p, at, depth, false)
		return
	}
	w.leaf(idx, p, mt, at, depth, reported)
}

var errTooLarge = errors.New("larger than the limit; truncated")

// read returns the decoded body of p, at most max bytes; truncated
// reports that more was left. A body go-message did not decode is the
// input's own bytes (capacity cut, so an append cannot reach past it).
func (w *walker) read(p *message.Entity, max int64) ([]byte, bool, error) {
	if r, ok := p.Body.(*bytes.Reader); ok && r == w.direct.r {
		b := w.direct.body
		w.direct = directBody{} // read once, as a reader is
		if int64(len(b)) > max {
			return b[:max:max], true, nil
		}
		return b[:len(b):len(b)], false, nil
	}
	if w.undecoded.e == p {
		u := w.undecoded
		w.undecoded = undecodedBody{}
		mt, params := w.contentType(p)
		if b, truncated, ok := readUndecoded(p, mt, params, u, max); ok {
			return b, truncated, nil
		}
	}
	return readCapped(p.Body, max)
}

// readUndecoded reads a body from its undecoded bytes when that saves
// go-message's readers: a quoted-printable body is decoded by decodeQP,
// and the charset conversion go-message would apply is left out where it
// cannot change the text (ASCII text in a charset that keeps ASCII as it
// is). It reports false, with p.Body still readable, for any other body,
// and when decodeQP cannot give the reader's bytes.
func readUndecoded(p *message.Entity, mt string, params map[string]string, u undecodedBody, max int64) ([]byte, bool, bool) {
	if strings.HasPrefix(mt, "multipart/") {
		return nil, false, false
	}
	var qp bool
	switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		qp = true
	case "", "7bit", "8bit", "binary":
	default:
		return nil, false, false
	}
	ch, convert := params["charset"]
	convert = convert && strings.HasPrefix(mt, "text/")
	if convert {
		ch = strings.ToLower(ch)
		convert = ch != "utf-8" && ch != "us-ascii" && message.CharsetReader != nil
	}
	if !qp && !convert {
		return nil, false, false // go-message reads it as it is
	}
	raw := u.body
	if u.part != nil {
		// A part is read whole (its bytes are at most the message's);
		// what a part's reader says at its end, go-message's readers
		// would say where the bytes end.
		var err error
		if raw, err = io.ReadAll(u.part); err != nil {
			p.Body = decodedAgain(p, raw, err)
			return nil, false, false
		}
	}
	out := raw[:len(raw):len(raw)]
	if qp {
		var ok bool
		if out, ok = decodeQP(make([]byte, 0, len(raw)), raw); !ok {
			if u.part != nil {
				p.Body = decodedAgain(p, raw, nil)
			}
			return nil, false, false
		}
	}
	if convert && !(asciiKept[ch] && isASCII(out)) {
		// an unknown charset leaves the text as it is (and was recorded
		// when the entity was made)
		if b, truncated, done, err := convertCharset(ch, out, max); done {
			if err != nil {
				if u.part != nil {
					p.Body = decodedAgain(p, raw, nil)
				}
				return nil, false, false
			}
			return b, truncated, true
		}
	}
	if int64(len(out)) > max {
		return out[:max:max], true, true
	}
	return out, false, true
}

// asciiKept are the charsets (lower case) whose decoders give ASCII text
// back as it is, byte for byte: one byte a character, the lower half
// ASCII (TestASCIIKept checks each through go-message's charset reader).
var asciiKept = map[string]bool{
	"iso-8859-1": true, "iso-8859-2": true, "iso-8859-3": true, "iso-8859-4": true,
	"iso-8859-5": true, "iso-8859-6": true, "iso-8859-7": true, "iso-8859-8": true,
	"iso-8859-9": true, "iso-8859-10": true, "iso-8859-13": true, "iso-8859-14": true,
	"iso-8859-15": true, "iso-8859-16": true,
	"windows-1250": true, "windows-1251": true, "windows-1252": true, "windows-1253": true,
	"windows-1254": true, "windows-1255": true, "windows-1256": true, "windows-1257": true,
	"windows-1258": true, "koi8-r": true, "koi8-u": true,
}

func isASCII(b []byte) bool {
	for len(b) >= 8 {
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// newEntity is message.New(h, body) with the decoding readers it would
// set up left until the body is read through them: most bodies are read
// from their undecoded bytes (readUndecoded), and a charset reader costs
// two 4 KiB buffers. Where New would report an error (an unknown transfer
// encoding or charset) it is New that is called.
func newEntity(h message.Header, body io.Reader) (*message.Entity, error) {
	mt, params, _ := h.ContentType()
	if strings.HasPrefix(mt, "multipart/") {
		// New decodes no transfer encoding of a multipart body, and
		// converts no charset but a text one's
		return &message.Entity{Header: h, Body: body}, nil
	}
	decode := false
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		decode = true
	case "", "7bit", "8bit", "binary":
	default:
		return message.New(h, body)
	}
	if ch, ok := params["charset"]; ok && strings.HasPrefix(mt, "text/") {
		if !charsetKnown(ch) {
			return message.New(h, body)
		}
		ch = strings.ToLower(ch)
		decode = decode || ch != "utf-8" && ch != "us-ascii"
	}
	if !decode {
		return &message.Entity{Header: h, Body: body}, nil // as New leaves it
	}
	return &message.Entity{Header: h, Body: &lazyBody{h: h, r: body}}, nil
}

// lazyBody is the body message.New would give, made at the first read.
type lazyBody struct {
	h   message.Header
	r   io.Reader
	dec io.Reader
}

func (l *lazyBody) Read(p []byte) (int, error) {
	if l.dec == nil {
		e, _ := message.New(l.h, l.r) // no error: newEntity checked
		l.dec = e.Body
	}
	return l.dec.Read(p)
}

// knownCharsets remembers which charsets (lower case) go-message's
// charset reader knows, for at most maxKnownCharsets names (hostile mail
// can name any number).
var knownCharsets sync.Map

const maxKnownCharsets = 256

var knownCharsetsN atomic.Int32

// charsetKnown reports whether message.New converts text of charset ch
// without an error.
func charsetKnown(ch string) bool {
	ch = strings.ToLower(ch)
	if ch == "utf-8" || ch == "us-ascii" {
		return true
	}
	if message.CharsetReader == nil {
		return false
	}
	if v, ok := knownCharsets.Load(ch); ok {
		return v.(bool)
	}
	_, err := message.CharsetReader(ch, bytes.NewReader(nil))
	if knownCharsetsN.Load() < maxKnownCharsets {
		if _, loaded := knownCharsets.LoadOrStore(ch, err == nil); !loaded {
			knownCharsetsN.Add(1)
		}
	}
	return err == nil
}

// decodedAgain is p's body as go-message would decode it from a part
// whose reader gave raw and then err (nil: the end).
func decodedAgain(p *message.Entity, raw []byte, err error) io.Reader {
	var r io.Reader = bytes.NewReader(raw)
	if err != nil {
		r = io.MultiReader(r, errReader{err})
	}
	e, _ := message.New(p.Header, r)
	return e.Body
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// readCapped reads r up to max bytes; truncated reports that more was left.
func readCapped(r io.Reader, max int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(b)) > max {
		return b[:max], true, err
	}
	return b, false, err
}

// leaf handles a part that is not multipart.
func (w *walker) leaf(idx int, p *message.Entity, mt, at string, depth int, reported bool) {
	kind := CarrierKind(mt)
	if kind == KindNone && reported && !strings.HasPrefix(mt, "multipart/") {
		kind = KindMessage
	}
	if kind != KindNone {
		m := &w.out[idx]
		if w.attachedCount() >= w.lim.MaxAttached {
			if !w.tooMany {
				w.fail(idx, "unwrap: part %s: more than %d attached messages; it and the rest not read", at, w.lim.MaxAttached)
				w.tooMany = true
			}
			return
		}
		if m.Nesting+1 > w.lim.MaxNesting {
			w.fail(idx, "unwrap: part %s: messages nested deeper than %d; not read", at, w.lim.MaxNesting)
			return
		}
		body, truncated, err := w.read(p, w.lim.MaxPartBytes)
		if err != nil {
			w.failRead(idx, at, err)
		}
		if truncated {
			w.fail(idx, "unwrap: part %s: %v", at, errTooLarge)
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return
		}
		if kind == KindHeaders {
			body = headerBlock(body)
		}
		m.Attached = append(m.Attached, at)
		parent, nesting := m.Part, m.Nesting+1
		w.message(stripFromLine(body), at, parent, nesting, depth+1, kind == KindHeaders)
		return
	}
	if mt != "text/plain" && mt != "text/html" && mt != "" {
		return
	}
	m := &w.out[idx]
	room, ok := textRoom(m, at, mt, w.lim)
	if !ok {
		return
	}
	body, truncated, err := w.read(p, min(room, w.lim.MaxPartBytes))
	if err != nil {
		w.failRead(idx, at, err)
	}
	m.Text = append(m.Text, Text{Part: at, HTML: mt == "text/html", Body: body, Truncated: truncated})
}

func (w *walker) attachedCount() int { return len(w.out) - 1 }

// stripFromLine drops an mbox "From " first line.
func stripFromLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// headerBlock keeps a text/rfc822-headers body's header block (some
// senders put the start of the body after it).
func headerBlock(b []byte) []byte {
	b = stripFromLine(b)
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		line := b[i : i+j+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return b[:i+j+1]
		}
		i += j + 1
	}
	return b
}

// readMIME reads a message for its MIME structure. Only the header fields
// that shape it (Content-*) are handed to go-message: parsing the whole
// header block again, after the trace has read it, would cost more than
// the walk. A malformed field elsewhere in the header does not stop it.
// The body reader it gives go-message is returned with the bytes it reads.
func readMIME(raw []byte) (*message.Entity, directBody, error) {
	var fields []byte
	keep := false
	i := 0
	for i < len(raw) {
		j := bytes.IndexByte(raw[i:], '\n')
		next := len(raw)
		if j >= 0 {
			next = i + j + 1
		}
		line := raw[i:next]
		i = next
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // the blank line that ends the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if keep {
				fields = append(fields, line...)
			}
			continue
		}
		keep = len(line) > 8 && asciiEqualFold(line[:8], "content-")
		if keep {
			fields = append(fields, line...)
			if !bytes.HasSuffix(line, []byte("\n")) {
				fields = append(fields, '\n')
			}
		}
	}
	var h textproto.Header
	var err error
	if len(fields) > 0 {
		fields = append(fields, '\n')
		// A buffer the size of the fields (bufio's default at most):
		// ReadHeader reads long lines in pieces, so the size changes
		// nothing but the allocation.
		size := min(max(len(fields), 16), 4096)
		h, err = textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(fields), size))
		if err != nil {
			h = textproto.Header{} // read the body as text/plain
		}
	} // else no Content-* field: the empty header ReadHeader would return
	direct := directBody{r: bytes.NewReader(raw[i:]), body: raw[i:]}
	e, nerr := newEntity(message.Header{Header: h}, direct.r)
	if err == nil {
		err = nerr
	}
	return e, direct, err
}

func asciiEqualFold(b []byte, lower string) bool {
	for k := 0; k < len(lower); k++ {
		c := b[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[k] {
			return false
		}
	}
	return true
}

// textRoom returns how many more text bytes message m may take (the
// MaxTextBytes of its texts together), or false, with a truncated text
// of part at recorded, when it has none left.
func textRoom(m *Message, at, mt string, lim Limits) (int64, bool) {
	used := 0
	for _, t := range m.Text {
		used += len(t.Body)
	}
	room := int64(lim.MaxTextBytes - used)
	if room <= 0 {
		m.Text = append(m.Text, Text{Part: at, HTML: mt == "text/html", Truncated: true})
		return 0, false
	}
	return room, true
}

// convertCharset converts text from charset ch to UTF-8, at most max
// bytes, by the byte table when ch has one, else through go-message's
// charset reader. done is false when no converter knows ch (the text
// stays as it is); err is the reader's, when it failed part way.
func convertCharset(ch string, text []byte, max int64) (b []byte, truncated, done bool, err error) {
	if t := tableFor(ch); t != nil {
		b, truncated = t.convert(make([]byte, 0, len(text)+len(text)/2), text, max)
		return b, truncated, true, nil
	}
	if message.CharsetReader == nil {
		return nil, false, false, nil
	}
	r, err := message.CharsetReader(ch, bytes.NewReader(text))
	if err != nil {
		return nil, false, false, nil
	}
	b, truncated, err = readCapped(r, max)
	return b, truncated, true, err
}
