package trace

import (
	"context"
	"net"
	"strings"

	"github.com/spamtrace/spamtrace/auth"
)

// authDNS puts the questions of the authentication checks (DKIM and ARC
// keys, DMARC and SPF policies, SPF's MX, address and PTR questions)
// through the Lookups' memo, concurrency cap and time-out, like the hop
// lookups: a bulk run asks for each signer's key once, not once a
// message. A negative answer is remembered for the run too.
type authDNS struct {
	l   *Lookups
	txt TXTResolver
	spf auth.SPFResolver // nil when the resolver cannot answer SPF's questions
}

func (d *authDNS) LookupTXT(ctx context.Context, name string) ([]string, error) {
	e := d.l.memoize(ctx, "txt", strings.ToLower(name), func(ctx context.Context, e *memoEntry) {
		e.names, e.err = d.txt.LookupTXT(ctx, name)
	})
	return e.names, e.err
}

func (d *authDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	e := d.l.memoize(ctx, "mx", strings.ToLower(name), func(ctx context.Context, e *memoEntry) {
		e.mx, e.err = d.spf.LookupMX(ctx, name)
	})
	return e.mx, e.err
}

func (d *authDNS) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	e := d.l.memoize(ctx, "ipaddr", strings.ToLower(host), func(ctx context.Context, e *memoEntry) {
		e.ipaddrs, e.err = d.spf.LookupIPAddr(ctx, host)
	})
	return e.ipaddrs, e.err
}

func (d *authDNS) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	e := d.l.memoize(ctx, "addr", addr, func(ctx context.Context, e *memoEntry) {
		e.names, e.err = d.spf.LookupAddr(ctx, addr)
	})
	return e.names, e.err
}
