package trace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/spamtrace/spamtrace/internal/iana"
	"github.com/spamtrace/spamtrace/netblock"
)

// DNSResolver is the DNS a Lookups uses. *net.Resolver satisfies it.
type DNSResolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NetblockFinder finds who owns an address. *netblock.Client satisfies it.
type NetblockFinder interface {
	Lookup(ctx context.Context, addr netip.Addr) (*netblock.Netblock, error)
}

// GeoFinder maps an address to a place and a network. *GeoDB satisfies it.
type GeoFinder interface {
	Geo(addr netip.Addr) (GeoInfo, error)
}

// GeoInfo is what a GeoIP or ASN database says about an address.
type GeoInfo struct {
	Country string // ISO 3166-1 alpha-2
	City    string
	ASN     uint
	ASOrg   string
}

// Lookups resolves what the headers cannot prove, for each hop's
// connecting address: reverse DNS with forward confirmation, GeoIP and
// ASN, DNSBL listings, and the netblock owner with its abuse contact. Set
// it on a Tracer to turn lookups on; nothing is asked of the network
// otherwise.
//
// A Lookups caches answers (by address, by name and query type, by
// network), up to MaxCached of them, merges identical questions in flight,
// and is safe for concurrent use by many traces: a bulk run with one
// Lookups asks each distinct question once while the answers fit in the
// cache, and a long-running server's cache does not grow past the cap.
type Lookups struct {
	// DNS answers PTR, A/AAAA and DNSBL questions. Nil means no DNS
	// lookups (no PTR, no forward confirmation, no DNSBL).
	DNS DNSResolver

	// DNSBL zones to ask about untrusted addresses, e.g.
	// "zen.spamhaus.org", "bl.spamcop.net". Nil means none.
	DNSBL []string

	// Geo databases, asked in order; later ones fill what earlier ones
	// lack (a City database then an ASN database). Nil means none.
	Geo []GeoFinder

	// Netblocks finds the owner and abuse contact of the origin and the
	// other untrusted hops. Nil means none.
	Netblocks NetblockFinder

	// Timeout caps one DNS or registry question. Zero means 5 seconds.
	Timeout time.Duration

	// Budget caps the lookups of one message. Zero means 30 seconds; what
	// is not answered by then is reported in the hop's Errors.
	Budget time.Duration

	// Concurrency caps the questions in flight across all traces. Zero
	// means 32.
	Concurrency int

	// MaxCached caps the answers kept. Zero means 200,000 (some tens of
	// megabytes at most). The cache is kept in two generations: once
	// the newer holds half the cap, it becomes the older and the one
	// before is dropped; an answer asked for again from the older
	// generation moves to the newer. So answers in use stay, and what
	// has not been asked for in a while goes.
	MaxCached int

	once  sync.Once
	sem   chan struct{}
	mu    sync.Mutex
	memo  map[string]*memoEntry // the newer generation
	old   map[string]*memoEntry // the older one
	stats map[string]int
}

type memoEntry struct {
	done  chan struct{}
	names []string
	addrs []netip.Addr
	nb    *netblock.Netblock
	// the authentication checks' answers (authdns.go)
	mx      []*net.MX
	ipaddrs []net.IPAddr
	err     error
}

func (l *Lookups) init() {
	l.once.Do(func() {
		n := l.Concurrency
		if n <= 0 {
			n = 32
		}
		l.sem = make(chan struct{}, n)
		l.memo = map[string]*memoEntry{}
		l.stats = map[string]int{}
	})
}

func (l *Lookups) timeout() time.Duration {
	if l.Timeout > 0 {
		return l.Timeout
	}
	return 5 * time.Second
}

// Questions returns how many questions of each kind were sent ("ptr",
// "ip", "dnsbl", "netblock"), cache hits not counted.
func (l *Lookups) Questions() map[string]int {
	l.init()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.stats {
		out[k] = v
	}
	return out
}

func (l *Lookups) maxCached() int {
	if l.MaxCached > 0 {
		return l.MaxCached
	}
	return 200_000
}

// cached returns the entry of k, moving it from the older generation to
// the newer, or stores a new one (reported by ok false). l.mu is held.
func (l *Lookups) cached(k string) (e *memoEntry, ok bool) {
	if e, ok = l.memo[k]; ok {
		return e, true
	}
	if e, ok = l.old[k]; ok {
		delete(l.old, k)
	} else {
		e = &memoEntry{done: make(chan struct{})}
	}
	if len(l.memo) >= max(l.maxCached()/2, 1) {
		l.old, l.memo = l.memo, make(map[string]*memoEntry, len(l.memo))
	}
	l.memo[k] = e
	return e, ok
}

// memoize runs fn once per key while its answer is cached; concurrent
// callers with the same key wait for the first.
func (l *Lookups) memoize(ctx context.Context, kind, key string, fn func(ctx context.Context, e *memoEntry)) *memoEntry {
	l.mu.Lock()
	e, ok := l.cached(kind + " " + key)
	if !ok {
		l.stats[kind]++
	}
	l.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e
		case <-ctx.Done():
			return &memoEntry{err: ctx.Err()}
		}
	}
	func() {
		defer close(e.done)
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			e.err = ctx.Err()
			return
		}
		defer func() { <-l.sem }()
		qctx, cancel := context.WithTimeout(ctx, l.timeout())
		defer cancel()
		fn(qctx, e)
	}()
	// A question cut short by the caller's budget is not an answer: let a
	// later trace ask again. (A socket deadline set from ctx can end the
	// question a moment before ctx's own timer fires: go by the clock.)
	if dl, ok := ctx.Deadline(); e.err != nil && (ctx.Err() != nil || ok && !time.Now().Before(dl)) {
		l.mu.Lock()
		if k := kind + " " + key; l.memo[k] == e {
			delete(l.memo, k)
		} else if l.old[k] == e {
			delete(l.old, k)
		}
		l.mu.Unlock()
	}
	return e
}

func (l *Lookups) ptr(ctx context.Context, a netip.Addr) ([]string, error) {
	e := l.memoize(ctx, "ptr", a.String(), func(ctx context.Context, e *memoEntry) {
		names, err := l.DNS.LookupAddr(ctx, a.String())
		// An invalid name in the answer comes with the valid ones and an
		// error: keep the names.
		for _, n := range names {
			e.names = append(e.names, strings.TrimSuffix(n, "."))
		}
		if len(e.names) == 0 {
			e.err = err
		}
	})
	return e.names, e.err
}

func (l *Lookups) forward(ctx context.Context, name string) ([]netip.Addr, error) {
	e := l.memoize(ctx, "ip", strings.ToLower(name), func(ctx context.Context, e *memoEntry) {
		e.addrs, e.err = l.DNS.LookupNetIP(ctx, "ip", name+".")
	})
	return e.addrs, e.err
}

func (l *Lookups) dnsblQuery(ctx context.Context, q string) ([]netip.Addr, error) {
	e := l.memoize(ctx, "dnsbl", q, func(ctx context.Context, e *memoEntry) {
		e.addrs, e.err = l.DNS.LookupNetIP(ctx, "ip4", q)
	})
	return e.addrs, e.err
}

func (l *Lookups) netblockOf(ctx context.Context, a netip.Addr) (*netblock.Netblock, error) {
	// Networks are cached by the finder itself (netblock.Client caches by
	// prefix); the memo merges identical questions in flight.
	e := l.memoize(ctx, "netblock", a.String(), func(ctx context.Context, e *memoEntry) {
		e.nb, e.err = l.Netblocks.Lookup(ctx, a)
	})
	return e.nb, e.err
}

// resolve looks up every hop of tr. Each hop's failures stay on that hop.
func (l *Lookups) resolve(ctx context.Context, tr *Trace) {
	l.init()
	budget := l.Budget
	if budget <= 0 {
		budget = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var wg sync.WaitGroup
	for i := range tr.Hops {
		h := &tr.Hops[i]
		a := h.Received.From.IP.Unmap().WithZone("")
		if !a.IsValid() {
			continue
		}
		lk := &Lookup{IP: a, Claimed: h.Received.From.RDNS, Registry: netblock.Registry(a)}
		if e, ok := iana.SpecialPurpose(a); ok {
			lk.Special = e.Name + " (" + e.RFC + ")"
		}
		h.Lookup = lk
		if !iana.Public(a) {
			continue // never ask the world about private or special addresses
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.resolveHop(ctx, tr, h)
		}()
	}
	wg.Wait()
	l.findings(tr)
}

func (l *Lookups) resolveHop(ctx context.Context, tr *Trace, h *Hop) {
	lk := h.Lookup
	a := lk.IP
	var errs []string
	fail := func(what string, err error) {
		msg := err.Error()
		// netblock's errors already start "netblock: "
		if !strings.HasPrefix(msg, what+": ") {
			msg = what + ": " + msg
		}
		errs = append(errs, msg)
	}
	if l.DNS != nil {
		names, err := l.ptr(ctx, a)
		if err != nil && !isNotFound(err) {
			fail("ptr", err)
		}
		lk.PTR = names
		for _, n := range names {
			addrs, err := l.forward(ctx, n)
			if err != nil && !isNotFound(err) {
				fail("forward "+n, err)
			}
			for _, x := range addrs {
				if x.Unmap() == a {
					lk.FCrDNS = true
				}
			}
			if lk.FCrDNS {
				lk.Confirmed = n
				break
			}
		}
	}
	for _, g := range l.Geo {
		gi, err := g.Geo(a)
		if err != nil {
			fail("geoip", err)
			continue
		}
		if lk.Country == "" {
			lk.Country = gi.Country
		}
		if lk.City == "" {
			lk.City = gi.City
		}
		if lk.ASN == 0 {
			lk.ASN, lk.ASOrg = gi.ASN, gi.ASOrg
		}
	}
	untrusted := h.Trust != TrustTrusted
	if l.DNS != nil && untrusted && a.Is4() {
		for _, z := range l.DNSBL {
			b := a.As4()
			q := fmt.Sprintf("%d.%d.%d.%d.%s.", b[3], b[2], b[1], b[0], strings.TrimSuffix(z, "."))
			codes, err := l.dnsblQuery(ctx, q)
			if err != nil {
				if !isNotFound(err) {
					fail("dnsbl "+z, err)
				}
				continue
			}
			listing, ok := interpretDNSBL(z, codes)
			if !ok {
				fail("dnsbl "+z, fmt.Errorf("the zone refused the query (return codes %v)", codes))
				continue
			}
			lk.DNSBL = append(lk.DNSBL, listing)
		}
	}
	if l.Netblocks != nil && untrusted {
		nb, err := l.netblockOf(ctx, a)
		if err != nil && !errors.Is(err, netblock.ErrNoAbuseContact) {
			fail("netblock", err)
		}
		if nb != nil {
			cp := *nb
			cp.Abuse = append([]netblock.Contact(nil), nb.Abuse...)
			if lk.FCrDNS && len(lk.PTR) > 0 {
				// the abuse ladder's last rung: only from a verified name
				cp.Abuse = appendFallbacks(cp.Abuse, netblock.FallbackContacts(lk.PTR[0]))
			}
			lk.Netblock = &cp
		}
	}
	lk.Errors = errs
}

func appendFallbacks(cs, fb []netblock.Contact) []netblock.Contact {
	// Fallbacks go after registered contacts and before remarks.
	var reg, rest []netblock.Contact
	for _, c := range cs {
		if c.Source == netblock.SourceRemarks {
			rest = append(rest, c)
		} else {
			reg = append(reg, c)
		}
	}
	seen := map[string]bool{}
	for _, c := range reg {
		seen[strings.ToLower(c.Email)] = true
	}
	for _, c := range fb {
		if !seen[strings.ToLower(c.Email)] {
			reg = append(reg, c)
		}
	}
	return append(reg, rest...)
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// interpretDNSBL reads a blocklist's return codes. It reports false when
// the codes say the query itself was refused (Spamhaus 127.255.255.x:
// public resolver, rate limit), which is not a listing.
func interpretDNSBL(zone string, codes []netip.Addr) (DNSBLListing, bool) {
	l := DNSBLListing{Zone: zone}
	for _, c := range codes {
		b := c.As4()
		if b[0] != 127 {
			continue
		}
		if b[1] == 255 && b[2] == 255 {
			return l, false
		}
		l.Codes = append(l.Codes, c)
		l.Meaning = append(l.Meaning, dnsblMeaning(zone, b[3]))
	}
	if len(l.Codes) == 0 {
		return l, false
	}
	return l, true
}

func dnsblMeaning(zone string, last byte) string {
	z := strings.ToLower(strings.TrimSuffix(zone, "."))
	if strings.HasSuffix(z, "spamhaus.org") {
		switch {
		case last == 2:
			return "SBL (Spamhaus Block List: spam source)"
		case last == 3:
			return "SBL CSS (snowshoe spam)"
		case last >= 4 && last <= 7:
			return "XBL (exploited or infected host)"
		case last == 9:
			return "SBL DROP (hijacked netblock)"
		case last == 10 || last == 11:
			return "PBL (end-user range that should not send mail directly)"
		}
	}
	if strings.HasSuffix(z, "spamcop.net") && last == 2 {
		return "SpamCop: reported spam source"
	}
	return fmt.Sprintf("listed (127.0.0.%d)", last)
}

// findings adds what the lookups contradict or confirm.
func (l *Lookups) findings(tr *Trace) {
	for i := range tr.Hops {
		h := &tr.Hops[i]
		lk := h.Lookup
		if lk == nil {
			continue
		}
		if lk.Claimed != "" && len(lk.PTR) > 0 && !containsFold(lk.PTR, lk.Claimed) {
			sev := SeverityLow
			msg := fmt.Sprintf("the receiving MTA recorded reverse DNS %s for %s; today it is %s", lk.Claimed, lk.IP, strings.Join(lk.PTR, ", "))
			if h.Trust == TrustOrigin && registeredDomain(lk.Claimed) != "" && registeredDomain(lk.Claimed) != registeredDomain(lk.PTR[0]) {
				msg += " (another organisation: the address may have changed hands since)"
			}
			tr.Findings = append(tr.Findings, Finding{Rule: "rdns-changed", Category: CategoryRDNSMismatch, Severity: sev, Hop: h.Index, Message: msg, Evidence: lk.Claimed})
		}
		if h.Trust == TrustOrigin && len(lk.PTR) > 0 && !lk.FCrDNS {
			tr.Findings = append(tr.Findings, Finding{Rule: "fcrdns-fail", Category: CategoryRDNSMismatch, Severity: SeverityLow, Hop: h.Index,
				Message: fmt.Sprintf("the origin's reverse DNS %s does not resolve back to %s", lk.PTR[0], lk.IP), Evidence: lk.PTR[0]})
		}
		for _, d := range lk.DNSBL {
			sev := SeverityLow
			if h.Trust == TrustOrigin {
				sev = SeverityMedium
			}
			tr.Findings = append(tr.Findings, Finding{Rule: "dnsbl-listed", Category: CategoryDNSBL, Severity: sev, Hop: h.Index,
				Message: fmt.Sprintf("%s is listed on %s: %s", lk.IP, d.Zone, strings.Join(d.Meaning, "; ")), Evidence: lk.IP.String()})
		}
	}
	sortFindings(tr.Findings)
}

func containsFold(list []string, s string) bool {
	s = strings.TrimSuffix(s, ".")
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
