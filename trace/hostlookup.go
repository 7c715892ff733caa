package trace

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/internal/iana"
	"github.com/spamtrace/spamtrace/netblock"
)

// HostLookup is what resolvers found about a host name or address that a
// message mentions (a spamvertised web site), for reporting it to the
// network that hosts it.
type HostLookup struct {
	Host  string       // the name or address asked about
	Addrs []netip.Addr // its addresses (A and AAAA); the address itself for a literal
	// Netblock is the registry's answer for the first globally routable
	// address, with its abuse contacts; nil when none was found or asked.
	Netblock *netblock.Netblock
	Errors   []string // each failed lookup, "ip: ...", "netblock: ..."
}

// LookupHost resolves host (a name, or an IPv4 or IPv6 address) and finds
// the owner and abuse contact of the network its first public address is
// in. It shares the Lookups' caches, time-outs and concurrency cap with
// the hop lookups, and asks nothing about special-purpose addresses. The
// whole call is bounded by Budget.
func (l *Lookups) LookupHost(ctx context.Context, host string) HostLookup {
	l.init()
	budget := l.Budget
	if budget <= 0 {
		budget = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	hl := HostLookup{Host: host}
	if a, err := netip.ParseAddr(host); err == nil {
		hl.Addrs = []netip.Addr{a.Unmap().WithZone("")}
	} else if l.DNS != nil {
		addrs, err := l.forward(ctx, host)
		switch {
		case isNotFound(err):
			hl.Errors = append(hl.Errors, "ip: no such host")
		case err != nil:
			hl.Errors = append(hl.Errors, "ip: "+err.Error())
		}
		for _, a := range addrs {
			hl.Addrs = append(hl.Addrs, a.Unmap())
		}
	}
	if l.Netblocks == nil {
		return hl
	}
	for _, a := range hl.Addrs {
		if !iana.Public(a) {
			continue
		}
		nb, err := l.netblockOf(ctx, a)
		if err != nil && !errors.Is(err, netblock.ErrNoAbuseContact) {
			hl.Errors = append(hl.Errors, prefixOnce("netblock: ", err))
		}
		if nb != nil {
			cp := *nb
			cp.Abuse = append([]netblock.Contact(nil), nb.Abuse...)
			hl.Netblock = &cp
		}
		break
	}
	return hl
}

// prefixOnce puts prefix before err's text unless it already starts so.
func prefixOnce(prefix string, err error) string {
	if s := err.Error(); !strings.HasPrefix(s, prefix) {
		return prefix + s
	} else {
		return s
	}
}
