package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/internal/corpus"
)

// corpusCarrier wraps msgs (LF line ends) in one carrier, each as kind:
// "rfc822" (8bit as is), "rfc822-base64", "headers" (text/rfc822-headers)
// or "arf" (the third part of an RFC 5965 report; one message only).
func corpusCarrier(msgs []string, kind string) string {
	const bd = "=_spamtrace-unwrap-eval-7f3a9c_="
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(carrierHeader, "\r\n", "\n"))
	if kind == "arf" {
		fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=feedback-report; boundary=\"%s\"\n\n", bd)
		fmt.Fprintf(&b, "--%s\nContent-Type: text/plain\n\nAn abuse report.\n", bd)
		fmt.Fprintf(&b, "--%s\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n\n", bd)
		fmt.Fprintf(&b, "--%s\nContent-Type: message/rfc822\n\n%s\n--%s--\n", bd, msgs[0], bd)
		return b.String()
	}
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n", bd)
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain\n\nForwarded spam attached.\n", bd)
	for _, m := range msgs {
		switch kind {
		case "rfc822":
			fmt.Fprintf(&b, "--%s\nContent-Type: message/rfc822\n\n%s\n", bd, m)
		case "rfc822-base64":
			fmt.Fprintf(&b, "--%s\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n%s\n", bd, strings.ReplaceAll(base64Lines(m), "\r\n", "\n"))
		case "headers":
			h := m
			if i := strings.Index(h, "\n\n"); i >= 0 {
				h = h[:i+1]
			}
			fmt.Fprintf(&b, "--%s\nContent-Type: text/rfc822-headers\n\n%s\n", bd, h)
		}
	}
	fmt.Fprintf(&b, "--%s--\n", bd)
	return b.String()
}

type evalRecord struct {
	File       string                  `json:"file"`
	AttachedTo *struct{ Part string }  `json:"attached_to"`
	Origin     json.RawMessage         `json:"origin"`
	Findings   json.RawMessage         `json:"findings"`
	Error      string                  `json:"error"`
	URLs       []struct{ Host string } `json:"urls"`
}

// The 2002 SpamAssassin corpus forwarded as attachments (one per carrier
// in each of four ways, and five to a carrier): every attached message's
// trace, through the command, has the origin and findings of the message
// traced alone. SPAMTRACE_CORPUS names the corpus data directory.
func TestUnwrapCorpus(t *testing.T) {
	dir := os.Getenv("SPAMTRACE_CORPUS")
	if dir == "" {
		t.Skip("SPAMTRACE_CORPUS not set")
	}
	msgs, err := corpus.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(msgs))
	names := make([]string, len(msgs))
	ham := make([]bool, len(msgs))
	for i, m := range msgs {
		s := strings.ReplaceAll(m.Text, "\r\n", "\n")
		if strings.HasPrefix(s, "From ") {
			if j := strings.IndexByte(s, '\n'); j >= 0 {
				s = s[j+1:]
			}
		}
		texts[i], names[i], ham[i] = s, m.Path, m.IsHam()
	}
	checkForwarded(t, texts, names, ham)
}

// The same for a directory of .eml files (SPAMTRACE_MODERN, e.g. the
// modern corpus), line endings as they are.
func TestUnwrapModern(t *testing.T) {
	dir := os.Getenv("SPAMTRACE_MODERN")
	if dir == "" {
		t.Skip("SPAMTRACE_MODERN not set")
	}
	var texts, names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			b, err := os.ReadFile(p)
			if err == nil && !strings.HasPrefix(string(b), "From ") {
				texts, names = append(texts, string(b)), append(names, p)
			}
		}
		return nil
	})
	checkForwarded(t, texts, names, make([]bool, len(texts)))
}

func checkForwarded(t *testing.T, texts, names []string, ham []bool) {
	base := t.TempDir()
	write := func(sub string, i int, s string) {
		d := filepath.Join(base, sub)
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%06d.eml", i)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range texts {
		write("alone", i, s)
		for _, kind := range []string{"rfc822", "rfc822-base64", "headers", "arf"} {
			write(kind, i, corpusCarrier([]string{s}, kind))
		}
	}
	for i := 0; i < len(texts); i += 5 {
		write("five", i, corpusCarrier(texts[i:min(i+5, len(texts))], "rfc822"))
	}
	traceDir := func(sub string) []evalRecord {
		out, errOut, code := runCmd(t, "", "-json", filepath.Join(base, sub))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", sub, code, errOut)
		}
		var recs []evalRecord
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r evalRecord
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%s: %v", sub, err)
			}
			recs = append(recs, r)
		}
		return recs
	}
	index := func(r evalRecord) int {
		var n int
		fmt.Sscanf(filepath.Base(r.File), "%06d.eml", &n)
		return n
	}
	alone := map[int]evalRecord{}
	for _, r := range traceDir("alone") {
		if r.AttachedTo == nil {
			alone[index(r)] = r
		}
	}
	if len(alone) != len(texts) {
		t.Fatalf("alone: %d records for %d messages", len(alone), len(texts))
	}
	withURLs := map[bool][2]int{}
	for i, r := range alone {
		c := withURLs[ham[i]]
		c[1]++
		if len(r.URLs) > 0 {
			c[0]++
		}
		withURLs[ham[i]] = c
	}
	t.Logf("messages with a URL: %d of %d not labelled ham, %d of %d ham", withURLs[false][0], withURLs[false][1], withURLs[true][0], withURLs[true][1])
	for _, sub := range []string{"rfc822", "rfc822-base64", "headers", "arf", "five"} {
		recs := traceDir(sub)
		carriers, attached, nested, sameOrigin, sameFindings, shown := 0, 0, 0, 0, 0, 0
		for _, a := range recs {
			if a.AttachedTo == nil {
				carriers++
				continue
			}
			var part int
			if _, err := fmt.Sscanf(a.AttachedTo.Part, "%d", &part); err != nil || strings.Contains(a.AttachedTo.Part, ".") {
				nested++ // a message the corpus message itself carries
				continue
			}
			attached++
			i := index(a)
			if sub == "five" {
				i += part - 2
			}
			w := alone[i]
			o := string(a.Origin) == string(w.Origin)
			f := string(a.Findings) == string(w.Findings)
			if o {
				sameOrigin++
			}
			if f {
				sameFindings++
			}
			if (!o || !f) && shown < 3 {
				shown++
				t.Logf("%s: %s part %s (%s) differs:\n attached %s %s\n alone    %s %s", sub, a.File, a.AttachedTo.Part, names[i], a.Origin, a.Findings, w.Origin, w.Findings)
			}
		}
		t.Logf("%-14s carriers %5d, attached traced %5d of %d (and %d nested), same origin %5d, same findings %5d",
			sub, carriers, attached, len(texts), nested, sameOrigin, sameFindings)
		if attached != len(texts) || sameOrigin != len(texts) || sameFindings != len(texts) {
			t.Errorf("%s: %d attached, %d same origin, %d same findings, of %d", sub, attached, sameOrigin, sameFindings, len(texts))
		}
	}
}
