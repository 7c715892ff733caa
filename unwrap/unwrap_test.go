package unwrap

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

const spam = "Received: from evil.example (evil.example [81.2.69.77]) by mx.example.org with SMTP; Tue, 12 Mar 2024 09:14:31 +0000\r\n" +
	"From: =?UTF-8?Q?Pr=C3=A9sident?= <boss@prizes.example>\r\n" +
	"Subject: win\r\n" +
	"\r\n" +
	"Visit http://win.prizes.example/now\r\n"

// forward wraps msgs into a carrier: a text part, then each message as
// message/rfc822 with the given transfer encoding.
func forward(enc string, msgs ...string) string {
	var b strings.Builder
	boundaries++
	bd := fmt.Sprintf("b%d", boundaries)
	b.WriteString("From: colleague@example.org\r\nSubject: Fwd: spam\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + bd + "\"\r\n\r\npreamble\r\n")
	b.WriteString("--" + bd + "\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nVoil=E0 http://carrier.example/x\r\n")
	for _, m := range msgs {
		b.WriteString("--" + bd + "\r\nContent-Type: message/rfc822\r\n")
		if enc == "base64" {
			b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
			b.WriteString(base64.StdEncoding.EncodeToString([]byte(m)))
			b.WriteString("\r\n")
		} else {
			b.WriteString("\r\n")
			b.WriteString(m)
		}
	}
	b.WriteString("--" + bd + "--\r\n")
	return b.String()
}

var boundaries int

func paths(ms []Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%q<-%q n%d %v", m.Part, m.Parent, m.Nesting, m.Attached))
	}
	return strings.Join(s, "; ")
}

func TestForwardedAsAttachment(t *testing.T) {
	for _, enc := range []string{"8bit", "base64"} {
		ms := Messages([]byte(forward(enc, spam)), nil)
		if len(ms) != 2 {
			t.Fatalf("%s: %d messages: %s", enc, len(ms), paths(ms))
		}
		if ms[0].Part != "" || len(ms[0].Attached) != 1 || ms[0].Attached[0] != "2" {
			t.Errorf("%s: carrier = %s", enc, paths(ms))
		}
		a := ms[1]
		if a.Part != "2" || a.Parent != "" || a.Nesting != 1 || a.HeaderOnly {
			t.Errorf("%s: attached = %s", enc, paths(ms))
		}
		// The attached message's bytes are the original's, up to the line
		// end that belongs to the boundary.
		if got := string(a.Raw); got != strings.TrimSuffix(spam, "\r\n") && got != spam {
			t.Errorf("%s: raw = %q", enc, got)
		}
		if len(ms[0].Text) != 1 || ms[0].Text[0].Part != "1" || string(ms[0].Text[0].Body) != "Voilà http://carrier.example/x" {
			t.Errorf("%s: carrier text = %+v", enc, ms[0].Text)
		}
		if len(a.Text) != 1 || a.Text[0].Part != "2.1" || !strings.Contains(string(a.Text[0].Body), "win.prizes.example") {
			t.Errorf("%s: attached text = %+v", enc, a.Text)
		}
		for _, m := range ms {
			if len(m.Errors) > 0 {
				t.Errorf("%s: errors %v", enc, m.Errors)
			}
		}
	}
}

func TestFiveInOneAndNested(t *testing.T) {
	inner := forward("8bit", spam) // a forward of a forward
	ms := Messages([]byte(forward("8bit", spam, spam, inner, spam, spam)), nil)
	want := `""<-"" n0 [2 3 4 5 6]; "2"<-"" n1 []; "3"<-"" n1 []; "4"<-"" n1 [4.2]; "4.2"<-"4" n2 []; "5"<-"" n1 []; "6"<-"" n1 []`
	if got := paths(ms); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if ms[3].Text[0].Part != "4.1" || ms[4].Text[0].Part != "4.2.1" {
		t.Errorf("nested text parts %q %q", ms[3].Text[0].Part, ms[4].Text[0].Part)
	}
}

func TestARFAndHeaders(t *testing.T) {
	arf := "From: abuse-reports@isp.example\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"r\"\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nA report.\r\n" +
		"--r\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\n" + spam + // mislabelled, still part 3
		"--r--\r\n"
	ms := Messages([]byte(arf), nil)
	if got := paths(ms); got != `""<-"" n0 [3]; "3"<-"" n1 []` {
		t.Errorf("ARF: %s", got)
	}
	hdr := "Subject: bounce\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\r\n\r\n" +
		"--d\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
		"--d\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n" +
		"--d\r\nContent-Type: text/rfc822-headers\r\n\r\n" + spam + "--d--\r\n"
	ms = Messages([]byte(hdr), nil)
	if got := paths(ms); got != `""<-"" n0 [3]; "3"<-"" n1 []` {
		t.Fatalf("headers: %s", got)
	}
	if !ms[1].HeaderOnly || bytes.Contains(ms[1].Raw, []byte("Visit")) || !bytes.HasPrefix(ms[1].Raw, []byte("Received: ")) {
		t.Errorf("header block = %q", ms[1].Raw)
	}
	digest := "Subject: digest\r\nMIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=\"g\"\r\n\r\n" +
		"--g\r\n\r\n" + spam + "--g\r\n\r\n" + spam + "--g--\r\n"
	if got := paths(Messages([]byte(digest), nil)); got != `""<-"" n0 [1 2]; "1"<-"" n1 []; "2"<-"" n1 []` {
		t.Errorf("digest: %s", got)
	}
}

// A malformed field (no colon) elsewhere in the header does not hide the
// message's parts.
func TestMalformedHeaderField(t *testing.T) {
	m := strings.Replace(forward("8bit", spam), "Subject: Fwd: spam\r\n", "Subject: Fwd: spam\r\nthis line has no colon\r\n", 1)
	ms := Messages([]byte(m), nil)
	if len(ms) != 2 || ms[1].Part != "2" || len(ms[0].Errors) != 0 {
		t.Errorf("%s %v", paths(ms), ms[0].Errors)
	}
}

// A body cut before its closing boundary keeps what it holds, with one
// error saying so.
func TestNoClosingBoundary(t *testing.T) {
	m := forward("8bit", spam)
	m = m[:strings.LastIndex(m, "--b")]
	ms := Messages([]byte(m), nil)
	if len(ms) != 2 || len(ms[0].Errors) != 1 || ms[0].Errors[0] != "unwrap: part 2: the multipart body ends without its closing boundary" {
		t.Errorf("%s %q", paths(ms), ms[0].Errors)
	}
}

func TestPlainMessage(t *testing.T) {
	ms := Messages([]byte("From x@y Mon Jan  1 00:00:00 2024\n"+strings.ReplaceAll(spam, "\r\n", "\n")), nil)
	if len(ms) != 1 || len(ms[0].Text) != 1 || ms[0].Text[0].Part != "1" || bytes.HasPrefix(ms[0].Raw, []byte("From ")) {
		t.Errorf("%s %+v", paths(ms), ms[0].Text)
	}
}

func TestLimits(t *testing.T) {
	// Nesting: a forward of a forward of a forward, with MaxNesting 2.
	m := spam
	for range 3 {
		m = forward("8bit", m)
	}
	ms := Messages([]byte(m), &Limits{MaxNesting: 2})
	if len(ms) != 3 || len(ms[2].Errors) != 1 || !strings.Contains(ms[2].Errors[0], "nested deeper than 2") {
		t.Errorf("nesting: %s %v", paths(ms), ms[len(ms)-1].Errors)
	}
	// Attached count.
	ms = Messages([]byte(forward("8bit", spam, spam, spam)), &Limits{MaxAttached: 2})
	if len(ms) != 3 || !strings.Contains(strings.Join(ms[0].Errors, ";"), "more than 2 attached") {
		t.Errorf("attached: %s %v", paths(ms), ms[0].Errors)
	}
	// Parts.
	ms = Messages([]byte(forward("8bit", spam, spam, spam)), &Limits{MaxParts: 2})
	if !strings.Contains(strings.Join(ms[0].Errors, ";"), "more than 2 parts") {
		t.Errorf("parts: %v", ms[0].Errors)
	}
	// Text and part bytes.
	ms = Messages([]byte(forward("8bit", spam)), &Limits{MaxTextBytes: 10})
	if tx := ms[0].Text[0]; len(tx.Body) != 10 || !tx.Truncated {
		t.Errorf("text cap: %+v", tx)
	}
	ms = Messages([]byte(forward("8bit", spam)), &Limits{MaxPartBytes: 50})
	if len(ms) != 2 || len(ms[1].Raw) != 50 || !strings.Contains(strings.Join(ms[0].Errors, ";"), "truncated") {
		t.Errorf("part cap: %d %v", len(ms[1].Raw), ms[0].Errors)
	}
	// Depth: multiparts nested 30 deep.
	var b strings.Builder
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x0\"\r\n\r\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "--x%d\r\nContent-Type: multipart/mixed; boundary=\"x%d\"\r\n\r\n", i-1, i)
	}
	ms = Messages([]byte(b.String()), &Limits{MaxDepth: 5})
	if !strings.Contains(strings.Join(ms[0].Errors, ";"), "deeper than 5 levels") {
		t.Errorf("depth: %v", ms[0].Errors)
	}
}

func TestUnknownCharsetKeepsGoing(t *testing.T) {
	m := "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\nhttp://a.example/\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + spam + "--b--\r\n"
	ms := Messages([]byte(m), nil)
	if len(ms) != 2 || len(ms[0].Text) != 1 || !strings.Contains(string(ms[0].Text[0].Body), "a.example") || len(ms[0].Errors) == 0 {
		t.Errorf("%s text %+v errors %v", paths(ms), ms[0].Text, ms[0].Errors)
	}
}

func FuzzMessages(f *testing.F) {
	f.Add([]byte(forward("8bit", spam, forward("base64", spam))))
	f.Add([]byte(spam))
	f.Add([]byte("Content-Type: multipart/report; report-type=feedback-report; boundary=r\n\n--r\n\n--r\n\n--r\nContent-Type: text/rfc822-headers\n\nA: b\n--r--\n"))
	f.Add([]byte("Content-Type: multipart/digest; boundary=g\n\n--g\n\nSubject: x\n\n--g--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		lim := &Limits{MaxPartBytes: 1 << 16, MaxTextBytes: 1 << 16}
		ms := Messages(raw, lim)
		if len(ms) == 0 || ms[0].Part != "" {
			t.Fatalf("no top-level message")
		}
		seen := map[string]bool{"": true}
		for _, m := range ms[1:] {
			if !seen[m.Parent] || seen[m.Part] || m.Nesting < 1 || m.Nesting > 4 {
				t.Fatalf("bad tree %s", paths(ms))
			}
			seen[m.Part] = true
		}
		for _, m := range ms {
			n := 0
			for _, tx := range m.Text {
				n += len(tx.Body)
			}
			if n > lim.MaxTextBytes {
				t.Fatalf("text %d bytes", n)
			}
		}
	})
}

// A body go-message leaves as it is (or ASCII text whose charset
// conversion would leave it so) comes back as the input's own bytes, cut
// to the caps, and an append to it cannot write into the input; a body
// it decodes is read as before.
func TestSinglePartBody(t *testing.T) {
	body := "Visit http://win.prizes.example/now\r\nand again\r\n"
	tests := []struct {
		name, header string
		lim          *Limits
		want         string
		truncated    bool
		inPlace      bool
	}{
		{"no Content-Type", "Subject: a\r\n", nil, body, false, true},
		{"text/plain us-ascii 7bit", "Content-Type: text/plain; charset=US-ASCII\r\nContent-Transfer-Encoding: 7bit\r\n", nil, body, false, true},
		{"text/html utf-8 8bit", "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8BIT\r\n", nil, body, false, true},
		{"cut by MaxTextBytes", "Content-Type: text/plain\r\n", &Limits{MaxTextBytes: 10}, body[:10], true, true},
		{"cut by MaxPartBytes", "Content-Type: text/plain\r\n", &Limits{MaxPartBytes: 12}, body[:12], true, true},
		{"latin-1 ASCII kept", "Content-Type: text/plain; charset=iso-8859-1\r\n", nil, body, false, true},
		{"windows-1252 ASCII cut", "Content-Type: text/plain; charset=Windows-1252\r\n", &Limits{MaxPartBytes: 12}, body[:12], true, true},
		{"quoted-printable decoded", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n", nil, body, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.header + "\r\n" + body)
			ms := Messages(raw, tt.lim)
			if len(ms) != 1 || len(ms[0].Text) != 1 {
				t.Fatalf("got %+v", ms)
			}
			txt := ms[0].Text[0]
			if string(txt.Body) != tt.want || txt.Truncated != tt.truncated || txt.Part != "1" {
				t.Fatalf("body %q truncated %v part %q; want %q %v", txt.Body, txt.Truncated, txt.Part, tt.want, tt.truncated)
			}
			start := len(raw) - len(body)
			inPlace := len(txt.Body) > 0 && &txt.Body[0] == &raw[start]
			if inPlace != tt.inPlace {
				t.Errorf("read in place %v, want %v", inPlace, tt.inPlace)
			}
			before := string(raw)
			_ = append(txt.Body, "XXXXXXXX"...)
			if string(raw) != before {
				t.Errorf("an append to the body wrote into the input")
			}
		})
	}
}
