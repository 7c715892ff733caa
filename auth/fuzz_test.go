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
		for _, d := range decodeVendor(name, v) {
			if d.Meaning == "" {
				t.Fatalf("verdict without meaning: %+v", d)
			}
		}
	})
}
