package auth

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// txtServer is a DNS server on loopback answering TXT questions from a
// zone the test may change while it runs (a key rotated away).
type txtServer struct {
	mu   sync.Mutex
	zone map[string][]string // lower-case name without the dot -> TXT values
	addr string
}

func newTXTServer(t testing.TB) *txtServer {
	s := &txtServer{zone: map[string][]string{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
		s.mu.Lock()
		vals, ok := s.zone[name]
		s.mu.Unlock()
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		if q.Qtype == dns.TypeTXT {
			for _, v := range vals {
				// Long records travel as several strings of at most 255 bytes.
				var parts []string
				for len(v) > 255 {
					parts, v = append(parts, v[:255]), v[255:]
				}
				parts = append(parts, v)
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: parts})
			}
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

func (s *txtServer) set(name string, vals ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vals == nil {
		delete(s.zone, name)
		return
	}
	s.zone[name] = vals
}

func (s *txtServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.addr)
	}}
}
