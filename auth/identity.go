package auth

import (
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
)

func (a *analyzer) identities(from, sender, replyTo, msgID, returnPath string) {
	id := &a.ev.Identities
	id.From = address(from)
	id.Sender = address(sender)
	id.ReplyTo = addressList(replyTo)
	if msgID != "" {
		if i := strings.LastIndexByte(msgID, '@'); i >= 0 {
			id.MessageIDDomain = normDomain(strings.TrimRight(msgID[i+1:], "> \t"))
		}
	}
	if o := a.in.Origin; o >= 0 && o < len(a.in.Hops) && a.in.Hops[o].Received != nil {
		id.OriginHELO = a.in.Hops[o].Received.From.HELO
	}
	id.EnvelopeFrom = address(returnPath)
	if id.EnvelopeFrom == "" {
		for _, h := range a.in.Hops {
			if h.Trusted && h.Received != nil && h.Received.EnvelopeFrom != "" {
				id.EnvelopeFrom = h.Received.EnvelopeFrom
				break
			}
		}
	}
	if id.EnvelopeFrom == "" {
		for _, r := range a.ev.Results {
			if r.Trusted && r.Method == "spf" && r.Properties["smtp.mailfrom"] != "" {
				id.EnvelopeFrom = r.Properties["smtp.mailfrom"]
				break
			}
		}
	}
	if id.EnvelopeFrom == "" {
		for _, s := range a.ev.SPF {
			if s.Trusted && s.EnvelopeFrom != "" {
				id.EnvelopeFrom = s.EnvelopeFrom
				break
			}
		}
	}
	// The two lists come from the analysis' string array, which has room
	// for the domains.
	strs := &a.bufs.strs
	strs.drop()
	for _, d := range a.ev.DKIM {
		if d.Domain != "" && !contains(strs.run(), d.Domain) {
			strs.add(d.Domain)
		}
	}
	id.DKIMDomains = strs.take()
	for _, r := range a.ev.Results {
		if hf := r.Properties["header.from"]; r.Trusted && hf != "" && !contains(strs.run(), lower(hf)) {
			strs.add(lower(hf))
		}
	}
	id.HeaderFrom = strs.take()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// align computes DMARC identifier alignment (RFC 7489 §3.1) from the
// trusted SPF and DKIM passes and, after verification, from the verified
// signatures and the origin's SPF. rec, when non-nil, is the From
// domain's DMARC record: its adkim/aspf choose strict or relaxed for the
// DMARC verdict (relaxed by default, RFC 7489 §6.3).
func (a *analyzer) align(rec *dmarc.Record) {
	ev := a.ev
	al := Alignment{DMARC: "none"}
	al.FromDomain = domainOf(ev.Identities.From)
	if al.FromDomain == "" {
		ev.Alignment = al
		return
	}
	fromOrg := "" // computed when there is something to align
	judged := false
	check := func(d string, spf bool) {
		d = domainOf(d)
		if d == "" {
			return
		}
		judged = true
		if fromOrg == "" {
			fromOrg = orgDomain(al.FromDomain)
		}
		strict := d == al.FromDomain
		relaxed := strict || orgDomain(d) == fromOrg
		if spf {
			if al.SPFDomain == "" || relaxed && !al.SPF {
				al.SPFDomain = d
			}
			al.SPF, al.SPFStrict = al.SPF || relaxed, al.SPFStrict || strict
		} else {
			if al.DKIMDomain == "" || relaxed && !al.DKIM {
				al.DKIMDomain = d
			}
			al.DKIM, al.DKIMStrict = al.DKIM || relaxed, al.DKIMStrict || strict
		}
	}
	for _, r := range ev.Results {
		if !r.Trusted || r.Header != "Authentication-Results" {
			continue
		}
		switch {
		case r.Method == "spf" && r.Result == "pass":
			d := r.Properties["smtp.mailfrom"]
			if d == "" {
				d = r.Properties["smtp.helo"]
			}
			check(d, true)
		case r.Method == "dkim" && r.Result == "pass":
			d := r.Properties["header.d"]
			if d == "" {
				d = r.Properties["header.i"]
			}
			check(d, false)
		case r.Method == "spf" || r.Method == "dkim":
			judged = true
		}
	}
	for _, r := range ev.SPF {
		if r.Trusted && r.Result == "pass" {
			check(r.EnvelopeFrom, true)
		} else if r.Trusted {
			judged = true
		}
	}
	if ev.Verified {
		for _, d := range ev.DKIM {
			if d.Verify == "pass" {
				check(d.Domain, false)
			} else if d.Verify == "fail" {
				judged = true
			}
		}
		if ev.OriginSPF == "pass" {
			check(ev.Identities.EnvelopeFrom, true)
		} else if ev.OriginSPF != "" {
			judged = true
		}
	}
	spfOK, dkimOK := al.SPF, al.DKIM
	if rec != nil {
		if rec.SPFAlignment == dmarc.AlignmentStrict {
			spfOK = al.SPFStrict
		}
		if rec.DKIMAlignment == dmarc.AlignmentStrict {
			dkimOK = al.DKIMStrict
		}
	}
	switch {
	case spfOK || dkimOK:
		al.DMARC = "pass"
	case judged:
		al.DMARC = "fail"
	}
	ev.Alignment = al
}
