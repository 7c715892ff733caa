package auth

import (
	"sort"
	"strings"
	"testing"
)

const mxHop = "Received: from mail.example.com (mail.example.com [80.68.177.35]) by mx.recipient.example (Postfix) id 1; Mon, 1 Jan 2024 10:00:05 +0000\n"

func rules(ev *Evidence) string {
	var r []string
	for _, f := range ev.Findings {
		r = append(r, f.Rule+"/"+f.Severity.String())
	}
	sort.Strings(r)
	return strings.Join(r, " ")
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name, hdr, want string
	}{
		{"spf client mismatch", mxHop + "Received-SPF: pass (mx.recipient.example: domain of a@example.com designates 198.51.100.9 as permitted sender) client-ip=198.51.100.9; receiver=mx.recipient.example\nFrom: a@example.com",
			"spf-client-mismatch/medium"},
		{"spf client agrees", mxHop + "Received-SPF: pass client-ip=80.68.177.35; helo=mail.example.com; receiver=mx.recipient.example\nFrom: a@example.com", ""},
		{"spf helo differs", mxHop + "Received-SPF: pass client-ip=80.68.177.35; helo=other.example; receiver=mx.recipient.example\nFrom: a@example.com",
			"spf-helo-mismatch/low"},
		// 1704103200 is 2024-01-01 10:00:00 UTC; the hop above is dated 10:00:05.
		{"replayed signature", mxHop + "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; t=1701424800; h=from; bh=x; b=y\nFrom: a@example.com",
			"dkim-old-signature/medium"},
		{"expired, body length, sha1", mxHop + "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=s; t=1704103100; x=1704103150; l=10; h=from; bh=x; b=y\nFrom: a@example.com",
			"dkim-body-length/low dkim-expired/low dkim-rsa-sha1/info"},
		{"arc gap", mxHop + "ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=example.com; s=s; b=x\nARC-Message-Signature: i=2; d=example.com; s=s; b=x\nARC-Authentication-Results: i=2; mx.recipient.example; arc=none\nFrom: a@example.com",
			"arc-chain-structure/low"},
		{"arc cv", mxHop + "ARC-Seal: i=1; a=rsa-sha256; cv=pass; d=recipient.example; s=s; b=x\nARC-Message-Signature: i=1; d=recipient.example; s=s; b=x\nARC-Authentication-Results: i=1; mx.recipient.example; arc=none\nFrom: a@example.com",
			"arc-chain-structure/low"},
		{"arc sealer not the hop's", mxHop + "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=elsewhere.example; s=s; b=x\nARC-Message-Signature: i=1; d=elsewhere.example; s=s; b=x\nARC-Authentication-Results: i=1; mx.elsewhere.example; arc=none\nReceived: from [10.0.0.1] by mail.example.com id 2; Mon, 1 Jan 2024 10:00:00 +0000\nFrom: a@example.com",
			"arc-sealer-not-hop/info"},
		{"from not aligned, reply-to elsewhere", mxHop + "Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=bulk.example; dkim=pass header.d=bulk.example\nFrom: Bank <s@bank.example>\nReply-To: x@collect.example",
			"from-not-aligned/low reply-to-other-org/low"},
		{"trusted fails", mxHop + "Authentication-Results: mx.recipient.example; spf=fail smtp.mailfrom=example.com; dkim=fail header.d=example.com; dmarc=fail header.from=example.com\nFrom: a@example.com",
			"auth-dkim-fail/low auth-dmarc-fail/medium auth-spf-fail/low"},
		// A mailing list (Mailman) appends its fields below the message's
		// own: its results there are not believed, and not called forged
		// when the message was resent from its domain; without that sign
		// the same field is a forgery claim.
		{"list appended results", mxHop + "From: a@example.com\nSender: list-bounces@recipient.example\nAuthentication-Results: mx.recipient.example; dmarc=none header.from=example.com",
			"auth-results-resent/low"},
		{"bottom results, not resent", mxHop + "From: a@example.com\nAuthentication-Results: mx.recipient.example; dmarc=pass header.from=example.com",
			"auth-results-forged/high"},
	}
	for _, tt := range tests {
		if got := rules(analyzeTrusted(t, tt.hdr, 1)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
