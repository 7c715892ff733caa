package smtplog

import (
	"bytes"
	"errors"
	"io"
	"unsafe"
)

// lineReader splits its input into lines without copying each: it reads
// into chunks it never writes again once handed out, and returns each
// line as a string over its chunk. A string a session keeps holds its
// chunk; the chunks of sessions that are done are collected. A line that
// runs past a chunk's end is copied to the start of the next.
type lineReader struct {
	r          io.Reader
	buf        []byte // the current chunk; buf[start:end] is not yet returned
	start, end int
	err        error
	max        int  // longer lines are cut
	skip       bool // the rest of a cut line is being skipped
	empty      int  // reads in a row that returned nothing
}

const chunkSize = 64 << 10

// next returns the next line without its line end (LF, or CR LF), whether
// there was one, and whether it was cut at max. At the end of the input
// it returns the input's error (io.EOF when it just ended).
func (lr *lineReader) next() (line string, ok, cut bool, err error) {
	for {
		data := lr.buf[lr.start:lr.end]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			lr.start += i + 1
			if lr.skip {
				lr.skip = false
				continue
			}
			if i > lr.max {
				return lineOf(data[:lr.max]), true, true, nil
			}
			return lineOf(data[:i]), true, false, nil
		}
		if lr.skip {
			lr.start = lr.end
		} else if len(data) >= lr.max {
			// too long: return its first max bytes, skip the rest
			lr.start = lr.end
			lr.skip = true
			return lineOf(data[:lr.max]), true, true, nil
		}
		if lr.err != nil {
			if lr.start < lr.end {
				lr.start = lr.end
				return lineOf(data), true, false, nil
			}
			return "", false, false, lr.err
		}
		if lr.end == len(lr.buf) {
			// the chunk is full: start another with the partial line
			rem := lr.end - lr.start
			nb := make([]byte, max(chunkSize, 2*rem))
			copy(nb, lr.buf[lr.start:lr.end])
			lr.buf, lr.start, lr.end = nb, 0, rem
		}
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if n == 0 && err == nil {
			if lr.empty++; lr.empty >= 100 {
				err = io.ErrNoProgress
			}
		} else {
			lr.empty = 0
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			lr.err = err
		}
	}
}

func lineOf(b []byte) string {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
