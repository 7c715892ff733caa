package netblock

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// dnsServer answers A for whois.test.example. (127.0.0.1), NXDOMAIN for
// every other name, and counts the questions by name.
func dnsServer(t *testing.T) (*net.Resolver, func(name string) int) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	counts := map[string]int{}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		mu.Lock()
		counts[strings.ToLower(q.Name)]++
		mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		switch {
		case q.Name == "whois.test.example." && q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
		case q.Name == "whois.test.example.":
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, pc.LocalAddr().String())
	}}
	return res, func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[name]
	}
}

// A run asks each registry host name once, however many lookups it
// makes, and a name that does not exist once too.
func TestRegistryHostResolvedOnce(t *testing.T) {
	res, asked := dnsServer(t)
	srv := newWhoisServer(t, func(q string) string { return "% no entries found\n" })
	_, port, _ := net.SplitHostPort(srv.Addr())
	addrs := []string{"62.239.237.1", "81.2.69.1", "193.0.6.139", "203.0.113.9"}

	c := &Client{WhoisServer: "whois.test.example:" + port, Resolver: res, RateLimits: noLimits()}
	for _, a := range addrs {
		c.Lookup(context.Background(), netip.MustParseAddr(a))
	}
	if srv.Queries.Load() < 3 {
		t.Fatalf("%d whois queries reached the server by name", srv.Queries.Load())
	}
	// one A and one AAAA question for the name, for all the lookups
	if n := asked("whois.test.example."); n != 2 {
		t.Errorf("whois.test.example asked %d times, want 2 (A and AAAA, once)", n)
	}

	nx := &Client{WhoisServer: "nx.test.example:43", Resolver: res, RateLimits: noLimits()}
	var errs []error
	for _, a := range addrs[:3] {
		_, err := nx.Lookup(context.Background(), netip.MustParseAddr(a))
		errs = append(errs, err)
	}
	if n := asked("nx.test.example."); n != 2 {
		t.Errorf("nx.test.example asked %d times, want 2 (the negative answer cached)", n)
	}
	for _, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "nx.test.example") {
			t.Errorf("lookup via a missing host: %v", err)
		}
	}
}
