// Package mailbox walks the inputs of a bulk run: single message files,
// directories (recursively), mbox files (mboxo and mboxrd) and Maildir
// folders, yielding each message's bytes with where it came from.
//
// A file of up to a few MiB is read whole (open, read to its end, close)
// and split in memory; a larger one, and standard input, is streamed.
// Both give the same messages. Walk, Paths and ReadPath may run in several
// goroutines at once.
package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Message is one message found in the inputs.
type Message struct {
	File     string // the file it came from ("-" for standard input)
	Position int    // 1-based position inside an mbox; 0 for a one-message file
	Data     []byte // the raw message (for mbox: with ">From " unquoted, without the "From " line)
	Err      error  // reading failed; Data may be partial
	// End is how far into its file the message ends, in bytes: a
	// measure of progress through a large mbox. Zero when not known.
	End int64
}

// Options caps what a walk may read.
type Options struct {
	// MaxMessageBytes caps one message; the rest is dropped and Err set.
	// Zero means 64 MiB.
	MaxMessageBytes int
	// HeaderOnly keeps only the header block of each message (up to the
	// first empty line), which is all a trace needs.
	HeaderOnly bool
	// Borrow lets the walk reuse a message's memory once fn returns:
	// Data is valid only during the call. Zero (false) gives every
	// Message its own Data.
	Borrow bool
}

func (o *Options) max() int {
	if o == nil || o.MaxMessageBytes <= 0 {
		return 64 << 20
	}
	return o.MaxMessageBytes
}

// Walk calls fn for every message in paths, in order: directories in
// lexical order of their entries. "-" reads standard input (stdin). A path
// that cannot be read, or a directory entry Paths skips, yields one
// Message with Err set (a [*SkippedError] for the latter); the walk goes
// on.
// fn returning false stops the walk.
func Walk(paths []string, stdin io.Reader, opt *Options, fn func(Message) bool) {
	ok := true
	Paths(paths, func(path string, err error) bool {
		if err != nil {
			ok = fn(Message{File: path, Err: err})
			return ok
		}
		ReadPath(path, stdin, opt, func(m Message) bool {
			ok = fn(m)
			return ok
		})
		return ok
	})
}

// isMaildir reports whether dir has the cur, new and tmp folders of a
// Maildir.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new", "tmp"} {
		st, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !st.IsDir() {
			return false
		}
	}
	return true
}

// readStream reads one message, or every message of an mbox (a stream that
// starts with "From ").
func readStream(name string, r io.Reader, opt *Options, fn func(Message) bool) bool {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	head, _ := br.Peek(5)
	if string(head) == "From " {
		return readMbox(name, br, opt, fn)
	}
	data, err := readMessage(br, opt)
	return fn(Message{File: name, Data: data, Err: err})
}

// readers are reused: a bulk run reads thousands of small files.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

var errTooLarge = errors.New("mailbox: message larger than the limit; truncated")

func readMessage(br *bufio.Reader, opt *Options) ([]byte, error) {
	max := opt.max()
	var buf bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// a very long line: keep reading it in pieces
			err = nil
		}
		if buf.Len()+len(line) > max {
			buf.Write(line[:max-buf.Len()])
			return buf.Bytes(), errTooLarge
		}
		buf.Write(line)
		if opt != nil && opt.HeaderOnly && isBlank(line) && !endsMidLine(buf.Bytes(), line) {
			return buf.Bytes(), nil
		}
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return buf.Bytes(), err
		}
	}
}

func endsMidLine(all, line []byte) bool {
	// line is the whole line only when what precedes it ended in '\n'.
	n := len(all) - len(line)
	return n > 0 && all[n-1] != '\n'
}

func isBlank(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

// readMbox splits an mbox at lines starting "From " and unquotes ">From "
// lines. mboxo quotes only "From " and mboxrd also ">From ", ">>From "…;
// removing one '>' from any line matching ^>+From  reads both (an mboxo
// file's genuine ">From " line inside a body loses its '>', the known
// ambiguity of that format).
func readMbox(name string, br *bufio.Reader, opt *Options, fn func(Message) bool) bool {
	max := opt.max()
	var buf bytes.Buffer
	pos := 0
	inHeader := true
	truncated := false
	bodyWritten := false
	var consumed, end int64 // bytes read; where the current message ends
	emit := func() bool {
		if pos == 0 {
			return true
		}
		var err error
		if truncated {
			err = errTooLarge
		}
		data := bytes.Clone(buf.Bytes())
		// The blank line before the next "From " belongs to the mbox.
		if bodyWritten && bytes.HasSuffix(data, []byte("\n\n")) {
			data = data[:len(data)-1]
		}
		return fn(Message{File: name, Position: pos, Data: data, Err: err, End: end})
	}
	startOfLine := true
	for {
		line, err := br.ReadSlice('\n')
		end = consumed
		consumed += int64(len(line))
		long := err == bufio.ErrBufferFull
		if long {
			err = nil
		}
		if startOfLine && bytes.HasPrefix(line, []byte("From ")) {
			if !emit() {
				return false
			}
			pos++
			buf.Reset()
			inHeader, truncated, bodyWritten = true, false, false
		} else if pos > 0 {
			if startOfLine && quotedFrom(line) {
				line = line[1:]
			}
			skip := truncated || (opt != nil && opt.HeaderOnly && !inHeader)
			if !skip {
				if buf.Len()+len(line) > max {
					truncated = true
				} else {
					buf.Write(line)
					bodyWritten = bodyWritten || !inHeader
				}
			}
			if startOfLine && !long && isBlank(line) {
				inHeader = false
			}
		}
		startOfLine = !long
		if err == io.EOF {
			end = consumed
			return emit()
		}
		if err != nil {
			if pos == 0 {
				pos = 1
			}
			return fn(Message{File: name, Position: pos, Data: buf.Bytes(), Err: fmt.Errorf("mailbox: %w", err)})
		}
	}
}

func quotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

// SkippedError is the error Paths passes with a directory entry it does
// not read: a named pipe (reading one could block for ever), a socket or
// device, a dangling symbolic link, a link to a directory (not followed,
// so a link cannot make the walk loop), or a directory that cannot be
// listed. Paths named by the caller are read whatever their type.
type SkippedError struct {
	Path   string
	Reason string // e.g. "a named pipe (fifo)", "a dangling symbolic link"
	Err    error  // the underlying error, if any
}

func (e *SkippedError) Error() string {
	s := "mailbox: skipped " + e.Path + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *SkippedError) Unwrap() error { return e.Err }

// Paths calls fn for every file the inputs name, in Walk's order, without
// reading them: directories are searched recursively and Maildir folders
// give their new and cur messages. "-" is passed through. An input that
// cannot be listed is passed with its error; a directory entry that is not
// read is passed with a [*SkippedError]. fn returning false stops.
func Paths(paths []string, fn func(path string, err error) bool) {
	for _, p := range paths {
		if p == "-" {
			if !fn(p, nil) {
				return
			}
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			if !fn(p, err) {
				return
			}
			continue
		}
		if !st.IsDir() {
			if !fn(p, nil) {
				return
			}
			continue
		}
		// Files are passed on as the walk finds them, so the reading
		// can start before a large tree is listed.
		if !walkDir(p, fn) {
			return
		}
	}
}

// entry passes one directory entry on: a regular file (or a link to one)
// with no error, anything else as skipped.
func entry(path string, mode fs.FileMode, fn func(path string, err error) bool) bool {
	if mode.IsRegular() {
		return fn(path, nil)
	}
	if mode&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			return fn(path, &SkippedError{Path: path, Reason: "a dangling symbolic link"})
		case err != nil:
			return fn(path, &SkippedError{Path: path, Reason: "a symbolic link that cannot be followed", Err: unwrapPath(err)})
		case st.Mode().IsRegular():
			return fn(path, nil)
		case st.IsDir():
			return fn(path, &SkippedError{Path: path, Reason: "a symbolic link to a directory (not followed)"})
		}
		mode = st.Mode()
	}
	return fn(path, &SkippedError{Path: path, Reason: kind(mode)})
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (fifo)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// walkDir passes the files under dir to fn in lexical order; a Maildir
// gives its new and then its cur messages. It reports false when fn
// stopped the walk.
func walkDir(dir string, fn func(path string, err error) bool) bool {
	if isMaildir(dir) {
		for _, sub := range []string{"new", "cur"} {
			p := filepath.Join(dir, sub)
			ents, err := os.ReadDir(p) // sorted by name
			if err != nil {
				if !fn(p, &SkippedError{Path: p, Reason: "a directory that cannot be listed", Err: unwrapPath(err)}) {
					return false
				}
				continue
			}
			for _, e := range ents {
				if !entry(filepath.Join(p, e.Name()), e.Type(), fn) {
					return false
				}
			}
		}
		return true
	}
	ok := true
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			ok = fn(path, &SkippedError{Path: path, Reason: "a directory that cannot be listed", Err: unwrapPath(err)})
		case d.IsDir():
			if path != dir && d.Name() == "tmp" && isMaildir(filepath.Dir(path)) {
				return fs.SkipDir
			}
		default:
			ok = entry(path, d.Type(), fn)
		}
		if !ok {
			return fs.SkipAll
		}
		return nil
	})
	return ok
}

// ReadPath reads the message, or every message of the mbox, at path ("-"
// for stdin) and calls fn for each.
func ReadPath(path string, stdin io.Reader, opt *Options, fn func(Message) bool) {
	if path == "-" {
		readStream("-", stdin, opt, fn)
		return
	}
	readFile(path, opt, fn)
}
