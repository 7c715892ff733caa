// Command abusereports traces messages with network lookups and prints,
// for each distinct origin, whom to report it to and why.
//
//	go run ./examples/abusereports -dns-server 127.0.0.1:53 message.eml...
//
// Without -dns-server the system resolver and the real registries are
// used (RDAP first, whois referrals after).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

func main() {
	dnsServer := flag.String("dns-server", "", "HOST:PORT of the DNS server to use for every question")
	flag.Parse()
	res := net.DefaultResolver
	if *dnsServer != "" {
		res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, *dnsServer)
		}}
	}
	t := &trace.Tracer{Lookups: &trace.Lookups{
		DNS:       res,
		Netblocks: &netblock.Client{Resolver: res},
	}}
	reported := map[string]bool{}
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		tr, err := t.Trace(context.Background(), f)
		f.Close()
		if err != nil || !tr.Origin.IsValid() || !tr.Origin.IP.IsValid() {
			fmt.Fprintf(os.Stderr, "%s: no origin found\n", path)
			continue
		}
		ip := tr.Origin.IP.String()
		if reported[ip] {
			continue
		}
		reported[ip] = true
		l := tr.Hops[tr.Origin.Hop].Lookup
		fmt.Printf("%s (%s), first seen in %s\n  why: %s\n", ip, tr.Origin.Host, path, tr.Origin.Reason)
		if l == nil {
			fmt.Println("  no lookups were made")
			continue
		}
		if l.Netblock == nil {
			fmt.Println("  no registry answer:", strings.Join(l.Errors, "; "))
			continue
		}
		nb := l.Netblock
		fmt.Printf("  network: %s %s (%s), %s\n", nb.Prefix, nb.Name, nb.Org, nb.Registry)
		for _, c := range nb.Abuse {
			fmt.Printf("  report to: %s (%s)\n", c.Email, c.Source)
		}
	}
}
