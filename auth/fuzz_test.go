package auth

import "testing"

func FuzzParseResults(f *testing.F) {
	for _, s := range []string{
		"mx.google.com; dkim=pass header.i=@example.com; spf=pass (c) smtp.mailfrom=a@b.c",
		"spf=pass (sender IP is 192.0.2.7) smtp.mailfrom=example.com;compauth=pass reason=100",
		"i=1; mx.example; arc=none", "x 1; none", `a; b=c d="e\"f" (g(h)`, "((((", ";;;=",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, arc bool) {
		p := ParseResults(s, arc)
		for _, m := range p.Methods {
			if m.Result == "" || m.Name == "" {
				t.Fatalf("method without name or result: %+v", m)
			}
		}
	})
}

func FuzzParseReceivedSPF(f *testing.F) {
	f.Add(`pass (mybox.example.org: domain of a@b designates 192.0.2.1 as permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from="a@b"; helo=x;`)
	f.Add(`None (protection.outlook.com: x does not designate permitted sender hosts)`)
	f.Add(`fail (( client-ip="`)
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseReceivedSPF(s)
		if r.ClientIP.IsValid() && r.ClientIPText == "" {
			t.Fatal("client IP without its text")
		}
	})
}

func FuzzParseDKIMSignature(f *testing.F) {
	f.Add("v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1; t=1700000000; l=12; h=from:to; bh=abc=; b=xyz")
	f.Add("v=1; d=a; d=b; x=99999999999999999999")
	f.Add(";=;==;")
	f.Fuzz(func(t *testing.T, s string) {
		d := ParseDKIMSignature(s)
		if d.BodyLength < -1 {
			t.Fatalf("body length %d", d.BodyLength)
		}
	})
}

func FuzzARC(f *testing.F) {
	f.Add("i=1; a=rsa-sha256; t=1700000000; cv=none; d=example.com; s=s; b=abc")
	f.Add("i=51; cv=maybe")
	f.Fuzz(func(t *testing.T, s string) {
		a := parseARCSeal(s)
		if a.instance < 0 || a.instance > 50 {
			t.Fatalf("instance %d", a.instance)
		}
		if n, _, _ := amsInfo(s); n < 0 || n > 50 {
			t.Fatalf("AMS instance %d", n)
		}
	})
}

func FuzzDecodeVendor(f *testing.F) {
	f.Add("X-Forefront-Antispam-Report", "CIP:192.0.2.1;CTRY:US;SCL:5;SFV:SPM;CAT:PHSH;DIR:INB")
	f.Add("X-Spam-Status", "Yes, score=3.5 required=3.0 tests=A")
	f.Add("X-Spamd-Result", "default: True [20.0 / 15.0]")
	f.Add("X-Microsoft-Antispam", "BCL:9;")
	f.Fuzz(func(t *testing.T, name, v string) {
		i := fieldIndex(name)
		if i < 0 {
			return // decodeVendor reads the fields Analyze knows
		}
		for _, d := range decodeVendor(nil, i, name, v) {
			if d.Meaning == "" {
				t.Fatalf("verdict without meaning: %+v", d)
			}
		}
	})
}

// FuzzAnalyze runs the whole analysis (attribution, identities, checks) and
// the canonicalisation on arbitrary header blocks.
func FuzzAnalyze(f *testing.F) {
	f.Add("Received: from a (a [192.0.2.1]) by mx.example.org; Mon, 1 Jan 2024 10:00:00 +0000\r\nAuthentication-Results: mx.example.org; spf=pass smtp.mailfrom=a.example\r\nFrom: a@a.example\r\n\r\nbody\r\n")
	f.Add("ARC-Seal: i=2; cv=pass; d=x\r\nARC-Message-Signature: i=1; d=y\r\nARC-Authentication-Results: i=3; z\r\nDKIM-Signature: v=1; d=a; s=b; t=1; x=0; l=5\r\nReceived-SPF: pass client-ip=::1\r\n\r\n")
	f.Fuzz(func(t *testing.T, msg string) {
		ev := analyze(t, msg)
		for _, r := range ev.Results {
			if r.Field < 0 || r.Field >= len(ev.ResultFields) {
				t.Fatalf("result field %d of %d", r.Field, len(ev.ResultFields))
			}
		}
		fields, body := splitMessage([]byte(msg))
		for _, fl := range fields {
			canonHeader(stripB(fl.text), true)
		}
		canonBody(body, true, 3)
		canonBody(body, false, -1)
	})
}
