package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spamtrace/spamtrace/auth"
)

// authView is a message's authentication evidence as the reports show
// it: who said what (believed or not) and the identity table. The text
// and HTML reports render the same view; every string is sanitized.
type authView struct {
	State string // what was verified
	Rows  []authRow
	IDs   []authIdentity
}

// authRow is one verdict: a results field, an SPF record, a signature, a
// seal or a vendor verdict, or a summary line (Kind "").
type authRow struct {
	Kind    string // "verdict" (believed or not), "signature", "seal", or "" for a summary line
	Trusted bool   // Kind "verdict": written inside the trust boundary
	Where   string // "hop 3", "before hop 0"
	What    string
}

// authIdentity is one row of the identity table.
type authIdentity struct {
	Name, Value string
	Aligned     string // "yes (strict)", "yes (relaxed)", "no", or "" when alignment does not apply
}

// newAuthView builds the view; nil when the message carries nothing to
// show.
func newAuthView(ev *auth.Evidence) *authView {
	if ev == nil || len(ev.ResultFields)+len(ev.SPF)+len(ev.DKIM)+len(ev.ARC)+len(ev.Verdicts) == 0 && ev.Identities.From == "" {
		return nil
	}
	v := &authView{State: "offline: nothing verified, verdicts as the headers state them"}
	if ev.Verified {
		v.State = "signatures, DMARC and SPF checked through DNS now"
	}
	hop := func(h int) string {
		if h < 0 {
			return "before hop 0"
		}
		return fmt.Sprintf("hop %d", h)
	}
	add := func(kind string, trusted bool, h int, what string) {
		v.Rows = append(v.Rows, authRow{Kind: kind, Trusted: trusted, Where: hop(h), What: what})
	}
	for i := range ev.ResultFields {
		rf := &ev.ResultFields[i]
		var items []string
		for _, r := range ev.Results {
			if r.Field == i {
				items = append(items, r.Method+"="+r.Result)
			}
		}
		who := rf.AuthservID
		if who == "" {
			who = "(no authserv-id)"
		}
		name := "results"
		if rf.Instance > 0 {
			name = fmt.Sprintf("ARC i=%d results", rf.Instance)
		}
		what := fmt.Sprintf("%s %s: %s", name, sanitize(who, 60), sanitize(strings.Join(items, " "), 200))
		if rf.Err != nil {
			what += " [" + sanitize(rf.Err.Error(), 120) + "]"
		}
		add("verdict", rf.Trusted, rf.Hop, what)
	}
	for _, s := range ev.SPF {
		add("verdict", s.Trusted, s.Hop, fmt.Sprintf("Received-SPF %s: %s client-ip=%s", sanitize(s.Receiver, 60), s.Result, sanitize(s.ClientIPText, 45)))
	}
	for _, d := range ev.DKIM {
		res := d.Verify
		if d.Error != "" {
			res += " (" + sanitize(d.Error, 100) + ")"
		}
		add("signature", false, d.Hop, fmt.Sprintf("DKIM-Signature d=%s s=%s a=%s: %s", sanitize(d.Domain, 60), sanitize(d.Selector, 40), sanitize(d.Algorithm, 20), res))
	}
	for _, s := range ev.ARC {
		add("seal", false, s.Hop, fmt.Sprintf("ARC i=%d d=%s cv=%s: %s", s.Instance, sanitize(s.Domain, 60), sanitize(s.CV, 10), s.Verify))
	}
	summary := func(what string) { v.Rows = append(v.Rows, authRow{What: what}) }
	if len(ev.ARC) > 0 {
		summary("ARC chain: " + ev.ARCChain)
	}
	for _, vd := range ev.Verdicts {
		switch vd.Name {
		case "CIP", "CTRY", "LANG", "H", "PTR":
			continue // facts about the client, not verdicts
		}
		add("verdict", vd.Trusted, vd.Hop, fmt.Sprintf("%s %s=%s: %s", vd.Vendor, vd.Name, sanitize(vd.Value, 40), vd.Meaning))
	}
	if ev.DMARCPolicy != "" || ev.DMARCError != "" {
		summary("DMARC policy of the From domain: " + ev.DMARCPolicy + sanitize(ev.DMARCError, 120))
	}
	if ev.OriginSPF != "" {
		summary("SPF of the origin IP now: " + ev.OriginSPF + " " + sanitize(ev.OriginSPFError, 120))
	}

	id, al := &ev.Identities, &ev.Alignment
	row := func(name, value, aligned string) {
		if value != "" {
			v.IDs = append(v.IDs, authIdentity{Name: name, Value: sanitize(value, 80), Aligned: aligned})
		}
	}
	yes := func(relaxed, strict bool) string {
		switch {
		case strict:
			return "yes (strict)"
		case relaxed:
			return "yes (relaxed)"
		}
		return "no"
	}
	row("From", id.From, "")
	row("Envelope from", id.EnvelopeFrom, "")
	if al.SPFDomain != "" {
		row("SPF pass domain", al.SPFDomain, yes(al.SPF, al.SPFStrict))
	}
	if al.DKIMDomain != "" {
		row("DKIM pass domain", al.DKIMDomain, yes(al.DKIM, al.DKIMStrict))
	}
	row("Sender", id.Sender, "")
	for _, r := range id.ReplyTo {
		row("Reply-To", r, "")
	}
	row("DKIM d=", strings.Join(id.DKIMDomains, ", "), "")
	row("Message-ID domain", id.MessageIDDomain, "")
	row("Origin HELO", id.OriginHELO, "")
	row("DMARC (computed)", al.DMARC, "")
	return v
}

// writeAuthText writes the verdict block (who said what, believed or not)
// and the identity table of a message's authentication evidence.
func writeAuthText(w io.Writer, ev *auth.Evidence, p painter) {
	v := newAuthView(ev)
	if v == nil {
		return
	}
	fmt.Fprintln(w)
	writeWrapped(w, fmt.Sprintf("%s (%s)", p.paint("1", "Authentication:"), v.State), 2)
	for _, r := range v.Rows {
		var status string
		switch {
		case r.Kind == "":
			writeWrapped(w, "  "+r.What, 30)
			continue
		case r.Kind != "verdict":
			status = fmt.Sprintf("%-12s", r.Kind)
		case r.Trusted:
			status = p.paint("32", "trusted     ")
		default:
			status = p.paint("33", "not believed")
		}
		writeWrapped(w, fmt.Sprintf("  %s %-12s %s", status, r.Where, r.What), 30)
	}
	fmt.Fprintln(w)
	writeWrapped(w, fmt.Sprintf("%-18s %s", "IDENTITY", "VALUE (and whether it is aligned with From)"), 19)
	for _, id := range v.IDs {
		line := fmt.Sprintf("%-18s %s", id.Name, id.Value)
		if id.Aligned != "" {
			line += "  aligned with From: " + id.Aligned
		}
		writeWrapped(w, line, 19)
	}
}
