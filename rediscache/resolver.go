package rediscache

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver answers the DNS questions of trace.Lookups (it satisfies
// trace.DNSResolver, and with LookupTXT, LookupMX and LookupIPAddr what
// the authentication checks ask: DKIM and ARC keys, DMARC and SPF), through
// the shared cache. A nil Cache asks Source every time.
type Resolver struct {
	Cache  *Cache
	Source Querier
}

// DNS returns a Resolver that asks src behind c.
func (c *Cache) DNS(src Querier) *Resolver { return &Resolver{Cache: c, Source: src} }

// dnsValue is a DNS answer as stored in Redis.
type dnsValue struct {
	NotFound bool     `json:"nx,omitempty"`
	Records  []string `json:"r,omitempty"`
}

// query answers one question, from the cache when it can.
func (r *Resolver) query(ctx context.Context, name string, qtype uint16) (Answer, error) {
	name = strings.ToLower(dns.Fqdn(name))
	if r.Cache == nil {
		return r.Source.Query(ctx, name, qtype)
	}
	c := r.Cache
	key := c.opt.Prefix + "dns:" + typeName(qtype) + ":" + name
	var ans Answer
	q := &question{
		keys: []string{key},
		lock: c.opt.Prefix + "lock:dns:" + typeName(qtype) + ":" + name,
		pick: func(vals []any) bool {
			s, ok := vals[0].(string)
			if !ok {
				return false
			}
			var v dnsValue
			if json.Unmarshal([]byte(s), &v) != nil {
				return false
			}
			ans = Answer{Records: v.Records, NotFound: v.NotFound}
			return true
		},
		ask: func(ctx context.Context) ([]entry, error) {
			a, err := r.Source.Query(ctx, name, qtype)
			if err != nil {
				return nil, err
			}
			ans = a
			ttl := min(a.TTL, c.opt.MaxDNSTTL)
			if ttl < time.Second {
				return nil, nil // not to be kept (RFC 2308: no SOA, no negative caching)
			}
			b, _ := json.Marshal(dnsValue{NotFound: a.NotFound, Records: a.Records})
			return []entry{{key, b, ttl}}, nil
		},
	}
	err := c.fetch(ctx, q)
	return ans, err
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// LookupAddr returns the PTR names of addr, with trailing dots, like
// net.Resolver.LookupAddr: names that are not valid host names are
// dropped, and an error comes only when none is left.
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	a, err := r.query(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	if a.NotFound {
		return nil, notFound(addr)
	}
	var names []string
	for _, n := range a.Records {
		if validHostName(n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, &net.DNSError{Err: "DNS response contained records which contain invalid names", Name: addr}
	}
	return names, nil
}

// LookupNetIP returns host's addresses: network "ip4" asks A, "ip6" AAAA
// and "ip" both at once (A first in the result).
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	var types []uint16
	switch network {
	case "ip4":
		types = []uint16{dns.TypeA}
	case "ip6":
		types = []uint16{dns.TypeAAAA}
	case "ip":
		types = []uint16{dns.TypeA, dns.TypeAAAA}
	default:
		return nil, &net.DNSError{Err: "unsupported network " + network, Name: host}
	}
	answers := make([]Answer, len(types))
	errs := make([]error, len(types))
	done := make(chan struct{}, len(types))
	for i, t := range types {
		go func() {
			answers[i], errs[i] = r.query(ctx, host, t)
			done <- struct{}{}
		}()
	}
	for range types {
		<-done
	}
	var out []netip.Addr
	var firstErr error
	for i := range types {
		if errs[i] != nil {
			if firstErr == nil {
				firstErr = errs[i]
			}
			continue
		}
		for _, s := range answers[i].Records {
			if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, a)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, notFound(host)
}

// LookupTXT returns name's TXT records, each record's strings joined.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := r.query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	if a.NotFound {
		return nil, notFound(name)
	}
	return a.Records, nil
}

// validHostName is net's rule for names in answers: letters, digits,
// hyphens and underscores in labels of 1 to 63 bytes, 253 bytes in all,
// no label starting or ending with a hyphen.
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// LookupMX returns name's MX records sorted by preference, like
// net.Resolver.LookupMX (which also shuffles equal preferences; this keeps
// the answer's order).
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := r.query(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	if a.NotFound {
		return nil, notFound(name)
	}
	var out []*net.MX
	for _, rec := range a.Records {
		pref, host, ok := strings.Cut(rec, " ")
		p, err := strconv.ParseUint(pref, 10, 16)
		if !ok || err != nil || !validHostName(host) && host != "." {
			continue
		}
		out = append(out, &net.MX{Host: host, Pref: uint16(p)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pref < out[j].Pref })
	return out, nil
}

// LookupIPAddr returns host's IPv4 and IPv6 addresses, like
// net.Resolver.LookupIPAddr.
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
	}
	return out, nil
}
