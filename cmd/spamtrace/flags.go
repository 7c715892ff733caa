package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Every flag's value is checked when it is set, so a bad value stops the
// run before any work with exit status 2 and a message naming the flag
// (the flag package writes `invalid value "x" for flag -name: why`). A new
// flag joins with one line: fs.Var(checked(&v, checkSomething), ...).

// checkedString is a string flag whose value must pass check.
type checkedString struct {
	p     *string
	check func(string) error
}

// checked returns a flag.Value that stores into p what check accepts.
func checked(p *string, check func(string) error) flag.Value { return checkedString{p, check} }

func (c checkedString) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}

func (c checkedString) Set(s string) error {
	if err := c.check(s); err != nil {
		return err
	}
	*c.p = s
	return nil
}

// checkedInt is an int flag that must be at least min.
type checkedInt struct {
	p   *int
	min int
}

func atLeast(p *int, min int) flag.Value { return checkedInt{p, min} }

func (c checkedInt) String() string {
	if c.p == nil {
		return "0"
	}
	return strconv.Itoa(*c.p)
}

func (c checkedInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < c.min {
		return fmt.Errorf("must be at least %d", c.min)
	}
	*c.p = n
	return nil
}

// listFlag is a repeatable flag; check, when set, vets each value.
type listFlag struct {
	vals  []string
	check func(string) error
}

func (l *listFlag) String() string { return strings.Join(l.vals, ",") }

func (l *listFlag) Set(s string) error {
	if l.check != nil {
		if err := l.check(s); err != nil {
			return err
		}
	}
	l.vals = append(l.vals, s)
	return nil
}

// checkOneOf accepts only the given words.
func checkOneOf(words ...string) func(string) error {
	return func(s string) error {
		for _, w := range words {
			if s == w {
				return nil
			}
		}
		return fmt.Errorf("want %s", strings.Join(words, ", "))
	}
}

// checkDNSServer accepts an IP address with an optional port. A name is
// refused: finding the DNS server would itself need DNS.
func checkDNSServer(s string) error {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
		return errors.New("want an IP address, optionally with :PORT (a name would need DNS to be found)")
	}
	if port != "" {
		return checkPort(port)
	}
	return nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return nil
}

// checkWhoisServer accepts HOST:PORT with a host name or an IPv4 address
// (the whois library cannot dial an IPv6 literal).
func checkWhoisServer(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return errors.New("want HOST:PORT, e.g. whois.example.net:43")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Is6() {
			return errors.New("an IPv6 address cannot be used here; give a host name or an IPv4 address")
		}
	} else if err := checkDomain(host); err != nil {
		return err
	}
	return checkPort(port)
}

// checkRDAPServer accepts an http or https base URL with a host.
func checkRDAPServer(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want an http:// or https:// base URL, e.g. https://rdap.example.net/")
	}
	if p := u.Port(); p != "" {
		return checkPort(p)
	}
	return nil
}

// checkDomain accepts a DNS name: dot-separated labels of letters, digits,
// hyphens and underscores, at most 63 bytes each and 253 in all.
func checkDomain(s string) error {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return errors.New("want a domain name")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a domain name", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c >= 0x80) {
				return fmt.Errorf("%q is not a domain name", s)
			}
		}
	}
	return nil
}

// checkPrefix accepts a CIDR prefix or a single address.
func checkPrefix(s string) error {
	_, err := parsePrefix(s)
	if err != nil {
		return errors.New("want a CIDR prefix or an IP address")
	}
	return nil
}

// parseArgs parses flags wherever they stand among the arguments
// ("spamtrace FILE -json" as well as "spamtrace -json FILE") and returns
// the others in order. "--" ends the flags: what follows is taken as
// paths even when it starts with "-". A lone "-" is a path (stdin).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		// fs.Parse stops before the first non-flag, or just after "--".
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}
