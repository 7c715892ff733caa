package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
	fmt.Fprintf(w, "\n%s (%s)\n", p.paint("1", "Authentication:"), state)
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
		fmt.Fprintln(w, line)
	}
	for _, s := range ev.SPF {
		fmt.Fprintf(w, "  %s %-12s Received-SPF %s: %s client-ip=%s\n", believed(s.Trusted), hop(s.Hop), sanitize(s.Receiver, 60), s.Result, sanitize(s.ClientIPText, 45))
	}
	for _, d := range ev.DKIM {
		v := d.Verify
		if d.Error != "" {
			v += " (" + sanitize(d.Error, 100) + ")"
		}
		fmt.Fprintf(w, "  %-12s %-12s DKIM-Signature d=%s s=%s a=%s: %s\n", "signature", hop(d.Hop), sanitize(d.Domain, 60), sanitize(d.Selector, 40), sanitize(d.Algorithm, 20), v)
	}
	for _, s := range ev.ARC {
		fmt.Fprintf(w, "  %-12s %-12s ARC i=%d d=%s cv=%s: %s\n", "seal", hop(s.Hop), s.Instance, sanitize(s.Domain, 60), sanitize(s.CV, 10), s.Verify)
	}
	if len(ev.ARC) > 0 {
		fmt.Fprintf(w, "  ARC chain: %s\n", ev.ARCChain)
	}
	for _, v := range ev.Verdicts {
		switch v.Name {
		case "CIP", "CTRY", "LANG", "H", "PTR":
			continue // facts about the client, not verdicts
		}
		fmt.Fprintf(w, "  %s %-12s %s %s=%s: %s\n", believed(v.Trusted), hop(v.Hop), v.Vendor, v.Name, sanitize(v.Value, 40), v.Meaning)
	}
	if ev.DMARCPolicy != "" || ev.DMARCError != "" {
		fmt.Fprintf(w, "  DMARC policy of the From domain: %s%s\n", ev.DMARCPolicy, sanitize(ev.DMARCError, 120))
	}
	if ev.OriginSPF != "" {
		fmt.Fprintf(w, "  SPF of the origin IP now: %s %s\n", ev.OriginSPF, sanitize(ev.OriginSPFError, 120))
	}

	id, al := &ev.Identities, &ev.Alignment
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IDENTITY\tVALUE\tALIGNED WITH FROM")
	row := func(name, v, aligned string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, sanitize(v, 80), aligned)
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
	tw.Flush()
}
