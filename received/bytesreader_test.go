package received

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// readBoth reads raw through a plain io.Reader (bufio's path) and in
// place: through a BytesReader, a *bytes.Reader and a *strings.Reader. It
// fails unless all agree on everything ReadMessage returns.
func readBoth(t testing.TB, raw []byte, lim *Limits) {
	t.Helper()
	want, werr := ReadMessage(struct{ io.Reader }{bytes.NewReader(raw)}, lim)
	br := NewBytesReader(raw)
	bsr := bytes.NewReader(raw)
	ssr := strings.NewReader(string(raw))
	for _, r := range []io.Reader{br, bsr, ssr} {
		got, gerr := ReadMessage(r, lim)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("%T: error %v, through bufio %v", r, gerr, werr)
		}
		if (want == nil) != (got == nil) {
			t.Fatalf("%T: message %v, through bufio %v", r, got, want)
		}
		if want == nil {
			continue
		}
		if w, g := fieldList(want.Header), fieldList(got.Header); w != g {
			t.Fatalf("%T: header\n%q\nthrough bufio\n%q", r, g, w)
		}
		if !reflect.DeepEqual(want.Received, got.Received) || !reflect.DeepEqual(want.Hops, got.Hops) ||
			fmt.Sprint(want.HopErrs) != fmt.Sprint(got.HopErrs) || fmt.Sprint(want.Errors) != fmt.Sprint(got.Errors) ||
			want.Truncated != got.Truncated {
			t.Fatalf("%T: message\n%+v\nthrough bufio\n%+v", r, got, want)
		}
	}
	if br.off > len(raw) {
		t.Fatalf("reader at %d of %d bytes", br.off, len(raw))
	}
	// Read in place, the two standard readers are left where a
	// BytesReader is; read through bufio, at most a read further on.
	bpos, spos := bsr.Size()-int64(bsr.Len()), ssr.Size()-int64(ssr.Len())
	if bpos != spos || bpos < int64(br.off) || bpos > int64(len(raw)) {
		t.Fatalf("bytes.Reader at %d, strings.Reader at %d, BytesReader at %d, of %d bytes", bpos, spos, br.off, len(raw))
	}
}

// A header read in place from a *bytes.Reader or *strings.Reader leaves
// the body to be read from where the header ended.
func TestStandardReadersInPlace(t *testing.T) {
	const raw = "From x@y Mon Jan  1 00:00:00 2024\nSubject: hi\r\nReceived: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nthe body\r\n"
	for _, r := range []interface {
		io.Reader
		io.Seeker
	}{bytes.NewReader([]byte(raw)), strings.NewReader(raw)} {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		m, err := ReadHeader(r, nil)
		if err != nil || len(m.Received) != 1 || m.Header.Get("Subject") != "hi" {
			t.Fatalf("%T: %v, %+v", r, err, m)
		}
		rest, _ := io.ReadAll(r)
		if string(rest) != "the body\r\n" {
			t.Fatalf("%T: after the header %q", r, rest)
		}
		// Already at its end: no header, as from any reader.
		if _, err := ReadHeader(r, nil); err == nil {
			t.Fatalf("%T: a header read from an exhausted reader", r)
		}
	}
}

// Lines around the read buffer's size, CRs at its edge, and every byte
// cap near it: where bufio cuts a long line decides where a cap cuts the
// block, and the in-place reading must cut at the same place.
func TestBytesReaderAsBufio(t *testing.T) {
	hop := "Received: from a.example ([192.0.2.1]) by b.example; Mon, 1 Jan 2024 00:00:00 +0000"
	var inputs []string
	for _, n := range []int{lineBuffer - 2, lineBuffer - 1, lineBuffer, lineBuffer + 1, 2*lineBuffer - 1, 2 * lineBuffer} {
		long := "X-Long: " + strings.Repeat("a", n-len("X-Long: "))
		inputs = append(inputs,
			long+"\r\n"+hop+"\r\n\r\nbody",
			"From x@y Mon Jan  1 00:00:00 2024\n"+long+"\n"+hop+"\n\nbody",
			"From "+long+"\n"+hop+"\n\n",
			hop+"\r"+long+"\r\r"+strings.Repeat("body\r", lineBuffer),
			hop+"\n"+long[:n-1]+"\r\n\r\n",
			hop+"\n"+long[:n-1]+"\r",
			long,
		)
	}
	inputs = append(inputs, "", "\n", "\r\n", "From x\n", " leading space\n"+hop+"\n\n", strings.Repeat("no colon\n", 30)+hop+"\n\n")
	for i, in := range inputs {
		readBoth(t, []byte(in), nil)
		for _, max := range []int64{1, 2, 50, lineBuffer - 3, lineBuffer - 2, lineBuffer - 1, lineBuffer, lineBuffer + 1, lineBuffer + 80, 2 * lineBuffer} {
			t.Run(fmt.Sprintf("%d/cap%d", i, max), func(t *testing.T) {
				readBoth(t, []byte(in), &Limits{MaxHeaderBytes: max})
				readBoth(t, []byte(in), &Limits{MaxHeaderBytes: max, Keep: func(n []byte) bool { return n[0] != 'X' }})
			})
		}
	}
}

// Hostile inputs read in place as through bufio.
func TestBytesReaderHostile(t *testing.T) {
	for name, in := range map[string]string{
		"20 MB line":       "Received: from " + strings.Repeat("a", 20<<20) + "\r\n\r\n",
		"20 MB of CR":      "Subject: x" + strings.Repeat("\r", 20<<20),
		"100,000 Received": strings.Repeat("Received: from x ([192.0.2.1]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 100000) + "\r\n",
		"no colon":         strings.Repeat("no colon here\n", 1<<16) + "\n",
	} {
		t.Run(name, func(t *testing.T) { readBoth(t, []byte(in), nil) })
	}
}

// Read continues after the header reading where it stopped.
func TestBytesReaderRead(t *testing.T) {
	raw := "Subject: a\n\nthe body\n"
	r := NewBytesReader([]byte(raw))
	if _, err := ReadHeader(r, nil); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || string(rest) != "the body\n" {
		t.Errorf("rest %q, %v", rest, err)
	}
}

func FuzzBytesReader(f *testing.F) {
	f.Add([]byte("Received: from a ([192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: x\r\n\r\nbody"), int64(0))
	f.Add([]byte("From x\nno colon\n\tcont\nTo: y\r\rX: z\n"), int64(20))
	f.Add([]byte("Received: x\r"), int64(3))
	f.Fuzz(func(t *testing.T, raw []byte, max int64) {
		readBoth(t, raw, &Limits{MaxHeaderBytes: max % (1 << 16)})
	})
}
