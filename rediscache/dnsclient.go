package rediscache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Querier asks DNS one question and says how long the answer may be kept.
// *DNSClient satisfies it.
type Querier interface {
	Query(ctx context.Context, name string, qtype uint16) (Answer, error)
}

// Answer is one DNS answer, reduced to what lookups use.
type Answer struct {
	// Records are the answer's data of the asked type, in order: PTR
	// targets (with the trailing dot), addresses in text form, TXT
	// records (each record's strings joined, as net.Resolver does), or
	// MX records as "preference host.".
	Records []string
	// NotFound is set for NXDOMAIN and for a name without records of the
	// type (NODATA, RFC 2308 section 2.2).
	NotFound bool
	// TTL is how long the answer may be kept: the smallest TTL of the
	// records, or for a negative answer the smaller of the SOA's TTL and
	// its minimum field. Zero means do not keep it.
	TTL time.Duration
}

// DNSClient is a stub resolver that keeps the TTLs net.Resolver drops. Its
// zero value asks the name servers of /etc/resolv.conf.
type DNSClient struct {
	// Servers are "host:port" name servers, asked in order until one
	// answers. Nil means the nameserver lines of /etc/resolv.conf, or
	// 127.0.0.1:53 when it has none.
	Servers []string

	// Timeout caps one exchange with one server. Zero means 2 seconds.
	Timeout time.Duration
}

func (c *DNSClient) servers() []string {
	if len(c.Servers) > 0 {
		return c.Servers
	}
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cfg.Servers) == 0 {
		return []string{"127.0.0.1:53"}
	}
	var out []string
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, cfg.Port))
	}
	return out
}

// Query asks for name's records of qtype (dns.TypeA, TypePTR, ...).
// Failures (time-out, SERVFAIL, REFUSED) come back as a *net.DNSError;
// a negative answer is an Answer with NotFound, not an error.
func (c *DNSClient) Query(ctx context.Context, name string, qtype uint16) (Answer, error) {
	name = dns.Fqdn(name)
	if _, ok := dns.IsDomainName(name); !ok {
		return Answer{}, &net.DNSError{Err: "invalid domain name", Name: name}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	var lastErr error
	var lastSrv string
	for _, srv := range c.servers() {
		if ctx.Err() != nil {
			break
		}
		r, err := c.exchange(ctx, m, srv, timeout)
		if err != nil {
			lastErr, lastSrv = err, srv
			continue
		}
		return readAnswer(r, name, qtype, srv)
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	de := &net.DNSError{Err: lastErr.Error(), Name: name, Server: lastSrv}
	var ne net.Error
	if errors.As(lastErr, &ne) && ne.Timeout() || errors.Is(lastErr, context.DeadlineExceeded) {
		de.IsTimeout = true
	}
	return Answer{}, de
}

func (c *DNSClient) exchange(ctx context.Context, m *dns.Msg, srv string, timeout time.Duration) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl := &dns.Client{Net: "udp", Timeout: timeout}
	r, _, err := cl.ExchangeContext(ctx, m, srv)
	if err == nil && r.Truncated {
		cl.Net = "tcp"
		r, _, err = cl.ExchangeContext(ctx, m, srv)
	}
	return r, err
}

func readAnswer(r *dns.Msg, name string, qtype uint16, srv string) (Answer, error) {
	switch r.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return Answer{}, &net.DNSError{Err: "server answered " + dns.RcodeToString[r.Rcode], Name: name, Server: srv,
			IsTemporary: r.Rcode == dns.RcodeServerFailure}
	}
	// A non-authoritative, non-recursive empty answer is a lame referral,
	// not a negative answer: net.Resolver's rule (golang.org/issue/15434),
	// kept so that a run behaves the same with and without the cache.
	if r.Rcode == dns.RcodeSuccess && len(r.Answer) == 0 && !r.Authoritative && !r.RecursionAvailable && len(r.Extra) == 0 {
		return Answer{}, &net.DNSError{Err: "lame referral", Name: name, Server: srv}
	}
	var a Answer
	ttl := uint32(0)
	first := true
	for _, rr := range r.Answer {
		if rr.Header().Rrtype != qtype || rr.Header().Class != dns.ClassINET {
			continue // CNAMEs on the way, signatures
		}
		var v string
		switch x := rr.(type) {
		case *dns.PTR:
			v = x.Ptr
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(x.A.To4()); ok {
				v = ip.String()
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(x.AAAA.To16()); ok {
				v = ip.String()
			}
		case *dns.TXT:
			v = strings.Join(x.Txt, "")
		case *dns.MX:
			v = fmt.Sprintf("%d %s", x.Preference, x.Mx)
		default:
			continue
		}
		if v == "" {
			continue
		}
		a.Records = append(a.Records, v)
		if first || rr.Header().Ttl < ttl {
			ttl, first = rr.Header().Ttl, false
		}
	}
	if len(a.Records) > 0 {
		a.TTL = time.Duration(ttl) * time.Second
		return a, nil
	}
	// Negative: NXDOMAIN, or NOERROR without records of the type.
	a.NotFound = true
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			a.TTL = time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
			break
		}
	}
	return a, nil
}

// typeName names a query type in keys and messages.
func typeName(qtype uint16) string {
	if s, ok := dns.TypeToString[qtype]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", qtype)
}
