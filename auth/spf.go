package auth

import (
	"fmt"
	"net/netip"
	"strings"
)

// spfResults are RFC 7208 §2.6's results.
var spfResults = map[string]bool{
	"pass": true, "fail": true, "softfail": true, "neutral": true, "none": true,
	"temperror": true, "permerror": true,
}

// ParseReceivedSPF parses a Received-SPF value (RFC 7208 §9.1):
//
//	result [comment] [key=value; ...]
//
// Leniencies: the result is read case-insensitively ("None", "Pass" are
// common); a key-value list without ';' between pairs is accepted; when
// receiver= is absent, the name the comment starts with ("google.com: domain
// of ...", "protection.outlook.com: ...") is taken as the receiver.
func ParseReceivedSPF(v string) ReceivedSPF {
	r := ReceivedSPF{Raw: v}
	c := cursor{s: v}
	if err := c.skipCFWS(nil); err != nil {
		r.Err = err
		return r
	}
	r.Result = lower(c.token(""))
	if !spfResults[r.Result] {
		r.Err = fmt.Errorf("auth: Received-SPF result %q is not an RFC 7208 result", clip(r.Result))
	}
	var seen bool
	if err := c.skipCFWSFirst(&r.Comment, &seen); err != nil && r.Err == nil {
		r.Err = err
	}
	if seen {
		if name, _, ok := strings.Cut(r.Comment, ":"); ok && strings.IndexAny(name, " \t@") < 0 && strings.Contains(name, ".") {
			r.Receiver = lower(name)
		}
	}
	for !c.done() {
		if err := c.skipCFWS(nil); err != nil {
			if r.Err == nil {
				r.Err = err
			}
			break
		}
		if c.peek() == ';' {
			c.i++
			continue
		}
		if c.done() {
			break
		}
		start := c.i
		key := lower(c.token("="))
		c.skipCFWS(nil)
		if c.peek() != '=' {
			if r.Err == nil {
				r.Err = fmt.Errorf("auth: Received-SPF: %q is not key=value", clip(v[start:]))
			}
			if c.i == start {
				c.i++
			}
			continue
		}
		c.i++
		c.skipCFWS(nil)
		val, err := c.value("")
		if err != nil {
			if r.Err == nil {
				r.Err = err
			}
			break
		}
		switch key {
		case "client-ip":
			r.ClientIPText = val
			if a, err := netip.ParseAddr(val); err == nil {
				r.ClientIP = a.Unmap()
			} else if r.Err == nil {
				r.Err = fmt.Errorf("auth: Received-SPF client-ip %q is not an address", clip(val))
			}
		case "envelope-from":
			r.EnvelopeFrom = strings.Trim(val, "<>")
		case "helo":
			r.HELO = val
		case "receiver":
			r.Receiver = lower(val)
		case "identity":
			r.Identity = lower(val)
		case "mechanism":
			r.Mechanism = val
		}
	}
	return r
}
