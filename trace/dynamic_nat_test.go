package trace

import (
	"context"
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
