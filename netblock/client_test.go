package netblock

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/internal/whoistest"
)

// newWhoisServer starts a real RFC 3912 server on loopback answering
// answer(query), closed when the test ends.
func newWhoisServer(t testing.TB, answer func(query string) string) *whoistest.Server {
	t.Helper()
	s, err := whoistest.Start(answer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func noLimits() map[string]time.Duration { return map[string]time.Duration{} }

func TestWhoisLookupRecorded(t *testing.T) {
	srv := newWhoisServer(t, func(q string) string {
		if q != "62.239.237.1" {
			return "% unexpected query\n"
		}
		return readSample(t, "whois/ripe_62.239.237.1.txt")
	})
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits()}
	nb, err := c.Lookup(context.Background(), netip.MustParseAddr("62.239.237.1"))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Prefix.String() != "62.239.237.0/24" || nb.Registry != "ripe" || nb.Source != SourceWhois {
		t.Errorf("nb = %v %q %q", nb.Prefix, nb.Registry, nb.Source)
	}
	if nb.Abuse[0].Email != "protect@bt.com" || nb.Abuse[len(nb.Abuse)-1].Source != SourceRemarks {
		t.Errorf("abuse = %v", nb.Abuse)
	}
	// Cached by prefix: another address in the network asks nothing.
	if _, err := c.Lookup(context.Background(), netip.MustParseAddr("62.239.237.200")); err != nil {
		t.Fatal(err)
	}
	if n := srv.Queries.Load(); n != 1 {
		t.Errorf("%d queries, want 1", n)
	}
}

func TestWhoisARINQuerySyntaxAndReferral(t *testing.T) {
	// ARIN is asked "n + ADDR" and refers to RIPE; RIPE answers.
	arinAnswer := "NetRange:       62.0.0.0 - 62.255.255.255\nCIDR:           62.0.0.0/8\nNetName:        RIPE-62\nNetType:        Allocated to RIPE NCC\nOrganization:   RIPE Network Coordination Centre (RIPE)\n\nReferralServer:  whois://whois.ripe.net\n\nOrgName:        RIPE Network Coordination Centre\nOrgAbuseEmail:  abuse@ripe.net\n"
	arin := newWhoisServer(t, func(q string) string {
		if q != "n + 62.239.237.1" {
			return "% bad syntax: " + q + "\n"
		}
		return arinAnswer
	})
	ripe := newWhoisServer(t, func(q string) string { return readSample(t, "whois/ripe_62.239.237.1.txt") })
	c := &Client{
		WhoisServers: map[string]string{"whois.ripe.net": ripe.Addr(), "whois.arin.net": arin.Addr()},
		RateLimits:   noLimits(),
		QueryTimeout: 2 * time.Second,
	}
	// Start at ARIN, as for an address the bootstrap does not place.
	nb, err := c.whoisFrom(context.Background(), "whois.arin.net", netip.MustParseAddr("62.239.237.1"))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Registry != "ripe" || nb.Abuse[0].Email != "protect@bt.com" || nb.Parent.String() != "62.0.0.0/8" {
		t.Errorf("nb = %q %v parent %v", nb.Registry, nb.Abuse, nb.Parent)
	}
	if arin.Queries.Load() != 1 || ripe.Queries.Load() != 1 {
		t.Errorf("queries arin=%d ripe=%d", arin.Queries.Load(), ripe.Queries.Load())
	}
}

func TestWhoisReferralRefused(t *testing.T) {
	for _, ref := range []string{"whois://127.0.0.1:43", "whois://localhost", "rwhois://rwhois.example.net:4321", "whois.evil.example", "whois://whois.ripe.net:4444"} {
		t.Run(ref, func(t *testing.T) {
			other := newWhoisServer(t, func(q string) string {
				return "inetnum: 81.2.69.0 - 81.2.69.255\nabuse-mailbox: guessed@evil.example\n"
			})
			first := newWhoisServer(t, func(q string) string { return "ReferralServer: " + ref + "\n" })
			c := &Client{WhoisServers: map[string]string{"whois.arin.net": first.Addr(), "whois.ripe.net": other.Addr()}, RateLimits: noLimits()}
			c.init()
			_, err := c.whoisFrom(context.Background(), "whois.arin.net", netip.MustParseAddr("81.2.69.1"))
			if !errors.Is(err, ErrReferralRefused) {
				t.Errorf("err = %v, want ErrReferralRefused", err)
			}
			if n := other.Queries.Load(); n != 0 {
				t.Errorf("the refused target was queried %d times", n)
			}
		})
	}
}

func TestWhoisRateLimited(t *testing.T) {
	srv := newWhoisServer(t, func(q string) string {
		return "%ERROR:201: access denied for 127.0.0.1\n%\n% Queries exceeding the daily limit.\n% Query rate limit exceeded\n"
	})
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits()}
	nb, err := c.Lookup(context.Background(), netip.MustParseAddr("62.239.237.1"))
	if !errors.Is(err, ErrRateLimited) || nb != nil {
		t.Errorf("nb = %v, err = %v; want nil, ErrRateLimited", nb, err)
	}
}

func TestWhoisSilentAndSlow(t *testing.T) {
	srv := newWhoisServer(t, func(q string) string { return whoistest.Silent })
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits(), QueryTimeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := c.Lookup(context.Background(), netip.MustParseAddr("62.239.237.1"))
	if err == nil {
		t.Fatal("no error from a silent server")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v; the query timeout is 200ms", el)
	}
	// Context cancellation ends a lookup too.
	c2 := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits()}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c2.Lookup(ctx, netip.MustParseAddr("62.239.237.9")); err == nil {
		t.Error("no error after cancellation")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("cancelled lookup took %v", el)
	}
}

func TestWhoisAnswerCap(t *testing.T) {
	big := strings.Repeat("remarks: "+strings.Repeat("x", 70)+"\n", 20000)
	srv := newWhoisServer(t, func(q string) string {
		if q == "81.2.69.1" {
			return "inetnum: 81.2.69.0 - 81.2.69.255\nabuse-mailbox: abuse@example.net\n" + big
		}
		return big + "inetnum: 81.2.70.0 - 81.2.70.255\nabuse-mailbox: abuse@example.net\n"
	})
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits(), MaxAnswerBytes: 4096}
	nb, err := c.Lookup(context.Background(), netip.MustParseAddr("81.2.69.1"))
	if err != nil || len(nb.Raw) > 4096 || nb.Abuse[0].Email != "abuse@example.net" {
		t.Errorf("capped answer: raw %d bytes, err %v", len(nb.Raw), err)
	}
	if _, err := c.Lookup(context.Background(), netip.MustParseAddr("81.2.70.1")); !errors.Is(err, ErrTruncated) {
		t.Errorf("network past the cap: err = %v, want ErrTruncated", err)
	}
}

// 10,000 addresses spread over 500 networks cost at most 500 queries.
func TestWhoisCacheByPrefix(t *testing.T) {
	srv := newWhoisServer(t, func(q string) string {
		a, err := netip.ParseAddr(q)
		if err != nil {
			return "% bad query\n"
		}
		b := a.As4()
		return fmt.Sprintf("inetnum:        %d.%d.%d.0 - %d.%d.%d.255\nnetname:        NET-%d-%d\ncountry:        GB\nabuse-c:        AB%d-RIPE\n\nrole:           Abuse\nnic-hdl:        AB%d-RIPE\nabuse-mailbox:  abuse%d@example.net\n",
			b[0], b[1], b[2], b[0], b[1], b[2], b[1], b[2], b[2], b[2], b[2])
	})
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits(), MaxConcurrent: 16}
	var addrs []netip.Addr
	for p := 0; p < 500; p++ {
		for i := 0; i < 20; i++ {
			addrs = append(addrs, netip.AddrFrom4([4]byte{81, byte(p / 250), byte(p % 250), byte(1 + i*12)}))
		}
	}
	rand.New(rand.NewSource(1)).Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	var wg sync.WaitGroup
	work := make(chan netip.Addr)
	var failed atomic.Int64
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				nb, err := c.Lookup(context.Background(), a)
				if err != nil || !nb.Contains(a) || nb.Abuse[0].Email != fmt.Sprintf("abuse%d@example.net", a.As4()[2]) {
					failed.Add(1)
				}
			}
		}()
	}
	for _, a := range addrs {
		work <- a
	}
	close(work)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d lookups failed", failed.Load())
	}
	if n := srv.Queries.Load(); n > 500 {
		t.Errorf("%d queries for 10,000 addresses in 500 networks; want at most 500", n)
	}
	t.Logf("10,000 addresses, 500 networks: %d whois queries", srv.Queries.Load())
}

func TestRDAPLookup(t *testing.T) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/ip/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch strings.TrimPrefix(r.URL.Path, "/ip/") {
		case "74.125.225.229":
			w.Header().Set("Content-Type", "application/rdap+json")
			w.Write([]byte(readSample(t, "rdap/arin_74.125.225.229.json")))
		case "81.2.69.1":
			w.WriteHeader(http.StatusTooManyRequests)
		case "81.2.70.1":
			// an abuse entity with no e-mail, to be followed once
			fmt.Fprintf(w, `{"objectClassName":"ip network","startAddress":"81.2.70.0","endAddress":"81.2.70.255","port43":"whois.ripe.net",
			 "entities":[{"handle":"AB-9","roles":["abuse"],"links":[{"rel":"self","href":"http://%s/entity/AB-9"}]}]}`, r.Host)
		case "81.2.71.1":
			http.Redirect(w, r, "http://127.0.0.1:9/ip/81.2.71.1", http.StatusFound)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	mux.HandleFunc("/entity/AB-9", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"objectClassName":"entity","handle":"AB-9","vcardArray":["vcard",[["email",{},"text","abuse@example.net"]]]}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Client{RDAPServer: srv.URL, RateLimits: noLimits()}
	nb, err := c.Lookup(context.Background(), netip.MustParseAddr("74.125.225.229"))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Prefix.String() != "74.125.0.0/16" || nb.Abuse[0].Email != "arin-contact@google.com" || nb.Source != SourceRDAP || nb.Registry != "arin" {
		t.Errorf("nb = %v %v %q %q", nb.Prefix, nb.Abuse, nb.Source, nb.Registry)
	}
	if _, err := c.Lookup(context.Background(), netip.MustParseAddr("81.2.69.1")); !errors.Is(err, ErrRateLimited) {
		t.Errorf("429: err = %v", err)
	}
	nb, err = c.Lookup(context.Background(), netip.MustParseAddr("81.2.70.1"))
	if err != nil || nb.Abuse[0].Email != "abuse@example.net" || nb.Abuse[0].Handle != "AB-9" {
		t.Errorf("entity link: nb = %v, err = %v", nb, err)
	}
	// A redirect to an IP literal over http is refused.
	if _, err := c.Lookup(context.Background(), netip.MustParseAddr("81.2.71.1")); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("unsafe redirect: err = %v", err)
	}
	if _, err := c.Lookup(context.Background(), netip.MustParseAddr("192.168.1.1")); !errors.Is(err, ErrNotGlobal) {
		t.Errorf("private: err = %v", err)
	}
}

func TestBootstrap(t *testing.T) {
	b, err := parseBootstrap(bootstrapIPv4, bootstrapIPv6)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"74.125.225.229": "whois.arin.net",
		"62.239.237.1":   "whois.ripe.net",
		"210.107.73.73":  "whois.apnic.net",
		"200.57.141.161": "whois.lacnic.net",
		"196.11.240.215": "whois.afrinic.net",
		"2a00:2381::1":   "whois.ripe.net",
	}
	for a, want := range tests {
		if got := whoisForRDAP(b.rdapBase(netip.MustParseAddr(a))); got != want {
			t.Errorf("%s: %s, want %s", a, got, want)
		}
	}
}

// Identical lookups in flight are merged into one query.
func TestLookupInFlightMerged(t *testing.T) {
	release := make(chan struct{})
	srv := newWhoisServer(t, func(q string) string {
		<-release
		return "inetnum: 81.2.69.0 - 81.2.69.255\nnetname: EX\nabuse-mailbox: abuse@example.net\n"
	})
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits(), QueryTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	var bad atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nb, err := c.Lookup(context.Background(), netip.MustParseAddr("81.2.69.1"))
			if err != nil || nb.Abuse[0].Email != "abuse@example.net" {
				bad.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d lookups failed", bad.Load())
	}
	if n := srv.Queries.Load(); n != 1 {
		t.Errorf("%d queries for 50 identical lookups in flight; want 1", n)
	}
}

// RDAP connections reach no loopback or private address, except the one
// server configured with RDAPServer.
func TestRDAPDialRefusesLoopback(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	c := &Client{}
	c.init()
	if conn, err := c.dialHTTP(context.Background(), "tcp", host); err == nil || !strings.Contains(err.Error(), "no registry uses") {
		if conn != nil {
			conn.Close()
		}
		t.Errorf("default client dialled loopback %s: err = %v", host, err)
	}
	mirror := &Client{RDAPServer: "https://127.0.0.1:1/rdap"}
	mirror.init()
	if conn, err := mirror.dialHTTP(context.Background(), "tcp", host); err == nil {
		conn.Close()
		t.Errorf("a client configured for another mirror dialled %s", host)
	}
	ok := &Client{RDAPServer: srv.URL}
	ok.init()
	conn, err := ok.dialHTTP(context.Background(), "tcp", host)
	if err != nil {
		t.Fatalf("configured server refused: %v", err)
	}
	conn.Close()
}

// Queries to one registry are spaced by its rate limit, and the queue for
// it does not hold up another registry.
func TestWhoisRateLimitPerRegistry(t *testing.T) {
	answer := func(q string) string {
		a, err := netip.ParseAddr(strings.TrimPrefix(q, "n + "))
		if err != nil {
			return "% bad query\n"
		}
		b := a.As4()
		return fmt.Sprintf("inetnum: %d.%d.%d.0 - %d.%d.%d.255\nabuse-mailbox: abuse@example.net\n", b[0], b[1], b[2], b[0], b[1], b[2])
	}
	ripe := newWhoisServer(t, answer)
	arin := newWhoisServer(t, answer)
	const gap = 150 * time.Millisecond
	c := &Client{
		WhoisServers:  map[string]string{"whois.ripe.net": ripe.Addr(), "whois.arin.net": arin.Addr()},
		RateLimits:    map[string]time.Duration{"whois.ripe.net": gap},
		MaxConcurrent: 2,
		QueryTimeout:  5 * time.Second,
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.whoisFrom(context.Background(), "whois.ripe.net", netip.AddrFrom4([4]byte{62, 1, byte(i), 1})); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	arinStart := time.Now()
	if _, err := c.whoisFrom(context.Background(), "whois.arin.net", netip.MustParseAddr("74.125.1.1")); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(arinStart); el > gap {
		t.Errorf("ARIN waited %v behind RIPE's queue", el)
	}
	wg.Wait()
	if el := time.Since(start); el < 4*gap {
		t.Errorf("5 RIPE queries in %v; the limit spaces them %v apart", el, gap)
	}
	if ripe.Queries.Load() != 5 || arin.Queries.Load() != 1 {
		t.Errorf("queries ripe=%d arin=%d", ripe.Queries.Load(), arin.Queries.Load())
	}
}

// The cache holds at most about MaxCached entries however many networks
// are looked up; a network asked for again and again stays in it, and one
// not asked for in a while is asked of the registry again.
func TestCacheBounded(t *testing.T) {
	var perNet sync.Map // "b1.b2" -> *atomic.Int64
	srv := newWhoisServer(t, func(q string) string {
		a, err := netip.ParseAddr(q)
		if err != nil {
			return "% bad query\n"
		}
		b := a.As4()
		n, _ := perNet.LoadOrStore(fmt.Sprintf("%d.%d", b[1], b[2]), new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		return fmt.Sprintf("inetnum:        %d.%d.%d.0 - %d.%d.%d.255\nnetname:        NET\ncountry:        GB\nabuse-mailbox:  abuse@example.net\n",
			b[0], b[1], b[2], b[0], b[1], b[2])
	})
	const max = 100
	c := &Client{WhoisServer: srv.Addr(), RateLimits: noLimits(), MaxCached: max}
	ctx := context.Background()
	hot := netip.MustParseAddr("81.200.1.1")
	queries := func(a netip.Addr) int64 {
		b := a.As4()
		n, ok := perNet.Load(fmt.Sprintf("%d.%d", b[1], b[2]))
		if !ok {
			return 0
		}
		return n.(*atomic.Int64).Load()
	}
	first := netip.AddrFrom4([4]byte{81, 0, 0, 1})
	for i := range 2000 {
		a := netip.AddrFrom4([4]byte{81, byte(i / 250), byte(i % 250), 1})
		if _, err := c.Lookup(ctx, a); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := c.Lookup(ctx, hot); err != nil {
				t.Fatal(err)
			}
		}
		c.mu.Lock()
		n := len(c.cache) + len(c.oldCache)
		c.mu.Unlock()
		if n > max+2*65 {
			t.Fatalf("after %d networks the cache holds %d entries, cap %d", i+1, n, max)
		}
	}
	if n := queries(hot); n != 1 {
		t.Errorf("the network in use was asked of the registry %d times, want 1", n)
	}
	if _, err := c.Lookup(ctx, first); err != nil {
		t.Fatal(err)
	}
	if n := queries(first); n != 2 {
		t.Errorf("the first network, not asked for since, was asked %d times, want 2 (dropped from the cache)", n)
	}
}
