package rediscache

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spamtrace/spamtrace/auth"
	"github.com/spamtrace/spamtrace/internal/redistest"
	"github.com/spamtrace/spamtrace/internal/whoistest"
	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

// dnsServer is a loopback DNS server that counts the questions it gets.
type dnsServer struct {
	addr  string
	delay time.Duration
	mu    sync.Mutex
	asked map[string]int
	srv   *dns.Server
}

func startDNS(t *testing.T, delay time.Duration) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{addr: pc.LocalAddr().String(), delay: delay, asked: map[string]int{}}
	soa := func(ttl, minttl uint32) dns.RR {
		return &dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl}, Ns: "ns.example.", Mbox: "h.example.", Serial: 1, Minttl: minttl}
	}
	s.srv = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		s.mu.Lock()
		s.asked[dns.TypeToString[q.Qtype]+" "+q.Name]++
		s.mu.Unlock()
		time.Sleep(s.delay)
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		hdr := func(ttl uint32) dns.RR_Header {
			return dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: ttl}
		}
		switch {
		case q.Qtype == dns.TypePTR && q.Name == "1.2.0.192.in-addr.arpa.":
			m.Answer = []dns.RR{&dns.PTR{Hdr: hdr(300), Ptr: "mail.example."}, &dns.PTR{Hdr: hdr(120), Ptr: "bad name!.example."}}
		case q.Qtype == dns.TypeA && q.Name == "mail.example.":
			m.Answer = []dns.RR{&dns.A{Hdr: hdr(600), A: net.ParseIP("192.0.2.1")}}
		case q.Qtype == dns.TypeAAAA && q.Name == "mail.example.":
			m.Answer = []dns.RR{&dns.AAAA{Hdr: hdr(900), AAAA: net.ParseIP("2001:db8::1")}}
		case q.Qtype == dns.TypeMX && q.Name == "mail.example.":
			m.Answer = []dns.RR{&dns.MX{Hdr: hdr(200), Preference: 20, Mx: "b.example."}, &dns.MX{Hdr: hdr(200), Preference: 10, Mx: "a.example."}}
		case q.Qtype == dns.TypeTXT && q.Name == "mail.example.":
			m.Answer = []dns.RR{&dns.TXT{Hdr: hdr(100), Txt: []string{"v=spf1 ", "-all"}}}
		case q.Qtype == dns.TypeA && q.Name == "2.0.0.127.bl.example.":
			m.Answer = []dns.RR{&dns.A{Hdr: hdr(7200000), A: net.ParseIP("127.0.0.2")}}
		case q.Name == "nosoa.example.":
			m.Rcode = dns.RcodeNameError
		case q.Name == "broken.example.":
			m.Rcode = dns.RcodeServerFailure
		case q.Name == "lame.example.":
			m.Authoritative = false // and no answer, no recursion: a lame referral
		case q.Qtype == dns.TypeA && q.Name == "v6only.example.":
			m.Ns = []dns.RR{soa(3600, 50)} // NODATA
		case q.Qtype == dns.TypeAAAA && q.Name == "v6only.example.":
			m.Answer = []dns.RR{&dns.AAAA{Hdr: hdr(900), AAAA: net.ParseIP("2001:db8::2")}}
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{soa(40, 3600)}
		}
		w.WriteMsg(m)
	})}
	go s.srv.ActivateAndServe()
	t.Cleanup(func() { s.srv.Shutdown() })
	return s
}

func (s *dnsServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.asked {
		n += v
	}
	return n
}

func (s *dnsServer) count(q string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked[q]
}

func open(t *testing.T, url string, opt *Options) *Cache {
	t.Helper()
	c, err := Open(url, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type dnsResult struct {
	ptr  []string
	ips  []netip.Addr
	txt  []string
	bl   []netip.Addr
	nx   error
	v6   []netip.Addr
	errs []string
}

func askAll(t *testing.T, r *Resolver) dnsResult {
	t.Helper()
	ctx := context.Background()
	var res dnsResult
	var err error
	if res.ptr, err = r.LookupAddr(ctx, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if res.ips, err = r.LookupNetIP(ctx, "ip", "mail.example."); err != nil {
		t.Fatal(err)
	}
	if res.txt, err = r.LookupTXT(ctx, "MAIL.example"); err != nil {
		t.Fatal(err)
	}
	if res.bl, err = r.LookupNetIP(ctx, "ip4", "2.0.0.127.bl.example."); err != nil {
		t.Fatal(err)
	}
	_, res.nx = r.LookupNetIP(ctx, "ip4", "1.0.0.127.bl.example.")
	if res.v6, err = r.LookupNetIP(ctx, "ip", "v6only.example."); err != nil {
		t.Fatal(err)
	}
	return res
}

// Two caches on one Redis are two processes: what the first asked, the
// second reads, with the TTLs the answers gave.
func TestDNSSharedWithTTLs(t *testing.T) {
	rs := redistest.ForTest(t)
	srv := startDNS(t, 0)
	src := &DNSClient{Servers: []string{srv.addr}}
	c1 := open(t, rs.URL(0), nil)
	c2 := open(t, rs.URL(0), nil)

	first := askAll(t, c1.DNS(src))
	if want := []string{"mail.example."}; !slices.Equal(first.ptr, want) {
		t.Errorf("ptr %v, want %v (the invalid name dropped)", first.ptr, want)
	}
	if fmt.Sprint(first.ips) != "[192.0.2.1 2001:db8::1]" || fmt.Sprint(first.txt) != "[v=spf1 -all]" || fmt.Sprint(first.bl) != "[127.0.0.2]" || fmt.Sprint(first.v6) != "[2001:db8::2]" {
		t.Errorf("answers %+v", first)
	}
	var de *net.DNSError
	if !errorsAs(first.nx, &de) || !de.IsNotFound {
		t.Errorf("NXDOMAIN gave %v, want a not-found *net.DNSError", first.nx)
	}
	asked := srv.total()
	if asked != 8 {
		t.Errorf("first process asked %d questions, want 8", asked)
	}

	second := askAll(t, c2.DNS(src))
	if srv.total() != asked {
		t.Errorf("second process asked %d more questions, want none", srv.total()-asked)
	}
	if fmt.Sprint(first.ptr, first.ips, first.txt, first.bl, first.v6) != fmt.Sprint(second.ptr, second.ips, second.txt, second.bl, second.v6) {
		t.Errorf("cached answers differ:\n%+v\n%+v", first, second)
	}
	if !errorsAs(second.nx, &de) || !de.IsNotFound {
		t.Errorf("cached NXDOMAIN gave %v", second.nx)
	}
	if s := c2.Stats(); s.Hits != 8 || s.Asked != 0 {
		t.Errorf("second cache stats %+v, want 8 hits", s)
	}

	// TTLs: the smallest record's, the SOA's smaller field, the cap.
	ctx := context.Background()
	for key, want := range map[string]time.Duration{
		"spamtrace:dns:PTR:1.2.0.192.in-addr.arpa.": 120 * time.Second,
		"spamtrace:dns:A:mail.example.":             600 * time.Second,
		"spamtrace:dns:AAAA:mail.example.":          900 * time.Second,
		"spamtrace:dns:TXT:mail.example.":           100 * time.Second,
		"spamtrace:dns:A:1.0.0.127.bl.example.":     40 * time.Second,
		"spamtrace:dns:A:v6only.example.":           50 * time.Second,
		"spamtrace:dns:A:2.0.0.127.bl.example.":     24 * time.Hour,
		"spamtrace:dns:AAAA:v6only.example.":        900 * time.Second,
	} {
		got, err := c1.Client().PTTL(ctx, key).Result()
		if err != nil || got > want || got < want-5*time.Second {
			t.Errorf("%s: TTL %v (%v), want %v", key, got, err, want)
		}
	}

	// Not kept: a negative answer without SOA, and failures.
	r := c1.DNS(src)
	for range 2 {
		if _, err := r.LookupNetIP(ctx, "ip4", "nosoa.example."); !errorsAs(err, &de) || !de.IsNotFound {
			t.Errorf("nosoa: %v", err)
		}
		if _, err := r.LookupNetIP(ctx, "ip4", "broken.example."); err == nil || !strings.Contains(err.Error(), "SERVFAIL") {
			t.Errorf("SERVFAIL gave %v", err)
		}
		if _, err := r.LookupNetIP(ctx, "ip4", "lame.example."); err == nil || !strings.Contains(err.Error(), "lame referral") {
			t.Errorf("a lame referral gave %v", err)
		}
	}
	if n := srv.count("A nosoa.example."); n != 2 {
		t.Errorf("negative answer without SOA asked %d times, want 2 (not kept)", n)
	}
	if n := srv.count("A lame.example."); n != 2 {
		t.Errorf("lame referral asked %d times, want 2 (not kept)", n)
	}
	if n := srv.count("A broken.example."); n != 2 {
		t.Errorf("SERVFAIL asked %d times, want 2 (not kept)", n)
	}
}

// Many processes asking one new question at once: the source hears it once.
func TestConcurrentMissAsksOnce(t *testing.T) {
	rs := redistest.ForTest(t)
	srv := startDNS(t, 150*time.Millisecond)
	src := &DNSClient{Servers: []string{srv.addr}}
	const procs = 8
	var wg sync.WaitGroup
	var fails atomic.Int32
	caches := make([]*Cache, procs)
	for i := range caches {
		caches[i] = open(t, rs.URL(0), nil)
	}
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			names, err := caches[i].DNS(src).LookupAddr(ctx, "192.0.2.1")
			if err != nil || len(names) != 1 {
				fails.Add(1)
			}
		}()
	}
	wg.Wait()
	if fails.Load() > 0 {
		t.Errorf("%d lookups failed", fails.Load())
	}
	if n := srv.total(); n != 1 {
		t.Errorf("the source was asked %d times, want 1", n)
	}
	waited := int64(0)
	for _, c := range caches {
		waited += c.Stats().Waited
	}
	if waited != procs-1 {
		t.Errorf("%d processes waited for the answer, want %d", waited, procs-1)
	}
}

func whoisAnswer(line string) string {
	ip := net.ParseIP(strings.TrimSpace(strings.TrimPrefix(line, "n + "))).To4()
	if ip == nil || ip[0] == 5 {
		return "% no entries found\n"
	}
	return fmt.Sprintf("inetnum: %d.%d.%d.0 - %d.%d.%d.255\nnetname: NET-%d\ncountry: ZZ\nabuse-mailbox: abuse@net-%d.example\n",
		ip[0], ip[1], ip[2], ip[0], ip[1], ip[2], ip[2], ip[2])
}

// Netblocks are kept by prefix: another address of the same network, in
// another process, asks nothing; so does an address no registry knows.
func TestNetblocksByPrefix(t *testing.T) {
	rs := redistest.ForTest(t)
	ws, err := whoistest.Start(whoisAnswer)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	newClient := func() *netblock.Client {
		return &netblock.Client{WhoisServer: ws.Addr(), RateLimits: map[string]time.Duration{}}
	}
	c1 := open(t, rs.URL(0), &Options{NetblockTTL: time.Hour})
	c2 := open(t, rs.URL(0), nil)
	n1, n2 := c1.Netblocks(newClient()), c2.Netblocks(newClient())
	ctx := context.Background()
	nb, err := n1.Lookup(ctx, netip.MustParseAddr("81.2.69.160"))
	if err != nil || nb.Prefix.String() != "81.2.69.0/24" || len(nb.Abuse) != 1 {
		t.Fatalf("first lookup: %+v, %v", nb, err)
	}
	q := ws.Queries.Load()
	nb2, err := n2.Lookup(ctx, netip.MustParseAddr("81.2.69.7"))
	if err != nil || nb2.Prefix != nb.Prefix || nb2.Abuse[0] != nb.Abuse[0] || nb2.Raw != nb.Raw {
		t.Fatalf("second process: %+v, %v", nb2, err)
	}
	if ws.Queries.Load() != q {
		t.Errorf("the second process asked the registry again")
	}
	if ttl := c1.Client().PTTL(ctx, "spamtrace:nb:81.2.69.0/24").Val(); ttl > time.Hour || ttl < time.Hour-5*time.Second {
		t.Errorf("netblock TTL %v, want 1h", ttl)
	}
	// unknown to the registry: kept as such
	for _, n := range []*Netblocks{n1, n2} {
		if _, err := n.Lookup(ctx, netip.MustParseAddr("5.6.7.8")); !errorsIs(err, netblock.ErrNotFound) {
			t.Errorf("unknown address: %v", err)
		}
	}
	if got := ws.Queries.Load() - q; got != 1 {
		t.Errorf("unknown address asked %d times, want 1", got)
	}
	// another network: asked
	if nb, err := n2.Lookup(ctx, netip.MustParseAddr("81.2.70.1")); err != nil || nb.Prefix.String() != "81.2.70.0/24" {
		t.Errorf("other network: %+v %v", nb, err)
	}
}

// Redis down from the start, or slow: every lookup is answered by the
// source, and the loss is told once.
func TestDownOrSlowRedisIsBypassed(t *testing.T) {
	srv := startDNS(t, 0)
	src := &DNSClient{Servers: []string{srv.addr}}
	// A port that accepts and never answers: a hung Redis.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := refused.Addr().String()
	refused.Close()
	for name, addr := range map[string]string{"slow": ln.Addr().String(), "down": deadAddr} {
		t.Run(name, func(t *testing.T) {
			var warnings []string
			var mu sync.Mutex
			c := open(t, "redis://"+addr+"/0", &Options{Timeout: 100 * time.Millisecond, Warn: func(m string) {
				mu.Lock()
				warnings = append(warnings, m)
				mu.Unlock()
			}})
			r := c.DNS(src)
			start := time.Now()
			for range 20 {
				if names, err := r.LookupAddr(context.Background(), "192.0.2.1"); err != nil || len(names) != 1 {
					t.Fatalf("lookup without the cache: %v %v", names, err)
				}
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("20 lookups took %v: the lost cache is still waited for", el)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "lost") {
				t.Errorf("warnings %q, want one saying the cache was lost", warnings)
			}
			if s := c.Stats(); s.Bypassed != 20 || s.Lost != 1 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// Redis stopped mid-run and started again: lookups go on, the loss and
// the return are each told once.
func TestRedisLostAndBack(t *testing.T) {
	rs := redistest.ForTest(t)
	srv := startDNS(t, 0)
	src := &DNSClient{Servers: []string{srv.addr}}
	var warnings []string
	var mu sync.Mutex
	c := open(t, rs.URL(0), &Options{RetryAfter: 200 * time.Millisecond, Warn: func(m string) {
		mu.Lock()
		warnings = append(warnings, m)
		mu.Unlock()
	}})
	r := c.DNS(src)
	ctx := context.Background()
	if _, err := r.LookupAddr(ctx, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	rs.Stop()
	for i := range 5 {
		if _, err := r.LookupNetIP(ctx, "ip4", fmt.Sprintf("%d.0.0.127.bl.example.", i+10)); !errorsIsNotFound(err) {
			t.Fatalf("lookup with Redis stopped: %v", err)
		}
	}
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	for range 3 {
		if _, err := r.LookupAddr(ctx, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 2 || !strings.Contains(warnings[0], "lost") || !strings.Contains(warnings[1], "back") {
		t.Errorf("warnings %q, want lost then back", warnings)
	}
	// the restarted Redis is empty: the PTR was asked again, then kept
	if n := srv.count("PTR 1.2.0.192.in-addr.arpa."); n != 2 {
		t.Errorf("PTR asked %d times, want 2", n)
	}
}

// A hostile DNS answer gives an Answer or an error, never a panic, and
// only valid host names come out of LookupAddr.
func FuzzReadAnswer(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("1.2.0.192.in-addr.arpa.", dns.TypePTR)
	m.Answer = []dns.RR{&dns.PTR{Hdr: dns.RR_Header{Name: "1.2.0.192.in-addr.arpa.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 5}, Ptr: "a.example."}}
	m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 9}, Ns: "ns.", Mbox: "m.", Minttl: 3}}
	b, _ := m.Pack()
	f.Add(b, uint16(dns.TypePTR))
	f.Add(b, uint16(dns.TypeA))
	f.Fuzz(func(t *testing.T, packed []byte, qtype uint16) {
		var r dns.Msg
		if r.Unpack(packed) != nil {
			return
		}
		a, err := readAnswer(&r, "x.", qtype, "srv")
		if err != nil {
			return
		}
		if len(a.Records) == 0 && !a.NotFound {
			t.Fatalf("an answer with no records that is not negative: %+v", a)
		}
		for _, n := range a.Records {
			if qtype == dns.TypePTR && validHostName(n) && strings.ContainsAny(n, " \x00") {
				t.Fatalf("validHostName(%q)", n)
			}
		}
	})
}

// The resolver answers what the authentication checks ask (SPF needs MX
// and IPAddr), from the cache the second time.
func TestResolverForAuthChecks(t *testing.T) {
	var _ auth.SPFResolver = (*Resolver)(nil)
	var _ trace.TXTResolver = (*Resolver)(nil)
	rs := redistest.ForTest(t)
	srv := startDNS(t, 0)
	src := &DNSClient{Servers: []string{srv.addr}}
	ctx := context.Background()
	for _, c := range []*Cache{open(t, rs.URL(0), nil), open(t, rs.URL(0), nil)} {
		r := c.DNS(src)
		mx, err := r.LookupMX(ctx, "mail.example")
		if err != nil || len(mx) != 2 || mx[0].Host != "a.example." || mx[0].Pref != 10 || mx[1].Host != "b.example." {
			t.Fatalf("MX: %v %v", mx, err)
		}
		ips, err := r.LookupIPAddr(ctx, "mail.example")
		if err != nil || fmt.Sprint(ips) != "[{192.0.2.1 } {2001:db8::1 }]" {
			t.Fatalf("IPAddr: %v %v", ips, err)
		}
		if _, err := r.LookupMX(ctx, "none.example"); !errorsIsNotFound(err) {
			t.Errorf("MX of a name that does not exist: %v", err)
		}
	}
	if n := srv.count("MX mail.example."); n != 1 {
		t.Errorf("MX asked %d times, want 1", n)
	}
}
