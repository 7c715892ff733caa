package main

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// The HTML report is one self-contained file: the style sheet is inlined,
// there is no script, no font, no image and no link that leaves the file,
// and a Content-Security-Policy in the document forbids every load but the
// inlined style (by its hash). Every string taken from a message goes
// through html/template, after sanitize has made control characters,
// terminal escapes and bidirectional overrides visible, so a hostile header
// is shown as text and never becomes markup.
//
// A bulk run streams: each worker renders its messages' sections, and the
// index table, which needs every message, is written after the last one.
// The style sheet puts it first on screen and on paper.

//go:embed templates/report.html templates/report.css
var templateFS embed.FS

var (
	reportCSS  string
	reportTmpl *template.Template
	// styleHash is the CSP source that allows exactly reportCSS.
	styleHash string
)

func init() {
	css, err := templateFS.ReadFile("templates/report.css")
	if err != nil {
		panic(err)
	}
	reportCSS = string(css)
	sum := sha256.Sum256(css)
	styleHash = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
		"sev": func(s trace.Severity) string { return s.String() },
	}).ParseFS(templateFS, "templates/report.html"))
}

// reportCSP is the policy of a report file: nothing may load, the inlined
// style sheet excepted.
func reportCSP() string {
	return "default-src 'none'; style-src " + styleHash + "; base-uri 'none'; form-action 'none'"
}

// htmlDoc is what the document's frame needs.
type htmlDoc struct {
	Title string
	CSP   string
	CSS   template.CSS
	Index []htmlEntry
}

func newHTMLDoc(title string) *htmlDoc {
	return &htmlDoc{Title: title, CSP: reportCSP(), CSS: template.CSS(reportCSS)}
}

// htmlEntry is one message's row in a bulk run's index.
type htmlEntry struct {
	ID, Name, Subject, From, Origin string
	Worst                           string // severity class of the worst finding, "" when none
	High, Medium                    int
	Err                             string
}

// htmlMessage is one message's section.
type htmlMessage struct {
	ID       string
	Name     string
	Err      string
	Trace    *trace.Trace // for the blocks other reports add ("auth", "urls")
	Header   [][2]string
	Note     string
	Verdict  string
	Worst    string
	Origin   htmlOrigin
	ReportTo []string
	Hint     string // how to find whom to report to when ReportTo is empty
	Hops     []htmlHop
	Graph    *svgGraph
	Findings []htmlSeverity
	Lookups  []htmlLookup
	Clients  []string
	Raw      []htmlRaw
	HdrErrs  []string
	Auth     *authView // nil when the message carries no authentication evidence
	URLs     *htmlURLs // nil when its text parts name no web address
	MIMEErrs []string
}

type htmlOrigin struct {
	Found  bool
	Hop    int
	IP     string
	Host   string
	Reason string
}

type htmlHop struct {
	Index                                int
	Time, Delay, From, By, With, TLS     string
	Trust                                string
	Flags                                []htmlFlag
	Origin                               bool
	DelayNegative, ParseError, HasLookup bool
}

type htmlFlag struct {
	Category string
	Sev      trace.Severity
}

func (f htmlFlag) Severity() string { return f.Sev.String() }

type htmlSeverity struct {
	Severity string
	Findings []htmlFinding
}

type htmlFinding struct {
	Category, Where, Message, Evidence, Rule string
}

type htmlLookup struct {
	Hop                         int
	IP                          string
	Claimed, PTR                string
	FCrDNS                      bool
	Network, Country, Registry  string
	Special                     string
	Netblock, NetblockSource    string
	Abuse                       []string
	DNSBL                       []string
	Errors                      []string
	HasPTR, HasNetwork, HasGeo  bool
	HasNetblock, HasAbuse, Some bool
}

type htmlRaw struct {
	Index int
	Text  string
}

// Caps on what one message puts into the page: header values are shown
// up to these many characters (the JSON output keeps everything).
const (
	htmlShort = 160 // a table cell
	htmlLong  = 600 // a sentence, evidence, a raw header
)

// sectionID names a message's section from its file and position, so a
// worker can link to it without knowing the message's place in the run; a
// file the run names again gets the number of its earlier readings after
// a '-', so that no two sections share an id.
func sectionID(file string, position int, part string, again int) string {
	h := fnv.New64a()
	io.WriteString(h, file)
	fmt.Fprintf(h, "\x00%d\x00%s", position, part)
	id := "m" + strconv.FormatUint(h.Sum64(), 36)
	if again > 0 {
		id += "-" + strconv.Itoa(again)
	}
	return id
}

// newHTMLMessage builds a message's section from its record.
func newHTMLMessage(r *record) *htmlMessage {
	m := &htmlMessage{ID: sectionID(r.file, r.position, r.part, r.again), Name: sanitize(recordName(r), htmlShort)}
	if r.err != nil {
		m.Err = sanitize(r.err.Error(), htmlLong)
	}
	tr := r.tr
	if tr == nil {
		m.Verdict = "could not be read"
		m.Worst = "high"
		return m
	}
	m.Trace = tr
	addHTMLExtras(m, r)
	h := tr.Header
	for _, kv := range [][2]string{{"From", h.From}, {"To", h.To}, {"Subject", h.Subject}, {"Date", h.Date}, {"Message-ID", h.MessageID}, {"Return-Path", h.ReturnPath}} {
		if kv[1] != "" {
			m.Header = append(m.Header, [2]string{kv[0], sanitize(kv[1], htmlShort)})
		}
	}
	m.Note = envelopeMismatch(tr)

	var counts [trace.SeverityHigh + 1]int
	worst := map[int]trace.Severity{}
	flags := map[int][]htmlFlag{}
	for _, f := range tr.Findings {
		counts[min(f.Severity, trace.SeverityHigh)]++
		if f.Hop >= 0 {
			if f.Severity > worst[f.Hop] {
				worst[f.Hop] = f.Severity
			}
			if f.Severity >= trace.SeverityLow {
				flags[f.Hop] = appendFlag(flags[f.Hop], htmlFlag{string(f.Category), f.Severity})
			}
		}
	}
	m.Verdict, m.Worst = verdict(tr, counts)

	o := tr.Origin
	if o.Hop >= 0 && o.Hop < len(tr.Hops) {
		m.Origin = htmlOrigin{Found: true, Hop: o.Hop, Host: sanitize(o.Host, htmlShort), Reason: sanitize(o.Reason, htmlLong)}
		if o.IP.IsValid() {
			m.Origin.IP = o.IP.String()
		} else {
			m.Origin.IP = "no address recorded"
		}
		if l := tr.Hops[o.Hop].Lookup; l != nil {
			for _, a := range lookupAbuse(l) {
				m.ReportTo = append(m.ReportTo, sanitize(a, htmlShort))
			}
		}
		switch {
		case len(m.ReportTo) > 0:
		case !o.IP.IsValid():
			m.Hint = "nobody can be named: the origin hop recorded no address"
		case tr.Hops[o.Hop].Lookup != nil:
			m.Hint = "the lookups found no abuse contact for " + o.IP.String()
		default:
			m.Hint = "the abuse contact of the network holding " + o.IP.String() + " (run with -resolve, or spamtrace whois " + o.IP.String() + ")"
		}
	} else {
		m.Origin.Reason = sanitize(o.Reason, htmlLong)
		m.Hint = "nobody can be named without an origin"
	}

	path := tr.Path()
	for i := range path {
		hp := &path[i]
		rh := &hp.Received
		row := htmlHop{Index: hp.Index, Time: "-", Delay: "-", From: sanitize(fromCell(hp), htmlShort),
			By: sanitize(rh.By.Host, htmlShort), With: sanitize(withCell(hp), 40), TLS: sanitize(rh.TLS.Version, 20),
			Trust: hp.Trust.String(), Flags: flags[hp.Index], Origin: hp.Trust == trace.TrustOrigin,
			ParseError: hp.ParseErr != nil, HasLookup: hp.Lookup != nil}
		if !rh.Date.IsZero() {
			row.Time = rh.Date.UTC().Format("2006-01-02 15:04:05")
		}
		if hp.Delay != 0 {
			row.Delay = fmtDelay(hp.Delay)
			row.DelayNegative = hp.Delay < 0
		}
		if row.TLS == "" && rh.TLS.Cipher != "" {
			row.TLS = "yes"
		}
		if row.By == "" {
			row.By = "-"
		}
		m.Hops = append(m.Hops, row)
		m.Raw = append(m.Raw, htmlRaw{hp.Index, sanitize(rh.Raw, htmlLong)})
		if hp.Lookup != nil {
			m.Lookups = append(m.Lookups, newHTMLLookup(hp.Index, hp.Lookup))
		}
	}
	m.Graph = layoutGraph(tr, worst)

	for sev := trace.SeverityHigh; ; sev-- {
		var g htmlSeverity
		for _, f := range tr.Findings {
			if f.Severity != sev {
				continue
			}
			where := "message"
			if f.Hop >= 0 {
				where = "hop " + strconv.Itoa(f.Hop)
			}
			g.Findings = append(g.Findings, htmlFinding{Category: string(f.Category), Where: where,
				Message: sanitize(f.Message, htmlLong), Evidence: sanitize(f.Evidence, htmlLong), Rule: f.Rule})
		}
		if len(g.Findings) > 0 {
			g.Severity = sev.String()
			m.Findings = append(m.Findings, g)
		}
		if sev == trace.SeverityInfo {
			break
		}
	}
	for _, c := range tr.ClientIPs {
		m.Clients = append(m.Clients, sanitize(c.Text, htmlShort)+" ("+sanitize(c.Header, 60)+")")
	}
	for _, e := range tr.HeaderErrors {
		m.HdrErrs = append(m.HdrErrs, sanitize(e, htmlLong))
	}
	return m
}

func appendFlag(fs []htmlFlag, f htmlFlag) []htmlFlag {
	for i, g := range fs {
		if g.Category == f.Category {
			if f.Sev > g.Sev {
				fs[i] = f
			}
			return fs
		}
	}
	return append(fs, f)
}

// verdict sums the findings up in a few words, and names the class of the
// worst severity. It says what the headers show, no more: only medium and
// high findings, which legitimate mail rarely raises, count as evidence.
func verdict(tr *trace.Trace, counts [trace.SeverityHigh + 1]int) (string, string) {
	plural := func(n int, what string) string {
		if n == 1 {
			return "1 " + what + " finding"
		}
		return strconv.Itoa(n) + " " + what + " findings"
	}
	switch {
	case counts[trace.SeverityHigh] > 0:
		s := "forgery evidence: " + plural(counts[trace.SeverityHigh], "high-severity")
		if n := counts[trace.SeverityMedium]; n > 0 {
			s += ", " + plural(n, "medium")
		}
		return s, "high"
	case counts[trace.SeverityMedium] > 0:
		return "suspicious: " + plural(counts[trace.SeverityMedium], "medium-severity"), "medium"
	case len(tr.Hops) == 0:
		return "no Received headers to trace", "low"
	}
	return "no forgery evidence in the headers", ""
}

func newHTMLLookup(hop int, l *trace.Lookup) htmlLookup {
	v := htmlLookup{Hop: hop, IP: l.IP.String(), Claimed: sanitize(l.Claimed, htmlShort),
		PTR: sanitize(strings.Join(l.PTR, ", "), htmlShort), FCrDNS: l.FCrDNS,
		Country: sanitize(l.Country, 10), Registry: sanitize(l.Registry, 20), Special: sanitize(l.Special, 80)}
	if !l.IP.IsValid() {
		v.IP = "-"
	}
	v.HasPTR = len(l.PTR) > 0 || l.Claimed != ""
	if l.ASN != 0 || l.ASOrg != "" {
		v.Network = sanitize(fmt.Sprintf("AS%d %s", l.ASN, l.ASOrg), htmlShort)
		v.HasNetwork = true
	}
	if l.Country != "" || l.City != "" {
		v.HasGeo = true
		if l.City != "" {
			v.Country = sanitize(l.City+", "+l.Country, 80)
		}
	}
	if nb := l.Netblock; nb != nil {
		v.HasNetblock = true
		v.Netblock = sanitize(fmt.Sprintf("%s %s (%s)", nb.Prefix, nb.Name, nb.Org), htmlShort)
		v.NetblockSource = sanitize(fmt.Sprintf("%s via %s", nb.Registry, nb.Source), 60)
		for _, c := range nb.Abuse {
			v.Abuse = append(v.Abuse, sanitize(fmt.Sprintf("%s (%s)", c.Email, c.Source), htmlShort))
		}
		v.HasAbuse = len(v.Abuse) > 0
	}
	for _, d := range l.DNSBL {
		v.DNSBL = append(v.DNSBL, sanitize(d.Zone+": "+strings.Join(d.Meaning, ", "), htmlShort))
	}
	for _, e := range l.Errors {
		v.Errors = append(v.Errors, sanitize(e, htmlLong))
	}
	v.Some = v.HasPTR || v.HasNetwork || v.HasGeo || v.HasNetblock || len(v.DNSBL) > 0 || len(v.Errors) > 0 || v.Special != ""
	return v
}

func (m *htmlMessage) entry() htmlEntry {
	e := htmlEntry{ID: m.ID, Name: m.Name, Worst: m.Worst, Err: m.Err, Origin: "-"}
	for _, kv := range m.Header {
		switch kv[0] {
		case "Subject":
			e.Subject = kv[1]
		case "From":
			e.From = kv[1]
		}
	}
	if m.Origin.Found {
		e.Origin = m.Origin.IP
	}
	for _, g := range m.Findings {
		switch g.Severity {
		case "high":
			e.High = len(g.Findings)
		case "medium":
			e.Medium = len(g.Findings)
		}
	}
	return e
}

// writeHTMLStart writes the document up to the first message's section.
func writeHTMLStart(w io.Writer, doc *htmlDoc) error {
	return reportTmpl.ExecuteTemplate(w, "doc-start", doc)
}

// writeHTMLMessage writes one message's section and returns its index row.
func writeHTMLMessage(w io.Writer, r *record) htmlEntry {
	m := newHTMLMessage(r)
	if err := reportTmpl.ExecuteTemplate(w, "message", m); err != nil {
		// The templates are fixed and checked by the tests; an error
		// here is a bug, shown where the section would be.
		fmt.Fprintf(w, "<p class=\"error\">spamtrace: %s</p>\n", template.HTMLEscapeString(err.Error()))
	}
	return m.entry()
}

// writeHTMLEnd writes the index (for more than one message) and closes
// the document.
func writeHTMLEnd(w io.Writer, doc *htmlDoc, index []htmlEntry) error {
	if len(index) > 1 {
		doc.Index = index
	}
	return reportTmpl.ExecuteTemplate(w, "doc-end", doc)
}

// htmlRun frames a bulk run's sections into one document and collects
// the index rows in input order. Its methods do nothing on a nil *htmlRun
// (another format).
type htmlRun struct {
	doc   *htmlDoc
	index []htmlEntry
}

// newHTMLRun writes the start of the document when format is "html" and
// returns nil otherwise.
func newHTMLRun(format string, w io.Writer) *htmlRun {
	if format != "html" {
		return nil
	}
	h := &htmlRun{doc: newHTMLDoc("spamtrace report")}
	writeHTMLStart(w, h.doc)
	return h
}

func (h *htmlRun) add(e []htmlEntry) {
	if h != nil {
		h.index = append(h.index, e...)
	}
}

func (h *htmlRun) end(w io.Writer) {
	if h != nil {
		writeHTMLEnd(w, h.doc, h.index)
	}
}
