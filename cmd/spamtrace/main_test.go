package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/trace"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func sample(name string) string { return filepath.Join("..", "..", "examples", "testdata", name) }

// The JSON Lines contract: field names other tools rely on.
func TestJSONContract(t *testing.T) {
	out, _, code := runCmd(t, "", "-json", sample("forged-spam.eml"), sample("gmail-to-postfix.eml"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var v struct {
		Version int    `json:"version"`
		File    string `json:"file"`
		Hops    []struct {
			Index int    `json:"index"`
			Raw   string `json:"raw"`
			From  struct {
				HELO   string `json:"helo"`
				RDNS   string `json:"rdns"`
				IP     string `json:"ip"`
				IPText string `json:"ip_text"`
				Ident  string `json:"ident"`
			} `json:"from"`
			By struct {
				Host string `json:"host"`
				IP   string `json:"ip"`
			} `json:"by"`
			With string `json:"with"`
			ID   string `json:"id"`
			For  string `json:"for"`
			Date string `json:"date"`
			TLS  struct {
				Version string `json:"version"`
				Cipher  string `json:"cipher"`
			} `json:"tls"`
		} `json:"hops"`
		Origin struct {
			Hop int    `json:"hop"`
			IP  string `json:"ip"`
		} `json:"origin"`
		Findings []struct {
			Rule, Category, Severity, Message string
			Hop                               int
		} `json:"findings"`
		Error *string `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.DisallowUnknownFields()
	if err := json.Unmarshal([]byte(lines[0]), &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.File != sample("forged-spam.eml") || len(v.Hops) != 4 || v.Error == nil || *v.Error != "" {
		t.Fatalf("record = %+v", v)
	}
	h2 := v.Hops[2]
	if h2.Index != 2 || h2.From.IP != "222.173.190.239" || h2.From.IPText != "3735928559" || h2.ID != "GAA02084" || h2.For != "alice@example.org" {
		t.Errorf("hop 2 = %+v", h2)
	}
	if v.Hops[3].From.IP != "" || v.Hops[3].From.IPText != "300.12.4.9" {
		t.Errorf("hop 3 ip = %q text %q", v.Hops[3].From.IP, v.Hops[3].From.IPText)
	}
	if _, err := time.Parse(time.RFC3339, v.Hops[0].Date); err != nil {
		t.Errorf("date %q: %v", v.Hops[0].Date, err)
	}
	if v.Origin.Hop != 1 || v.Origin.IP != "81.2.69.77" {
		t.Errorf("origin = %+v", v.Origin)
	}
	cats := map[string]bool{}
	for _, f := range v.Findings {
		cats[f.Category] = true
		if f.Rule == "" || f.Severity == "" || f.Message == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	for _, c := range []string{"broken-chain", "timezone-mismatch", "encoded-ip", "invalid-ip", "queue-id-time"} {
		if !cats[c] {
			t.Errorf("no %s finding", c)
		}
	}
	var g struct {
		Hops []struct {
			TLS struct{ Version, Cipher string } `json:"tls"`
		} `json:"hops"`
	}
	json.Unmarshal([]byte(lines[1]), &g)
	if g.Hops[1].TLS.Version != "TLSv1.3" || g.Hops[1].TLS.Cipher != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("tls = %+v", g.Hops[1].TLS)
	}
}

func TestAppendStringValidJSON(t *testing.T) {
	for _, s := range []string{"plain", "quote\" back\\ slash", "ctl\x00\x01\x1b[31m\x7f", "bad utf8 \xff\xfe", "line\u2028sep", "<script>&", "ünïcödé 🎉"} {
		b := jsonstr.Append(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: invalid JSON %s: %v", s, b, err)
			continue
		}
		want := s
		if strings.HasPrefix(s, "bad utf8") {
			want = "bad utf8 \ufffd\ufffd" // one U+FFFD per invalid byte
		}
		if got != want {
			t.Errorf("%q: round trip %q", s, got)
		}
	}
}

func TestUnreadableInputGoesOn(t *testing.T) {
	out, _, code := runCmd(t, "", "-json", "/nonexistent/file", sample("gmail-to-postfix.eml"))
	if code != 2 {
		t.Errorf("exit %d, want 2 (an input could not be read)", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `/nonexistent/file: no such file`) || !strings.Contains(lines[1], `"error":""`) {
		t.Errorf("output:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	if _, _, code := runCmd(t, "", "-fail-on", "high", sample("forged-spam.eml")); code != 1 {
		t.Errorf("-fail-on high on forged mail: exit %d, want 1", code)
	}
	if _, _, code := runCmd(t, "", "-fail-on", "medium", sample("gmail-to-postfix.eml")); code != 0 {
		t.Errorf("-fail-on medium on legitimate mail: exit %d, want 0", code)
	}
	if _, _, code := runCmd(t, "", "-fail-on", "bogus", sample("gmail-to-postfix.eml")); code != 2 {
		t.Errorf("bad -fail-on: exit %d, want 2", code)
	}
	if _, _, code := runCmd(t, ""); code != 2 {
		t.Errorf("no input: exit %d, want 2", code)
	}
	if _, _, code := runCmd(t, "", "-format", "xml", sample("gmail-to-postfix.eml")); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
}

func readFile(t *testing.T, name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMboxAndMaildir(t *testing.T) {
	dir := t.TempDir()
	msgs := []string{readFile(t, sample("forged-spam.eml")), readFile(t, sample("gmail-to-postfix.eml")), readFile(t, sample("exchange-online.eml"))}
	// mboxrd: a body line "From me" is quoted as ">From me", and ">From"
	// as ">>From".
	var mbox strings.Builder
	for i, m := range msgs {
		mbox.WriteString("From sender@example.org Mon Jan  1 00:00:00 2024\n")
		m = strings.Replace(m, "\n\n", "\n\n>From the desk of someone\n>>From quoted\n", 1)
		mbox.WriteString(m)
		if i < len(msgs)-1 {
			mbox.WriteString("\n")
		}
	}
	mboxPath := filepath.Join(dir, "inbox.mbox")
	os.WriteFile(mboxPath, []byte(mbox.String()), 0o644)
	md := filepath.Join(dir, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o755)
	}
	os.WriteFile(filepath.Join(md, "new", "1.host"), []byte(msgs[0]), 0o644)
	os.WriteFile(filepath.Join(md, "cur", "2.host:2,S"), []byte(msgs[1]), 0o644)
	os.WriteFile(filepath.Join(md, "tmp", "3.host"), []byte("partial"), 0o644)

	out, _, code := runCmd(t, "", "-json", mboxPath, md)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d records, want 5 (3 in the mbox, 2 in the Maildir):\n%s", len(lines), out)
	}
	for i := 0; i < 3; i++ {
		var r struct {
			File     string `json:"file"`
			Position int    `json:"position"`
			Error    string `json:"error"`
			Hops     []any  `json:"hops"`
		}
		json.Unmarshal([]byte(lines[i]), &r)
		if r.File != mboxPath || r.Position != i+1 || r.Error != "" || len(r.Hops) == 0 {
			t.Errorf("mbox record %d = %+v", i, r)
		}
	}
	if !strings.Contains(lines[3], `new/1.host"`) || !strings.Contains(lines[4], `cur/2.host:2,S"`) {
		t.Errorf("maildir records:\n%s\n%s", lines[3], lines[4])
	}
	// stdin
	out, _, code = runCmd(t, msgs[1], "-json", "-")
	if code != 0 || !strings.Contains(out, `"file":"-"`) {
		t.Errorf("stdin: exit %d %s", code, out)
	}
}

func TestTextReportSanitised(t *testing.T) {
	hostile := "Received: from evil\x1b]0;pwned\x07 (evil [81.2.69.1]) by mx.example.org with SMTP; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: \x1b[2J\u202eclear screen\r\nFrom: a@b.example\r\n\r\nbody"
	out, _, code := runCmd(t, hostile, "-")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.ContainsRune(out, '\u202e') {
		t.Errorf("control characters reached the terminal:\n%q", out)
	}
	if !strings.Contains(out, `\u001b`) || !strings.Contains(out, "Origin:") {
		t.Errorf("report:\n%s", out)
	}
}

func TestDOT(t *testing.T) {
	out, _, code := runCmd(t, "", "-format", "dot", sample("forged-spam.eml"))
	if code != 0 || !strings.HasPrefix(out, "digraph spamtrace {") || !strings.Contains(out, "broken chain") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz not installed; the DOT text was checked above")
	}
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = strings.NewReader(out)
	svg, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("graphviz: %v\n%s", err, svg)
	}
}

func TestARF(t *testing.T) {
	out, _, code := runCmd(t, "", "-format", "arf", sample("forged-spam.eml"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	e, err := message.Read(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := e.Header.ContentType()
	if mt != "multipart/report" || params["report-type"] != "feedback-report" {
		t.Fatalf("content type %s %v", mt, params)
	}
	mr := e.MultipartReader()
	var types []string
	var report textproto.Header
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.ContentType()
		types = append(types, ct)
		if ct == "message/feedback-report" {
			report, err = textproto.ReadHeader(bufio.NewReader(p.Body))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.Join(types, ",") != "text/plain,message/feedback-report,text/rfc822-headers" {
		t.Errorf("parts = %v", types)
	}
	for k, want := range map[string]string{"Feedback-Type": "abuse", "Version": "1", "Source-IP": "81.2.69.77", "Original-Mail-From": "<bounce-7731@bulk-offers.example>", "Reported-Domain": ""} {
		if got := report.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if report.Get("User-Agent") == "" || report.Get("Arrival-Date") == "" {
		t.Errorf("missing User-Agent or Arrival-Date")
	}
}

// whoisServer serves one recorded answer to every query, on loopback.
func whoisServer(t *testing.T, answerFile string) string {
	t.Helper()
	answer, err := os.ReadFile(answerFile)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := whoisLoopback(t, func(string) string { return string(answer) })
	return addr
}

func TestWhoisCommand(t *testing.T) {
	addr := whoisServer(t, "../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	out, _, code := runCmd(t, "", "whois", "-json", "-whois-server", addr, "62.239.237.1")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v struct {
		IP, Prefix, Range, Name, Org, Country, Registry, Source, Error string
		Abuse                                                          []struct{ Email, Source string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if v.IP != "62.239.237.1" || v.Prefix != "62.239.237.0/24" || v.Range != "62.239.237.0 - 62.239.237.255" || v.Registry != "ripe" || v.Source != "whois" || v.Country != "GB" || v.Name != "BT-CORPORATE" {
		t.Errorf("v = %+v", v)
	}
	if len(v.Abuse) == 0 || v.Abuse[0].Email != "protect@bt.com" || v.Abuse[0].Source != "whois" || v.Error != "" {
		t.Errorf("abuse = %+v, error %q", v.Abuse, v.Error)
	}
	if _, _, code := runCmd(t, "", "whois", "not-an-ip"); code != 2 {
		t.Errorf("bad IP: exit %d", code)
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	// stderr here is a buffer, not a terminal: no progress frames.
	_, errOut, code := runCmd(t, "", "-json", filepath.Join("..", "..", "examples", "testdata"))
	if code != 0 || errOut != "" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// On: frames with done/total files, bytes, rate and time left,
	// cleared at the end. The total grows as files are found.
	var b syncBuffer
	p := newProgress(&b, true)
	p.found(40 << 10)
	p.found(60 << 10)
	p.read(40 << 10)
	p.fileDone()
	p.draw()
	first := b.String()
	p.found(100 << 10) // the walk found one more
	p.walkDone()
	p.read(30 << 10)
	p.draw()
	p.pause(func() { b.Write([]byte("a notice\n")) })
	p.finish()
	frames := b.String()
	for _, want := range []string{"1/2 files", "1/3 files", "(41/102 kB, ", "(72/205 kB, ", "B/s", "[", "\033[2K\ra notice\n"} {
		if !strings.Contains(frames, want) {
			t.Errorf("frames lack %q: %q", want, frames)
		}
	}
	if !strings.HasSuffix(frames, "\033[2K\r") || !strings.Contains(first, "%") {
		t.Errorf("frames = %q", frames)
	}
	t.Logf("a frame: %q", first)
	// Off: nothing at all.
	var off syncBuffer
	q := newProgress(&off, false)
	q.found(10)
	q.read(10)
	q.fileDone()
	q.walkDone()
	q.pause(func() {})
	q.finish()
	if off.String() != "" {
		t.Errorf("progress off wrote %q", off.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Files go to the workers several at a time; the output keeps the input
// order, counts every message and reports an unreadable file inline in its
// place.
func TestBulkOrderAcrossJobs(t *testing.T) {
	dir := t.TempDir()
	msg := readFile(t, sample("gmail-to-postfix.eml"))
	args := []string{"-json", "-workers", "3", "-summary"}
	var want []string
	for i := 0; i < 27; i++ {
		name := filepath.Join(dir, fmt.Sprintf("m%02d.eml", i))
		if i != 13 {
			os.WriteFile(name, []byte(msg), 0o644)
		}
		want = append(want, name)
	}
	out, errOut, code := runCmd(t, "", append(args, want...)...)
	if code != 2 {
		t.Errorf("exit %d, want 2 (one input unreadable)", code)
	}
	if !strings.Contains(errOut, "messages: 27 ") {
		t.Errorf("summary:\n%s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d records, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		var r struct {
			File  string `json:"file"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.File != want[i] || (r.Error != "") != (i == 13) {
			t.Errorf("record %d: file %s error %q, want %s", i, r.File, r.Error, want[i])
		}
	}
}

func TestPaceBatch(t *testing.T) {
	for _, tc := range []struct {
		files int
		each  time.Duration
		want  int
	}{
		{0, 0, 1},          // nothing measured yet: one file a job
		{100, 0, maxBatch}, // too quick to measure
		{100, 10 * time.Microsecond, maxBatch},
		{100, 100 * time.Microsecond, 3}, // 300µs a job
		{3, 2 * time.Second, 1},          // a large mbox, or lookups
	} {
		var p pace
		for range tc.files {
			p.add(tc.each)
		}
		if got := p.batch(); got != tc.want {
			t.Errorf("%d files of %v: batch %d, want %d", tc.files, tc.each, got, tc.want)
		}
	}
}

// Mboxes whose output spans many chunks come out whole and in order,
// the same with one worker as with several.
func TestBulkChunkedOutput(t *testing.T) {
	dir := t.TempDir()
	msg := readFile(t, sample("forged-spam.eml"))
	var paths []string
	for f := 0; f < 4; f++ {
		var mbox strings.Builder
		for i := 0; i < 40*f+1; i++ {
			mbox.WriteString("From sender@example.org Mon Jan  1 00:00:00 2024\n")
			mbox.WriteString(msg)
			mbox.WriteString("\n")
		}
		p := filepath.Join(dir, fmt.Sprintf("box%d.mbox", f))
		os.WriteFile(p, []byte(mbox.String()), 0o644)
		paths = append(paths, p)
		small := filepath.Join(dir, fmt.Sprintf("one%d.eml", f))
		os.WriteFile(small, []byte(msg), 0o644)
		paths = append(paths, small)
	}
	one, _, code1 := runCmd(t, "", append([]string{"-json", "-workers", "1"}, paths...)...)
	many, _, code3 := runCmd(t, "", append([]string{"-json", "-workers", "3"}, paths...)...)
	if code1 != 0 || code3 != 0 {
		t.Fatalf("exit %d and %d", code1, code3)
	}
	if len(one) < 4*chunkBytes {
		t.Fatalf("only %d bytes of output; the test wants several chunks a file", len(one))
	}
	if one != many {
		t.Errorf("output with three workers differs from output with one")
	}
	lines := strings.Split(strings.TrimSpace(many), "\n")
	if want := 40*(0+1+2+3) + 4 + 4; len(lines) != want {
		t.Errorf("%d records, want %d", len(lines), want)
	}
	pos := map[string]int{}
	for i, l := range lines {
		var r struct {
			File     string `json:"file"`
			Position int    `json:"position"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if r.Position != 0 && r.Position != pos[r.File]+1 {
			t.Fatalf("record %d: %s position %d after %d", i, r.File, r.Position, pos[r.File])
		}
		pos[r.File] = r.Position
	}
	if !strings.Contains(lines[0], "box0.mbox") || !strings.Contains(lines[len(lines)-1], "one3.eml") {
		t.Errorf("first %s…, last %s…", lines[0][:80], lines[len(lines)-1][:80])
	}
}

// Each job counts its own share of -summary; merged, the shares print what
// one count over every record prints.
func TestSummaryMerge(t *testing.T) {
	var recs []record
	for _, name := range []string{"forged-spam.eml", "gmail-to-postfix.eml", "exchange-online.eml", "forged-spam.eml"} {
		tr, err := (&trace.Tracer{}).Trace(context.Background(), strings.NewReader(readFile(t, sample(name))))
		if err != nil {
			t.Fatal(err)
		}
		tr.Hops[tr.Origin.Hop].Lookup = &trace.Lookup{Country: "NL", ASN: 64500, ASOrg: "Example"}
		recs = append(recs, record{file: name, tr: tr})
	}
	recs = append(recs, record{file: "bad", err: io.ErrUnexpectedEOF})
	var whole, a, b, merged summary
	for i := range recs {
		whole.add(&recs[i])
		if i < 2 {
			a.add(&recs[i])
		} else {
			b.add(&recs[i])
		}
	}
	merged.merge(&a)
	merged.merge(&b)
	merged.merge(&summary{}) // a job without messages
	var want, got bytes.Buffer
	whole.write(&want)
	merged.write(&got)
	if got.String() != want.String() || !strings.Contains(got.String(), "AS64500 Example") {
		t.Errorf("merged summary:\n%s\nwant:\n%s", got.String(), want.String())
	}
}
