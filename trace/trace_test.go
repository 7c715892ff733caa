package trace

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/received"
)

func traceFile(t *testing.T, name string) *Trace {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := TraceMessage(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func mediumOrHigh(tr *Trace) []Finding {
	var out []Finding
	for _, f := range tr.Findings {
		if f.Severity >= SeverityMedium {
			out = append(out, f)
		}
	}
	return out
}

func hasFinding(tr *Trace, cat Category, hop int, min Severity) bool {
	for _, f := range tr.Findings {
		if f.Category == cat && f.Hop == hop && f.Severity >= min {
			return true
		}
	}
	return false
}

func TestLegitimateChains(t *testing.T) {
	tests := []struct {
		file     string
		originIP string
		hop      int
	}{
		{"gmail-to-postfix.eml", "209.85.221.54", 1},
		{"exchange-online.eml", "81.2.69.160", 3},
		{"fetchmail-list.eml", "81.2.69.192", 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tr := traceFile(t, tt.file)
			if got := tr.Origin.IP.String(); got != tt.originIP || tr.Origin.Hop != tt.hop {
				t.Errorf("origin = %s at hop %d, want %s at hop %d (%s)", got, tr.Origin.Hop, tt.originIP, tt.hop, tr.Origin.Reason)
			}
			for _, f := range mediumOrHigh(tr) {
				t.Errorf("legitimate message raised %s %s at hop %d: %s", f.Severity, f.Category, f.Hop, f.Message)
			}
			for i, h := range tr.Hops {
				want := TrustTrusted
				switch {
				case i == tt.hop:
					want = TrustOrigin
				case i > tt.hop:
					want = TrustUnverifiable
				}
				if h.Trust != want {
					t.Errorf("hop %d trust = %v, want %v", i, h.Trust, want)
				}
			}
		})
	}
}

func TestForgedSample(t *testing.T) {
	tr := traceFile(t, "forged-spam.eml")
	if tr.Origin.Hop != 1 || tr.Origin.IP != netip.MustParseAddr("81.2.69.77") {
		t.Fatalf("origin = %+v, want 81.2.69.77 at hop 1", tr.Origin)
	}
	want := []struct {
		cat Category
		hop int
		min Severity
	}{
		{CategoryTimezoneMismatch, -1, SeverityHigh},
		{CategoryDynamicHost, 1, SeverityMedium},
		{CategoryBrokenChain, 2, SeverityMedium},
		{CategoryEncodedIP, 2, SeverityHigh},
		{CategoryTimezoneMismatch, 2, SeverityHigh},
		{CategoryQueueIDTime, 2, SeverityHigh},
		{CategorySpamware, 2, SeverityMedium},
		{CategoryInvalidIP, 3, SeverityHigh},
		{CategoryTimeTravel, 3, SeverityMedium},
	}
	for _, w := range want {
		if !hasFinding(tr, w.cat, w.hop, w.min) {
			t.Errorf("missing %s at hop %d (≥ %s); findings: %v", w.cat, w.hop, w.min, tr.Findings)
		}
	}
	if tr.Hops[2].Trust != TrustUnverifiable || tr.Hops[3].Trust != TrustUnverifiable {
		t.Errorf("forged hops not unverifiable: %v %v", tr.Hops[2].Trust, tr.Hops[3].Trust)
	}
	if !tr.Edges[1].Broken || tr.Edges[0].Broken {
		t.Errorf("edges = %+v", tr.Edges)
	}
}

// chain builds a trace from header values, topmost first.
func chain(t *testing.T, tracer *Tracer, vals ...string) *Trace {
	t.Helper()
	hops := make([]received.Hop, len(vals))
	errs := make([]error, len(vals))
	for i, v := range vals {
		hops[i], errs[i] = received.Parse(v)
	}
	if tracer == nil {
		tracer = &Tracer{Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }}
	}
	tr := tracer.TraceHops(hops)
	for i := range tr.Hops {
		tr.Hops[i].ParseErr = errs[i]
	}
	return tr
}

const top = "from mx.example.net (mx.example.net [81.2.69.10]) by mail.example.org (Postfix) with ESMTP id 4Q1 for <a@example.org>; Tue, 12 Mar 2024 09:14:31 -0400 (EDT)"

func TestCategories(t *testing.T) {
	tests := []struct {
		name  string
		lower string // the hop below top, written by mx.example.net
		cat   Category
		min   Severity
		want  bool
		alone bool // trace lower alone: it is then the origin hop
	}{
		{"tz EST -0600", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (8.9.3/8.9.3) with SMTP id NAA01234; Tue, 12 Mar 2024 07:14:01 -0600 (EST)", CategoryTimezoneMismatch, SeverityHigh, true, false},
		{"tz EDT -0700", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 06:14:01 -0700 (EDT)", CategoryTimezoneMismatch, SeverityHigh, true, false},
		{"tz EST -0500 ok", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 08:14:01 -0500 (EST)", CategoryTimezoneMismatch, SeverityInfo, false, false},
		{"tz CEST ok", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 15:14:01 +0200 (CEST)", CategoryTimezoneMismatch, SeverityInfo, false, false},
		{"tz GMT +0100", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 14:14:01 +0100 (GMT)", CategoryTimezoneMismatch, SeverityHigh, true, false},
		{"old sendmail id hour", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (8.9.3/8.9.3) with SMTP id GAA02084; Tue, 12 Mar 2024 13:14:01 +0000", CategoryQueueIDTime, SeverityHigh, true, false},
		{"old sendmail id ok", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (8.9.3/8.9.3) with SMTP id NAA02084; Tue, 12 Mar 2024 13:14:01 +0000", CategoryQueueIDTime, SeverityInfo, false, false},
		{"sendmail 8.12 id", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (8.12.5/8.12.5) with ESMTP id g7MKU1a12345; Tue, 12 Mar 2024 13:14:01 +0000", CategoryQueueIDTime, SeverityHigh, true, false},
		{"sendmail 8.12 id ok", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (8.12.5/8.12.5) with ESMTP id g7MKU1a12345; Thu, 22 Aug 2002 21:30:02 +0100", CategoryQueueIDTime, SeverityInfo, false, false},
		{"exim id", "from a.example.com ([81.2.69.20] helo=a.example.com) by mx.example.net with esmtp (Exim 4.92) id 1hXyZa-0001Ab-Cd; Tue, 12 Mar 2024 13:14:01 +0000", CategoryQueueIDTime, SeverityHigh, true, false},
		{"postfix long id", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (Postfix) with ESMTP id 3Pt2mN2VXxznjll; Tue, 12 Mar 2024 13:14:01 +0000", CategoryQueueIDTime, SeverityHigh, true, false},
		{"postfix long id ok", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net (Postfix) with ESMTP id 3Pt2mN2VXxznjll; Sun, 20 Mar 2011 14:31:50 +0000", CategoryQueueIDTime, SeverityInfo, false, false},
		{"invalid octet", "from a.example.com ([300.1.2.3]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryInvalidIP, SeverityHigh, true, false},
		{"class D", "from a.example.com ([224.1.2.3]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryReservedIP, SeverityHigh, true, false},
		{"class E", "from a.example.com ([250.1.2.3]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryReservedIP, SeverityHigh, true, false},
		{"zero net", "from a.example.com ([0.1.2.3]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryReservedIP, SeverityHigh, true, false},
		{"private is info", "from a.example.com ([192.168.1.2]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryReservedIP, SeverityMedium, false, false},
		{"decimal ip", "from 3735928559 ([3735928559]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryEncodedIP, SeverityHigh, true, false},
		{"hex ip", "from a.example.com ([0xdeadbeef]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryEncodedIP, SeverityHigh, true, false},
		{"dotted octal ip", "from a.example.com ([0336.0255.0276.0357]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryEncodedIP, SeverityHigh, true, false},
		{"time travel a day", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Wed, 13 Mar 2024 14:14:01 +0000", CategoryTimeTravel, SeverityHigh, true, false},
		{"clock skew minutes", "from a.example.com (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:20:01 +0000", CategoryTimeTravel, SeverityMedium, false, false},
		{"helo literal other", "from [81.9.9.9] (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryHELOIPMismatch, SeverityMedium, true, false},
		{"helo literal same /24", "from [81.2.69.21] (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryHELOIPMismatch, SeverityInfo, false, false},
		{"helo literal NAT", "from [192.168.1.5] (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryHELOIPMismatch, SeverityMedium, false, false},
		{"dynamic origin", "from ppp-81-2-69-20.dialup.example.com (ppp-81-2-69-20.dialup.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryDynamicHost, SeverityMedium, true, true},
		{"dynamic below origin to a mail server", "from ppp-81-2-69-20.dialup.example.com (ppp-81-2-69-20.dialup.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryDynamicHost, SeverityMedium, false, false},
		{"dynamic relaying to a dynamic host", "from ppp-81-2-69-20.dialup.example.com (ppp-81-2-69-20.dialup.example.com [81.2.69.20]) by dsl-81-2-70-1.pool.example.org with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryDynamicHost, SeverityMedium, true, false},
		{"dynamic own isp", "from pc (dsl-81-2-69-20.example.net [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryDynamicHost, SeverityMedium, false, false},
		{"static", "from mail.example.com (mail.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryDynamicHost, SeverityInfo, false, false},
		{"broken chain", "from a.example.com (a.example.com [81.2.69.20]) by relay.other.example with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryBrokenChain, SeverityMedium, true, false},
		{"helo big provider", "from mail.gmail.com (host.spam.example [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategoryForgedHELO, SeverityMedium, true, false},
		{"alt1", "from alt1 (a.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000", CategorySpamware, SeverityMedium, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, hop := chain(t, nil, top, tt.lower), 1
			if tt.alone {
				tr, hop = chain(t, nil, tt.lower), 0
			}
			if got := hasFinding(tr, tt.cat, hop, tt.min); got != tt.want {
				t.Errorf("finding %s ≥ %s at hop %d = %v, want %v; findings:\n%s", tt.cat, tt.min, hop, got, tt.want, dump(tr.Findings))
			}
		})
	}
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Severity.String() + " " + string(f.Category) + " hop " + itoa(f.Hop) + ": " + f.Message + "\n")
	}
	return b.String()
}

func TestForgedHELOLocalDomain(t *testing.T) {
	tracer := &Tracer{LocalDomains: []string{"example.org"}}
	tr := chain(t, tracer, "from mail.example.org (host.spam.example [81.2.69.20]) by mail.example.org (Postfix) with SMTP id 1; Tue, 12 Mar 2024 13:14:01 +0000")
	if !hasFinding(tr, CategoryForgedHELO, 0, SeverityHigh) {
		t.Errorf("no forged-helo; findings:\n%s", dump(tr.Findings))
	}
}

func TestTrustedNetworks(t *testing.T) {
	tracer := &Tracer{TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("81.2.69.0/24")}}
	tr := chain(t, tracer, top,
		"from b.example.com (b.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000",
		"from c.example.com (c.example.com [198.51.100.3]) by b.example.com with SMTP; Tue, 12 Mar 2024 13:13:59 +0000")
	if tr.Origin.Hop != 2 || tr.Origin.IP.String() != "198.51.100.3" {
		t.Errorf("origin = %+v", tr.Origin)
	}
	tr = chain(t, nil, top,
		"from b.example.com (b.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000")
	if tr.Origin.Hop != 0 || tr.Origin.IP.String() != "81.2.69.10" {
		t.Errorf("untrusted origin = %+v", tr.Origin)
	}
}

func TestForgedHopBreaksChainOrigin(t *testing.T) {
	tr := chain(t, nil, top,
		"from a.example.com (a.example.com [81.2.69.20]) by relay.forged.example with SMTP; Tue, 12 Mar 2024 13:14:01 +0000")
	if tr.Origin.IP.String() == "81.2.69.20" {
		t.Errorf("origin is the forged hop's IP")
	}
	if tr.Origin.IP.String() != "81.2.69.10" {
		t.Errorf("origin = %v", tr.Origin.IP)
	}
}

func TestAuthenticatedSubmissionIsOrigin(t *testing.T) {
	tr := chain(t, nil,
		"from smtp.isp.example (smtp.isp.example [81.2.69.1]) by mx.example.org (Postfix) with ESMTPS id 1; Tue, 12 Mar 2024 13:14:05 +0000",
		"from [192.168.1.5] (dsl-81-2-70-5.isp.example [81.2.70.5]) (Authenticated sender: bob) by smtp.isp.example (Postfix) with ESMTPSA id 2; Tue, 12 Mar 2024 13:14:01 +0000")
	if tr.Origin.Hop != 0 {
		t.Errorf("origin hop = %d, want 0 (the ISP relay, not trusted by the recipient)", tr.Origin.Hop)
	}
	if hasFinding(tr, CategoryDynamicHost, 1, SeverityMedium) {
		t.Errorf("authenticated dynamic submission flagged")
	}
}

func TestQueueIDDecoders(t *testing.T) {
	d, ok := decodeSendmailID("f7DHV1l01943")
	if !ok || d.year60 != 41 || d.month != 7 || d.day != 13 || d.hour != 17 || d.min != 31 || d.sec != 1 {
		t.Errorf("sendmail f7DHV1l01943 = %+v %v", d, ok)
	}
	d, ok = decodePostfixLongID("3Pt2mN2VXxznjll")
	if !ok || d.abs.Unix() != 1300631508 {
		t.Errorf("postfix = %v %v", d.abs.Unix(), ok)
	}
	d, ok = decodeEximID("1hXyZa-0001Ab-Cd")
	if !ok || d.abs.IsZero() {
		t.Errorf("exim = %+v %v", d, ok)
	}
	for _, id := range []string{"", "8A5E343F99", "GAA0208", "zzzzzzzzzzzzzz", "1hXyZa-0001Ab"} {
		if _, ok := decodeSendmailID(id); ok && id != "" {
			t.Errorf("decodeSendmailID(%q) accepted", id)
		}
	}
}

func TestEncodesIP(t *testing.T) {
	ip := netip.MustParseAddr("81.2.69.20")
	for _, h := range []string{"81-2-69-20.dyn.example", "20.69.2.81.in-addr.example", "host-081002069020.example", "cpe-51024514.example"} {
		if !encodesIP(h, ip) {
			t.Errorf("encodesIP(%q) = false", h)
		}
	}
	if encodesIP("mail.example.com", ip) {
		t.Error("encodesIP(mail.example.com) = true")
	}
}

func TestNoHopsNoPanic(t *testing.T) {
	tr, err := TraceMessage(context.Background(), strings.NewReader("Subject: hi\r\n\r\nbody"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != -1 || len(tr.Hops) != 0 {
		t.Errorf("origin = %+v", tr.Origin)
	}
	if _, err := TraceMessage(context.Background(), strings.NewReader("")); err == nil {
		t.Error("empty input: no error")
	}
}

func FuzzTraceMessage(f *testing.F) {
	for _, name := range []string{"forged-spam.eml", "gmail-to-postfix.eml", "exchange-online.eml", "fetchmail-list.eml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Received: from [3735928559] by x; Mon, 1 Jan 2001 00:00:00 -0600 (EST)\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := TraceMessage(context.Background(), strings.NewReader(string(data)))
		if err != nil {
			return
		}
		if len(tr.Hops) > 0 && len(tr.Edges) != len(tr.Hops)-1 {
			t.Fatalf("%d hops, %d edges", len(tr.Hops), len(tr.Edges))
		}
		if tr.Origin.Hop >= len(tr.Hops) {
			t.Fatalf("origin hop %d of %d", tr.Origin.Hop, len(tr.Hops))
		}
		for _, f := range tr.Findings {
			if f.Hop < -1 || f.Hop >= len(tr.Hops) {
				t.Fatalf("finding hop %d of %d", f.Hop, len(tr.Hops))
			}
		}
	})
}

// A hop below an opaque internal one (a spool pickup naming no client)
// must be written by the same organisation; a stranger's server breaks the
// chain, while the organisation's own relay and anything below a mailbox
// fetch do not.
func TestStrangerBelowOpaqueHop(t *testing.T) {
	spool := "from SpoolDir by EMS-SRV0.corp.example.org (Mercury 1.44); Tue, 12 Mar 2024 13:14:31 +0000"
	mx := "from mx1.example.org (mx1.example.org [81.2.69.30]) by EMS-SRV0.corp.example.org; Tue, 12 Mar 2024 13:14:31 +0000"
	own := "from a.example.com (a.example.com [81.2.69.20]) by gw.example.org with ESMTP; Tue, 12 Mar 2024 13:14:01 +0000"
	stranger := "from a.example.com (a.example.com [81.2.69.20]) by relay3.unrelated.example.net with ESMTP; Tue, 12 Mar 2024 13:14:01 +0000"
	if tr := chain(t, nil, mx, spool, stranger); !hasFinding(tr, CategoryBrokenChain, 2, SeverityMedium) || !tr.Edges[1].Broken {
		t.Errorf("stranger below a spool pickup not flagged: %+v %s", tr.Edges, dump(tr.Findings))
	}
	if tr := chain(t, nil, mx, spool, own); hasFinding(tr, CategoryBrokenChain, 2, SeverityMedium) {
		t.Errorf("the organisation's own relay flagged: %s", dump(tr.Findings))
	}
	fetch := "from pop.example.org [81.2.69.40] by localhost with POP3 (fetchmail-6.4.0) for <u@localhost> (single-drop); Tue, 12 Mar 2024 13:20:00 +0000"
	if tr := chain(t, nil, fetch, stranger); hasFinding(tr, CategoryBrokenChain, 1, SeverityMedium) {
		t.Errorf("a hop below a mailbox fetch flagged: %s", dump(tr.Findings))
	}
}

// A dial-up host is the sending system of hop 2 in each of these chains;
// what the hops above say about its receiver decides the severity.
func TestDynamicHostReceiver(t *testing.T) {
	const dyn = "from ppp-81-2-69-20.dialup.isp.example (ppp-81-2-69-20.dialup.isp.example [81.2.69.20]) by %s with SMTP%s; Tue, 12 Mar 2024 13:13:01 +0000"
	tests := []struct {
		name   string
		middle string // hop 1
		by     string // hop 2's receiver
		for_   string // hop 2's envelope recipient clause
		want   bool
	}{
		{"below a local submission", "by mx.example.net (Postfix, from userid 500) id 4Q2; Tue, 12 Mar 2024 13:14:00 +0000", "mx.example.net", "", true},
		{"below an authenticated submission", "from pc (a.example.com [81.2.69.30]) (Authenticated sender: bob) by mx.example.net (Postfix) with ESMTPSA id 4Q2; Tue, 12 Mar 2024 13:14:00 +0000", "a.example.com", "", true},
		{"below a webmail submission", "from [81.2.69.30] by mx.example.net with HTTP; Tue, 12 Mar 2024 13:14:00 +0000", "[81.2.69.30]", "", true},
		{"relayed by a workstation", "from pc17 (a.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000", "a.example.com", "", true},
		{"relayed by a mail server", "from relay.example.com (relay.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000", "relay.example.com", "", false},
		{"third-party relay for a stranger", "from relay.example.com (relay.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000", "relay.example.com", " for <bob@elsewhere.example>", true},
		{"to the recipient's server", "from relay.example.com (relay.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000", "relay.example.com", " for <list@example.com>", false},
		{"to its own provider", "from relay.example.com (relay.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000", "smtp.isp.example", " for <bob@elsewhere.example>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := chain(t, nil, top, tt.middle, fmt.Sprintf(dyn, tt.by, tt.for_))
			if got := hasFinding(tr, CategoryDynamicHost, 2, SeverityMedium); got != tt.want {
				t.Errorf("dynamic-host ≥ medium at hop 2 = %v, want %v; findings:\n%s", got, tt.want, dump(tr.Findings))
			}
		})
	}
}

// A hop relaying for a domain the message's own recipient fields name is
// delivery towards the recipient, not relaying for a stranger.
func TestDynamicHostKnownRecipient(t *testing.T) {
	msg := "Received: " + top + "\r\n" +
		"Received: from relay.example.com (relay.example.com [81.2.69.30]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:00 +0000\r\n" +
		"Received: from ppp-81-2-69-20.dialup.isp.example (ppp-81-2-69-20.dialup.isp.example [81.2.69.20]) by relay.example.com with SMTP for <bob@elsewhere.example>; Tue, 12 Mar 2024 13:13:01 +0000\r\n" +
		"To: %s\r\nSubject: hi\r\n\r\nbody\r\n"
	for _, tt := range []struct {
		to   string
		want bool
	}{{"Bob <bob@elsewhere.example>", false}, {"carol@example.org", true}} {
		tr, err := TraceMessage(context.Background(), strings.NewReader(fmt.Sprintf(msg, tt.to)))
		if err != nil {
			t.Fatal(err)
		}
		if got := hasFinding(tr, CategoryDynamicHost, 2, SeverityMedium); got != tt.want {
			t.Errorf("To %q: dynamic-host ≥ medium = %v, want %v; findings:\n%s", tt.to, got, tt.want, dump(tr.Findings))
		}
	}
}
