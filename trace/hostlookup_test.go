package trace

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/internal/whoistest"
	"github.com/spamtrace/spamtrace/netblock"
)

func TestLookupHost(t *testing.T) {
	srv := newDNSServer(t)
	answer, err := os.ReadFile("../netblock/testdata/whois/ripe_62.239.237.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := whoistest.Start(func(string) string { return string(answer) })
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	lk := &Lookups{DNS: srv.resolver(), Timeout: time.Second,
		Netblocks: &netblock.Client{WhoisServer: ws.Addr(), Resolver: srv.resolver()}}
	ctx := context.Background()

	// A name: its address, and the registry's answer for it (this whois
	// server only knows 62.239.237.0/24, so the answer is refused).
	hl := lk.LookupHost(ctx, "Mail.Example.NET.")
	if hl.Host != "Mail.Example.NET" || len(hl.Addrs) != 1 || hl.Addrs[0].String() != "81.2.69.1" || hl.Netblock != nil ||
		len(hl.Errors) != 1 || !strings.HasPrefix(hl.Errors[0], "netblock: ") || strings.HasPrefix(hl.Errors[0], "netblock: netblock:") {
		t.Fatalf("lookup = %+v", hl)
	}
	// An address literal is not resolved; its network is looked up.
	before := srv.total()
	hl = lk.LookupHost(ctx, "62.239.237.5")
	if len(hl.Addrs) != 1 || hl.Netblock == nil || hl.Netblock.Registry != "ripe" || len(hl.Netblock.Abuse) == 0 || hl.Netblock.Abuse[0].Email != "protect@bt.com" || len(hl.Errors) != 0 {
		t.Errorf("literal = %+v (netblock %+v)", hl, hl.Netblock)
	}
	if srv.total() != before {
		t.Errorf("a literal was resolved")
	}
	// A name that does not exist: no address, no netblock, the error kept.
	hl = lk.LookupHost(ctx, "gone.example.net")
	if len(hl.Addrs) != 0 || hl.Netblock != nil || strings.Join(hl.Errors, ";") != "ip: no such host" {
		t.Errorf("gone = %+v", hl)
	}
	// Private and special addresses are never asked about.
	before = srv.total()
	queries := ws.Queries.Load()
	for _, h := range []string{"192.168.1.10", "[2001:db8::1]", "127.0.0.1"} {
		hl = lk.LookupHost(ctx, h)
		if len(hl.Addrs) != 1 || hl.Netblock != nil || len(hl.Errors) != 0 {
			t.Errorf("%s: %+v", h, hl)
		}
	}
	if srv.total() != before || ws.Queries.Load() != queries {
		t.Errorf("%d DNS questions, %d whois queries about special addresses", srv.total()-before, ws.Queries.Load()-queries)
	}
	// Many messages naming one host ask once.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lk.LookupHost(ctx, "ok.example.net")
		}()
	}
	wg.Wait()
	srv.mu.Lock()
	n := srv.counts["ok.example.net. A"]
	srv.mu.Unlock()
	if n != 1 {
		t.Errorf("ok.example.net asked %d times", n)
	}
}

// Lookup.Confirmed names the PTR name that resolves back, not the first.
func TestLookupConfirmedName(t *testing.T) {
	srv := newDNSServer(t)
	tracer := &Tracer{Lookups: &Lookups{DNS: srv.resolver(), Timeout: time.Second}}
	l := traceWith(t, tracer, hopFrom("81.2.69.4", "ok.example.net")).Hops[0].Lookup
	if !l.FCrDNS || l.Confirmed != "ok.example.net" {
		t.Errorf("ptr %v fcrdns %v confirmed %q", l.PTR, l.FCrDNS, l.Confirmed)
	}
	l = traceWith(t, tracer, hopFrom("81.2.69.2", "liar.example.net")).Hops[0].Lookup
	if l.FCrDNS || l.Confirmed != "" {
		t.Errorf("liar: fcrdns %v confirmed %q", l.FCrDNS, l.Confirmed)
	}
}
