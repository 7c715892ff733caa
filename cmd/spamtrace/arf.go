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
func writeARF(w io.Writer, r *record, raw []byte) {
	if r.tr == nil {
		fmt.Fprintf(w, "# %s: no report: %s\n", sanitize(r.file, 200), sanitize(r.err.Error(), 300))
		return
	}
	tr := r.tr
	o := tr.Origin
	boundary := fmt.Sprintf("spamtrace-%x", now().UnixNano())
	to := "abuse contact of the origin network (run with -resolve to look it up)"
	var toAddrs []string
	if o.IsValid() {
		if l := tr.Hops[o.Hop].Lookup; l != nil {
			toAddrs = lookupAbuse(l)
		}
	}
	if len(toAddrs) > 0 {
		to = strings.Join(toAddrs, ", ")
	}
	arrival := time.Time{}
	if len(tr.Hops) > 0 {
		arrival = tr.Hops[0].Received.Date
	}
	if arrival.IsZero() {
		arrival = tr.Header.DateTime
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "To: %s\n", headerSafe(to))
	fmt.Fprintf(&b, "Subject: Abuse report: message from %s\n", originText(o))
	fmt.Fprintf(&b, "Date: %s\n", now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "MIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=feedback-report;\n\tboundary=\"%s\"\n\n", boundary)
	fmt.Fprintf(&b, "This is a multi-part message in MIME format.\n\n")

	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n", boundary)
	fmt.Fprintf(&b, "This is an abuse report for a message received from %s.\n\n", originText(o))
	fmt.Fprintf(&b, "Why this address: %s\n\n", headerSafe(o.Reason))
	var ev []string
	for _, f := range tr.Findings {
		if f.Severity >= trace.SeverityMedium {
			where := "message"
			if f.Hop >= 0 {
				where = fmt.Sprintf("Received header %d", f.Hop)
			}
			ev = append(ev, fmt.Sprintf("- [%s, %s] %s: %s", f.Severity, f.Category, where, headerSafe(f.Message)))
		}
	}
	if len(ev) > 0 {
		fmt.Fprintf(&b, "Evidence of forgery in the headers:\n%s\n\n", strings.Join(ev, "\n"))
	}
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
	if d := addrDomain(tr.Header.From); d != "" {
		fmt.Fprintf(&b, "Reported-Domain: %s\n", headerSafe(d))
	}
	if o.Host != "" && !strings.HasPrefix(o.Host, "[") {
		fmt.Fprintf(&b, "Reported-Domain: %s\n", headerSafe(o.Host))
	}
	fmt.Fprintf(&b, "\n--%s\nContent-Type: text/rfc822-headers\n\n", boundary)
	b.Write(headerBlock(raw))
	fmt.Fprintf(&b, "\n--%s--\n", boundary)
	w.Write(b.Bytes())
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
