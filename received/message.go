package received

import (
	"errors"
	"fmt"
	"io"
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
	// skipped as the block is read, with their continuation lines, which
	// makes reading several times cheaper for a caller that needs a few
	// fields. Nil keeps every field. The name is only valid during the
	// call.
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
	// Header holds every header field in order, as written (those
	// Limits.Keep refuses left out).
	Header Header
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
// 2.1) into a [Header] and parses its Received fields. It reads no further
// than the blank line that ends the header block (never the body), or
// lim's byte cap. An mbox "From " first line is skipped. CR-only line
// endings are read as line endings.
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
	var ps Parser
	for i, v := range m.Received {
		m.HopErrs[i] = ps.ParseTo(&m.Hops[i], v)
	}
	return m, nil
}

// ReadHeader is [ReadMessage] without the parsing: it fills Header,
// Received, Errors and Truncated, and leaves Hops to the caller (see
// [ParseTo]).
func ReadHeader(r io.Reader, lim *Limits) (*Message, error) {
	rb := readBufs.Get().(*readBuffers)
	defer rb.release()
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
	if len(rb.malformed) > 0 || rb.moreMalformed > 0 || truncated || err != nil {
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
	}
	maxHops := lim.maxHops()
	var nReceived int
	m.Header, m.Received, nReceived = rb.header(block, maxHops)
	if len(m.Header) == 0 {
		return m, ErrNoHeader
	}
	if nReceived > maxHops {
		m.Errors = append(m.Errors, fmt.Errorf("received: %d Received fields; only the top %d were parsed", nReceived, maxHops))
		m.Truncated = true
	}
	return m, nil
}
