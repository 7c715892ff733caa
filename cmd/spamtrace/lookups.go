package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spamtrace/spamtrace/internal/dnsbreaker"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

// lookupFlags are the flags that turn on lookups: -resolve and the flags
// pointing it at servers need the network; -geoip reads local files only.
type lookupFlags struct {
	resolve     bool
	dnsServer   string
	geoip       listFlag
	dnsbl       listFlag
	whoisServer string
	rdapServer  string
	on          bool   // some lookup is made (hops get a "lookup" object)
	network     bool   // lookups ask the network
	cache       string // -cache redis://HOST:PORT/DB (cache.go)
}

func addLookupFlags(fs *flag.FlagSet) *lookupFlags {
	l := &lookupFlags{geoip: listFlag{check: checkFile}, dnsbl: listFlag{check: checkDomain}}
	fs.BoolVar(&l.resolve, "resolve", false, "look up each hop: reverse DNS with forward confirmation, GeoIP/ASN, DNSBL, netblock owner and abuse contact")
	fs.Var(checked(&l.dnsServer, checkDNSServer), "dns-server", "with -resolve, send every DNS question to `IP[:PORT]` (registry host names included)")
	fs.Var(&l.geoip, "geoip", "a .mmdb GeoIP, ASN or country database `file`; repeatable; offline, needs no -resolve")
	fs.Var(&l.dnsbl, "dnsbl", "with -resolve, a DNSBL `zone` to check untrusted hops against, e.g. zen.spamhaus.org; repeatable")
	fs.Var(checked(&l.whoisServer, checkWhoisServer), "whois-server", "with -resolve, send every whois query to `HOST:PORT` (turns RDAP off unless -rdap-server is given)")
	fs.Var(checked(&l.rdapServer, checkRDAPServer), "rdap-server", "with -resolve, send RDAP queries to `URL`/ip/ADDR (turns whois off unless -whois-server is given)")
	fs.Var(checked(&l.cache, checkCacheURL), "cache", "with -resolve, share DNS and netblock answers with other processes through Redis at `redis://HOST:PORT/DB`")
	return l
}

// checkFile accepts a path to a readable regular file.
func checkFile(s string) error {
	f, err := os.Open(s)
	if err != nil {
		return errors.Unwrap(err) // the path is in the flag's message already
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return errors.New("is a directory")
	}
	return nil
}

// check reports flags that only mean something with -resolve.
func (l *lookupFlags) check() error {
	if l.resolve {
		return nil
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"-dns-server", l.dnsServer != ""}, {"-dnsbl", len(l.dnsbl.vals) > 0}, {"-whois-server", l.whoisServer != ""}, {"-rdap-server", l.rdapServer != ""}, {"-cache", l.cache != ""}} {
		if f.set {
			return fmt.Errorf("%s needs -resolve (it points network lookups at a server or zone)", f.name)
		}
	}
	return nil
}

// dnsTimeout caps one DNS or registry question of a run (a variable so
// tests of a server that never answers need not wait 5 seconds a round).
var dnsTimeout = 5 * time.Second

// apply configures t's lookups: GeoIP files alone stay offline, -resolve
// adds the network. The returned function releases what was opened. A DNS
// server that stops answering is reported once on stderr.
func (l *lookupFlags) apply(t *trace.Tracer, stderr io.Writer) (func(), error) {
	if !l.resolve && len(l.geoip.vals) == 0 {
		return func() {}, nil
	}
	lk := &trace.Lookups{Timeout: dnsTimeout}
	var dbs []*trace.GeoDB
	closeAll := func() {
		for _, d := range dbs {
			d.Close()
		}
	}
	for _, p := range l.geoip.vals {
		db, err := trace.OpenGeoDB(p)
		if err != nil {
			closeAll()
			return func() {}, fmt.Errorf("-geoip: %w", err)
		}
		dbs = append(dbs, db)
		lk.Geo = append(lk.Geo, db)
	}
	l.on = true
	if l.resolve {
		l.network = true
		res := newResolver(l.dnsServer, stderr)
		lk.DNS, lk.DNSBL = res, l.dnsbl.vals
		if l.dnsServer != "" {
			lk.DNS = namedServer{res, dnsServerAddr(l.dnsServer)}
		}
		// One resolver for everything: registry host names too.
		lk.Netblocks = &netblock.Client{WhoisServer: l.whoisServer, RDAPServer: l.rdapServer, Resolver: res, LookupTimeout: 20 * time.Second}
	}
	closeCache, err := l.applyCache(lk, stderr)
	if err != nil {
		closeAll()
		return func() {}, err
	}
	t.Lookups = lk
	return func() { closeCache(); closeAll() }, nil
}

// newResolver returns the run's resolver: the system's servers, or server
// when set, behind a breaker that stops asking a server after it failed to
// answer several questions in a row and says so once on stderr.
func newResolver(server string, stderr io.Writer) *net.Resolver {
	if server != "" {
		server = dnsServerAddr(server)
	}
	var mu sync.Mutex
	b := &dnsbreaker.Breaker{
		Server: server,
		OnOpen: func(addr string, n int) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stderr, "spamtrace: DNS server %s did not answer %d questions in a row; no more DNS questions go to it this run\n", addr, n)
		},
	}
	return &net.Resolver{PreferGo: true, Dial: b.DialContext}
}

// lookupJSON returns the encoder of a hop's "lookup" object, or nil when
// lookups are off.
func (l *lookupFlags) lookupJSON() func([]byte, *trace.Lookup) []byte {
	if !l.on {
		return nil
	}
	return appendLookupJSON
}

// appendLookupJSON writes {"ptr": [...], "fcrdns": bool, "country",
// "asn", "as_org", "netblock": {...}, "dnsbl": [...], "error"} plus
// "claimed_rdns", "city", "registry" and "special".
func appendLookupJSON(b []byte, l *trace.Lookup) []byte {
	b = append(b, `{"ptr":[`...)
	for i, p := range l.PTR {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, p)
	}
	b = append(b, `],"claimed_rdns":`...)
	b = jsonstr.Append(b, l.Claimed)
	b = append(b, `,"fcrdns":`...)
	b = strconv.AppendBool(b, l.FCrDNS)
	b = append(b, `,"country":`...)
	b = jsonstr.Append(b, l.Country)
	b = append(b, `,"city":`...)
	b = jsonstr.Append(b, l.City)
	b = append(b, `,"asn":`...)
	b = strconv.AppendUint(b, uint64(l.ASN), 10)
	b = append(b, `,"as_org":`...)
	b = jsonstr.Append(b, l.ASOrg)
	b = append(b, `,"registry":`...)
	b = jsonstr.Append(b, l.Registry)
	b = append(b, `,"special":`...)
	b = jsonstr.Append(b, l.Special)
	b = append(b, `,"netblock":`...)
	if l.Netblock != nil {
		b = l.Netblock.AppendJSON(b)
	} else {
		b = append(b, `null`...)
	}
	b = append(b, `,"dnsbl":[`...)
	for i, d := range l.DNSBL {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"zone":`...)
		b = jsonstr.Append(b, d.Zone)
		b = append(b, `,"codes":[`...)
		for j, c := range d.Codes {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendAddr(b, c)
		}
		b = append(b, `],"meaning":[`...)
		for j, m := range d.Meaning {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, m)
		}
		b = append(b, `]}`...)
	}
	b = append(b, `],"error":`...)
	e := ""
	for i, s := range l.Errors {
		if i > 0 {
			e += "; "
		}
		e += s
	}
	b = jsonstr.Append(b, e)
	return append(b, '}')
}

// lookupAbuse returns the abuse addresses lookups found for a hop.
func lookupAbuse(l *trace.Lookup) []string {
	if l.Netblock == nil {
		return nil
	}
	var out []string
	for _, c := range l.Netblock.Abuse {
		if c.Source != netblock.SourceRemarks {
			out = append(out, c.Email)
		}
	}
	return out
}

// dnsServerAddr is -dns-server as host:port (port 53 when none is given).
func dnsServerAddr(s string) string {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return net.JoinHostPort(strings.Trim(s, "[]"), "53")
	}
	return s
}

// namedServer names the -dns-server in lookup errors: the resolver
// reports the server of /etc/resolv.conf, which every question bypassed.
type namedServer struct {
	*net.Resolver
	server string
}

func (n namedServer) fix(err error) error {
	if de, ok := err.(*net.DNSError); ok {
		cp := *de // the resolver may hand one error to several callers
		cp.Server = n.server
		return &cp
	}
	return err
}

func (n namedServer) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	names, err := n.Resolver.LookupAddr(ctx, addr)
	return names, n.fix(err)
}

func (n namedServer) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	addrs, err := n.Resolver.LookupNetIP(ctx, network, host)
	return addrs, n.fix(err)
}
