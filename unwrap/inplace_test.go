package unwrap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/internal/corpus"
)

// describe writes out everything Messages returns, for comparing two
// readings (an empty body and a nil one alike).
func describe(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "part %q parent %q nesting %d headerOnly %v attached %q errors %q raw %q\n",
			m.Part, m.Parent, m.Nesting, m.HeaderOnly, m.Attached, m.Errors, m.Raw)
		for _, t := range m.Text {
			fmt.Fprintf(&b, "  text %q html %v truncated %v body %q\n", t.Part, t.HTML, t.Truncated, t.Body)
		}
	}
	return b.String()
}

// readBoth returns Messages read in place (when it does not give up) and
// by the walk, and whether the in-place reading kept the message.
func readBoth(raw []byte, lim *Limits) (inPlaceOut, walkOut string, kept bool) {
	f := inPlace{lim: lim.orDefaults()}
	kept = f.message(stripFromLine(raw), "", "", 0, 0, false)
	walkOnly = true
	defer func() { walkOnly = false }()
	walkOut = describe(Messages(raw, lim))
	if kept {
		inPlaceOut = describe(f.out)
	}
	return inPlaceOut, walkOut, kept
}

func TestInPlaceSameAsWalk(t *testing.T) {
	const body = "Visit http://win.prizes.example/now\r\n"
	mp := func(ct, parts string) string {
		return "Subject: x\r\nContent-Type: " + ct + "\r\n\r\n" + parts
	}
	tests := []struct {
		name string
		raw  string
		lim  *Limits
		kept bool // read in place (else left to the walk)
	}{
		{"no header fields", "\r\n" + body, nil, true},
		{"no body", "Subject: x\r\n", nil, true},
		{"mbox From line", "From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\n" + body, nil, true},
		{"plain", "Content-Type: text/plain\r\n\r\n" + body, nil, true},
		{"html upper case", "CONTENT-TYPE: TEXT/HTML; CHARSET=US-ASCII\r\n\r\n<a href=x>" + body, nil, true},
		{"folded type", "Content-Type: text/html;\r\n\tcharset=\"utf-8\"\r\n \r\n\r\n" + body, nil, true},
		{"type only", "Content-Type: text\r\n\r\n" + body, nil, true},
		{"image", "Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGOD==\r\n", nil, true},
		{"second type ignored", "Content-Type: text/html\r\nContent-Type: text/plain\r\n\r\n" + body, nil, true},
		{"empty type", "Content-Type:\r\n\r\n" + body, nil, true},
		{"trailing semicolon", "Content-Type: text/plain; charset=us-ascii;\r\n\r\n" + body, nil, true},
		{"duplicate parameter", "Content-Type: text/plain; charset=a; charset=b\r\n\r\n" + body, nil, false},
		{"same parameter twice", "Content-Type: text/plain; charset=utf-8; charset=utf-8\r\n\r\n" + body, nil, true},
		{"bad type", "Content-Type: text/plain/x\r\n\r\n" + body, nil, false},
		{"bad parameter", "Content-Type: text/plain; charset\r\n\r\n" + body, nil, false},
		{"continuation parameter", "Content-Type: text/plain; charset*=utf-8''x\r\n\r\n" + body, nil, false},
		{"encoded word", "Content-Type: text/plain; charset=\"=?utf-8?q?x?=\"\r\n\r\n" + body, nil, false},
		{"malformed Content field", "Content-Foo\r\nContent-Type: text/html\r\n\r\n" + body, nil, false},
		{"bad key", "Content-Type x: text/html\r\n\r\n" + body, nil, false},
		{"other field without colon", "Subject\r\nContent-Type: text/html\r\n\r\n" + body, nil, true},
		{"quoted-printable", "Content-Transfer-Encoding: Quoted-Printable\r\n\r\nVisit http://a.example/=\r\nnow=3D1\r\n", nil, true},
		{"latin-1", "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nVoil\xe0 http://a.example/\r\n", nil, true},
		{"latin-1 cut", "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nVoil\xe0 http://a.example/\r\n", &Limits{MaxPartBytes: 5}, true},
		{"unknown charset", "Content-Type: text/plain; charset=x-nothing\r\n\r\n" + body, nil, false},
		{"unknown encoding", "Content-Transfer-Encoding: x-uuencode\r\n\r\n" + body, nil, false},
		{"base64 text", "Content-Transfer-Encoding: base64\r\n\r\naHR0cDov\r\nL2EuZXhh\tbXBsZS8=\r\n", nil, true},
		{"base64 latin-1", "Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: BASE64\r\n\r\n4OHi\r\n", nil, true},
		{"base64 unpadded", "Content-Transfer-Encoding: base64\r\n\r\naGk\r\n", nil, false},
		{"base64 junk", "Content-Transfer-Encoding: base64\r\n\r\naG!k\r\n", nil, false},
		{"base64 after padding", "Content-Transfer-Encoding: base64\r\n\r\naGk=aGk=\r\n", nil, false},
		{"base64 cut", "Content-Transfer-Encoding: base64\r\n\r\naHR0cDovL2EuZXhhbXBsZS8=\r\n", &Limits{MaxPartBytes: 4}, true},
		{"cut text", "\r\n" + body, &Limits{MaxTextBytes: 7}, true},
		{"multipart", mp("multipart/alternative; boundary=\"b\"",
			"preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\n"+body+"--b\r\nContent-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>=E0 http://b.example/</p>\r\n--b--\r\nepilogue\r\n"), nil, true},
		{"multipart LF", "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" + body + "--b \t\nContent-Type: image/png\n\nxx\n--b--", nil, true},
		{"multipart empty part", mp("multipart/mixed; boundary=b", "--b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"), nil, true},
		{"multipart boundary-like line", mp("multipart/mixed; boundary=b", "--b\r\n\r\nx\r\n--bb\r\n--b--\r\n"), nil, true},
		{"multipart not closed", mp("multipart/mixed; boundary=b", "--b\r\n\r\n"+body), nil, false},
		{"multipart no parts", mp("multipart/mixed; boundary=b", "just text\r\n"), nil, false},
		{"multipart closed at once", mp("multipart/mixed; boundary=b", "--b--"), nil, true},
		{"multipart LF delimiter in CRLF body", mp("multipart/mixed; boundary=b", "--b\r\n\r\nx\n--b\r\n--b--\r\n"), nil, true},
		{"multipart junk after part", mp("multipart/mixed; boundary=b", "--b\r\n\r\nx\r\n--b-x\r\n"), nil, false},
		{"multipart part header malformed", mp("multipart/mixed; boundary=b", "--b\r\nno colon\r\n\r\nx\r\n--b--\r\n"), nil, false},
		{"multipart part header folded first", mp("multipart/mixed; boundary=b", "--b\r\n folded\r\n\r\nx\r\n--b--\r\n"), nil, false},
		{"multipart empty boundary", mp("multipart/mixed; boundary=\"\"", "--\r\n\r\nx\r\n----\r\n"), nil, false},
		{"nested", mp("multipart/mixed; boundary=o",
			"--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\n"+body+"--i--\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n"+spam+"\r\n--o--\r\n"), nil, true},
		{"forwarded qp", forward("8bit", spam, spam), nil, true},
		{"forwarded base64", forward("base64", spam), nil, true},
		{"too many attached", forward("8bit", spam, spam), &Limits{MaxAttached: 1}, false},
		{"too deep", forward("8bit", forward("8bit", spam)), &Limits{MaxNesting: 1}, false},
		{"too many parts", forward("8bit", spam, spam), &Limits{MaxParts: 2}, false},
		{"attached cut", forward("8bit", spam), &Limits{MaxPartBytes: 40}, false},
		{"headers part", mp("multipart/report; report-type=feedback-report; boundary=r",
			"--r\r\n\r\nreport\r\n--r\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nReceived: from a\r\nSubject: s\r\n\r\nbody\r\n--r--\r\n"), nil, true},
		{"report third part unlabelled", mp("multipart/report; report-type=Feedback-Report; boundary=r",
			"--r\r\n\r\nreport\r\n--r\r\n\r\nx\r\n--r\r\nContent-Type: text/plain\r\n\r\n"+spam+"\r\n--r--\r\n"), nil, true},
		{"digest", mp("multipart/digest; boundary=g", "--g\r\n\r\n"+spam+"\r\n--g\r\nContent-Type: text/plain\r\n\r\nnote\r\n--g--\r\n"), nil, true},
		{"long preamble line", mp("multipart/mixed; boundary=b", strings.Repeat("x", 5000)+"\r\n--b\r\n\r\nx\r\n--b--\r\n"), nil, false},
		{"text room used up", mp("multipart/mixed; boundary=b", "--b\r\n\r\n0123456789\r\n--b\r\n\r\nmore\r\n--b--\r\n"), &Limits{MaxTextBytes: 10}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want, kept := readBoth([]byte(tt.raw), tt.lim)
			if kept != tt.kept {
				t.Errorf("read in place %v, want %v", kept, tt.kept)
			}
			if kept && got != want {
				t.Errorf("in place:\n%s\nwalk:\n%s", got, want)
			}
		})
	}
}

func FuzzInPlace(f *testing.F) {
	f.Add([]byte(forward("8bit", spam, forward("8bit", spam))))
	f.Add([]byte(spam))
	f.Add([]byte(forward("base64", spam)))
	f.Add([]byte("Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n4OHi IGh0\tdHA6\r\n\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n<a href=3Dx>\xe0</a>\n--b--\n"))
	f.Add([]byte("Content-Type: multipart/report; report-type=feedback-report; boundary=r\n\n--r\n\n--r\n\n--r\nContent-Type: text/rfc822-headers\n\nA: b\n--r--\n"))
	f.Add([]byte("Content-Type: multipart/digest; boundary=g\n\n--g\n\nSubject: x\n\n--g--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		lim := &Limits{MaxPartBytes: 1 << 12, MaxTextBytes: 1 << 12, MaxParts: 20}
		got, want, kept := readBoth(raw, lim)
		if kept && got != want {
			t.Fatalf("in place:\n%s\nwalk:\n%s", got, want)
		}
	})
}

// Over the 2002 corpus (SPAMTRACE_CORPUS names its data directory) and
// the modern one (SPAMTRACE_MODERN) the in-place reading gives the walk's
// Messages, and keeps most messages.
func TestInPlaceCorpus(t *testing.T) {
	msgs, err := corpus.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Skip("SPAMTRACE_CORPUS and SPAMTRACE_MODERN not set")
	}
	kept := 0
	for _, m := range msgs {
		got, want, ok := readBoth([]byte(m.Text), nil)
		if ok {
			kept++
			if got != want {
				t.Errorf("%s: in place:\n%s\nwalk:\n%s", m.Path, got, want)
			}
		}
	}
	t.Logf("%d of %d messages read in place", kept, len(msgs))
	if kept < len(msgs)*9/10 {
		t.Errorf("only %d of %d messages read in place", kept, len(msgs))
	}
}
