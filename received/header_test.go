package received

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	gmtextproto "github.com/emersion/go-message/textproto"
)

// reference is what ReadHeader gave before it had a Header of its own:
// the block read through bufio's pieces (readPieces), its fields given to
// go-message's AddRaw, the Received values from its Values.
type reference struct {
	msg    *Message // Header left empty
	header gmtextproto.Header
	err    error
	off    int // where a BytesReader was left
}

func readReference(raw []byte, lim *Limits, r io.Reader) reference {
	rb := &readBuffers{}
	if lim != nil {
		rb.keep = lim.Keep
	}
	max := lim.maxBytes()
	br := NewBytesReader(raw)
	if r == nil {
		r = br
	}
	block, truncated, err := rb.readPieces(r, max)
	if err != nil && len(block) == 0 {
		return reference{err: fmt.Errorf("received: reading header: %w", err), off: br.off}
	}
	m := &Message{Truncated: truncated}
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
	var h gmtextproto.Header
	own := bytes.Clone(block)
	for i := len(rb.fields) - 1; i >= 0; i-- {
		f := rb.fields[i]
		if own[f.start] != ':' {
			h.AddRaw(own[f.start:f.end:f.end])
		}
	}
	if h.Len() == 0 {
		return reference{msg: m, header: h, err: ErrNoHeader, off: br.off}
	}
	vals := h.Values("Received")
	if maxHops := lim.maxHops(); len(vals) > maxHops {
		m.Errors = append(m.Errors, fmt.Errorf("received: %d Received fields; only the top %d were parsed", len(vals), maxHops))
		m.Truncated = true
		vals = vals[:maxHops]
	}
	m.Received = vals
	return reference{msg: m, header: h, off: br.off}
}

// errAfter reads r and fails with err once n bytes are read: a read error
// at a byte position, whatever the sizes of the reads.
type errAfter struct {
	r   io.Reader
	n   int
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, e.err
	}
	n, err := e.r.Read(p[:min(len(p), e.n)])
	e.n -= n
	return n, err
}

// sameAsReference fails unless ReadHeader gives for raw, through every
// kind of reader, what the reference gives: the same fields with the same
// keys, values and raw text as go-message's, the same Received values,
// errors and truncation, and a BytesReader left at the same place.
func sameAsReference(t *testing.T, raw []byte, lim *Limits) {
	t.Helper()
	want := readReference(raw, lim, nil)
	readers := []struct {
		name string
		r    func() io.Reader
	}{
		{"BytesReader", func() io.Reader { return NewBytesReader(raw) }},
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(raw) }},
		{"one byte a read", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(raw)) }},
		{"half a read", func() io.Reader { return iotest.HalfReader(bytes.NewReader(raw)) }},
		{"EOF with the data", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(raw)) }},
	}
	for _, rd := range readers {
		r := rd.r()
		got, err := ReadHeader(r, lim)
		compareReference(t, rd.name, got, err, want)
		if br, ok := r.(*BytesReader); ok && br.off != want.off {
			t.Errorf("BytesReader left at %d, not %d", br.off, want.off)
		}
	}
	// A read error at a byte position lands where it did.
	for _, at := range []int{0, 1, len(raw) / 2, len(raw) - 1} {
		if at < 0 || at >= len(raw) {
			continue
		}
		failing := func() io.Reader { return &errAfter{r: bytes.NewReader(raw), n: at, err: errors.New("disk on fire")} }
		got, err := ReadHeader(failing(), lim)
		compareReference(t, fmt.Sprintf("error after %d bytes", at), got, err, readReference(raw, lim, failing()))
	}
}

func compareReference(t *testing.T, how string, got *Message, err error, want reference) {
	t.Helper()
	if fmt.Sprint(err) != fmt.Sprint(want.err) {
		t.Fatalf("%s: error %v, want %v", how, err, want.err)
	}
	if (got == nil) != (want.msg == nil) {
		t.Fatalf("%s: message %v, want %v", how, got, want.msg)
	}
	if got == nil {
		return
	}
	if g, w := fieldList(got.Header), textprotoFieldList(want.header); g != w {
		t.Fatalf("%s: fields\n%s\nwant (go-message)\n%s", how, g, w)
	}
	if !reflect.DeepEqual(got.Received, want.msg.Received) || fmt.Sprint(got.Errors) != fmt.Sprint(want.msg.Errors) || got.Truncated != want.msg.Truncated {
		t.Fatalf("%s: message\n%+v\nwant\n%+v", how, got, want.msg)
	}
	for _, f := range got.Header {
		for _, name := range []string{f.Name, strings.ToLower(f.Name), strings.ToUpper(f.Name), f.Key()} {
			if g, w := got.Header.Get(name), want.header.Get(name); g != w {
				t.Fatalf("%s: Get(%q) = %q, go-message %q", how, name, g, w)
			}
			if g, w := got.Header.Values(name), want.header.Values(name); !reflect.DeepEqual(g, w) {
				t.Fatalf("%s: Values(%q) = %q, go-message %q", how, name, g, w)
			}
			if g, w := got.Header.Has(name), want.header.Has(name); g != w {
				t.Fatalf("%s: Has(%q) = %v, go-message %v", how, name, g, w)
			}
		}
	}
}

// hostileHeaders are header blocks that read oddly: every line ending,
// folding go-message trims, names it canonicalises or leaves alone, the
// mbox line, caps and malformed lines.
var hostileHeaders = []string{
	"",
	"\n",
	"\r\n",
	"\r",
	"From x\n",
	"From x",
	"From ",
	"Fro",
	"From x\r\nSubject: after mbox\r\n\r\n",
	"From x\rSubject: cr-only mbox\r\r",
	sampleMessage,
	"Received: a\r\n\tb\rX: y\n\nbody",
	"From x\n \tcont\nno colon\nBad Key: v\n:empty\n\n",
	" leading continuation\n\tmore\nSubject: s\n\n",
	"Subject:   spaced value  \t\nX-Empty:\nX-Blank:   \nX-Folded: a\n   \n\t b \n c\n\n",
	"X-Fold-Once: \r\n  only\r\n\r\n",
	"X-Only-Blank-Lines:\n \n\t\n\n",
	"message-id: <a@b>\nMESSAGE-ID: <c@d>\nMessage-ID: <e@f>\nmime-version: 1.0\n\n",
	"x-originating-ip: [192.0.2.1]\nX-ORIGINATING-IP: [192.0.2.2]\nx-ms-exchange-organization-scl: 1\n\n",
	"dkim-signature: v=1\narc-seal: i=1\nReceived-Spf: pass\nauthentication-results: x; spf=pass\n\n",
	"X(odd): parenthesis\nx(odd): lower\nX/Slash: s\nX@At: a\nx\"quote\": q\nX{brace}: b\n\n",
	"Subject : space before colon\nSubject\t: tab before colon\nTo\t \t: both\n\n",
	"Bad Name: v\nBad\x01Name: v\nBad\x7fName: v\nBad\xffName: v\nGood: v\n\n",
	"NUL: a\x00b\nX-8bit: caf\xc3\xa9 \xff\n\n",
	"A: 1\rB: 2\r\rbody\r",
	"A: 1\r\r\nB: 2\r\n\r\n",
	"A: 1\n\r\nB: 2\n\n",
	"A: 1\r\n\rB: 2\r\n\r\n",
	"A: 1\n\rB: 2\n\n",
	"A: lone cr\rinside\nB: 2\n\n",
	"A: cr at end\r",
	"A: cr lf at end\r\n",
	"A: no end",
	"A: folded\n at eof",
	"A: folded\r\n\tat cr eof\r",
	"Received: from a\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\nreceived: lower\nRECEIVED : upper spaced\nReceived:\n\n",
	strings.Repeat("junk\n", 30) + "Subject: x\n\n",
	strings.Repeat("Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\n", 120) + "\n",
	"Received: x\r",
	"From x\nno colon\n\tcont\nTo: y\r\rX: z\n",
	"X-Long: " + strings.Repeat("a", lineBuffer) + "\r\nSubject: after a long line\r\n\r\n",
	"X-Long: " + strings.Repeat("a", lineBuffer-9) + "\r\nSubject: CR at the piece's edge\r\n\r\n",
	"X-Long-Fold: a\n " + strings.Repeat("b ", lineBuffer) + "\n\n",
}

func TestHeaderAsReference(t *testing.T) {
	keepers := []func([]byte) bool{nil, func(n []byte) bool { return len(n) > 0 && n[0] != 'X' && n[0] != 'x' }}
	for i, raw := range hostileHeaders {
		for k, keep := range keepers {
			for _, max := range []int64{0, 1, 2, 3, 10, 30, 64, 200, 4096, lineBuffer, 3 * lineBuffer} {
				t.Run(fmt.Sprintf("%d/keep%d/cap%d", i, k, max), func(t *testing.T) {
					sameAsReference(t, []byte(raw), &Limits{MaxHeaderBytes: max, Keep: keep, MaxHops: 100})
				})
			}
		}
		t.Run(fmt.Sprintf("%d/nil", i), func(t *testing.T) { sameAsReference(t, []byte(raw), nil) })
	}
}

// Real messages: the test messages of this repository, and the corpora
// when SPAMTRACE_CORPUS (the 2002 corpus) or SPAMTRACE_MODERN (a folder
// of .eml files) names them.
func TestHeaderAsReferenceReal(t *testing.T) {
	var msgs [][]byte
	files, _ := filepath.Glob(filepath.Join("..", "trace", "testdata", "*.eml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	if os.Getenv("SPAMTRACE_CORPUS") != "" {
		for _, m := range loadCorpus(t) {
			msgs = append(msgs, []byte(m.Text))
		}
	}
	if dir := os.Getenv("SPAMTRACE_MODERN"); dir != "" {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
				if b, err := os.ReadFile(p); err == nil {
					msgs = append(msgs, b)
				}
			}
			return nil
		})
	}
	if len(msgs) == 0 {
		t.Skip("no messages")
	}
	keep := func(n []byte) bool { return bytes.EqualFold(n, []byte("subject")) || bytes.HasPrefix(n, []byte("X-")) }
	for _, raw := range msgs {
		sameAsReference(t, raw, nil)
		sameAsReference(t, raw, &Limits{Keep: keep})
		sameAsReference(t, raw, &Limits{MaxHeaderBytes: 1000})
	}
}

func FuzzHeaderAsReference(f *testing.F) {
	for _, h := range hostileHeaders {
		f.Add([]byte(h), int64(0), false)
	}
	f.Add([]byte("Received: a\r\n\tb\rX: y\n\nbody"), int64(20), true)
	f.Fuzz(func(t *testing.T, raw []byte, max int64, keep bool) {
		lim := &Limits{MaxHeaderBytes: max % (1 << 17), MaxHops: 5}
		if keep {
			lim.Keep = func(n []byte) bool { return len(n)%2 == 0 }
		}
		sameAsReference(t, raw, lim)
	})
}

// Key is go-message's key, net/textproto's canonical form, for every name
// a header may hold.
func TestFieldKey(t *testing.T) {
	names := []string{
		"", "a", "A", "-", "--", "a-", "-a", "message-id", "Message-ID", "MESSAGE-ID", "Message-Id",
		"x-ms-exchange-organization-scl", "X-MS-Exchange-Organization-SCL", "dkim-signature",
		"X-Originating-IP", "x-originating-ip", "received-spf", "Received-SPF", "RECEIVED",
		"X(odd)", "x(odd)", "X/Slash", "x y", "X\x7fY", "caf\xc3\xa9", "X_under", "x_under",
		"X.dot.name", "x1-2y", "1x", "~tilde", "X-Ünïcode", "K\u212aelvin", "ſubject",
	}
	for _, row := range knownKeys {
		for _, k := range row {
			names = append(names, k, strings.ToLower(k), strings.ToUpper(k))
		}
	}
	for _, n := range names {
		f := Field{Name: n}
		if got, want := f.Key(), textproto.CanonicalMIMEHeaderKey(n); got != want {
			t.Errorf("Key(%q) = %q, want %q", n, got, want)
		}
		for _, m := range names {
			if got, want := f.Is(m), textproto.CanonicalMIMEHeaderKey(n) == textproto.CanonicalMIMEHeaderKey(m); got != want {
				t.Errorf("Field{%q}.Is(%q) = %v, want %v", n, m, got, want)
			}
		}
	}
}

// The known keys are canonical: a typo there would change a key.
func TestKnownKeysCanonical(t *testing.T) {
	for n, row := range knownKeys {
		for _, k := range row {
			if len(k) != n || textproto.CanonicalMIMEHeaderKey(k) != k {
				t.Errorf("known key %q (length %d) is not canonical", k, n)
			}
		}
	}
}

func TestHeaderNoAllocs(t *testing.T) {
	m, err := ReadHeader(strings.NewReader(sampleMessage), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	n := testing.AllocsPerRun(100, func() {
		for i := range h {
			_ = h[i].Key()
			_ = h[i].Is("message-id")
		}
		_ = h.Get("SUBJECT")
		_ = h.Has("x-nothing")
		_ = Field{Name: "MESSAGE-ID"}.Key()
		_ = Field{Name: "x-originating-ip"}.Key()
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// A header read in place allocates its Message, its string, its fields
// and its Received values, and nothing per field.
func TestReadHeaderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are not the program's (sync.Pool drops items)")
	}
	br := NewBytesReader([]byte(sampleMessage))
	n := testing.AllocsPerRun(100, func() {
		br.off = 0
		if _, err := ReadHeader(br, nil); err != nil {
			t.Fatal(err)
		}
	})
	if n != 4 {
		t.Errorf("%v allocations, want 4", n)
	}
}

func ExampleHeader() {
	raw := "Received: from a.example ([192.0.2.1])\n\tby b.example; Mon, 1 Jan 2024 00:00:00 +0000\n" +
		"Message-ID: <1@a.example>\nSubject: hello\n  again\n\nbody\n"
	m, err := ReadHeader(strings.NewReader(raw), nil)
	if err != nil {
		panic(err)
	}
	for _, f := range m.Header {
		fmt.Printf("%s (%s): %q\n", f.Name, f.Key(), f.Value)
	}
	fmt.Println(m.Header.Get("subject"))
	// Output:
	// Received (Received): "from a.example ([192.0.2.1]) by b.example; Mon, 1 Jan 2024 00:00:00 +0000"
	// Message-ID (Message-Id): "<1@a.example>"
	// Subject (Subject): "hello again"
	// hello again
}

// TestLineNameWords checks lineName's eight-bytes-at-a-time reading of a
// name against a byte at a time, for every byte value at every place of
// lines of 1 to 24 bytes.
func TestLineNameWords(t *testing.T) {
	slow := func(l []byte) (int, int, bool) {
		i := 0
		for i < len(l) && nameBytes[l[i]] {
			i++
		}
		n := i
		for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
			i++
		}
		if i < len(l) && l[i] == ':' {
			return n, i, true
		}
		return 0, 0, false
	}
	for _, base := range []string{"X-Originating-IP:  x y", "Received: from a by b", "Subject \t: hello there!", "abcdefghijklmnopqrstuvwx"} {
		for n := 1; n <= len(base); n++ {
			for at := 0; at < n; at++ {
				for c := 0; c < 256; c++ {
					l := []byte(base[:n])
					l[at] = byte(c)
					e1, c1, ok1 := lineName(l)
					e2, c2, ok2 := slow(l)
					if e1 != e2 || c1 != c2 || ok1 != ok2 {
						t.Fatalf("lineName(%q) = %d, %d, %v, want %d, %d, %v", l, e1, c1, ok1, e2, c2, ok2)
					}
				}
			}
		}
	}
}
