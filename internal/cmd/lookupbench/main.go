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
	"sync"
	"time"

	"github.com/spamtrace/spamtrace/internal/benchnet"
	"github.com/spamtrace/spamtrace/internal/corpus"
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
	dnsSrv, err := benchnet.StartDNS(*delay)
	if err != nil {
		panic(err)
	}
	whoisSrv, err := benchnet.StartWhois(*delay)
	if err != nil {
		panic(err)
	}
	dnsAddr, whoisAddr := dnsSrv.Addr, whoisSrv.Addr
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
		int64(dnsSrv.Total()), q["ptr"], q["ip"], q["dnsbl"], int64(whoisSrv.Total()), q["netblock"])
	// DNS questions share the Lookups pool of *conc slots and whois
	// queries the netblock client's own pool of *conc slots; the two run
	// side by side, so the floor is the busier pool's queue.
	floor := max(int64(dnsSrv.Total()), int64(whoisSrv.Total()))
	fmt.Printf("lower bound at %d questions in flight per pool (DNS, whois): %.1fs\n", *conc, float64(floor)*delay.Seconds()/float64(*conc))
}
