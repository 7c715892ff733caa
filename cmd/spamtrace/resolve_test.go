package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// -resolve end to end, against a DNS server and a whois server on loopback.
func TestResolveFlags(t *testing.T) {
	dnsAddr := serveDNS(t, func(q dns.Question, m *dns.Msg) {
		switch {
		case q.Qtype == dns.TypePTR && q.Name == "1.237.239.62.in-addr.arpa.":
			m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "relay.bt.example."})
		case q.Qtype == dns.TypeA && q.Name == "relay.bt.example.":
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("62.239.237.1")})
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60}, Ns: "ns.example.", Mbox: "h.example.", Serial: 1, Minttl: 60}}
		}
	})

	whoisAddr := whoisServer(t, "../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	msg := "Received: from relay.bt.example (relay.bt.example [62.239.237.1]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: x\r\n\r\n"
	path := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(path, []byte(msg), 0o644)
	out, errOut, code := runCmd(t, "", "-json", "-resolve", "-dns-server", dnsAddr, "-whois-server", whoisAddr, path)
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
	// A registry without the network: its error once prefixed, not
	// "netblock: netblock: ...".
	empty, _ := whoisLoopback(t, func(string) string { return "% no entries found\n" })
	out, _, _ = runCmd(t, "", "-json", "-resolve", "-dns-server", dnsAddr, "-whois-server", empty, path)
	if !strings.Contains(out, `"error":"netblock: no network found`) || strings.Contains(out, "netblock: netblock") {
		t.Errorf("lookup error: %s", out[strings.Index(out, `"lookup"`):])
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

// A DNS server that never answers: after a few unanswered questions the
// run stops asking it, says so once, and every hop's lookup error says
// why, instead of each message waiting out its time-outs.
func TestResolveSilentDNSServer(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var questions atomic.Int64
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		questions.Add(1) // and no answer
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	defer func(d time.Duration) { dnsTimeout = d }(dnsTimeout)
	dnsTimeout = 300 * time.Millisecond

	// 200 messages, each from its own public address: 200 PTR questions
	// the server would be asked without the breaker.
	dir := t.TempDir()
	const n = 200
	for i := 0; i < n; i++ {
		msg := fmt.Sprintf("Received: from relay%d.example (relay%d.example [62.239.%d.%d]) by mx.example.org (Postfix) with ESMTP id 4Q%d; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: x\r\n\r\n", i, i, i/250+1, i%250+1, i)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%03d.eml", i)), []byte(msg), 0o644)
	}
	// whois on a closed loopback port: refused at once, no DNS.
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	whoisAddr := closed.Addr().String()
	closed.Close()
	out, errOut, code := runCmd(t, "", "-json", "-resolve", "-dns-server", pc.LocalAddr().String(), "-whois-server", whoisAddr, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if c := strings.Count(errOut, "did not answer"); c != 1 || !strings.Contains(errOut, "DNS server "+pc.LocalAddr().String()+" did not answer 8 questions in a row") {
		t.Errorf("stderr says it %d times:\n%s", c, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n {
		t.Fatalf("%d records", len(lines))
	}
	stopped := 0
	for _, l := range lines {
		var v struct {
			Hops []struct {
				Lookup struct{ Error string } `json:"lookup"`
			} `json:"hops"`
		}
		json.Unmarshal([]byte(l), &v)
		e := v.Hops[0].Lookup.Error
		if !strings.Contains(e, " on "+pc.LocalAddr().String()+": ") {
			t.Errorf("the error does not name the -dns-server: %q", e)
		}
		if strings.Contains(e, "stopped answering; question not sent") {
			stopped++
		} else if !strings.Contains(e, "ptr: ") {
			t.Errorf("lookup error %q", e)
		}
		if strings.Contains(e, "netblock: netblock:") || !strings.Contains(e, "; netblock: ") {
			t.Errorf("want one netblock: prefix on the netblock error: %q", e)
		}
	}
	// The questions in flight when the breaker opened (at most the
	// lookups' concurrency, 32) were sent; the rest were not.
	if q := questions.Load(); q > 40 || stopped < n-40 {
		t.Errorf("%d questions reached the server, %d of %d hops were not asked", q, stopped, n)
	}
	t.Logf("%d of %d PTR questions sent; %d hops told the server stopped answering", questions.Load(), n, stopped)
}
