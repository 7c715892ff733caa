package auth

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
)

func TestParseResults(t *testing.T) {
	tests := []struct {
		in      string
		arc     bool
		id      string
		inst    int
		methods []Method
		err     string
	}{
		{
			in: `mx.google.com;
       dkim=pass header.i=@example.com header.s=s1 header.b=abcd;
       spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com`,
			id: "mx.google.com",
			methods: []Method{
				{Name: "dkim", Result: "pass", Properties: map[string]string{"header.i": "@example.com", "header.s": "s1", "header.b": "abcd"}},
				{Name: "spf", Result: "pass", Properties: map[string]string{"smtp.mailfrom": "a@example.com"}, Comments: []string{"google.com: domain of a@example.com designates 192.0.2.1 as permitted sender"}},
				{Name: "dmarc", Result: "pass", Properties: map[string]string{"header.from": "example.com"}, Comments: []string{"p=REJECT sp=REJECT dis=NONE"}},
			},
		},
		{
			in: `spf=pass (sender IP is 192.0.2.7) smtp.mailfrom=example.com; dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass reason=100`,
			methods: []Method{
				{Name: "spf", Result: "pass", Properties: map[string]string{"smtp.mailfrom": "example.com"}, Comments: []string{"sender IP is 192.0.2.7"}},
				{Name: "dkim", Result: "pass", Properties: map[string]string{"header.d": "example.com"}, Comments: []string{"signature was verified"}},
				{Name: "dmarc", Result: "pass", Properties: map[string]string{"action": "none", "header.from": "example.com"}},
				{Name: "compauth", Result: "pass", Reason: "100"},
			},
		},
		{in: `i=2; lists.example.org; arc=pass (i=1 spf=pass)`, arc: true, id: "lists.example.org", inst: 2,
			methods: []Method{{Name: "arc", Result: "pass", Comments: []string{"i=1 spf=pass"}}}},
		{in: `mx.example.net 1; none`, id: "mx.example.net"},
		{in: `mx.example.net; spf=3Dnone smtp.mailfrom=x`, id: "mx.example.net",
			methods: []Method{{Name: "spf", Result: "3dnone", Properties: map[string]string{"smtp.mailfrom": "x"}}},
			err:     `auth: spf has result "3dnone", not a registered result`},
		{in: `mx.example.net; dkim=pass (unterminated`, id: "mx.example.net", err: "auth: unterminated comment",
			methods: []Method{{Name: "dkim", Result: "pass"}}},
		{in: `mx.example.net; dkim`, id: "mx.example.net", err: `auth: method "dkim" has no result`},
		{in: `x; y`, arc: true, err: `auth: ARC field does not start with i=: "x"`, id: "y"},
	}
	for _, tt := range tests {
		p := ParseResults(tt.in, tt.arc)
		if p.AuthservID != tt.id || p.Instance != tt.inst {
			t.Errorf("%q: id %q inst %d, want %q %d", tt.in, p.AuthservID, p.Instance, tt.id, tt.inst)
		}
		if !reflect.DeepEqual(p.Methods, tt.methods) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.in, p.Methods, tt.methods)
		}
		if got := errString(p.Err); got != tt.err {
			t.Errorf("%q: error %q, want %q", tt.in, got, tt.err)
		}
	}
}

// TestResultsAgreeWithAuthres checks our parser against go-msgauth's on the
// RFC 8601 examples it reads: the same authserv-id and the same
// method=result pairs.
func TestResultsAgreeWithAuthres(t *testing.T) {
	for _, in := range []string{
		"example.org 1; none",
		"example.com; spf=pass smtp.mailfrom=example.net",
		"example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net",
		"example.com; sender-id=fail header.from=example.com; dkim=pass (good signature) header.d=example.com",
		"mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com header.b=oINEO8hg; dkim=fail (bad signature) header.d=newyork.example.com header.b=EToRSuvU",
		"example.com; iprev=pass policy.iprev=192.0.2.200",
	} {
		id, rs, err := authres.Parse(in)
		if err != nil {
			t.Fatalf("authres on %q: %v", in, err)
		}
		p := ParseResults(in, false)
		if p.Err != nil || p.AuthservID != id || len(p.Methods) != len(rs) {
			t.Errorf("%q: ours %q %d methods %v, authres %q %d", in, p.AuthservID, len(p.Methods), p.Err, id, len(rs))
			continue
		}
		for i, r := range rs {
			var v authres.ResultValue
			switch r := r.(type) {
			case *authres.SPFResult:
				v = r.Value
			case *authres.DKIMResult:
				v = r.Value
			case *authres.AuthResult:
				v = r.Value
			case *authres.SenderIDResult:
				v = r.Value
			case *authres.IPRevResult:
				v = r.Value
			}
			if string(v) != p.Methods[i].Result {
				t.Errorf("%q method %d: ours %s=%s, authres %s", in, i, p.Methods[i].Name, p.Methods[i].Result, v)
			}
		}
	}
}

func TestParseReceivedSPF(t *testing.T) {
	r := ParseReceivedSPF(`Pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from="myname@example.com"; helo=foo.example.com;`)
	want := ReceivedSPF{Result: "pass", Comment: "mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender",
		ClientIP: netip.MustParseAddr("192.0.2.1"), ClientIPText: "192.0.2.1", HELO: "foo.example.com", EnvelopeFrom: "myname@example.com",
		Receiver: "mybox.example.org"}
	r.Raw = ""
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	r = ParseReceivedSPF(`None (protection.outlook.com: example.com does not designate permitted sender hosts)`)
	if r.Result != "none" || r.Receiver != "protection.outlook.com" || r.Err != nil {
		t.Errorf("outlook: %+v", r)
	}
	r = ParseReceivedSPF(`maybe (x) client-ip=300.1.1.1`)
	if got := errString(r.Err); got != `auth: Received-SPF result "maybe" is not an RFC 7208 result` {
		t.Errorf("bad result: %q", got)
	}
}

func TestParseDKIMSignature(t *testing.T) {
	d := ParseDKIMSignature("v=1; a=rsa-sha256; c=relaxed/relaxed; d=Example.COM; s=s1;\r\n t=1700000000; x=1700086400; l=120; h=From : To:\r\n\tSubject; bh=ab cd=; b=xyz")
	if d.Domain != "example.com" || d.Selector != "s1" || d.BodyLength != 120 || d.BodyHash != "abcd=" ||
		!reflect.DeepEqual(d.Headers, []string{"from", "to", "subject"}) || d.Timestamp.Unix() != 1700000000 ||
		d.Expiration.Unix() != 1700086400 || d.Err != nil || d.Verify != "none" {
		t.Errorf("got %+v", d)
	}
	d = ParseDKIMSignature("v=1; a=rsa-sha256; d=a; d=b")
	if got := errString(d.Err); got != `auth: duplicate tag "d"` {
		t.Errorf("duplicate: %q", got)
	}
	d = ParseDKIMSignature("v=1; a=rsa-sha256; d=a.example; s=x; h=from; bh=x")
	if got := errString(d.Err); got != "auth: DKIM signature lacks the required b= tag" {
		t.Errorf("missing b: %q", got)
	}
}

func TestDecodeVendor(t *testing.T) {
	vs := decodeVendor(nil, fieldIndex("X-Forefront-Antispam-Report"), "X-Forefront-Antispam-Report", "CIP:2001:db8::1;CTRY:US;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;H:mail.example.com;PTR:;CAT:PHSH;SFTY:9.25;SFS:(1)(2);DIR:INB;")
	var got []string
	for _, v := range vs {
		got = append(got, v.Name+"="+v.Value+"="+v.Meaning)
	}
	want := []string{
		"CIP=2001:db8::1=connecting IP address", "CTRY=US=country of the connecting IP address",
		"LANG=en=language of the message", "SCL=5=spam", "IPV=NLI=source IP not on any IP reputation list",
		"SFV=SPM=spam", "H=mail.example.com=HELO or EHLO name of the connecting server",
		"CAT=PHSH=phishing", "SFTY=9.25=first contact safety tip", "DIR=INB=inbound",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("forefront:\n got %q\nwant %q", got, want)
	}
	for _, c := range []struct{ name, v, want string }{
		{"X-Microsoft-Antispam", "BCL:7;ARA:1", "BCL=7=bulk sender with a mixed number of complaints"},
		{"X-MS-Exchange-Organization-SCL", "-1", "SCL=-1=not spam: filtering skipped (safe sender, allow rule or internal)"},
		{"X-Spam-Status", "Yes, score=3.5 required=3.0 tests=A,B", "status=Yes=spam;score=3.5=at or above the threshold 3.0: spam"},
		{"X-Spam-Flag", "NO", "flag=NO=not spam"},
		{"X-Spamd-Result", "default: False [0.80 / 15.00]; R_SPF_ALLOW(-0.20)[+ip4:192.0.2.0/24]", "status=False=not spam;score=0.80=below the threshold 15.00: not spam"},
	} {
		var parts []string
		for _, v := range decodeVendor(nil, fieldIndex(c.name), c.name, c.v) {
			parts = append(parts, v.Name+"="+v.Value+"="+v.Meaning)
		}
		if got := strings.Join(parts, ";"); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.name, c.v, got, c.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"a@example.com":                         "a@example.com",
		"Alice <a@example.com>":                 "a@example.com",
		`"Bank, Security" <s@bank.example>`:     "s@bank.example",
		`"evil <ceo@bank.example>" <x@spam.ex>`: "x@spam.ex",
		"<>":                                    "",
		"a@example.com (Alice)":                 "a@example.com",
		"undisclosed":                           "undisclosed",
	} {
		if got := address(in); got != want {
			t.Errorf("address(%q) = %q, want %q", in, got, want)
		}
	}
	if got := addressList("a@x.example, B <b@y.example>"); !reflect.DeepEqual(got, []string{"a@x.example", "b@y.example"}) {
		t.Errorf("addressList = %q", got)
	}
}

func TestOrgDomains(t *testing.T) {
	for in, want := range map[string][2]string{
		"mail.freedesktop.org": {"mail.freedesktop.org", "freedesktop.org"},
		"MX.Google.COM.":       {"google.com", "google.com"},
		"a.b.example.co.uk":    {"example.co.uk", "example.co.uk"},
		"user.github.io":       {"user.github.io", "github.io"},
		"x.bücher.example":     {"xn--bcher-kva.example", "xn--bcher-kva.example"},
		"localhost":            {"localhost", "localhost"},
	} {
		if got := [2]string{orgDomain(in), attribOrg(in)}; got != want {
			t.Errorf("%q: org %q attribution org %q, want %q", in, got[0], got[1], want)
		}
	}
}

func TestResultsCap(t *testing.T) {
	p := ParseResults("mx.example; "+strings.Repeat("spf=pass; ", 10000), false)
	if len(p.Methods) != maxMethods || errString(p.Err) != "auth: more than 64 results in one field; the rest were not read" {
		t.Errorf("%d methods, %v", len(p.Methods), p.Err)
	}
}

func TestTagsCap(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, "t%d=x;", i)
	}
	tags, err := ParseTags(b.String())
	if len(tags) != maxTags || errString(err) != "auth: more than 64 tags; the rest were not read" {
		t.Errorf("%d tags, %v", len(tags), err)
	}
}
