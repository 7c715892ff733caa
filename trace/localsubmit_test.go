package trace

import (
	"context"
	"strings"
	"testing"
)

// A local program's submission whose queue id the Message-ID carries is
// where the message was written: an older hop from an outside client,
// placed below it, is not believed (its address never becomes the origin),
// while a re-injection over loopback on the same machine is left alone.
func TestLocalSubmissionMintedMessageID(t *testing.T) {
	const top = "Received: from localhost (localhost [127.0.0.1]) by phobos.example.net (Postfix) with ESMTP id B5B8943C32 for <jm@localhost>; Wed, 21 Aug 2002 12:23:10 -0400\n" +
		"Received: from dogma.example.org [212.17.35.15] by localhost with IMAP (fetchmail-5.9.0) for jm@localhost (single-drop); Wed, 21 Aug 2002 17:23:10 +0100\n" +
		"Received: (from mail@localhost) by dogma.example.org (8.11.6/8.11.6) id g7LGMmA01223; Wed, 21 Aug 2002 17:22:48 +0100\n"
	const tail = "Message-Id: <200208211622.g7LGMmA01223@dogma.example.org>\nFrom: nobody@dogma.example.org\n\nx\n"
	tests := []struct {
		name, below, notOrigin string
		wantHop                int
	}{
		{"forged outside hop below", "Received: from smtp.gmail.com (host3773.spamhost.example.net [4.116.178.158]) by dogma.example.org (8.12.11/8.12.11) with ESMTP id g7LGKmA01220; Wed, 21 Aug 2002 17:20:48 +0100\n", "4.116.178.158", 1},
		{"nothing below", "", "", 1},
	}
	for _, tt := range tests {
		tr, err := TraceMessage(context.Background(), strings.NewReader(top+tt.below+tail))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Origin.Hop != tt.wantHop || tt.notOrigin != "" && tr.Origin.IP.String() == tt.notOrigin {
			t.Errorf("%s: origin %+v", tt.name, tr.Origin)
		}
		if tt.below != "" && !strings.Contains(tr.Origin.Reason, "local submission by mail and the Message-ID carries its queue id g7LGMmA01223") {
			t.Errorf("%s: reason %q", tt.name, tr.Origin.Reason)
		}
	}
	// Without the minted Message-ID the local hop is an internal hand-off
	// as before, and the walk goes on to the older hop.
	tr, _ := TraceMessage(context.Background(), strings.NewReader(top+tests[0].below+"Message-Id: <abc@elsewhere.example>\n\nx\n"))
	if tr.Origin.Hop != 3 {
		t.Errorf("without a minted Message-ID: origin %+v", tr.Origin)
	}
	// Re-injection on the same machine over loopback keeps its origin.
	const loop = "Received: by phobos.example.net (Postfix, from userid 500) id D66B5440CC; Tue, 23 Jul 2002 12:34:15 -0400\n" +
		"Received: from phobos (localhost [127.0.0.1]) by phobos.example.net (Postfix) with ESMTP id B076D33E50 for <jm>; Tue, 23 Jul 2002 17:34:15 +0100\n" +
		"Message-Id: <20020723163415.D66B5440CC@phobos.example.net>\n\nx\n"
	tr, _ = TraceMessage(context.Background(), strings.NewReader(loop))
	if strings.Contains(tr.Origin.Reason, "local submission") {
		t.Errorf("loopback re-injection: %+v", tr.Origin)
	}
}

// A message the server wrote itself (a Postfix bounce: a hop with no from
// part, its queue id in the Message-ID) began there: a hop from an outside
// client placed below it is not believed either. The same hop under a
// Message-ID the server did not mint (a list re-submitting what it
// received) is followed as before.
func TestServerWrittenMessageMintedMessageID(t *testing.T) {
	const top = "Received: from mx.example.org (mx.example.org [10.1.2.3]) by mailbox.example.org (Postfix) with ESMTPS id 4Q1 for <someone@example.org>; Tue, 12 Mar 2024 09:14:33 +0000\n" +
		"Received: by mx.example.org (Postfix) id 8C82A7E7; Tue, 12 Mar 2024 09:14:32 +0000\n"
	const forged = "Received: from [61.181.236.7] (dsl-81-2-69-44.pool.example.net [81.2.69.44]) by mx.example.org (Postfix) with ESMTP id 4TvB; Tue, 12 Mar 2024 09:14:30 +0000\n"
	bounce := top + forged + "Message-Id: <20240312091432.8C82A7E7@mx.example.org>\nFrom: MAILER-DAEMON@mx.example.org\n\nx\n"
	tr, err := TraceMessage(context.Background(), strings.NewReader(bounce))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.IP.String() == "81.2.69.44" || tr.Hops[2].Trust != TrustUnverifiable {
		t.Errorf("bounce: origin %+v, the made-up hop %v", tr.Origin, tr.Hops[2].Trust)
	}
	if !strings.Contains(tr.Origin.Reason, "hop 1 records a message that began on its server and the Message-ID carries its queue id 8C82A7E7") {
		t.Errorf("bounce: reason %q", tr.Origin.Reason)
	}
	// Exim's own message ("from user by host with local", Message-ID
	// "<E" + id + "@host>") and sendmail's DSN ("from localhost
	// (localhost)", no address), as real bounces record them.
	for name, self := range map[string]string{
		"exim":     "Received: from mail by mx.example.org with local id 1d5Q3j-0002h2-9s for someone@example.org; Tue, 12 Mar 2024 09:14:32 +0000\nMessage-Id: <E1d5Q3j-0002h2-9s@mx.example.org>\n",
		"sendmail": "Received: from localhost (localhost) by mx.example.org (8.17.1/8.17.1) id t5EKjZJv020261; Tue, 12 Mar 2024 09:14:32 +0000\nMessage-Id: <202403120914.t5EKjZJv020261@mx.example.org>\n",
	} {
		hop, mid, _ := strings.Cut(self, "\nMessage-Id:")
		msg := strings.SplitN(top, "\n", 2)[0] + "\n" + hop + "\n" + forged + "Message-Id:" + mid + "\nx\n"
		tr, _ := TraceMessage(context.Background(), strings.NewReader(msg))
		if tr.Origin.IP.String() == "81.2.69.44" || !strings.Contains(tr.Origin.Reason, "the Message-ID carries its queue id") {
			t.Errorf("%s: origin %+v", name, tr.Origin)
		}
	}
	resent := top + forged + "Message-Id: <CAF=abc@mail.gmail.com>\n\nx\n"
	tr, _ = TraceMessage(context.Background(), strings.NewReader(resent))
	if tr.Origin.Hop != 2 || tr.Origin.IP.String() != "81.2.69.44" {
		t.Errorf("resent: origin %+v, want hop 2", tr.Origin)
	}
}

// An internal client that is an end-user machine (a bare HELO, a DHCP
// name) does not vouch for an older hop that records a client from
// outside: a desktop does not take mail from the Internet. Over loopback
// (a content filter handing the message back under the host's bare name)
// the walk goes on as before.
func TestEndUserClientVouchesForNothingOutside(t *testing.T) {
	const top = "Received: from marconi.wl.example.com (marconi.wl.example.com [172.21.0.46]) by example.com (8.9.3/8.9.3) with ESMTP id LAA21115; Thu, 11 Jul 2002 11:00:16 -0400\n" +
		"Received: from itodell (168.dhcp-wl2.example.com [192.168.131.168]) by marconi.wl.example.com (8.9.3/8.9.3) with SMTP id LAA21072; Thu, 11 Jul 2002 11:00:12 -0400\n"
	const forged = "Received: from mx.hotmail.com (host3938.spamhost.example.net [214.74.195.45]) by 168.dhcp-wl2.example.com (8.12.11/8.12.11) with ESMTP id g6BEwCjQ026800; Thu, 11 Jul 2002 10:58:12 -0400\n"
	const tail = "Message-ID: <000101c228eb$e04cf280$a883a8c0@wl.example.com>\n\nx\n"
	tr, _ := TraceMessage(context.Background(), strings.NewReader(top+tail))
	if tr.Origin.Hop != 1 || tr.Origin.IP.String() != "192.168.131.168" {
		t.Errorf("untouched: origin %+v", tr.Origin)
	}
	tr, _ = TraceMessage(context.Background(), strings.NewReader(top+forged+tail))
	if tr.Origin.Hop != 1 || !strings.Contains(tr.Origin.Reason, "end-user machine") {
		t.Errorf("forged hop below a desktop: origin %+v", tr.Origin)
	}
	const filter = "Received: from neko (localhost [127.0.0.1]) by neko.example.org (Postfix) with ESMTP id 4Q2; Tue, 12 Mar 2024 09:14:33 +0000\n" +
		"Received: from mail.sender.example (mail.sender.example [81.2.69.1]) by neko.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\n\nx\n"
	tr, _ = TraceMessage(context.Background(), strings.NewReader(filter))
	if tr.Origin.IP.String() != "81.2.69.1" {
		t.Errorf("content filter over loopback: origin %+v", tr.Origin)
	}
}

// A client that greets as localhost from an internal address other than
// loopback is a program that does not know its own name (iCloud's
// submission layer hands mail to its outbound relay this way): it is
// where the message was written, so an older hop recording a client from
// outside is not vouched for. The untouched chain keeps its origin. (The
// shape of a real message to a Google Groups list, relayed on to a
// subscriber's server.)
func TestLocalhostHELOOverNetworkVouchesForNothingOutside(t *testing.T) {
	const top = "Received: from mail-qk1-x73a.google.com (mail-qk1-x73a.google.com [IPv6:2607:f8b0:4864:20::73a]) by mail.lfdr.de (Postfix) with ESMTPS id 4B2A92F2331 for <lists+jailhouse-dev@lfdr.de>; Tue, 12 Jan 2021 00:59:06 +0100 (CET)\n" +
		"Received: by mail-qk1-x73a.google.com with SMTP id g26sf339269qkk.13 for <lists+jailhouse-dev@lfdr.de>; Mon, 11 Jan 2021 15:59:06 -0800 (PST)\n" +
		"Received: by 2002:ad4:4787:: with SMTP id z7ls272070qvy.7.gmail; Mon, 11 Jan 2021 15:59:05 -0800 (PST)\n" +
		"Received: from ms11p00im-qufo17292001.me.com (ms11p00im-qufo17292001.me.com. [17.58.38.49]) by gmr-mx.google.com with ESMTPS id p55si118970qtc.2.2021.01.11.15.59.04 for <jailhouse-dev@googlegroups.com> (version=TLS1_2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256 bits=128/128); Mon, 11 Jan 2021 15:59:04 -0800 (PST)\n" +
		"Received-SPF: pass (google.com: domain of someone@icloud.com designates 17.58.38.49 as permitted sender) client-ip=17.58.38.49;\n" +
		"Received: from ms11p00im-qufo17292001.me.com (ms11p00im-qufo17292001.me.com [17.58.38.49]) by ms11p00im-qufo17292001.me.com (Postfix) with ESMTPS id 1BFC91403AB; Mon, 11 Jan 2021 23:59:01 +0000 (UTC)\n" +
		"Received: from localhost (ms11p00im-hyfv28254701.me.com [10.9.14.47]) by ms11p00im-qufo17292001.me.com (Postfix) with ESMTP id CBCB21401FA; Mon, 11 Jan 2021 23:59:00 +0000 (UTC)\n"
	const forged = "Received: from alt1 (host388.example.net [6.80.221.143]) by ms11p00im-hyfv28254701.me.com (Postfix) with ESMTP id 9A1B2C3D4E for <user@example.org>; Mon, 11 Jan 2021 23:58:00 +0000\n"
	const tail = "From: \"'Someone' via Jailhouse\" <jailhouse-dev@googlegroups.com>\nMessage-ID: <7ea20d4e@me.com>\n\nx\n"
	for _, tc := range []struct {
		name, raw string
		reason    string
	}{
		{"untouched", top + tail, "is an internal address"},
		{"forged hop below", top + forged + tail, "end-user machine"},
	} {
		tr, _ := TraceMessage(context.Background(), strings.NewReader(tc.raw))
		if tr.Origin.Hop != 5 || tr.Origin.IP.String() != "10.9.14.47" || !strings.Contains(tr.Origin.Reason, tc.reason) {
			t.Errorf("%s: origin %+v", tc.name, tr.Origin)
		}
	}
}

// A report (multipart/report) is written by the mail system that
// reports: its server's own no-from hop, under a Message-ID that names
// that server, is where it began even when the Message-ID does not carry
// the queue id (Postfix's bounce shape, the queue ids of the bounce and
// the bounced message differing). A report the recipient's side
// re-submits (its no-from hop on top, the Message-ID its writer made
// elsewhere) is followed down to the writer as before.
func TestReportBeganOnItsServer(t *testing.T) {
	const hop = "Received: by mail.example.co.jp (Postfix) id 49E71FA97E1D; Thu, 29 Apr 2018 23:34:45 +0900\n"
	const forged = "Received: from mail.yahoo.com (host120.spam.test [97.23.248.142]) by mail.example.co.jp (8.12.11/8.12.11) with ESMTP id 4T; Thu, 29 Apr 2018 23:32:45 +0900\n"
	const mid = "Message-Id: <20180429233445.A7470DDE1C65@mail.example.co.jp>\nFrom: MAILER-DAEMON@mail.example.co.jp\n"
	const report = "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"b\"\n\n--b--\n"
	tests := []struct {
		name, msg string
		origin    int
		believed  bool // the forged client is the origin
	}{
		{"report", hop + forged + mid + report, 0, false},
		{"report, type in capitals and a comment", hop + forged + mid + "Content-Type: (dsn) Multipart/Report; report-type=delivery-status\n\nx\n", 0, false},
		{"not a report", hop + forged + mid + "Content-Type: multipart/mixed; boundary=b\n\n--b--\n", 1, true},
		{"a report named by another server", hop + forged + "Message-Id: <20180429233445.A7470DDE1C65@elsewhere.example.org>\n" + report, 1, true},
		{"multipart/reports is not a report", hop + forged + mid + "Content-Type: multipart/reports\n\nx\n", 1, true},
	}
	for _, tt := range tests {
		tr, err := TraceMessage(context.Background(), strings.NewReader(tt.msg))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Origin.Hop != tt.origin || (tr.Origin.IP.String() == "97.23.248.142") != tt.believed {
			t.Errorf("%s: origin %+v", tt.name, tr.Origin)
		}
		if !tt.believed && !strings.Contains(tr.Origin.Reason, "the message is a report (multipart/report)") {
			t.Errorf("%s: reason %q", tt.name, tr.Origin.Reason)
		}
	}
	// Re-submitted on the recipient's side: the top no-from hop is the
	// recipient's, the report's writer the outside client below it.
	const resubmitted = "Received: by bounce.example.net (Postfix) id 4E5F01043E8C; Sat, 3 Sep 2016 22:06:04 +0200\n" +
		"Received: from mx.school.example (mx.school.example [163.47.52.66]) by bounce.example.net (Postfix) with ESMTP id 53E341043E83; Sat, 3 Sep 2016 22:06:03 +0200\n" +
		"Message-ID: <30fe02df@exchange1.school.example>\n" + report
	tr, _ := TraceMessage(context.Background(), strings.NewReader(resubmitted))
	if tr.Origin.Hop != 1 || tr.Origin.IP.String() != "163.47.52.66" {
		t.Errorf("re-submitted report: origin %+v", tr.Origin)
	}
}

// A hop whose server is named only by a loopback address ("by
// [127.0.0.1]", written below a loopback client) and that records a
// client from outside is not vouched for, as "by localhost" is not; a
// content filter's "by localhost ([127.0.0.1])" hop recording its own
// server's public address is followed as before.
func TestLoopbackLiteralServerVouchesForNothingOutside(t *testing.T) {
	const top = "Received: from [127.0.0.1] ([localhost]) by neko.example.org (ecelerity 3.6.5.1 r(Core:3.6.5.0)) with UNKNOWN id 22/22-00000-00000225; Thu, 29 Apr 2015 23:34:45 +0000\n"
	const tail = "Message-ID: <22.220000@example.org>\n\nx\n"
	forged := top + "Received: from mail.yahoo.com (host4.spam.test [120.104.197.57]) by [127.0.0.1] (8.12.11/8.12.11) with ESMTP id t3TNYj00001; Thu, 29 Apr 2015 23:32:45 +0000\n" + tail
	tr, err := TraceMessage(context.Background(), strings.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Origin.Hop != 0 || !strings.Contains(tr.Origin.Reason, "names its server only as [127.0.0.1]") {
		t.Errorf("forged by [127.0.0.1]: origin %+v", tr.Origin)
	}
	const filter = "Received: from localhost (localhost [127.0.0.1]) by kci.example.com (Postfix) with ESMTP id 0A47D3EA4; Tue, 23 Jul 2002 19:43:18 -0400\n" +
		"Received: from kci.example.com ([206.112.95.6]) by localhost (lorax.example.com [127.0.0.1]) (amavisd-new) with SMTP id 50275-07; Tue, 23 Jul 2002 19:43:17 -0400\n" +
		"Received: from list.example.net (list.example.net [216.136.171.252]) by kci.example.com (Postfix) with ESMTP id 056483E44; Tue, 23 Jul 2002 19:43:16 -0400\n"
	tr, _ = TraceMessage(context.Background(), strings.NewReader(filter+tail))
	if tr.Origin.Hop == 0 || strings.Contains(tr.Origin.Reason, "names its server only") {
		t.Errorf("content filter: origin %+v", tr.Origin)
	}
}

// Exchange's "with mapi" hop under a Message-ID its server made is where
// the message was written (a user's message handed from the mailbox to
// transport): a hop below it from an outside client is not believed. Under
// a Message-ID made elsewhere (a message a mailbox rule sends on) the walk
// goes on as before.
func TestMAPISubmissionBeganThere(t *testing.T) {
	const hops = "Received: from PH0PR14MB4296.namprd14.prod.outlook.com (2a01:111:e400:fc4b::4b) by BN8NAM11FT008.mail.protection.outlook.com (2a01:111:e400:fc4b::351) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.4042.16 via Frontend Transport; Sat, 17 Apr 2021 14:51:22 +0000\n" +
		"Received: from PH0PR14MB4296.namprd14.prod.outlook.com ([fe80::d093:57ee:eee8:ab8b]) by PH0PR14MB4296.namprd14.prod.outlook.com ([fe80::d093:57ee:eee8:ab8b%3]) with mapi id 15.20.4042.021; Sat, 17 Apr 2021 14:51:21 +0000\n" +
		"Received: from mail.yahoo.com (host9.spam.test [97.23.248.142]) by PH0PR14MB4296.namprd14.prod.outlook.com (8.12.11/8.12.11) with ESMTP id 4T; Sat, 17 Apr 2021 14:49:21 +0000\n"
	for _, tt := range []struct {
		mid      string
		believed bool
	}{
		{"<PH0PR14MB4296D2E1@PH0PR14MB4296.namprd14.prod.outlook.com>", false},
		{"<20210417.abc@sender.example.org>", true},
	} {
		tr, err := TraceMessage(context.Background(), strings.NewReader(hops+"Message-ID: "+tt.mid+"\n\nx\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Origin.IP.String() == "97.23.248.142"; got != tt.believed {
			t.Errorf("Message-ID %s: origin %+v", tt.mid, tr.Origin)
		}
		if !tt.believed && (tr.Origin.Hop != 1 || !strings.Contains(tr.Origin.Reason, "submission from the mailbox over MAPI")) {
			t.Errorf("Message-ID %s: origin %+v", tt.mid, tr.Origin)
		}
	}
}
