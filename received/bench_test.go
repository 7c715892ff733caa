package received

import (
	"testing"
)

// benchMix is a corpus-like mix: the shapes that dominate the SpamAssassin
// public corpus (sendmail, Postfix, Exim, qmail, fetchmail, SMTPSVC) plus
// the modern ones (Exchange Online, Gmail, SES, TLS clauses), weighted
// roughly as they occur in mail today.
var benchMix = []string{
	"from localhost (localhost [127.0.0.1])\tby phobos.labs.example.com (Postfix) with ESMTP id 1B573440D7\tfor <jm@localhost>; Thu, 25 Jul 2002 06:08:43 -0400 (EDT)",
	"from lugh (root@localhost [127.0.0.1]) by lugh.tuatha.example (8.9.3/8.9.3) with ESMTP id WAA29957; Mon, 19 Aug 2002 22:24:29 +0100",
	"from mail.kerna.example (ns.kerna.example [192.0.2.66]) by dogma.slashnull.example (8.11.6/8.11.6) with ESMTP id g6NGj9412541 for <iiu@taint.example>; Tue, 23 Jul 2002 17:45:09 +0100",
	"from [198.51.100.31] (helo=host.yrex.example) by usw-sf-list1.sourceforge.example with smtp (Exim 3.31-VA-mm2 #1 (Debian)) id 17WSs8-0000pH-00 for <spamassassin-devel@lists.sourceforge.example>; Sun, 21 Jul 2002 19:24:28 -0700",
	"(qmail 32153 invoked from network); 27 Jul 2002 07:30:33 -0000",
	"from jalapeno [127.0.0.1]\tby localhost with IMAP (fetchmail-5.9.0)\tfor jm@localhost (single-drop); Mon, 30 Sep 2002 13:49:24 +0100 (IST)",
	"from claymore.diva.example (diva.example [203.0.113.17] (may be forged)) by lugh.tuatha.example (8.9.3/8.9.3) with ESMTP id PAA00813 for <ilug@linux.example>; Sat, 3 Aug 2002 15:15:58 +0100",
	"from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id a2sor1033717qkb.123.2026.04.29.12.13.14\r\n        for <alice@example.org>\r\n        (Google Transport Security);\r\n        Wed, 29 Apr 2026 12:13:14 -0700 (PDT)",
	"from BN8PR12MB3361.namprd12.prod.outlook.com (2603:10b6:408:67::20) by DM6PR12MB4219.namprd12.prod.outlook.com with HTTPS; Wed, 29 Apr 2026 19:12:16 +0000",
	"from mail.example.net (mail.example.net [198.51.100.7])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n\t(No client certificate requested)\r\n\tby mx.example.org (Postfix) with ESMTPS id 4QxYz12abcz9sT\r\n\tfor <bob@example.org>; Wed, 29 Apr 2026 21:12:16 +0200 (CEST)",
	"from a8-30.smtp-out.amazonses.com (a8-30.smtp-out.amazonses.com [54.240.8.30]) by mx.example.com with ESMTPS id 3q5h6k8 for <carol@example.com> (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); Wed, 29 Apr 2026 19:12:16 +0000",
	"from smtp.example.org ([198.51.100.9]:51234 helo=smtp.example.org) by mx.example.com with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <list-bounces@example.org>) id 1pXyZa-0001Ab-2C for dave@example.com; Wed, 29 Apr 2026 20:12:16 +0100",
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_, _ = Parse(benchMix[n%len(benchMix)])
		n++
	}
}

// BenchmarkParseEach reports each shape on its own.
func BenchmarkParseEach(b *testing.B) {
	for i, v := range benchMix {
		b.Run(string(rune('a'+i)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse(v)
			}
		})
	}
}

func BenchmarkParseIPLiteral(b *testing.B) {
	lits := []string{"192.0.2.1", "IPv6:2001:db8::1", "3735928559", "0xdeadbeef", "300.1.2.3", "fe80::1%7"}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_, _ = ParseIPLiteral(lits[n%len(lits)])
		n++
	}
}
