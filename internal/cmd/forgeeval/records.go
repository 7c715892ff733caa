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

// recipientSideDomains are the registered domains of filtering gateways
// and of the big mailbox providers' own inbound and internal servers: an
// origin there is a server of the recipient's vendor, not the sender.
var recipientSideDomains = []string{
	"pphosted.com", "ppops.net", "mimecast.com", "mimecast-offshore.com", "messagelabs.com", "symcld.net",
	"iphmx.com", "barracudanetworks.com", "cudamail.com", "mailcontrol.com", "trendmicro.com", "trendmicro.eu",
	"protection.outlook.com", "prod.outlook.com", "exchangelabs.com", "outlook.office365.com",
	"mx.google.com", "gmr-mx.google.com",
}

func recipientSideName(n string) bool {
	n = strings.ToLower(strings.TrimSuffix(n, "."))
	for _, d := range recipientSideDomains {
		if n == d || strings.HasSuffix(n, "."+d) {
			return true
		}
	}
	return false
}

type originStats struct {
	withRecord, agree, anyRecord, recipientSide int
	disagree, recipList                         []string
}

// add traces one message and compares its origin with the topmost client
// record that names a hop's connecting client other than a recipient-side
// server (the receivers nearest the recipient write theirs on top).
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
	if h := tr.Origin.Hop; h >= 0 && h < len(tr.Hops) {
		f := tr.Hops[h].Received.From
		if (recipientSideName(f.RDNS) || recipientSideName(strings.Trim(f.HELO, "[]"))) && org.IsValid() {
			o.recipientSide++
			o.recipList = append(o.recipList, f.RDNS+" "+f.HELO+" "+org.String())
		}
	}
	recs := records(hdr)
	var ref netip.Addr
	var refField string
	for _, r := range recs {
		if ok := clientOfHop(tr, r.ip); ok {
			ref, refField = r.ip, r.field
			break
		}
	}
	if !ref.IsValid() {
		return
	}
	o.withRecord++
	if org == ref {
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

// clientOfHop reports whether a is the connecting client of some hop whose
// client is not itself a recipient-side server.
func clientOfHop(tr *trace.Trace, a netip.Addr) bool {
	for _, h := range tr.Hops {
		f := h.Received.From
		if f.IP.Unmap() == a && !recipientSideName(f.RDNS) && !recipientSideName(strings.Trim(f.HELO, "[]")) {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
