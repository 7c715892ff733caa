package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/urls"
)

// siteReport is a report on the web sites a message advertises that one
// network hosts: the second report SpamCop sends, to the hosting
// network's abuse contact.
type siteReport struct {
	to       []string // the hosting network's registered abuse contacts
	network  string   // "192.0.2.0/24 NAME (Org)"
	hosts    []string
	urls     []urls.URL
	location []string // "host at 192.0.2.7"
}

// siteReports groups a record's URLs by the registered abuse contacts of
// the networks their hosts resolved to (-resolve). Hosts without a
// registered contact get no report: there is nobody to send it to.
func siteReports(r *record) []siteReport {
	if len(r.hosts) == 0 {
		return nil
	}
	var out []siteReport
	idx := map[string]int{}
	for _, u := range r.urls {
		hl := r.hosts[u.Host]
		if hl == nil || hl.Netblock == nil {
			continue
		}
		var to []string
		for _, c := range hl.Netblock.Abuse {
			if (c.Source == netblock.SourceRDAP || c.Source == netblock.SourceWhois) && !contains(to, c.Email) {
				to = append(to, c.Email)
			}
		}
		if len(to) == 0 {
			continue
		}
		key := strings.ToLower(strings.Join(to, ","))
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			nb := hl.Netblock
			network := nb.Prefix.String()
			if nb.Name != "" {
				network += " " + nb.Name
			}
			if nb.Org != "" {
				network += " (" + nb.Org + ")"
			}
			out = append(out, siteReport{to: to, network: network})
		}
		sr := &out[i]
		if !contains(sr.hosts, u.Host) {
			sr.hosts = append(sr.hosts, u.Host)
			if len(hl.Addrs) > 0 {
				sr.location = append(sr.location, u.Host+" at "+hl.Addrs[0].String())
			}
		}
		if len(sr.urls) < maxReportedURIs {
			sr.urls = append(sr.urls, u)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// writeSiteARF prints an RFC 5965 report to the network that hosts web
// sites the message advertises: the URLs as Reported-URI, the message's
// origin as Source-IP, and its header block.
func writeSiteARF(w io.Writer, r *record, sr *siteReport) {
	tr := r.tr
	boundary := fmt.Sprintf("spamtrace-site-%x", now().UnixNano())
	var b bytes.Buffer
	fmt.Fprintf(&b, "To: %s\n", headerSafe(strings.Join(sr.to, ", ")))
	fmt.Fprintf(&b, "Subject: Abuse report: web site advertised in spam: %s\n", headerSafe(strings.Join(sr.hosts, ", ")))
	fmt.Fprintf(&b, "Date: %s\n", now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "MIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=feedback-report;\n\tboundary=\"%s\"\n\n", boundary)
	fmt.Fprintf(&b, "This is a multi-part message in MIME format.\n\n")
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n", boundary)
	fmt.Fprintf(&b, "This is an abuse report for web sites in your network %s, advertised in a\nmessage whose header is attached.\n\n", headerSafe(sr.network))
	for _, l := range sr.location {
		fmt.Fprintf(&b, "- %s\n", headerSafe(l))
	}
	fmt.Fprintln(&b)
	for _, u := range sr.urls {
		fmt.Fprintf(&b, "  %s\n", uriSafe(u.URL))
	}
	if s := decodeHeader(tr.Header.Subject); s != "" {
		fmt.Fprintf(&b, "\nThe message's subject: %s\n", headerSafe(s))
	}
	if tr.Origin.IP.IsValid() {
		fmt.Fprintf(&b, "It was sent from %s (reported separately to that network).\n", tr.Origin.IP)
	}
	fmt.Fprintf(&b, "\nPlease investigate.\n\n")
	fmt.Fprintf(&b, "--%s\nContent-Type: message/feedback-report\n\n", boundary)
	fmt.Fprintf(&b, "Feedback-Type: abuse\nUser-Agent: %s\nVersion: 1\n", userAgent)
	if tr.Origin.IP.IsValid() {
		fmt.Fprintf(&b, "Source-IP: %s\n", tr.Origin.IP)
	}
	for _, u := range sr.urls {
		fmt.Fprintf(&b, "Reported-URI: %s\n", uriSafe(u.URL))
	}
	fmt.Fprintf(&b, "\n--%s\nContent-Type: text/rfc822-headers\n\n", boundary)
	b.Write(headerBlock(r.raw))
	fmt.Fprintf(&b, "\n--%s--\n", boundary)
	w.Write(b.Bytes())
}
