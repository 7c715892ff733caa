package trace

import (
	"context"
	"strings"
	"testing"
)

// injected is a message whose sender wrote an Authentication-Results field
// in the recipient's own name, claiming pass for a bank's domain; the
// recipient's real field (at the top) says SPF failed.
const injected = `Return-Path: <a@sender.example>
Authentication-Results: mx.recipient.example; spf=fail smtp.mailfrom=sender.example;
	dkim=none; dmarc=fail header.from=bank.example
Received: from mail.sender.example (mail.sender.example [80.68.177.35])
	by mx.recipient.example (Postfix) with ESMTPS id 4QxyZ1;
	Mon, 1 Jan 2024 10:00:00 +0000
Received: from [10.0.0.1] by mail.sender.example with ESMTP id q1; Mon, 1 Jan 2024 09:59:00 +0000
Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=bank.example;
	dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example
From: Bank <security@bank.example>
Reply-To: <collect@elsewhere.example>
Subject: verify your account
Message-ID: <1@sender.example>

body
`

func TestForgedAuthResults(t *testing.T) {
	tr := Tracer{LocalDomains: []string{"recipient.example"}}
	got, err := tr.Trace(context.Background(), strings.NewReader(injected))
	if err != nil {
		t.Fatal(err)
	}
	ev := got.Auth
	if len(ev.ResultFields) != 2 {
		t.Fatalf("results fields: %+v", ev.ResultFields)
	}
	real, fake := ev.ResultFields[0], ev.ResultFields[1]
	if !real.Trusted || real.Hop != 0 {
		t.Errorf("real field: hop %d trusted %v, want hop 0 trusted", real.Hop, real.Trusted)
	}
	if fake.Trusted || fake.Hop != -1 {
		t.Errorf("injected field: hop %d trusted %v, want hop -1 untrusted", fake.Hop, fake.Trusted)
	}
	var forged, spfFail int
	for _, f := range got.Findings {
		switch {
		case f.Category == CategoryForgedAuthResults && f.Severity == SeverityHigh:
			forged++
		case f.Rule == "auth-spf-fail" || f.Rule == "auth-dmarc-fail":
			spfFail++
		}
	}
	if forged != 1 || spfFail != 2 {
		t.Errorf("forged %d, spf and dmarc fail %d; want 1 and 2: %+v", forged, spfFail, got.Findings)
	}
	if al := ev.Alignment; al.DKIM || al.SPF || al.DMARC != "fail" {
		t.Errorf("alignment believed the injected field: %+v", al)
	}
	for _, r := range ev.Results {
		if r.Field == 1 && r.Trusted {
			t.Errorf("an injected result is trusted: %+v", r)
		}
	}
}

// TestForgedBetweenHops: the same claim written between the sender's hops
// is attributed to the sender's hop and still flagged.
func TestForgedBetweenHops(t *testing.T) {
	msg := strings.Replace(injected, "Received: from [10.0.0.1]", "Authentication-Results: mx.recipient.example; dkim=pass header.d=bank.example\nReceived: from [10.0.0.1]", 1)
	tr := Tracer{LocalDomains: []string{"recipient.example"}}
	got, err := tr.Trace(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range got.Findings {
		if f.Category == CategoryForgedAuthResults && f.Severity == SeverityHigh {
			n++
			if f.Hop == 0 {
				t.Errorf("forged field blamed on the trusted hop: %+v", f)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d forged findings, want 2: %+v", n, got.Findings)
	}
}

func TestNoAuth(t *testing.T) {
	tr := Tracer{NoAuth: true}
	got, err := tr.Trace(context.Background(), strings.NewReader(injected))
	if err != nil {
		t.Fatal(err)
	}
	if got.Auth != nil {
		t.Errorf("NoAuth gave evidence")
	}
}

// TestAuthFieldNames checks that the names of the fields the analysis
// reads are matched ignoring ASCII case, and that a vendor field's name
// reaches its verdict as its key (net/textproto's canonical form), however
// it was written.
func TestAuthFieldNames(t *testing.T) {
	const hop = "Received: from mail.sender.example (mail.sender.example [80.68.177.35])\n" +
		"\tby mx.recipient.example (Postfix) with ESMTPS id 4QxyZ1; Mon, 1 Jan 2024 10:00:00 +0000\n"
	tests := []struct {
		name, field  string
		results      int    // results fields read
		verdictField string // the Header of the one verdict; "" for none
	}{
		{"results canonical", "Authentication-Results: mx.recipient.example; spf=fail smtp.mailfrom=sender.example", 1, ""},
		{"results upper", "AUTHENTICATION-RESULTS: mx.recipient.example; spf=fail smtp.mailfrom=sender.example", 1, ""},
		{"results lower", "authentication-results: mx.recipient.example; spf=fail smtp.mailfrom=sender.example", 1, ""},
		{"scl as Microsoft writes it", "X-MS-Exchange-Organization-SCL: 5", 0, "X-Ms-Exchange-Organization-Scl"},
		{"scl lower", "x-ms-exchange-organization-scl: 5", 0, "X-Ms-Exchange-Organization-Scl"},
		{"spam flag odd case", "x-spam-FLAG: YES", 0, "X-Spam-Flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.field + "\n" + hop + "From: <a@sender.example>\nSubject: s\n\nbody\n"
			var tc Tracer
			got, err := tc.Trace(context.Background(), strings.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(got.Auth.ResultFields); n != tt.results {
				t.Errorf("%d results fields read, want %d", n, tt.results)
			}
			switch v := got.Auth.Verdicts; {
			case tt.verdictField == "" && len(v) != 0:
				t.Errorf("verdicts %+v, want none", v)
			case tt.verdictField != "" && (len(v) != 1 || v[0].Header != tt.verdictField):
				t.Errorf("verdicts %+v, want one from %s", v, tt.verdictField)
			}
		})
	}
}
