package received

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// readBuffers are reused across ReadMessage calls: reading a header block
// then costs no buffer allocations. The header is one string copied from
// the block, so the block can be reused once the header is made.
type readBuffers struct {
	in      *bufio.Reader // over the input, for readPieces
	limit   io.LimitedReader
	slice   sliceLines // over a BytesReader's bytes, for readPieces
	raw     []byte     // the input read so far, for readLines
	rawRead io.LimitedReader
	replay  replay
	lines   lineState // readLines's
	inPlace inPlace   // readInPlace's writer
	block   []byte
	fields  []fieldSpan // the fields of block, top first
	vals    []byte      // the values of the folded fields, unfolded

	keep          func(name []byte) bool
	malformed     []error // the first maxLineErrors malformed lines
	moreMalformed int     // malformed lines beyond those
}

// maxLineErrors caps the malformed lines recorded one by one in
// Message.Errors; the rest are counted in one more error.
const maxLineErrors = 20

// fieldSpan is where one field, continuation lines included, lies in the
// header block, and its unfolded value as far as its lines were read.
type fieldSpan struct {
	start, end int // block[start:end] is the field, line endings included
	nameEnd    int // block[start:nameEnd] is the name
	// The value is block[valStart:valEnd], or rb.vals[valStart:valEnd]
	// when folded: written there unfolded because more than one of its
	// lines holds more than white space.
	valStart, valEnd int
	folded           bool
	received         bool // a Received field
}

// addField records a field whose first line is block[start:lineEnd]
// (without its line ending, which follows), its name ending at nameEnd
// and the colon at colon.
func (rb *readBuffers) addField(block []byte, start, nameEnd, colon, lineEnd int) {
	vs, ve := trimBlanks(block, colon+1, lineEnd)
	received := nameEnd-start == len("Received") && ascii.EqualFoldBytes(block[start:nameEnd], "Received")
	rb.fields = append(rb.fields, fieldSpan{start: start, end: lineEnd + 2, nameEnd: nameEnd, valStart: vs, valEnd: ve, received: received})
}

// continueField adds the continuation line block[start:lineEnd] (without
// its line ending) to the last field. The value is unfolded as
// go-message's textproto unfolds it: each line trimmed of spaces and tabs,
// the non-empty ones joined by one space.
func (rb *readBuffers) continueField(block []byte, start, lineEnd int) {
	f := &rb.fields[len(rb.fields)-1]
	f.end = lineEnd + 2
	s, e := trimBlanks(block, start, lineEnd)
	switch {
	case s == e:
	case f.folded:
		rb.vals = append(append(rb.vals, ' '), block[s:e]...)
		f.valEnd = len(rb.vals)
	case f.valStart == f.valEnd: // the lines before held only white space
		f.valStart, f.valEnd = s, e
	default:
		vs := len(rb.vals)
		rb.vals = append(rb.vals, block[f.valStart:f.valEnd]...)
		rb.vals = append(append(rb.vals, ' '), block[s:e]...)
		f.valStart, f.valEnd, f.folded = vs, len(rb.vals), true
	}
}

// trimBlanks returns the span of b[i:j] without its leading and trailing
// spaces and tabs.
func trimBlanks(b []byte, i, j int) (int, int) {
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	return i, j
}

// lineBuffer is the size of the buffer lines are read through: a line
// longer than that comes in pieces.
const lineBuffer = 16 << 10

// firstRead is the size of the first read of an input that is not a
// BytesReader: most header blocks are shorter.
const firstRead = 8 << 10

var readBufs = sync.Pool{New: func() any {
	return &readBuffers{block: make([]byte, 0, 8<<10)}
}}

// release returns rb to the pool, without what a hostile header made
// large and without references to the input.
func (rb *readBuffers) release() {
	if cap(rb.fields) > 4096 {
		rb.fields = nil // a hostile header's spans are not kept
	}
	if cap(rb.vals) > 1<<20 {
		rb.vals = nil
	}
	if cap(rb.raw) > 1<<20 {
		rb.raw = nil
	}
	if cap(rb.block) > 1<<20 {
		rb.block = nil
	}
	rb.keep = nil
	rb.rawRead = io.LimitedReader{}
	rb.replay = replay{}
	readBufs.Put(rb)
}

func (rb *readBuffers) reset() {
	rb.malformed, rb.moreMalformed = rb.malformed[:0], 0
	rb.fields = rb.fields[:0]
	rb.vals = rb.vals[:0]
}

// readHeaderBlock returns the bytes of the header block, up to and
// including the blank line, with an mbox "From " line removed, every line
// ending written as CRLF, its fields' spans in rb.fields, and malformed
// lines (no colon, or a name go-message refuses) dropped with their
// continuation lines and recorded in rb.malformed. It never reads past
// the blank line's buffer.
//
// A header block that ends well within the byte cap is read line by line
// (readLines); one that may reach the cap, or ends in an odd way (a blank
// line ended by a lone CR, an mbox line without an end, a read error), is
// read again from its start by readPieces, which decides where the cap
// cuts exactly as it always did.
func (rb *readBuffers) readHeaderBlock(r io.Reader, max int64) ([]byte, bool, error) {
	rb.lines = lineState{}
	if mr, ok := r.(*BytesReader); ok {
		rest := mr.b[mr.off:]
		if n, ok := rb.readLines(rest[:min(int64(len(rest)), max+1)], true, max); ok {
			mr.off += n
			return rb.block, false, nil
		}
		return rb.readPieces(r, max)
	}
	switch r.(type) {
	case *bytes.Reader, *strings.Reader:
		if ok, err := rb.readInPlace(r.(seekWriterTo), max); ok {
			return rb.block, false, err
		}
		rb.lines = lineState{} // read it again from its start
	}
	// Any other reader: read as much as readLines needs, in reads of
	// growing size (a large buffer left in the pool must not make every
	// read copy a whole message).
	rb.rawRead = io.LimitedReader{R: r, N: max + 1}
	buf := rb.raw[:0]
	defer func() { rb.raw = buf[:0] }()
	var err error
	for {
		want := firstRead
		if len(buf) > want {
			want = len(buf)
		}
		buf = slices.Grow(buf, want)
		var n int
		n, err = rb.rawRead.Read(buf[len(buf) : len(buf)+want])
		buf = buf[:len(buf)+n]
		if err != nil && err != io.EOF || n == 0 && err == nil {
			break // read again through bufio, which knows what to do
		}
		if _, ok := rb.readLines(buf, err == io.EOF, max); ok {
			return rb.block, false, nil
		}
		if err == io.EOF || rb.lines.slow {
			break
		}
	}
	rb.replay = replay{b: buf, err: err, r: &rb.rawRead}
	return rb.readPieces(&rb.replay, max)
}

// seekWriterTo is what *bytes.Reader and *strings.Reader have in common:
// their WriteTo hands all their remaining bytes to one Write (or
// WriteString) call, the bytes they hold and not a copy, and they can be
// moved back. (Other readers with these methods, *os.File among them,
// write in pieces and read to the end: they are not read this way.)
type seekWriterTo interface {
	io.Reader
	io.WriterTo
	io.Seeker
}

// readInPlace reads the header block of r where r's bytes lie, through
// r's WriteTo, when readLines can read it all (the fast case of a
// BytesReader), and leaves r just after the bytes consumed, as a
// BytesReader is left. Otherwise it leaves r where it was and returns
// false. The error returned with true is r's own Seek error, if any.
func (rb *readBuffers) readInPlace(r seekWriterTo, max int64) (bool, error) {
	pos, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return false, nil
	}
	w := &rb.inPlace // in the pooled buffers: handed to an interface, it would escape
	*w = inPlace{rb: rb, max: max}
	defer func() { w.rb = nil }()
	if _, err := r.WriteTo(w); err != nil || !w.ok {
		if _, err := r.Seek(pos, io.SeekStart); err != nil {
			return true, err // cannot happen for the two readers we take
		}
		return false, nil
	}
	_, err = r.Seek(pos+int64(w.n), io.SeekStart)
	return true, err
}

// inPlace is the io.Writer and io.StringWriter readInPlace hands to a
// reader's WriteTo: it reads the header block out of the one slice it is
// given and keeps nothing of it (readLines copies what it keeps).
type inPlace struct {
	rb     *readBuffers
	max    int64
	n      int
	ok     bool
	called bool
}

func (w *inPlace) Write(p []byte) (int, error) {
	if w.called {
		w.ok = false // more than one write: not the whole rest at once
		return len(p), nil
	}
	w.called = true
	w.rb.lines = lineState{}
	w.n, w.ok = w.rb.readLines(p[:min(int64(len(p)), w.max+1)], true, w.max)
	return len(p), nil
}

func (w *inPlace) WriteString(s string) (int, error) {
	// readLines only reads its input: the string's bytes are not written.
	return w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// replay gives the bytes already read from an input, then the error that
// stopped the reading if there was one, then the rest of the input.
type replay struct {
	b   []byte
	err error
	r   io.Reader
}

func (p *replay) Read(b []byte) (int, error) {
	if len(p.b) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		return p.r.Read(b)
	}
	n := copy(b, p.b)
	p.b = p.b[n:]
	return n, nil
}

// lineState is where readLines stopped in an input whose end it has not
// seen yet.
type lineState struct {
	pos      int  // where the next line starts
	started  bool // an mbox "From " line, if any, is behind
	dropping bool // dropping the continuation lines of a skipped line
	slow     bool // readPieces must read this input
	noCR     int  // src[pos:noCR] holds no CR (src[noCR] is one, or not yet looked at)
}

// crWindow is how far ahead readLines looks for a CR at once.
const crWindow = 4 << 10

// readLines reads the header block at the start of src line by line into
// rb.block and rb.fields, as readPieces would, when the block ends well
// within the byte cap max: every line ending counts at most two bytes in
// the block, so a block ending (with its blank line) within the first
// (capBytes-2)/2 bytes of the input can never reach the cap, and no
// piece boundary matters. It returns the bytes consumed and true when it read
// the block (up to its blank line, or to the end of the input when eof is
// set). Otherwise src ended in the middle of the block (read more, call
// again with rb.lines as it was left), or rb.lines.slow is set:
// readPieces must read the input.
func (rb *readBuffers) readLines(src []byte, eof bool, capBytes int64) (int, bool) {
	st := &rb.lines
	if st.pos == 0 && !st.started {
		rb.reset()
		rb.block = rb.block[:0]
		if len(src) < len("From ") && !eof && string(src) == "From "[:len(src)] {
			return 0, false
		}
		if bytes.HasPrefix(src, []byte("From ")) {
			i := bytes.IndexByte(src, '\n')
			if i < 0 {
				st.slow = eof || 2*int64(len(src))+2 > capBytes
				return 0, false
			}
			st.pos = i + 1
		}
		st.started = true
	}
	out := rb.block
	defer func() { rb.block = out }()
	for {
		rest := src[st.pos:]
		// The line ends at the first CR or LF; a CR LF is one ending.
		line, n, lone := rest, len(rest), false
		nl := bytes.IndexByte(rest, '\n')
		if nl >= 0 {
			line, n = rest[:nl], nl+1
		}
		// CRs are looked for a window at a time: most headers have
		// none, or one at the end of each line.
		if end := st.pos + len(line); st.noCR < end {
			from := max(st.pos, st.noCR)
			to := min(len(src), max(end, from+crWindow))
			if k := bytes.IndexByte(src[from:to], '\r'); k >= 0 {
				st.noCR = from + k
			} else {
				st.noCR = to
			}
		}
		if cr := st.noCR - st.pos; cr < len(line) {
			switch {
			case cr+1 == nl:
				line = line[:cr] // CR LF
			case cr+1 < len(rest) || eof:
				line, n, lone = line[:cr], cr+1, true
			default:
				line, n = nil, -1 // a CR at the end: LF may follow
			}
		} else if nl < 0 && !eof {
			n = -1
		}
		if n < 0 {
			// the line goes on past src
			st.slow = 2*int64(len(src))+2 > capBytes
			return 0, false
		}
		next := st.pos + n
		if 2*int64(next)+2 > capBytes {
			st.slow = true
			return 0, false
		}
		if len(line) == 0 {
			if n == 0 {
				return next, true // the end of the input
			}
			if lone {
				// A blank line ended by a lone CR: through bufio it
				// ends a piece only at the next LF.
				st.slow = true
				return 0, false
			}
			return next, true // the blank line
		}
		st.pos = next
		if c := line[0]; c == ' ' || c == '\t' {
			if st.dropping || len(rb.fields) == 0 {
				st.dropping = true // a leading continuation line goes too
				continue
			}
			start := len(out)
			out = append(append(out, line...), '\r', '\n')
			rb.continueField(out, start, start+len(line))
			continue
		}
		st.dropping = false
		nameEnd, colon, ok := lineName(line)
		if !ok {
			rb.recordMalformed(line)
			st.dropping = true
			continue
		}
		if name := line[:nameEnd]; rb.keep != nil && !(len(name) == len("Received") && ascii.EqualFoldBytes(name, "Received")) && !rb.keep(name) {
			st.dropping = true // with its continuation lines
			continue
		}
		start := len(out)
		out = append(append(out, line...), '\r', '\n')
		rb.addField(out, start, start+nameEnd, start+colon, start+len(line))
	}
}

// lineName returns where the field name of a header line that is not a
// continuation line ends (before the spaces and tabs before the colon)
// and where its colon is, and whether it is one go-message accepts:
// printable ASCII up to a colon.
func lineName(l []byte) (nameEnd, colon int, ok bool) {
	i := 0
	for i+8 <= len(l) {
		if stop := nameStops(bytesWord(l, i)); stop != 0 {
			i += bits.TrailingZeros64(stop) >> 3
			goto end
		}
		i += 8
	}
	for i < len(l) && nameBytes[l[i]] {
		i++
	}
end:
	n := i
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	if i < len(l) && l[i] == ':' {
		return n, i, true
	}
	return 0, 0, false
}

// nameBytes are the bytes of a field name go-message accepts: printable
// ASCII but the colon.
var nameBytes = func() (t [256]bool) {
	for c := 33; c <= 126; c++ {
		t[c] = c != ':'
	}
	return t
}()

// readPieces is readHeaderBlock for any input and any cap, through the
// pieces a bufio.Reader of lineBuffer bytes gives (for a BytesReader,
// sliceLines, the same pieces in place). A piece is normalised and
// appended to the block before its lines are checked, so where pieces
// end decides where the byte cap cuts the block.
func (rb *readBuffers) readPieces(r io.Reader, max int64) ([]byte, bool, error) {
	rb.reset()
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
		if rb.in == nil {
			rb.in = bufio.NewReaderSize(nil, lineBuffer)
		}
		rb.in.Reset(&rb.limit)
		defer rb.in.Reset(nil)
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
				rb.continueField(out, lineStart, lineContentEnd(out, lineStart, end))
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
				colon := lineStart + bytes.IndexByte(l, ':')
				nameEnd := colon
				for nameEnd > lineStart && (out[nameEnd-1] == ' ' || out[nameEnd-1] == '\t') {
					nameEnd--
				}
				rb.addField(out, lineStart, nameEnd, colon, lineContentEnd(out, lineStart, end))
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

// lineContentEnd returns where the line out[start:end] ends without its
// line ending (CR LF in a block; LF alone never, but is allowed for).
func lineContentEnd(out []byte, start, end int) int {
	end-- // the LF
	if end > start && out[end-1] == '\r' {
		end--
	}
	return end
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
