// Command lookupbench measures a bulk run with lookups: it traces 10,000
// messages (the SpamAssassin public corpus, cycled) with reverse DNS,
// forward confirmation, a DNSBL zone and netblock lookups, against a DNS
// server and a whois server on loopback that each add 20 ms to every
// answer, and prints the wall time and the questions asked against the
// distinct questions the messages contain.
//
// Usage: go run ./internal/cmd/lookupbench -corpus /path/to/package/data
//
// It is a measurement, not a test: CI does not run it. Only loopback
// addresses are contacted.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/internal/whoistest"
	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

var (
	delay   = flag.Duration("delay", 20*time.Millisecond, "added to every answer")
	n       = flag.Int("n", 10000, "messages")
	workers = flag.Int("workers", 64, "messages traced at once")
	conc    = flag.Int("concurrency", 64, "questions in flight at once")
)

func main() {
	dir := flag.String("corpus", "", "the corpus data directory")
	flag.Parse()
	msgs, err := corpus.Load(*dir)
	if err != nil || len(msgs) == 0 {
		fmt.Fprintln(os.Stderr, "lookupbench: need -corpus:", err)
		os.Exit(2)
	}
	var dnsQ, whoisQ atomic.Int64
	dnsAddr := startDNS(&dnsQ)
	whoisAddr := startWhois(&whoisQ)
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", dnsAddr)
	}}
	lk := &trace.Lookups{
		DNS:         res,
		DNSBL:       []string{"bl.test"},
		Netblocks:   &netblock.Client{WhoisServer: whoisAddr, Resolver: res, RateLimits: map[string]time.Duration{}, MaxConcurrent: *conc},
		Concurrency: *conc,
		Timeout:     2 * time.Second,
	}
	tracer := &trace.Tracer{Lookups: lk}
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan []byte)
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				tracer.Trace(context.Background(), bytes.NewReader(m))
			}
		}()
	}
	for i := 0; i < *n; i++ {
		work <- []byte(msgs[i%len(msgs)].Text)
	}
	close(work)
	wg.Wait()
	el := time.Since(start)
	q := lk.Questions()
	fmt.Printf("%d messages, %d cores, %v added per answer: wall time %v\n", *n, runtime.NumCPU(), *delay, el.Round(time.Millisecond))
	fmt.Printf("questions asked: DNS %d (ptr %d, forward names %d → A+AAAA, dnsbl %d), whois %d; distinct netblock lookups %d\n",
		dnsQ.Load(), q["ptr"], q["ip"], q["dnsbl"], whoisQ.Load(), q["netblock"])
	// DNS questions share the Lookups pool of *conc slots and whois
	// queries the netblock client's own pool of *conc slots; the two run
	// side by side, so the floor is the busier pool's queue.
	floor := max(dnsQ.Load(), whoisQ.Load())
	fmt.Printf("lower bound at %d questions in flight per pool (DNS, whois): %.1fs\n", *conc, float64(floor)*delay.Seconds()/float64(*conc))
}

func startDNS(count *atomic.Int64) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		count.Add(1)
		time.Sleep(*delay)
		q := r.Question[0]
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		name := strings.ToLower(q.Name)
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
	srv := &dns.Server{PacketConn: pc, Handler: h}
	go srv.ActivateAndServe()
	return pc.LocalAddr().String()
}

func startWhois(count *atomic.Int64) string {
	srv, err := whoistest.Start(func(line string) string {
		count.Add(1)
		time.Sleep(*delay)
		q := strings.TrimSpace(strings.TrimPrefix(line, "n + "))
		ip := net.ParseIP(q).To4()
		if ip == nil {
			return "% no entries found\n"
		}
		return fmt.Sprintf("inetnum: %d.%d.%d.0 - %d.%d.%d.255\nnetname: NET-%d-%d-%d\ncountry: ZZ\nabuse-mailbox: abuse@net-%d-%d-%d.example\n",
			ip[0], ip[1], ip[2], ip[0], ip[1], ip[2], ip[0], ip[1], ip[2], ip[0], ip[1], ip[2])
	})
	if err != nil {
		panic(err)
	}
	return srv.Addr()
}
