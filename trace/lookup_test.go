package trace

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/miekg/dns"
)

// dnsServer is a real DNS server on loopback (github.com/miekg/dns)
// serving fixed records, counting every question by name and type.
type dnsServer struct {
	addr   string
	mu     sync.Mutex
	counts map[string]int
	delay  time.Duration
	txt    map[string]string // TXT records by lower-case name; set under mu
}

func (s *dnsServer) count(q dns.Question) {
	s.mu.Lock()
	s.counts[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype]]++
	s.mu.Unlock()
}

func (s *dnsServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// zone: PTR and A records, the blocklist, and misbehaving names.
var testZone = map[string][]string{
	"1.69.2.81.in-addr.arpa. PTR":   {"mail.example.net."},
	"mail.example.net. A":           {"81.2.69.1"},
	"2.69.2.81.in-addr.arpa. PTR":   {"liar.example.net."},
	"liar.example.net. A":           {"81.2.69.99"},
	"4.69.2.81.in-addr.arpa. PTR":   {"bad_name!.example.net.", "ok.example.net."},
	"ok.example.net. A":             {"81.2.69.4"},
	"142.69.2.81.in-addr.arpa. PTR": {"london.example.co.uk."},
	"london.example.co.uk. A":       {"81.2.69.142"},
	"2.69.2.81.zen.test. A":         {"127.0.0.2", "127.0.0.11"},
	"142.69.2.81.zen.test. A":       {"127.255.255.254"},
}

func newDNSServer(t testing.TB) *dnsServer {
	t.Helper()
	s := &dnsServer{counts: map[string]int{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		s.count(q)
		if s.delay > 0 {
			time.Sleep(s.delay)
		}
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		name := strings.ToLower(q.Name)
		switch {
		case name == "3.69.2.81.in-addr.arpa.":
			m.Rcode = dns.RcodeServerFailure
			w.WriteMsg(m)
			return
		case name == "5.69.2.81.in-addr.arpa.":
			return // silence
		}
		s.mu.Lock()
		v, ok := s.txt[name]
		s.mu.Unlock()
		if ok && q.Qtype == dns.TypeTXT {
			var chunks []string
			for len(v) > 255 {
				chunks, v = append(chunks, v[:255]), v[255:]
			}
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: append(chunks, v)})
			w.WriteMsg(m)
			return
		}
		for _, v := range testZone[name+" "+dns.TypeToString[q.Qtype]] {
			var rr dns.RR
			switch q.Qtype {
			case dns.TypePTR:
				rr = &dns.PTR{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: v}
			case dns.TypeA:
				rr = &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(v)}
			}
			m.Answer = append(m.Answer, rr)
		}
		if len(m.Answer) == 0 {
			exists := false
			for k := range testZone {
				if strings.HasPrefix(k, name+" ") {
					exists = true
				}
			}
			if !exists {
				m.Rcode = dns.RcodeNameError
			}
			// An authoritative negative answer carries the zone's SOA
			// (RFC 2308), or resolvers take it for a lame referral.
			m.Authoritative = true
			m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
				Ns: "ns.test.", Mbox: "hostmaster.test.", Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60}}
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.addr)
	}}
}

func hopFrom(ip, rdns string) string {
	return fmt.Sprintf("from helo.example (%s [%s]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000", rdns, ip)
}

func traceWith(t testing.TB, tracer *Tracer, hops ...string) *Trace {
	t.Helper()
	var b strings.Builder
	for _, h := range hops {
		b.WriteString("Received: " + h + "\r\n")
	}
	b.WriteString("Subject: x\r\n\r\n")
	tr, err := tracer.Trace(context.Background(), strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestLookupsFCrDNS(t *testing.T) {
	srv := newDNSServer(t)
	lk := &Lookups{DNS: srv.resolver(), DNSBL: []string{"zen.test"}, Timeout: 500 * time.Millisecond}
	tracer := &Tracer{Lookups: lk}
	tests := []struct {
		ip, claimed string
		ptr         []string
		fcrdns      bool
		errPart     string
		listed      bool
	}{
		{"81.2.69.1", "mail.example.net", []string{"mail.example.net"}, true, "", false},
		{"81.2.69.2", "liar.example.net", []string{"liar.example.net"}, false, "", true},
		{"81.2.69.3", "unknown", nil, false, "ptr:", false}, // SERVFAIL
		{"81.2.69.4", "ok.example.net", []string{"ok.example.net"}, true, "", false},
		{"81.2.69.5", "silent.example.net", nil, false, "ptr:", false},
		{"81.2.69.6", "gone.example.net", nil, false, "", false}, // NXDOMAIN: no PTR, no error
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			tr := traceWith(t, tracer, hopFrom(tt.ip, tt.claimed))
			l := tr.Hops[0].Lookup
			if l == nil {
				t.Fatal("no lookup")
			}
			if strings.Join(l.PTR, ",") != strings.Join(tt.ptr, ",") || l.FCrDNS != tt.fcrdns {
				t.Errorf("ptr = %v fcrdns = %v; want %v %v", l.PTR, l.FCrDNS, tt.ptr, tt.fcrdns)
			}
			if got := strings.Join(l.Errors, ";"); tt.errPart == "" && got != "" || tt.errPart != "" && !strings.Contains(got, tt.errPart) {
				t.Errorf("errors = %q, want %q", got, tt.errPart)
			}
			if (len(l.DNSBL) > 0) != tt.listed {
				t.Errorf("dnsbl = %v", l.DNSBL)
			}
			if l.Claimed != tt.claimed && tt.claimed != "unknown" {
				t.Errorf("claimed = %q", l.Claimed)
			}
		})
	}
	// A listing is a finding on the origin, with the codes interpreted.
	tr := traceWith(t, tracer, hopFrom("81.2.69.2", "liar.example.net"))
	d := tr.Hops[0].Lookup.DNSBL[0]
	if d.Zone != "zen.test" || len(d.Codes) != 2 || !strings.Contains(strings.Join(d.Meaning, ","), "listed (127.0.0.2)") {
		t.Errorf("listing = %+v", d)
	}
	if !hasFinding(tr, CategoryDNSBL, 0, SeverityMedium) || !hasFinding(tr, CategoryRDNSMismatch, 0, SeverityLow) {
		t.Errorf("findings:\n%s", dump(tr.Findings))
	}
	// 127.255.255.x is the blocklist refusing the query, not a listing.
	tr = traceWith(t, tracer, hopFrom("81.2.69.142", "london.example.co.uk"))
	if l := tr.Hops[0].Lookup; len(l.DNSBL) != 0 || !strings.Contains(strings.Join(l.Errors, ";"), "refused") {
		t.Errorf("refusal read as listing: %+v", l)
	}
	// Claimed rDNS differing from today's: both kept, a finding.
	tr = traceWith(t, tracer, hopFrom("81.2.69.1", "old-name.example.com"))
	if l := tr.Hops[0].Lookup; l.Claimed != "old-name.example.com" || l.PTR[0] != "mail.example.net" || !hasFinding(tr, CategoryRDNSMismatch, 0, SeverityLow) {
		t.Errorf("claimed vs observed: %+v\n%s", l, dump(tr.Findings))
	}
}

func TestLookupsNeverAskAboutPrivate(t *testing.T) {
	srv := newDNSServer(t)
	tracer := &Tracer{Lookups: &Lookups{DNS: srv.resolver(), DNSBL: []string{"zen.test"}}}
	tr := traceWith(t, tracer, hopFrom("192.168.1.10", "pc.lan"), hopFrom("10.0.0.1", "x"), hopFrom("192.0.2.1", "doc"))
	if n := srv.total(); n != 0 {
		t.Errorf("%d questions about private or special addresses", n)
	}
	if l := tr.Hops[2].Lookup; l == nil || !strings.Contains(l.Special, "Documentation") {
		t.Errorf("special = %+v", l)
	}
}

// 40 copies of one message in a bulk run ask one question per distinct
// name and type.
func TestLookupsBulkAsksOnce(t *testing.T) {
	srv := newDNSServer(t)
	lk := &Lookups{DNS: srv.resolver(), DNSBL: []string{"zen.test"}}
	tracer := &Tracer{Lookups: lk}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			traceWith(t, tracer, hopFrom("81.2.69.1", "mail.example.net"), hopFrom("81.2.69.2", "liar.example.net"), hopFrom("81.2.69.4", "ok.example.net"))
		}()
	}
	wg.Wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.counts) == 0 {
		t.Fatal("no questions")
	}
	for q, n := range srv.counts {
		if n != 1 {
			t.Errorf("%q asked %d times", q, n)
		}
	}
	t.Logf("40 messages, %d distinct questions, %d asked", len(srv.counts), len(srv.counts))
}

func buildMMDB(t testing.TB, dbType string, record func(*mmdbwriter.Tree) error) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	if err := record(tree); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func insert(tree *mmdbwriter.Tree, cidr string, v mmdbtype.Map) error {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return err
	}
	return tree.Insert(n, v)
}

func TestGeoDatabases(t *testing.T) {
	city := buildMMDB(t, "GeoLite2-City", func(tr *mmdbwriter.Tree) error {
		return insert(tr, "81.2.69.0/24", mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("GB")},
			"city":    mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("London")}},
		})
	})
	asn := buildMMDB(t, "GeoLite2-ASN", func(tr *mmdbwriter.Tree) error {
		return insert(tr, "81.2.69.0/24", mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(20712),
			"autonomous_system_organization": mmdbtype.String("Andrews & Arnold Ltd"),
		})
	})
	// ip-location-db's layout: a flat country_code, its own database_type.
	flat := buildMMDB(t, "country ipv4", func(tr *mmdbwriter.Tree) error {
		return insert(tr, "81.2.0.0/16", mmdbtype.Map{"country_code": mmdbtype.String("gb")})
	})
	// IPinfo's layout.
	ipinfo := buildMMDB(t, "ipinfo country_asn.mmdb", func(tr *mmdbwriter.Tree) error {
		return insert(tr, "81.2.69.0/24", mmdbtype.Map{"country": mmdbtype.String("GB"), "asn": mmdbtype.String("AS20712"), "as_name": mmdbtype.String("Andrews & Arnold Ltd")})
	})
	a := netip.MustParseAddr("81.2.69.142")
	tests := []struct {
		path string
		want GeoInfo
	}{
		{city, GeoInfo{Country: "GB", City: "London"}},
		{asn, GeoInfo{ASN: 20712, ASOrg: "Andrews & Arnold Ltd"}},
		{flat, GeoInfo{Country: "GB"}},
		{ipinfo, GeoInfo{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd"}},
		{"testdata/mmdb/GeoLite2-City-Test.mmdb", GeoInfo{Country: "GB", City: "London"}},
		{"testdata/mmdb/GeoLite2-Country-Test.mmdb", GeoInfo{Country: "GB"}},
	}
	for _, tt := range tests {
		db, err := OpenGeoDB(tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		got, err := db.Geo(a)
		db.Close()
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", filepath.Base(tt.path), got, err, tt.want)
		}
	}
	db, err := OpenGeoDB("testdata/mmdb/GeoLite2-ASN-Test.mmdb")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, _ := db.Geo(netip.MustParseAddr("1.0.0.1")); got.ASN != 15169 || got.ASOrg != "Google Inc." {
		t.Errorf("official ASN test db: %+v", got)
	}
	// Through a trace: city and ASN databases together.
	cdb, _ := OpenGeoDB(city)
	adb, _ := OpenGeoDB(asn)
	defer cdb.Close()
	defer adb.Close()
	tr := traceWith(t, &Tracer{Lookups: &Lookups{Geo: []GeoFinder{cdb, adb}}}, hopFrom("81.2.69.142", "x.example"))
	if l := tr.Hops[0].Lookup; l.Country != "GB" || l.ASN != 20712 || l.City != "London" || l.Registry != "ripe" {
		t.Errorf("lookup = %+v", l)
	}
}

func TestCorruptGeoDatabases(t *testing.T) {
	files, _ := filepath.Glob("testdata/mmdb/*.mmdb")
	bad := 0
	for _, f := range files {
		if strings.Contains(f, "-Test.mmdb") {
			continue
		}
		bad++
		db, err := OpenGeoDB(f)
		if err != nil {
			continue // refused at open: fine
		}
		// Lookups on a corrupt file give errors or nothing, never a panic.
		for _, a := range []string{"1.1.1.1", "81.2.69.142", "::1", "2001:db8::1"} {
			db.Geo(netip.MustParseAddr(a))
		}
		db.Close()
	}
	if bad == 0 {
		t.Fatal("no corrupt databases found")
	}
}

// The full-Internet database in ip-location-db's layout (npm
// @ip-location-db/geo-whois-asn-country-mmdb) is not shipped; point
// SPAMTRACE_COUNTRY_MMDB at its country.mmdb to run this.
func TestRealCountryDatabase(t *testing.T) {
	path := os.Getenv("SPAMTRACE_COUNTRY_MMDB")
	if path == "" {
		t.Skip("SPAMTRACE_COUNTRY_MMDB not set")
	}
	db, err := OpenGeoDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for ip, want := range map[string]string{"8.8.8.8": "US", "81.2.69.142": "GB", "193.0.6.139": "NL", "202.12.29.175": "AU", "200.160.2.3": "BR", "2a00:1450:4001:81c::200e": "IE"} {
		got, err := db.Geo(netip.MustParseAddr(ip))
		if err != nil || got.Country != want {
			t.Errorf("%s: %q, %v; want %s", ip, got.Country, err, want)
		}
	}
}

// The cache keeps at most MaxCached answers in its two generations; an
// answer asked for again from the older generation is kept, one not asked
// for in two generations is asked again.
func TestLookupsCacheIsBounded(t *testing.T) {
	lk := &Lookups{MaxCached: 4}
	lk.init()
	calls := map[string]int{}
	ask := func(k string) {
		lk.memoize(context.Background(), "test", k, func(context.Context, *memoEntry) { calls[k]++ })
		if n := len(lk.memo) + len(lk.old); n > 4 {
			t.Fatalf("after %s: %d answers cached, cap 4", k, n)
		}
	}
	for _, k := range []string{"a", "b", "a", "c", "a", "d", "b", "a"} {
		ask(k)
	}
	// a: asked once, kept by being asked again; b: dropped after two
	// generations, so asked again; c, d: once.
	want := map[string]int{"a": 1, "b": 2, "c": 1, "d": 1}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("%s looked up %d times, want %d (all: %v)", k, calls[k], n, calls)
		}
	}

	// Through a real DNS server: many distinct addresses, the cache stays
	// within its cap, and the latest answers are still cached.
	srv := newDNSServer(t)
	lk = &Lookups{DNS: srv.resolver(), MaxCached: 8, Timeout: time.Second}
	tracer := &Tracer{Lookups: lk}
	for i := 10; i < 40; i++ {
		traceWith(t, tracer, hopFrom(fmt.Sprintf("81.2.69.%d", i), "gone.example.net"))
		lk.mu.Lock()
		n := len(lk.memo) + len(lk.old)
		lk.mu.Unlock()
		if n > 8 {
			t.Fatalf("%d answers cached, cap 8", n)
		}
	}
	before := srv.total()
	traceWith(t, tracer, hopFrom("81.2.69.39", "gone.example.net"))
	if after := srv.total(); after != before {
		t.Errorf("the latest address was asked again: %d questions, then %d", before, after)
	}
}
