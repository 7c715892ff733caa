package received

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestParseFields pins the fields the issue names, one dialect at a time.
// The golden corpus covers the rest; these are the ones trace relies on.
func TestParseFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want func(h Hop) string // returns "" when h is right, else what is wrong
	}{
		{"postfix tls", "from mail.example.net (mail.example.net [198.51.100.7]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.example.org (Postfix) with ESMTPS id 4QxYz for <b@example.org>; Wed, 29 Apr 2026 21:12:16 +0200 (CEST)",
			func(h Hop) string {
				return check(
					h.From.HELO == "mail.example.net", "HELO",
					h.From.RDNS == "mail.example.net", "RDNS",
					h.From.IP == netip.MustParseAddr("198.51.100.7"), "IP",
					h.By.Host == "mx.example.org", "by",
					h.By.Software == "Postfix", "software",
					h.Protocol == ProtocolESMTPS, "protocol",
					h.TLS == TLS{Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", Bits: 256}, "TLS",
					h.ID == "4QxYz", "id",
					h.For == "b@example.org", "for",
					h.ZoneName == "CEST", "zone",
					h.Date.Equal(time.Date(2026, 4, 29, 19, 12, 16, 0, time.UTC)), "date",
					h.Dialect == "postfix", "dialect")
			}},
		{"postfix authenticated sender", "from [192.168.1.10] (unknown [198.51.100.23]) (Authenticated sender: alice@example.org) by smtp.example.org (Postfix) with ESMTPSA id 4R0a; Thu,  4 Jan 2024 11:00:00 +0100 (CET)",
			func(h Hop) string {
				return check(
					h.From.HELO == "[192.168.1.10]", "HELO",
					h.From.RDNSUnknown, "RDNSUnknown",
					h.From.IP == netip.MustParseAddr("198.51.100.23"), "IP",
					h.Auth == Auth{Method: "Authenticated sender", User: "alice@example.org"}, "auth",
					h.Protocol == ProtocolESMTPSA, "protocol")
			}},
		{"postfix from userid", "by mail.example.org (Postfix, from userid 1000) id 6A1B; Thu,  4 Jan 2024 11:00:01 +0100 (CET)",
			func(h Hop) string {
				return check(h.From.Ident == "userid 1000", "ident", h.From.HELO == "", "HELO", h.By.Host == "mail.example.org", "by")
			}},
		{"sendmail may be forged", "from claymore.example.net (diva.example.net [203.0.113.17] (may be forged)) by lugh.example.org (8.9.3/8.9.3) with ESMTP id PAA00813 for <ilug@example.org>; Sat, 3 Aug 2002 15:15:58 +0100",
			func(h Hop) string {
				return check(h.From.MayBeForged, "forged", h.From.RDNS == "diva.example.net", "RDNS", h.From.HELO == "claymore.example.net", "HELO",
					h.By.Software == "8.9.3/8.9.3", "software", h.Dialect == "sendmail", "dialect")
			}},
		{"sendmail verify", "from mail.example.net (mail.example.net [198.51.100.7]) by mx.example.org (8.15.2/8.15.2) with ESMTPS id 12TJ (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <a@example.org>; Wed, 29 Apr 2026 12:12:16 -0700",
			func(h Hop) string {
				return check(h.TLS == TLS{Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", Bits: 256}, "TLS", h.ID == "12TJ", "id")
			}},
		{"qmail invoked by uid", "(qmail 123 invoked by uid 89); 4 Jan 2024 10:00:01 -0000",
			func(h Hop) string {
				return check(h.From.Ident == "uid 89", "ident", h.Dialect == "qmail", "dialect", !h.Date.IsZero(), "date")
			}},
		{"qmail helo", "from unknown (HELO mail.example.net) (198.51.100.7) by mx.example.org with SMTP; 4 Jan 2024 10:00:04 -0000",
			func(h Hop) string {
				return check(h.From.HELO == "mail.example.net", "HELO", h.From.HELOVerb == "HELO", "verb", h.From.RDNSUnknown, "unknown",
					h.From.IP == netip.MustParseAddr("198.51.100.7"), "IP", h.Dialect == "qmail", "dialect")
			}},
		{"exim", "from smtp.example.org ([198.51.100.9]:51234 helo=smtp.example.org) by mx.example.com with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.96) (envelope-from <l@example.org>) id 1pXyZa-0001Ab-2D for d@example.com; Wed, 29 Apr 2026 20:12:17 +0100",
			func(h Hop) string {
				return check(h.From.HELO == "smtp.example.org", "HELO", h.From.Port == 51234, "port", h.EnvelopeFrom == "l@example.org", "envelope-from",
					h.TLS == TLS{Version: "TLS1.2", Cipher: "ECDHE_RSA_AES_256_GCM_SHA384", Bits: 256}, "TLS", h.By.Software == "Exim 4.96", "software",
					h.Dialect == "exim", "dialect", h.For == "d@example.com", "for")
			}},
		{"exchange build number is no IP", "from EXCH01.corp.example.com (10.1.2.3) by EXCH02.corp.example.com (10.1.2.4) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384) id 15.1.2507.35; Tue, 12 Mar 2024 14:03:22 -0400",
			func(h Hop) string {
				return check(h.ID == "15.1.2507.35", "id", h.By.IP == netip.MustParseAddr("10.1.2.4"), "by IP", h.From.IP == netip.MustParseAddr("10.1.2.3"), "IP",
					h.With == "Microsoft SMTP Server", "with", h.TLS.Version == "TLS1_2", "TLS", h.Dialect == "exchange", "dialect")
			}},
		{"exchange online zone and via", "from CO1PEPF000044F0.namprd05.prod.outlook.com (2603:10b6:303:69:cafe::3f) by MW4PR04CA0012.outlook.office365.com (2603:10b6:303:69::17) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7181.5 via Frontend Transport; Thu, 4 Jan 2024 10:01:02 +0000",
			func(h Hop) string {
				return check(h.Via == "Frontend Transport", "via", h.From.IP == netip.MustParseAddr("2603:10b6:303:69:cafe::3f"), "IP", h.Protocol == ProtocolESMTPS, "protocol")
			}},
		{"exchange mapi zone", "from DM6PR12MB4219.namprd12.prod.outlook.com ([fe80::8d2a:3f2b:9c4e:1a7%7]) by DM6PR12MB4219.namprd12.prod.outlook.com ([fe80::8d2a:3f2b:9c4e:1a7%7]) with mapi id 15.20.6609.031; Wed, 29 Apr 2026 19:12:16 +0000",
			func(h Hop) string {
				return check(h.From.IP == netip.MustParseAddr("fe80::8d2a:3f2b:9c4e:1a7%7"), "IP", h.From.IPText == "fe80::8d2a:3f2b:9c4e:1a7%7", "IPText",
					h.Protocol == ProtocolMAPI, "protocol")
			}},
		{"gmail internal", "by 2002:a05:6a10:a48a:b0:4d7:a2b1:96e with SMTP id hc10csp1123456pxb; Wed, 29 Apr 2026 12:13:15 -0700 (PDT)",
			func(h Hop) string {
				return check(h.By.IP == netip.MustParseAddr("2002:a05:6a10:a48a:b0:4d7:a2b1:96e"), "by IP", h.Dialect == "gmail", "dialect", h.ZoneName == "PDT", "zone")
			}},
		{"gmail tls", "from mail.example.net (mail.example.net. [198.51.100.7]) by mx.google.com with ESMTPS id z8si.345 for <a@example.org> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Wed, 29 Apr 2026 12:13:10 -0700 (PDT)",
			func(h Hop) string {
				return check(h.From.RDNS == "mail.example.net", "RDNS without the root dot", h.TLS == TLS{Version: "TLS1_3", Cipher: "TLS_AES_256_GCM_SHA384", Bits: 256}, "TLS")
			}},
		{"sendgrid no semicolon", "from MTAyNDQ3NjQ (unknown) by geopod-ismtpd-4-2 (SG) with HTTP id tWB3FmOxR0Wq9IS0ajbn_g Thu, 04 Jan 2024 10:00:00.123 +0000 (UTC)",
			func(h Hop) string {
				return check(h.ID == "tWB3FmOxR0Wq9IS0ajbn_g", "id", !h.Date.IsZero(), "date", h.Protocol == ProtocolHTTP, "protocol", h.Dialect == "sendgrid", "dialect")
			}},
		{"vger rhost-flags", "from mail.example.net ([198.51.100.7]:33512 \"EHLO mail.example.net\" rhost-flags-OK-OK-OK-FAIL) by vger.kernel.org with ESMTP id S230123AbiABC; Thu, 4 Jan 2024 05:00:01 -0500",
			func(h Hop) string {
				return check(h.From.HELO == "mail.example.net", "HELO", h.From.HELOVerb == "EHLO", "verb", h.From.Port == 33512, "port")
			}},
		{"decimal literal kept", "from spoof.example.com (spoof.example.com [3735928559]) by mx.example.org with SMTP id 2; Thu, 4 Jan 2024 10:00:01 +0000",
			func(h Hop) string {
				return check(h.From.IPText == "3735928559", "IPText", h.From.IPForm == IPFormDecimal, "form", h.From.IP == netip.MustParseAddr("222.173.190.239"), "IP")
			}},
		{"bad octet kept", "from spoof.example.com ([300.1.2.3]) by mx.example.org with SMTP id 1; Thu, 4 Jan 2024 10:00:00 +0000",
			func(h Hop) string {
				return check(h.From.IPText == "300.1.2.3", "IPText", h.From.IPForm == IPFormBadOctet, "form", !h.From.IP.IsValid(), "IP must be zero")
			}},
		{"upper case", "FROM mail.example.net (mail.example.net [198.51.100.7]) BY mx.example.org WITH ESMTP ID 12345 FOR <a@example.org>; Thu, 4 Jan 2024 10:00:00 +0000",
			func(h Hop) string {
				return check(h.By.Host == "mx.example.org", "by", h.ID == "12345", "id", h.For == "a@example.org", "for")
			}},
		{"courier id after date", "from mail.example.org (mail.example.org [IPv6:2001:db8::44]) by mx.example.net with ESMTP; Fri, 05 Jan 2024 12:34:56 -0500 id 0000000000012345.000000001.0000ABCD",
			func(h Hop) string {
				return check(h.ID == "0000000000012345.000000001.0000ABCD", "id", h.DateText == "Fri, 05 Jan 2024 12:34:56 -0500", "DateText", h.ZoneName == "", "zone")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.in)
			if err != nil {
				t.Errorf("error %v", err)
			}
			if msg := tt.want(h); msg != "" {
				t.Errorf("wrong %s in %+v", msg, h)
			}
		})
	}
}

// check takes pairs (ok, name) and returns the names of the failed ones.
func check(pairs ...any) string {
	var bad []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if ok, _ := pairs[i].(bool); !ok {
			bad = append(bad, pairs[i+1].(string))
		}
	}
	return strings.Join(bad, ", ")
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "received: no from, by, with, id or for clause"},
		{"from x (unterminated by y; 1 Jan 2024 00:00:00 +0000", "received: unterminated comment"},
		{"from x by y; not a date at all", "received: date \"not a date at all\""},
		{"junk from x by y; 1 Jan 2024 00:00:00 +0000", "received: unexpected \"junk\" before the first clause"},
	}
	for _, tt := range tests {
		h, err := Parse(tt.in)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want prefix %q", tt.in, err, tt.want)
		}
		if h.Raw != tt.in {
			t.Errorf("Parse(%q) lost Raw", tt.in)
		}
	}
}

// TestParseHostile feeds the inputs the issue names; each must be answered
// without a panic, with Raw kept. A hang fails through the test binary's
// -timeout; speed is measured by benchmarks, not asserted here (a clock
// check fails on a loaded machine, not on a slow parser).
func TestParseHostile(t *testing.T) {
	big := "from a (" + strings.Repeat("x", 20<<20) + ") by b; 1 Jan 2024 00:00:00 +0000"
	tests := map[string]string{
		"20 MB comment":            big,
		"20 MB word":               "from " + strings.Repeat("a", 20<<20),
		"50,000 nested parens":     "from x " + strings.Repeat("(", 50000) + strings.Repeat(")", 50000) + " by y; 1 Jan 2024 00:00:00 +0000",
		"50,000 open parens":       "from x " + strings.Repeat("(", 50000),
		"50,000 close parens":      strings.Repeat(")", 50000) + "from x by y",
		"many semicolons":          strings.Repeat(";", 1<<20),
		"many literals":            "from " + strings.Repeat("[192.0.2.1] ", 100000),
		"many comments":            "from x " + strings.Repeat("(a) ", 200000) + "by y",
		"NUL bytes":                "from a\x00b (c\x00 [192.0.2.1]) by d\x00; 1 Jan 2024 00:00:00 +0000",
		"invalid UTF-8":            "from \xff\xfe (\xc3 [192.0.2.1]) by \x80; 1 Jan 2024 00:00:00 +0000",
		"CR-only line ends":        "from a (a [192.0.2.1])\r\tby b\r\twith ESMTP id 1;\r\t1 Jan 2024 00:00:00 +0000",
		"many from keywords":       strings.Repeat("from ", 1<<20),
		"long date":                "from a by b; " + strings.Repeat("1 Jan ", 1<<20),
		"unterminated angle":       "from a by b for <" + strings.Repeat("x", 1<<20),
		"unterminated quote":       "from \"" + strings.Repeat("x", 1<<20),
		"nested in from comment":   "from a (" + strings.Repeat("(", 20000) + ") by b",
		"bare date search attack":  "from a by b " + strings.Repeat("Mon 1 ", 200000),
		"ip literal long":          "from a ([" + strings.Repeat("1.", 100000) + "1]) by b",
		"many envelope-from words": "from a by b id c " + strings.Repeat("envelope-from ", 100000),
		"unterminated comments":    "from a " + strings.Repeat("((x);", 400000),
		"unterminated literals":    "from a " + strings.Repeat("[x", 1000000),
		"unterminated angles":      "from a " + strings.Repeat("<", 1000000),
		"unterminated quotes":      "from a " + strings.Repeat("\"", 1000000),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			h, _ := Parse(in)
			if h.Raw != in {
				t.Error("Raw lost")
			}
			checkHopInvariants(t, in, h, nil)
		})
	}
}

func TestParseDeepNestingReported(t *testing.T) {
	in := "from x " + strings.Repeat("(", 40) + strings.Repeat(")", 40) + " by y; 1 Jan 2024 00:00:00 +0000"
	h, err := Parse(in)
	if err == nil || !strings.Contains(err.Error(), "nested too deep") {
		t.Errorf("error = %v, want nesting reported", err)
	}
	if h.By.Host != "y" || h.Date.IsZero() {
		t.Errorf("the rest was not read: %+v", h)
	}
}

// TestParseNoAllocs pins the allocation budget: a typical header costs at
// most one allocation (its Comments slice).
func TestParseNoAllocs(t *testing.T) {
	for _, in := range benchMix {
		n := testing.AllocsPerRun(100, func() { _, _ = Parse(in) })
		if n > 1 {
			t.Errorf("Parse(%.60q...) made %v allocations, want at most 1", in, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseIPLiteral("0xdeadbeef") }); n != 0 {
		t.Errorf("ParseIPLiteral made %v allocations", n)
	}
}

func TestParseIPLiteral(t *testing.T) {
	tests := []struct {
		in   string
		ip   string // "" for the zero Addr
		form IPForm
	}{
		{"192.0.2.1", "192.0.2.1", IPFormIPv4},
		{"[192.0.2.1]", "192.0.2.1", IPFormIPv4},
		{"IPv6:2001:db8::1", "2001:db8::1", IPFormIPv6},
		{"ipv6:2001:db8::1", "2001:db8::1", IPFormIPv6},
		{"2001:db8::1", "2001:db8::1", IPFormIPv6},
		{"fe80::1%7", "fe80::1%7", IPFormIPv6},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1", IPFormIPv4Mapped},
		{"300.1.2.3", "", IPFormBadOctet},
		{"192.000.002.001", "192.0.2.1", IPFormLeadingZero},
		{"3735928559", "222.173.190.239", IPFormDecimal},
		{"0xdeadbeef", "222.173.190.239", IPFormHex},
		{"0XDEADBEEF", "222.173.190.239", IPFormHex},
		{"033653337357", "222.173.190.239", IPFormOctal},
		{"0xde.0xad.0xbe.0xef", "222.173.190.239", IPFormDottedHex},
		{"0336.0255.0276.0357", "222.173.190.239", IPFormDottedOctal},
		{"127.1", "127.0.0.1", IPFormShort},
		{"10.0.258", "10.0.1.2", IPFormShort},
		{"1.2.3.4.5", "", IPFormNone},
		{"2001:db8::zz", "", IPFormNone},
		{"2001:db8:::1", "", IPFormInvalid},
		{"99999999999", "", IPFormInvalid},
		{"mail.example.com", "", IPFormNone},
		{"", "", IPFormNone},
	}
	for _, tt := range tests {
		a, form := ParseIPLiteral(tt.in)
		got := ""
		if a.IsValid() {
			got = a.String()
		}
		if got != tt.ip || form != tt.form {
			t.Errorf("ParseIPLiteral(%q) = %q, %v; want %q, %v", tt.in, got, form, tt.ip, tt.form)
		}
	}
}

func ExampleParse() {
	h, err := Parse(`from mail.example.net (mail.example.net [192.0.2.7])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
	by mx.example.org (Postfix) with ESMTPS id 4QxYz12abc
	for <bob@example.org>; Wed, 29 Apr 2026 21:12:16 +0200 (CEST)`)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(h.From.HELO, h.From.RDNS, h.From.IP)
	fmt.Println(h.By.Host, h.By.Software, h.Protocol, h.ID, h.For)
	fmt.Println(h.TLS.Version, h.TLS.Cipher, h.TLS.Bits)
	fmt.Println(h.Date.UTC(), h.ZoneName, h.Dialect)
	// Output:
	// mail.example.net mail.example.net 192.0.2.7
	// mx.example.org Postfix ESMTPS 4QxYz12abc bob@example.org
	// TLSv1.3 TLS_AES_256_GCM_SHA384 256
	// 2026-04-29 19:12:16 +0000 UTC CEST postfix
}

func ExampleParseIPLiteral() {
	for _, s := range []string{"[192.0.2.1]", "IPv6:2001:db8::1", "3735928559", "0xdeadbeef", "300.1.2.3"} {
		a, form := ParseIPLiteral(s)
		fmt.Println(s, a, form, form.Canonical())
	}
	// Output:
	// [192.0.2.1] 192.0.2.1 ipv4 true
	// IPv6:2001:db8::1 2001:db8::1 ipv6 true
	// 3735928559 222.173.190.239 decimal false
	// 0xdeadbeef 222.173.190.239 hex false
	// 300.1.2.3 invalid IP bad-octet false
}

// TestProtocolNamesHoldNoDialect pins what detectDialect relies on when it
// skips the marker search of a with clause that is one protocol name:
// no dialect marker stands in any of them, in any case.
func TestProtocolNamesHoldNoDialect(t *testing.T) {
	for _, w := range []string{
		"smtp", "smtpd", "esmtp", "esmtps", "smtps", "esmtpa", "asmtp", "esmtpsa", "lmtp", "lmtps", "lmtpa", "lmtpsa",
		"utf8smtp", "utf8esmtp", "utf8smtps", "utf8esmtps", "utf8smtpa", "utf8esmtpa", "utf8smtpsa", "utf8esmtpsa",
		"http", "webmail", "https", "imap", "imap4", "imaps", "pop3", "pop", "pop3s", "pop3-ssl", "mapi",
		"local", "local-esmtp", "local-smtp", "local-bsmtp", "stdin", "uucp", "rmail", "qmqp",
	} {
		pr, plain := classifyWith(w)
		if pr == ProtocolUnknown || !plain {
			t.Errorf("classifyWith(%q) = %v, %v; want a protocol, plain", w, pr, plain)
		}
		if d := findDialect(w); d != len(dialectMarkers) {
			t.Errorf("%q holds the dialect marker %q", w, dialectMarkers[d].marker)
		}
	}
	for _, w := range []string{"ESMTP id", "Microsoft", "esmtp(x)", "Postfix", ""} {
		if _, plain := classifyWith(w); plain {
			t.Errorf("classifyWith(%q) says plain", w)
		}
	}
}

func TestQmailAuth(t *testing.T) {
	for _, tt := range []struct {
		c, user, method string
		ok              bool
	}{
		{"salimma1@62.190.233.247 with plain", "salimma1", "plain", true},
		{"user44@192.0.2.91 with LOGIN", "user44", "LOGIN", true},
		{"a.b@example@192.0.2.91 with cram-md5", "a.b@example", "cram-md5", true},
		{"user@192.0.2.91 with smtp", "", "", false},
		{"user@host.example with plain", "", "", false},
		{"192.0.2.91 with plain", "", "", false},
		{"user@192.0.2.91 with plain extra", "", "", false},
		{"envelope-from <x@example.org>", "", "", false},
	} {
		u, m, ok := qmailAuth(tt.c)
		if u != tt.user || m != tt.method || ok != tt.ok {
			t.Errorf("qmailAuth(%q) = %q, %q, %v", tt.c, u, m, ok)
		}
	}
}

// TestParserMatchesParseTo checks that a Parser fills hops exactly as
// ParseTo does, that the Comments it cuts from one array cannot be
// appended into each other, and that it allocates a few hops' Comments
// at once.
func TestParserMatchesParseTo(t *testing.T) {
	tests := []struct {
		name string
		in   []string
	}{
		{"mix", benchMix},
		{"no comments", []string{"from a by b; Thu, 1 Jan 2024 00:00:00 +0000", "by c id 1"}},
		{"more comments than the room", []string{
			"from a " + strings.Repeat("(c) ", commentRoom-1) + "by b; 1 Jan 2024 00:00:00 +0000",
			"from d (e) (f) by g; 1 Jan 2024 00:00:00 +0000",
			"from h " + strings.Repeat("(c) ", 40) + "by i; 1 Jan 2024 00:00:00 +0000",
		}},
		{"errors", []string{"junk from", "from x (unterminated by y", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps Parser
			got := make([]Hop, len(tt.in))
			for i, in := range tt.in {
				var want Hop
				wantErr := ParseTo(&want, in)
				got[i] = Hop{Via: "stale", Comments: []string{"stale"}} // overwritten
				err := ps.ParseTo(&got[i], in)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("%.50q: error %v, want %v", in, err, wantErr)
				}
				if g, w := fmt.Sprintf("%#v", got[i]), fmt.Sprintf("%#v", want); g != w {
					t.Errorf("%.50q:\n got %s\nwant %s", in, g, w)
				}
				if cap(got[i].Comments) != len(got[i].Comments) {
					t.Errorf("%.50q: Comments has room for %d more", in, cap(got[i].Comments)-len(got[i].Comments))
				}
			}
			// Appending to one hop's Comments leaves the others as they were.
			comments := func() string {
				var b strings.Builder
				for _, h := range got {
					fmt.Fprintf(&b, "%q\n", h.Comments)
				}
				return b.String()
			}
			before := comments()
			for i := range got {
				if len(got[i].Comments) > 0 {
					_ = append(got[i].Comments, "appended")
				}
			}
			if after := comments(); after != before {
				t.Errorf("appending changed the hops:\n%s\n%s", before, after)
			}
		})
	}
	hops := make([]Hop, len(benchMix))
	var ps Parser
	n := testing.AllocsPerRun(100, func() {
		ps = Parser{}
		for i, in := range benchMix {
			_ = ps.ParseTo(&hops[i], in)
		}
	})
	comments := 0
	for _, h := range hops {
		comments += len(h.Comments)
	}
	if want := float64((comments + commentRoom - 1) / commentRoom); comments > 0 && n > want+1 {
		t.Errorf("a Parser made %v allocations for %d hops with %d comments, want at most %v", n, len(benchMix), comments, want+1)
	}
}
