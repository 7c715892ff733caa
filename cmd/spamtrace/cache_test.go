package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spamtrace/spamtrace/internal/redistest"
)

// lookupServers is a loopback DNS server and whois server that answer for
// any address: PTR hA-B-C-D.example.net, its A record back, NXDOMAIN (with
// an SOA) for the DNSBL zone bl.test, and a /24 per address from whois.
type lookupServers struct {
	dns, whois string
	dnsQ       atomic.Int64
	whoisQ     *atomic.Int64
	onQuestion atomic.Pointer[func(n int64)] // called with the count after each DNS question
	delay      time.Duration                 // added to every DNS answer
	hang       string                        // a PTR question for this address is never answered
}

func startLookupServers(t *testing.T, delay time.Duration, hang string) *lookupServers {
	t.Helper()
	s := &lookupServers{delay: delay}
	if hang != "" {
		s.hang, _ = dns.ReverseAddr(hang)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		n := s.dnsQ.Add(1)
		if f := s.onQuestion.Load(); f != nil {
			(*f)(n)
		}
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		if s.hang != "" && q.Qtype == dns.TypePTR && name == s.hang {
			return
		}
		time.Sleep(s.delay)
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 300}
		switch {
		case q.Qtype == dns.TypePTR && strings.HasSuffix(name, ".in-addr.arpa."):
			p := strings.Split(strings.TrimSuffix(name, ".in-addr.arpa."), ".")
			if len(p) == 4 {
				m.Answer = []dns.RR{&dns.PTR{Hdr: hdr, Ptr: fmt.Sprintf("h%s-%s-%s-%s.example.net.", p[3], p[2], p[1], p[0])}}
			}
		case q.Qtype == dns.TypeA && strings.HasPrefix(name, "h") && strings.HasSuffix(name, ".example.net."):
			ip := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(name, "h"), ".example.net."), "-", ".")
			if a := net.ParseIP(ip); a != nil {
				m.Answer = []dns.RR{&dns.A{Hdr: hdr, A: a}}
			}
		}
		if len(m.Answer) == 0 {
			if strings.HasSuffix(name, ".bl.test.") {
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300}, Ns: "ns.test.", Mbox: "h.test.", Serial: 1, Minttl: 300}}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	s.dns = pc.LocalAddr().String()
	s.whois, s.whoisQ = whoisLoopback(t, func(line string) string {
		ip := net.ParseIP(strings.TrimSpace(strings.TrimPrefix(line, "n + "))).To4()
		if ip == nil {
			return "% no entries found\n"
		}
		return fmt.Sprintf("inetnum: %d.%d.%d.0 - %d.%d.%d.255\nnetname: NET-%d\ncountry: ZZ\nabuse-mailbox: abuse@net-%d.example\n",
			ip[0], ip[1], ip[2], ip[0], ip[1], ip[2], ip[2], ip[2])
	})
	return s
}

// writeMessages writes n one-hop messages from addresses spread over two
// /24s into a directory and returns it.
func writeMessages(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		msg := fmt.Sprintf("Received: from client (client [81.2.%d.%d]) by mx.example.org (Postfix) with ESMTP id Q%d; Tue, 12 Mar 2024 09:14:31 +0000\r\nSubject: m%d\r\n\r\n", 60+i%2, 10+i, i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%03d.eml", i)), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// -cache: a second process asks nothing, and the answers are the same as
// without the cache.
func TestCacheFlagSharesLookups(t *testing.T) {
	rs := redistest.ForTest(t)
	ls := startLookupServers(t, 0, "")
	dir := writeMessages(t, 40)
	args := []string{"-json", "-resolve", "-dns-server", ls.dns, "-whois-server", ls.whois, "-dnsbl", "bl.test"}
	plain, errOut, code := runCmd(t, "", append(args, dir)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dnsPlain, whoisPlain := ls.dnsQ.Load(), ls.whoisQ.Load()
	// 40 PTR, 40 A + 40 AAAA, 40 DNSBL; whois: one per /24 (RIPE's rate
	// limit spaces them by 0.5 s).
	if dnsPlain != 160 || whoisPlain != 2 {
		t.Fatalf("without the cache: %d DNS questions, %d whois queries; want 160 and 2", dnsPlain, whoisPlain)
	}
	for run := 1; run <= 2; run++ {
		dns0, whois0 := ls.dnsQ.Load(), ls.whoisQ.Load()
		out, errOut, code := runCmd(t, "", append(append(args, "-cache", rs.URL(3)), dir)...)
		if code != 0 || errOut != "" {
			t.Fatalf("run %d: exit %d: %s", run, code, errOut)
		}
		if out != plain {
			t.Errorf("run %d: output differs from the run without the cache", run)
		}
		dnsN, whoisN := ls.dnsQ.Load()-dns0, ls.whoisQ.Load()-whois0
		want := [2]int64{160, 2}
		if run == 2 {
			want = [2]int64{0, 0}
		}
		if dnsN != want[0] || whoisN != want[1] {
			t.Errorf("run %d with the cache: %d DNS questions, %d whois queries; want %d and %d", run, dnsN, whoisN, want[0], want[1])
		}
	}
	// Real messages, with signatures and authentication results: the
	// checks ask TXT, MX and addresses through the cache's resolver and
	// must come to the same conclusions.
	samples := []string{sample("gmail-to-postfix.eml"), sample("exchange-online.eml"), sample("forged-spam.eml")}
	plain, errOut, code = runCmd(t, "", append(args, samples...)...)
	if code != 0 {
		t.Fatalf("samples: exit %d: %s", code, errOut)
	}
	for run := 1; run <= 2; run++ {
		out, errOut, code := runCmd(t, "", append(append(args, "-cache", rs.URL(4)), samples...)...)
		if code != 0 || out != plain {
			t.Errorf("samples, run %d with the cache: exit %d, %s; output differs: %v", run, code, errOut, out != plain)
		}
	}
	if _, errOut, code := runCmd(t, "", "-cache", rs.URL(3), dir); code != 2 || !strings.Contains(errOut, "-cache needs -resolve") {
		t.Errorf("-cache without -resolve: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runCmd(t, "", "-resolve", "-cache", "http://x", dir); code != 2 || !strings.Contains(errOut, "-cache") {
		t.Errorf("-cache with a bad URL: exit %d, %q", code, errOut)
	}
}

// Redis stopped in the middle of a run: the run finishes with the same
// output and says, once, that the cache was lost.
func TestCacheLostMidRun(t *testing.T) {
	rs := redistest.ForTest(t)
	ls := startLookupServers(t, 0, "")
	dir := writeMessages(t, 40)
	args := []string{"-json", "-resolve", "-dns-server", ls.dns, "-whois-server", ls.whois, "-dnsbl", "bl.test", "-workers", "2"}
	plain, _, code := runCmd(t, "", append(args, dir)...)
	if code != 0 {
		t.Fatal(code)
	}
	var once sync.Once
	start := ls.dnsQ.Load()
	stopAt := func(n int64) {
		if n-start == 30 {
			once.Do(rs.Stop)
		}
	}
	ls.onQuestion.Store(&stopAt)
	out, errOut, code := runCmd(t, "", append(append(args, "-cache", rs.URL(0)), dir)...)
	ls.onQuestion.Store(nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != plain {
		t.Errorf("output differs from the run without the cache")
	}
	if n := strings.Count(errOut, "lost ("); n != 1 || !strings.Contains(errOut, "lookups go on without it") || !strings.Contains(errOut, "was lost during the run") {
		t.Errorf("stderr %q: want the loss told once, and the count at the end", errOut)
	}
}
