package received

import (
	"bufio"
	"bytes"
	"io"
)

// BytesReader is an io.Reader over a message held in memory. [ReadHeader]
// and [ReadMessage] read the header block of a *BytesReader where it lies,
// instead of copying the message through a read buffer; what they return
// is the same as for any other reader of the same bytes. After reading the
// header, the reader is positioned after the bytes the header reading
// consumed (the blank line, or a byte cap).
//
// A BytesReader is not safe for concurrent use.
type BytesReader struct {
	b   []byte
	off int
}

// NewBytesReader returns a reader of b. b must not change while it is read.
func NewBytesReader(b []byte) *BytesReader { return &BytesReader{b: b} }

// Read reads into p.
func (r *BytesReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

// lineSource is what readHeaderBlock reads lines from: a *bufio.Reader or
// a sliceLines.
type lineSource interface {
	ReadSlice(delim byte) ([]byte, error)
	UnreadByte() error
}

// sliceLines gives the lines of b exactly as a *bufio.Reader of size
// lineBuffer over a reader of b would: a line longer than the buffer comes
// in pieces of lineBuffer bytes (with bufio.ErrBufferFull), the last one
// with io.EOF. Piece boundaries decide where a byte cap cuts a block, so
// they must be bufio's.
type sliceLines struct {
	b   []byte
	pos int
}

func (s *sliceLines) ReadSlice(delim byte) ([]byte, error) {
	rest := s.b[s.pos:]
	window := rest[:min(len(rest), lineBuffer)]
	if i := bytes.IndexByte(window, delim); i >= 0 {
		s.pos += i + 1
		return window[:i+1], nil
	}
	s.pos += len(window)
	if len(window) == lineBuffer {
		return window, bufio.ErrBufferFull
	}
	return window, io.EOF
}

// UnreadByte steps back over the last byte read, as bufio does after
// ReadSlice.
func (s *sliceLines) UnreadByte() error {
	if s.pos == 0 {
		return bufio.ErrInvalidUnreadByte
	}
	s.pos--
	return nil
}
