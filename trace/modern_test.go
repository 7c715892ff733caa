package trace

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/received"
)

// Chains below are shapes from real mail of 2019-2026 (the modern
// corpus); people's and customers' names are replaced, operators' names
// and the structure are kept.

func TestEdgeKinds(t *testing.T) {
	tests := []struct {
		name  string
		hops  []string
		edge  int // the edge checked: between hops edge and edge+1
		match Match
	}{
		{"Google internal hop by an IPv6 literal", []string{
			"from mail-oo1-xc3b.google.com (mail-oo1-xc3b.google.com [IPv6:2607:f8b0:4864:20::c3b]) by mail.example.org (Postfix) with ESMTPS id 370B610202 for <list@example.org>; Tue, 30 Apr 2019 23:45:16 +0200 (CEST)",
			"by mail-oo1-xc3b.google.com with SMTP id x6sf3080579wmb.2 for <list@example.org>; Tue, 30 Apr 2019 14:45:16 -0700 (PDT)",
			"by 2002:a05:6870:648f:b0:1d6:5e48:6ce7 with SMTP id c7ls6989931wrv.6.gmail; Tue, 30 Apr 2019 14:45:10 -0700 (PDT)",
		}, 1, MatchInternal},
		{"Google internal hop by an IPv4 literal", []string{
			"by mail-qt0-x246.google.com with SMTP id x70so28855493vke.3 for <list@example.org>; Thu, 29 Oct 2015 08:38:33 -0700 (PDT)",
			"by 10.55.16.41 with SMTP id b201mr3082180qka.37; Thu, 29 Oct 2015 08:38:32 -0700 (PDT)",
		}, 0, MatchInternal},
		{"SendGrid filter above its bare-named relay", []string{
			"by filterdrecv-656998cfdd-9zqxh.sendgrid.net with SMTP id filterdrecv-656998cfdd-9zqxh-1-5F2B; Wed, 05 Aug 2020 20:00:53 +0000 (UTC)",
			"from geopod-ismtpd-6-2 (unknown) by geopod-ismtpd-6-2 (SG) with HTTP id aBcDeFgHiJ; Wed, 05 Aug 2020 20:00:53 +0000 (UTC)",
		}, 0, MatchInternal},
		{"Fastmail frontend on an internal address", []string{
			"from wout5-smtp.messagingengine.com (wout5-smtp.messagingengine.com [64.147.123.21]) by relay.mimecast.com with ESMTP; Mon, 27 Nov 2023 09:40:38 -0500",
			"from compute6.internal (compute6.nyi.internal [10.202.2.47]) by mailout.west.internal (Postfix) with ESMTP id 9F90F3200B28; Mon, 27 Nov 2023 09:40:37 -0500 (EST)",
			"from mailfrontend2 ([10.202.2.163]) by compute6.internal (MEProxy); Mon, 27 Nov 2023 09:40:37 -0500",
			"from laptop.example.org (dsl.example.org [81.2.69.20]) by mail.messagingengine.com (Postfix) with ESMTPA; Mon, 27 Nov 2023 09:40:36 -0500 (EST)",
		}, 2, MatchInternal},
		{"Mailgun hands on from mailgun.us to postgun.com", []string{
			"from z11.mailgun.us (z11.mailgun.us [104.130.96.11]) by mail.example.org (Postfix) with ESMTPS id 4C7jb73mnZzDqvN; Sat, 10 Oct 2020 22:36:59 +1100 (AEDT)",
			"by smtp-out-n02.prod.us-west-2.postgun.com with SMTP id 5f81a8f1; Sat, 10 Oct 2020 11:36:57 GMT",
		}, 0, MatchDomain},
		{"MessageLabs hands on to symcld.net", []string{
			"from mail2.bemta22.messagelabs.com (mail2.bemta22.messagelabs.com [67.219.251.53]) by mail.example.org (Postfix) with ESMTPS id 4Rg; Tue, 12 Mar 2024 09:14:31 +0000",
			"from [100.112.2.150] by server-2.bemta.az-b.us-east-1.aws.symcld.net id 9D/4B-05143-6F9E0F56; Tue, 12 Mar 2024 09:14:30 +0000",
		}, 0, MatchDomain},
		{"Alibaba aliyun.com to aliyun-inc.com", []string{
			"from out30-130.freemail.mail.aliyun.com (out30-130.freemail.mail.aliyun.com [115.124.30.130]) by mail.example.org (Postfix) with ESMTPS id 4C7; Tue, 12 Mar 2024 09:14:31 +0000",
			"from 30.221.130.50(mailfrom:someone@linux.alibaba.com fp:SMTPD_---0WxYz) by smtp.aliyun-inc.com; Tue, 12 Mar 2024 17:14:29 +0800",
		}, 0, MatchDomain},
		{"an authenticated submission above the user's own machine", []string{
			"by mail.messagingengine.com (Postfix) with ESMTPA for <list@example.org>; Wed, 15 Jan 2025 03:03:39 -0500 (EST)",
			"from jroth by sprite with local (Exim 4.96) (envelope-from <someone@example.org>) id 1tXyNF-0001dz-2e for list@example.org; Wed, 15 Jan 2025 03:03:38 -0500",
		}, 0, MatchNoData},
		{"Gmail's send-as: an authenticated submission above Gmail's own entry", []string{
			"from mail.kernel.org (mail.kernel.org [198.145.29.99]) by smtp.subspace.kernel.org (Postfix) with ESMTPS id 125F072 for <ksummit@lists.linux.dev>; Thu, 8 Jul 2021 16:07:46 +0000 (UTC)",
			"by mail.kernel.org (Postfix) with ESMTPSA id 9194C61925 for <ksummit@lists.linux.dev>; Thu, 8 Jul 2021 16:07:45 +0000 (UTC)",
			"by mail-ej1-f43.google.com with SMTP id gn32so10582911ejc.2 for <ksummit@lists.linux.dev>; Thu, 08 Jul 2021 09:07:45 -0700 (PDT)",
		}, 1, MatchNoData},
		{"an authenticated submission above a home server's local pickup", []string{
			"from mailfrontend1 ([10.202.2.162]) by compute2.internal (MEProxy); Mon, 21 Nov 2022 19:24:26 -0500",
			"by mail.messagingengine.com (Postfix) with ESMTPA; Mon, 21 Nov 2022 19:24:23 -0500 (EST)",
			"by box.shutemov.name (Postfix, from userid 1000) id A7279109A30; Tue, 22 Nov 2022 03:24:21 +0300 (+03)",
		}, 1, MatchNoData},
		{"an outside client below an authenticated submission is still a break", []string{
			"from mail.kernel.org (mail.kernel.org [198.145.29.99]) by smtp.subspace.kernel.org (Postfix) with ESMTPS id 125F072 for <ksummit@lists.linux.dev>; Thu, 8 Jul 2021 16:07:46 +0000 (UTC)",
			"by mail.kernel.org (Postfix) with ESMTPSA id 9194C61925 for <ksummit@lists.linux.dev>; Thu, 8 Jul 2021 16:07:45 +0000 (UTC)",
			"from a.example.com (a.example.com [81.2.69.20]) by relay3.unrelated.test (8.12.11/8.12.11) with ESMTP id g2C9ETs00001; Thu, 8 Jul 2021 16:07:43 +0000",
		}, 1, MatchNone},
		{"a 6to4 address of the recorded client", []string{
			"FROM m4a0041g.houston.softwaregrp.com (15.120.17.146) BY m4a0041g.houston.softwaregrp.com WITH ESMTP; Wed, 27 Nov 2019 15:46:48 +0000",
			"from M4W0335.microfocus.com (2002:f78:1193::f78:1193) by M4W0334.microfocus.com (2002:f78:1192::f78:1192) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256) id 15.1.1591.10; Wed, 27 Nov 2019 15:28:28 +0000",
		}, 0, MatchIP},
		{"a bare-named dual-stack server naming its IPv6 address", []string{
			"from mxd.seznam.cz (mxd.seznam.cz [77.75.78.210]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000",
			"from email.seznam.cz (email-smtpc18b.ng.seznam.cz [10.23.18.44]) by smtpc-mxd-669f474d4c-28xh6 (smtpc) with ESMTP id 1; Tue, 12 Mar 2024 10:14:30 +0100",
		}, 0, MatchNoData},
		{"an internal name at a private address behind the public one", []string{
			"from newsmg.example.com.tr (mail.example.com.tr. [31.25.168.78]) by gmr-mx.google.com with ESMTP id bu25; Mon, 31 Jul 2023 21:52:28 -0700 (PDT)",
			"from [192.168.8.119] (188.213.34.99) by EGUVENEX.EGUVEN.LOCAL (192.168.127.11) with Microsoft SMTP Server (TLS) id 15.0.1497.48; Tue, 1 Aug 2023 07:39:19 +0300",
		}, 0, MatchNoData},
		{"a server named only by a private literal is still compared", []string{
			"from (schabmueller.example) [62.157.239.77] by post.example.de with smtp (Exim 3.12 #1) id 15F0HM-00019f-00; Tue, 26 Jun 2001 23:21:48 +0200",
			"from 129.37.237.24 ([129.37.237.24]) by 192.168.2.2; Sun, 24 Jun 2001 18:14:29 +0200",
		}, 0, MatchNone},
		{"a named server whose IPv6 address differs from an IPv4 client is still a break", []string{
			"from a.example.com (a.example.com [81.2.69.20]) by mx.example.org (Postfix) with ESMTPS id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000",
			"from b.example.net (b.example.net [81.2.69.30]) by relay.unrelated.test (2001:db8::25) with ESMTP id 1; Tue, 12 Mar 2024 09:14:30 +0000",
		}, 0, MatchNone},
		{"a HELO that is the short name of the older hop's server", []string{
			"from nwd2mhb1 (nwd2mhb1.example.com [137.71.5.12]) by mail.example.org (8.11.6/8.11.6) with ESMTP id g7LFMOK02531; Wed, 21 Aug 2002 16:22:24 +0100",
			"from dsun358.example.com (dsun358 [137.71.41.58]) by nwd2mhb1.example.com (8.11.6+Sun/8.11.6) with ESMTP id g7LFMOK02530; Wed, 21 Aug 2002 16:22:23 +0100",
		}, 0, MatchHost},
		{"a bare HELO that is another server's short name is still a break", []string{
			"from nwd2mhb1 ([137.71.5.12]) by mail.example.org (8.11.6/8.11.6) with ESMTP id g7LFMOK02531; Wed, 21 Aug 2002 16:22:24 +0100",
			"from dsun358.example.com (dsun358 [137.71.41.58]) by nwd2mhb2.example.com (8.11.6+Sun/8.11.6) with ESMTP id g7LFMOK02530; Wed, 21 Aug 2002 16:22:23 +0100",
		}, 0, MatchNone},
		{"the address a relay recorded names the server below a qmail pickup", []string{
			"from c007.snv.example.net (h013.c007.snv.example.net [209.228.33.241]) by xent.example.com (Postfix) with SMTP id 0346C29409F; Tue, 17 Sep 2002 21:18:29 -0700 (PDT)",
			"(cpmta 17587 invoked from network); 17 Sep 2002 21:21:48 -0700",
			"from 65.189.7.13 (HELO alumni.example.edu) by smtp.directv.test (209.228.33.241) with SMTP; 17 Sep 2002 21:21:48 -0700",
		}, 1, MatchNoData},
		{"a server below a qmail pickup at another address is still a stranger", []string{
			"from c007.snv.example.net (h013.c007.snv.example.net [209.228.33.241]) by xent.example.com (Postfix) with SMTP id 0346C29409F; Tue, 17 Sep 2002 21:18:29 -0700 (PDT)",
			"(cpmta 17587 invoked from network); 17 Sep 2002 21:21:48 -0700",
			"from 65.189.7.13 (HELO alumni.example.edu) by smtp.directv.test (209.228.33.99) with SMTP; 17 Sep 2002 21:21:48 -0700",
		}, 1, MatchNone},
		{"a server naming itself by an internal name", []string{
			"from newsmg.example.com.tr (mail.example.com.tr [31.25.168.78]) by mail.example.org (Postfix) with ESMTP id 1; Tue, 12 Mar 2024 09:14:31 +0000",
			"from EGUVENEX.EGUVEN.LOCAL (192.168.127.11) by EGUVENEX.EGUVEN.LOCAL (192.168.127.11) with Microsoft SMTP Server id 15.1.2507.23; Tue, 12 Mar 2024 12:14:30 +0300",
		}, 0, MatchNoData},
		{"a stranger below a local submission is still a break", []string{
			"from mx.example.net (mx.example.net [81.2.69.10]) by mail.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000",
			"by mx.example.net (Postfix, from userid 1000) id 4Q0; Tue, 12 Mar 2024 09:14:30 +0000",
			"from a.example.com (a.example.com [81.2.69.20]) by relay.other.example with SMTP; Tue, 12 Mar 2024 09:14:29 +0000",
		}, 1, MatchNone},
		{"a public client below a private one is no internal hop", []string{
			"from ws1 (ws1.corp.example.org [192.168.1.5]) by mail.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000",
			"from a.example.com (a.example.com [81.2.69.20]) by relay.unrelated.example.net (8.12.11/8.12.11) with ESMTP id g2C9ETs00001; Tue, 12 Mar 2024 09:14:29 +0000",
		}, 0, MatchNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := chain(t, nil, tt.hops...)
			e := tr.Edges[tt.edge]
			if e.Match != tt.match || e.Broken != (tt.match == MatchNone) {
				t.Errorf("edge %d = %s (broken %v): %s; want %s", tt.edge, e.Match, e.Broken, e.Detail, tt.match)
			}
			if tt.match != MatchNone && anyFinding(tr, CategoryBrokenChain, SeverityMedium) {
				t.Errorf("broken-chain finding on a whole chain:\n%s", dump(tr.Findings))
			}
		})
	}
}

func TestQueueIDLookAlikes(t *testing.T) {
	tests := []struct {
		name    string
		hop     string
		decoded bool
	}{
		{"Proofpoint's filter hand-off", "from pps.filterd (m0098399.ppops.net [127.0.0.1]) by mx0a-001b2d01.pphosted.com (8.16.0.42/8.16.0.42) with SMTP id 09ABWBCL081824; Sat, 10 Oct 2020 07:33:00 -0400", false},
		{"Proofpoint host with a sendmail version", "from mail.example.com (mail.example.com [81.2.69.20]) by mx0b-00069f02.pphosted.com (8.17.1.19/8.17.1.19) with ESMTP id 36VDTaDI024754; Mon, 31 Jul 2023 13:29:36 GMT", false},
		{"sendmail itself", "from mail.example.com (mail.example.com [81.2.69.20]) by mx.example.org (8.16.0.42/8.16.0.42) with ESMTP id 09ABWBCL081824; Sat, 10 Oct 2020 07:33:00 -0400", true},
		{"Exim's id shape from other software", "by tot-qpr-mailcore2 with JS-mailcore (0.1) id BWMj14-AAAA79-Zg; Thu, 29 Oct 2015 11:38:32 -0400", false},
		{"Exim itself", "from mail.example.com ([81.2.69.20] helo=mail.example.com) by mx.example.org with esmtps (Exim 4.92) id 1iILYZ-0005Bz-OQ; Wed, 09 Oct 2019 23:39:48 +0000", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := received.Parse(tt.hop)
			if _, ok := decodeQueueID(&h); ok != tt.decoded {
				t.Errorf("decoded = %v, want %v (id %q, dialect %q, software %q)", ok, tt.decoded, h.ID, h.Dialect, h.By.Software)
			}
			tr := chain(t, nil, tt.hop)
			if !tt.decoded && hasFinding(tr, CategoryQueueIDTime, 0, SeverityLow) {
				t.Errorf("queue-id-time on a look-alike:\n%s", dump(tr.Findings))
			}
		})
	}
}

func TestReadClientRecord(t *testing.T) {
	tests := []struct {
		field, value string
		writer       string
		ip           string // "" when none
	}{
		{"Received-Spf", "pass (google.com: domain of someone@example.org designates 2001:638:a01:1096::10 as permitted sender) client-ip=2001:638:a01:1096::10;", "google.com", "2001:638:a01:1096::10"},
		{"Received-Spf", "Pass (protection.outlook.com: domain of example.org designates 40.107.80.105 as permitted sender) receiver=protection.outlook.com; client-ip=40.107.80.105; helo=NAM03-DM3-obe.outbound.protection.outlook.com;", "protection.outlook.com", "40.107.80.105"},
		{"Received-Spf", "None (protection.outlook.com: example.com does not designate permitted sender hosts)", "protection.outlook.com", ""},
		{"Authentication-Results", "smtp.subspace.kernel.org; dkim=pass (2048-bit key) header.d=example.org; arc=none smtp.client-ip=209.85.221.41; smtp.remote-ip=209.85.221.41", "smtp.subspace.kernel.org", "209.85.221.41"},
		{"Authentication-Results", "lists.ozlabs.org; spf=pass (sender SPF authorized) smtp.mailfrom=example.com (client-ip=205.220.180.131; helo=mx0b-0031df01.pphosted.com; envelope-from=someone@example.com; receiver=lists.ozlabs.org)", "lists.ozlabs.org", "205.220.180.131"},
		{"Authentication-Results", "mx.example.org; iprev=pass policy.iprev=81.2.69.20 (mail.example.com)", "mx.example.org", "81.2.69.20"},
		{"Authentication-Results", "mail.lfdr.de; dkim=pass header.d=example.com header.s=google header.b=SSG7T1zW", "mail.lfdr.de", ""},
		{"X-Forefront-Antispam-Report", "CIP:40.107.22.52;CTRY:NL;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:EUR05-VI1-obe.outbound.protection.outlook.com;PTR:mail-vi1eur05on2052.outbound.protection.outlook.com;", "protection.outlook.com", "40.107.22.52"},
		{"X-Forefront-Antispam-Report", "CIP:[::ffff:192.0.2.7];CTRY:;", "protection.outlook.com", "192.0.2.7"},
		{"X-Forefront-Antispam-Report", "SFV:NSPM;SFS:(10019020)(136003);DIR:OUT;SFP:1102;", "", ""},
	}
	for _, tt := range tests {
		if !clientRecordField(tt.field) {
			t.Errorf("clientRecordField(%q) = false", tt.field)
		}
		r, ok := readClientRecord(tt.field, tt.value)
		if tt.ip == "" {
			if ok {
				t.Errorf("%s %q: record %+v, want none", tt.field, tt.value, r)
			}
			continue
		}
		if !ok || r.IP != netip.MustParseAddr(tt.ip) || r.Writer != tt.writer {
			t.Errorf("%s %q = %+v, %v; want writer %q ip %s", tt.field, tt.value, r, ok, tt.writer, tt.ip)
		}
	}
	if clientRecordField("Arc-Authentication-Results") || clientRecordField("Subject") {
		t.Error("clientRecordField accepts a field it does not read")
	}
}

func FuzzReadClientRecord(f *testing.F) {
	for _, s := range []string{
		"pass (google.com: domain of a@example.org designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;",
		"mx.example.org; iprev=pass policy.iprev=2001:db8::1",
		"CIP:40.107.22.52;CTRY:NL;",
		"x; client-ip=[",
		"(::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, k := range [...]string{"Received-Spf", "Authentication-Results", "X-Forefront-Antispam-Report"} {
			r, ok := readClientRecord(k, v)
			if ok != r.IP.IsValid() {
				t.Fatalf("ok %v but IP %v", ok, r.IP)
			}
			if ok && r.IP.Is4In6() {
				t.Fatalf("IP %v not unmapped", r.IP)
			}
			if strings.ContainsAny(r.Writer, " ;()") {
				t.Fatalf("writer %q", r.Writer)
			}
		}
	})
}

const googleGroupsMessage = `Received: from mail-qt1-x83d.google.com (mail-qt1-x83d.google.com [IPv6:2607:f8b0:4864:20::83d])
	by mail.example.org (Postfix) with ESMTPS id 3C6EE6FDFF1
	for <lists+dev@example.org>; Wed, 10 May 2023 16:21:47 +0200 (CEST)
Received: by mail-qt1-x83d.google.com with SMTP id d75a77b69052e-3f38b6a2682sf23617641cf.1
        for <lists+dev@example.org>; Wed, 10 May 2023 07:21:45 -0700 (PDT)
Received: by 2002:a05:6214:5786:b0:5a2:29c1:b542 with SMTP id lv6-20020a056214578600b005a229c1b542ls20866222qvb.10.-pod-prod-gmail;
 Wed, 10 May 2023 07:21:43 -0700 (PDT)
Received: from mtaout.example.de (mtaout.example.de. [2001:638:a01:1096::10])
        by gmr-mx.google.com with ESMTPS id og9-20020a056214428900b005fc5135c65csi280141qvb.4.2023.05.10.07.21.43
        for <dev@googlegroups.com>;
        Wed, 10 May 2023 07:21:43 -0700 (PDT)
Received-SPF: pass (google.com: domain of someone@example.de designates 2001:638:a01:1096::10 as permitted sender) client-ip=2001:638:a01:1096::10;
Received: from laptop.example (im-mob-039.example.de [172.20.37.154])
	by mtaout.example.de (Postfix) with ESMTP id 9A2B41C07E;
	Wed, 10 May 2023 16:21:42 +0200 (CEST)
From: Someone <someone@example.de>
To: dev@googlegroups.com
Subject: a list message
Date: Wed, 10 May 2023 16:21:40 +0200

body
`

func TestTrustFollowsForwarderRecord(t *testing.T) {
	tr, err := TraceMessage(context.Background(), strings.NewReader(googleGroupsMessage))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != 3 || tr.Origin.IP != netip.MustParseAddr("2001:638:a01:1096::10") || tr.Origin.RecordedBy != "google.com" {
		t.Errorf("origin = %+v; want hop 3, 2001:638:a01:1096::10, recorded by google.com", tr.Origin)
	}
	for _, f := range tr.Findings {
		if f.Severity >= SeverityMedium {
			t.Errorf("finding on a legitimate list message: %s %s hop %d: %s", f.Severity, f.Rule, f.Hop, f.Message)
		}
	}
	if len(tr.Edges) < 2 || tr.Edges[1].Match != MatchInternal {
		t.Errorf("edge 1 = %+v, want internal", tr.Edges[1])
	}

	// A record forged below the real one names another client: only the
	// writer's topmost record counts, so the origin stays.
	forged := strings.Replace(googleGroupsMessage, "From: Someone", "Received-SPF: pass (google.com: domain of x@example.de designates 172.20.37.154 as permitted sender) client-ip=172.20.37.154;\nFrom: Someone", 1)
	tr, err = TraceMessage(context.Background(), strings.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.IP != netip.MustParseAddr("2001:638:a01:1096::10") {
		t.Errorf("with a forged record below, origin = %+v", tr.Origin)
	}

	// Without the record, the list server is where the trace can vouch
	// for the chain: the origin is Google's server, not a hop below.
	plain := strings.Replace(googleGroupsMessage, "Received-SPF:", "X-Other:", 1)
	tr, err = TraceMessage(context.Background(), strings.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != 0 {
		t.Errorf("without a record, origin = %+v", tr.Origin)
	}
}

func TestOriginRecordFinding(t *testing.T) {
	// Microsoft recorded the client its own servers received from; the
	// trace walked past it into a chain the test's trusted network covers,
	// and says why the origin is not the recorded client.
	msg := `Received: from AM0PR04MB1234.eurprd04.prod.outlook.com (2603:10a6:208:1::1) by AM0PR04MB5678.eurprd04.prod.outlook.com with HTTPS; Tue, 12 Mar 2024 09:14:31 +0000
Received: from mx.example.net (81.2.69.10) by AM0PR04MB1234.mail.protection.outlook.com (10.167.8.1) with Microsoft SMTP Server id 15.20.7386.14; Tue, 12 Mar 2024 09:14:30 +0000
X-Forefront-Antispam-Report: CIP:81.2.69.10;CTRY:GB;LANG:en;
Received: from a.example.com (a.example.com [198.51.100.3]) by mx.example.net with SMTP; Tue, 12 Mar 2024 09:14:29 +0000
Subject: x

body
`
	tracer := &Tracer{TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("81.2.69.0/24")}}
	tr, err := tracer.Trace(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.IP != netip.MustParseAddr("198.51.100.3") {
		t.Fatalf("origin = %+v", tr.Origin)
	}
	if !hasFinding(tr, CategoryOriginRecord, tr.Origin.Hop, SeverityInfo) {
		t.Errorf("no origin-record finding:\n%s", dump(tr.Findings))
	}
	// Untrusted by config, Microsoft's record is the origin.
	tr, err = TraceMessage(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.IP != netip.MustParseAddr("81.2.69.10") || tr.Origin.RecordedBy != "protection.outlook.com" {
		t.Errorf("origin = %+v; want 81.2.69.10 recorded by protection.outlook.com", tr.Origin)
	}
}

func anyFinding(tr *Trace, cat Category, min Severity) bool {
	for _, f := range tr.Findings {
		if f.Category == cat && f.Severity >= min {
			return true
		}
	}
	return false
}

// Shapes of Exchange Online delivery: internal hops written with IPv6
// addresses of Microsoft's own network and prod.outlook.com names, the
// connecting client recorded by Exchange Online Protection in Forefront's
// CIP.
const exchangeOnlineInbound = `Received: from DB9PR04MB8429.eurprd04.prod.outlook.com (2603:10a6:10:2c7::11) by AM9PR04MB8081.eurprd04.prod.outlook.com with HTTPS; Tue, 12 Mar 2024 09:14:33 +0000
Received: from DU2PR04CA0123.eurprd04.prod.outlook.com (2603:10a6:10:230::8) by DB9PR04MB8429.eurprd04.prod.outlook.com (2603:10a6:10:2c7::11) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7386.14; Tue, 12 Mar 2024 09:14:32 +0000
Received: from DU6PEPF0000A7E3.eurprd02.prod.outlook.com (2603:10a6:10:230:cafe::a4) by DU2PR04CA0123.outlook.office365.com (2603:10a6:10:230::8) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7386.14 via Frontend Transport; Tue, 12 Mar 2024 09:14:32 +0000
X-Forefront-Antispam-Report: CIP:81.2.69.20;CTRY:GB;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;H:mail.phish.example;PTR:mail.phish.example;CAT:PHISH;
Received-SPF: Fail (protection.outlook.com: domain of bank.example does not designate 81.2.69.20 as permitted sender) receiver=protection.outlook.com; client-ip=81.2.69.20; helo=mail.phish.example;
Received: from mail.phish.example (81.2.69.20) by DU6PEPF0000A7E3.mail.protection.outlook.com (10.167.8.42) with Microsoft SMTP Server id 15.20.7386.12 via Frontend Transport; Tue, 12 Mar 2024 09:14:31 +0000
Received: from [192.168.1.7] (unknown [198.51.100.77]) by mail.phish.example (Postfix) with ESMTPSA id 4TvB; Tue, 12 Mar 2024 09:14:30 +0000
Subject: Your account
To: someone@customer.example

body
`

func TestExchangeOnlineOrigin(t *testing.T) {
	tr, err := TraceMessage(context.Background(), strings.NewReader(exchangeOnlineInbound))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != 3 || tr.Origin.IP != netip.MustParseAddr("81.2.69.20") || tr.Origin.RecordedBy != "protection.outlook.com" {
		t.Errorf("origin = %+v; want hop 3, 81.2.69.20, recorded by protection.outlook.com", tr.Origin)
	}
	for i := 0; i < 3; i++ {
		if tr.Hops[i].Trust != TrustTrusted {
			t.Errorf("hop %d trust = %v, want trusted (Microsoft's own)", i, tr.Hops[i].Trust)
		}
	}
}

// A filtering gateway in front of the recipient's server: the gateway
// received the message for the same envelope recipient it handed on, so
// the origin is the client the gateway received from, not the gateway.
func TestInboundGatewayOrigin(t *testing.T) {
	msg := `Received: from mx0a-00123401.pphosted.com (mx0a-00123401.pphosted.com [148.163.156.1]) by mail.customer.example (Postfix) with ESMTPS id 4Q1 for <someone@customer.example>; Tue, 12 Mar 2024 09:14:33 +0000
Received: from pps.filterd (m0098399.ppops.net [127.0.0.1]) by mx0a-00123401.pphosted.com (8.17.1.19/8.17.1.19) with ESMTP id 42C9EW1a012345 for <someone@customer.example>; Tue, 12 Mar 2024 09:14:32 GMT
Received: from mail.sender.example (mail.sender.example [81.2.69.20]) by mx0a-00123401.pphosted.com (PPS) with ESMTPS id 3wq for <someone@customer.example>; Tue, 12 Mar 2024 09:14:31 +0000
Subject: x

body
`
	tr, err := TraceMessage(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != 2 || tr.Origin.IP != netip.MustParseAddr("81.2.69.20") {
		t.Errorf("origin = %+v; want hop 2, 81.2.69.20 (the gateway's client)", tr.Origin)
	}
	if anyFinding(tr, CategoryQueueIDTime, SeverityLow) {
		t.Errorf("queue-id-time on Proofpoint's id:\n%s", dump(tr.Findings))
	}

	// The same gateway sending for its customer (outbound): the envelope
	// recipient is not the one the receiving server records, so the
	// gateway is the origin.
	out := strings.ReplaceAll(msg, " for <someone@customer.example>;", ";")
	out = strings.Replace(out, "with ESMTPS id 4Q1;", "with ESMTPS id 4Q1 for <someone@customer.example>;", 1)
	tr, err = TraceMessage(context.Background(), strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != 0 || tr.Origin.IP != netip.MustParseAddr("148.163.156.1") {
		t.Errorf("outbound gateway: origin = %+v; want hop 0, the gateway", tr.Origin)
	}
}

func TestSendOnlyServer(t *testing.T) {
	for host, want := range map[string]string{
		"eur05-vi1-obe.outbound.protection.outlook.com": "Microsoft",
		"apc01-pu1-obe.outbound.protection.outlook.com": "Microsoft",
		"outbound.protection.outlook.com":               "", // no host label of its own
		"am6eur05ft.mail.protection.outlook.com":        "", // Exchange Online's receiving side
		"db9pr04mb8429.eurprd04.prod.outlook.com":       "",
		"a27-5.smtp-out.us-west-2.amazonses.com":        "Amazon SES",
		"a8-30.smtp-out.amazonses.com":                  "Amazon SES",
		"smtp-out.amazonses.com":                        "",
		"inbound-smtp.us-west-2.amazonaws.com":          "",
		"a27-5.smtp-out.us-west-2.example.com":          "",
		"[40.107.22.50]":                                "",
		"":                                              "",
	} {
		norm := normName(host)
		got, ok := sendOnlyServer(norm, domainInfo(norm))
		if got != want || ok != (want != "") {
			t.Errorf("sendOnlyServer(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}

// Mail sent through Amazon SES to an Amazon WorkMail mailbox, with a hop
// made up below it in the name of SES's sending server: the origin stays
// the SES server (whom an abuse report must reach), and the made-up hop is
// flagged.
func TestSendOnlyServerForgedBelow(t *testing.T) {
	tr := chain(t, nil,
		"from a27-5.smtp-out.us-west-2.amazonses.com (a27-5.smtp-out.us-west-2.amazonses.com [54.240.27.5]) by inbound-smtp.us-west-2.amazonaws.com with SMTP id k6sbr4gfpakd50h3l0qtp3gteubfgi4rv5kvlh01 for someone@customer.awsapps.com; Thu, 14 Mar 2024 09:14:33 +0000",
		"from [61.181.236.7] (dsl-81-2-69-44.pool.example.net [81.2.69.44]) by a27-5.smtp-out.us-west-2.amazonses.com with ESMTP id 4TvB; Thu, 14 Mar 2024 09:14:30 +0000",
	)
	if tr.Origin.Hop != 0 || tr.Origin.IP != netip.MustParseAddr("54.240.27.5") {
		t.Errorf("origin = %+v; want hop 0, 54.240.27.5 (Amazon SES's server)", tr.Origin)
	}
	if tr.Hops[1].Trust != TrustUnverifiable {
		t.Errorf("the made-up hop is %v, want unverifiable", tr.Hops[1].Trust)
	}
	found := false
	for _, f := range tr.Findings {
		if f.Rule == "send-only-server" {
			found = f.Hop == 1 && f.Severity == SeverityMedium && f.Category == CategoryBrokenChain
		}
	}
	if !found {
		t.Errorf("no medium send-only-server finding on hop 1: %+v", tr.Findings)
	}
}

// Microsoft 365 to Microsoft 365: below the sending tenant's outbound
// server are that tenant's own hops, written by prod.outlook.com servers,
// down to the user's authenticated submission. They are Microsoft's, not
// the outbound server's, and are followed as before.
func TestSendOnlyServerRealHopsBelow(t *testing.T) {
	tr := chain(t, nil,
		"from EUR05-VI1-obe.outbound.protection.outlook.com (40.107.21.50) by AM6EUR05FT021.mail.protection.outlook.com (10.233.241.93) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7386.12 via Frontend Transport; Tue, 12 Mar 2024 09:14:33 +0000",
		"from DB9PR04MB8429.eurprd04.prod.outlook.com (2603:10a6:10:2c7::11) by DB9PR04MB8430.eurprd04.prod.outlook.com (2603:10a6:10:2c7::12) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7386.14; Tue, 12 Mar 2024 09:14:32 +0000",
		"from [192.168.1.7] (81.2.69.77) by DB9PR04MB8429.eurprd04.prod.outlook.com with ESMTPSA id 15.20.7386.14; Tue, 12 Mar 2024 09:14:31 +0000",
	)
	if tr.Origin.Hop != 2 || tr.Origin.IP != netip.MustParseAddr("81.2.69.77") {
		t.Errorf("origin = %+v; want hop 2, 81.2.69.77 (the sender's own submission)", tr.Origin)
	}
	for _, f := range tr.Findings {
		if f.Rule == "send-only-server" {
			t.Errorf("send-only-server on real hops: %+v", f)
		}
	}
}
