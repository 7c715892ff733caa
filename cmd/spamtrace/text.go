package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spamtrace/spamtrace/trace"
)

// sanitize makes a header-derived string safe to print on a terminal:
// control characters (ESC above all), C1 controls, bidirectional overrides
// and invalid UTF-8 become visible escapes, and the length is capped.
func sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(fmt.Sprintf("%02x", s[i-1]))
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		case isBidiControl(r) || (!unicode.IsPrint(r) && !unicode.IsSpace(r)):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		n++
		if max > 0 && n >= max && i < len(s) {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}

func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\033[" + code + "m" + s + "\033[0m"
}

func sevColor(s trace.Severity) string {
	switch s {
	case trace.SeverityHigh:
		return "1;31"
	case trace.SeverityMedium:
		return "33"
	case trace.SeverityLow:
		return "36"
	}
	return "2"
}

// writeText prints the report a person reads.
func writeText(w io.Writer, r *record, color bool) {
	p := painter{color}
	name := r.file
	if r.position > 0 {
		name = fmt.Sprintf("%s #%d", r.file, r.position)
	}
	fmt.Fprintf(w, "%s %s\n", p.paint("1", "=="), p.paint("1", sanitize(name, 200)))
	if r.tr == nil {
		fmt.Fprintf(w, "error: %s\n\n", sanitize(r.err.Error(), 300))
		return
	}
	tr := r.tr
	h := tr.Header
	for _, kv := range [][2]string{{"From", h.From}, {"To", h.To}, {"Subject", h.Subject}, {"Date", h.Date}, {"Message-ID", h.MessageID}, {"Return-Path", h.ReturnPath}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%-12s %s\n", kv[0]+":", sanitize(kv[1], 160))
		}
	}
	if d := envelopeMismatch(tr); d != "" {
		fmt.Fprintf(w, "%-12s %s\n", "Note:", d)
	}
	fmt.Fprintln(w)

	if len(tr.Hops) == 0 {
		fmt.Fprintln(w, "no Received headers")
	} else {
		flags := map[int][]string{}
		for _, f := range tr.Findings {
			if f.Hop >= 0 && f.Severity >= trace.SeverityLow {
				flags[f.Hop] = append(flags[f.Hop], string(f.Category))
			}
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "HOP\tTIME (UTC)\tDELAY\tFROM (HELO / rDNS / IP)\tBY\tWITH\tTLS\tTRUST\tFLAGS")
		path := tr.Path()
		for i := range path {
			hp := &path[i]
			rh := &hp.Received
			when := "-"
			if !rh.Date.IsZero() {
				when = rh.Date.UTC().Format("2006-01-02 15:04:05")
			}
			delay := "-"
			if hp.Delay != 0 {
				delay = fmtDelay(hp.Delay)
			}
			from := fromCell(hp)
			by := rh.By.Host
			tls := rh.TLS.Version
			if tls == "" && rh.TLS.Cipher != "" {
				tls = "yes"
			}
			trust := hp.Trust.String()
			if hp.Trust == trace.TrustOrigin {
				trust = p.paint("1;32", trust)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", hp.Index, when, delay,
				sanitize(from, 70), sanitize(by, 45), sanitize(withCell(hp), 14), sanitize(tls, 10), trust,
				strings.Join(uniq(flags[hp.Index]), ","))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	o := tr.Origin
	if o.Hop >= 0 {
		ip := "no address recorded"
		if o.IP.IsValid() {
			ip = o.IP.String()
		}
		host := ""
		if o.Host != "" {
			host = " (" + sanitize(o.Host, 80) + ")"
		}
		fmt.Fprintf(w, "%s %s%s at hop %d\n  %s\n", p.paint("1", "Origin:"), p.paint("1;32", ip), host, o.Hop, sanitize(o.Reason, 300))
		if l := tr.Hops[o.Hop].Lookup; l != nil {
			writeLookup(w, l)
		}
	} else {
		fmt.Fprintf(w, "%s none: %s\n", p.paint("1", "Origin:"), sanitize(o.Reason, 200))
	}
	for _, c := range tr.ClientIPs {
		fmt.Fprintf(w, "Webmail client: %s (%s)\n", sanitize(c.Text, 60), c.Header)
	}
	writeAuthText(w, tr.Auth, p)
	if len(tr.Findings) > 0 {
		fmt.Fprintln(w)
		for sev := trace.SeverityHigh; ; sev-- {
			first := true
			for _, f := range tr.Findings {
				if f.Severity != sev {
					continue
				}
				if first {
					fmt.Fprintf(w, "%s\n", p.paint(sevColor(sev), strings.ToUpper(sev.String())))
					first = false
				}
				where := "message"
				if f.Hop >= 0 {
					where = fmt.Sprintf("hop %d", f.Hop)
				}
				fmt.Fprintf(w, "  [%s] %s: %s\n", f.Category, where, sanitize(f.Message, 300))
				if f.Evidence != "" {
					fmt.Fprintf(w, "      evidence: %s\n", sanitize(f.Evidence, 200))
				}
			}
			if sev == trace.SeverityInfo {
				break
			}
		}
	}
	for _, e := range tr.HeaderErrors {
		fmt.Fprintf(w, "header: %s\n", sanitize(e, 200))
	}
	if r.err != nil {
		fmt.Fprintf(w, "error: %s\n", sanitize(r.err.Error(), 300))
	}
	fmt.Fprintln(w)
}

func writeLookup(w io.Writer, l *trace.Lookup) {
	if len(l.PTR) > 0 {
		fmt.Fprintf(w, "  reverse DNS now: %s (forward-confirmed: %v)\n", sanitize(strings.Join(l.PTR, ", "), 200), l.FCrDNS)
	}
	if l.Country != "" || l.ASN != 0 {
		fmt.Fprintf(w, "  network: AS%d %s, country %s\n", l.ASN, sanitize(l.ASOrg, 80), l.Country)
	}
	for _, d := range l.DNSBL {
		fmt.Fprintf(w, "  listed on %s: %s\n", sanitize(d.Zone, 80), sanitize(strings.Join(d.Meaning, ", "), 120))
	}
	if nb := l.Netblock; nb != nil {
		fmt.Fprintf(w, "  netblock: %s %s (%s, %s via %s)\n", nb.Prefix, sanitize(nb.Name, 60), sanitize(nb.Org, 80), nb.Registry, nb.Source)
		for _, c := range nb.Abuse {
			fmt.Fprintf(w, "  report to: %s (%s)\n", sanitize(c.Email, 120), c.Source)
		}
	}
	for _, e := range l.Errors {
		fmt.Fprintf(w, "  lookup error: %s\n", sanitize(e, 200))
	}
}

func fromCell(h *trace.Hop) string {
	f := &h.Received.From
	parts := make([]string, 0, 3)
	if f.HELO != "" {
		parts = append(parts, f.HELO)
	}
	if f.RDNS != "" && !strings.EqualFold(f.RDNS, f.HELO) {
		parts = append(parts, f.RDNS)
	}
	if f.IPText != "" {
		parts = append(parts, "["+f.IPText+"]")
	}
	if len(parts) == 0 {
		if f.Ident != "" {
			return "(local: " + f.Ident + ")"
		}
		return "-"
	}
	return strings.Join(parts, " / ")
}

func withCell(h *trace.Hop) string {
	if h.Received.Protocol != "" {
		return string(h.Received.Protocol)
	}
	if h.Received.With != "" {
		return h.Received.With
	}
	return "-"
}

func fmtDelay(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if neg {
		return "-" + s
	}
	return s
}

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// envelopeMismatch describes a Return-Path whose domain differs from the
// From header's.
func envelopeMismatch(tr *trace.Trace) string {
	rp := addrDomain(tr.Header.ReturnPath)
	from := addrDomain(tr.Header.From)
	if rp == "" || from == "" || strings.EqualFold(rp, from) {
		return ""
	}
	return "envelope sender domain " + sanitize(rp, 80) + " differs from the From domain " + sanitize(from, 80)
}

func addrDomain(s string) string {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(strings.Trim(s[at+1:], "> ")))
}
