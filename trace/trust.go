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
		if ok, _ := c.clientTrusted(tr, i, why{}); !ok {
			_, reason = c.clientTrusted(tr, i, why{&c.text})
			break
		}
		if i+1 >= len(hops) {
			_, why := c.clientTrusted(tr, i, why{&c.text})
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
	// A forwarding service the walk stopped at (a mailing list, an alias
	// provider) may have recorded its own connecting client: follow it.
	for range maxForwarders {
		j, fwd, ok := forwardedFrom(tr, i)
		if !ok {
			break
		}
		for k := i; k < j; k++ {
			hops[k].Trust = TrustTrusted
		}
		hops[j].Trust = TrustTrusted
		i, reason = j, fwd
		c.pastForwarder = true
		for i+1 < len(hops) {
			ok, _ := c.clientTrusted(tr, i, why{})
			if !ok {
				break
			}
			i++
			hops[i].Trust = TrustTrusted
		}
		if i > j {
			_, reason = c.clientTrusted(tr, i, why{&c.text})
		}
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
	org.RecordedBy = trustedRecordOf(tr, o, org.IP)
	return org
}

// maxForwarders caps how many forwarding services the walk follows.
const maxForwarders = 4

// forwardedFrom reports whether a client record believed by the walk
// names the client of a hop j below hop o, where the walk stopped, and the
// chain from o down to j is whole: no broken edge, no user's submission in
// between. A record is believed when its writer is of the operator of a
// trusted server (hops 0 to o), or of hop o's client itself when that
// client is a forwarding service: the message was re-addressed below it
// (an envelope recipient there differs from the one hop o or Delivered-To
// records), which is what a list or an alias does, or the message is
// addressed (To, Cc) to the client's operator, a list's own address. Only each writer's
// topmost record counts: a receiver prepends its fields, so records a
// sender forged sit below the real one. Limitation: a sender whose own
// server connects to the recipient can write a record in that server's
// name above hops it made up, re-addressed, and so move the origin into
// them; the server itself still appears as hop o's client. It returns j
// and a reason.
func forwardedFrom(tr *Trace, o int) (int, string, bool) {
	hops := tr.Hops
	if len(tr.ClientRecords) == 0 || o+1 >= len(hops) {
		return 0, "", false
	}
	x := normName(hops[o].Received.From.RDNS)
	for ri := range tr.ClientRecords {
		r := &tr.ClientRecords[ri]
		if r.Writer == "" || !topmostOfWriter(tr, ri) {
			continue
		}
		trusted := false
		for k := 0; k <= o && !trusted; k++ {
			trusted = sameOperator(r.Writer, hops[k].Received.By.Host)
		}
		forwarder := !trusted && x != "" && sameOperator(r.Writer, x)
		if !trusted && !forwarder {
			continue
		}
		j := -1
		for k := o + 1; k < len(hops); k++ {
			if a := hops[k].Received.From.IP; a.IsValid() && a.Unmap().WithZone("") == r.IP {
				j = k
				break
			}
		}
		if j < 0 || !chainClear(tr, o, j) || forwarder && !readdressed(tr, o, j) && !addressedTo(tr, x) {
			continue
		}
		why := "a trusted server, " + r.Writer + ", recorded its connecting client in " + r.Field + ": " + r.IP.String()
		if forwarder {
			why = "hop " + itoa(o) + "'s client " + x + " is a forwarding service (the message was re-addressed there) that recorded its own connecting client in " + r.Field + ": " + r.IP.String()
		}
		return j, why, true
	}
	return 0, "", false
}

// topmostOfWriter reports whether record ri is the first (topmost) record
// of its writer's operator.
func topmostOfWriter(tr *Trace, ri int) bool {
	w := tr.ClientRecords[ri].Writer
	for k := 0; k < ri; k++ {
		if v := tr.ClientRecords[k].Writer; v == w || sameOperator(v, w) {
			return false
		}
	}
	return true
}

// chainClear reports whether hops o to j are joined without a break and
// none below o records a user's submission.
func chainClear(tr *Trace, o, j int) bool {
	for k := o; k < j; k++ {
		if k < len(tr.Edges) && tr.Edges[k].Broken {
			return false
		}
		if k > o {
			if h := &tr.Hops[k].Received; authenticated(h) || isLocalSubmission(h) {
				return false
			}
		}
	}
	return true
}

// readdressed reports whether an envelope recipient recorded by hops o+1
// to j differs from the recipient hop o (or Delivered-To) records.
func readdressed(tr *Trace, o, j int) bool {
	rcpt := strings.Trim(tr.Hops[o].Received.For, "<> ")
	if rcpt == "" {
		rcpt = strings.Trim(tr.Header.DeliveredTo, "<> ")
	}
	if rcpt == "" {
		return false
	}
	for k := o + 1; k <= j; k++ {
		if f := strings.Trim(tr.Hops[k].Received.For, "<> "); f != "" && !strings.EqualFold(f, rcpt) {
			return true
		}
	}
	return false
}

// addressedTo reports whether the message's To or Cc names an address at
// host's operator (a list's own address: the list is the recipient's
// forwarding service).
func addressedTo(tr *Trace, host string) bool {
	for _, v := range [...]string{tr.Header.To, tr.Header.Cc} {
		for len(v) > 0 {
			at := strings.IndexByte(v, '@')
			if at < 0 {
				break
			}
			v = v[at+1:]
			end := 0
			for end < len(v) && v[end] != '>' && v[end] != ',' && v[end] != ' ' && v[end] != ')' && v[end] != '"' && v[end] != ';' {
				end++
			}
			if d := v[:end]; d != "" && sameOperator(d, host) {
				return true
			}
			v = v[end:]
		}
	}
	return false
}

// trustedRecordOf returns the writer of a client record that names ip as
// the client of hop o and was written by a server the walk trusts: one of
// the operator of a trusted hop's writer. "" when there is none.
func trustedRecordOf(tr *Trace, o int, ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	for ri := range tr.ClientRecords {
		r := &tr.ClientRecords[ri]
		if r.IP != ip || r.Writer == "" {
			continue
		}
		for k := 0; k <= o && k < len(tr.Hops); k++ {
			if tr.Hops[k].Trust == TrustTrusted || k == o {
				if sameOperator(r.Writer, tr.Hops[k].Received.By.Host) {
					return r.Writer
				}
			}
		}
	}
	return ""
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
// asks once, for the hop it stopped at. It writes them in the trace's
// texts (t); the zero why writes none.
type why struct{ t *texts }

func (w why) text(parts ...string) string {
	if w.t == nil {
		return ""
	}
	return w.t.join(parts...)
}

func (w why) ip(a netip.Addr) string {
	if w.t == nil {
		return ""
	}
	return a.String()
}

func (w why) describe(f *received.From) string {
	if w.t == nil {
		return ""
	}
	return describeFrom(f)
}

func (c *config) clientTrustedByHop(tr *Trace, i int, w why) (bool, string) {
	h := &tr.Hops[i].Received
	f := &h.From
	hn := &c.names[i]
	if authenticated(h) {
		return false, w.text("hop ", itoa(i), " records an authenticated submission: its client is the sender")
	}
	if (h.Protocol == received.ProtocolHTTP || h.Protocol == received.ProtocolHTTPS) && f.IPText == "" && f.HELO == "" && f.RDNS == "" {
		// "by 10.25.21.73 with HTTP": a webmail submission (Exchange
		// Online's internal "from ... with HTTPS" hops name their client).
		return false, w.text("hop ", itoa(i), " records a webmail submission: its client is the sender")
	}
	if h.Protocol == received.ProtocolMAPI && i+1 < len(tr.Hops) && messageIDOn(tr.Header.MessageID, h.By.Host) != "" {
		// "from X ([fe80::...]) by X with mapi": Exchange's mailbox
		// server handing its user's message (written in Outlook) to
		// transport, under a Message-ID that server made: the message
		// was written there, and no SMTP hop can be older. (A message a
		// mailbox rule sends on keeps the Message-ID its writer made.)
		return false, w.text("hop ", itoa(i), " records a submission from the mailbox over MAPI under a Message-ID ", h.By.Host, " made: the message was written there, so the older hops cannot be believed")
	}
	if inNets(f.IP, c.trustedNets) {
		return true, w.text("client ", w.ip(f.IP), " is in a trusted network")
	}
	if f.RDNS != "" && (inNormDomains(hn.rdns.norm, c.trustedHosts) || inNormDomains(hn.rdns.norm, c.localDomains)) {
		return true, w.text("client ", f.RDNS, " is a trusted host")
	}
	if hn.fetch {
		return true, w.text("hop ", itoa(i), " fetched the message from the recipient's mailbox provider")
	}
	if i+1 < len(tr.Hops) {
		if op, ok := sendOnlyServer(c.names[i+1].by.norm, c.names[i+1].by.info()); ok {
			return false, w.text("the older hop ", itoa(i+1), " claims to have been written by ", tr.Hops[i+1].Received.By.Host, ", one of ", op, "'s sending servers, which hand mail on and write no Received field of their own, so it is not vouched for")
		}
	}
	if f.IP.IsValid() {
		a := f.IP.Unmap()
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
			// An internal client vouches for the hop below unless that
			// hop names its server only as "localhost" or a loopback
			// address and records a client from outside: a server that
			// calls itself localhost while accepting mail from the
			// Internet is a made-up hop more often than a real one. A
			// loopback address matching a loopback client says nothing
			// of which machine wrote the hop, but a content filter
			// writes "by localhost ([127.0.0.1])" for the mail its own
			// server handed it, recording that server by its public
			// address, under the name this hop's server gives itself.
			if i < len(tr.Edges) && (tr.Edges[i].Match == MatchNoData || tr.Edges[i].Match == MatchIP && a.IsLoopback() && !clientIsServer(&c.names[i+1], hn.by.norm)) && localServer(&c.names[i+1], &tr.Hops[i+1].Received) && !c.names[i+1].fetch &&
				tr.Hops[i+1].Received.From.IP.IsValid() && !internalAddr(tr.Hops[i+1].Received.From.IP) {
				return false, w.text("client ", w.ip(a.WithZone("")), " is an internal address, but the older hop ", itoa(i+1), " names its server only as ", tr.Hops[i+1].Received.By.Host, ", so nothing older is vouched for")
			}
			// An internal client that is an end-user machine (a
			// dial-up, DHCP or pool name, a bare HELO, or a program
			// greeting as localhost from another machine) does not
			// vouch for an older hop recording a client from outside:
			// a desktop or a submission program does not take mail
			// from the Internet.
			// (Over loopback the client is the server itself, a
			// content filter handing the message back.)
			if !a.IsLoopback() && i+1 < len(tr.Hops) && outsideClient(&tr.Hops[i+1].Received) && endUserClient(f, hn) {
				return false, w.text("client ", w.ip(a.WithZone("")), " is an internal address of an end-user machine (", w.describe(f), "), which does not receive mail from outside, so the older hop ", itoa(i+1), " is not vouched for")
			}
			return true, w.text("client ", w.ip(a.WithZone("")), " is an internal address")
		}
		if k := knownInfraEntry(h, hn); k >= 0 {
			return true, w.text("client ", f.HELO, " is ", infraNets[k].name, " infrastructure handing the message on")
		}
		// A client in the receiving server's own registered domain, by the
		// reverse DNS that server looked up, is an internal relay.
		eR := hn.rdns.info()
		if eR != nil && eR.family >= 0 && operatorFamilies[eR.family].gateway && inboundGateway(tr, i, c.pastForwarder) {
			return true, w.text("client ", f.RDNS, " is the recipient's filtering gateway (", operatorName(f.RDNS), "), which handed the message to the recipient's server")
		}
		if sameOperatorInfo(eR, hn.by.info()) {
			return true, w.text("client ", f.RDNS, " is a server of the receiving server's operator, ", operatorName(h.By.Host))
		}
		return false, w.text("hop ", itoa(i), " received the message from ", w.describe(f), ", which no trusted server vouches for")
	}
	// No client address: a local pickup or an internal hand-off such as
	// Gmail's "by 2002:...". Follow the chain when it connects, unless
	// the hop is a local program's submission (or a message the server
	// made itself, a bounce or a report: no from part at all) whose queue
	// id the Message-ID carries: the server minted the Message-ID when the
	// program handed it a message without one, or for the message it
	// wrote, so the message was written there (a list expander
	// re-submitting mail it received keeps the message's own Message-ID),
	// and an older hop from an outside client is made up. (A message that
	// lacked a Message-ID and was re-injected on the same machine, over
	// loopback, is left alone.)
	//
	// A report (RFC 6522 multipart/report: a delivery status
	// notification, a feedback report, a disposition notification) is
	// written by the mail system that reports: a Message-ID made on the
	// hop's server says the report was written there even without the
	// queue id (a report passed on and re-submitted by the recipient's
	// side keeps the Message-ID its writer made elsewhere).
	localOrigin := f.RDNS == "" && f.IPText == "" && (f.HELO == "" && (f.Ident != "" || *f == received.From{}) || isLocalName(hn.helo.norm))
	if i+1 < len(tr.Hops) && localOrigin && outsideClient(&tr.Hops[i+1].Received) {
		by := "a local submission by " + f.Ident
		if f.Ident == "" {
			by = "a message that began on its server"
		}
		switch {
		case mintedMessageID(tr.Header.MessageID, h):
			return false, w.text("hop ", itoa(i), " records ", by, " and the Message-ID carries its queue id ", h.ID, ": the message was written on ", h.By.Host, ", so the older hops cannot be believed")
		case tr.Header.report && messageIDOn(tr.Header.MessageID, h.By.Host) != "":
			return false, w.text("hop ", itoa(i), " records ", by, " and the message is a report (multipart/report), which the reporting system writes: the message was written on ", h.By.Host, ", so the older hops cannot be believed")
		}
	}
	if i+1 < len(tr.Hops) && f.HELO == "" && f.RDNS == "" {
		// A hop that received over SMTP without recording its client
		// (Gmail's "by mail-lf1-x132.google.com with SMTP id ...", where
		// a user's message enters) does not vouch for a hop below on the
		// same server that does record a network client: a server does
		// not hand the message to itself that way.
		if unnamedEntryAbove(tr, i+1) {
			return false, w.text("hop ", itoa(i), " received the message over ", string(h.Protocol), " without naming its client, and the older hop ", itoa(i+1), ", on the same server, records an outside client, which that server cannot have handed on to itself")
		}
		return true, w.text("hop ", itoa(i), " is an internal hand-off")
	}
	if isLocalName(hn.helo.norm) || isLocalName(hn.rdns.norm) {
		return true, w.text("client of hop ", itoa(i), " is the local host")
	}
	// No address, and the client named as the receiving system itself: a
	// hand-off inside it (final delivery over LMTP, "from mail.example by
	// mail.example", a by name only the system's own hops write).
	if i+1 < len(tr.Hops) {
		name, nn := hn.rdns.strip, &hn.rdns
		if name == "" {
			name, nn = hn.helo.strip, &hn.helo
		}
		if h.Protocol == received.ProtocolLMTP || h.Protocol == received.ProtocolLMTPS || sameOperatorInfo(nn.infoOf(name), hn.by.info()) || internalByName(h.By.Host) && sameOperatorInfo(nn.infoOf(name), c.names[i+1].by.info()) {
			return true, w.text("hop ", itoa(i), " is a hand-off inside the receiving system ", h.By.Host)
		}
	}
	return false, w.text("hop ", itoa(i), " received the message from ", w.describe(f), " and records no address for it")
}

// localServer reports whether a hop names its server only as the local
// host: "localhost" or a loopback address, which any machine may call
// itself.
func localServer(hn *hopNames, h *received.Hop) bool {
	return isLocalName(hn.by.norm) || h.By.IP.IsValid() && h.By.IP.Unmap().IsLoopback() && (h.By.Host == "" || h.By.Host[0] == '[' || h.By.Host == h.By.IPText)
}

// clientIsServer reports whether a hop's client, by its HELO or reverse
// DNS name, is the server named by (normalised).
func clientIsServer(hn *hopNames, by string) bool {
	return by != "" && (hn.helo.norm == by || hn.rdns.norm == by)
}

// endUserClient reports whether a hop's client is, by the names the hop
// records, an end-user machine: a bare or localhost HELO, or a dial-up,
// DHCP or pool reverse DNS name.
func endUserClient(f *received.From, hn *hopNames) bool {
	if helo := hn.helo.norm; helo != "" && helo[0] != '[' && endUserName(helo) {
		return true
	}
	if f.RDNS != "" {
		ok, _ := hn.clientDynamic() // the reverse DNS name: it is the client's name
		return ok
	}
	return false
}

// outsideClient reports whether a hop records a client address outside
// any organisation's internal ranges.
func outsideClient(h *received.Hop) bool {
	return h.From.IP.IsValid() && !internalAddr(h.From.IP)
}

// mintedMessageID reports whether the Message-ID was made by the hop's
// server: it holds the hop's queue id (as sendmail's and Postfix's own
// Message-IDs do, "<200208211622.g7LGMmA01223@dogma.slashnull.org>", and
// Exim's, "<E1d5Q3j-0002h2-9s@f424.i.mail.ru>") at a word boundary, with
// the server's host after the "@".
func mintedMessageID(msgID string, h *received.Hop) bool {
	if len(h.ID) < 6 {
		return false
	}
	left := messageIDOn(msgID, h.By.Host)
	k := strings.Index(left, h.ID)
	if k < 0 {
		return false
	}
	before := byte('.')
	if k > 0 {
		before = left[k-1]
	}
	end := k + len(h.ID)
	return (before == '.' || before == '<' || left[:k] == "<E") && end == len(left)
}

// messageIDOn returns the part of msgID before the "@" when the part
// after it begins with host (a server's own Message-IDs name it there); ""
// otherwise.
func messageIDOn(msgID, host string) string {
	if host == "" {
		return ""
	}
	at := strings.LastIndexByte(msgID, '@')
	if at < 0 || !ascii.HasPrefixFold(strings.TrimSuffix(msgID[at+1:], ">"), host) {
		return ""
	}
	return msgID[:at]
}

// isFetch reports whether the hop is a mailbox retrieval (fetchmail,
// getmail, POP3 or IMAP), which hands on mail the recipient's own provider
// already accepted.
func isFetch(h *received.Hop) bool {
	if h.Protocol == received.ProtocolPOP3 || h.Protocol == received.ProtocolIMAP {
		return true
	}
	if containsPOPOrIMAP(h.With) {
		return true
	}
	for _, s := range [...]string{h.By.Software, h.With} {
		if containsFetcher(s) {
			return true
		}
	}
	for _, cm := range h.Comments {
		if containsFetcher(cm) {
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

// knownInfraEntry returns the index in infraNets of the provider whose
// infrastructure hop h (with names hn) is between, or -1.
func knownInfraEntry(h *received.Hop, hn *hopNames) int {
	f := &h.From
	be := hn.by.info()
	if !hasDomain(be) {
		return -1
	}
	bd := be.domain
	for i, e := range infraNets {
		if !inDomains(bd, e.domains) {
			continue
		}
		// The HELO is looked up only for a server of the provider.
		if fe := hn.helo.info(); !hasDomain(fe) || !inDomains(fe.domain, e.domains) {
			continue
		}
		if inNets(f.IP, e.nets) {
			return i
		}
	}
	return -1
}

// authenticated reports whether the hop records an authenticated
// submission (an AUTH comment or an "A" protocol of RFC 3848).
func authenticated(h *received.Hop) bool {
	switch h.Protocol {
	case received.ProtocolESMTPA, received.ProtocolESMTPSA, received.ProtocolLMTPA, received.ProtocolLMTPSA,
		received.ProtocolUTF8SMTPA, received.ProtocolUTF8SMTPSA:
		return true
	}
	return !h.Auth.IsZero()
}

// fabricationCategories are findings that say a hop's own text cannot
// have been written by a working MTA (not what its client claimed): the
// server that wrote such a hop is not to be believed about its client.
var fabricationCategories = [...]Category{
	CategoryTimezoneMismatch, CategoryQueueIDTime, CategoryInvalidIP, CategoryReservedIP,
	CategoryEncodedIP, CategoryTimeTravel,
}

// distrustFabricatedOrigin moves the origin up when the origin hop, below
// the top, carries a medium or high finding of fabrication: the hop above
// recorded the client that wrote it, and that is as far as the chain can
// be believed. A writer the caller trusts explicitly (TrustedNetworks,
// TrustedHosts) keeps its word.
func distrustFabricatedOrigin(c *config, tr *Trace) {
	o := tr.Origin.Hop
	if o <= 0 || o >= len(tr.Hops) {
		return
	}
	if w := &tr.Hops[o-1].Received.From; inNets(w.IP, c.trustedNets) || w.RDNS != "" && inDomains(w.RDNS, c.trustedHosts) {
		return
	}
	rule := ""
	for i := range tr.Findings {
		f := &tr.Findings[i]
		if f.Hop != o || f.Severity < SeverityMedium || rule != "" {
			continue
		}
		for _, c := range fabricationCategories {
			if f.Category == c && !(c == CategoryReservedIP && f.Rule != "reserved-client-ip") {
				rule = f.Rule
			}
		}
	}
	if rule == "" {
		return
	}
	up := o - 1
	for up > 0 && !tr.Hops[up].Received.From.IP.IsValid() {
		up--
	}
	if !tr.Hops[up].Received.From.IP.IsValid() {
		return
	}
	for j := up + 1; j < len(tr.Hops); j++ {
		tr.Hops[j].Trust = TrustUnverifiable
	}
	tr.Hops[up].Trust = TrustOrigin
	f := &tr.Hops[up].Received.From
	host := f.RDNS
	if host == "" {
		host = f.HELO
	}
	tr.Origin = Origin{Hop: up, IP: f.IP.WithZone(""), Host: host, found: true,
		Reason: "hop " + itoa(o) + " reads as fabricated (" + rule + "), so what it says about its client is not believed; its writer, the client hop " + itoa(up) + " recorded, is the origin"}
	tr.Origin.RecordedBy = trustedRecordOf(tr, up, tr.Origin.IP)
}

// checkOriginRecord says why the origin differs from the client a trusted
// receiver recorded, when it does.
func checkOriginRecord(c *config, tr *Trace) {
	o := tr.Origin.Hop
	if len(tr.ClientRecords) == 0 || o < 0 || tr.Origin.RecordedBy != "" {
		return
	}
	for ri := range tr.ClientRecords {
		r := &tr.ClientRecords[ri]
		if r.Writer == "" || !topmostOfWriter(tr, ri) {
			continue
		}
		trusted := false
		for k := 0; k <= o && k < len(tr.Hops) && !trusted; k++ {
			trusted = (tr.Hops[k].Trust == TrustTrusted || k == o) && sameOperator(r.Writer, tr.Hops[k].Received.By.Host)
		}
		if !trusted {
			continue
		}
		j := -1
		for k := range tr.Hops {
			if a := tr.Hops[k].Received.From.IP; a.IsValid() && a.Unmap().WithZone("") == r.IP {
				j = k
				break
			}
		}
		var msg string
		switch {
		case j >= 0 && j < o:
			_, why := c.clientTrusted(tr, j, why{&c.text})
			msg = r.Writer + " recorded " + r.IP.String() + " (the client of hop " + itoa(j) + ") in " + r.Field + "; the origin is an older hop because " + why
		case j > o:
			msg = r.Writer + " recorded " + r.IP.String() + " (the client of hop " + itoa(j) + ") in " + r.Field + ", but the trace cannot follow the chain to that older hop: " + tr.Origin.Reason
		default:
			msg = r.Writer + " recorded " + r.IP.String() + " in " + r.Field + ", an address no Received field records as a client"
		}
		tr.Findings = append(tr.Findings, Finding{Rule: "origin-not-recorded-client", Category: CategoryOriginRecord, Severity: SeverityInfo, Hop: o,
			Message: msg, Evidence: r.Text})
		return
	}
}

// inboundGateway reports whether the client of hop i, a filtering
// gateway, received the message for the recipient rather than sending it
// for its customer: it says so in its name (Mimecast's inbound hosts are
// "*-smtp-inbound-*"), or a hop it wrote records the same envelope
// recipient as hop i. Proofpoint's mx0a-*.pphosted.com hosts, for one,
// carry customers' outbound mail as well as inbound, so a name alone does
// not tell.
//
// Past a forwarding service the envelope recipient is the list's own
// address, which a sender's outbound gateway records too: there only the
// name counts (pastForwarder).
func inboundGateway(tr *Trace, i int, pastForwarder bool) bool {
	f := &tr.Hops[i].Received.From
	name := normName(f.RDNS)
	if strings.Contains(name, "-inbound-") || strings.HasPrefix(name, "inbound") {
		return true
	}
	rcpt := strings.Trim(tr.Hops[i].Received.For, "<> ")
	if rcpt == "" || pastForwarder {
		return false
	}
	for k := i + 1; k < len(tr.Hops); k++ {
		h := &tr.Hops[k].Received
		if !sameOperator(h.By.Host, name) && !internalByName(h.By.Host) {
			break
		}
		if strings.EqualFold(strings.Trim(h.For, "<> "), rcpt) {
			return true
		}
	}
	return false
}

// unnamedEntryAbove reports whether the hop above hop j received the
// message over SMTP without naming its client (Gmail's "by
// mail-lf1-x132.google.com with SMTP id ...", where a user's message
// enters), on the same server as hop j (MatchLocal), while hop j records
// an outside client: a server does not hand a message to itself that way,
// so hop j is older than where the message entered.
func unnamedEntryAbove(tr *Trace, j int) bool {
	if j < 1 || j >= len(tr.Hops) || tr.Edges[j-1].Match != MatchLocal {
		return false
	}
	up := &tr.Hops[j-1].Received
	if up.From.HELO != "" || up.From.RDNS != "" || up.From.IP.IsValid() || !smtpFamily(up.Protocol) {
		return false
	}
	lf := &tr.Hops[j].Received.From
	return lf.IP.IsValid() && !internalAddr(lf.IP)
}

// smtpFamily reports whether p is SMTP or one of its extensions (RFC 3848
// names), as written in a with clause.
func smtpFamily(p received.Protocol) bool {
	switch p {
	case received.ProtocolSMTP, received.ProtocolESMTP, received.ProtocolESMTPS, received.ProtocolESMTPA, received.ProtocolESMTPSA:
		return true
	}
	return false
}
