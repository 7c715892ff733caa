package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/trace"
)

// wideMessage has what made the report 137–233 columns wide: long IPv6
// literals, long host names, a hop with many flags, and two hops in the
// same second (a zero delay).
const wideMessage = "Received: from AM0PR04MB1234.eurprd04.prod.outlook.example.com (2603:10a6:208:12f::ffff:abcd:1234) by DB9PR04MB5678.eurprd04.prod.outlook.example.com (2603:10a6:208:12f::ffff:abcd:5678) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7409.33; Tue, 12 Mar 2024 09:14:31 +0000\r\n" +
	"Received: from a-very-long-client-name-that-goes-on-and-on.subdomain.customer-network.example.net (unknown [2001:0db8:85a3:0000:0000:8a2e:0370:7334]) by AM0PR04MB1234.eurprd04.prod.outlook.example.com (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\n" +
	"Received: from 3735928559 ([3735928559]) by alt1.mailhost.example.com (8.8.5/8.8.5) with SMTP id GAA02084 for <alice@example.org>; Tue, 12 Mar 2024 11:02:41 -0600 (EST)\r\n" +
	"From: \"A sender whose display name is long enough to need wrapping on a narrow terminal screen\" <someone@example.com>\r\n" +
	"Subject: x\r\n\r\n"

func checkWidth(t *testing.T, what, report string) {
	t.Helper()
	for i, line := range strings.Split(report, "\n") {
		if w := visibleWidth(line); w > textWidth {
			t.Errorf("%s line %d is %d columns: %q", what, i+1, w, line)
		}
	}
}

func TestTextReportFits100Columns(t *testing.T) {
	files := []string{sample("forged-spam.eml"), sample("gmail-to-postfix.eml"), sample("exchange-online.eml"), "-"}
	out, _, code := runCmd(t, wideMessage, files...)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	checkWidth(t, "report", out)
	for _, want := range []string{
		"[2001:0db8:85a3:0000:0000:8a2e:0370:7334]", // IPv6 whole, never cut
		"[2603:10a6:208:12f::ffff:abcd:1234]",
		"rDNS unknown",                                       // recorded as unknown, said so
		"HELO a-very-long-client-name",                       // the name labelled as HELO
		"by DB9PR04MB5678.eurprd04.prod.outlook.example.com", // host names whole
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Two hops in the same second: 0s, while a hop without an older dated
	// hop shows "-".
	stdin := out[strings.Index(out, "== -"):]
	var delays []string
	for _, l := range strings.Split(stdin, "\n") {
		if f := strings.Fields(l); len(f) > 3 && len(f[0]) == 1 && f[0] >= "0" && f[0] <= "9" {
			delays = append(delays, f[3])
		}
	}
	if strings.Join(delays, " ") != "- -7h48m 0s" {
		t.Errorf("delays oldest first = %q, want \"- -7h48m 0s\"\n%s", delays, stdin)
	}
}

// Colour codes take no columns: a coloured report wraps where the plain
// one does.
func TestTextColourNotCounted(t *testing.T) {
	var plain, colour bytes.Buffer
	rec := traceRecord(t, wideMessage)
	writeText(&plain, rec, false)
	writeText(&colour, rec, true)
	if !strings.Contains(colour.String(), "\033[") {
		t.Fatal("no colour codes")
	}
	checkWidth(t, "coloured report", colour.String())
	stripped := stripANSI(colour.String())
	if stripped != plain.String() {
		t.Errorf("coloured report wraps differently:\n%s\nplain:\n%s", stripped, plain.String())
	}
}

func traceRecord(t *testing.T, msg string) *record {
	t.Helper()
	tr, err := (&trace.Tracer{}).Trace(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return &record{file: "-", tr: tr}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if n := ansiLen(s[i:]); n > 0 {
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// The Origin line says which name is verified: the rDNS name the trusted
// receiver looked up, against the sender's own HELO.
func TestTextOriginNames(t *testing.T) {
	for _, tc := range []struct {
		received string
		want     []string
	}{
		{"from helo.example.com (rdns.example.net [81.2.69.77]) by mx.example.org (Postfix) with ESMTP id 4Q; Tue, 12 Mar 2024 09:14:31 +0000",
			[]string{"name: rDNS rdns.example.net, looked up by mx.example.org; HELO helo.example.com is the sender's own claim, not verified", "from HELO helo.example.com / rDNS rdns.example.net / [81.2.69.77]"}},
		{"from helo.example.com (unknown [81.2.69.77]) by mx.example.org (Postfix) with ESMTP id 4Q; Tue, 12 Mar 2024 09:14:31 +0000",
			[]string{"name: rDNS unknown: mx.example.org found no reverse DNS name; HELO helo.example.com is the sender's own claim", "from HELO helo.example.com / rDNS unknown / [81.2.69.77]"}},
		{"from helo.example.com ([81.2.69.77]) by mx.example.org with SMTP; Tue, 12 Mar 2024 09:14:31 +0000",
			[]string{"name: no rDNS recorded by mx.example.org; HELO helo.example.com is the sender's own claim", "from HELO helo.example.com / [81.2.69.77]"}},
	} {
		out, _, _ := runCmd(t, "Received: "+tc.received+"\r\nSubject: x\r\n\r\n", "-")
		flat := strings.Join(strings.Fields(out), " ") // wrapped lines joined
		for _, w := range tc.want {
			if !strings.Contains(flat, w) {
				t.Errorf("%s\nlacks %q:\n%s", tc.received, w, out)
			}
		}
	}
}

func TestDOTDelaySign(t *testing.T) {
	out, _, _ := runCmd(t, "", "-format", "dot", sample("forged-spam.eml"))
	if strings.Contains(out, "+-") || !strings.Contains(out, `\n-14h57m\n`) || !strings.Contains(out, `\n+2s\n`) {
		t.Errorf("delays in the DOT labels:\n%s", out)
	}
	out, _, _ = runCmd(t, wideMessage, "-format", "dot", "-")
	if !strings.Contains(out, `\n+0s\n`) {
		t.Errorf("no +0s for hops in the same second:\n%s", out)
	}
}

func TestWrapLine(t *testing.T) {
	for _, tc := range []struct {
		in     string
		width  int
		indent int
		want   string
	}{
		{"short", 10, 2, "short\n"},
		{"aaa bbb ccc ddd", 8, 2, "aaa bbb\n  ccc\n  ddd\n"},
		{"  lead word1 word2", 12, 4, "  lead word1\n    word2\n"},
		{"x abcdefghijklmnop", 8, 2, "x\n  abcdef\n  ghijkl\n  mnop\n"},
		// a title with a path longer than the line: the path starts on
		// the title's line and is cut there
		{"== /a/very/long/path/name/that/goes", 20, 3, "== /a/very/long/path\n   /name/that/goes\n"},
		{"\033[1mbold\033[0m and more", 9, 0, "\033[1mbold\033[0m and\nmore\n"},
		{"日本語 日本語", 8, 0, "日本語\n日本語\n"},
	} {
		if got := wrapLine(tc.in, tc.width, tc.indent); got != tc.want {
			t.Errorf("wrapLine(%q, %d, %d) = %q, want %q", tc.in, tc.width, tc.indent, got, tc.want)
		}
	}
}

// The report on a real terminal of 100 columns, captured with tmux: no line
// runs past the edge (capture-pane -J would join a wrapped line), and the
// colours are on.
func TestTextOnA100ColumnTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (CI installs it)")
		}
		t.Skip("tmux not installed")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	msg := filepath.Join(dir, "wide.eml")
	os.WriteFile(msg, []byte(wideMessage), 0o644)
	done := filepath.Join(dir, "done")
	sock := filepath.Join(dir, "tmux.sock")
	script := fmt.Sprintf("%s %s; touch %s; sleep 60", bin, msg, done)
	cmd := exec.Command(tmux, "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "80", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "NO_COLOR=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	defer exec.Command(tmux, "-S", sock, "kill-server").Run()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(done); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	screen, err := exec.Command(tmux, "-S", sock, "capture-pane", "-p", "-J", "-e", "-t", "0").Output()
	if err != nil {
		t.Fatal(err)
	}
	s := string(screen)
	if !strings.Contains(s, "\033[") {
		t.Errorf("no colour on a terminal")
	}
	plain := stripANSI(s)
	for i, l := range strings.Split(plain, "\n") {
		if w := visibleWidth(strings.TrimRight(l, " ")); w > 100 {
			t.Errorf("screen line %d is %d columns: %q", i+1, w, l)
		}
	}
	if !strings.Contains(plain, "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]") || !strings.Contains(plain, "Origin:") {
		t.Errorf("screen:\n%s", plain)
	}
	if path := os.Getenv("SPAMTRACE_SCREEN"); path != "" {
		os.WriteFile(path, []byte(plain), 0o644)
	}
}

// Whatever a header holds, a wrapped line fits, loses no text and never
// splits a colour code.
func FuzzWrapLine(f *testing.F) {
	for _, s := range []string{"", "a b c", wideMessage, "== " + strings.Repeat("x", 300), "\033[1;32mtrusted\033[0m  " + strings.Repeat("日本 ", 40), "\xff\xfe \u202e bidi", "   ", "a\u0301\u0301\u0301 " + strings.Repeat("e\u0301", 120)} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, raw string, indent int) {
		indent = (indent%70 + 70) % 70
		s := sanitize(raw, 500)
		if indent%2 == 0 {
			s = painter{true}.paint("1", s) + " tail"
		}
		out := wrapLine(s, textWidth, indent)
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("no final newline: %q", out)
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if w := visibleWidth(l); w > textWidth {
				t.Fatalf("line of %d columns: %q", w, l)
			}
		}
		if strings.Join(strings.Fields(stripANSI(out)), "") != strings.Join(strings.Fields(stripANSI(s)), "") {
			t.Fatalf("text changed:\n%q\n%q", s, out)
		}
		if strings.Count(out, "\033[") != strings.Count(s, "\033[") {
			t.Fatalf("colour codes split: %q", out)
		}
	})
}

// 10,000 Received fields: the report does not say the message began at
// the last hop read.
func TestHopCapReport(t *testing.T) {
	msg := strings.Repeat("Received: from localhost (localhost [127.0.0.1]) by mx.example.org; Tue, 12 Mar 2024 09:14:31 +0000\r\n", 10000) + "Subject: loop\r\n\r\n"
	out, _, code := runCmd(t, msg, "-")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "at least 9900 older hops were not read") || strings.Contains(flat, "the message began there") {
		t.Errorf("report:\n%s", out[strings.Index(out, "Origin:"):])
	}
	checkWidth(t, "report", out)
}
