package netblock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/likexian/whois"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/spamtrace/spamtrace/internal/iana"
)

// Client looks up netblocks. Its zero value queries the real registries:
// RDAP first (the IANA bootstrap registry is embedded), then whois with
// referrals followed from registry to registry. A Client caches what it
// learns, up to MaxCached entries, and is safe for concurrent use; do not
// change its fields after the first Lookup.
type Client struct {
	// WhoisServer, "host:port", receives every whois query (tests, private
	// mirrors). Setting it turns RDAP off unless RDAPServer is also set.
	WhoisServer string

	// WhoisServers maps a registry's whois host ("whois.ripe.net") to the
	// "host:port" to dial for it instead, so referral chains can be
	// followed across test servers. Referral rules are unchanged.
	WhoisServers map[string]string

	// RDAPServer is a base URL: RDAP queries go to RDAPServer/ip/ADDR.
	// Setting it turns whois off unless WhoisServer is also set. It may be
	// http and on any port (it is the caller's choice); redirects from it
	// are still held to the rules for registry URLs.
	RDAPServer string

	// Resolver answers every DNS question the client asks (the whois
	// hosts' and RDAP hosts' addresses). Nil means net.DefaultResolver.
	Resolver *net.Resolver

	// HTTPClient is used for RDAP. Nil means a client whose dialer uses
	// Resolver and refuses loopback, private and other special-purpose
	// addresses (unless RDAPServer is set).
	HTTPClient *http.Client

	// QueryTimeout caps one query (a whois exchange or an RDAP request).
	// Zero means 10 seconds.
	QueryTimeout time.Duration

	// LookupTimeout caps one Lookup, referrals included. Zero means 30
	// seconds.
	LookupTimeout time.Duration

	// MaxAnswerBytes caps one answer; a longer one is cut and reported as
	// truncated. Zero means 1 MiB.
	MaxAnswerBytes int64

	// MaxReferrals caps the whois referrals followed per lookup. Zero means 3.
	MaxReferrals int

	// MaxRedirects caps the HTTP redirects followed per RDAP request. Zero
	// means 3.
	MaxRedirects int

	// MaxConcurrent caps the registry queries in flight at once. Zero
	// means 8.
	MaxConcurrent int

	// RateLimits gives the minimum interval between two queries to one
	// registry host. Nil means DefaultRateLimits; an empty map means none.
	RateLimits map[string]time.Duration

	// MaxCached caps the cache's entries (a netblock is filed under each
	// of the prefixes its range covers, at most 65). Zero means 100,000
	// (some tens of megabytes at most). The cache is kept in two
	// generations: once the newer holds half the cap, it becomes the
	// older and the one before is dropped; a netblock found in the older
	// generation is filed again in the newer. So networks in use stay,
	// and a long-running server's cache does not grow past the cap.
	MaxCached int

	once     sync.Once
	boot     *bootstrap
	bootErr  error
	sem      chan struct{}
	mu       sync.Mutex
	cache    map[netip.Prefix]*Netblock // the newer generation
	oldCache map[netip.Prefix]*Netblock // the older one
	inflight map[netip.Prefix]*call
	next     map[string]time.Time
	httpc    *http.Client
	hosts    hostCache
	// rdapHost is RDAPServer's host:port, the one HTTP destination exempt
	// from the no-loopback/no-private check.
	rdapHost string

	// Queries counts the queries sent, per registry host (RDAP hosts too).
	statsMu sync.Mutex
	stats   map[string]int
}

// DefaultRateLimits spaces queries to the registries that block heavy
// users (RIPE NCC and LACNIC publish daily and per-minute limits).
var DefaultRateLimits = map[string]time.Duration{
	"whois.ripe.net":   500 * time.Millisecond,
	"rdap.db.ripe.net": 500 * time.Millisecond,
	"whois.lacnic.net": 2 * time.Second,
	"rdap.lacnic.net":  2 * time.Second,
}

type call struct {
	done chan struct{}
}

func (c *Client) init() {
	c.once.Do(func() {
		c.boot, c.bootErr = parseBootstrap(bootstrapIPv4, bootstrapIPv6)
		n := c.MaxConcurrent
		if n <= 0 {
			n = 8
		}
		c.sem = make(chan struct{}, n)
		c.cache = map[netip.Prefix]*Netblock{}
		c.inflight = map[netip.Prefix]*call{}
		c.next = map[string]time.Time{}
		c.stats = map[string]int{}
		if u, err := url.Parse(c.RDAPServer); err == nil && c.RDAPServer != "" {
			port := u.Port()
			if port == "" {
				port = "80"
				if u.Scheme == "https" {
					port = "443"
				}
			}
			c.rdapHost = net.JoinHostPort(u.Hostname(), port)
		}
		c.httpc = c.HTTPClient
		if c.httpc == nil {
			c.httpc = &http.Client{Transport: &http.Transport{
				DialContext:         c.dialHTTP,
				TLSHandshakeTimeout: c.queryTimeout(),
				MaxIdleConnsPerHost: 4,
			}}
		}
	})
}

func (c *Client) queryTimeout() time.Duration {
	if c.QueryTimeout > 0 {
		return c.QueryTimeout
	}
	return 10 * time.Second
}

func (c *Client) lookupTimeout() time.Duration {
	if c.LookupTimeout > 0 {
		return c.LookupTimeout
	}
	return 30 * time.Second
}

func (c *Client) maxBytes() int64 {
	if c.MaxAnswerBytes > 0 {
		return c.MaxAnswerBytes
	}
	return 1 << 20
}

func (c *Client) maxReferrals() int {
	if c.MaxReferrals > 0 {
		return c.MaxReferrals
	}
	return 3
}

func (c *Client) maxRedirects() int {
	if c.MaxRedirects > 0 {
		return c.MaxRedirects
	}
	return 3
}

func (c *Client) useRDAP() bool  { return c.RDAPServer != "" || c.WhoisServer == "" }
func (c *Client) useWhois() bool { return c.WhoisServer != "" || c.RDAPServer == "" }

// Queries returns how many queries the client has sent to each host.
func (c *Client) Queries() map[string]int {
	c.init()
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	out := make(map[string]int, len(c.stats))
	for k, v := range c.stats {
		out[k] = v
	}
	return out
}

func (c *Client) count(host string) {
	c.statsMu.Lock()
	c.stats[host]++
	c.statsMu.Unlock()
}

// Lookup finds the netblock holding addr and its abuse contacts. The
// Netblock is returned with ErrNoAbuseContact when the registry knows the
// network but registers no abuse contact; other errors come with a nil
// Netblock.
func (c *Client) Lookup(ctx context.Context, addr netip.Addr) (*Netblock, error) {
	c.init()
	if c.bootErr != nil {
		return nil, fmt.Errorf("netblock: bootstrap: %w", c.bootErr)
	}
	addr = addr.Unmap().WithZone("")
	if !iana.Public(addr) {
		return nil, ErrNotGlobal
	}
	bits := 24
	if addr.Is6() {
		bits = 48
	}
	bucket, _ := addr.Prefix(bits)
	for {
		// The cache is looked at under the same lock that registers a
		// lookup in flight: a lookup that finished between the two
		// would otherwise be asked again.
		c.mu.Lock()
		if nb := c.cachedLocked(addr); nb != nil {
			c.mu.Unlock()
			return finish(nb)
		}
		if cl, ok := c.inflight[bucket]; ok {
			c.mu.Unlock()
			select {
			case <-cl.done:
				continue // the other lookup may have cached our network
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		cl := &call{done: make(chan struct{})}
		c.inflight[bucket] = cl
		c.mu.Unlock()
		nb, err := c.lookup(ctx, addr)
		if nb != nil {
			c.store(nb)
		}
		c.mu.Lock()
		delete(c.inflight, bucket)
		c.mu.Unlock()
		close(cl.done)
		if nb == nil {
			return nil, err
		}
		return finish(nb)
	}
}

// finish returns a copy of a cached netblock and the error it carries.
func finish(nb *Netblock) (*Netblock, error) {
	cp := *nb
	cp.Abuse = append([]Contact(nil), nb.Abuse...)
	for _, a := range cp.Abuse {
		if a.Source == SourceRDAP || a.Source == SourceWhois {
			return &cp, nil
		}
	}
	return &cp, ErrNoAbuseContact
}

// cachedLocked returns the cached netblock holding a; c.mu is held.
func (c *Client) cachedLocked(a netip.Addr) *Netblock {
	if nb := findCached(c.cache, a); nb != nil {
		return nb
	}
	if nb := findCached(c.oldCache, a); nb != nil {
		c.fileLocked(nb) // in use: into the newer generation
		return nb
	}
	return nil
}

func findCached(m map[netip.Prefix]*Netblock, a netip.Addr) *Netblock {
	if len(m) == 0 {
		return nil
	}
	for bits := a.BitLen(); bits >= 0; bits-- {
		p, _ := a.Prefix(bits)
		if nb, ok := m[p]; ok && nb.Contains(a) {
			return nb
		}
	}
	return nil
}

func (c *Client) store(nb *Netblock) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fileLocked(nb)
}

// fileLocked files nb in the newer generation under the prefixes of its
// range (at most 64) and its own prefix, starting a new generation first
// when the newer one holds half the cap; c.mu is held.
func (c *Client) fileLocked(nb *Netblock) {
	if len(c.cache) >= c.maxCached()/2 {
		c.oldCache, c.cache = c.cache, make(map[netip.Prefix]*Netblock, len(c.cache))
	}
	if nb.First.IsValid() && nb.Last.IsValid() {
		n := 0
		for _, p := range rangePrefixes(nb.First, nb.Last) {
			c.cache[p] = nb
			if n++; n >= 64 {
				break
			}
		}
	}
	if nb.Prefix.IsValid() {
		c.cache[nb.Prefix] = nb
	}
}

func (c *Client) maxCached() int {
	if c.MaxCached > 0 {
		return max(c.MaxCached, 2)
	}
	return 100_000
}

func (c *Client) lookup(ctx context.Context, addr netip.Addr) (*Netblock, error) {
	ctx, cancel := context.WithTimeout(ctx, c.lookupTimeout())
	defer cancel()
	var (
		nb       *Netblock
		rdapErr  error
		whoisErr error
	)
	if c.useRDAP() {
		nb, rdapErr = c.rdap(ctx, addr)
	}
	if c.useWhois() && (nb == nil || !hasRegistered(nb.Abuse)) && !errors.Is(rdapErr, ErrNotGlobal) {
		var wnb *Netblock
		wnb, whoisErr = c.whois(ctx, addr)
		switch {
		case nb == nil:
			nb = wnb
		case wnb != nil:
			nb.Abuse = mergeContacts(nb.Abuse, wnb.Abuse)
		}
	}
	if nb == nil {
		switch {
		case rdapErr != nil && whoisErr != nil:
			return nil, fmt.Errorf("%w (rdap: %v)", whoisErr, rdapErr)
		case whoisErr != nil:
			return nil, whoisErr
		case rdapErr != nil:
			return nil, rdapErr
		}
		return nil, ErrNotFound
	}
	// Registered contacts first, remarks last.
	var reg, rest []Contact
	for _, a := range nb.Abuse {
		if a.Source == SourceRDAP || a.Source == SourceWhois {
			reg = append(reg, a)
		} else {
			rest = append(rest, a)
		}
	}
	nb.Abuse = append(reg, rest...)
	return nb, nil
}

func hasRegistered(cs []Contact) bool {
	for _, a := range cs {
		if a.Source == SourceRDAP || a.Source == SourceWhois {
			return true
		}
	}
	return false
}

func mergeContacts(a, b []Contact) []Contact {
	seen := map[string]bool{}
	var out []Contact
	for _, l := range [][]Contact{a, b} {
		for _, x := range l {
			k := strings.ToLower(x.Email)
			if !seen[k] {
				seen[k] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// wait applies the per-host rate limit and the concurrency cap. The
// returned function releases the slot.
func (c *Client) wait(ctx context.Context, host string) (func(), error) {
	// The rate limit first, so that queries queued for a slow registry
	// do not hold the concurrency slots others need.
	limits := c.RateLimits
	if limits == nil {
		limits = DefaultRateLimits
	}
	if d := limits[host]; d > 0 {
		c.mu.Lock()
		now := time.Now()
		at := c.next[host]
		if at.Before(now) {
			at = now
		}
		c.next[host] = at.Add(d)
		c.mu.Unlock()
		if w := time.Until(at); w > 0 {
			t := time.NewTimer(w)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.count(host)
	return func() { <-c.sem }, nil
}

// ---- RDAP ----

func (c *Client) rdap(ctx context.Context, addr netip.Addr) (*Netblock, error) {
	base := c.RDAPServer
	if base == "" {
		base = c.boot.rdapBase(addr)
		if base == "" {
			return nil, fmt.Errorf("netblock: no RDAP service for %s in the bootstrap registry", addr)
		}
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	body, host, err := c.rdapGet(ctx, base+"ip/"+addr.String())
	if err != nil {
		return nil, err
	}
	res, err := parseRDAP(body, addr)
	if err != nil {
		return nil, err
	}
	nb := res.nb
	if nb.Registry == "" {
		nb.Registry = registryFromWhoisHost(rdapHosts[host])
	}
	nb.Server = host
	// An abuse entity without an e-mail: follow its link once.
	if !hasRegistered(nb.Abuse) && len(res.needEntity) > 0 {
		u := res.needEntity[0]
		if pu, err := url.Parse(u); err == nil && (safeRDAPURL(pu) || c.RDAPServer != "" && strings.HasPrefix(u, strings.TrimSuffix(c.RDAPServer, "/")+"/")) {
			if eb, _, err := c.rdapGet(ctx, u); err == nil {
				h, emails := parseRDAPEntity(eb)
				for _, m := range emails {
					nb.Abuse = mergeContacts(nb.Abuse, []Contact{{Email: m, Source: SourceRDAP, Handle: h, Scope: "abuse"}})
				}
			}
		}
	}
	return nb, nil
}

// rdapGet fetches one RDAP URL, following at most MaxRedirects redirects
// to safe registry URLs, and returns the body and the final host.
func (c *Client) rdapGet(ctx context.Context, u string) ([]byte, string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, "", fmt.Errorf("netblock: RDAP URL: %w", err)
	}
	release, err := c.wait(ctx, pu.Hostname())
	if err != nil {
		return nil, "", err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, c.queryTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/rdap+json")
	hc := *c.httpc
	redirects := 0
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		redirects++
		if redirects > c.maxRedirects() {
			return fmt.Errorf("netblock: more than %d RDAP redirects", c.maxRedirects())
		}
		if !safeRDAPURL(r.URL) {
			return fmt.Errorf("netblock: RDAP redirect to %q refused: registry URLs are https host names on port 443", r.URL.Redacted())
		}
		c.count(r.URL.Hostname())
		return nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("netblock: RDAP: %w", err)
	}
	defer resp.Body.Close()
	host := resp.Request.URL.Hostname()
	max := c.maxBytes()
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, host, fmt.Errorf("netblock: RDAP read: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, host, ErrRateLimited
	case resp.StatusCode == http.StatusNotFound:
		return nil, host, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return nil, host, fmt.Errorf("netblock: RDAP %s: HTTP %d", host, resp.StatusCode)
	}
	if int64(len(body)) > max {
		return nil, host, ErrTruncated
	}
	if len(body) == 0 {
		return nil, host, ErrEmptyAnswer
	}
	return body, host, nil
}

// dialHTTP dials RDAP servers through Resolver and refuses addresses no
// registry has (loopback, private, special-purpose), except the one server
// the caller chose with RDAPServer (a redirect from it to any other host is
// checked as usual).
func (c *Client) dialHTTP(ctx context.Context, network, address string) (net.Conn, error) {
	d := net.Dialer{Timeout: c.queryTimeout()}
	conn, err := c.dialHost(ctx, &d, network, address)
	if err != nil {
		return nil, err
	}
	if c.rdapHost == "" || !strings.EqualFold(address, c.rdapHost) {
		if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
			a := ap.Addr().Unmap()
			if !iana.Public(a) {
				conn.Close()
				// rdapGet adds "netblock: RDAP: "
				return nil, fmt.Errorf("RDAP host %s resolves to %s, which no registry uses", address, a)
			}
		}
	}
	return conn, nil
}

// ---- whois ----

func (c *Client) whoisStart(addr netip.Addr) string {
	if base := c.boot.rdapBase(addr); base != "" {
		if h := whoisForRDAP(base); h != "" {
			return h
		}
	}
	return "whois.iana.org"
}

func (c *Client) whois(ctx context.Context, addr netip.Addr) (*Netblock, error) {
	return c.whoisFrom(ctx, c.whoisStart(addr), addr)
}

// whoisFrom asks host first and follows referrals from there.
func (c *Client) whoisFrom(ctx context.Context, host string, addr netip.Addr) (*Netblock, error) {
	c.init()
	var fallback *Netblock
	visited := map[string]bool{}
	for depth := 0; ; depth++ {
		visited[host] = true
		answer, truncated, err := c.whoisQuery(ctx, host, registries[host].query(addr))
		if err != nil && answer == "" {
			if fallback != nil {
				return fallback, nil
			}
			return nil, err
		}
		res, perr := parseWhois(answer, addr)
		if perr != nil {
			if truncated && errors.Is(perr, ErrTruncated) || truncated && perr == nil && res.nb == nil {
				perr = ErrTruncated
			}
			if fallback != nil && !errors.Is(perr, ErrRateLimited) {
				return fallback, nil
			}
			return nil, fmt.Errorf("%w (%s)", perr, host)
		}
		if res.nb != nil {
			res.nb.Registry = registries[host].name
			res.nb.Server = host
		}
		if res.referral != "" {
			target, ok := normWhoisTarget(res.referral)
			if !ok {
				if res.nb != nil {
					return res.nb, nil
				}
				return nil, fmt.Errorf("%w: %q (from %s)", ErrReferralRefused, res.referral, host)
			}
			if !visited[target] {
				if depth+1 > c.maxReferrals() {
					if res.nb != nil {
						return res.nb, nil
					}
					return nil, fmt.Errorf("netblock: more than %d whois referrals", c.maxReferrals())
				}
				if res.nb != nil {
					fallback = res.nb
				}
				host = target
				continue
			}
		}
		if res.nb == nil {
			if fallback != nil {
				return fallback, nil
			}
			return nil, ErrNotFound
		}
		if fallback != nil && res.nb.Parent == (netip.Prefix{}) && fallback.Prefix.Contains(res.nb.First) && fallback.Prefix != res.nb.Prefix {
			res.nb.Parent = fallback.Prefix
		}
		return res.nb, nil
	}
}

// whoisQuery sends one query to a registry host through
// github.com/likexian/whois, with a dialer that enforces the registry list,
// the answer cap and ctx.
func (c *Client) whoisQuery(ctx context.Context, host, query string) (answer string, truncated bool, err error) {
	if _, ok := registries[host]; !ok {
		return "", false, fmt.Errorf("%w: %s", ErrReferralRefused, host)
	}
	release, err := c.wait(ctx, host)
	if err != nil {
		return "", false, err
	}
	defer release()
	qctx, cancel := context.WithTimeout(ctx, c.queryTimeout())
	defer cancel()
	d := &whoisDialer{ctx: qctx, c: c, max: c.maxBytes()}
	wc := whois.NewClient().SetDialer(d).SetTimeout(c.queryTimeout()).SetDisableStats(true).SetDisableReferral(true)
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := wc.Whois(query, host)
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && r.s == "" {
			if qctx.Err() != nil {
				return "", false, fmt.Errorf("netblock: whois %s: %w", host, qctx.Err())
			}
			return "", d.truncated(), fmt.Errorf("netblock: whois %s: %w", host, r.err)
		}
		return r.s, d.truncated(), nil
	case <-qctx.Done():
		d.closeAll()
		return "", false, fmt.Errorf("netblock: whois %s: %w", host, qctx.Err())
	}
}

// whoisDialer dials registry whois servers for github.com/likexian/whois.
type whoisDialer struct {
	ctx   context.Context
	c     *Client
	max   int64
	mu    sync.Mutex
	conns []*capConn
}

func (d *whoisDialer) Dial(network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	host = strings.ToLower(host)
	if _, ok := registries[host]; !ok || port != "43" {
		return nil, fmt.Errorf("%w: %s", ErrReferralRefused, address)
	}
	target := address
	if t, ok := d.c.WhoisServers[host]; ok {
		target = t
	} else if d.c.WhoisServer != "" {
		target = d.c.WhoisServer
	}
	nd := net.Dialer{Timeout: d.c.queryTimeout()}
	conn, err := d.c.dialHost(d.ctx, &nd, network, target)
	if err != nil {
		return nil, err
	}
	cc := &capConn{Conn: conn, left: d.max}
	d.mu.Lock()
	d.conns = append(d.conns, cc)
	d.mu.Unlock()
	go func() {
		<-d.ctx.Done()
		conn.Close()
	}()
	return cc, nil
}

func (d *whoisDialer) truncated() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		if c.cut {
			return true
		}
	}
	return false
}

func (d *whoisDialer) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
}

// capConn ends reading after a byte budget, so a hostile server cannot
// make the client buffer without limit.
type capConn struct {
	net.Conn
	left int64
	cut  bool
}

func (c *capConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.cut = true
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}

// ---- helpers ----

// FallbackContacts returns abuse@ and postmaster@ the registered domain
// of a host's verified reverse DNS name (RFC 2142 section 2 and 4), marked
// SourceFallback: the last rung of the abuse ladder, for when no registry
// lists a contact. The name must have been forward-confirmed by the caller;
// an unverified name would let the sender choose where reports go.
func FallbackContacts(rdnsName string) []Contact {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(rdnsName), "."))
	if h == "" || !strings.Contains(h, ".") {
		return nil
	}
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	} else {
		return nil
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return nil
	}
	return []Contact{
		{Email: "abuse@" + d, Source: SourceFallback, Scope: "rfc2142"},
		{Email: "postmaster@" + d, Source: SourceFallback, Scope: "rfc2142"},
	}
}
