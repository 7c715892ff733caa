//go:build !unix

package mailbox

import "os"

type fdFile struct{ *os.File }

func openFile(path string) (*fdFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &fdFile{f}, nil
}

// size is the file's size, or -1 when it is unknown.
func (f *fdFile) size() int64 {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return -1
	}
	return st.Size()
}
