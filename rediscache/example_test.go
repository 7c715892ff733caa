package rediscache_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/rediscache"
	"github.com/spamtrace/spamtrace/trace"
)

// Every process that points at the same Redis shares what the others
// looked up; a lost Redis is told once and costs nothing else.
func Example() {
	c, err := rediscache.Open("redis://127.0.0.1:6379/1", &rediscache.Options{
		Warn: func(msg string) { fmt.Fprintln(os.Stderr, "triage:", msg) },
	})
	if err != nil {
		log.Fatal(err) // a malformed URL; Open does no I/O
	}
	defer c.Close()
	lk := &trace.Lookups{DNS: net.DefaultResolver, DNSBL: []string{"zen.spamhaus.org"}, Netblocks: &netblock.Client{}}
	c.Apply(lk, &rediscache.DNSClient{}) // the system's name servers, with TTLs
	tracer := &trace.Tracer{Lookups: lk}
	f, err := os.Open("message.eml")
	if err != nil {
		return
	}
	defer f.Close()
	tr, err := tracer.Trace(context.Background(), f)
	if err == nil {
		fmt.Println(tr.Origin.IP)
	}
}
