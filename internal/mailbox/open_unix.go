//go:build unix

package mailbox

import (
	"io"
	"io/fs"
	"syscall"
)

// fdFile reads a file through its descriptor. A bulk run opens thousands
// of small files; os.Open would also try to register each one with the
// runtime's poller (which refuses regular files, one wasted system call
// per file) and set up a finaliser. The descriptor is closed by Close and
// never escapes the reader that opened it.
type fdFile struct {
	fd   int
	path string
}

func openFile(path string) (*fdFile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == nil {
			return &fdFile{fd: fd, path: path}, nil
		}
		if err != syscall.EINTR {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

func (f *fdFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *fdFile) Close() error {
	return syscall.Close(f.fd)
}

// size is the file's size, or -1 when it is unknown.
func (f *fdFile) size() int64 {
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return -1
	}
	return st.Size
}
