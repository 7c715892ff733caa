package netblock

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var htmlTag = regexp.MustCompile(`<[^>]*>`)

func readSample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.HasSuffix(name, ".html") {
		// The JPNIC and KRNIC samples come from web gateways; port 43
		// answers carry the same text without the markup.
		s = htmlTag.ReplaceAllString(s, "")
	}
	return s
}

// Recorded answers from every registry: the registered abuse contact must
// come first and the prefix must be the most specific holding the address.
func TestParseWhoisRecorded(t *testing.T) {
	tests := []struct {
		file, addr, prefix, first, registryText string
		firstSource                             Source
		parent                                  string
	}{
		{"whois/arin_74.125.225.229.txt", "74.125.225.229", "74.125.0.0/16", "arin-contact@google.com", "GOOGLE", SourceWhois, ""},
		{"whois/arin_2001-4860-4860--8888.txt", "2001:4860:4860::8888", "2001:4860::/32", "arin-contact@google.com", "GOOGLE-IPV6", SourceWhois, ""},
		{"whois/gowhois_arin.txt", "20.1.2.3", "20.0.0.0/11", "abuse@microsoft.com", "MSFT", SourceWhois, ""},
		{"whois/ripe_62.239.237.1.txt", "62.239.237.1", "62.239.237.0/24", "protect@bt.com", "BT-CORPORATE", SourceWhois, ""},
		{"whois/ripe_2a00-2381-ffff--1.txt", "2a00:2381:ffff::1", "2a00:2381:ffff::/64", "protect@bt.com", "BT-WORLD-IPVSIX-LAUNCH", SourceWhois, ""},
		{"whois/gowhois_ripe.txt", "80.20.134.7", "80.20.134.0/24", "abuse@business.telecomitalia.it", "INTERBUSINESS", SourceWhois, ""},
		{"whois/apnic_210.107.73.73.txt", "210.107.73.73", "210.107.0.0/17", "hostmaster@nic.or.kr", "BORANET-NET-210-107", SourceWhois, ""},
		{"whois/gowhois_apnic.txt", "110.9.1.1", "110.8.0.0/13", "irt@nic.or.kr", "broadNnet", SourceWhois, ""},
		{"whois/apnic_2001-240-10c-1--ca20-9d1d.txt", "2001:240:10c:1::ca20:9d1d", "2001:240:10c::/48", "hostmaster@nic.ad.jp", "IIJ-PRJNET", SourceWhois, "2001:240::/32"},
		{"whois/lacnic_200.57.141.161.txt", "200.57.141.161", "200.57.128.0/19", "operacion.redes@TRIARA.COM", "", SourceWhois, ""},
		{"whois/lacnic_2801-10-c000--.txt", "2801:10:c000::", "2801:10:c000::/48", "sistemas.red@UCO.EDU.CO", "", SourceWhois, ""},
		{"whois/gowhois_lacnic.txt", "200.68.34.60", "200.68.34.56/29", "oper@isp.tie.cl", "", SourceWhois, ""},
		{"whois/afrinic_196.11.240.215.txt", "196.11.240.215", "196.11.240.0/22", "abuse@mtnbusiness.co.za", "NET-196-11-239-0", SourceRemarks, ""},
		{"whois/jpnic_133.1.2.5.html", "133.1.2.5", "133.1.0.0/16", "", "OSAKAU-NET", "", ""},
		{"whois/krnic_115.1.2.3.html", "115.1.2.3", "115.1.2.0/26", "kornet_ip@kt.com", "", SourceWhois, "115.0.0.0/12"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			res, err := parseWhois(readSample(t, tt.file), addr)
			if err != nil {
				t.Fatal(err)
			}
			nb := res.nb
			if nb == nil {
				t.Fatal("no network")
			}
			if nb.Prefix.String() != tt.prefix {
				t.Errorf("prefix = %v, want %s", nb.Prefix, tt.prefix)
			}
			if !nb.Contains(addr) {
				t.Errorf("range %v-%v does not hold %v", nb.First, nb.Last, addr)
			}
			if tt.registryText != "" && nb.Name != tt.registryText {
				t.Errorf("name = %q, want %q", nb.Name, tt.registryText)
			}
			if tt.file == "whois/apnic_210.107.73.73.txt" && nb.ParentRange != "210.106.224.0 - 210.107.127.255" {
				t.Errorf("parent range = %q", nb.ParentRange)
			}
			if tt.parent != "" && nb.Parent.String() != tt.parent {
				t.Errorf("parent = %v, want %s", nb.Parent, tt.parent)
			}
			if tt.first == "" {
				if hasRegistered(nb.Abuse) {
					t.Errorf("abuse = %v, want no registered contact", nb.Abuse)
				}
				return
			}
			if len(nb.Abuse) == 0 || nb.Abuse[0].Email != tt.first || nb.Abuse[0].Source != tt.firstSource {
				t.Errorf("abuse = %v, want %s (%s) first", nb.Abuse, tt.first, tt.firstSource)
			}
		})
	}
}

func TestParseWhoisNoAbuseRegistered(t *testing.T) {
	res, err := parseWhois(readSample(t, "whois/afrinic_196.11.240.215.txt"), netip.MustParseAddr("196.11.240.215"))
	if err != nil || !res.noAbuse {
		t.Fatalf("noAbuse = %v, err = %v", res.noAbuse, err)
	}
	if hasRegistered(res.nb.Abuse) {
		t.Errorf("a remarks address was taken for a registered contact: %v", res.nb.Abuse)
	}
}

func TestParseWhoisResults(t *testing.T) {
	a := netip.MustParseAddr("81.2.69.1")
	tests := []struct {
		answer string
		err    error
		ref    string
	}{
		{"", ErrEmptyAnswer, ""},
		{"   \r\n\r\n", ErrEmptyAnswer, ""},
		{"%ERROR:201: access denied for 81.2.69.1\n% Query rate limit exceeded\n", ErrRateLimited, ""},
		{"Query rate limit exceeded. Try again later.\n", ErrRateLimited, ""},
		{"% No entries found for the selected source(s).\n", ErrNotFound, ""},
		{"inetnum:        81.2.69.0 - 81.2.", ErrTruncated, ""},
		{"refer:        whois.ripe.net\n\ninetnum:      81.0.0.0 - 81.255.255.255\n", nil, "whois.ripe.net"},
	}
	for _, tt := range tests {
		res, err := parseWhois(tt.answer, a)
		if err != tt.err {
			t.Errorf("%q: err = %v, want %v", tt.answer, err, tt.err)
		}
		if res.referral != tt.ref {
			t.Errorf("%q: referral = %q, want %q", tt.answer, res.referral, tt.ref)
		}
		if tt.err != nil && res.nb != nil {
			t.Errorf("%q: a network with an error", tt.answer)
		}
	}
}

func TestParseRDAPRecorded(t *testing.T) {
	tests := []struct {
		file, addr, prefix, first, registry string
	}{
		{"rdap/arin_74.125.225.229.json", "74.125.225.229", "74.125.0.0/16", "arin-contact@google.com", "arin"},
		{"rdap/arin_2001-4860-4860--8888.json", "2001:4860:4860::8888", "2001:4860::/32", "arin-contact@google.com", "arin"},
		{"rdap/data_rdap_response_ip_v6.json", "2001:4860::1", "2001:4860::/32", "network-abuse@google.com", "arin"},
		{"rdap/data_rdap_response_ip_v4_3.json", "13.64.1.1", "13.64.0.0/11", "abuse@microsoft.com", "arin"},
		{"rdap/ripe_62.239.237.1.json", "62.239.237.1", "62.239.237.0/24", "zzdnsr@bt.com", "ripe"},
		{"rdap/ripe_2a00-2381-ffff--1.json", "2a00:2381:ffff::1", "2a00:2381:ffff::/64", "zzdnsr@bt.com", "ripe"},
		{"rdap/data_rdap_response_ip_v4_2.json", "130.59.1.1", "130.59.0.0/16", "abuse@switch.ch", "ripe"},
		{"rdap/apnic_210.107.73.73.json", "210.107.73.73", "210.107.0.0/17", "hostmaster@nic.or.kr", "apnic"},
		{"rdap/data_rdap_response_ip_v4.json", "1.1.1.1", "1.1.1.0/24", "helpdesk@apnic.net", "apnic"},
		{"rdap/lacnic_200.57.141.161.json", "200.57.141.161", "200.57.141.161/32", "operacion.redes@TRIARA.COM", "lacnic"},
		{"rdap/lacnic_2801-10-c000--.json", "2801:10:c000::", "2801:10:c000::/128", "sistemas.red@UCO.EDU.CO", "lacnic"},
		{"rdap/afrinic_196.11.240.215.json", "196.11.240.215", "196.11.240.0/22", "", "afrinic"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			res, err := parseRDAP([]byte(readSample(t, tt.file)), addr)
			if err != nil {
				t.Fatal(err)
			}
			nb := res.nb
			if nb.Prefix.String() != tt.prefix || !nb.Prefix.Contains(addr) {
				t.Errorf("prefix = %v, want %s", nb.Prefix, tt.prefix)
			}
			if nb.Registry != tt.registry {
				t.Errorf("registry = %q, want %q", nb.Registry, tt.registry)
			}
			switch {
			case tt.first == "" && len(nb.Abuse) > 0:
				t.Errorf("abuse = %v, want none", nb.Abuse)
			case tt.first != "" && (len(nb.Abuse) == 0 || nb.Abuse[0].Email != tt.first || nb.Abuse[0].Source != SourceRDAP):
				t.Errorf("abuse = %v, want %s first", nb.Abuse, tt.first)
			}
		})
	}
}

func TestParseRDAPQuirks(t *testing.T) {
	// ARIN's zero-padded start, a /len suffix on the start, roles joined
	// into one string, an abuse entity with no e-mail.
	body := `{"objectClassName":"ip network","startAddress":"081.002.069.000/32","endAddress":"081.002.069.255",
	"name":"EXAMPLE","port43":"whois.ripe.net","entities":[
	  {"handle":"ORG-1","roles":["registrant"],"vcardArray":["vcard",[["fn",{},"text","Example Org"]]],
	   "entities":[{"handle":"AB-1","roles":["technical, abuse"],"vcardArray":["vcard",[["email",{},"text","abuse@example.net"]]]}]},
	  {"handle":"AB-2","roles":["abuse"],"links":[{"rel":"self","href":"https://rdap.db.ripe.net/entity/AB-2"}]}]}`
	res, err := parseRDAP([]byte(body), netip.MustParseAddr("81.2.69.7"))
	if err != nil {
		t.Fatal(err)
	}
	nb := res.nb
	if nb.Prefix.String() != "81.2.69.0/24" || nb.Org != "Example Org" || nb.Registry != "ripe" {
		t.Errorf("nb = %+v", nb)
	}
	if len(nb.Abuse) != 1 || nb.Abuse[0].Email != "abuse@example.net" || nb.Abuse[0].Handle != "AB-1" {
		t.Errorf("abuse = %v", nb.Abuse)
	}
	if len(res.needEntity) != 1 || res.needEntity[0] != "https://rdap.db.ripe.net/entity/AB-2" {
		t.Errorf("needEntity = %v", res.needEntity)
	}
}

func TestNormWhoisTarget(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"whois.ripe.net", "whois.ripe.net", true},
		{"whois://whois.ripe.net", "whois.ripe.net", true},
		{"whois://whois.apnic.net:43", "whois.apnic.net", true},
		{"WHOIS.LACNIC.NET.", "whois.lacnic.net", true},
		{"rwhois://rwhois.example.net:4321", "", false},
		{"whois://127.0.0.1:43", "", false},
		{"whois://localhost", "", false},
		{"whois.example.com", "", false},
		{"whois://whois.ripe.net:4343", "", false},
		{"http://whois.ripe.net", "", false},
	}
	for _, tt := range tests {
		got, ok := normWhoisTarget(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normWhoisTarget(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFallbackContacts(t *testing.T) {
	got := FallbackContacts("mail-wr1-f54.google.com.")
	if len(got) != 2 || got[0].Email != "abuse@google.com" || got[1].Email != "postmaster@google.com" || got[0].Source != SourceFallback {
		t.Errorf("got %v", got)
	}
	if got := FallbackContacts("host.example.co.uk"); len(got) != 2 || got[0].Email != "abuse@example.co.uk" {
		t.Errorf("co.uk: %v", got)
	}
	for _, bad := range []string{"", "localhost", "co.uk"} {
		if got := FallbackContacts(bad); got != nil {
			t.Errorf("FallbackContacts(%q) = %v", bad, got)
		}
	}
}

func FuzzParseWhois(f *testing.F) {
	for _, name := range []string{"whois/arin_74.125.225.229.txt", "whois/ripe_62.239.237.1.txt", "whois/lacnic_200.57.141.161.txt", "whois/apnic_210.107.73.73.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "81.2.69.1")
	}
	f.Fuzz(func(t *testing.T, answer, addr string) {
		a, _ := netip.ParseAddr(addr)
		res, err := parseWhois(answer, a)
		if err == nil && res.nb != nil {
			if res.nb.First.IsValid() != res.nb.Last.IsValid() {
				t.Fatal("half a range")
			}
			for _, c := range res.nb.Abuse {
				if c.Email == "" || !strings.Contains(c.Email, "@") {
					t.Fatalf("bad contact %q", c.Email)
				}
			}
		}
	})
}

func FuzzParseRDAP(f *testing.F) {
	for _, name := range []string{"rdap/arin_74.125.225.229.json", "rdap/ripe_62.239.237.1.json", "rdap/lacnic_200.57.141.161.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "81.2.69.1")
	}
	f.Fuzz(func(t *testing.T, body []byte, addr string) {
		a, _ := netip.ParseAddr(addr)
		res, err := parseRDAP(body, a)
		if err == nil && (res.nb == nil || !res.nb.First.IsValid()) {
			t.Fatal("no range without an error")
		}
	})
}

func TestParseRDAPAbuseOrder(t *testing.T) {
	// An abuse entity nested under the registrant comes after the
	// network's own; inside one entity, an e-mail typed "abuse" (RIPE's
	// abuse-mailbox) or pref=1 comes before the role's plain e-mail.
	body := `{"objectClassName":"ip network","startAddress":"81.2.69.0","endAddress":"81.2.69.255","port43":"whois.ripe.net","entities":[
	  {"handle":"ORG-1","roles":["registrant"],"entities":[{"handle":"NESTED","roles":["abuse"],"vcardArray":["vcard",[["email",{},"text","nested@example.net"]]]}]},
	  {"handle":"AR-1","roles":["abuse"],"vcardArray":["vcard",[["email",{},"text","role@example.net"],["email",{"type":"abuse"},"text","mailbox@example.net"],["email",{"pref":"1"},"text","pref@example.net"]]]}]}`
	res, err := parseRDAP([]byte(body), netip.MustParseAddr("81.2.69.1"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.nb.Abuse {
		got = append(got, c.Handle+":"+c.Email)
	}
	want := "AR-1:mailbox@example.net AR-1:pref@example.net AR-1:role@example.net NESTED:nested@example.net"
	if strings.Join(got, " ") != want {
		t.Errorf("abuse = %v\nwant   %s", got, want)
	}
}

// A hostile answer at the size cap repeating references must not make the
// parse quadratic (a repeated abuse-c once took 23 s at 1 MB; now ~20 ms).
func TestParseWhoisHostileLinear(t *testing.T) {
	a := netip.MustParseAddr("81.2.69.1")
	for name, in := range map[string]string{
		"inetnum+abuse-c": strings.Repeat("inetnum: 81.2.69.0 - 81.2.69.255\nabuse-c: AB1\n", 20000),
		"lacnic-handles":  strings.Repeat("inetnum: 81.2.69/24\nabuse-c: AB1\nnic-hdl: AB1\ne-mail: a@b.c\n", 15000),
		"distinct-refs":   "inetnum: 81.2.69.0 - 81.2.69.255\n" + strings.Repeat("tech-c: X\nadmin-c: Y\nabuse-c: Z\nmnt-irt: W\n", 20000),
		"many-objects":    strings.Repeat("inetnum: 81.2.69.0 - 81.2.69.255\nabuse-c: AB1\nadmin-c: AB2\n\nrole: r\nnic-hdl: AB3\n\n", 12000),
	} {
		start := time.Now()
		res, err := parseWhois(in, a)
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("%s (%d bytes): %v", name, len(in), el)
		}
		if err != nil || res.nb == nil {
			t.Errorf("%s: err %v", name, err)
		}
	}
}
