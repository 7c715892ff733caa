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
// [-rdap-server URL] IP...". Exit status 0, or 2 on a usage error.
// A failed lookup is reported in its IP's output and does not change the
// exit status.
func runWhois(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spamtrace whois", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonOut := fs.Bool("json", false, "print one JSON object per IP")
	whoisServer := fs.String("whois-server", "", "send every whois query to HOST:PORT (turns RDAP off unless -rdap-server is given)")
	rdapServer := fs.String("rdap-server", "", "send RDAP queries to URL/ip/ADDR (turns whois off unless -whois-server is given)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "spamtrace whois:", err)
		fmt.Fprintln(stderr, "usage: spamtrace whois [-json] [-whois-server HOST:PORT] [-rdap-server URL] IP...")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: spamtrace whois [-json] [-whois-server HOST:PORT] [-rdap-server URL] IP...")
		return 2
	}
	var ips []netip.Addr
	for _, a := range fs.Args() {
		ip, err := netip.ParseAddr(strings.Trim(a, "[]"))
		if err != nil {
			fmt.Fprintf(stderr, "spamtrace whois: %q is not an IP address\n", a)
			return 2
		}
		ips = append(ips, ip)
	}
	c := &netblock.Client{WhoisServer: *whoisServer, RDAPServer: *rdapServer}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	for _, ip := range ips {
		nb, err := c.Lookup(ctx, ip)
		if *jsonOut {
			out.Write(appendWhoisJSON(nil, ip, nb, err))
			out.WriteByte('\n')
			continue
		}
		writeWhoisText(out, ip, nb, err)
	}
	return 0
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
