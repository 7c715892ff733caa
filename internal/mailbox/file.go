package mailbox

import (
	"bytes"
	"io"
	"sync"
)

// A file that fits in memory (most message files and small mboxes) is read
// whole into a pooled buffer and split there, without a line-by-line copy;
// a larger one is streamed by readStream. Both give the same messages.

const (
	firstChunk     = 64 << 10 // the first read of a file
	maxPooledChunk = 1 << 20  // larger read buffers are not kept
)

// maxInMemory is the largest file split in memory (a variable so tests can
// reach the streamed path with small files).
var maxInMemory = 4 << 20

var chunks = sync.Pool{New: func() any { b := make([]byte, firstChunk); return &b }}

// scratch buffers hold a message that had to be rebuilt (an unquoted
// ">From " line) when the caller borrows Data.
var scratches = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func readFile(path string, opt *Options, fn func(Message) bool) bool {
	f, err := openFile(path)
	if err != nil {
		return fn(Message{File: path, Err: err})
	}
	defer f.Close()
	bp := chunks.Get().(*[]byte)
	defer func() { chunks.Put(bp) }()
	buf := *bp
	n := 0
	for {
		if n == len(buf) {
			// Past the first chunk, the file's size says how much room
			// it needs (one byte more, to see the end).
			want := 2 * len(buf)
			if size := f.size(); size >= int64(n) && size < int64(maxInMemory) {
				want = int(size) + 1
			}
			if want > maxInMemory {
				break
			}
			grown := make([]byte, want)
			copy(grown, buf[:n])
			buf = grown
			if cap(buf) <= maxPooledChunk {
				*bp = buf
			}
		}
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF {
			return splitMemory(path, buf[:n], opt, fn)
		}
		if err != nil {
			return readStream(path, io.MultiReader(bytes.NewReader(buf[:n]), errReader{err}), opt, fn)
		}
		// A message file read with HeaderOnly is done at its blank line.
		if opt != nil && opt.HeaderOnly && !hasFromLine(buf[:n]) {
			if end := headerEnd(buf[:n]); end >= 0 {
				return emitSingle(path, buf[:n], end, opt, fn)
			}
		}
	}
	return readStream(path, io.MultiReader(bytes.NewReader(buf[:n]), f), opt, fn)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func hasFromLine(data []byte) bool {
	return len(data) >= 5 && string(data[:5]) == "From "
}

// headerEnd returns the length of the header block of msg, blank line
// included, or -1 when msg has no blank line.
func headerEnd(msg []byte) int {
	i := 0
	for i < len(msg) {
		if msg[i] == '\n' {
			return i + 1
		}
		if msg[i] == '\r' && i+1 < len(msg) && msg[i+1] == '\n' {
			return i + 2
		}
		nl := bytes.IndexByte(msg[i:], '\n')
		if nl < 0 {
			return -1
		}
		i += nl + 1
	}
	return -1
}

// splitMemory yields the messages of a whole file held in data.
func splitMemory(name string, data []byte, opt *Options, fn func(Message) bool) bool {
	if hasFromLine(data) {
		return splitMbox(name, data, opt, fn)
	}
	end := len(data)
	if opt != nil && opt.HeaderOnly {
		if e := headerEnd(data); e >= 0 {
			end = e
		}
	}
	return emitSingle(name, data, end, opt, fn)
}

// emitSingle yields the one message data[:end], capped like readMessage.
func emitSingle(name string, data []byte, end int, opt *Options, fn func(Message) bool) bool {
	m := Message{File: name, Data: data[:end], End: int64(len(data))}
	if max := opt.max(); end > max {
		m.Data, m.Err = data[:max], errTooLarge
	}
	if opt == nil || !opt.Borrow {
		m.Data = bytes.Clone(m.Data)
	}
	return fn(m)
}

// indexFromLine returns where the first line of b that starts "From "
// begins (b itself starts a line), or -1. Looking for "From " and then at
// the byte before is several times faster than looking for "\nFrom ":
// 'F' is much rarer than '\n' in mail.
func indexFromLine(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("From "))
		if j < 0 {
			return -1
		}
		i += j
		if i == 0 || b[i-1] == '\n' {
			return i
		}
		i++
	}
}

// splitMbox splits an mbox held in data (which starts with "From ") into
// the messages readMbox would give for the same bytes.
func splitMbox(name string, data []byte, opt *Options, fn func(Message) bool) bool {
	headerOnly := opt != nil && opt.HeaderOnly
	borrow := opt != nil && opt.Borrow
	max := opt.max()
	size := int64(len(data))
	var sp *[]byte // scratch for rebuilt messages, taken when first needed
	defer func() {
		if sp != nil {
			scratches.Put(sp)
		}
	}()
	for pos := 1; len(data) > 0; pos++ {
		// data starts at a "From " line; msg is what follows it, up to
		// the next "From " line.
		var msg []byte
		if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
			msg = data[nl+1:]
		}
		data = nil
		// One pass over the header lines finds the blank line, a quoted
		// "From " and a separator inside the header; only the body is
		// searched for the next separator in bulk.
		hdrEnd, quoted := -1, false
		for i := 0; i < len(msg); {
			line := msg[i:]
			if hasFromLine(line) {
				msg, data = msg[:i], line
				break
			}
			if line[0] == '\n' {
				hdrEnd = i + 1
				break
			}
			if line[0] == '\r' && len(line) > 1 && line[1] == '\n' {
				hdrEnd = i + 2
				break
			}
			if line[0] == '>' && quotedFrom(line) {
				quoted = true
			}
			nl := bytes.IndexByte(line, '\n')
			if nl < 0 {
				break
			}
			i += nl + 1
		}
		if hdrEnd >= 0 {
			if j := indexFromLine(msg[hdrEnd:]); j >= 0 {
				msg, data = msg[:hdrEnd+j], msg[hdrEnd+j:]
			}
		}
		m := Message{File: name, Position: pos, End: size - int64(len(data))}
		region := msg
		if headerOnly && hdrEnd >= 0 {
			region = msg[:hdrEnd]
		}
		if !headerOnly && !quoted && hdrEnd >= 0 {
			quoted = hasQuotedFrom(msg[hdrEnd:])
		}
		bodyWritten := false
		if len(region) <= max && !quoted {
			m.Data = region
			bodyWritten = !headerOnly && hdrEnd >= 0 && hdrEnd < len(region)
		} else {
			if sp == nil {
				sp = scratches.Get().(*[]byte)
			}
			var truncated bool
			*sp, truncated, bodyWritten = rebuild((*sp)[:0], region, max, headerOnly)
			m.Data = *sp
			if truncated {
				m.Err = errTooLarge
			}
		}
		// The blank line before the next "From " belongs to the mbox; so
		// does the last one of the file, once the header block has ended.
		if data == nil && !headerOnly && m.Err == nil && hdrEnd >= 0 {
			bodyWritten = true
		}
		if bodyWritten && bytes.HasSuffix(m.Data, []byte("\n\n")) {
			m.Data = m.Data[:len(m.Data)-1]
		}
		if !borrow {
			m.Data = bytes.Clone(m.Data)
		}
		if !fn(m) {
			return false
		}
	}
	return true
}

// hasQuotedFrom reports whether some line of msg matches ^>+From .
func hasQuotedFrom(msg []byte) bool {
	if len(msg) > 0 && msg[0] == '>' && quotedFrom(msg) {
		return true
	}
	for i := 0; ; {
		j := bytes.Index(msg[i:], []byte("\n>"))
		if j < 0 {
			return false
		}
		i += j + 1
		if quotedFrom(msg[i:]) {
			return true
		}
	}
}

// rebuild appends msg's lines to b as readMbox writes them: one '>'
// removed from each ^>+From  line, the body dropped when headerOnly, and
// nothing more kept once a line would take the message past max.
func rebuild(b, msg []byte, max int, headerOnly bool) (out []byte, truncated, bodyWritten bool) {
	inHeader := true
	for len(msg) > 0 {
		line := msg
		if nl := bytes.IndexByte(msg, '\n'); nl >= 0 {
			line = msg[:nl+1]
		}
		msg = msg[len(line):]
		if quotedFrom(line) {
			line = line[1:]
		}
		if !truncated && (!headerOnly || inHeader) {
			if len(b)+len(line) > max {
				truncated = true
			} else {
				b = append(b, line...)
				bodyWritten = bodyWritten || !inHeader
			}
		}
		if isBlank(line) {
			inHeader = false
		}
	}
	return b, truncated, bodyWritten
}
