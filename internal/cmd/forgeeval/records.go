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
	field  string
	writer string // authserv-id, receiver= or the comment's domain; Microsoft's for Forefront
	ip     netip.Addr
}

// writerDomain groups a writer's name by its last two labels, with
// Google's list and mail domains taken as one.
func writerDomain(w string) string {
	d := regDomain(w)
	if d == "googlegroups.com" {
		d = "google.com"
	}
	return d
}

// recipientServers returns the domains (writerDomain) of the servers that
// received the message for its recipients: the top hop's writer (the first
// named one) and the
// writer of every hop whose envelope recipient is in a domain the message
// was addressed to (the top hop's, Delivered-To, To, Cc).
func recipientServers(tr *trace.Trace) map[string]bool {
	out := map[string]bool{}
	if len(tr.Hops) == 0 {
		return out
	}
	addressed := map[string]bool{}
	addDomains := func(s string) {
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '<' || r == '>' }) {
			if at := strings.LastIndexByte(part, '@'); at >= 0 {
				addressed[regDomain(strings.Trim(part[at+1:], "<>\"'"))] = true
			}
		}
	}
	addDomains(tr.Hops[0].Received.For)
	addDomains(tr.Header.DeliveredTo)
	addDomains(tr.Header.To)
	addDomains(tr.Header.Cc)
	top := true
	for _, h := range tr.Hops {
		by := strings.Trim(h.Received.By.Host, "[]")
		if top {
			// The top receiver: the first hop's writer, or past address
			// literals ("by 2002:a05:612c:...") the first named one.
			if _, err := netip.ParseAddr(by); err != nil && strings.Contains(by, ".") {
				out[writerDomain(by)] = true
				top = false
			}
		}
		if f := h.Received.For; f != "" {
			if at := strings.LastIndexByte(f, '@'); at >= 0 && addressed[regDomain(strings.Trim(f[at+1:], "<> "))] {
				out[writerDomain(by)] = true
			}
		}
	}
	delete(out, "")
	return out
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
		writer := ""
		switch strings.ToLower(name) {
		case "received-spf":
			keys = []string{"client-ip="}
			if k := strings.Index(v, "("); k >= 0 {
				if c := strings.IndexAny(v[k:], ":)"); c > 0 && v[k+c] == ':' {
					writer = strings.TrimSpace(v[k+1 : k+c])
				}
			}
			if k := strings.Index(strings.ToLower(v), "receiver="); k >= 0 {
				w := v[k+len("receiver="):]
				if e := strings.IndexAny(w, "; "); e >= 0 {
					w = w[:e]
				}
				writer = w
			}
		case "x-forefront-antispam-report":
			keys = []string{"CIP:"}
			writer = "outlook.com"
		case "authentication-results":
			keys = []string{"smtp.remote-ip=", "policy.iprev=", "client-ip="}
			writer, _, _ = strings.Cut(strings.TrimSpace(v), ";")
			writer = strings.TrimSpace(writer)
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
				out = append(out, record{field: name, writer: strings.ToLower(writer), ip: a.Unmap()})
				break
			}
		}
	}
	return out
}

// gatewayDomains are the domains of filtering gateways and of the big
// mailbox providers' internal servers. Such a server is on the recipient's
// side (an inbound gateway, not a sender's outbound one) when it received
// the message for the same envelope recipient as the server it handed it
// to, and that server is one of the top receiver's own (recipientGateway).
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

// recipientSide reports whether the trace's origin is a server of the
// recipient's own side: an inbound gateway that handed the message to the
// recipient's servers, an internal address, or a server in the top
// receiver's own domain that no receiver recorded as its client. A message
// that began there (no hop below records a public client: a bounce, a
// local list) is not counted.
func recipientSide(tr *trace.Trace, recs []record) bool {
	o := tr.Origin.Hop
	if o < 0 || o >= len(tr.Hops) || !tr.Origin.IP.IsValid() {
		return false
	}
	below := false
	for _, h := range tr.Hops[o+1:] {
		if a := h.Received.From.IP.Unmap(); a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() {
			below = true
		}
	}
	if !below {
		return false
	}
	a := tr.Origin.IP.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return true
	}
	for _, r := range recs {
		if r.ip == a {
			return recipientGateway(tr, o)
		}
	}
	f := tr.Hops[o].Received.From
	name := f.RDNS
	if name == "" {
		name = strings.Trim(f.HELO, "[]")
	}
	topDomain := ""
	for _, h := range tr.Hops {
		by := strings.Trim(h.Received.By.Host, "[]")
		if _, err := netip.ParseAddr(by); err != nil && strings.Contains(by, ".") {
			topDomain = writerDomain(by)
			break
		}
	}
	return recipientGateway(tr, o) || name != "" && topDomain != "" && writerDomain(name) == topDomain
}

// recipientGateway reports whether the client of hop o is an inbound
// gateway of the recipient: a gateway name, hop o in the top receiver's run
// of hops, and a hop the gateway wrote recording hop o's envelope
// recipient.
func recipientGateway(tr *trace.Trace, o int) bool {
	f := tr.Hops[o].Received.From
	name := f.RDNS
	if !gatewayName(name) {
		name = strings.Trim(f.HELO, "[]")
	}
	if !gatewayName(name) || o >= topSegment(tr) {
		return false
	}
	rcpt := strings.ToLower(strings.Trim(tr.Hops[o].Received.For, "<> "))
	if rcpt == "" {
		return false
	}
	d := regDomain(name)
	for k := o + 1; k < len(tr.Hops); k++ {
		h := tr.Hops[k].Received
		by := strings.Trim(h.By.Host, "[]")
		if regDomain(by) != d && strings.Contains(by, ".") {
			break
		}
		if strings.ToLower(strings.Trim(h.For, "<> ")) == rcpt {
			return true
		}
	}
	return false
}

type originStats struct {
	withRecord, agree, anyRecord, recipientSide int
	// recipWithRecord: recipient-side origins among the messages with a
	// record (withRecord), the measure; recipientSide counts
	// them over all messages, a server's own bounces and reports among
	// them, which do begin on the recipient's side.
	recipWithRecord     int
	disagree, recipList []string
}

// add traces one message and compares its origin with the topmost client
// record that names a hop's connecting client (the receivers nearest the
// recipient write theirs on top).
func (o *originStats) add(path, text string) {
	tr := traceText(text)
	if tr == nil {
		return
	}
	hdr := text
	if k := strings.Index(hdr, "\n\n"); k >= 0 {
		hdr = hdr[:k+1]
	}
	org := tr.Origin.IP.Unmap()
	recs := records(hdr)
	rside := recipientSide(tr, recs)
	if rside {
		f := tr.Hops[tr.Origin.Hop].Received.From
		o.recipientSide++
		o.recipList = append(o.recipList, path+" "+f.RDNS+" "+f.HELO+" "+org.String())
	}
	var ref netip.Addr
	var refField string
	var refHop int
	rs := recipientServers(tr)
	for _, r := range recs {
		if !rs[writerDomain(r.writer)] {
			continue
		}
		if j := clientOfHop(tr, r.ip); j >= 0 {
			ref, refField, refHop = r.ip, r.field, j
			break
		}
	}
	if !ref.IsValid() {
		return
	}
	o.withRecord++
	if rside {
		o.recipWithRecord++
	}
	// The record may name the recipient's own gateway (the receiver behind
	// it records the gateway as its client): then the origin is right when
	// it is the client the gateway received from.
	gw := recipientGateway(tr, refHop)
	if org == ref || gw && tr.Origin.Hop > refHop && tr.Origin.IP.IsValid() && !rside {
		o.agree++
	} else {
		o.disagree = append(o.disagree, path+" "+refField+" "+ref.String()+" origin "+org.String()+" hop "+itoa(tr.Origin.Hop)+": "+tr.Origin.Reason)
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
