package smtplog

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readLines(t *testing.T, r io.Reader, max int) (lines []string, cut int, err error) {
	t.Helper()
	lr := lineReader{r: r, max: max}
	for {
		l, ok, c, e := lr.next()
		if !ok {
			return lines, cut, e
		}
		if c {
			cut++
		}
		lines = append(lines, l)
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 3*chunkSize+17)
	in := "a\r\nb\n\n" + long + "\nc\r\n" + strings.Repeat("y", chunkSize-3) + "\nlast"
	want := []string{"a", "b", "", long[:2*chunkSize], "c", strings.Repeat("y", chunkSize-3), "last"}
	for name, r := range map[string]func() io.Reader{
		"plain":   func() io.Reader { return strings.NewReader(in) },
		"onebyte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		"half":    func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
		"dataerr": func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
	} {
		got, cut, err := readLines(t, r(), 2*chunkSize)
		if err != io.EOF || cut != 1 || len(got) != len(want) {
			t.Fatalf("%s: %d lines, %d cut, %v", name, len(got), cut, err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: line %d: %d bytes, want %d", name, i, len(got[i]), len(want[i]))
			}
		}
	}
	// lines handed out stay intact while later ones are read
	first, _, _, _ := (&lineReader{r: strings.NewReader(in), max: 1 << 20}).next()
	if first != "a" {
		t.Errorf("first %q", first)
	}
	if _, _, err := readLines(t, iotest.ErrReader(errors.New("boom")), 10); err == nil || err.Error() != "boom" {
		t.Errorf("error %v", err)
	}
	if _, _, err := readLines(t, emptyReader{}, 10); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("no progress: %v", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestLinesKeptAcrossChunks(t *testing.T) {
	// sessions keep strings over the input's chunks: reading on must not
	// change them
	var b strings.Builder
	for b.Len() < 4*chunkSize {
		b.WriteString(formatSamples["postfix-interleaved"])
	}
	ss, _ := readAll(t, b.String(), &Config{Year: 2024})
	for _, s := range ss {
		if s.Client.IsValid() && s.ClientName != "a.example.net" && s.ClientName != "unknown" {
			t.Fatalf("client name %q", s.ClientName)
		}
		for _, m := range s.Messages {
			if m.MessageID != "" && m.MessageID != "<m1@example.net>" {
				t.Fatalf("message id %q", m.MessageID)
			}
		}
	}
}
