package main

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// authMessage carries one real results field (at the top, the recipient's)
// and one the sender injected below every Received field.
const authMessage = `Return-Path: <a@sender.example>
Authentication-Results: mx.recipient.example; spf=fail smtp.mailfrom=sender.example
Received-SPF: fail (mx.recipient.example: domain of a@sender.example does not designate 80.68.177.35 as permitted sender) client-ip=80.68.177.35; helo=mail.sender.example; envelope-from=a@sender.example
X-Spam-Status: Yes, score=7.1 required=5.0 tests=SPF_FAIL
Received: from mail.sender.example (mail.sender.example [80.68.177.35])
	by mx.recipient.example (Postfix) with ESMTPS id 4QxyZ1;
	Mon, 1 Jan 2024 10:00:00 +0000
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.example; s=s1; t=1704103100; h=from:subject; bh=abc=; b=def
Authentication-Results: mx.recipient.example; spf=pass smtp.mailfrom=bank.example; dkim=pass header.d=bank.example
From: Bank <security@bank.example>
Subject: verify

body
`

// TestJSONAuthContract pins the "auth" object's field names (issue 12's
// contract) and the values of an injected results field.
func TestJSONAuthContract(t *testing.T) {
	out, _, code := runCmd(t, authMessage, "-json", "-local-domain", "recipient.example", "-")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	var a map[string]json.RawMessage
	if err := json.Unmarshal(raw["auth"], &a); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"results", "dkim", "arc", "arc_chain", "spf", "identities", "alignment", "verdicts", "verified"} {
		if _, ok := a[k]; !ok {
			t.Errorf("auth lacks %q", k)
		}
	}
	keys := func(m json.RawMessage) []string {
		var o map[string]any
		if err := json.Unmarshal(m, &o); err != nil {
			t.Fatal(err)
		}
		var ks []string
		for k := range o {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	first := func(k string) json.RawMessage {
		var l []json.RawMessage
		if err := json.Unmarshal(a[k], &l); err != nil || len(l) == 0 {
			t.Fatalf("%s: %v %s", k, err, a[k])
		}
		return l[0]
	}
	has := func(what string, got []string, want ...string) {
		for _, w := range want {
			if i := sort.SearchStrings(got, w); i == len(got) || got[i] != w {
				t.Errorf("%s lacks %q (has %v)", what, w, got)
			}
		}
	}
	has("results[0]", keys(first("results")), "header", "hop", "authserv_id", "trusted", "method", "result", "reason", "properties", "raw")
	has("dkim[0]", keys(first("dkim")), "domain", "selector", "algorithm", "headers", "body_length", "timestamp", "expiration", "hop", "verify", "error")
	has("spf[0]", keys(first("spf")), "hop", "result", "client_ip", "helo", "envelope_from")
	has("verdicts[0]", keys(first("verdicts")), "vendor", "name", "value", "meaning", "hop", "trusted")
	has("identities", keys(a["identities"]), "envelope_from", "from", "sender", "reply_to", "dkim_domains", "message_id_domain", "origin_helo")
	has("alignment", keys(a["alignment"]), "spf", "dkim", "dmarc")

	var ev struct {
		Verified bool `json:"verified"`
		Results  []struct {
			Hop        int               `json:"hop"`
			AuthservID string            `json:"authserv_id"`
			Trusted    bool              `json:"trusted"`
			Method     string            `json:"method"`
			Result     string            `json:"result"`
			Properties map[string]string `json:"properties"`
		} `json:"results"`
		DKIM []struct {
			BodyLength *int   `json:"body_length"`
			Timestamp  string `json:"timestamp"`
			Verify     string `json:"verify"`
			Hop        int    `json:"hop"`
		} `json:"dkim"`
		Alignment struct {
			SPF   bool   `json:"spf"`
			DKIM  bool   `json:"dkim"`
			DMARC string `json:"dmarc"`
		} `json:"alignment"`
	}
	if err := json.Unmarshal(raw["auth"], &ev); err != nil {
		t.Fatal(err)
	}
	type res struct {
		Hop     int
		Trusted bool
		Item    string
	}
	var got []res
	for _, r := range ev.Results {
		got = append(got, res{r.Hop, r.Trusted, r.AuthservID + " " + r.Method + "=" + r.Result})
	}
	want := []res{
		{0, true, "mx.recipient.example spf=fail"},
		{-1, false, "mx.recipient.example spf=pass"},
		{-1, false, "mx.recipient.example dkim=pass"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results %+v, want %+v", got, want)
	}
	if ev.Verified || ev.DKIM[0].Verify != "none" || ev.DKIM[0].BodyLength != nil || ev.DKIM[0].Timestamp != "2024-01-01T09:58:20Z" {
		t.Errorf("offline dkim: %+v verified %v", ev.DKIM[0], ev.Verified)
	}
	if ev.Alignment.DMARC != "fail" || ev.Alignment.SPF || ev.Alignment.DKIM {
		t.Errorf("alignment %+v", ev.Alignment)
	}
	if !strings.Contains(out, `"category":"forged-auth-results","severity":"high"`) {
		t.Errorf("no high forged-auth-results finding in %s", out)
	}
	text, _, _ := runCmd(t, authMessage, "-local-domain", "recipient.example", "-")
	for _, w := range []string{"Authentication: (offline: nothing verified", "not believed before hop 0 results mx.recipient.example: spf=pass dkim=pass", "DMARC (computed)   fail"} {
		if !strings.Contains(text, w) {
			t.Errorf("text report lacks %q:\n%s", w, text)
		}
	}
}
