package main

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// A receiver's own record of the client that connected to it, as this
// program reads it, independently of the trace package: Received-SPF
// "client-ip=", X-Forefront-Antispam-Report "CIP:", Authentication-Results
// "smtp.remote-ip=" and "policy.iprev=". ARC copies are not read.
type record struct {
	field string
	ip    netip.Addr
}

// records returns the client records of a header block, topmost first.
func records(hdr string) []record {
	var out []record
	lines := strings.Split(hdr, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			break
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		v := l[len(name)+1:]
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			v += " " + strings.TrimSpace(lines[i])
		}
		var keys []string
		switch strings.ToLower(name) {
		case "received-spf":
			keys = []string{"client-ip="}
		case "x-forefront-antispam-report":
			keys = []string{"CIP:"}
		case "authentication-results":
			keys = []string{"smtp.remote-ip=", "policy.iprev="}
		default:
			continue
		}
		for _, k := range keys {
			j := strings.Index(strings.ToLower(v), strings.ToLower(k))
			if j < 0 {
				continue
			}
			rest := v[j+len(k):]
			end := strings.IndexAny(rest, "; )(\t\"")
			if end >= 0 {
				rest = rest[:end]
			}
			if a, err := netip.ParseAddr(strings.Trim(rest, "[]\"")); err == nil {
				out = append(out, record{field: name, ip: a.Unmap()})
				break
			}
		}
	}
	return out
}

// gatewayDomains are the domains of filtering gateways and of the big
// mailbox providers' internal servers. Such a server is on the recipient's
// side when it handed the message to the recipient's own servers: the run
// of hops at the top of the chain written by the top receiver's domain.
var gatewayDomains = []string{
	"pphosted.com", "ppops.net", "mimecast.com", "mimecast-offshore.com", "messagelabs.com", "symcld.net",
	"iphmx.com", "barracudanetworks.com", "cudamail.com", "mailcontrol.com", "trendmicro.com", "trendmicro.eu",
	"mail.protection.outlook.com", "prod.outlook.com", "exchangelabs.com",
}

func gatewayName(n string) bool {
	n = strings.ToLower(strings.TrimSuffix(n, "."))
	for _, d := range gatewayDomains {
		if n == d || strings.HasSuffix(n, "."+d) {
			return true
		}
	}
	return false
}

// regDomain is the last two labels of a name (enough to group the top
// receiver's own hosts here).
func regDomain(n string) string {
	n = strings.ToLower(strings.TrimSuffix(n, "."))
	parts := strings.Split(n, ".")
	if len(parts) < 2 {
		return ""
	}
	return strings.Join(parts[len(parts)-2:], ".")
}

// topSegment returns how many hops from the top were written by the top
// receiver's domain (address-literal and bare by names count as its own).
func topSegment(tr *trace.Trace) int {
	top := ""
	n := 0
	for _, h := range tr.Hops {
		by := strings.Trim(h.Received.By.Host, "[]")
		d := ""
		if _, err := netip.ParseAddr(by); err != nil && strings.Contains(by, ".") {
			d = regDomain(by)
		}
		switch {
		case d == "":
		case top == "":
			top = d
		case d != top:
			return n
		}
		n++
	}
	return n
}

// recipientSide reports whether the trace's origin is a gateway or
// provider server that handed the message to the recipient's own servers.
func recipientSide(tr *trace.Trace) bool {
	o := tr.Origin.Hop
	if o < 0 || o >= len(tr.Hops) || !tr.Origin.IP.IsValid() {
		return false
	}
	f := tr.Hops[o].Received.From
	return (gatewayName(f.RDNS) || gatewayName(strings.Trim(f.HELO, "[]"))) && o < topSegment(tr)
}

type originStats struct {
	withRecord, agree, anyRecord, recipientSide int
	disagree, recipList                         []string
}

// add traces one message and compares its origin with the topmost client
// record that names a hop's connecting client (the receivers nearest the
// recipient write theirs on top).
func (o *originStats) add(text string) {
	tr := traceText(text)
	if tr == nil {
		return
	}
	hdr := text
	if k := strings.Index(hdr, "\n\n"); k >= 0 {
		hdr = hdr[:k+1]
	}
	org := tr.Origin.IP.Unmap()
	if recipientSide(tr) {
		f := tr.Hops[tr.Origin.Hop].Received.From
		o.recipientSide++
		o.recipList = append(o.recipList, f.RDNS+" "+f.HELO+" "+org.String())
	}
	recs := records(hdr)
	var ref netip.Addr
	var refField string
	var refHop int
	for _, r := range recs {
		if j := clientOfHop(tr, r.ip); j >= 0 {
			ref, refField, refHop = r.ip, r.field, j
			break
		}
	}
	if !ref.IsValid() {
		return
	}
	o.withRecord++
	// The record may name the recipient's own gateway (the receiver behind
	// it records the gateway as its client): then the origin is right when
	// it is the client the gateway received from.
	gw := false
	if refHop < topSegment(tr) {
		f := tr.Hops[refHop].Received.From
		gw = gatewayName(f.RDNS) || gatewayName(strings.Trim(f.HELO, "[]"))
	}
	if org == ref || gw && tr.Origin.Hop > refHop && tr.Origin.IP.IsValid() && !recipientSide(tr) {
		o.agree++
	} else {
		o.disagree = append(o.disagree, refField+" "+ref.String()+" origin "+org.String()+" hop "+itoa(tr.Origin.Hop)+": "+tr.Origin.Reason)
	}
	for _, r := range recs {
		if r.ip == org {
			o.anyRecord++
			break
		}
	}
}

// clientOfHop returns the first hop whose connecting client is a, or -1.
func clientOfHop(tr *trace.Trace, a netip.Addr) int {
	for i, h := range tr.Hops {
		if h.Received.From.IP.Unmap() == a {
			return i
		}
	}
	return -1
}

func itoa(i int) string { return strconv.Itoa(i) }
