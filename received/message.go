package received

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/emersion/go-message/textproto"
)

// Limits caps what reading one message may cost. The zero value (or a nil
// *Limits) means the defaults.
type Limits struct {
	// MaxHeaderBytes caps the bytes of the header block read. Zero means
	// 1 MiB. What lies beyond is not read and Message.Truncated is set.
	MaxHeaderBytes int64

	// MaxHops caps the Received fields parsed. Zero means 100, far above
	// the 10–20 of real mail; more is a sign of a loop or an attack.
	MaxHops int

	// Keep, when set, says which fields besides Received to keep in
	// Message.Header (name as written, without the colon); the others are
	// skipped before go-message reads the block, which makes reading
	// several times cheaper for a caller that needs a few fields. Nil
	// keeps every field.
	Keep func(name []byte) bool
}

const (
	defaultMaxHeaderBytes = 1 << 20
	defaultMaxHops        = 100
)

func (l *Limits) maxBytes() int64 {
	if l == nil || l.MaxHeaderBytes <= 0 {
		return defaultMaxHeaderBytes
	}
	return l.MaxHeaderBytes
}

func (l *Limits) maxHops() int {
	if l == nil || l.MaxHops <= 0 {
		return defaultMaxHops
	}
	return l.MaxHops
}

// Message is a message's header block read for tracing.
type Message struct {
	// Header holds every header field in order, as written.
	Header textproto.Header
	// Received are the Received field values (unfolded), topmost first,
	// at most Limits.MaxHops of them.
	Received []string
	// Hops are the parsed Received fields, topmost (newest) first; nil
	// from ReadHeader.
	Hops []Hop
	// HopErrs[i] is what Parse did not understand in Hops[i]; nil if all.
	HopErrs []error
	// Errors are problems reading the header block: malformed lines
	// (skipped, reading goes on; at most 20 listed, then one count) and
	// limits reached.
	Errors []error
	// Truncated is set when a limit stopped the reading.
	Truncated bool
}

// ErrNoHeader is returned by ReadMessage when the input holds no header
// field at all.
var ErrNoHeader = errors.New("received: no header fields")

// ReadMessage reads the header block of a raw message (RFC 5322 section
// 2.1) with go-message's textproto and parses its Received fields. It reads
// no further than the blank line that ends the header block (never the
// body), or lim's byte cap. An mbox "From " first line is skipped. CR-only
// line endings are read as line endings.
//
// A malformed line (no colon, or a field name with spaces or control
// bytes) is skipped with its continuation lines and recorded in Errors;
// reading goes on with the next field. The first 20 such lines are
// recorded one by one, the rest counted in one more error, so a hostile
// header costs a bounded number of errors.
//
// The error is non-nil only when nothing could be read: a read error
// before any header byte, or [ErrNoHeader] (with a non-nil Message) when
// the input holds no header field.
//
// A message already in memory is best given as a [BytesReader]: it is
// read in place, not copied through a read buffer.
func ReadMessage(r io.Reader, lim *Limits) (*Message, error) {
	m, err := ReadHeader(r, lim)
	if err != nil {
		return m, err
	}
	m.Hops = make([]Hop, len(m.Received))
	m.HopErrs = make([]error, len(m.Received))
	for i, v := range m.Received {
		m.HopErrs[i] = ParseTo(&m.Hops[i], v)
	}
	return m, nil
}

// ReadHeader is [ReadMessage] without the parsing: it fills Header,
// Received, Errors and Truncated, and leaves Hops to the caller (see
// [ParseTo]).
func ReadHeader(r io.Reader, lim *Limits) (*Message, error) {
	rb := readBufs.Get().(*readBuffers)
	defer func() {
		if cap(rb.fields) > 4096 {
			rb.fields = nil // a hostile header's spans are not kept
		}
		readBufs.Put(rb)
	}()
	max := lim.maxBytes()
	rb.keep = nil
	if lim != nil {
		rb.keep = lim.Keep
	}
	block, truncated, err := rb.readHeaderBlock(r, max)
	if err != nil && len(block) == 0 {
		return nil, fmt.Errorf("received: reading header: %w", err)
	}
	m := &Message{Truncated: truncated}
	m.Errors = append(m.Errors, rb.malformed...)
	if rb.moreMalformed > 0 {
		m.Errors = append(m.Errors, fmt.Errorf("received: %d more malformed header lines skipped", rb.moreMalformed))
	}
	if truncated {
		m.Errors = append(m.Errors, fmt.Errorf("received: header block larger than %d bytes; the rest was not read", max))
	}
	if err != nil {
		m.Errors = append(m.Errors, fmt.Errorf("received: reading header: %w", err))
	}
	m.Header = rb.header(block)
	if m.Header.Len() == 0 {
		return m, ErrNoHeader
	}
	vals := m.Header.Values("Received")
	maxHops := lim.maxHops()
	if len(vals) > maxHops {
		m.Errors = append(m.Errors, fmt.Errorf("received: %d Received fields; only the top %d were parsed", len(vals), maxHops))
		m.Truncated = true
		vals = vals[:maxHops]
	}
	m.Received = vals
	return m, nil
}

// header turns a block readHeaderBlock produced (valid field lines only,
// CRLF endings, ending with the blank line) into a go-message Header. The
// block was split into fields while it was read; go-message's AddRaw
// canonicalises each name and unfolds each value, without a second pass
// over the lines. The fields keep one shared copy of the block.
func (rb *readBuffers) header(block []byte) textproto.Header {
	var h textproto.Header
	if len(rb.fields) == 0 {
		return h
	}
	own := make([]byte, len(block))
	copy(own, block)
	// AddRaw puts a field before the ones added earlier: add bottom first.
	for i := len(rb.fields) - 1; i >= 0; i-- {
		f := rb.fields[i]
		if own[f.start] == ':' {
			continue // an empty name: go-message's reader skips it too
		}
		h.AddRaw(own[f.start:f.end:f.end])
	}
	return h
}

// readBuffers are reused across ReadMessage calls: reading a header block
// then costs no buffer allocations. go-message copies every field it
// returns, so the block can be reused once the header is read.
type readBuffers struct {
	in     *bufio.Reader // over the input
	limit  io.LimitedReader
	slice  sliceLines // over a BytesReader's bytes
	block  []byte
	fields []fieldSpan // the fields of block, top first

	keep          func(name []byte) bool
	malformed     []error // the first maxLineErrors malformed lines
	moreMalformed int     // malformed lines beyond those
}

// maxLineErrors caps the malformed lines recorded one by one in
// Message.Errors; the rest are counted in one more error.
const maxLineErrors = 20

// fieldSpan is where one field, continuation lines included, lies in the
// header block.
type fieldSpan struct{ start, end int }

// lineBuffer is the size of the buffer lines are read through: a line
// longer than that comes in pieces.
const lineBuffer = 16 << 10

var readBufs = sync.Pool{New: func() any {
	return &readBuffers{in: bufio.NewReaderSize(nil, lineBuffer), block: make([]byte, 0, 8<<10)}
}}

// readHeaderBlock returns the bytes of the header block, up to and
// including the blank line, with an mbox "From " line removed, every line
// ending written as CRLF, its fields' spans in rb.fields, and malformed lines (no colon, or a name
// go-message refuses) dropped with their continuation lines and recorded in
// rb.malformed. It never reads past the blank line's buffer.
func (rb *readBuffers) readHeaderBlock(r io.Reader, max int64) ([]byte, bool, error) {
	rb.malformed, rb.moreMalformed = rb.malformed[:0], 0
	rb.fields = rb.fields[:0]
	var br lineSource
	if mr, ok := r.(*BytesReader); ok {
		// read in place: the lines bufio would give, without copying
		// the message through its buffer
		rest := mr.b[mr.off:]
		rb.slice = sliceLines{b: rest[:min(int64(len(rest)), max+1)]}
		defer func() { mr.off += rb.slice.pos; rb.slice = sliceLines{} }()
		br = &rb.slice
	} else {
		rb.limit = io.LimitedReader{R: r, N: max + 1}
		rb.in.Reset(&rb.limit)
		br = rb.in
	}
	out := rb.block[:0]
	defer func() {
		if cap(out) <= 1<<20 {
			rb.block = out[:0]
		}
	}()
	first, skipFrom := true, false
	lineStart := 0    // where the first unchecked line of out begins
	scan := 0         // where to look for the next '\n' (out[lineStart:scan] has none)
	dropping := false // dropping the continuation lines of a malformed line
	for {
		line, err := br.ReadSlice('\n')
		more := err == bufio.ErrBufferFull // a long line: more of it follows
		if more {
			err = nil
			// Keep a CR that may start a CRLF for the next read.
			if n := len(line); n > 1 && line[n-1] == '\r' && br.UnreadByte() == nil {
				line = line[:n-1]
			}
		}
		if first {
			first = false
			skipFrom = bytes.HasPrefix(line, []byte("From "))
		}
		if skipFrom {
			skipFrom = more
			if err != nil {
				return nil, false, err
			}
			continue
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			out = appendCRLF(out, line)
		} else if n := len(line); n > 0 && line[n-1] == '\n' {
			out = append(append(out, line[:n-1]...), '\r', '\n')
		} else {
			out = append(out, line...)
		}
		if err == io.EOF && len(out) > lineStart && out[len(out)-1] != '\n' {
			out = append(out, '\r', '\n')
		}
		if int64(len(out)) > max {
			out = clipBlock(out, max)
			for n := len(rb.fields); n > 0 && rb.fields[n-1].end > len(out)-2; n-- {
				rb.fields = rb.fields[:n-1]
			}
			return out, true, nil
		}
		// Check each completed line.
		for {
			k := bytes.IndexByte(out[scan:], '\n')
			if k < 0 {
				scan = len(out)
				break
			}
			end := scan + k + 1
			l := out[lineStart:end]
			switch {
			case len(l) == 1 || len(l) == 2 && l[0] == '\r':
				return out[:end], false, nil // the blank line
			case l[0] == ' ' || l[0] == '\t':
				if dropping || lineStart == 0 {
					dropping = true
					out = append(out[:lineStart], out[end:]...)
					scan = lineStart
					continue
				}
				rb.fields[len(rb.fields)-1].end = end
			default:
				dropping = false
				if !validFieldLine(l) {
					rb.recordMalformed(l)
					dropping = true
					out = append(out[:lineStart], out[end:]...)
					scan = lineStart
					continue
				}
				if rb.keep != nil && !isReceivedLine(l) && !rb.keep(fieldName(l)) {
					dropping = true // with its continuation lines
					out = append(out[:lineStart], out[end:]...)
					scan = lineStart
					continue
				}
				rb.fields = append(rb.fields, fieldSpan{lineStart, end})
			}
			lineStart, scan = end, end
		}
		if err == io.EOF {
			return append(out, '\r', '\n'), false, nil
		}
		if err != nil {
			return out, false, err
		}
	}
}

func isReceivedLine(l []byte) bool {
	return len(l) > 9 && (l[0] == 'R' || l[0] == 'r') && bytes.EqualFold(l[:8], []byte("received")) && (l[8] == ':' || l[8] == ' ' || l[8] == '\t')
}

// fieldName returns the name of a field line (validFieldLine holds).
func fieldName(l []byte) []byte {
	i := bytes.IndexByte(l, ':')
	return bytes.TrimRight(l[:i], " \t")
}

// validFieldLine reports whether a header line that is not a continuation
// has a field name go-message accepts: printable ASCII up to a colon,
// spaces and tabs allowed around it.
func validFieldLine(l []byte) bool {
	i := bytes.IndexByte(l, ':')
	if i < 0 {
		return false
	}
	key := bytes.TrimRight(l[:i], " \t")
	for _, c := range key {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

func (rb *readBuffers) recordMalformed(l []byte) {
	if len(rb.malformed) >= maxLineErrors {
		rb.moreMalformed++
		return
	}
	rb.malformed = append(rb.malformed, fmt.Errorf("received: malformed header line %q skipped", clip(strings.TrimRight(string(l[:min(len(l), 200)]), "\r\n"))))
}

// clipBlock cuts a block at its last complete line and ends the header.
func clipBlock(b []byte, max int64) []byte {
	if int64(len(b)) > max {
		b = b[:max]
	}
	if k := bytes.LastIndexByte(b, '\n'); k >= 0 {
		b = b[:k+1]
	} else {
		b = b[:0]
	}
	return append(b, '\r', '\n')
}

// appendCRLF appends line to out with every line ending (CR LF, a lone CR,
// a lone LF) written as CR LF, the form go-message's reader gives fields.
func appendCRLF(out, line []byte) []byte {
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '\r':
			if i+1 < len(line) && line[i+1] == '\n' {
				i++
			}
			out = append(out, '\r', '\n')
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}
