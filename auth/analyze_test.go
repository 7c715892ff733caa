package auth

import (
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/received"
)

// analyzeTrusted builds the evidence of a header block whose top `trusted`
// hops are trusted (the lowest of them the origin hop).
func analyzeTrusted(t *testing.T, hdr string, trusted int) *Evidence {
	t.Helper()
	fields, _ := splitMessage([]byte(strings.ReplaceAll(hdr, "\n", "\r\n") + "\r\n"))
	in := &Input{Origin: trusted - 1}
	for _, f := range fields {
		_, val, _ := strings.Cut(f.text, ":")
		val = strings.TrimSpace(strings.ReplaceAll(val, "\r\n", ""))
		in.Fields = append(in.Fields, Field{Name: f.name, Value: val})
		if lower(f.name) == "received" {
			h, _ := received.Parse(val)
			in.Hops = append(in.Hops, Hop{Received: &h, Trusted: len(in.Hops) < trusted})
		}
	}
	return Analyze(in)
}

type placement struct {
	what    string
	hop     int
	how     Attribution
	trusted bool
}

func placements(ev *Evidence) []placement {
	var out []placement
	for _, rf := range ev.ResultFields {
		out = append(out, placement{rf.Header + " " + rf.AuthservID, rf.Hop, rf.Attributed, rf.Trusted})
	}
	for _, s := range ev.SPF {
		out = append(out, placement{"Received-SPF " + s.Receiver, s.Hop, s.Attributed, s.Trusted})
	}
	return out
}

func TestAttribution(t *testing.T) {
	tests := []struct {
		name    string
		hdr     string
		trusted int
		want    []placement
	}{{
		// Gmail writes Received-SPF and Authentication-Results below its
		// own Received field; the ARC set above it comes from its
		// internal hop.
		name: "gmail",
		hdr: `ARC-Authentication-Results: i=1; mx.google.com; spf=pass smtp.mailfrom=a@example.com
Received: by 2002:a05:6520:1b8f:b0:2b1:2c0f:1c57 with SMTP id x15csp1; Mon, 1 Jan 2024 10:00:01 -0800 (PST)
Received: from mail.example.com (mail.example.com. [80.68.177.35])
        by mx.google.com with ESMTPS id q1si1.2024.01.01.10.00.00; Mon, 01 Jan 2024 10:00:00 -0800 (PST)
Received-SPF: pass (google.com: domain of a@example.com designates 80.68.177.35 as permitted sender) client-ip=80.68.177.35;
Authentication-Results: mx.google.com; spf=pass (google.com: domain of a@example.com designates 80.68.177.35 as permitted sender) smtp.mailfrom=a@example.com
Received: from [10.1.1.1] by mail.example.com with ESMTPSA id z; Mon, 1 Jan 2024 17:59:58 +0000
From: a@example.com`,
		trusted: 2,
		want: []placement{
			{"ARC-Authentication-Results mx.google.com", 0, AttrPosition, true},
			{"Authentication-Results mx.google.com", 1, AttrHost, true},
			{"Received-SPF google.com", 1, AttrDomain, true},
		},
	}, {
		// Exchange Online prepends its results above the edge's Received.
		name: "microsoft",
		hdr: `Received: from DM6PR01MB1.namprd01.prod.outlook.com (2603:10b6:5:1::1) by BN6PR01MB2.namprd01.prod.outlook.com with HTTPS; Mon, 1 Jan 2024 10:00:02 +0000
Authentication-Results: spf=pass (sender IP is 80.68.177.35) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=pass action=none header.from=example.com;compauth=pass reason=100
Received-SPF: Pass (protection.outlook.com: domain of example.com designates 80.68.177.35 as permitted sender) receiver=protection.outlook.com; client-ip=80.68.177.35; helo=mail.example.com;
Received: from mail.example.com (80.68.177.35) by BN8NAM11FT1.mail.protection.outlook.com (10.13.1.1) with Microsoft SMTP Server id 15.20.1 via Frontend Transport; Mon, 1 Jan 2024 10:00:00 +0000`,
		trusted: 2,
		want: []placement{
			{"Authentication-Results ", 1, AttrOperator, true},
			{"Received-SPF protection.outlook.com", 1, AttrDomain, true},
		},
	}, {
		// A list server writes dkim above its Received and its milters
		// dmarc and spf below: all three are its own.
		name: "both slots",
		hdr: `Received: from lists.example.org (lists.example.org [80.68.177.1]) by mx.recipient.example (Postfix) id 1; Mon, 1 Jan 2024 10:00:05 +0000
Authentication-Results: lists.example.org; dkim=pass header.d=example.com
Received: from mail.example.com (mail.example.com [80.68.177.35]) by lists.example.org (Postfix) id 2; Mon, 1 Jan 2024 10:00:00 +0000
Authentication-Results: lists.example.org; dmarc=pass header.from=example.com
Authentication-Results: lists.example.org; spf=pass smtp.mailfrom=example.com
Received: by mail.example.com (Postfix) id 3; Mon, 1 Jan 2024 09:59:59 +0000`,
		trusted: 1,
		want: []placement{
			{"Authentication-Results lists.example.org", 1, AttrHost, false},
			{"Authentication-Results lists.example.org", 1, AttrHost, false},
			{"Authentication-Results lists.example.org", 1, AttrHost, false},
		},
	}, {
		// A milter on the recipient's MX writes below its Received; the
		// results are the MX's and trusted.
		name: "milter",
		hdr: `Received: from mail.example.com (mail.example.com [80.68.177.35]) by mx.recipient.example (Postfix) id 1; Mon, 1 Jan 2024 10:00:05 +0000
Authentication-Results: mx.recipient.example; dkim=pass header.d=example.com
Received: by mail.example.com (Postfix) id 3; Mon, 1 Jan 2024 09:59:59 +0000`,
		trusted: 1,
		want:    []placement{{"Authentication-Results mx.recipient.example", 0, AttrHost, true}},
	}}
	for _, tt := range tests {
		got := placements(analyzeTrusted(t, tt.hdr, tt.trusted))
		if len(got) != len(tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: field %d %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

// TestNoForgeryOnOwnFields: the fields of real receivers raise no
// forged-auth-results.
func TestNoForgeryOnOwnFields(t *testing.T) {
	ev := analyzeTrusted(t, `Received: from mail.example.com (mail.example.com [80.68.177.35]) by mx.recipient.example (Postfix) id 1; Mon, 1 Jan 2024 10:00:05 +0000
Authentication-Results: mx.recipient.example; dkim=pass header.d=example.com
Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=example.com
Received: by mail.example.com (Postfix) id 3; Mon, 1 Jan 2024 09:59:59 +0000
From: a@example.com`, 1)
	for _, f := range ev.Findings {
		if f.Category == CategoryForgedAuthResults {
			t.Errorf("finding on real fields: %+v", f)
		}
	}
	if ev.Alignment.DMARC != "pass" || !ev.Alignment.SPF || !ev.Alignment.DKIM {
		t.Errorf("alignment %+v", ev.Alignment)
	}
}

// TestAppendedFields: Exchange Online and Mimecast place their fields
// below the message's own; they go to the operator's most recent hop.
func TestAppendedFields(t *testing.T) {
	ev := analyzeTrusted(t, `Received: from LO0P123MB5470.GBRP123.PROD.OUTLOOK.COM (2603:10a6:600:21c::9) by LO2P123MB4999.GBRP123.PROD.OUTLOOK.COM with HTTPS; Mon, 1 Jan 2024 10:00:02 +0000
Received: from mx1.example.com (80.68.177.35) by LO2GBR01FT016.mail.protection.outlook.com (10.152.0.1) with Microsoft SMTP Server; Mon, 1 Jan 2024 10:00:00 +0000
From: a@example.com
Subject: x
X-MS-Exchange-Organization-SCL: 5
Authentication-Results: relay.mimecast.com; dkim=pass header.d=example.com`, 2)
	if len(ev.Verdicts) != 1 || ev.Verdicts[0].Hop != 0 || !ev.Verdicts[0].Trusted || ev.Verdicts[0].Meaning != "spam" {
		t.Errorf("verdicts %+v", ev.Verdicts)
	}
	// No hop of Mimecast's: the appended field stays before the first hop.
	if rf := ev.ResultFields[0]; rf.Hop != -1 || rf.Trusted {
		t.Errorf("mimecast field %+v", rf)
	}
}

// TestManyFields: a header of thousands of results fields costs a bounded
// amount of work and says so.
func TestManyFields(t *testing.T) {
	var b strings.Builder
	b.WriteString(mxHop)
	for i := 0; i < 5000; i++ {
		b.WriteString("Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=a.example\n")
	}
	b.WriteString("From: a@example.com")
	ev := analyzeTrusted(t, b.String(), 1)
	if len(ev.ResultFields) != maxAuthFields || !strings.Contains(rules(ev), "auth-fields-capped/low") {
		t.Errorf("%d fields read, findings %s", len(ev.ResultFields), rules(ev))
	}
}
