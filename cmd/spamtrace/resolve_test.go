package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// -resolve end to end, against a DNS server and a whois server on loopback.
func TestResolveFlags(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		switch {
		case q.Qtype == dns.TypePTR && q.Name == "1.237.239.62.in-addr.arpa.":
			m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "relay.bt.example."})
		case q.Qtype == dns.TypeA && q.Name == "relay.bt.example.":
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("62.239.237.1")})
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60}, Ns: "ns.example.", Mbox: "h.example.", Serial: 1, Minttl: 60}}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()

	whoisAddr := whoisServer(t, "../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	msg := "Received: from relay.bt.example (relay.bt.example [62.239.237.1]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: x\r\n\r\n"
	path := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(path, []byte(msg), 0o644)
	out, errOut, code := runCmd(t, "", "-json", "-resolve", "-dns-server", pc.LocalAddr().String(), "-whois-server", whoisAddr, path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Hops []struct {
			Lookup *struct {
				PTR      []string `json:"ptr"`
				FCrDNS   bool     `json:"fcrdns"`
				Netblock *struct {
					Prefix, Registry string
					Abuse            []struct{ Email, Source string }
				} `json:"netblock"`
				Error string `json:"error"`
			} `json:"lookup"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	l := v.Hops[0].Lookup
	if l == nil || len(l.PTR) != 1 || l.PTR[0] != "relay.bt.example" || !l.FCrDNS {
		t.Fatalf("lookup = %+v", l)
	}
	if l.Netblock == nil || l.Netblock.Prefix != "62.239.237.0/24" || l.Netblock.Abuse[0].Email != "protect@bt.com" {
		t.Errorf("netblock = %+v (error %q)", l.Netblock, l.Error)
	}
	// Lookup flags without -resolve are a usage error.
	if _, _, code := runCmd(t, "", "-dnsbl", "zen.example", path); code != 2 {
		t.Errorf("-dnsbl without -resolve: exit %d", code)
	}
	// Offline by default: no lookup object.
	out, _, _ = runCmd(t, "", "-json", path)
	if strings.Contains(out, `"lookup"`) {
		t.Errorf("lookups without -resolve")
	}
}
