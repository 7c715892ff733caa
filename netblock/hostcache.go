package netblock

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
)

// Registry host names (whois.ripe.net, rdap.arin.net, the servers the
// caller named) are resolved once per Client: a bulk run asks the same few
// names for every lookup. Answers are kept for the Client's lifetime,
// negative ones (no such host, no address) too; a failure that may pass
// (a time-out, a server failure) and a lookup cut short by the caller's
// context are not kept, so a later lookup asks again.

type hostEntry struct {
	done  chan struct{}
	addrs []netip.Addr
	err   error
}

type hostCache struct {
	mu      sync.Mutex
	entries map[string]*hostEntry
}

// resolveHost returns the addresses of host, from the cache when it has
// been asked before.
func (c *Client) resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	hc := &c.hosts
	hc.mu.Lock()
	if hc.entries == nil {
		hc.entries = map[string]*hostEntry{}
	}
	e, ok := hc.entries[host]
	if !ok {
		e = &hostEntry{done: make(chan struct{})}
		hc.entries[host] = e
	}
	hc.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.addrs, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	res := c.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	e.addrs, e.err = res.LookupNetIP(ctx, "ip", host)
	if e.err == nil && len(e.addrs) == 0 {
		e.err = &net.DNSError{Err: "no address", Name: host, IsNotFound: true}
	}
	var de *net.DNSError
	negative := errors.As(e.err, &de) && de.IsNotFound
	if e.err != nil && (!negative || ctx.Err() != nil) {
		hc.mu.Lock()
		delete(hc.entries, host)
		hc.mu.Unlock()
	}
	close(e.done)
	return e.addrs, e.err
}

// dialHost dials address ("host:port") at the cached addresses of its host,
// in the resolver's order, and returns the first connection made.
func (c *Client) dialHost(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := c.resolveHost(ctx, host)
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		a = a.Unmap()
		if network == "tcp4" && !a.Is4() || network == "tcp6" && !a.Is6() {
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if first == nil {
		first = &net.DNSError{Err: "no address for " + network, Name: host, IsNotFound: true}
	}
	return nil, first
}
