package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
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

// writeText prints the report a person reads. It fits a terminal of
// textWidth columns: long lines wrap with an indent (see wrapLine), a hop
// takes two lines (its columns, then where it came from and who wrote
// it), and hops are printed oldest first, as the message travelled.
func writeText(w io.Writer, r *record, color bool) {
	p := painter{color}
	name := recordName(r)
	writeWrapped(w, p.paint("1", "== "+sanitize(name, 200)), 3)
	if r.tr == nil {
		writeWrapped(w, "error: "+sanitize(r.err.Error(), 300), 7)
		fmt.Fprintln(w)
		return
	}
	tr := r.tr
	writeTextHeader(w, tr)
	writeAttachedText(w, r)
	fmt.Fprintln(w)
	writeHopTable(w, p, tr)
	fmt.Fprintln(w)
	writeTextOrigin(w, p, tr)
	writeAuthText(w, tr.Auth, p)
	writeTextFindings(w, p, tr)
	writeURLsText(w, r, p)
	for _, e := range tr.HeaderErrors {
		writeWrapped(w, "header: "+sanitize(e, 200), 8)
	}
	if r.err != nil {
		writeWrapped(w, "error: "+sanitize(r.err.Error(), 300), 7)
	}
	fmt.Fprintln(w)
}

// writeTextHeader prints the message's summary header fields.
func writeTextHeader(w io.Writer, tr *trace.Trace) {
	h := tr.Header
	for _, kv := range headerLines(&h) {
		if kv[1] != "" {
			writeWrapped(w, fmt.Sprintf("%-12s %s", kv[0]+":", sanitize(kv[1], 160)), 13)
		}
	}
	if d := envelopeMismatch(tr); d != "" {
		writeWrapped(w, fmt.Sprintf("%-12s %s", "Note:", d), 13)
	}
}

// hopIndent is where a hop's second line starts.
const hopIndent = 5

// writeHopTable prints the hops oldest first, two lines each:
//
//	HOP  TIME (UTC)  DELAY  TRUST  WITH  TLS  FLAGS
//	     from HELO x / rDNS y / [IP]  by RECEIVING SERVER
//
// The first line's columns are as wide as their widest cell; flags and
// the second line wrap within textWidth.
func writeHopTable(w io.Writer, p painter, tr *trace.Trace) {
	if len(tr.Hops) == 0 {
		fmt.Fprintln(w, "no Received headers")
		return
	}
	flags := map[int][]string{}
	for _, f := range tr.Findings {
		if f.Hop >= 0 && f.Severity >= trace.SeverityLow {
			flags[f.Hop] = append(flags[f.Hop], string(f.Category))
		}
	}
	rows := [][]string{{"HOP", "TIME (UTC)", "DELAY", "TRUST", "WITH", "TLS", "FLAGS"}}
	second := []string{"from HELO / rDNS / [IP]  by RECEIVING SERVER"}
	for i := len(tr.Hops) - 1; i >= 0; i-- {
		hp := &tr.Hops[i]
		rh := &hp.Received
		when := "-"
		if !rh.Date.IsZero() {
			when = rh.Date.UTC().Format("2006-01-02 15:04:05")
		}
		delay := "-"
		if d, ok := hopDelay(tr, i); ok {
			delay = d
		}
		tls := rh.TLS.Version
		if tls == "" && rh.TLS.Cipher != "" {
			tls = "yes"
		}
		trust := hp.Trust.String()
		if hp.Trust == trace.TrustOrigin {
			trust = p.paint("1;32", trust)
		}
		rows = append(rows, []string{strconv.Itoa(hp.Index), when, delay, trust, sanitize(withCell(hp), 14), sanitize(tls, 10),
			strings.Join(uniq(flags[hp.Index]), ", ")})
		by := rh.By.Host
		if by == "" {
			by = "(unnamed)"
		}
		second = append(second, "from "+fromCell(hp)+"  by "+sanitize(by, 80))
	}
	last := len(rows[0]) - 1
	widths := make([]int, last)
	for _, r := range rows {
		for c := 0; c < last; c++ {
			widths[c] = max(widths[c], visibleWidth(r[c]))
		}
	}
	flagCol := 0
	for _, wd := range widths {
		flagCol += wd + 2
	}
	for k, r := range rows {
		var b strings.Builder
		for c := 0; c < last; c++ {
			b.WriteString(r[c])
			b.WriteString(strings.Repeat(" ", widths[c]-visibleWidth(r[c])+2))
		}
		b.WriteString(r[last])
		writeWrapped(w, strings.TrimRight(b.String(), " "), min(flagCol, textWidth-30))
		writeWrapped(w, strings.Repeat(" ", hopIndent)+second[k], hopIndent+2)
	}
}

// hopDelay is the time hop i took after the older hop i+1, when both are
// dated: "0s" for none at all, "-" is left for a missing date.
func hopDelay(tr *trace.Trace, i int) (string, bool) {
	if i+1 >= len(tr.Hops) || tr.Hops[i].Received.Date.IsZero() || tr.Hops[i+1].Received.Date.IsZero() {
		return "", false
	}
	return fmtDelay(tr.Hops[i].Delay), true
}

// writeTextOrigin prints the origin, which of its names can be believed,
// and what lookups found about it.
func writeTextOrigin(w io.Writer, p painter, tr *trace.Trace) {
	o := tr.Origin
	if !o.IsValid() || o.Hop >= len(tr.Hops) {
		writeWrapped(w, p.paint("1", "Origin:")+" none: "+sanitize(o.Reason, 200), 2)
	} else {
		ip := "no address recorded"
		if o.IP.IsValid() {
			ip = o.IP.String()
		}
		h := &tr.Hops[o.Hop]
		writeWrapped(w, fmt.Sprintf("%s %s at hop %d", p.paint("1", "Origin:"), p.paint("1;32", ip), o.Hop), 2)
		writeWrapped(w, "  name: "+originNames(h), 8)
		writeWrapped(w, "  "+sanitize(o.Reason, 300), 4)
		if l := h.Lookup; l != nil {
			writeLookup(w, l)
		}
	}
	for _, c := range tr.ClientIPs {
		writeWrapped(w, fmt.Sprintf("Webmail client: %s (%s)", sanitize(c.Text, 60), c.Header), 2)
	}
}

// originNames says which names the origin hop records and which of them
// is verified: the reverse DNS name the receiving server looked up itself
// (the server this trace trusts), against the HELO name, which is the
// sender's own unchecked claim; with lookups, whether the name resolves
// back to the address today.
func originNames(h *trace.Hop) string {
	f := &h.Received.From
	by := sanitize(h.Received.By.Host, 60)
	if by == "" {
		by = "the receiving server"
	}
	var b strings.Builder
	switch {
	case f.RDNS != "":
		fmt.Fprintf(&b, "rDNS %s, looked up by %s", sanitize(f.RDNS, 80), by)
		if f.MayBeForged {
			b.WriteString(", which marked it \"may be forged\" (it does not resolve back)")
		}
	case f.RDNSUnknown:
		fmt.Fprintf(&b, "rDNS unknown: %s found no reverse DNS name", by)
	default:
		fmt.Fprintf(&b, "no rDNS recorded by %s", by)
	}
	switch {
	case f.HELO == "":
	case f.RDNS != "" && strings.EqualFold(f.HELO, f.RDNS):
		b.WriteString("; the HELO gives the same name")
	default:
		fmt.Fprintf(&b, "; HELO %s is the sender's own claim, not verified", sanitize(f.HELO, 80))
	}
	if l := h.Lookup; l != nil && len(l.PTR) > 0 {
		if l.FCrDNS {
			fmt.Fprintf(&b, "; today %s is forward-confirmed", sanitize(l.PTR[0], 80))
		} else {
			fmt.Fprintf(&b, "; today %s, not forward-confirmed", sanitize(strings.Join(l.PTR, ", "), 120))
		}
	}
	return b.String()
}

// writeTextFindings prints the findings, worst first.
func writeTextFindings(w io.Writer, p painter, tr *trace.Trace) {
	if len(tr.Findings) == 0 {
		return
	}
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
			writeWrapped(w, fmt.Sprintf("  [%s] %s: %s", f.Category, where, sanitize(f.Message, 300)), 6)
			if f.Evidence != "" {
				writeWrapped(w, "      evidence: "+sanitize(f.Evidence, 200), 16)
			}
		}
		if sev == trace.SeverityInfo {
			break
		}
	}
}

func writeLookup(w io.Writer, l *trace.Lookup) {
	if len(l.PTR) > 0 {
		writeWrapped(w, fmt.Sprintf("  reverse DNS now: %s (forward-confirmed: %v)", sanitize(strings.Join(l.PTR, ", "), 200), l.FCrDNS), 4)
	}
	if l.Country != "" || l.ASN != 0 {
		writeWrapped(w, fmt.Sprintf("  network: AS%d %s, country %s", l.ASN, sanitize(l.ASOrg, 80), l.Country), 4)
	}
	for _, d := range l.DNSBL {
		writeWrapped(w, fmt.Sprintf("  listed on %s: %s", sanitize(d.Zone, 80), sanitize(strings.Join(d.Meaning, ", "), 120)), 4)
	}
	if nb := l.Netblock; nb != nil {
		writeWrapped(w, fmt.Sprintf("  netblock: %s %s (%s, %s via %s)", nb.Prefix, sanitize(nb.Name, 60), sanitize(nb.Org, 80), nb.Registry, nb.Source), 4)
		for _, c := range nb.Abuse {
			writeWrapped(w, fmt.Sprintf("  report to: %s (%s)", sanitize(c.Email, 120), c.Source), 4)
		}
	}
	for _, e := range l.Errors {
		writeWrapped(w, "  lookup error: "+sanitize(e, 200), 4)
	}
}

// fromCell names a hop's client the way its receiving server recorded it,
// each name labelled with where it came from: "HELO x / rDNS y / [IP]".
// "rDNS unknown" means the server looked the address up and found no
// name; no rDNS part means it recorded none.
func fromCell(h *trace.Hop) string {
	f := &h.Received.From
	parts := make([]string, 0, 3)
	helo, rdns := sanitize(f.HELO, 120), sanitize(f.RDNS, 120)
	switch {
	case f.HELO != "" && f.RDNS != "" && strings.EqualFold(f.RDNS, f.HELO):
		parts = append(parts, "HELO=rDNS "+helo)
	case f.HELO != "":
		parts = append(parts, "HELO "+helo)
	}
	switch {
	case f.RDNS != "" && !strings.EqualFold(f.RDNS, f.HELO):
		parts = append(parts, "rDNS "+rdns)
	case f.RDNS == "" && f.RDNSUnknown:
		parts = append(parts, "rDNS unknown")
	}
	if f.MayBeForged && len(parts) > 0 {
		parts[len(parts)-1] += " (may be forged)"
	}
	if f.IPText != "" {
		// an address is never cut: an IPv6 literal is at most 45 bytes
		parts = append(parts, "["+sanitize(f.IPText, 64)+"]")
	}
	if len(parts) == 0 {
		if f.Ident != "" {
			return "(local: " + sanitize(f.Ident, 60) + ")"
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
