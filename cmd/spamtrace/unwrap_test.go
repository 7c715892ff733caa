package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/miekg/dns"

	"github.com/spamtrace/spamtrace/internal/mailbox"
)

// carrierHeader is a colleague forwarding spam to the abuse desk from a
// laptop: its own origin is the laptop, which no report should blame.
const carrierHeader = "Received: from laptop.example.org (laptop.example.org [198.51.100.23])\r\n" +
	"\tby mail.example.org (Postfix) with ESMTPSA id 4Q2; Wed, 13 Mar 2024 10:00:00 +0000\r\n" +
	"From: Colleague <colleague@example.org>\r\nTo: abuse@example.org\r\nSubject: Fwd: spam\r\n" +
	"Date: Wed, 13 Mar 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"

var boundarySeq int

// forwardAsAttachment wraps each message as a part of a carrier, the way
// mail clients forward as attachment; kinds[i] is "rfc822",
// "rfc822-base64" or "headers".
func forwardAsAttachment(msgs []string, kinds []string) string {
	boundarySeq++
	bd := fmt.Sprintf("fwd-%d", boundarySeq)
	var b strings.Builder
	b.WriteString(carrierHeader)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", bd)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSpam below, see http://intranet.example.org/abuse-howto\r\n", bd)
	for i, m := range msgs {
		switch kinds[i%len(kinds)] {
		case "rfc822":
			fmt.Fprintf(&b, "--%s\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n%s\r\n", bd, m)
		case "rfc822-base64":
			fmt.Fprintf(&b, "--%s\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", bd, base64Lines(m))
		case "headers":
			h := m
			if i := strings.Index(h, "\n\n"); i >= 0 {
				h = h[:i+1]
			}
			fmt.Fprintf(&b, "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n%s\r\n", bd, h)
		}
	}
	fmt.Fprintf(&b, "--%s--\r\n", bd)
	return b.String()
}

// spamWithBody is the forged sample with a body that advertises web sites
// in a quoted-printable text part and a base64 HTML part, an encoded
// Subject and a Reply-To.
func spamWithBody(t *testing.T) string {
	raw := readFile(t, sample("forged-spam.eml"))
	head := raw[:strings.Index(raw, "MIME-Version:")]
	head = strings.Replace(head, "Subject: You have won!!!\n", "Subject: =?UTF-8?Q?Your_account_is_=F0=9F=94=92_locked?=\nReply-To: =?ISO-8859-1?Q?Caf=E9?= <claims@collect.example.net>\n", 1)
	html := `<p>Dear <a href="http://track.spam.example/r?u=1&amp;v=2">customer</a></p>`
	return head + "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n" +
		"--alt\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"Claim your prize at http://win.prizes.example/claim?id=3D7 today.=\nCaf=E9 www.cheap-pills.example.com.\n" +
		"--alt\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + base64Lines(html) + "\n" +
		"--alt--\n"
}

type jsonRecord struct {
	File       string `json:"file"`
	Position   int    `json:"position"`
	AttachedTo *struct {
		Position int    `json:"position"`
		Part     string `json:"part"`
	} `json:"attached_to"`
	Attachments []string `json:"attachments"`
	Header      struct {
		From, To, Subject string
		ReplyTo           string `json:"reply_to"`
		RawSubject        string `json:"raw_subject"`
	} `json:"header"`
	Origin struct {
		Hop  int    `json:"hop"`
		IP   string `json:"ip"`
		Host string `json:"host"`
	} `json:"origin"`
	Findings []struct{ Rule, Category, Severity string } `json:"findings"`
	URLs     []struct {
		URL, Host, Domain, Part string
		Lookup                  *struct {
			IPs      []string `json:"ips"`
			Netblock *struct {
				Prefix string
				Abuse  []struct{ Email string }
			} `json:"netblock"`
			Error string `json:"error"`
		} `json:"lookup"`
	} `json:"urls"`
	MIMEErrors []string `json:"mime_errors"`
	Error      string   `json:"error"`
}

func decodeLines(t *testing.T, out string) []jsonRecord {
	t.Helper()
	var recs []jsonRecord
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r jsonRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

func findingKeys(r jsonRecord) []string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, f.Rule+"/"+f.Severity)
	}
	return s
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnwrapJSON(t *testing.T) {
	spam := spamWithBody(t)
	alone, _, _ := runCmd(t, spam, "-json", "-")
	want := decodeLines(t, alone)[0]
	if want.Origin.IP != "81.2.69.77" {
		t.Fatalf("spam alone: origin %+v", want.Origin)
	}
	carrier := forwardAsAttachment([]string{spam, spam, spam}, []string{"rfc822", "rfc822-base64", "headers"})
	out, errOut, code := runCmd(t, "", "-json", writeTemp(t, "fwd.eml", carrier))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := decodeLines(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records:\n%s", len(recs), out)
	}
	c := recs[0]
	if c.AttachedTo != nil || !slices.Equal(c.Attachments, []string{"2", "3", "4"}) || c.Origin.IP != "198.51.100.23" || c.Position != 0 {
		t.Errorf("carrier: attached_to %v attachments %v origin %+v", c.AttachedTo, c.Attachments, c.Origin)
	}
	if len(c.URLs) != 1 || c.URLs[0].Host != "intranet.example.org" || c.URLs[0].Part != "1" {
		t.Errorf("carrier urls %+v", c.URLs)
	}
	for i, a := range recs[1:] {
		part := fmt.Sprint(i + 2)
		if a.AttachedTo == nil || a.AttachedTo.Part != part || a.AttachedTo.Position != 0 || a.Position != 0 || len(a.Attachments) != 0 {
			t.Errorf("attached %s: attached_to %+v position %d", part, a.AttachedTo, a.Position)
		}
		if a.Origin != want.Origin || !slices.Equal(findingKeys(a), findingKeys(want)) {
			t.Errorf("attached %s: origin %+v findings %v\nalone: origin %+v findings %v", part, a.Origin, findingKeys(a), want.Origin, findingKeys(want))
		}
		if a.Header.Subject != "Your account is 🔒 locked" || a.Header.RawSubject != "=?UTF-8?Q?Your_account_is_=F0=9F=94=92_locked?=" ||
			a.Header.ReplyTo != "Café <claims@collect.example.net>" || a.Header.From != `"Prize Desk" <winner@prizes.example>` {
			t.Errorf("attached %s: header %+v", part, a.Header)
		}
	}
	// The URLs of the attached message, with their part paths (2.1 the
	// quoted-printable text, 2.2 the base64 HTML); a header block has none.
	var got []string
	for _, u := range recs[1].URLs {
		got = append(got, u.URL+" "+u.Host+" "+u.Domain+" "+u.Part)
	}
	wantURLs := []string{
		"http://win.prizes.example/claim?id=7 win.prizes.example prizes.example 2.1",
		"www.cheap-pills.example.com www.cheap-pills.example.com example.com 2.1",
		"http://track.spam.example/r?u=1&v=2 track.spam.example spam.example 2.2",
	}
	if !slices.Equal(got, wantURLs) {
		t.Errorf("urls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantURLs, "\n"))
	}
	if len(recs[2].URLs) != 3 || recs[2].URLs[0].Part != "3.1" || len(recs[3].URLs) != 0 {
		t.Errorf("urls of parts 3 and 4: %+v %+v", recs[2].URLs, recs[3].URLs)
	}

	// In an mbox, attached_to carries the carrier's position.
	mbox := "From a@b Mon Jan  1 00:00:00 2024\n" + strings.ReplaceAll(spam, "\r\n", "\n") + "\nFrom a@b Mon Jan  1 00:00:00 2024\n" +
		strings.ReplaceAll(forwardAsAttachment([]string{spam}, []string{"rfc822"}), "\r\n", "\n")
	out, _, _ = runCmd(t, "", "-json", writeTemp(t, "in.mbox", mbox))
	recs = decodeLines(t, out)
	if len(recs) != 3 || recs[0].Position != 1 || recs[1].Position != 2 || !slices.Equal(recs[1].Attachments, []string{"2"}) ||
		recs[2].AttachedTo == nil || recs[2].AttachedTo.Position != 2 || recs[2].AttachedTo.Part != "2" || recs[2].Position != 0 {
		t.Errorf("mbox:\n%s", out)
	}
	if recs[2].Origin != want.Origin {
		t.Errorf("mbox attached origin %+v", recs[2].Origin)
	}
}

// An attached part that is not a message is reported on its record; the
// run's exit status stays 0.
func TestUnreadableAttachment(t *testing.T) {
	carrier := forwardAsAttachment([]string{"this is not a message\r\nat all\r\n"}, []string{"rfc822"})
	out, _, code := runCmd(t, "", "-json", writeTemp(t, "fwd.eml", carrier))
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 2 || recs[1].AttachedTo == nil || recs[1].Error == "" {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _, code = runCmd(t, "", "-format", "arf", writeTemp(t, "fwd.eml", carrier))
	if code != 0 || !strings.HasPrefix(out, "# ") || !strings.Contains(out, "fwd.eml part 2: no report: ") {
		t.Errorf("arf: exit %d:\n%s", code, out)
	}
}

// Hostile nesting costs a bounded number of traces: messages nested 50
// deep give the carrier and 4 levels; 300 attachments give 100.
func TestUnwrapCaps(t *testing.T) {
	m := "Received: from a.example ([81.2.69.1]) by mx.example.org; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: x\r\n\r\nhi\r\n"
	for range 50 {
		m = forwardAsAttachment([]string{m}, []string{"rfc822"})
	}
	out, _, code := runCmd(t, "", "-json", writeTemp(t, "deep.eml", m))
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 5 || recs[4].AttachedTo.Part != "2.2.2.2" || !strings.Contains(strings.Join(recs[4].MIMEErrors, ";"), "nested deeper than 4") {
		t.Errorf("deep: exit %d, %d records, last %+v", code, len(recs), recs[len(recs)-1].MIMEErrors)
	}
	many := make([]string, 300)
	for i := range many {
		many[i] = m[:strings.Index(m, "\r\n\r\n")+4]
	}
	out, _, _ = runCmd(t, "", "-json", writeTemp(t, "many.eml", forwardAsAttachment(many, []string{"headers"})))
	recs = decodeLines(t, out)
	if len(recs) != 101 || len(recs[0].Attachments) != 100 || len(recs[0].MIMEErrors) != 1 || !strings.Contains(recs[0].MIMEErrors[0], "part 102: more than 100 attached messages") {
		t.Errorf("many: %d records, %d attachments, errors %v", len(recs), len(recs[0].Attachments), recs[0].MIMEErrors)
	}
}

func TestDecodedHeaderCharsets(t *testing.T) {
	msg := "Received: from a.example (a.example [81.2.69.1]) by mx.example.org with SMTP; Tue, 12 Mar 2024 09:14:31 +0000\r\n" +
		"From: =?KOI8-R?B?8NLJ18XU?= <x@a.example>\r\n" + // "Привет" in KOI8-R
		"Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= =?x-unknown?Q?kept?=\r\n\r\nbody\r\n"
	out, _, _ := runCmd(t, msg, "-json", "-")
	r := decodeLines(t, out)[0]
	if r.Header.From != "Привет <x@a.example>" {
		t.Errorf("from %q", r.Header.From)
	}
	// An unknown charset keeps the value as written.
	if r.Header.Subject != r.Header.RawSubject || !strings.Contains(r.Header.Subject, "=?x-unknown?Q?kept?=") {
		t.Errorf("subject %q raw %q", r.Header.Subject, r.Header.RawSubject)
	}
	msg = strings.Replace(msg, " =?x-unknown?Q?kept?=", "", 1)
	text, _, _ := runCmd(t, msg, "-")
	if !strings.Contains(text, "Subject:     テスト\n") || !strings.Contains(text, "From:        Привет <x@a.example>\n") {
		t.Errorf("text:\n%s", text)
	}
}

func TestUnwrapText(t *testing.T) {
	spam := spamWithBody(t)
	carrier := forwardAsAttachment([]string{spam}, []string{"rfc822"})
	out, _, code := runCmd(t, "", writeTemp(t, "fwd.eml", carrier))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"Carries:     an attached message (part 2), traced below; this trace is of the forwarding message\n",
		"fwd.eml part 2\n",
		"Attached:    part 2 of the carrier traced before this one",
		"Subject:     Your account is 🔒 locked\n",
		"Reply-To:    Café <claims@collect.example.net>\n",
		"Advertised URLs: 3 URLs, 3 hosts\n",
		"  win.prizes.example (domain prizes.example): 1 in part 2.1\n",
		"  track.spam.example (domain spam.example): 1 in part 2.2\n",
		"  - http://win.prizes.example/claim?id=7\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	// The attached message's origin is the spam's, not the laptop.
	attached := out[strings.Index(out, "fwd.eml part 2"):]
	if !strings.Contains(attached, "81.2.69.77") || strings.Contains(attached, "198.51.100.23") {
		t.Errorf("attached report:\n%s", attached)
	}
}

// readARF parses one report and returns its feedback-report fields, its
// header and the text of its first part.
func readARF(t *testing.T, raw string) (message.Header, textproto.Header, string) {
	t.Helper()
	e, err := message.Read(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("%v:\n%s", err, raw)
	}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatalf("not multipart:\n%s", raw)
	}
	var fields textproto.Header
	var human string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.ContentType()
		switch ct {
		case "message/feedback-report":
			fields, err = textproto.ReadHeader(bufio.NewReader(p.Body))
			if err != nil {
				t.Fatal(err)
			}
		case "text/plain":
			b, _ := io.ReadAll(p.Body)
			human = string(b)
		}
	}
	return e.Header, fields, human
}

func TestARFBlamesTheRightParty(t *testing.T) {
	spam := spamWithBody(t)
	// A single message: one report, no From_ line, no To: without lookups.
	out, _, code := runCmd(t, spam, "-format", "arf", "-")
	if code != 0 || strings.HasPrefix(out, "From ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	h, fields, human := readARF(t, out)
	if h.Get("To") != "" || !strings.Contains(h.Get("Comments"), "run spamtrace with -resolve") {
		t.Errorf("To %q Comments %q", h.Get("To"), h.Get("Comments"))
	}
	// Neither the From domain nor a HELO/recorded name is verified.
	if v := fields.Values("Reported-Domain"); len(v) != 0 {
		t.Errorf("Reported-Domain %v", v)
	}
	uris := fields.Values("Reported-URI")
	if !slices.Equal(uris, []string{"http://win.prizes.example/claim?id=7", "www.cheap-pills.example.com", "http://track.spam.example/r?u=1&v=2"}) {
		t.Errorf("Reported-URI %v", uris)
	}
	for _, want := range []string{"Subject:  Your account is 🔒 locked", "hop 2: ", "numbered from 0", "- win.prizes.example (domain prizes.example)", "recorded as dsl-81-2-69-77.pool.example.net; that name is not verified"} {
		if !strings.Contains(human, want) {
			t.Errorf("human part lacks %q:\n%s", want, human)
		}
	}
	// Hop numbers are the text report's.
	text, _, _ := runCmd(t, spam, "-")
	if !strings.Contains(text, "hop 2: ") || strings.Contains(human, "Received header") {
		t.Errorf("hop numbering differs:\n%s\n%s", text, human)
	}

	// A carrier of five: five reports about the attached messages, none
	// about the carrier, as an mbox that reads back as five messages.
	five := forwardAsAttachment([]string{spam, spam, spam, spam, spam}, []string{"rfc822", "rfc822-base64"})
	out, _, code = runCmd(t, "", "-format", "arf", writeTemp(t, "five.eml", five))
	if code != 0 || !strings.HasPrefix(out, "From spamtrace@localhost ") {
		t.Fatalf("exit %d:\n%.300s", code, out)
	}
	var reports []string
	mailbox.ReadPath("-", strings.NewReader(out), nil, func(m mailbox.Message) bool {
		reports = append(reports, string(m.Data))
		return true
	})
	if len(reports) != 5 {
		t.Fatalf("%d reports in the mbox", len(reports))
	}
	for _, r := range reports {
		_, f, _ := readARF(t, r)
		if f.Get("Source-IP") != "81.2.69.77" {
			t.Errorf("Source-IP %q", f.Get("Source-IP"))
		}
		if strings.Contains(r, "198.51.100.23") {
			t.Errorf("a report names the forwarder's laptop")
		}
	}

	// An mbox input gives an mbox of reports, a carrier's included.
	mbox := "From a@b Mon Jan  1 00:00:00 2024\n" + spam + "\nFrom a@b Mon Jan  1 00:00:00 2024\n" + strings.ReplaceAll(five, "\r\n", "\n")
	mboxPath := writeTemp(t, "in.mbox", mbox)
	out, _, _ = runCmd(t, "", "-format", "arf", mboxPath)
	n := 0
	mailbox.ReadPath("-", strings.NewReader(out), nil, func(m mailbox.Message) bool { n++; return true })
	if n != 6 {
		t.Errorf("mbox run: %d reports, want 6", n)
	}

	// -out: one .eml per report.
	dir := filepath.Join(t.TempDir(), "reports")
	out, errOut, code := runCmd(t, "", "-out", dir, mboxPath)
	if code != 0 {
		t.Fatalf("-out: exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 6 || strings.Count(out, "\n") != 6 || !strings.Contains(out, "in.mbox-2-part6.eml: ") || !strings.Contains(out, "report on 81.2.69.77, no abuse contact known") {
		t.Errorf("-out files %v, output:\n%s", files, out)
	}
	for _, f := range files {
		_, fields, _ := readARF(t, readFile(t, f))
		if fields.Get("Feedback-Type") != "abuse" {
			t.Errorf("%s: %v", f, fields)
		}
	}
	if _, _, code := runCmd(t, "", "-out", dir, "-json", mboxPath); code != 2 {
		t.Errorf("-out with -json: exit %d", code)
	}
}

// dnsLoopback answers A and PTR questions from a table on a loopback UDP
// port and NXDOMAIN for everything else.
func dnsLoopback(t *testing.T, a, ptr map[string]string) string {
	t.Helper()
	return serveDNS(t, func(q dns.Question, m *dns.Msg) {
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60}
		switch {
		case q.Qtype == dns.TypeA && a[q.Name] != "":
			hdr.Rrtype = dns.TypeA
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.ParseIP(a[q.Name])})
		case q.Qtype == dns.TypePTR && ptr[q.Name] != "":
			hdr.Rrtype = dns.TypePTR
			m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr, Ptr: ptr[q.Name]})
		case a[q.Name] != "" || ptr[q.Name] != "":
			// the name exists, without records of this type
		default:
			m.Rcode = dns.RcodeNameError
		}
	})
}

// With -resolve: To is the origin network's abuse contact, Reported-Domain
// the forward-confirmed name (not the forged HELO), and each URL host's
// address and network are looked up through the same resolvers.
func TestARFAndURLsResolved(t *testing.T) {
	dnsAddr := dnsLoopback(t,
		map[string]string{"relay.bt.example.": "62.239.237.1", "shop.spam.example.": "62.239.237.80"},
		map[string]string{"1.237.239.62.in-addr.arpa.": "relay.bt.example."})
	whoisAddr := whoisServer(t, "../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	spam := "Received: from mail.example.org ([62.239.237.1]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\n" +
		"From: x@prizes.example\r\nSubject: buy\r\nContent-Type: text/plain\r\n\r\nhttp://shop.spam.example/buy http://nxdomain.example/\r\n"
	carrier := forwardAsAttachment([]string{spam}, []string{"rfc822"})
	path := writeTemp(t, "fwd.eml", carrier)
	args := []string{"-resolve", "-dns-server", dnsAddr, "-whois-server", whoisAddr, "-local-domain", "example.org"}
	out, errOut, code := runCmd(t, "", append([]string{"-format", "arf"}, append(args, path)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Two reports, so an mbox: one on the origin, one to the network that
	// hosts the advertised site (SpamCop's second report).
	var reps []string
	mailbox.ReadPath("-", strings.NewReader(out), nil, func(m mailbox.Message) bool {
		reps = append(reps, string(m.Data))
		return true
	})
	if len(reps) != 2 {
		t.Fatalf("%d reports:\n%s", len(reps), out)
	}
	sh, sf, shuman := readARF(t, reps[1])
	if sh.Get("To") != "protect@bt.com" || !strings.Contains(sh.Get("Subject"), "web site advertised in spam: shop.spam.example") ||
		!slices.Equal(sf.Values("Reported-URI"), []string{"http://shop.spam.example/buy"}) || sf.Get("Source-IP") != "62.239.237.1" ||
		!strings.Contains(shuman, "- shop.spam.example at 62.239.237.80") || strings.Contains(shuman, "nxdomain") {
		t.Errorf("site report: To %q Subject %q URIs %v\n%s", sh.Get("To"), sh.Get("Subject"), sf.Values("Reported-URI"), shuman)
	}
	h, fields, human := readARF(t, reps[0])
	if h.Get("To") != "protect@bt.com" || h.Get("Comments") != "" {
		t.Errorf("To %q Comments %q", h.Get("To"), h.Get("Comments"))
	}
	if got := fields.Values("Reported-Domain"); !slices.Equal(got, []string{"relay.bt.example"}) {
		t.Errorf("Reported-Domain %v", got)
	}
	if !strings.Contains(h.Get("Subject"), "62.239.237.1 (relay.bt.example)") || !strings.Contains(human, "at 62.239.237.80, network 62.239.237.0/24 BT-CORPORATE") || !strings.Contains(human, "abuse contact protect@bt.com") {
		t.Errorf("Subject %q human:\n%s", h.Get("Subject"), human)
	}

	outDir := t.TempDir()
	out, _, _ = runCmd(t, "", append([]string{"-out", outDir}, append(args, path)...)...)
	files, _ := filepath.Glob(filepath.Join(outDir, "*.eml"))
	if len(files) != 2 || !strings.HasSuffix(files[0], "fwd-part2-site1.eml") || !strings.HasSuffix(files[1], "fwd-part2.eml") ||
		!strings.Contains(out, "report on the web sites shop.spam.example, to protect@bt.com") || !strings.Contains(out, "report on 62.239.237.1, to protect@bt.com") {
		t.Errorf("-out files %v:\n%s", files, out)
	}

	out, _, _ = runCmd(t, "", append([]string{"-json"}, append(args, path)...)...)
	recs := decodeLines(t, out)
	if len(recs) != 2 || len(recs[1].URLs) != 2 {
		t.Fatalf("records:\n%s", out)
	}
	u := recs[1].URLs[0]
	if u.Lookup == nil || !slices.Equal(u.Lookup.IPs, []string{"62.239.237.80"}) || u.Lookup.Netblock == nil || u.Lookup.Netblock.Prefix != "62.239.237.0/24" || u.Lookup.Netblock.Abuse[0].Email != "protect@bt.com" {
		t.Errorf("url lookup %+v", u.Lookup)
	}
	if l := recs[1].URLs[1].Lookup; l == nil || len(l.IPs) != 0 || l.Netblock != nil {
		t.Errorf("nxdomain lookup %+v", l)
	}
	text, _, _ := runCmd(t, "", append(args, path)...)
	if !strings.Contains(text, "      at 62.239.237.80, network 62.239.237.0/24 BT-CORPORATE") {
		t.Errorf("text:\n%s", text)
	}
}

// base64Lines encodes s in base64 lines of 76 characters (RFC 2045).
func base64Lines(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

// -summary counts an attached message as a message of its own and says
// how many of the messages were attached to another.
func TestSummaryCountsAttached(t *testing.T) {
	dir := t.TempDir()
	spam := readFile(t, sample("forged-spam.eml"))
	fwd := filepath.Join(dir, "fwd.eml")
	if err := os.WriteFile(fwd, []byte(forwardAsAttachment([]string{spam, spam}, []string{"rfc822"})), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, "", "-json", "-summary", fwd, sample("forged-spam.eml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "messages: 4 (2 of them attached to another)  with an origin") {
		t.Errorf("summary:\n%s", errOut)
	}
	_, errOut, _ = runCmd(t, "", "-json", "-summary", sample("forged-spam.eml"))
	if !strings.Contains(errOut, "messages: 1  with an origin") {
		t.Errorf("summary without attachments:\n%s", errOut)
	}
}
