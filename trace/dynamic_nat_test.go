package trace

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// A client that greets with its private address literal from a public
// address (a mail program behind NAT submitting to its organisation's
// Exchange server, as real mail records it) is an end-user machine: a
// dial-up hop below it, handing the message to that machine's address, is
// made up (medium). The submission alone raises nothing.
func TestDynamicBelowNATClient(t *testing.T) {
	const real = "Received: from E16S03.hs-regensburg.example (e16s03.hs-regensburg.example [81.2.69.93]) by mx.hs-regensburg.example (Postfix) with ESMTPS id 4Q1; Thu, 4 Jan 2024 13:06:16 +0100\n" +
		"Received: from [172.16.2.23] (194.95.106.226) by E16S03.hs-regensburg.example (2001:638:a01:8013::93) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) id 15.1.2507.35; Thu, 4 Jan 2024 13:06:15 +0100\n"
	const tail = "From: a@hs-regensburg.example\nTo: list@example.org\n\nx\n"
	medium := func(tr *Trace, hop int) bool {
		for _, f := range tr.Findings {
			if f.Category == CategoryDynamicHost && f.Hop == hop && f.Severity >= SeverityMedium {
				return true
			}
		}
		return false
	}
	tr, err := TraceMessage(context.Background(), strings.NewReader(real+tail))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tr.Findings {
		if f.Category == CategoryDynamicHost {
			t.Errorf("untouched submission: %+v", f)
		}
	}
	for _, by := range []string{"[194.95.106.226]", "194.95.106.226"} {
		forged := real + "Received: from ppp-5-6-7-8.dialup.isp1.example.net (ppp-5-6-7-8.dialup.isp1.example.net [5.6.7.8]) by " + by + " (8.12.11/8.12.11) with ESMTP id g7LGKmA01220 for <user@example.org>; Thu, 4 Jan 2024 13:04:15 +0100\n" + tail
		tr, err := TraceMessage(context.Background(), strings.NewReader(forged))
		if err != nil {
			t.Fatal(err)
		}
		if !medium(tr, 2) {
			t.Errorf("by %s: no medium dynamic-host on the forged hop: %+v", by, tr.Findings)
		}
	}
}

// A dial-up hop below where a provider took the user's message in is
// older than the submission, so made up (medium), even when it names the
// message's own recipient: Gmail's point of entry (a hop over SMTP that
// names no client, on the same server as the hop below) and Exchange's
// "with mapi" hop, as real mail records them. Below an ordinary relay hop
// the same dial-up hop stays low: it is how much legitimate mail starts.
func TestDynamicBelowProviderEntry(t *testing.T) {
	const top = "Received: from mail-wm1-f50.google.com (mail-wm1-f50.google.com [209.85.128.50]) by mx.example.org (Postfix) with ESMTPS id 47k; Fri, 27 Dec 2019 21:34:15 +0000\n"
	const tail = "From: a@gmail.com\nTo: list@example.org\nMessage-ID: <PH0PR14MB4296A1@PH0PR14MB4296.namprd14.prod.outlook.com>\n\nx\n"
	dialup := func(by string) string {
		return "Received: from ppp-5-6-7-8.dialup.isp1.example.net (ppp-5-6-7-8.dialup.isp1.example.net [5.6.7.8]) by " + by + " (8.12.11/8.12.11) with ESMTP id g7LGKmA01220 for <list@example.org>; Fri, 27 Dec 2019 21:32:15 +0000\n"
	}
	tests := []struct {
		name, hops string
		medium     bool
	}{
		{"below Gmail's entry", top +
			"Received: by mail-wm1-f50.google.com with SMTP id p17so9336970wma.1 for <list@example.org>; Fri, 27 Dec 2019 13:34:14 -0800\n" +
			dialup("mail-wm1-f50.google.com"), true},
		{"below a MAPI submission", "Received: from PH0PR14MB4296.namprd14.prod.outlook.com (2a01:111:e400:fc4b::4b) by BN8NAM11FT008.mail.protection.outlook.com (2a01:111:e400:fc4b::351) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.4042.16 via Frontend Transport; Sat, 17 Apr 2021 10:00:01 +0000\n" +
			"Received: from PH0PR14MB4296.namprd14.prod.outlook.com ([fe80::d093:57ee:eee8:ab8b]) by PH0PR14MB4296.namprd14.prod.outlook.com ([fe80::d093:57ee:eee8:ab8b%3]) with mapi id 15.20.4042.021; Sat, 17 Apr 2021 10:00:00 +0000\n" +
			dialup("PH0PR14MB4296.namprd14.prod.outlook.com"), true},
		{"below an ordinary relay", top +
			"Received: from relay.isp1.example.net (relay.isp1.example.net [81.2.69.44]) by mail-wm1-f50.google.com with ESMTP id p17so9336970wma.1 for <list@example.org>; Fri, 27 Dec 2019 21:33:14 +0000\n" +
			dialup("relay.isp1.example.net"), false},
	}
	for _, tt := range tests {
		tr, err := TraceMessage(context.Background(), strings.NewReader(tt.hops+tail))
		if err != nil {
			t.Fatal(err)
		}
		last := len(tr.Hops) - 1
		var got *Finding
		for i, f := range tr.Findings {
			if f.Category == CategoryDynamicHost && f.Hop == last {
				got = &tr.Findings[i]
			}
		}
		if got == nil {
			t.Errorf("%s: no dynamic-host finding on the dial-up hop: %+v", tt.name, tr.Findings)
			continue
		}
		if (got.Severity >= SeverityMedium) != tt.medium || tt.medium && !strings.Contains(got.Message, "where a user submitted the message") {
			t.Errorf("%s: %v %q", tt.name, got.Severity, got.Message)
		}
	}
}

// A reverse DNS name reads as a dial-up, DSL or pool host by the address
// it spells or a pool word left of its registered domain, unless the
// access provider calls the address static (SpamAssassin's RDNS_DYNAMIC
// takes those as servers too) or the name is a mail operator's own.
func TestIsDynamicName(t *testing.T) {
	tests := []struct {
		host, ip string
		want     bool
	}{
		{"23-24-6-165-static.hfc.comcastbusiness.net", "23.24.6.165", false},
		{"static-81-2-69-44.isp.example.net", "81.2.69.44", false},
		{"81-2-69-44.fixed.isp.example.net", "81.2.69.44", false},
		{"c-23-24-6-165.hsd1.ca.comcast.net", "23.24.6.165", true},
		{"ppp-81-2-69-44.dialup.isp.example.net", "", true},
		{"dsl3.pool.isp.example.net", "", true},
		{"staticky.isp.example.net", "", false},
		{"static.dsl.example", "", false},
		{"mail-oln040092253055.outbound.protection.outlook.com", "40.92.253.55", false},
		{"mail.example.org", "81.2.69.44", false},
	}
	for _, tt := range tests {
		var ip netip.Addr
		if tt.ip != "" {
			ip = netip.MustParseAddr(tt.ip)
		}
		if got, why := isDynamicName(tt.host, ip); got != tt.want {
			t.Errorf("isDynamicName(%s, %s) = %v (%s)", tt.host, tt.ip, got, why)
		}
	}
}
