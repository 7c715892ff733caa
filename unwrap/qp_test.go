package unwrap

import (
	"bytes"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

// checkQP holds decodeQP to mime/quotedprintable's reader: the same bytes
// when it decodes, an error from the reader when it declines.
func checkQP(t *testing.T, src []byte) {
	t.Helper()
	got, ok := decodeQP(nil, src)
	want, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(src)))
	switch {
	case ok && err != nil:
		t.Fatalf("decodeQP(%q) = %q; the reader fails: %v", src, got, err)
	case ok && !bytes.Equal(got, want):
		t.Fatalf("decodeQP(%q) = %q; the reader gives %q", src, got, want)
	case !ok && err == nil:
		t.Fatalf("decodeQP(%q) declined; the reader gives %q", src, want)
	}
}

func TestDecodeQP(t *testing.T) {
	for _, s := range []string{
		"", "plain\n", "a=3Db=3d\r\nc", "soft=\nbreak=\r\nx", "trailing   \t\r\nspace \n",
		"end=", "=", "a==41", "=4\n", "=G1 x", "=\r\n", "ab=  \n", "ab= x\n", "a=\r\r\n",
		"ctl\x01\n", "high\xe9\xff\n", "tab\there\rcr\n", "x=\rq\n", "=41=42=4", "last line=  ",
		strings.Repeat("x", 4095) + "\n" + "y", strings.Repeat("x", 4096) + "\n", strings.Repeat("x", 4096),
		strings.Repeat("x", 4095), strings.Repeat("x", 5000) + "\n",
		"<a href=3D\"http://example.com/?a=3D1&b=3D2\">=\nlink</a>\r\n",
	} {
		checkQP(t, []byte(s))
	}
}

func TestDecodeQPRandom(t *testing.T) {
	pieces := []string{"=", "\n", "\r", "\r\n", " ", "\t", "a", "Z", "3D", "4", "f", "G", "\x00", "\x7f", "\xc3\xa9", "~", "=\n", "=\r\n", "= \n"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		checkQP(t, []byte(b.String()))
	}
}

func FuzzDecodeQP(f *testing.F) {
	for _, s := range []string{"a=3Db\r\n", "soft=\n", "end=", "=G1", "x \t\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkQP(t, src) })
}

// TestQuotedPrintableParts holds the text of quoted-printable parts, read
// from their undecoded bytes, to what go-message's readers give for the
// same parts: bytes, charset conversion and the error recorded.
func TestQuotedPrintableParts(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name, ct, body string
		closed         bool
		wantErr        string
	}{
		{"plain", "text/plain", "caf=E9 http://a.example/?q=3D1\r\n", true, ""},
		{"latin1", "text/plain; charset=iso-8859-1", "Voil=E0 http://b.example/\r\n", true, ""},
		{"html", "text/html; charset=windows-1252", "<a href=3D\"http://c.example/\">=\r\n=93x=94</a>\r\n", true, ""},
		{"unknown charset", "text/plain; charset=x-nothing", "=E0 http://d.example/\r\n", true, `unknown charset "x-nothing"`},
		{"long line", "text/plain", long + "\r\n", true, "bufio: buffer full"},
		{"bad byte", "text/plain", "ok\r\nctl\x01\r\n", true, "invalid unescaped byte"},
		{"cut short", "text/plain", "caf=E9 http://e.example/\r\n", false, errUnclosed},
		{"cut after soft break", "text/plain; charset=iso-8859-1", "caf=E9=", false, errUnclosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: " + tc.ct +
				"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + tc.body
			if tc.closed {
				msg += "\r\n--b--\r\n"
			}
			ms := Messages([]byte(msg), nil)
			if len(ms[0].Text) != 1 {
				t.Fatalf("text parts %+v", ms[0].Text)
			}
			got := ms[0].Text[0].Body
			// what go-message's own reader of the part gives
			e, _ := message.Read(strings.NewReader(msg))
			mr := e.MultipartReader()
			p, _ := mr.NextPart()
			want, _ := io.ReadAll(p.Body)
			if !bytes.Equal(got, want) {
				t.Errorf("text %q, go-message reads %q", got, want)
			}
			errs := strings.Join(ms[0].Errors, "; ")
			if tc.wantErr == "" && errs != "" || !strings.Contains(errs, tc.wantErr) {
				t.Errorf("errors %q, want one with %q", errs, tc.wantErr)
			}
		})
	}
}

// TestASCIIKept checks that every charset asciiKept names decodes each
// ASCII byte to itself through go-message's charset reader.
func TestASCIIKept(t *testing.T) {
	var ascii []byte
	for c := range 0x80 {
		ascii = append(ascii, byte(c))
	}
	for ch := range asciiKept {
		r, err := message.CharsetReader(ch, bytes.NewReader(ascii))
		if err != nil {
			t.Errorf("%s: %v", ch, err)
			continue
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, ascii) {
			t.Errorf("%s: ASCII decodes to %q, %v", ch, got, err)
		}
	}
}

// Text with bytes beyond ASCII is converted from its charset as
// go-message converts it, in a single-part body and in a part.
func TestCharsetConverted(t *testing.T) {
	for _, msg := range []string{
		"Content-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9 http://a.example/\xe9\r\n",
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 http://a.example/=E9\r\n",
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\ncaf\xe9 http://a.example/\xe9\r\n--b--\r\n",
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=KOI8-R\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 http://a.example/=E9\r\n--b--\r\n",
	} {
		ms := Messages([]byte(msg), nil)
		if len(ms[0].Text) != 1 {
			t.Fatalf("%q: text %+v", msg, ms[0].Text)
		}
		e, _ := message.Read(strings.NewReader(msg))
		body := e.Body
		if mr := e.MultipartReader(); mr != nil {
			p, _ := mr.NextPart()
			body = p.Body
		}
		want, _ := io.ReadAll(body)
		if got := ms[0].Text[0].Body; !bytes.Equal(got, want) || len(ms[0].Errors) > 0 {
			t.Errorf("%q: text %q, errors %q; go-message reads %q", msg, got, ms[0].Errors, want)
		}
	}
}

// TestByteTableSameAsReader converts texts of every byte through each
// asciiKept charset's table and through go-message's charset reader.
func TestByteTableSameAsReader(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	texts := [][]byte{all, []byte("caf\xe9 http://a.example/\xe9\xe8\r\n"), []byte("plain"), nil}
	for ch := range asciiKept {
		tab := tableFor(ch)
		if tab == nil {
			t.Errorf("%s: no table", ch)
			continue
		}
		for _, text := range texts {
			for _, max := range []int64{1 << 20, 3, 0} {
				r, err := message.CharsetReader(ch, bytes.NewReader(text))
				if err != nil {
					t.Fatal(err)
				}
				want, wantCut, _ := readCapped(r, max)
				got, gotCut := tab.convert(nil, text, max)
				if !bytes.Equal(got, want) || gotCut != wantCut {
					t.Errorf("%s max %d: table %q %v, reader %q %v", ch, max, got, gotCut, want, wantCut)
				}
			}
		}
	}
	if tableFor("utf-8") != nil || tableFor("shift_jis") != nil {
		t.Errorf("a table for a charset not in asciiKept")
	}
}

// qpSpecial flags every word holding a byte qpPlain does not pass, and
// (with tab, CR and LF aside) no word of plain bytes.
func TestQPSpecial(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			var w [8]byte
			for i := range w {
				w[i] = 'a'
			}
			w[pos] = byte(c)
			got := qpSpecial(uint64(w[0])|uint64(w[1])<<8|uint64(w[2])<<16|uint64(w[3])<<24|
				uint64(w[4])<<32|uint64(w[5])<<40|uint64(w[6])<<48|uint64(w[7])<<56) != 0
			want := !qpPlain[c] || c == '\t' || c == '\r' || c == '\n'
			if got != want {
				t.Errorf("byte %#x at %d: flagged %v, want %v", c, pos, got, want)
			}
		}
	}
}
