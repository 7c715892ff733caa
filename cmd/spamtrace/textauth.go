package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spamtrace/spamtrace/auth"
)

// writeAuthText writes the verdict block (who said what, believed or not)
// and the identity table of a message's authentication evidence.
func writeAuthText(w io.Writer, ev *auth.Evidence, p painter) {
	if ev == nil || len(ev.ResultFields)+len(ev.SPF)+len(ev.DKIM)+len(ev.ARC)+len(ev.Verdicts) == 0 && ev.Identities.From == "" {
		return
	}
	state := "offline: nothing verified, verdicts as the headers state them"
	if ev.Verified {
		state = "signatures, DMARC and SPF checked through DNS now"
	}
	fmt.Fprintln(w)
	writeWrapped(w, fmt.Sprintf("%s (%s)", p.paint("1", "Authentication:"), state), 2)
	believed := func(trusted bool) string {
		if trusted {
			return p.paint("32", "trusted     ")
		}
		return p.paint("33", "not believed")
	}
	hop := func(h int) string {
		if h < 0 {
			return "before hop 0"
		}
		return fmt.Sprintf("hop %d", h)
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
		line := fmt.Sprintf("  %s %-12s %s %s: %s", believed(rf.Trusted), hop(rf.Hop), name, sanitize(who, 60), sanitize(strings.Join(items, " "), 200))
		if rf.Err != nil {
			line += " [" + sanitize(rf.Err.Error(), 120) + "]"
		}
		writeWrapped(w, line, 30)
	}
	for _, s := range ev.SPF {
		writeWrapped(w, fmt.Sprintf("  %s %-12s Received-SPF %s: %s client-ip=%s", believed(s.Trusted), hop(s.Hop), sanitize(s.Receiver, 60), s.Result, sanitize(s.ClientIPText, 45)), 30)
	}
	for _, d := range ev.DKIM {
		v := d.Verify
		if d.Error != "" {
			v += " (" + sanitize(d.Error, 100) + ")"
		}
		writeWrapped(w, fmt.Sprintf("  %-12s %-12s DKIM-Signature d=%s s=%s a=%s: %s", "signature", hop(d.Hop), sanitize(d.Domain, 60), sanitize(d.Selector, 40), sanitize(d.Algorithm, 20), v), 30)
	}
	for _, s := range ev.ARC {
		writeWrapped(w, fmt.Sprintf("  %-12s %-12s ARC i=%d d=%s cv=%s: %s", "seal", hop(s.Hop), s.Instance, sanitize(s.Domain, 60), sanitize(s.CV, 10), s.Verify), 30)
	}
	if len(ev.ARC) > 0 {
		writeWrapped(w, fmt.Sprintf("  ARC chain: %s", ev.ARCChain), 30)
	}
	for _, v := range ev.Verdicts {
		switch v.Name {
		case "CIP", "CTRY", "LANG", "H", "PTR":
			continue // facts about the client, not verdicts
		}
		writeWrapped(w, fmt.Sprintf("  %s %-12s %s %s=%s: %s", believed(v.Trusted), hop(v.Hop), v.Vendor, v.Name, sanitize(v.Value, 40), v.Meaning), 30)
	}
	if ev.DMARCPolicy != "" || ev.DMARCError != "" {
		writeWrapped(w, fmt.Sprintf("  DMARC policy of the From domain: %s%s", ev.DMARCPolicy, sanitize(ev.DMARCError, 120)), 30)
	}
	if ev.OriginSPF != "" {
		writeWrapped(w, fmt.Sprintf("  SPF of the origin IP now: %s %s", ev.OriginSPF, sanitize(ev.OriginSPFError, 120)), 30)
	}

	id, al := &ev.Identities, &ev.Alignment
	fmt.Fprintln(w)
	writeWrapped(w, fmt.Sprintf("%-18s %s", "IDENTITY", "VALUE (and whether it is aligned with From)"), 19)
	row := func(name, v, aligned string) {
		if v == "" {
			return
		}
		line := fmt.Sprintf("%-18s %s", name, sanitize(v, 80))
		if aligned != "" {
			line += "  aligned with From: " + aligned
		}
		writeWrapped(w, line, 19)
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
}
