package trace

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// findOrigin walks the chain from the top the way SpamCop does. The topmost
// hop was written by the recipient's own server, so it is trusted. A trusted
// hop vouches for its client; when that client is itself trusted
// infrastructure, the hop below (which the client wrote) is trusted too.
// The first trusted hop whose client is not trusted is the origin hop, and
// its recorded client IP is the origin. Everything below is unverifiable.
func findOrigin(c *config, tr *Trace, cut chainCut) Origin {
	hops := tr.Hops
	if len(hops) == 0 {
		return Origin{Hop: -1, Reason: "the message has no Received header fields"}
	}
	i := 0
	reason := ""
	for {
		hops[i].Trust = TrustTrusted
		if ok, _ := c.clientTrusted(tr, i, false); !ok {
			_, reason = c.clientTrusted(tr, i, true)
			break
		}
		if i+1 >= len(hops) {
			_, why := c.clientTrusted(tr, i, true)
			switch {
			case cut.unread > 0:
				// The chain goes on past what was read: do not claim
				// the message began at the last hop read.
				reason = "every hop read was handed on by trusted infrastructure (" + why + "); at least " + itoa(cut.unread) + " older hops were not read (a reading limit), so where the message began is not known"
			case cut.bytes:
				reason = "every hop read was handed on by trusted infrastructure (" + why + "); the header was cut at a reading limit, so older hops may not have been read and where the message began is not known"
			default:
				reason = "every hop was handed on by trusted infrastructure (" + why + "); the message began there"
			}
			break
		}
		i++
	}
	// When the chain ran out inside trusted infrastructure, the origin is
	// the lowest hop that recorded a client address.
	o := i
	if !hops[o].Received.From.IP.IsValid() {
		for j := o; j >= 0; j-- {
			if hops[j].Received.From.IP.IsValid() {
				o = j
				break
			}
		}
	}
	hops[o].Trust = TrustOrigin
	for j := o + 1; j < len(hops); j++ {
		hops[j].Trust = TrustUnverifiable
	}
	f := &hops[o].Received.From
	host := f.RDNS
	if host == "" {
		host = f.HELO
	}
	org := Origin{Hop: o, IP: f.IP.WithZone(""), Host: host, Reason: reason}
	if !f.IP.IsValid() {
		org.Reason += "; the hop records no usable client address"
	}
	return org
}

// clientTrusted reports whether the client of hop i is trusted
// infrastructure, and why (or why not).
func (c *config) clientTrusted(tr *Trace, i int, w why) (bool, string) {
	ok, reason := c.clientTrustedByHop(tr, i, w)
	if ok && i < len(tr.Edges) && tr.Edges[i].Broken {
		return false, w.text(reason, ", but the older hop ", itoa(i+1), " does not connect to hop ", itoa(i), ", so nothing older is vouched for")
	}
	return ok, reason
}

// why writes the reasons of the trust walk only when asked to: the walk
// asks once, for the hop it stopped at.
type why bool

func (w why) text(parts ...string) string {
	if !w {
		return ""
	}
	return strings.Join(parts, "")
}

func (w why) ip(a netip.Addr) string {
	if !w {
		return ""
	}
	return a.String()
}

func (w why) describe(f *received.From) string {
	if !w {
		return ""
	}
	return describeFrom(f)
}

func (c *config) clientTrustedByHop(tr *Trace, i int, w why) (bool, string) {
	h := &tr.Hops[i].Received
	f := &h.From
	if !h.Auth.IsZero() || h.Protocol == received.ProtocolESMTPA || h.Protocol == received.ProtocolESMTPSA ||
		h.Protocol == received.ProtocolLMTPA || h.Protocol == received.ProtocolLMTPSA || h.Protocol == received.ProtocolUTF8SMTPA || h.Protocol == received.ProtocolUTF8SMTPSA {
		return false, w.text("hop ", itoa(i), " records an authenticated submission: its client is the sender")
	}
	if inNets(f.IP, c.trustedNets) {
		return true, w.text("client ", w.ip(f.IP), " is in a trusted network")
	}
	if f.RDNS != "" && (inDomains(f.RDNS, c.trustedHosts) || inDomains(f.RDNS, c.localDomains)) {
		return true, w.text("client ", f.RDNS, " is a trusted host")
	}
	if isFetch(h) {
		return true, w.text("hop ", itoa(i), " fetched the message from the recipient's mailbox provider")
	}
	if f.IP.IsValid() {
		a := f.IP.Unmap()
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
			return true, w.text("client ", w.ip(a.WithZone("")), " is an internal address")
		}
		if knownInfra(h) {
			return true, w.text("client ", f.HELO, " is ", knownInfraName(h), " infrastructure handing the message on")
		}
		// A client in the receiving server's own registered domain, by the
		// reverse DNS that server looked up, is an internal relay.
		if f.RDNS != "" {
			if d := registeredDomain(f.RDNS); d != "" && d == registeredDomain(h.By.Host) {
				return true, w.text("client ", f.RDNS, " is in the receiving server's domain ", d)
			}
		}
		return false, w.text("hop ", itoa(i), " received the message from ", w.describe(f), ", which no trusted server vouches for")
	}
	// No client address: a local pickup or an internal hand-off such as
	// Gmail's "by 2002:...". Follow the chain when it connects.
	if i+1 < len(tr.Hops) && f.HELO == "" && f.RDNS == "" {
		return true, w.text("hop ", itoa(i), " is an internal hand-off")
	}
	if isLocalName(normName(f.HELO)) || isLocalName(normName(f.RDNS)) {
		return true, w.text("client of hop ", itoa(i), " is the local host")
	}
	return false, w.text("hop ", itoa(i), " received the message from ", w.describe(f), " and records no address for it")
}

// isFetch reports whether the hop is a mailbox retrieval (fetchmail,
// getmail, POP3 or IMAP), which hands on mail the recipient's own provider
// already accepted.
func isFetch(h *received.Hop) bool {
	if h.Protocol == received.ProtocolPOP3 || h.Protocol == received.ProtocolIMAP {
		return true
	}
	if ascii.ContainsFold(h.With, "pop3") || ascii.ContainsFold(h.With, "imap") {
		return true
	}
	for _, s := range [...]string{h.By.Software, h.With} {
		if ascii.ContainsFold(s, "fetchmail") || ascii.ContainsFold(s, "getmail") {
			return true
		}
	}
	for _, cm := range h.Comments {
		if ascii.ContainsFold(cm, "fetchmail") || ascii.ContainsFold(cm, "getmail") {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

// Large providers relay internally between hosts that record no reverse
// DNS. A hop between two of their hosts, from an address in the provider's
// own network, is a hand-off inside trusted infrastructure.
var infraNets = []struct {
	name    string
	domains []string
	nets    []netip.Prefix
}{
	{"Microsoft 365", []string{"outlook.com", "office365.com"}, []netip.Prefix{
		netip.MustParsePrefix("2603:1000::/24"),
		netip.MustParsePrefix("2a01:111::/32"),
		netip.MustParsePrefix("40.92.0.0/15"),
		netip.MustParsePrefix("40.107.0.0/16"),
		netip.MustParsePrefix("52.100.0.0/14"),
		netip.MustParsePrefix("104.47.0.0/17"),
	}},
}

func knownInfraEntry(h *received.Hop) int {
	f := &h.From
	fd, bd := registeredDomain(f.HELO), registeredDomain(h.By.Host)
	if fd == "" || bd == "" {
		return -1
	}
	for i, e := range infraNets {
		if !inDomains(fd, e.domains) || !inDomains(bd, e.domains) {
			continue
		}
		if inNets(f.IP, e.nets) {
			return i
		}
	}
	return -1
}

func knownInfra(h *received.Hop) bool { return knownInfraEntry(h) >= 0 }

func knownInfraName(h *received.Hop) string {
	if i := knownInfraEntry(h); i >= 0 {
		return infraNets[i].name
	}
	return ""
}
