package trace

import (
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// Host names below are shapes from real Received fields (the modern
// corpus), with customer parts replaced where they named a person or a
// company.
func TestSameOperator(t *testing.T) {
	tests := []struct {
		family string
		a, b   string
		same   bool
	}{
		{"Google", "mail-qt1-x848.google.com", "gmr-mx.google.com", true},
		{"Google", "mail-sor-f41.google.com", "googlegroups.com", true},
		{"Google", "mail-wm1-x339.google.com", "wm-in-f27.1e100.net", true},
		{"Microsoft", "mail-eopbgr800105.outbound.protection.outlook.com", "CY4PR21MB0629.namprd21.prod.outlook.com", true},
		{"Microsoft", "DM5PR1101MB2348.namprd11.prod.exchangelabs.com", "BN6PR00CU002.outbound.protection.outlook.com", true},
		{"Microsoft", "hotmail.com", "outlook.com", true},
		{"Amazon SES", "a22-22.smtp-out.amazonses.com", "email-smtp.us-east-1.amazonaws.com", true},
		{"Amazon SES", "inbound-smtp.eu-west-1.amazonaws.com", "a8-30.smtp-out.amazonses.com", true},
		{"Amazon SES vs EC2", "a22-22.smtp-out.amazonses.com", "ec2-54-186-198-63.us-west-2.compute.amazonaws.com", false},
		{"Mailgun", "z11.mailgun.us", "smtp-out-n02.prod.us-west-2.postgun.com", true},
		{"Mailgun", "mail26.static.mailgun.info", "mxa.mailgun.org", true},
		{"SendGrid", "wrqvtzvf.outbound-mail.sendgrid.net", "o1.ptr1234.sendgrid.com", true},
		{"Proofpoint", "mx0a-001b2d01.pphosted.com", "m0098399.ppops.net", true},
		{"Mimecast", "us-smtp-inbound-delivery-1.mimecast.com", "eu-smtp-1.mimecast-offshore.com", true},
		{"Broadcom", "mail2.bemta22.messagelabs.com", "server-2.bemta.az-b.eu-west-1.aws.symcld.net", true},
		{"Cisco", "esa2.hgst.iphmx.com", "esa1.hc3370-68.iphmx.com", true},
		{"Barracuda", "mx1.ess.barracudanetworks.com", "d1234.cudamail.com", true},
		{"Forcepoint", "cluster-a.mailcontrol.com", "forcepoint.com", true},
		{"Yahoo", "sonic318-28.consmr.mail.bf2.yahoo.com", "mta7.am0.yahoodns.net", true},
		{"Yahoo vs AOL", "sonic318-28.consmr.mail.bf2.yahoo.com", "ACC04C42.ipt.aol.com", false},
		{"Apple", "mr21p30im-asmtp003.me.com", "ms11p00im-qufo17281301.me.icloud.com", true},
		{"Zoho", "sender4-op-o12.zoho.com", "mx.zohomail.eu", true},
		{"Yandex", "forward500a.mail.yandex.net", "myt5-ee976d6a.qloud-c.yandex-team.ru", true},
		{"Alibaba", "out30-130.freemail.mail.aliyun.com", "e01l04429.eu6.aliyun-inc.com", true},
		{"Tencent", "bg4.exmail.qq.com", "smtp.foxmail.com", true},
		{"NetEase", "m16.mail.126.com", "mail.qiye.163.com", true},
		{"Fastmail", "wout5-smtp.messagingengine.com", "smtp.fastmail.com", true},
		{"Proton", "mail-40131.protonmail.ch", "mailsec.proton.me", true},
		{"United Internet", "mout.gmx.net", "mout.web.de", true},
		{"families differ", "mail-qt1-x848.google.com", "mail-eopbgr800105.outbound.protection.outlook.com", false},
		{"family vs stranger", "mx0a-001b2d01.pphosted.com", "mail.pphosted.example", false},
		{"registered domain", "mx1.example.org", "relay.a.example.org", true},
		{"registered domain, other suffix", "mail.mindspring.com", "barry.mail.mindspring.net", true},
		{"documentation domains stay apart", "mail.example.com", "relay.example.net", false},
		{"strangers", "mail.example.org", "mx.other.example", false},
		{"address literal", "[192.0.2.1]", "mail.example.org", false},
		{"empty", "", "mail.example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			if got := sameOperator(tt.a, tt.b); got != tt.same {
				t.Errorf("sameOperator(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
			}
			if got := sameOperator(tt.b, tt.a); got != tt.same {
				t.Errorf("sameOperator(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.same)
			}
		})
	}
}

func TestOperatorFamiliesTable(t *testing.T) {
	seen := map[string]string{}
	names := map[string]bool{}
	for _, f := range operatorFamilies {
		if f.name == "" || f.source == "" || len(f.domains) == 0 && len(f.patterns) == 0 {
			t.Errorf("family %q lacks a name, source or names", f.name)
		}
		if names[f.name] {
			t.Errorf("family %q listed twice", f.name)
		}
		names[f.name] = true
		for _, d := range f.domains {
			if d != strings.ToLower(d) || strings.HasPrefix(d, ".") || !strings.Contains(d, ".") {
				t.Errorf("family %q: domain %q is not a lower-case dotted name", f.name, d)
			}
			if o, ok := seen[d]; ok {
				t.Errorf("domain %q in families %q and %q", d, o, f.name)
			}
			seen[d] = f.name
		}
	}
}

func TestInternalByName(t *testing.T) {
	tests := []struct {
		by   string
		want bool
	}{
		{"2002:a05:6870:648f:b0:1d6:5e48:6ce7", true},
		{"[IPv6:2002:a5d:5287::]", true},
		{"10.36.56.134", true},
		{"vkex70", true},
		{"geopod-ismtpd-6-2", true},
		{"phl-compute-01.internal", true},
		{"EGUVENEX.EGUVEN.LOCAL", true},
		{"aa.mta1vsmtp.cc.prd.sparkpost", true},
		{"mail.example.com", false},
		{"relay.other.example", false},
		{"mx.google.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := internalByName(tt.by); got != tt.want {
			t.Errorf("internalByName(%q) = %v, want %v", tt.by, got, tt.want)
		}
	}
}

func TestIsGateway(t *testing.T) {
	for host, want := range map[string]bool{
		"mx0a-001b2d01.pphosted.com":              true,
		"us-smtp-inbound-delivery-1.mimecast.com": true,
		"mail2.bemta22.messagelabs.com":           true,
		"esa2.hgst.iphmx.com":                     true,
		"mail-qt1-x848.google.com":                false,
		"mail.example.org":                        false,
	} {
		if got := isGateway(host); got != want {
			t.Errorf("isGateway(%q) = %v, want %v", host, got, want)
		}
	}
}

// computeDomainInfo does publicsuffix.EffectiveTLDPlusOne's work from the
// same look-up that says whether the top-level domain is unlisted.
func TestComputeDomainInfoMatchesEffectiveTLDPlusOne(t *testing.T) {
	for _, h := range []string{
		"mail.example.co.uk", "example.co.uk", "co.uk", "mx0a-001b2d01.pphosted.com", "email-smtp.us-east-1.amazonaws.com",
		"ec2-1-2-3-4.compute-1.amazonaws.com", "a.b.c.googleusercontent.com", "x.herokuapp.com", "phl-compute-01.internal",
		"foo.bar.local", "com", "a.com", "mail.lfdr.de", "relay.other.example", "xn--bcher-kva.example",
	} {
		want, err := publicsuffix.EffectiveTLDPlusOne(h)
		if err != nil {
			want = ""
		}
		if got, _ := computeDomainInfo(h); got != want {
			t.Errorf("computeDomainInfo(%q) = %q, EffectiveTLDPlusOne = %q", h, got, want)
		}
	}
}
