package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/netblock"
)

// runWhois implements "spamtrace whois [-json] [-whois-server HOST:PORT]
// [-rdap-server URL] IP...". A failed lookup is reported in its IP's
// output; the exit status is 0 when every lookup found its network, 1 when
// some lookup failed, 2 on a usage error.
func runWhois(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spamtrace whois", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonOut := fs.Bool("json", false, "print one JSON object per IP")
	var whoisServer, rdapServer string
	fs.Var(checked(&whoisServer, checkWhoisServer), "whois-server", "send every whois query to `HOST:PORT` (turns RDAP off unless -rdap-server is given)")
	fs.Var(checked(&rdapServer, checkRDAPServer), "rdap-server", "send RDAP queries to `URL`/ip/ADDR (turns whois off unless -whois-server is given)")
	args, err := parseArgs(fs, args)
	if err != nil {
		fmt.Fprintln(stderr, "spamtrace whois:", err)
		fmt.Fprintln(stderr, "usage: spamtrace whois [-json] [-whois-server HOST:PORT] [-rdap-server URL] IP...")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: spamtrace whois [-json] [-whois-server HOST:PORT] [-rdap-server URL] IP...")
		return 2
	}
	var ips []netip.Addr
	for _, a := range args {
		ip, err := netip.ParseAddr(strings.Trim(a, "[]"))
		if err != nil {
			fmt.Fprintf(stderr, "spamtrace whois: %q is not an IP address\n", a)
			return 2
		}
		ips = append(ips, ip)
	}
	c := &netblock.Client{WhoisServer: whoisServer, RDAPServer: rdapServer, Resolver: newResolver("", stderr)}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	code := 0
	for _, ip := range ips {
		nb, err := c.Lookup(ctx, ip)
		if nb == nil {
			code = 1
		}
		if *jsonOut {
			out.Write(appendWhoisJSON(nil, ip, nb, err))
			out.WriteByte('\n')
			continue
		}
		writeWhoisText(out, ip, nb, err)
	}
	return code
}

// appendWhoisJSON writes {"ip", "prefix", "range", "name", "org",
// "country", "registry", "source", "abuse": [{"email", "source"}], "error"}.
func appendWhoisJSON(b []byte, ip netip.Addr, nb *netblock.Netblock, err error) []byte {
	b = append(b, `{"ip":`...)
	b = jsonstr.Append(b, ip.String())
	b = append(b, ',')
	obj := nb.AppendJSON(nil)
	b = append(b, obj[1:len(obj)-1]...)
	b = append(b, `,"error":`...)
	if err != nil {
		b = jsonstr.Append(b, err.Error())
	} else {
		b = append(b, `""`...)
	}
	return append(b, '}')
}

func writeWhoisText(w io.Writer, ip netip.Addr, nb *netblock.Netblock, err error) {
	fmt.Fprintf(w, "%s\n", ip)
	if nb != nil {
		fmt.Fprintf(w, "  network:  %s (%s - %s) %s\n", nb.Prefix, nb.First, nb.Last, sanitize(nb.Name, 80))
		if nb.Org != "" {
			fmt.Fprintf(w, "  org:      %s\n", sanitize(nb.Org, 120))
		}
		if nb.Country != "" {
			fmt.Fprintf(w, "  country:  %s\n", sanitize(nb.Country, 8))
		}
		fmt.Fprintf(w, "  registry: %s via %s (%s)\n", nb.Registry, nb.Source, sanitize(nb.Server, 80))
		if nb.Parent.IsValid() {
			fmt.Fprintf(w, "  parent:   %s\n", nb.Parent)
		}
		for _, a := range nb.Abuse {
			fmt.Fprintf(w, "  abuse:    %s (%s %s)\n", sanitize(a.Email, 120), a.Source, sanitize(a.Scope, 20))
		}
	}
	if err != nil {
		fmt.Fprintf(w, "  error:    %s\n", sanitize(err.Error(), 300))
	}
}
