package auth

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// replayAge is how long before the first trusted receipt a DKIM t= may lie
// before it is reported: lists and slow queues delay mail by hours, a
// replayed signature is days or weeks old.
const (
	replayLow    = 3 * 24 * time.Hour
	replayMedium = 14 * 24 * time.Hour
)

func (a *analyzer) add(f Finding) { a.ev.Findings = append(a.ev.Findings, f) }

func (a *analyzer) checks() {
	a.checkForged()
	a.checkFails()
	a.checkDKIM()
	a.checkARC()
	a.checkSPFClient()
	a.checkIdentity()
}

// checkForged: a results field whose authserv-id names a trusted receiver
// but which sits where that receiver could not have written it (below the
// trust boundary, or before the first hop).
func (a *analyzer) checkForged() {
	for _, rf := range a.ev.ResultFields {
		if rf.Header != "Authentication-Results" || rf.Trusted || rf.AuthservID == "" {
			continue
		}
		c := a.namesTrusted(rf.AuthservID)
		if c == claimNone {
			continue
		}
		if c == claimSibling {
			a.add(Finding{
				Rule: "auth-results-sibling", Category: CategoryForgedAuthResults, Severity: SeverityLow, Hop: rf.Hop,
				Message:  fmt.Sprintf("Authentication-Results by %s, a host in a trusted receiver's domain, sits below the trust boundary; it is not believed (it may be the organisation's own relay)", rf.AuthservID),
				Evidence: clipEvidence(rf.Raw),
			})
			continue
		}
		if rf.Hop < 0 && a.resentBy(rf.AuthservID) {
			a.add(Finding{
				Rule: "auth-results-resent", Category: CategoryForgedAuthResults, Severity: SeverityLow, Hop: rf.Hop,
				Message:  fmt.Sprintf("Authentication-Results by %s sits below every Received field; the message was resent by that server (its Sender or envelope sender is there, as a mailing list's is), which may have appended it among the message's own fields; it is not believed", rf.AuthservID),
				Evidence: clipEvidence(rf.Raw),
			})
			continue
		}
		var where string
		if rf.Hop < 0 {
			where = "below every Received field, before the first hop"
		} else {
			where = fmt.Sprintf("with hop %d, below the trust boundary", rf.Hop)
		}
		a.add(Finding{
			Rule: "auth-results-forged", Category: CategoryForgedAuthResults, Severity: SeverityHigh, Hop: rf.Hop,
			Message:  fmt.Sprintf("Authentication-Results claims authserv-id %s, a trusted receiver of this message, but sits %s where that server could not have written it; it is not believed", rf.AuthservID, where),
			Evidence: clipEvidence(rf.Raw),
		})
	}
}

// resentBy reports whether the message was resent by writer's
// organisation: its Sender or envelope sender is an address there, as a
// mailing list (Mailman, for one) writes them. Such a server may append
// fields of its own below the message's fields, so a results field of its
// there is not believed but not called forged either.
func (a *analyzer) resentBy(writer string) bool {
	org := a.orgOf(normDomain(writer))
	if org == "" {
		return false
	}
	id := &a.ev.Identities
	for _, addr := range []string{id.Sender, id.EnvelopeFrom} {
		if addr != "" && a.orgOf(domainOf(addr)) == org {
			return true
		}
	}
	return false
}

// checkFails reports failures a trusted receiver recorded.
func (a *analyzer) checkFails() {
	seen := map[string]bool{}
	for _, r := range a.ev.Results {
		if !r.Trusted || r.Header != "Authentication-Results" || r.Result != "fail" && r.Result != "hardfail" {
			continue
		}
		sev := SeverityLow
		switch r.Method {
		case "dmarc", "compauth":
			sev = SeverityMedium
		case "spf", "dkim":
		default:
			continue
		}
		key := r.Method + " " + r.AuthservID
		if seen[key] {
			continue
		}
		seen[key] = true
		who := r.AuthservID
		if who == "" {
			who = "the receiver"
		}
		a.add(Finding{
			Rule: "auth-" + r.Method + "-fail", Category: CategoryAuthFail, Severity: sev, Hop: r.Hop,
			Message:  fmt.Sprintf("%s, a trusted receiver, recorded %s=%s", who, r.Method, r.Result),
			Evidence: clipEvidence(r.Raw),
		})
	}
	for _, d := range a.ev.DKIM {
		if d.Algorithm == "rsa-sha1" {
			a.add(Finding{
				Rule: "dkim-rsa-sha1", Category: CategoryAuthFail, Severity: SeverityInfo, Hop: d.Hop,
				Message:  "a DKIM signature by " + d.Domain + " uses rsa-sha1, which verifiers must not accept (RFC 8301 §3.1)",
				Evidence: clipEvidence(d.Raw),
			})
		}
		if d.Verify == "fail" {
			a.add(Finding{
				Rule: "dkim-verify-fail", Category: CategoryAuthFail, Severity: SeverityLow, Hop: d.Hop,
				Message:  "the DKIM signature of " + d.Domain + " does not verify: " + d.Error,
				Evidence: clipEvidence(d.Raw),
			})
		}
	}
}

// receipt is the date of the first trusted receipt: the origin hop's date,
// else the lowest trusted hop with a date.
func (a *analyzer) receipt() time.Time {
	if o := a.in.Origin; o >= 0 && o < len(a.in.Hops) && a.in.Hops[o].Received != nil && !a.in.Hops[o].Received.Date.IsZero() {
		return a.in.Hops[o].Received.Date
	}
	for i := len(a.in.Hops) - 1; i >= 0; i-- {
		if h := a.in.Hops[i]; h.Trusted && h.Received != nil && !h.Received.Date.IsZero() {
			return h.Received.Date
		}
	}
	return time.Time{}
}

// firstReceipt is the hop that first received a field: the Received field
// directly above it, with its date; -1 when there is none or it is
// undated.
func (a *analyzer) firstReceipt(above int) (int, time.Time) {
	k := above - 1
	if k < 0 || k >= len(a.in.Hops) || a.in.Hops[k].Received == nil || a.in.Hops[k].Received.Date.IsZero() {
		return -1, time.Time{}
	}
	return k, a.in.Hops[k].Received.Date
}

// checkDKIM: a signature made long before the first server received it
// (a replay: the signed message resent later), expired at receipt, or
// covering only part of the body. The age is measured at the hop that
// first received the signed message, not at the recipient: a list that
// holds a message for moderation delays it after that hop, and is not a
// replay.
func (a *analyzer) checkDKIM() {
	if len(a.ev.DKIM) == 0 {
		return
	}
	rcpt := a.receipt()
	for _, d := range a.ev.DKIM {
		if k, first := a.firstReceipt(d.above); k >= 0 && !d.Timestamp.IsZero() {
			if age := first.Sub(d.Timestamp); age > replayLow {
				sev := SeverityLow
				if age > replayMedium && a.trustedHop(k) {
					sev = SeverityMedium
				}
				a.add(Finding{
					Rule: "dkim-old-signature", Category: CategoryDKIMReplay, Severity: sev, Hop: k,
					Message:  fmt.Sprintf("the DKIM signature of %s was made %s before hop %d received the message: a replayed signature?", d.Domain, days(age), k),
					Evidence: clipEvidence(d.Raw),
				})
			}
		}
		if !rcpt.IsZero() && !d.Expiration.IsZero() && d.Expiration.Before(rcpt) {
			a.add(Finding{
				Rule: "dkim-expired", Category: CategoryDKIMReplay, Severity: SeverityLow, Hop: d.Hop,
				Message:  fmt.Sprintf("the DKIM signature of %s had expired (x=) %s before the first trusted receipt", d.Domain, days(rcpt.Sub(d.Expiration))),
				Evidence: clipEvidence(d.Raw),
			})
		}
		if d.BodyLength >= 0 {
			a.add(Finding{
				Rule: "dkim-body-length", Category: CategoryDKIMReplay, Severity: SeverityLow, Hop: d.Hop,
				Message:  fmt.Sprintf("the DKIM signature of %s covers only the first %d bytes of the body (l=): anything may be appended", d.Domain, d.BodyLength),
				Evidence: clipEvidence(d.Raw),
			})
		}
	}
}

func days(d time.Duration) string {
	if d < 48*time.Hour {
		return strconv.Itoa(int(d.Hours())) + " hours"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}

// checkARC checks the chain's structure (RFC 8617 §5.2 steps 1-3): no
// gaps, each instance complete, cv none at i=1 and pass above, and the
// sealer the hop's operator.
func (a *analyzer) checkARC() {
	sets := a.ev.ARC
	if len(sets) == 0 {
		return
	}
	broken := ""
	for k, s := range sets {
		switch {
		case s.Instance != k+1:
			broken = fmt.Sprintf("ARC instance %d is missing", k+1)
		case s.Seal == "" || s.Signature == "" || s.Results == "":
			broken = fmt.Sprintf("ARC instance %d lacks %s", s.Instance, missingMember(s))
		case s.Err != nil:
			broken = fmt.Sprintf("ARC instance %d: %v", s.Instance, s.Err)
		case s.Instance == 1 && s.CV != "none":
			broken = fmt.Sprintf("ARC instance 1 has cv=%s, not none", s.CV)
		case s.Instance > 1 && s.CV != "pass" && s.CV != "fail":
			broken = fmt.Sprintf("ARC instance %d has cv=%s, not pass", s.Instance, s.CV)
		}
		if broken != "" {
			break
		}
	}
	top := sets[len(sets)-1]
	if broken == "" && top.CV == "fail" {
		broken = fmt.Sprintf("ARC instance %d records cv=fail: the chain was already broken when it was sealed", top.Instance)
	}
	if broken != "" {
		a.ev.ARCChain = "fail"
		a.add(Finding{Rule: "arc-chain-structure", Category: CategoryARCBroken, Severity: SeverityLow, Hop: -1,
			Message: broken + " (RFC 8617 §5.2)"})
	}
	for _, s := range sets {
		if s.Seal == "" || s.Hop < 0 || s.Hop >= len(a.in.Hops) || s.Domain == "" {
			continue
		}
		if org, _ := a.org(s.Hop); org == "" {
			continue
		}
		if a.match(normDomain(s.Domain), attribOrg(s.Domain), s.Hop) == 0 {
			a.add(Finding{Rule: "arc-sealer-not-hop", Category: CategoryARCBroken, Severity: SeverityInfo, Hop: s.Hop,
				Message:  fmt.Sprintf("ARC instance %d is sealed by %s, which is not the operator of hop %d's server %s", s.Instance, s.Domain, s.Hop, a.in.Hops[s.Hop].Received.By.Host),
				Evidence: clipEvidence(s.Seal)})
		}
	}
}

func missingMember(s ARCSet) string {
	var m []string
	if s.Seal == "" {
		m = append(m, "ARC-Seal")
	}
	if s.Signature == "" {
		m = append(m, "ARC-Message-Signature")
	}
	if s.Results == "" {
		m = append(m, "ARC-Authentication-Results")
	}
	return strings.Join(m, " and ")
}

// checkSPFClient compares the client a trusted Received-SPF or Forefront
// report records with the clients of the hops its writer wrote.
func (a *analyzer) checkSPFClient() {
	for _, r := range a.ev.SPF {
		if !r.Trusted || !r.ClientIP.IsValid() || r.Attributed == AttrPosition {
			continue
		}
		a.compareClient("Received-SPF client-ip", r.Receiver, r.ClientIP, r.HELO, SeverityMedium, r.Hop, r.Raw)
	}
	for _, v := range a.ev.Verdicts {
		if v.Name != "CIP" || !v.Trusted {
			continue
		}
		ip, err := netip.ParseAddr(strings.TrimSpace(v.Value))
		if err != nil || !ip.IsGlobalUnicast() || ip.IsPrivate() {
			continue
		}
		helo := ""
		for _, h := range a.ev.Verdicts {
			if h.Name == "H" && h.Header == v.Header && h.Hop == v.Hop {
				helo = h.Value
			}
		}
		a.compareClient("X-Forefront-Antispam-Report CIP", "microsoft.com", ip.Unmap(), helo, SeverityLow, v.Hop, v.Header+": CIP:"+v.Value+";H:"+helo)
	}
}

// compareClient reports a client address no hop records. A client
// recorded by a lower hop is not a mismatch: a receiver behind a gateway
// is often set to look through it and evaluate the client before it
// (Gmail's inbound gateway setting, Exchange Online's enhanced filtering).
// It stays silent when none of the writer's hops records a usable client
// (nothing to compare with).
func (a *analyzer) compareClient(what, writer string, ip netip.Addr, helo string, sev Severity, hop int, raw string) {
	for h := range a.in.Hops {
		if h > hop && a.clientIs(h, ip) {
			return
		}
	}
	w := normDomain(writer)
	worg := attribOrg(w)
	compared := false
	for h := range a.in.Hops {
		if a.match(w, worg, h) == 0 && h != hop {
			continue
		}
		c := a.in.Hops[h].Received
		if c == nil || !c.From.IP.IsValid() {
			continue
		}
		if c.From.IP.Unmap() == ip {
			if helo != "" && c.From.HELO != "" && !strings.EqualFold(strings.Trim(helo, "[]"), strings.Trim(c.From.HELO, "[]")) {
				a.add(Finding{Rule: "spf-helo-mismatch", Category: CategorySPFClientMismatch, Severity: SeverityLow, Hop: h,
					Message:  fmt.Sprintf("%s names HELO %s, but hop %d records HELO %s for that client", what, helo, h, c.From.HELO),
					Evidence: clipEvidence(raw)})
			}
			return
		}
		compared = true
	}
	if !compared {
		return
	}
	a.add(Finding{Rule: "spf-client-mismatch", Category: CategorySPFClientMismatch, Severity: sev, Hop: hop,
		Message:  fmt.Sprintf("%s is %s, but no hop its writer %s wrote records that client", what, ip, writer),
		Evidence: clipEvidence(raw)})
}

// checkIdentity: From aligned with no authenticated identity; Reply-To in
// another organisation.
func (a *analyzer) checkIdentity() {
	al := a.ev.Alignment
	if al.FromDomain != "" && (al.SPFDomain != "" || al.DKIMDomain != "") && !al.SPF && !al.DKIM {
		var ids []string
		if al.SPFDomain != "" {
			ids = append(ids, "SPF "+al.SPFDomain)
		}
		if al.DKIMDomain != "" {
			ids = append(ids, "DKIM "+al.DKIMDomain)
		}
		a.add(Finding{Rule: "from-not-aligned", Category: CategoryIdentityMismatch, Severity: SeverityLow, Hop: -1,
			Message: fmt.Sprintf("From domain %s is aligned with no authenticated identity (%s)", al.FromDomain, strings.Join(ids, ", "))})
	}
	if al.FromDomain == "" || len(a.ev.Identities.ReplyTo) == 0 {
		return
	}
	fromOrg := ""
	for _, r := range a.ev.Identities.ReplyTo {
		d := domainOf(r)
		if d == "" || d == al.FromDomain {
			continue
		}
		if fromOrg == "" {
			fromOrg = orgDomain(al.FromDomain)
		}
		if orgDomain(d) != fromOrg {
			a.add(Finding{Rule: "reply-to-other-org", Category: CategoryIdentityMismatch, Severity: SeverityLow, Hop: -1,
				Message: fmt.Sprintf("Reply-To %s is in another organisation than From %s", r, al.FromDomain)})
			break
		}
	}
}

func clipEvidence(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
