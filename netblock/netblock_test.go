package netblock

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestSafeRDAPURL(t *testing.T) {
	tests := map[string]bool{
		"https://rdap.db.ripe.net/ip/1.2.3.4":     true,
		"https://rdap.arin.net:443/registry/ip/1": true,
		"http://rdap.db.ripe.net/ip/1.2.3.4":      false,
		"https://rdap.db.ripe.net:8443/ip/1":      false,
		"https://127.0.0.1/ip/1":                  false,
		"https://[::1]/ip/1":                      false,
		"https://10.0.0.1/ip/1":                   false,
		"https://localhost/ip/1":                  false,
		"https://rdap.localhost/ip/1":             false,
		"https://printer.local/ip/1":              false,
		"https://user:pw@rdap.arin.net/ip/1":      false,
		"https://intranet/ip/1":                   false,
		"ftp://rdap.arin.net/ip/1":                false,
		"https://2130706433/ip/1":                 false,
	}
	for raw, want := range tests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := safeRDAPURL(u); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	nb := &Netblock{
		Prefix: netip.MustParsePrefix("81.2.69.0/24"), First: netip.MustParseAddr("81.2.69.0"), Last: netip.MustParseAddr("81.2.69.255"),
		Name: "EX\"AMPLE\x00\n", Org: "Örg <b>", Country: "GB", Registry: "ripe", Source: SourceWhois,
		Parent: netip.MustParsePrefix("81.0.0.0/8"), OriginASN: 64500,
		Abuse: []Contact{{Email: "abuse@example.net", Source: SourceWhois, Handle: "AB1-RIPE", Scope: "abuse-c"}, {Email: "x@y.example", Source: SourceFallback}},
	}
	var v struct {
		Prefix, Range, Name, Org, Country, Registry, Source, Parent string
		OriginASN                                                   uint32 `json:"origin_asn"`
		Abuse                                                       []struct{ Email, Source, Handle, Scope string }
	}
	b := nb.AppendJSON([]byte("prefix-kept:"))
	if !strings.HasPrefix(string(b), "prefix-kept:{") {
		t.Fatalf("AppendJSON does not append: %q", b)
	}
	if err := json.Unmarshal(b[len("prefix-kept:"):], &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if v.Prefix != "81.2.69.0/24" || v.Range != "81.2.69.0 - 81.2.69.255" || v.Name != nb.Name || v.Org != nb.Org ||
		v.Parent != "81.0.0.0/8" || v.OriginASN != 64500 || v.Source != "whois" || len(v.Abuse) != 2 ||
		v.Abuse[0].Email != "abuse@example.net" || v.Abuse[0].Handle != "AB1-RIPE" || v.Abuse[1].Source != "fallback" {
		t.Errorf("v = %+v", v)
	}
	var nilNB *Netblock
	if err := json.Unmarshal(nilNB.AppendJSON(nil), &v); err != nil || v.Prefix != "" || len(v.Abuse) != 0 {
		t.Errorf("nil netblock: %v %+v", err, v)
	}
}

func TestRegistryAndQueries(t *testing.T) {
	for a, want := range map[string]string{"74.125.1.1": "arin", "62.239.237.1": "ripe", "1.1.1.1": "apnic", "200.57.141.161": "lacnic", "196.11.240.215": "afrinic", "10.1.1.1": "", "2a00:2381::1": "ripe"} {
		if got := Registry(netip.MustParseAddr(a)); got != want {
			t.Errorf("Registry(%s) = %q, want %q", a, got, want)
		}
	}
	srv := newWhoisServer(t, func(q string) string { return "inetnum: 81.2.69.0 - 81.2.69.255\nabuse-mailbox: a@example.net\n" })
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits()}
	if _, err := c.Lookup(t.Context(), netip.MustParseAddr("81.2.69.1")); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range c.Queries() {
		total += n
	}
	if total != 1 {
		t.Errorf("Queries() = %v, want one query", c.Queries())
	}
}

func BenchmarkParseWhoisRIPE(b *testing.B) {
	s := readSample(b, "whois/ripe_62.239.237.1.txt")
	a := netip.MustParseAddr("62.239.237.1")
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseWhois(s, a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRDAPARIN(b *testing.B) {
	body := []byte(readSample(b, "rdap/arin_74.125.225.229.json"))
	a := netip.MustParseAddr("74.125.225.229")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseRDAP(body, a); err != nil {
			b.Fatal(err)
		}
	}
}

// A cached lookup: one answer serves every address in its prefix.
func BenchmarkLookupCached(b *testing.B) {
	srv := newWhoisServer(b, func(q string) string { return "inetnum: 81.2.0.0 - 81.2.255.255\nabuse-mailbox: a@example.net\n" })
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits()}
	ctx := b.Context()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		if _, err := c.Lookup(ctx, netip.AddrFrom4([4]byte{81, 2, byte(i >> 8), byte(i)})); err != nil {
			b.Fatal(err)
		}
	}
}

func TestASNRegistry(t *testing.T) {
	tests := []struct {
		asn            uint32
		registry, base string
	}{
		{15169, "arin", "https://rdap.arin.net/registry/"},
		{2856, "ripe", "https://rdap.db.ripe.net/"},
		{4766, "apnic", "https://rdap.apnic.net/"},
		{28000, "lacnic", "https://rdap.lacnic.net/rdap/"},
		{37100, "afrinic", "https://rdap.afrinic.net/rdap/"},
		{64500, "", ""}, // documentation (RFC 5398)
		{4294967295, "", ""},
	}
	for _, tt := range tests {
		reg, base := ASNRegistry(tt.asn)
		if reg != tt.registry || base != tt.base {
			t.Errorf("AS%d: %q %q, want %q %q", tt.asn, reg, base, tt.registry, tt.base)
		}
	}
}
