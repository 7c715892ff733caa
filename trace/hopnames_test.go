package trace

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

func TestContainsFetcher(t *testing.T) {
	for _, s := range []string{
		"", "fetchmail", "FETCHMAIL-6.4.0", "by localhost with POP3 (fetchmail-5.9.0)", "getmail_maildir",
		"GetMail 4.3", "fetch mail", "getmai", "etmail", "mmmmail", "xgetmailx", "fetchmai", "mail", "Fetchmail",
		"gEtMaIl", "ffetchmail", "get\u212aail", "ESMTP", "8.11.6/8.11.6",
		"xxxxxxxxxxxxxxxxgetmail", "MMMMMMMMMMMMMMMMFETCHMAIL", "mail mail mail mail getmai", "(qmail 1234 invoked by uid 0); getmail",
	} {
		want := ascii.ContainsFold(s, "fetchmail") || ascii.ContainsFold(s, "getmail")
		if got := containsFetcher(s); got != want {
			t.Errorf("containsFetcher(%q) = %v, want %v", s, got, want)
		}
		want = ascii.ContainsFold(s, "pop3") || ascii.ContainsFold(s, "imap")
		if got := containsPOPOrIMAP(s); got != want {
			t.Errorf("containsPOPOrIMAP(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"POP3", "with pop3", "IMAP", "imaps", "pop", "ima", "xxIMAp", "p0p3"} {
		want := ascii.ContainsFold(s, "pop3") || ascii.ContainsFold(s, "imap")
		if got := containsPOPOrIMAP(s); got != want {
			t.Errorf("containsPOPOrIMAP(%q) = %v, want %v", s, got, want)
		}
	}
}

// specialNameRef is specialName as it was first written: every table entry
// in turn.
func specialNameRef(a netip.Addr) (string, bool) {
	a = a.Unmap().WithZone("")
	for _, n := range impossibleNets {
		if n.p.Contains(a) {
			return n.name, true
		}
	}
	for _, n := range internalNets {
		if n.p.Contains(a) {
			return n.name, false
		}
	}
	return "", false
}

func TestSpecialName(t *testing.T) {
	var addrs []netip.Addr
	for o := range 256 {
		for _, rest := range [][3]byte{{0, 0, 0}, {0, 2, 1}, {51, 100, 7}, {64, 0, 1}, {128, 0, 0}, {168, 1, 1}, {254, 3, 4}, {255, 255, 255}, {16, 0, 1}, {18, 0, 1}, {19, 255, 1}, {0, 113, 9}} {
			addrs = append(addrs, netip.AddrFrom4([4]byte{byte(o), rest[0], rest[1], rest[2]}))
		}
	}
	for _, s := range []string{"::", "::1", "::ffff:10.1.2.3", "::ffff:8.8.8.8", "100::1", "2001:db8::1", "3fff::1", "ff02::1", "fc00::1", "fd12::1", "fe80::1%eth0", "2a00:1450::1"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	addrs = append(addrs, netip.Addr{})
	for _, a := range addrs {
		name, imp := specialName(a)
		wname, wimp := specialNameRef(a)
		if name != wname || imp != wimp {
			t.Errorf("specialName(%v) = %q, %v; want %q, %v", a, name, imp, wname, wimp)
		}
		if got, want := isInternal(a), wname != "" && !wimp; got != want {
			t.Errorf("isInternal(%v) = %v, want %v", a, got, want)
		}
	}
}

func TestNormName(t *testing.T) {
	ref := func(s string) string { return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ".")) }
	for _, s := range []string{"", " ", ".", "Mail.Example.COM.", " mx.example.org ", "\tx.", "a\u00a0", "\u00a0a", "x..", "é.example", "localhost"} {
		if got := normName(s); got != ref(s) {
			t.Errorf("normName(%q) = %q, want %q", s, got, ref(s))
		}
		var n hostName
		n.set(s)
		if n.norm != normName(s) || n.strip != normName(stripBrackets(s)) {
			t.Errorf("hostName.set(%q): norm %q, strip %q", s, n.norm, n.strip)
		}
		if n.plain && (normName(n.norm) != n.norm || stripBrackets(s) != s) {
			t.Errorf("hostName.set(%q) is plain but its forms differ", s)
		}
		if n.info() != domainInfo(s) || n.infoOf(n.strip) != domainInfo(n.strip) || n.infoOf(n.norm) != domainInfo(n.norm) {
			t.Errorf("hostName(%q): entries differ from domainInfo", s)
		}
	}
}

func TestIsDynamicWord(t *testing.T) {
	for _, w := range dynamicWords {
		if !isDynamicWord(w) && !strings.Contains(w, "-") {
			t.Errorf("isDynamicWord(%q) = false", w)
		}
	}
	for _, w := range []string{"", "pp", "dsla", "mail", "broadbands", "customers"} {
		if isDynamicWord(w) {
			t.Errorf("isDynamicWord(%q) = true", w)
		}
	}
}

// TestConfigBetweenTraces: a Tracer's host lists may change between
// traces, by a new slice or by writing into the old one.
func TestConfigBetweenTraces(t *testing.T) {
	hops := []received.Hop{
		mustHop(t, "from mail.example.com (mail.example.com [81.2.69.20]) by mx.example.org; Mon, 1 Jul 2024 10:00:00 +0000"),
		mustHop(t, "from [192.0.2.9] by mail.example.com; Mon, 1 Jul 2024 09:59:00 +0000"),
	}
	tc := Tracer{Now: func() time.Time { return time.Date(2024, 7, 1, 11, 0, 0, 0, time.UTC) }}
	origin := func() int { return tc.TraceHops(hops).Origin.Hop }
	if o := origin(); o != 0 {
		t.Fatalf("no trusted hosts: origin hop %d, want 0", o)
	}
	tc.TrustedHosts = []string{"Example.NET"}
	if o := origin(); o != 0 {
		t.Fatalf("example.net trusted: origin hop %d, want 0", o)
	}
	tc.TrustedHosts[0] = "EXAMPLE.com." // written into the same slice
	if o := origin(); o != 1 {
		t.Fatalf("example.com trusted in place: origin hop %d, want 1", o)
	}
	tc.TrustedHosts = []string{"example.net"} // a new slice
	if o := origin(); o != 0 {
		t.Fatalf("example.net trusted again: origin hop %d, want 0", o)
	}
	tc.TrustedHosts = nil
	if o := origin(); o != 0 {
		t.Fatalf("none trusted: origin hop %d, want 0", o)
	}
}

func mustHop(t *testing.T, s string) received.Hop {
	t.Helper()
	h, err := received.Parse(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return h
}

// encodesIPRef is encodesIP as it was first written.
func encodesIPRef(host string, ip netip.Addr) bool {
	b := ip.As4()
	var arr [32]int
	nums := arr[:0]
	n, digits := 0, 0
	flush := func() {
		if len(nums)+4 > cap(nums) {
			return
		}
		if digits > 0 && digits <= 3 {
			nums = append(nums, n)
		} else if digits == 12 {
			// 001002003004
			nums = append(nums, n/1e9, n/1e6%1000, n/1e3%1000, n%1000)
		}
		n, digits = 0, 0
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= '0' && c <= '9' {
			if digits < 12 {
				n = n*10 + int(c-'0')
			}
			digits++
			continue
		}
		flush()
	}
	flush()
	match := func(order [4]int) bool {
		for s := 0; s+4 <= len(nums); s++ {
			if nums[s] == order[0] && nums[s+1] == order[1] && nums[s+2] == order[2] && nums[s+3] == order[3] {
				return true
			}
		}
		return false
	}
	fwd := [4]int{int(b[0]), int(b[1]), int(b[2]), int(b[3])}
	rev := [4]int{int(b[3]), int(b[2]), int(b[1]), int(b[0])}
	if match(fwd) || match(rev) {
		return true
	}
	var hex [8]byte
	const digitsHex = "0123456789abcdef"
	for i, x := range b {
		hex[2*i], hex[2*i+1] = digitsHex[x>>4], digitsHex[x&0xf]
	}
	return strings.Contains(host, string(hex[:]))
}

func TestEncodesIPAsBefore(t *testing.T) {
	ip := netip.MustParseAddr("81.2.69.20")
	for _, h := range []string{
		"", "81-2-69-20.dsl.example", "20.69.2.81.in-addr.example", "host081002069020.example", "51024514.example",
		"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28.29.30.81.2.69.20",
		"81.2.69.20", "x81y2z69w20", "8120269020", "a1234567890123b81.2.69.20", "mail.example.com", "ppp-81.2.69",
	} {
		if got, want := encodesIP(h, ip), encodesIPRef(h, ip); got != want {
			t.Errorf("encodesIP(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestSixToFourOf(t *testing.T) {
	for _, tt := range []struct {
		v6, v4 string
		want   bool
	}{
		{"2002:f78:1192::f78:1192", "15.120.17.146", true},
		{"2002:f78:1192::1", "::ffff:15.120.17.146", true},
		{"2002:f78:1193::f78:1193", "15.120.17.146", false},
		{"2001:f78:1192::f78:1192", "15.120.17.146", false},
		{"::ffff:15.120.17.146", "15.120.17.146", false},
		{"2002:f78:1192::", "2002:f78:1192::", false},
	} {
		if got := sixToFourOf(netip.MustParseAddr(tt.v6), netip.MustParseAddr(tt.v4)); got != tt.want {
			t.Errorf("sixToFourOf(%s, %s) = %v", tt.v6, tt.v4, got)
		}
	}
}

func TestTrimBrackets(t *testing.T) {
	for _, s := range []string{"", "[", "]", "[]", "][", "[192.0.2.1]", "[[x]]", "]x[", "x", "[x", "x]", "[ x ]", "a[b]c", "[[[]]]"} {
		if got, want := trimBrackets(s), strings.Trim(s, "[]"); got != want {
			t.Errorf("trimBrackets(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestCheckIPName pins which host names are reported as IP addresses in
// an encoded form or with an octet over 255, brackets and all.
func TestCheckIPName(t *testing.T) {
	tests := []struct {
		name string
		rule string // "" for no finding
	}{
		{"3735928559", "encoded-ip-name"},
		{"[3735928559]", "encoded-ip-name"},
		{"[[3735928559]]", "encoded-ip-name"},
		{"0xdeadbeef", "encoded-ip-name"},
		{"0337.0255.0276.0357", "encoded-ip-name"},
		{"999.1.1.1", "invalid-ip-name"},
		{"[999.1.1.1]", "invalid-ip-name"},
		{"192.0.2.1", ""},
		{"127.1", ""}, // the short form is left to the address checks
		{"mail.example.com", ""},
		{"deadbeef", ""},
		{"IPv6:2001:db8::1", ""},
		{"[IPv6:2001:db8::1]", ""},
		{"::ffff:192.0.2.1", ""},
		{"[1abc", ""},
		{"", ""},
	}
	for _, tt := range tests {
		h := &Hop{Index: 2}
		var got []Finding
		checkIPName(h, "HELO", tt.name, func(f Finding) { got = append(got, f) })
		switch {
		case tt.rule == "" && len(got) != 0:
			t.Errorf("%q: %+v, want no finding", tt.name, got)
		case tt.rule != "" && (len(got) != 1 || got[0].Rule != tt.rule || got[0].Hop != 2 || got[0].Evidence != tt.name):
			t.Errorf("%q: %+v, want one %s", tt.name, got, tt.rule)
		}
	}
}
