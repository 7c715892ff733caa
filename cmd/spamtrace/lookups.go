package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

// lookupFlags are the flags that turn on network lookups.
type lookupFlags struct {
	resolve     bool
	dnsServer   string
	geoip       listFlag
	dnsbl       listFlag
	whoisServer string
	rdapServer  string
	on          bool
	cache       string    // -cache redis://HOST:PORT/DB (cache.go)
	warn        io.Writer // where the cache tells it was lost; nil means os.Stderr
}

func addLookupFlags(fs *flag.FlagSet) *lookupFlags {
	l := &lookupFlags{}
	fs.BoolVar(&l.resolve, "resolve", false, "look up each hop: reverse DNS with forward confirmation, GeoIP/ASN, DNSBL, netblock owner and abuse contact")
	fs.StringVar(&l.dnsServer, "dns-server", "", "send every DNS question to HOST:PORT (registry host names included)")
	fs.Var(&l.geoip, "geoip", "a .mmdb GeoIP, ASN or country database; repeatable")
	fs.Var(&l.dnsbl, "dnsbl", "a DNSBL zone to check untrusted hops against, e.g. zen.spamhaus.org; repeatable")
	fs.StringVar(&l.whoisServer, "whois-server", "", "send every whois query to HOST:PORT (turns RDAP off unless -rdap-server is given)")
	fs.StringVar(&l.rdapServer, "rdap-server", "", "send RDAP queries to URL/ip/ADDR (turns whois off unless -whois-server is given)")
	fs.StringVar(&l.cache, "cache", "", "share DNS and netblock answers with other processes through Redis at redis://HOST:PORT/DB")
	return l
}

// apply configures t's lookups when -resolve is set; the returned function
// releases what was opened.
func (l *lookupFlags) apply(t *trace.Tracer) (func(), error) {
	if !l.resolve {
		if l.dnsServer != "" || len(l.geoip) > 0 || len(l.dnsbl) > 0 || l.whoisServer != "" || l.rdapServer != "" || l.cache != "" {
			return func() {}, errors.New("lookup flags need -resolve")
		}
		return func() {}, nil
	}
	l.on = true
	res := net.DefaultResolver
	if l.dnsServer != "" {
		server := l.dnsServer
		if _, _, err := net.SplitHostPort(server); err != nil {
			server = net.JoinHostPort(server, "53")
		}
		res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		}}
	}
	lk := &trace.Lookups{DNS: res, DNSBL: l.dnsbl}
	var dbs []*trace.GeoDB
	closeAll := func() {
		for _, d := range dbs {
			d.Close()
		}
	}
	for _, p := range l.geoip {
		db, err := trace.OpenGeoDB(p)
		if err != nil {
			closeAll()
			return func() {}, err
		}
		dbs = append(dbs, db)
		lk.Geo = append(lk.Geo, db)
	}
	// One resolver for everything: registry host names too.
	lk.Netblocks = &netblock.Client{WhoisServer: l.whoisServer, RDAPServer: l.rdapServer, Resolver: res, LookupTimeout: 20 * time.Second}
	closeCache, err := l.applyCache(lk)
	if err != nil {
		closeAll()
		return func() {}, err
	}
	t.Lookups = lk
	return func() { closeCache(); closeAll() }, nil
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
