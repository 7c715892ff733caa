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
	// Hops are the parsed Received fields, topmost (newest) first.
	Hops []Hop
	// HopErrs[i] is what Parse did not understand in Hops[i]; nil if all.
	HopErrs []error
	// Errors are problems reading the header block: malformed lines
	// (skipped, reading goes on) and limits reached.
	Errors []error
	// Truncated is set when a limit stopped the reading.
	Truncated bool
}

// ErrNoHeader is returned by ReadMessage when the input holds no header
// field at all.
var ErrNoHeader = errors.New("received: no header fields")

// ReadMessage reads the header block of a raw message (RFC 5322 section
// 2.1) and parses its Received fields. It reads no further than the blank
// line that ends the header block, or lim's byte cap. An mbox "From " first
// line is skipped. A malformed line (no colon) is recorded in Errors and
// reading goes on with the next line. CR-only line endings are read as
// line endings.
//
// The error is non-nil only when nothing could be read.
func ReadMessage(r io.Reader, lim *Limits) (*Message, error) {
	rb := readBufs.Get().(*readBuffers)
	defer readBufs.Put(rb)
	max := lim.maxBytes()
	block, truncated, err := rb.readHeaderBlock(r, max)
	if err != nil && len(block) == 0 {
		return nil, fmt.Errorf("received: reading header: %w", err)
	}
	m := &Message{Truncated: truncated}
	if truncated {
		m.Errors = append(m.Errors, fmt.Errorf("received: header block larger than %d bytes; the rest was not read", max))
	}
	if err != nil {
		m.Errors = append(m.Errors, fmt.Errorf("received: reading header: %w", err))
	}
	rb.blockReader.Reset(block)
	br := rb.lines
	br.Reset(&rb.blockReader)
	var chunks []textproto.Header
	for tries := 0; ; tries++ {
		h, err := textproto.ReadHeader(br)
		chunks = append(chunks, h)
		if err == nil || tries > len(block) {
			break
		}
		if strings.HasPrefix(err.Error(), "message: malformed") {
			m.Errors = append(m.Errors, errors.New("received: "+err.Error()))
			continue
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			m.Errors = append(m.Errors, errors.New("received: "+err.Error()))
		}
		break
	}
	m.Header = joinHeaders(chunks)
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
	m.Hops = make([]Hop, len(vals))
	m.HopErrs = make([]error, len(vals))
	for i, v := range vals {
		m.Hops[i], m.HopErrs[i] = Parse(v)
	}
	return m, nil
}

// joinHeaders joins the pieces of a header block read around malformed
// lines into one Header, in header order.
func joinHeaders(chunks []textproto.Header) textproto.Header {
	if len(chunks) == 1 {
		return chunks[0]
	}
	var raws [][]byte
	for i := range chunks {
		f := chunks[i].Fields()
		for f.Next() {
			if raw, err := f.Raw(); err == nil {
				raws = append(raws, raw)
			}
		}
	}
	// Header.AddRaw puts a field above the others: add bottom first.
	var h textproto.Header
	for i := len(raws) - 1; i >= 0; i-- {
		h.AddRaw(raws[i])
	}
	return h
}

// readBuffers are reused across ReadMessage calls: reading a header block
// then costs no buffer allocations. go-message copies every field it
// returns, so the block can be reused once the header is read.
type readBuffers struct {
	in          *bufio.Reader // over the input
	lines       *bufio.Reader // over the block, for go-message
	limit       io.LimitedReader
	blockReader bytes.Reader
	block       []byte
}

var readBufs = sync.Pool{New: func() any {
	return &readBuffers{in: bufio.NewReaderSize(nil, 16<<10), lines: bufio.NewReaderSize(nil, 4<<10), block: make([]byte, 0, 8<<10)}
}}

// readHeaderBlock returns the bytes of the header block, up to and
// including the blank line, with an mbox "From " line removed and CR-only
// line endings turned into CRLF.
func (rb *readBuffers) readHeaderBlock(r io.Reader, max int64) ([]byte, bool, error) {
	rb.limit = io.LimitedReader{R: r, N: max + 1}
	br := rb.in
	br.Reset(&rb.limit)
	out := rb.block[:0]
	defer func() {
		if cap(out) <= 1<<20 {
			rb.block = out[:0]
		}
	}()
	first := true
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// a long line: copy what we have and go on reading it
			out = append(out, line...)
			if int64(len(out)) > max {
				return clipBlock(out, max), true, nil
			}
			continue
		}
		if first {
			first = false
			if bytes.HasPrefix(line, []byte("From ")) {
				if err != nil {
					return nil, false, err
				}
				continue
			}
		}
		// CR-only line endings: split on lone CRs.
		if bytes.IndexByte(line, '\r') >= 0 {
			line = crToCRLF(line)
		}
		out = append(out, line...)
		if int64(len(out)) > max {
			return clipBlock(out, max), true, nil
		}
		if endsHeader(out) {
			return out, false, nil
		}
		if err == io.EOF {
			if len(out) > 0 && out[len(out)-1] != '\n' {
				out = append(out, '\r', '\n')
			}
			return append(out, '\r', '\n'), false, nil
		}
		if err != nil {
			return out, false, err
		}
	}
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

// endsHeader reports whether b ends with an empty line.
func endsHeader(b []byte) bool {
	n := len(b)
	if n == 0 || b[n-1] != '\n' {
		return false
	}
	if n == 1 {
		return true
	}
	if b[n-2] == '\n' {
		return true
	}
	return n >= 3 && b[n-2] == '\r' && b[n-3] == '\n' || n == 2 && b[0] == '\r'
}

func crToCRLF(line []byte) []byte {
	var out []byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\r' && (i+1 >= len(line) || line[i+1] != '\n') {
			out = append(out, '\r', '\n')
			continue
		}
		out = append(out, c)
	}
	return out
}
