package trace

import (
	"strings"
	"testing"
)

// A HELO address literal other than the connecting address is medium,
// unless the client cannot be claiming another host: a private address
// behind NAT, the unspecified address, a tunnel's benchmarking address, or
// an IPv6 address of the connecting address's own site (/48). Shapes from
// real list mail (Thunderbird's "[IPV6:...]", Intel's "[0.0.0.0]", a
// client behind a proxy's 198.18.0.1).
func TestHELOLiteralOwnAddress(t *testing.T) {
	const top = "from mx.example.org (mx.example.org [81.2.69.1]) by list.example.net (Postfix) with ESMTPS id 4Q2; Tue, 12 Mar 2024 09:14:32 +0000"
	tests := []struct {
		name, hop string
		sev       Severity
		why       string
	}{
		{"another public address", "from [81.2.69.99] (a.example.com [81.2.70.20]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityMedium, ""},
		{"a private address", "from [192.168.1.7] (a.example.com [81.2.70.20]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityInfo, "behind NAT"},
		{"the unspecified address", "from [0.0.0.0] (a.example.com [134.134.139.73]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityInfo, "unspecified address"},
		{"another address of 0.0.0.0/8", "from [0.1.2.3] (a.example.com [134.134.139.73]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityMedium, ""},
		{"a tunnel's benchmarking address", "from [198.18.0.1] (a.example.com [223.112.234.130]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityInfo, "benchmarking"},
		{"an IPv6 address of the same site", "from [IPV6:2001:638:a01:8068:f8d9:f11a:f164:a35a] (a.example.com [IPv6:2001:638:a01:8013::226]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityInfo, "/48"},
		{"an IPv6 address of another site", "from [IPV6:2001:638:a02:8068::5] (a.example.com [IPv6:2001:638:a01:8013::226]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", SeverityMedium, ""},
	}
	for _, tt := range tests {
		tr := chain(t, nil, top, tt.hop)
		var got *Finding
		for i, f := range tr.Findings {
			if f.Rule == "helo-ip-literal" {
				got = &tr.Findings[i]
			}
		}
		if got == nil {
			t.Errorf("%s: no helo-ip-literal finding: %+v", tt.name, tr.Findings)
			continue
		}
		if got.Severity != tt.sev || !strings.Contains(got.Message, tt.why) {
			t.Errorf("%s: %v %q", tt.name, got.Severity, got.Message)
		}
	}
}

// A client announcing itself as the receiving server is medium, unless
// it connects from the server's own address: Exchange records its
// hand-offs to itself and its MAPI submissions that way.
func TestHELOIsReceiverOwnAddress(t *testing.T) {
	const top = "from mx.example.org (mx.example.org [81.2.69.1]) by list.example.net (Postfix) with ESMTPS id 4Q2; Mon, 12 Jun 2023 18:48:18 +0000"
	for _, tt := range []struct {
		hop  string
		want bool
	}{
		{"from UMAILX-M205.xds.umail.example.edu (155.97.144.205) by UMAILX-M205.xds.umail.example.edu (155.97.144.205) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) id 15.1.2375.34; Mon, 12 Jun 2023 12:48:17 -0600", false},
		{"from email1.uni.example.de ([139.30.22.81]) by email1.uni.example.de ([139.30.22.81]) with mapi id 15.02.0858.010; Sun, 25 Apr 2021 11:32:02 +0200", false},
		{"from UMAILX-M205.xds.umail.example.edu (155.97.144.99) by UMAILX-M205.xds.umail.example.edu (155.97.144.205) with Microsoft SMTP Server id 15.1.2375.34; Mon, 12 Jun 2023 12:48:17 -0600", true},
		{"from mx.example.org (dsl-81-2-70-20.isp.example.net [81.2.70.20]) by mx.example.org (Postfix) with ESMTP id 4Q1; Mon, 12 Jun 2023 18:48:17 +0000", true},
	} {
		tr := chain(t, nil, top, tt.hop)
		got := false
		for _, f := range tr.Findings {
			if f.Rule == "helo-is-receiver" {
				got = true
			}
		}
		if got != tt.want {
			t.Errorf("%s: helo-is-receiver %v, want %v: %+v", tt.hop, got, tt.want, tr.Findings)
		}
	}
}
