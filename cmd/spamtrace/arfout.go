package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/trace"
)

// maxReportedURIs caps the Reported-URI fields of one report.
const maxReportedURIs = 20

// setOut applies -out: it implies -format arf and creates the directory.
// It returns the exit status of a usage error, 0 when fine.
func setOut(opt *options, dir string, stderr io.Writer) int {
	if dir == "" {
		return 0
	}
	if opt.format != "" && opt.format != "arf" {
		fmt.Fprintf(stderr, "spamtrace: -out writes abuse reports; it conflicts with -format %s\n", opt.format)
		return 2
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "spamtrace: -out:", err)
		return 2
	}
	opt.format, opt.outDir = "arf", dir
	return 0
}

// severalInputs reports whether the inputs may hold more than one message
// file: then ARF reports are written as an mbox.
func severalInputs(paths []string) bool {
	if len(paths) > 1 {
		return true
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// reports says whether a record gets an abuse report: a traced message
// that carries no attached message (a carrier is the forwarder's mail;
// the reports are about what it carries).
func reports(r *record) bool { return r.tr != nil && len(r.attachments) == 0 }

// reportCount counts the reports of a message's records: one on each
// origin, one on each network hosting its web sites.
func reportCount(recs []record) int {
	n := 0
	for i := range recs {
		if reports(&recs[i]) {
			n += 1 + len(siteReports(&recs[i]))
		}
	}
	return n
}

// writeReports writes r's abuse report: to its own file under -out (and
// a line naming it on w), as one message of an mbox when r.frame is set,
// else as it is. It reports false when the file could not be written.
func writeReports(w io.Writer, r *record, opt *options) bool {
	if r.tr == nil {
		fmt.Fprintf(w, "# %s: no report: %s\n", sanitize(recordName(r), 200), sanitize(r.err.Error(), 300))
		return true
	}
	if !reports(r) {
		return true
	}
	type report struct {
		msg             []byte
		suffix, summary string
	}
	var b bytes.Buffer
	writeARF(&b, r)
	all := []report{{b.Bytes(), "", reportSummary(r)}}
	for i, sr := range siteReports(r) {
		var sb bytes.Buffer
		writeSiteARF(&sb, r, &sr)
		all = append(all, report{sb.Bytes(), "-site" + strconv.Itoa(i+1),
			sanitize(recordName(r), 200) + ": report on the web sites " + sanitize(strings.Join(sr.hosts, ", "), 200) + ", to " + sanitize(strings.Join(sr.to, ", "), 200)})
	}
	for _, rep := range all {
		switch {
		case opt.outDir != "":
			path := filepath.Join(opt.outDir, strings.TrimSuffix(reportFileName(r), ".eml")+rep.suffix+".eml")
			if err := os.WriteFile(path, rep.msg, 0o644); err != nil {
				fmt.Fprintf(w, "# %s: -out: %s\n", sanitize(recordName(r), 200), sanitize(err.Error(), 300))
				return false
			}
			fmt.Fprintf(w, "%s: %s\n", sanitize(path, 300), rep.summary)
		case r.frame:
			writeMboxMessage(w, rep.msg)
		default:
			w.Write(rep.msg)
		}
	}
	return true
}

// writeMboxMessage writes msg as one message of an mboxrd file: a "From "
// line, the message with every line matching ^>*From  quoted with one
// more '>', and the blank line that ends it.
func writeMboxMessage(w io.Writer, msg []byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From spamtrace@localhost %s\n", now().UTC().Format("Mon Jan _2 15:04:05 2006"))
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line = msg[:i+1]
		}
		msg = msg[len(line):]
		if quotedFrom(line) {
			b.WriteByte('>')
		}
		b.Write(line)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

func quotedFrom(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From "))
}

// reportSummary is the line -out prints for a report written.
func reportSummary(r *record) string {
	o := r.tr.Origin
	what := "no origin address"
	if o.IP.IsValid() {
		what = "report on " + o.IP.String()
	}
	to := "no abuse contact known"
	if o.Hop >= 0 && o.Hop < len(r.tr.Hops) {
		if l := r.tr.Hops[o.Hop].Lookup; l != nil {
			if a := reportTo(l); len(a) > 0 {
				to = "to " + strings.Join(a, ", ")
			}
		}
	}
	return sanitize(recordName(r), 200) + ": " + what + ", " + sanitize(to, 200)
}

// reportFileName names the .eml file of r's report after its input path,
// mbox position and part path; names that would be too long keep their end.
func reportFileName(r *record) string {
	name := r.file
	if name == "-" {
		name = "stdin"
	}
	name = strings.TrimLeft(filepath.ToSlash(name), "./")
	if ext := filepath.Ext(name); strings.EqualFold(ext, ".eml") || strings.EqualFold(ext, ".msg") {
		name = name[:len(name)-len(ext)]
	}
	if r.position > 0 {
		name += "-" + strconv.Itoa(r.position)
	}
	if r.part != "" {
		name += "-part" + r.part
	}
	safe := []byte(name)
	for i, c := range safe {
		if !(isAlnum(c) || c == '.' || c == '-' || c == '_') {
			safe[i] = '_'
		}
	}
	if len(safe) > 200 {
		safe = safe[len(safe)-200:]
	}
	return string(safe) + ".eml"
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// uriSafe keeps a URL on one header line in ASCII: spaces, controls and
// bytes above 0x7e are percent-encoded (RFC 3986 section 2.1).
func uriSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// writeURLsARF lists the advertised web sites in a report's text part,
// with their hosting networks' abuse contacts when lookups found them.
func writeURLsARF(b *bytes.Buffer, r *record) {
	if len(r.urls) == 0 {
		return
	}
	fmt.Fprintf(b, "Web sites the message advertises (%d):\n", len(r.urls))
	for _, h := range urlHosts(r) {
		fmt.Fprintf(b, "- %s%s\n", headerSafe(h.host), domainNote(h.host, h.domain))
		if hl := r.hosts[h.host]; hl != nil {
			if s := hostedAt(hl); s != "" {
				fmt.Fprintf(b, "  %s\n", headerSafe(s))
			}
		}
	}
	fmt.Fprintln(b)
}

type urlHost struct {
	host, domain string
	count        int
	parts        []string
}

// urlHosts groups a record's URLs by host, in order of first appearance.
func urlHosts(r *record) []urlHost {
	var out []urlHost
	idx := map[string]int{}
	for _, u := range r.urls {
		i, ok := idx[u.Host]
		if !ok {
			i = len(out)
			idx[u.Host] = i
			out = append(out, urlHost{host: u.Host, domain: u.Domain})
		}
		h := &out[i]
		h.count++
		if len(h.parts) == 0 || h.parts[len(h.parts)-1] != u.Part {
			h.parts = append(h.parts, u.Part)
		}
	}
	return out
}

func domainNote(host, domain string) string {
	if domain == "" || domain == host {
		return ""
	}
	return " (domain " + domain + ")"
}

// hostedAt says where a URL host resolved and whom to tell:
// "at 192.0.2.7, network NET (Org), abuse contact abuse@example.net".
func hostedAt(hl *trace.HostLookup) string {
	var parts []string
	if len(hl.Addrs) > 0 {
		as := make([]string, 0, 3)
		for i, a := range hl.Addrs {
			if i == 3 {
				as = append(as, "…")
				break
			}
			as = append(as, a.String())
		}
		parts = append(parts, "at "+strings.Join(as, ", "))
	}
	if nb := hl.Netblock; nb != nil {
		net := "network " + nb.Prefix.String()
		if nb.Name != "" {
			net += " " + nb.Name
		}
		if nb.Org != "" {
			net += " (" + nb.Org + ")"
		}
		parts = append(parts, net)
		var abuse []string
		for _, c := range nb.Abuse {
			if c.Source != netblock.SourceRemarks {
				abuse = append(abuse, c.Email)
			}
		}
		if len(abuse) > 0 {
			parts = append(parts, "abuse contact "+strings.Join(abuse, ", "))
		}
	}
	if len(hl.Errors) > 0 {
		parts = append(parts, "lookup error: "+strings.Join(hl.Errors, "; "))
	}
	return strings.Join(parts, ", ")
}

// reportTo returns the addresses a report on a hop goes to: the abuse
// contacts the registry has for the network, or, only when it has none,
// the RFC 2142 fallbacks at the forward-confirmed name's domain.
func reportTo(l *trace.Lookup) []string {
	if l.Netblock == nil {
		return nil
	}
	var registered, fallback []string
	for _, c := range l.Netblock.Abuse {
		switch c.Source {
		case netblock.SourceRDAP, netblock.SourceWhois:
			if !slices.Contains(registered, c.Email) {
				registered = append(registered, c.Email)
			}
		case netblock.SourceFallback:
			fallback = append(fallback, c.Email)
		}
	}
	if len(registered) > 0 {
		return registered
	}
	return fallback
}
