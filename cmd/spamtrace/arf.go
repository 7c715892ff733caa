package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/trace"
)

// userAgent names this program in abuse reports (RFC 5965 section 3.1).
const userAgent = "spamtrace/0.1"

// now is the clock of report dates; tests replace it.
var now = time.Now

// headerSafe keeps a header-derived value on one line and printable, for a
// report's header fields.
func headerSafe(s string) string {
	s = sanitize(s, 400)
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, s)
}

// writeARF prints an RFC 5965 abuse report about the message's origin: a
// multipart/report with a human-readable part, the machine-readable
// message/feedback-report part, and the original header block as
// text/rfc822-headers. It is printed for a person to send, never sent.
//
// The report names only what was verified: To is the origin network's
// registered abuse contact (left out, with a Comments field saying how to
// find it, when lookups did not find one); Reported-Domain is the
// origin's forward-confirmed reverse DNS name, never a HELO name or a
// From domain, which anyone can write.
func writeARF(w io.Writer, r *record) {
	tr := r.tr
	o := tr.Origin
	boundary := fmt.Sprintf("spamtrace-%x", now().UnixNano())
	var toAddrs []string
	confirmed := ""
	if o.IsValid() && o.Hop < len(tr.Hops) {
		if l := tr.Hops[o.Hop].Lookup; l != nil {
			toAddrs = reportTo(l)
			if l.FCrDNS {
				confirmed = l.Confirmed
			}
		}
	}
	arrival := time.Time{}
	if len(tr.Hops) > 0 {
		arrival = tr.Hops[0].Received.Date
	}
	if arrival.IsZero() {
		arrival = tr.Header.DateTime
	}
	source := "an unknown address"
	if o.IP.IsValid() {
		source = o.IP.String()
		if confirmed != "" {
			source += " (" + headerSafe(confirmed) + ")"
		}
	}
	var b bytes.Buffer
	if len(toAddrs) > 0 {
		fmt.Fprintf(&b, "To: %s\n", headerSafe(strings.Join(toAddrs, ", ")))
	} else {
		fmt.Fprintf(&b, "Comments: %s\n", noContactComment(o))
	}
	fmt.Fprintf(&b, "Subject: Abuse report: message from %s\n", source)
	fmt.Fprintf(&b, "Date: %s\n", now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "MIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=feedback-report;\n\tboundary=\"%s\"\n\n", boundary)
	fmt.Fprintf(&b, "This is a multi-part message in MIME format.\n\n")

	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n", boundary)
	fmt.Fprintf(&b, "This is an abuse report for a message received from %s.\n", source)
	if o.IP.IsValid() && confirmed == "" && o.Host != "" {
		fmt.Fprintf(&b, "The sending host was recorded as %s; that name is not verified.\n", headerSafe(o.Host))
	}
	h := &tr.Header
	for _, kv := range [][2]string{{"From", h.From}, {"Reply-To", h.ReplyTo}, {"Subject", h.Subject}, {"Date", h.Date}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "  %-9s %s\n", kv[0]+":", headerSafe(decodeHeader(kv[1])))
		}
	}
	fmt.Fprintf(&b, "\nWhy this address: %s\n\n", headerSafe(o.Reason))
	var ev []string
	for _, f := range tr.Findings {
		if f.Severity >= trace.SeverityMedium {
			where := "message"
			if f.Hop >= 0 {
				where = hopLabel(f.Hop)
			}
			ev = append(ev, fmt.Sprintf("- [%s, %s] %s: %s", f.Severity, f.Category, where, headerSafe(f.Message)))
		}
	}
	if len(ev) > 0 {
		fmt.Fprintf(&b, "Evidence of forgery in the headers:\n%s\n", strings.Join(ev, "\n"))
		fmt.Fprintf(&b, "(Hops are numbered from 0, the topmost Received field of the attached header, down.)\n\n")
	}
	writeURLsARF(&b, r)
	fmt.Fprintf(&b, "The original header block is attached. Please investigate.\n\n")

	fmt.Fprintf(&b, "--%s\nContent-Type: message/feedback-report\n\n", boundary)
	fmt.Fprintf(&b, "Feedback-Type: abuse\n")
	fmt.Fprintf(&b, "User-Agent: %s\n", userAgent)
	fmt.Fprintf(&b, "Version: 1\n")
	if rp := addrOnly(tr.Header.ReturnPath); rp != "" {
		fmt.Fprintf(&b, "Original-Mail-From: <%s>\n", headerSafe(rp))
	}
	if len(tr.Hops) > 0 && tr.Hops[0].Received.For != "" {
		fmt.Fprintf(&b, "Original-Rcpt-To: <%s>\n", headerSafe(tr.Hops[0].Received.For))
	}
	if !arrival.IsZero() {
		fmt.Fprintf(&b, "Arrival-Date: %s\n", arrival.Format(time.RFC1123Z))
	}
	if o.IP.IsValid() {
		fmt.Fprintf(&b, "Source-IP: %s\n", o.IP)
	}
	if confirmed != "" {
		fmt.Fprintf(&b, "Reported-Domain: %s\n", headerSafe(confirmed))
	}
	for i, u := range r.urls {
		if i == maxReportedURIs {
			break
		}
		fmt.Fprintf(&b, "Reported-URI: %s\n", uriSafe(u.URL))
	}
	fmt.Fprintf(&b, "\n--%s\nContent-Type: text/rfc822-headers\n\n", boundary)
	b.Write(headerBlock(r.raw))
	fmt.Fprintf(&b, "\n--%s--\n", boundary)
	w.Write(b.Bytes())
}

// hopLabel names hop i as the text report numbers it.
func hopLabel(i int) string { return fmt.Sprintf("hop %d", i) }

// noContactComment says why a report has no To field and how to find the
// address.
func noContactComment(o trace.Origin) string {
	if !o.IP.IsValid() {
		return "no To: no origin address was found, so there is no network to report to"
	}
	return fmt.Sprintf("no To: the abuse contact of the network of %s is not known; run spamtrace with -resolve to look it up (or spamtrace whois %s)", o.IP, o.IP)
}

func originText(o trace.Origin) string {
	if o.IP.IsValid() {
		if o.Host != "" {
			return o.IP.String() + " (" + headerSafe(o.Host) + ")"
		}
		return o.IP.String()
	}
	return "an unknown address"
}

func addrOnly(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	}
	return strings.TrimSpace(s)
}

// headerBlock returns the header block of raw (up to the blank line), with
// an mbox "From " line removed and line ends normalised to LF.
func headerBlock(raw []byte) []byte {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		raw = raw[:i+1]
	}
	// A line starting "--" could be taken for a boundary: indent it.
	raw = bytes.ReplaceAll(raw, []byte("\n--"), []byte("\n --"))
	return raw
}
