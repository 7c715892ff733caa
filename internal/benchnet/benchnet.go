// Package benchnet runs the loopback DNS and whois servers of the
// measurement programs (lookupbench, cachebench): they answer for any
// address, add a fixed delay to every answer, and count the questions
// they get, in all and distinct.
//
// DNS: a PTR for a.b.c.d is "ha-b-c-d.example.net", whose A record
// points back to a.b.c.d; any name under bl.test is NXDOMAIN (a DNSBL
// that lists nobody); everything else is NODATA. Negative answers carry
// an SOA with TTL and minimum 60. Whois: every IPv4 address is in its
// /24, registered with an abuse mailbox; IPv6 addresses are unknown.
package benchnet

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/spamtrace/spamtrace/internal/whoistest"
)

// Counter counts questions by their text.
type Counter struct {
	mu   sync.Mutex
	seen map[string]int
	n    int
}

func (c *Counter) add(q string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[q]++
	c.n++
}

// Total is the number of questions received.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Distinct is the number of different questions received.
func (c *Counter) Distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// Questions returns a copy of the counts by question.
func (c *Counter) Questions() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.seen))
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

// DNS is a running DNS server.
type DNS struct {
	Addr string // "127.0.0.1:PORT", UDP
	Counter
	srv *dns.Server
}

// StartDNS starts the DNS server; every answer waits delay.
func StartDNS(delay time.Duration) (*DNS, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &DNS{Addr: pc.LocalAddr().String()}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if len(r.Question) != 1 {
			return
		}
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		d.add(dns.TypeToString[q.Qtype] + " " + name)
		time.Sleep(delay)
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		switch {
		case q.Qtype == dns.TypePTR && strings.HasSuffix(name, ".in-addr.arpa."):
			p := strings.Split(strings.TrimSuffix(name, ".in-addr.arpa."), ".")
			if len(p) == 4 {
				host := fmt.Sprintf("h%s-%s-%s-%s.example.net.", p[3], p[2], p[1], p[0])
				m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: host})
			}
		case q.Qtype == dns.TypeA && strings.HasPrefix(name, "h") && strings.HasSuffix(name, ".example.net."):
			ip := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(name, "h"), ".example.net."), "-", ".")
			if a := net.ParseIP(ip); a != nil {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: a})
			}
		}
		if len(m.Answer) == 0 {
			if strings.HasSuffix(name, ".bl.test.") {
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60}, Ns: "ns.test.", Mbox: "h.test.", Serial: 1, Refresh: 1, Retry: 1, Expire: 1, Minttl: 60}}
		}
		w.WriteMsg(m)
	})
	d.srv = &dns.Server{PacketConn: pc, Handler: h}
	go d.srv.ActivateAndServe()
	return d, nil
}

// Close stops the server.
func (d *DNS) Close() error { return d.srv.Shutdown() }

// Whois is a running whois server.
type Whois struct {
	Addr string
	Counter
	srv *whoistest.Server
}

// StartWhois starts the whois server; every answer waits delay.
func StartWhois(delay time.Duration) (*Whois, error) {
	w := &Whois{}
	srv, err := whoistest.Start(func(line string) string {
		q := strings.TrimSpace(strings.TrimPrefix(line, "n + "))
		w.add(q)
		time.Sleep(delay)
		ip := net.ParseIP(q).To4()
		if ip == nil {
			return "% no entries found\n"
		}
		return fmt.Sprintf("inetnum: %d.%d.%d.0 - %d.%d.%d.255\nnetname: NET-%d-%d-%d\ncountry: ZZ\nabuse-mailbox: abuse@net-%d-%d-%d.example\n",
			ip[0], ip[1], ip[2], ip[0], ip[1], ip[2], ip[0], ip[1], ip[2], ip[0], ip[1], ip[2])
	})
	if err != nil {
		return nil, err
	}
	w.srv = srv
	w.Addr = srv.Addr()
	return w, nil
}

// Prefixes is the number of distinct networks among the addresses
// queried: /24s for IPv4 (each is one network here), and each IPv6
// address by itself (no network is registered for any, so each is its
// own question).
func (w *Whois) Prefixes() int {
	seen := map[string]bool{}
	for q := range w.Questions() {
		ip := net.ParseIP(q)
		switch {
		case ip == nil:
			seen[q] = true
		case ip.To4() != nil:
			seen[ip.Mask(net.CIDRMask(24, 32)).String()] = true
		default:
			seen[ip.String()] = true
		}
	}
	return len(seen)
}

// Close stops the server.
func (w *Whois) Close() error { return w.srv.Close() }
