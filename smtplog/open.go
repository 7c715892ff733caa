package smtplog

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Open opens a log file for reading, decompressing it when it is gzip
// (recognised by its first bytes, whatever its name).
func Open(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("smtplog: %w", err)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("smtplog: %s: %w", name, err)
		}
		return &fileReader{r: zr, z: zr, f: f}, nil
	}
	return &fileReader{r: br, f: f}, nil
}

type fileReader struct {
	r io.Reader
	z *gzip.Reader
	f *os.File
}

func (fr *fileReader) Read(p []byte) (int, error) { return fr.r.Read(p) }

func (fr *fileReader) Close() error {
	if fr.z != nil {
		fr.z.Close()
	}
	return fr.f.Close()
}

// rotation returns the rotation number of a log file name: 0 for
// "maillog", 1 for "maillog.1", 2 for "maillog.2.gz"; -1 when the name
// has no number (a date-stamped "maillog-20240312" sorts by name).
func rotation(name string) int {
	base := filepath.Base(name)
	base = strings.TrimSuffix(base, ".gz")
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(base[i+1:])
	if err != nil {
		return 0
	}
	return n
}

// SortRotated orders log file names oldest first: within one base name,
// by rotation number ("maillog.3.gz", "maillog.2.gz", "maillog.1",
// "maillog"); other names keep their order by name.
func SortRotated(names []string) {
	stem := func(n string) string {
		b := strings.TrimSuffix(n, ".gz")
		if i := strings.LastIndexByte(b, '.'); i >= 0 {
			if _, err := strconv.Atoi(b[i+1:]); err == nil {
				return b[:i]
			}
		}
		return b
	}
	sort.SliceStable(names, func(i, j int) bool {
		si, sj := stem(names[i]), stem(names[j])
		if si != sj {
			return si < sj
		}
		return rotation(names[i]) > rotation(names[j])
	})
}

// OpenFiles opens several log files as one stream, in the order given
// (see [SortRotated]), so that a session that spans a rotation is read
// whole. A line end is added after a file that lacks one. Each file is
// opened when the one before is done; an error opening it ends the stream
// with that error.
func OpenFiles(names []string) io.ReadCloser {
	return &multiFile{names: names}
}

type multiFile struct {
	names   []string
	cur     io.ReadCloser
	lastNL  bool
	started bool
}

func (m *multiFile) Read(p []byte) (int, error) {
	for {
		if m.cur == nil {
			if len(m.names) == 0 {
				return 0, io.EOF
			}
			if m.started && !m.lastNL && len(p) > 0 {
				m.lastNL = true
				p[0] = '\n'
				return 1, nil
			}
			f, err := Open(m.names[0])
			if err != nil {
				return 0, err
			}
			m.names = m.names[1:]
			m.cur, m.started, m.lastNL = f, true, true
		}
		n, err := m.cur.Read(p)
		if n > 0 {
			m.lastNL = p[n-1] == '\n'
		}
		if err == io.EOF {
			m.cur.Close()
			m.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (m *multiFile) Close() error {
	if m.cur != nil {
		return m.cur.Close()
	}
	return nil
}
