package main

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// serveDNS starts a DNS server on a loopback UDP port for the test and
// returns its address. answer fills the reply to each question (records,
// Rcode); the reply is authoritative, as a zone's own server's is (Go's
// resolver takes a non-authoritative empty answer for a lame referral).
func serveDNS(t *testing.T, answer func(q dns.Question, m *dns.Msg)) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		if len(r.Question) == 1 {
			answer(r.Question[0], m)
		} else {
			m.Rcode = dns.RcodeFormatError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}
