package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"golang.org/x/net/html"

	"github.com/spamtrace/spamtrace/trace"
)

var hostileSample = filepath.Join("testdata", "hostile.eml")

func samples(t testing.TB) []string {
	t.Helper()
	s, err := filepath.Glob(filepath.Join("..", "..", "examples", "testdata", "*.eml"))
	if err != nil || len(s) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	return s
}

// jsonShape is what the DOM checks need from a message's -json object.
type jsonShape struct {
	File string `json:"file"`
	Hops []struct {
		Index int    `json:"index"`
		Trust string `json:"trust"`
	} `json:"hops"`
	Edges []struct {
		Match  string `json:"match"`
		Broken bool   `json:"broken"`
	} `json:"edges"`
	Origin struct {
		Hop int `json:"hop"`
	} `json:"origin"`
}

// graphNodes is the number of boxes the hop graph must draw: one a hop
// plus the recipient's, and one more where the chain does not connect.
func (s jsonShape) graphNodes() int {
	if len(s.Hops) == 0 {
		return 0
	}
	n := len(s.Hops) + 1
	for _, e := range s.Edges {
		if e.Broken || e.Match == string(trace.MatchNoData) {
			n++
		}
	}
	return n
}

func jsonShapes(t testing.TB, paths ...string) []jsonShape {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"-json"}, paths...), nil, &out, &errb); code != 0 {
		t.Fatalf("-json: exit %d: %s", code, errb.String())
	}
	var shapes []jsonShape
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var s jsonShape
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		shapes = append(shapes, s)
	}
	return shapes
}

func htmlReport(t testing.TB, paths ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"-format", "html"}, paths...), nil, &out, &errb); code != 0 {
		t.Fatalf("-format html: exit %d: %s", code, errb.String())
	}
	return out.String()
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// reportTags are the only elements a report may hold.
var reportTags = map[string]bool{
	"html": true, "head": true, "body": true, "meta": true, "title": true, "style": true,
	"div": true, "section": true, "nav": true, "footer": true, "header": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "p": true, "br": true, "span": true, "code": true,
	"dl": true, "dt": true, "dd": true, "ul": true, "ol": true, "li": true, "a": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"svg": true, "g": true, "rect": true, "line": true, "polygon": true, "text": true,
	"form": true, "textarea": true, "label": true, "input": true, "button": true,
}

// checkInert fails unless the document is made of the report's own
// elements only, loads nothing and runs nothing: no script, no event
// handler, no src, no link but to the document's own sections, no style
// attribute.
func checkInert(t testing.TB, doc *html.Node) {
	t.Helper()
	ids := map[string]bool{}
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id, ok := attr(n, "id"); ok {
				ids[id] = true
			}
		}
	})
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if !reportTags[n.Data] {
			t.Errorf("element <%s> in the report", n.Data)
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(k, "on"), k == "src", k == "srcdoc", k == "style", k == "xlink:href", k == "formaction", k == "background":
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			case k == "href":
				if !strings.HasPrefix(a.Val, "#") || !ids[a.Val[1:]] {
					t.Errorf("<%s href=%q> is not a link to a section of the document", n.Data, a.Val)
				}
			case k == "action":
				if a.Val != "/" {
					t.Errorf("<form action=%q>", a.Val)
				}
			}
		}
	})
}

func parseHTML(t testing.TB, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func find(doc *html.Node, pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && pred(n) {
			out = append(out, n)
		}
	})
	return out
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func byTagClass(tag, class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag && hasClass(n, class) }
}

func TestHTMLReport(t *testing.T) {
	paths := samples(t)
	shapes := jsonShapes(t, paths...)
	out := htmlReport(t, paths...)
	doc := parseHTML(t, out)
	checkInert(t, doc)

	// The policy allows exactly the inlined style sheet.
	styles := find(doc, byTag("style"))
	if len(styles) != 1 {
		t.Fatalf("%d style elements", len(styles))
	}
	sum := sha256.Sum256([]byte(text(styles[0])))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	var csp string
	for _, m := range find(doc, byTag("meta")) {
		if v, _ := attr(m, "http-equiv"); v == "Content-Security-Policy" {
			csp, _ = attr(m, "content")
		}
	}
	if want := "default-src 'none'; style-src " + hash + "; base-uri 'none'; form-action 'none'"; csp != want {
		t.Errorf("CSP %q, want %q", csp, want)
	}

	sections := find(doc, byTag("section"))
	if len(sections) != len(shapes) {
		t.Fatalf("%d sections for %d messages", len(sections), len(shapes))
	}
	for i, sec := range sections {
		s := shapes[i]
		if h2 := find(sec, byTag("h2")); len(h2) == 0 || text(h2[0]) != s.File {
			t.Errorf("section %d: heading is not %q", i, s.File)
		}
		rows := find(sec, byTagClass("tr", "hop"))
		if len(rows) != len(s.Hops) {
			t.Errorf("%s: %d hop rows, want %d", s.File, len(rows), len(s.Hops))
		}
		// rows run origin first: from the last header to the first
		for j, row := range rows {
			want := len(s.Hops) - 1 - j
			if v, _ := attr(row, "data-hop"); v != strconv.Itoa(want) {
				t.Errorf("%s: row %d is hop %s, want %d", s.File, j, v, want)
			}
			trust := find(row, byTagClass("td", "trust"))
			if len(trust) != 1 || text(trust[0]) != s.Hops[want].Trust {
				t.Errorf("%s: row %d trust cell wrong", s.File, j)
			}
		}
		nodes := find(sec, byTagClass("g", "node"))
		if len(nodes) != s.graphNodes() {
			t.Errorf("%s: %d graph nodes, want %d", s.File, len(nodes), s.graphNodes())
		}
		if got := len(find(sec, byTagClass("g", "origin"))); s.Origin.Hop >= 0 && got != 1 {
			t.Errorf("%s: %d origin nodes", s.File, got)
		}
		if got := len(find(sec, byTagClass("g", "boundary"))); (s.Origin.Hop >= 0) != (got == 1) {
			t.Errorf("%s: %d trust boundaries with origin hop %d", s.File, got, s.Origin.Hop)
		}
		broken := 0
		for _, e := range s.Edges {
			if e.Broken {
				broken++
			}
		}
		if got := len(find(sec, byTagClass("g", "broken"))); got != broken {
			t.Errorf("%s: %d broken links drawn, %d in the trace", s.File, got, broken)
		}
	}
	// The bulk run's index links to every section.
	nav := find(doc, byTag("nav"))
	if len(nav) != 1 {
		t.Fatalf("%d index tables", len(nav))
	}
	links := find(nav[0], byTag("a"))
	if len(links) != len(sections) {
		t.Fatalf("%d index links for %d sections", len(links), len(sections))
	}
	for i, a := range links {
		href, _ := attr(a, "href")
		id, _ := attr(sections[i], "id")
		if href != "#"+id {
			t.Errorf("index link %d is %q, section id %q", i, href, id)
		}
	}
}

func TestHTMLOneMessageHasNoIndex(t *testing.T) {
	doc := parseHTML(t, htmlReport(t, sample("forged-spam.eml")))
	if n := len(find(doc, byTag("nav"))); n != 0 {
		t.Errorf("%d index tables for one message", n)
	}
	if n := len(find(doc, byTag("section"))); n != 1 {
		t.Errorf("%d sections", n)
	}
}

// A file named twice gets two sections with ids of their own, and the
// index links each row to its own section.
func TestHTMLFileNamedTwice(t *testing.T) {
	doc := parseHTML(t, htmlReport(t, sample("forged-spam.eml"), sample("forged-spam.eml"), sample("forged-spam.eml")))
	ids := map[string]bool{}
	for _, s := range find(doc, byTag("section")) {
		id, _ := attr(s, "id")
		if id == "" || ids[id] {
			t.Errorf("section id %q empty or repeated", id)
		}
		ids[id] = true
	}
	if len(ids) != 3 {
		t.Fatalf("%d distinct sections, want 3", len(ids))
	}
	links := 0
	for _, a := range find(doc, byTag("a")) {
		if href, _ := attr(a, "href"); strings.HasPrefix(href, "#m") {
			if !ids[href[1:]] {
				t.Errorf("index link %s names no section", href)
			}
			delete(ids, href[1:])
			links++
		}
	}
	if links != 3 || len(ids) != 0 {
		t.Errorf("%d index links; sections without one: %v", links, ids)
	}
}

func TestHTMLUnreadableInput(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-format", "html", "no-such-file.eml", sample("forged-spam.eml")}, nil, &out, &errb)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	doc := parseHTML(t, out.String())
	checkInert(t, doc)
	errs := find(doc, byTagClass("p", "error"))
	if len(errs) != 1 || !strings.Contains(text(errs[0]), "no-such-file.eml") {
		t.Errorf("the unreadable file is not reported in its section")
	}
	if n := len(find(doc, byTag("section"))); n != 2 {
		t.Errorf("%d sections", n)
	}
}

// Hostile header text is shown as text: every payload is in the page's
// text, none became an element or an attribute, and control characters
// and bidirectional overrides are shown escaped.
func TestHTMLHostile(t *testing.T) {
	out := htmlReport(t, hostileSample)
	doc := parseHTML(t, out)
	checkInert(t, doc)
	body := text(doc)
	for _, want := range []string{
		"<script>window.__pwned=3;alert(3)</script>",                           // Subject
		`"<img src=x onerror=alert(2)>" <winner@prizes.example>`,               // From
		"<svg/onload=alert(6)>",                                                // HELO
		`<a href="javascript:alert(7)">click</a>`,                              // Received comment
		`\u202eevil\u202c`, `\u2066x`, `\u001b[31mred`, `\u001b]0;owned\u0007`, // bidi, terminal escapes
		"javascript:alert(10)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}
	for _, bad := range []string{"\u202e", "\u2066", "\x1b", "\x07"} {
		if strings.Contains(out, bad) {
			t.Errorf("the page holds the raw character %q", bad)
		}
	}
}

func FuzzHTMLMessage(f *testing.F) {
	for _, p := range append(samples(f), hostileSample) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Received: from a (b [1.2.3.4]) by c; Mon, 1 Jan 2024 00:00:00 +0000\nSubject: </section></svg><script>x</script>\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tr, err := trace.TraceMessage(context.Background(), bytes.NewReader(raw))
		r := &record{file: "fuzz", tr: tr, err: err}
		var b bytes.Buffer
		writeHTMLMessage(&b, r)
		doc := parseHTML(t, "<!DOCTYPE html><html><body>"+b.String()+"</body></html>")
		checkInert(t, doc)
		if n := len(find(doc, byTag("section"))); n != 1 {
			t.Fatalf("%d sections", n)
		}
		if tr != nil {
			sec := find(doc, byTag("section"))[0]
			if n := len(find(sec, byTagClass("tr", "hop"))); n != len(tr.Hops) {
				t.Fatalf("%d hop rows for %d hops", n, len(tr.Hops))
			}
		}
	})
}

// lookupFixtures starts a DNS server and a whois server on loopback that
// know about 62.239.237.1, and writes a message received from it.
func lookupFixtures(t *testing.T) (dnsAddr, whoisAddr, path string) {
	t.Helper()
	dnsAddr = serveDNS(t, func(q dns.Question, m *dns.Msg) {
		switch {
		case q.Qtype == dns.TypePTR && q.Name == "1.237.239.62.in-addr.arpa.":
			m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "relay.bt.example."})
		case q.Qtype == dns.TypeA && q.Name == "relay.bt.example.":
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("62.239.237.1")})
		default:
			m.Rcode = dns.RcodeNameError
		}
	})
	whoisAddr = whoisServer(t, "../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	msg := "Received: from relay.bt.example (relay.bt.example [62.239.237.1]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: x\r\n\r\n"
	path = filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(path, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dnsAddr, whoisAddr, path
}

func checkLookupsShown(t *testing.T, page string) {
	t.Helper()
	doc := parseHTML(t, page)
	checkInert(t, doc)
	rows := find(doc, byTagClass("tr", "lookup"))
	if len(rows) != 1 {
		t.Fatalf("%d lookup rows", len(rows))
	}
	row := text(rows[0])
	for _, want := range []string{"62.239.237.1", "relay.bt.example", "forward-confirmed", "62.239.237.0/24", "protect@bt.com"} {
		if !strings.Contains(row, want) {
			t.Errorf("the lookup row %q lacks %q", row, want)
		}
	}
	var reportTo string
	for _, dt := range find(doc, byTag("dt")) {
		if text(dt) == "Report to" {
			reportTo = text(dt.NextSibling)
		}
	}
	if !strings.HasPrefix(reportTo, "protect@bt.com") { // then the fallbacks from the rDNS name
		t.Errorf("Report to %q", reportTo)
	}
}

func TestHTMLLookups(t *testing.T) {
	dnsAddr, whoisAddr, path := lookupFixtures(t)
	checkLookupsShown(t, htmlReport(t, "-resolve", "-dns-server", dnsAddr, "-whois-server", whoisAddr, "-local-domain", "example.org", path))
	// offline: no lookups table, and a hint whom to ask
	doc := parseHTML(t, htmlReport(t, path))
	if n := len(find(doc, byTagClass("tr", "lookup"))); n != 0 {
		t.Errorf("%d lookup rows without -resolve", n)
	}
	if !strings.Contains(text(doc), "run with -resolve") {
		t.Error("no hint how to find whom to report to")
	}
}

// -summary goes to standard error with -format html, as with JSON, so the
// report stays one document.
func TestHTMLSummaryOnStderr(t *testing.T) {
	out, errOut, code := runCmd(t, "", "-format", "html", "-summary", sample("forged-spam.eml"), sample("gmail-to-postfix.eml"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasSuffix(out, "</html>\n") || !strings.HasPrefix(out, "<!DOCTYPE html>") {
		t.Errorf("the report is not one document: %q … %q", out[:min(len(out), 40)], out[max(0, len(out)-40):])
	}
	if !strings.Contains(errOut, "messages") || strings.Contains(out, errOut) {
		t.Errorf("summary %q", errOut)
	}
}

// TestHTMLCorpus renders a whole corpus into one report and checks it as
// TestHTMLReport checks the samples: set SPAMTRACE_HTML_CORPUS to a
// directory of messages (e.g. /work/shared/corpus-modern; never shipped).
func TestHTMLCorpus(t *testing.T) {
	dir := os.Getenv("SPAMTRACE_HTML_CORPUS")
	if dir == "" {
		t.Skip("SPAMTRACE_HTML_CORPUS not set")
	}
	var js, out, errb bytes.Buffer
	run(context.Background(), []string{"-json", dir}, nil, &js, &errb)
	run(context.Background(), []string{"-format", "html", dir}, nil, &out, &errb)
	var shapes []jsonShape
	for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var s jsonShape
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		shapes = append(shapes, s)
	}
	doc := parseHTML(t, out.String())
	checkInert(t, doc)
	sections := find(doc, byTag("section"))
	if len(sections) != len(shapes) {
		t.Fatalf("%d sections for %d messages", len(sections), len(shapes))
	}
	hops, nodes := 0, 0
	for i, sec := range sections {
		s := shapes[i]
		if n := len(find(sec, byTagClass("tr", "hop"))); n != len(s.Hops) {
			t.Errorf("%s: %d hop rows, want %d", s.File, n, len(s.Hops))
		}
		if n := len(find(sec, byTagClass("g", "node"))); n != s.graphNodes() {
			t.Errorf("%s: %d graph nodes, want %d", s.File, n, s.graphNodes())
		}
		hops += len(s.Hops)
		nodes += s.graphNodes()
	}
	t.Logf("%d messages, %d hops, %d graph nodes, %d bytes of HTML", len(sections), hops, nodes, out.Len())
}

// BenchmarkHTMLMessage renders one message's section (the forged sample:
// four hops, twelve findings).
func BenchmarkHTMLMessage(b *testing.B) {
	raw, err := os.ReadFile(sample("forged-spam.eml"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := trace.TraceMessage(context.Background(), bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	r := &record{file: "forged-spam.eml", tr: tr}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		writeHTMLMessage(&buf, r)
	}
	b.SetBytes(int64(buf.Len()))
}

// The authentication evidence and the advertised URLs appear in the HTML
// report as the text report has them: one row per verdict and identity,
// one per URL host, and each URL as text, never as a link.
func TestHTMLAuthAndURLs(t *testing.T) {
	msg := "Received: from mail.sender.example (mail.sender.example [80.68.177.35]) by mx.recipient.example (Postfix) with ESMTP id 4Q1; Mon, 1 Jan 2024 10:00:05 +0000\r\n" +
		"Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=sender.example; dkim=none\r\n" +
		"From: Bank <security@bank.example>\r\nReply-To: x@collect.example\r\nSubject: verify\r\nContent-Type: text/html\r\n\r\n" +
		"<p>Please <a href=\"http://login.bank-verify.example/x?a=1\">log in</a> at http://login.bank-verify.example/y</p>\r\n"
	path := filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(path, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, htmlReport(t, "-local-domain", "recipient.example", path))
	checkInert(t, doc)
	rows := find(doc, byTagClass("tr", "auth-row"))
	if len(rows) != 1 || !strings.Contains(text(rows[0]), "trusted") || !strings.Contains(text(rows[0]), "results mx.recipient.example: spf=pass dkim=none") {
		for _, r := range rows {
			t.Logf("auth row %q", text(r))
		}
		t.Fatalf("%d auth rows", len(rows))
	}
	ids := map[string]string{}
	for _, r := range find(doc, byTagClass("tr", "identity")) {
		var cells []string
		for c := r.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				cells = append(cells, text(c))
			}
		}
		ids[cells[0]] = cells[1] + "|" + cells[2]
	}
	if ids["From"] != "security@bank.example|" || ids["SPF pass domain"] != "sender.example|no" || ids["Reply-To"] != "x@collect.example|" {
		t.Errorf("identities %v", ids)
	}
	hosts := find(doc, byTagClass("tr", "url-host"))
	if len(hosts) != 1 || !strings.Contains(text(hosts[0]), "login.bank-verify.example") || !strings.Contains(text(hosts[0]), "bank-verify.example") {
		t.Fatalf("%d URL host rows", len(hosts))
	}
	var codes []string
	for _, ul := range find(doc, byTagClass("ul", "url-list")) {
		for _, c := range find(ul, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "code" }) {
			codes = append(codes, text(c))
		}
	}
	if len(codes) != 2 || codes[0] != "http://login.bank-verify.example/x?a=1" {
		t.Errorf("URLs %q", codes)
	}
	for _, a := range find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "a" }) {
		if href, _ := attr(a, "href"); strings.Contains(href, "bank-verify") {
			t.Errorf("a URL of the message became a link: %q", href)
		}
	}
}
