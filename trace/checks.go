package trace

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

func runChecks(c *config, tr *Trace) {
	if tr.Findings == nil {
		tr.Findings = make([]Finding, 0, len(tr.Hops)+4)
	}
	add := func(f Finding) { tr.Findings = append(tr.Findings, f) }
	for i := range tr.Hops {
		h := &tr.Hops[i]
		checkParse(h, add)
		checkIPForms(h, add)
		checkReserved(c, h, add)
		checkSendOnly(c, h, add)
		checkZone(h, add)
		checkQueueID(c, h, add)
		checkHELO(c, tr, h, add)
		checkDynamic(c, tr, h, add)
		checkSpamware(c, h, add)
		checkFuture(c, h, add)
	}
	checkChain(c, tr, add)
	checkTimeTravel(c, tr, add)
	checkDateHeader(c, tr, add)
}

func sortFindings(fs []Finding) {
	// message-level findings (-1) first, then hop order, then severity
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Hop != b.Hop {
			return cmp.Compare(a.Hop, b.Hop)
		}
		return cmp.Compare(b.Severity, a.Severity)
	})
}

// belowTrust reports whether the hop is the origin hop or below it: what it
// says about its client was not recorded by trusted infrastructure (for
// the origin hop, only the client's own claims, such as HELO).
func belowTrust(h *Hop) bool { return h.Trust == TrustUnverifiable }

func checkParse(h *Hop, add func(Finding)) {
	if h.ParseErr == nil {
		return
	}
	r := &h.Received
	sev := SeverityInfo
	if r.From.IPText == "" && r.By.Host == "" && r.DateText == "" {
		sev = SeverityLow
	}
	add(Finding{Rule: "unparseable-hop", Category: CategoryUnparseableHop, Severity: sev, Hop: h.Index,
		Message: "part of this Received header could not be understood: " + h.ParseErr.Error(), Evidence: r.Raw})
}

func checkIPForms(h *Hop, add func(Finding)) {
	f := &h.Received.From
	switch {
	case f.IPForm == received.IPFormBadOctet || f.IPForm == received.IPFormInvalid:
		add(Finding{Rule: "invalid-client-ip", Category: CategoryInvalidIP, Severity: SeverityHigh, Hop: h.Index,
			Message: "the connecting address " + f.IPText + " is not a valid IP address; no MTA records one", Evidence: f.IPText})
	case f.IPForm.Encoded() || f.IPForm == received.IPFormLeadingZero:
		add(Finding{Rule: "encoded-client-ip", Category: CategoryEncodedIP, Severity: SeverityHigh, Hop: h.Index,
			Message: fmt.Sprintf("the connecting address is written in %s form (%s = %s); MTAs write dotted decimal", f.IPForm, f.IPText, f.IP), Evidence: f.IPText})
	}
	// Names written as numbers: "from 3735928559 (3735928559 [...])".
	checkIPName(h, "HELO", f.HELO, add)
	checkIPName(h, "reverse DNS name", f.RDNS, add)
	checkIPName(h, "receiving host", h.Received.By.Host, add)
}

// checkIPName reports a name of hop h (what it is, as written) that is an
// IP address in an encoded form or with an octet over 255.
func checkIPName(h *Hop, what, name string, add func(Finding)) {
	f := &h.Received.From
	s := stripBrackets(name)
	if s == "" || s == f.IPText {
		return
	}
	// Only a literal starting with a digit (after any brackets) is an
	// IPv4 form: an IPv6 one (or "IPv6:...") is neither encoded nor has
	// octets over 255.
	if c := s[0]; c == '[' && len(s) > 1 {
		c = s[1]
		if c < '0' || c > '9' {
			return
		}
	} else if c < '0' || c > '9' {
		return
	}
	a, form := received.ParseIPLiteral(s)
	switch {
	case form.Encoded() && form != received.IPFormShort && a.IsValid() && a.Unmap().As4()[0] != 0:
		add(Finding{Rule: "encoded-ip-name", Category: CategoryEncodedIP, Severity: SeverityHigh, Hop: h.Index,
			Message: fmt.Sprintf("the %s %s is an IP address in %s form (%s)", what, s, form, a), Evidence: name})
	case form == received.IPFormBadOctet:
		sev := SeverityMedium
		if what == "HELO" {
			sev = SeverityLow
		}
		add(Finding{Rule: "invalid-ip-name", Category: CategoryInvalidIP, Severity: sev, Hop: h.Index,
			Message: fmt.Sprintf("the %s %s is an IP literal with an octet over 255", what, s), Evidence: name})
	}
}

// Special-purpose ranges (RFC 6890 and its updates) from which no real
// client can connect.
var impossibleNets = []struct {
	p    netip.Prefix
	name string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (RFC 791)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation TEST-NET-1 (RFC 5737)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation TEST-NET-2 (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation TEST-NET-3 (RFC 5737)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "class D multicast (RFC 5771)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "class E reserved (RFC 1112)"},
	{netip.MustParsePrefix("::/128"), "the unspecified address (RFC 4291)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation (RFC 3849)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation (RFC 9637)"},
	{netip.MustParsePrefix("ff00::/8"), "IPv6 multicast (RFC 4291)"},
}

// internalNets are private and local-use ranges: normal on internal hops.
var internalNets = []struct {
	p    netip.Prefix
	name string
}{
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (RFC 3927)"},
	{netip.MustParsePrefix("::1/128"), "loopback (RFC 4291)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (RFC 4291)"},
}

// specialNet is an entry of impossibleNets or internalNets.
type specialNet struct {
	p          netip.Prefix
	name       string
	impossible bool // of impossibleNets
}

// specialV4 lists, for each first octet of an IPv4 address, the entries of
// impossibleNets then internalNets that can hold such an address, in table
// order; specialV6 lists the IPv6 entries likewise. A hop's address is
// looked up in the few that can hold it, not in all twenty-one.
var specialV4, specialV6 = func() (v4 [256][]specialNet, v6 []specialNet) {
	add := func(n specialNet) {
		if !n.p.Addr().Is4() {
			v6 = append(v6, n)
			return
		}
		for o := range 256 {
			if n.p.Overlaps(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(o)}), 8)) {
				v4[o] = append(v4[o], n)
			}
		}
	}
	for _, n := range impossibleNets {
		add(specialNet{n.p, n.name, true})
	}
	for _, n := range internalNets {
		add(specialNet{n.p, n.name, false})
	}
	return v4, v6
}()

// specialNets returns the entries that can hold a, an unmapped address
// without a zone.
func specialNets(a netip.Addr) []specialNet {
	if a.Is4() {
		return specialV4[a.As4()[0]]
	}
	return specialV6
}

func specialName(a netip.Addr) (name string, impossible bool) {
	a = a.Unmap().WithZone("")
	for _, n := range specialNets(a) {
		if n.p.Contains(a) {
			return n.name, n.impossible
		}
	}
	return "", false
}

func checkReserved(c *config, h *Hop, add func(Finding)) {
	f := &h.Received.From
	if !f.IP.IsValid() {
		return
	}
	name, impossible := specialName(f.IP)
	if name == "" {
		return
	}
	if impossible {
		add(Finding{Rule: "reserved-client-ip", Category: CategoryReservedIP, Severity: SeverityHigh, Hop: h.Index,
			Message: c.text.join("the connecting address ", f.IPText, " is in a ", name, " range; no real client connects from there"), Evidence: f.IPText})
		return
	}
	sev := SeverityInfo
	if belowTrust(h) {
		sev = SeverityLow
	}
	add(Finding{Rule: "internal-client-ip", Category: CategoryReservedIP, Severity: sev, Hop: h.Index,
		Message: c.text.join("the connecting address ", f.IPText, " is ", name, "; normal inside an organisation"), Evidence: f.IPText})
}

// checkSendOnly flags a hop below the top written in the name of an
// operator's send-only server (operatorFamily.sendOnly): those servers
// hand mail out of the operator's network and write no Received field, so
// the hop was made up below the real ones.
func checkSendOnly(c *config, h *Hop, add func(Finding)) {
	if h.Index == 0 {
		return // the top hop is the recipient's own server's
	}
	op, ok := sendOnlyServer(c.names[h.Index].by.norm, c.names[h.Index].by.info())
	if !ok {
		return
	}
	by := h.Received.By.Host
	add(Finding{Rule: "send-only-server", Category: CategoryBrokenChain, Severity: SeverityMedium, Hop: h.Index,
		Message: c.text.join("the hop claims to have been written by ", by, ", one of ", op, "'s sending servers, which hand mail out and write no Received field of their own"), Evidence: by})
}

func checkZone(h *Hop, add func(Finding)) {
	r := &h.Received
	if r.Date.IsZero() || r.ZoneName == "" {
		return
	}
	zoneMismatch(r.ZoneName, r.Date, h.Index, r.DateText, add)
}

func zoneMismatch(zoneName string, t time.Time, hop int, evidence string, add func(Finding)) {
	offsets, strict, ok := zoneOf(zoneName)
	if !ok {
		return
	}
	_, off := t.Zone()
	off /= 60
	for _, o := range offsets {
		if o == off {
			return
		}
	}
	sev := SeverityMedium
	if strict {
		sev = SeverityHigh
	}
	name := normZone(zoneName)
	where := "this hop's date"
	if hop < 0 {
		where = "the Date header"
	}
	add(Finding{Rule: "tz-name-offset", Category: CategoryTimezoneMismatch, Severity: sev, Hop: hop,
		Message:  fmt.Sprintf("%s gives offset %s but zone name %s, which is never that offset", where, fmtOffset(off), name),
		Evidence: evidence})
}

// zoneOf is zoneOffsets[normZone(name)], from zoneTable: the upper-case
// name packed into a word is hashed and probed, not made a string and
// looked up in the map (every dated hop asks).
func zoneOf(name string) (offsets []int, strict, ok bool) {
	key, ok := zoneKey(name)
	if !ok {
		return nil, false, false
	}
	for i := zoneSlot(key); ; i = (i + 1) % len(zoneTable) {
		switch e := &zoneTable[i]; e.key {
		case key:
			return e.offsets, e.strict, true
		case 0:
			return nil, false, false
		}
	}
}

// zoneKey packs a zone name of one to five ASCII letters, upper-cased,
// into a word (first letter lowest); ok is false for any other name.
func zoneKey(name string) (key uint64, ok bool) {
	if len(name) == 0 || len(name) > 5 {
		return 0, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		default:
			return 0, false
		}
		key |= uint64(c) << (8 * i)
	}
	return key, true
}

func zoneSlot(key uint64) int { return int(key * 0x9e3779b97f4a7c15 >> 56) }

// zoneTable is zoneOffsets by zoneKey, open-addressed (linear probing)
// in 256 slots, a key of 0 marking an empty one.
var zoneTable = func() (t [256]struct {
	key     uint64
	offsets []int
	strict  bool
}) {
	for name, z := range zoneOffsets {
		key, ok := zoneKey(name)
		if !ok {
			panic("trace: zone name " + name + " is not one to five letters")
		}
		i := zoneSlot(key)
		for t[i].key != 0 {
			i = (i + 1) % len(t)
		}
		t[i].key, t[i].offsets, t[i].strict = key, z.offsets, z.strict
	}
	return t
}()

func fmtOffset(min int) string {
	sign := byte('+')
	if min < 0 {
		sign = '-'
		min = -min
	}
	return fmt.Sprintf("%c%02d%02d", sign, min/60, min%60)
}

func checkQueueID(c *config, h *Hop, add func(Finding)) {
	r := &h.Received
	d, skew, ok := queueIDSkew(r, &c.names[h.Index])
	if !ok || skew <= 15*time.Minute {
		return
	}
	sev := SeverityLow
	switch {
	case d.kind == qidSendmailOld && skew >= 2*time.Hour:
		sev = SeverityHigh
	case skew >= 2*time.Hour:
		sev = SeverityHigh
	case skew >= time.Hour:
		sev = SeverityMedium
	}
	add(Finding{Rule: "queue-id-time", Category: CategoryQueueIDTime, Severity: sev, Hop: h.Index,
		Message:  fmt.Sprintf("the %s %s encodes a time %s away from the hop's own date", d.kind, r.ID, roundDur(skew)),
		Evidence: "id " + r.ID + "; " + r.DateText})
}

func roundDur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
	return d.Round(time.Second).String()
}

// bigProviders are domains whose names spamware likes to claim in HELO.
var bigProviders = []string{
	"gmail.com", "google.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
	"live.com", "msn.com", "microsoft.com", "aol.com", "apple.com", "icloud.com", "me.com", "amazon.com",
	"amazonses.com", "paypal.com", "ebay.com", "facebook.com", "protonmail.com", "proton.me", "yandex.ru",
	"mail.ru", "gmx.net", "gmx.de", "web.de", "comcast.net", "att.net", "verizon.net",
}

// heloLiteralNets are addresses a client may announce as its own in HELO
// without claiming to be another host on the Internet: none of them is an
// address anybody connects from.
var heloLiteralNets = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/32"), "the unspecified address (RFC 1122): a client that does not know its own"},
	{netip.MustParsePrefix("::/128"), "the unspecified address (RFC 4291): a client that does not know its own"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address (RFC 2544), not on the Internet: VPN and proxy software number their tunnels there"},
}

// heloLiteralOwn says why a HELO address literal a other than the
// connecting address ip is still the client's own: an address of
// heloLiteralNets, or an IPv6 address in ip's /48, the prefix of one site
// (RFC 6177), which a machine in one subnet uses while the site's gateway
// or proxy connects from another. "" when neither.
func heloLiteralOwn(a, ip netip.Addr) string {
	for _, n := range heloLiteralNets {
		if n.p.Contains(a) {
			return n.why
		}
	}
	if a.Is6() && ip.Is6() {
		pa, _ := a.Prefix(48)
		pb, _ := ip.Prefix(48)
		if pa == pb {
			return "in the connecting address's /48, one site's prefix (RFC 6177)"
		}
	}
	return ""
}

func checkHELO(c *config, tr *Trace, h *Hop, add func(Finding)) {
	f := &h.Received.From
	helo := stripBrackets(f.HELO)
	if helo == "" {
		return
	}
	// An IP literal in HELO that is not the connecting address.
	if a, form := received.ParseIPLiteral(strings.TrimPrefix(strings.TrimPrefix(helo, "IPv6:"), "ipv6:")); form.Canonical() && a.IsValid() && f.IP.IsValid() {
		a = a.Unmap().WithZone("")
		ip := f.IP.Unmap().WithZone("")
		if a.Is4() == ip.Is4() && !samePrefix(a, ip) {
			sev := SeverityMedium
			msg := "HELO " + f.HELO + " is an address other than the connecting " + ip.String()
			if _, impossible := specialName(a); a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || (!impossible && isInternal(a)) {
				// A client behind NAT announcing its own LAN address.
				sev = SeverityInfo
				msg += " (a private address: a client behind NAT)"
			} else if why := heloLiteralOwn(a, ip); why != "" {
				sev = SeverityInfo
				msg += " (" + why + ")"
			}
			add(Finding{Rule: "helo-ip-literal", Category: CategoryHELOIPMismatch, Severity: sev, Hop: h.Index, Message: msg, Evidence: f.HELO})
		}
		return
	}
	hn := &c.names[h.Index]
	name := hn.helo.strip
	ip := f.IP
	trustedClient := inNets(ip, c.trustedNets) || (ip.IsValid() && (ip.Unmap().IsPrivate() || ip.Unmap().IsLoopback()))
	if trustedClient {
		return
	}
	// HELO claiming the recipient's own domain from outside.
	if inDomains(name, c.localDomains) && !inDomains(f.RDNS, c.localDomains) {
		add(Finding{Rule: "helo-local-domain", Category: CategoryForgedHELO, Severity: SeverityHigh, Hop: h.Index,
			Message: "HELO " + f.HELO + " claims the recipient's own domain, from an outside address", Evidence: f.HELO})
		return
	}
	// HELO claiming to be the receiving server itself, from an address
	// that is not the server's own (Exchange records its hand-offs to
	// itself, "from X (a) by X (a)", and MAPI submissions that way).
	if by := hn.by.norm; by != "" && by == name && strings.Contains(name, ".") && ip.IsValid() && !isInternal(ip) && ip.Unmap() != h.Received.By.IP.Unmap().WithZone("") {
		if rd := hn.rdns.norm; rd != name && !sameOperatorInfo(hn.rdns.infoOf(rd), hn.helo.infoOf(name)) {
			add(Finding{Rule: "helo-is-receiver", Category: CategoryForgedHELO, Severity: SeverityMedium, Hop: h.Index,
				Message: "the client announced itself as the receiving server " + f.HELO, Evidence: f.HELO})
			return
		}
	}
	// HELO claiming a big provider while the recorded reverse DNS is elsewhere.
	if f.RDNS == "" {
		return
	}
	if e := hn.helo.infoOf(name); hasDomain(e) {
		d := e.domain
		for _, p := range bigProviders {
			if d == p && !sameOperatorInfo(e, hn.rdns.info()) {
				add(Finding{Rule: "helo-big-provider", Category: CategoryForgedHELO, Severity: SeverityMedium, Hop: h.Index,
					Message: "HELO " + f.HELO + " claims " + d + " but the connecting host's reverse DNS is " + f.RDNS, Evidence: f.HELO})
				return
			}
		}
	}
}

func isInternal(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, n := range specialNets(a) {
		if !n.impossible && n.p.Contains(a) {
			return true
		}
	}
	return false
}

// samePrefix reports whether a and b share a /24 (IPv4) or /64 (IPv6).
func samePrefix(a, b netip.Addr) bool {
	bits := 24
	if a.Is6() {
		bits = 64
	}
	pa, err1 := a.Prefix(bits)
	pb, err2 := b.Prefix(bits)
	return err1 == nil && err2 == nil && pa == pb
}

func checkChain(c *config, tr *Trace, add func(Finding)) {
	for _, e := range tr.Edges {
		if !e.Broken {
			if e.Match == MatchNoData && isLocalSubmission(&tr.Hops[e.Upper].Received) {
				// Mail re-injected by a list manager or filter legitimately
				// has hops below a local submission; forged mail too.
				add(Finding{Rule: "below-local-submission", Category: CategoryBrokenChain, Severity: SeverityLow, Hop: e.Lower,
					Message: c.text.join("hop ", itoa(e.Upper), " records a local submission on ", tr.Hops[e.Upper].Received.By.Host,
						"; the older hop ", itoa(e.Lower), " can only belong to an earlier message (list or filter re-injection) or be forged"),
					Evidence: tr.Hops[e.Lower].Received.Raw})
			}
			continue
		}
		lower := &tr.Hops[e.Lower].Received
		add(Finding{Rule: "broken-chain", Category: CategoryBrokenChain, Severity: SeverityMedium, Hop: e.Lower,
			Message:  c.text.join("hop ", itoa(e.Lower), " does not connect to hop ", itoa(e.Upper), ": ", e.Detail),
			Evidence: lower.Raw})
	}
}

func checkTimeTravel(c *config, tr *Trace, add func(Finding)) {
	// Compare each dated hop with the nearest dated hop above it.
	above := -1
	for i := range tr.Hops {
		d := tr.Hops[i].Received.Date
		if d.IsZero() {
			continue
		}
		if above >= 0 {
			ahead := d.Sub(tr.Hops[above].Received.Date)
			if ahead > c.tolerance {
				sev := SeverityLow
				switch {
				case ahead >= 24*time.Hour:
					sev = SeverityHigh
				case ahead >= 13*time.Hour:
					sev = SeverityMedium
				}
				add(Finding{Rule: "time-travel", Category: CategoryTimeTravel, Severity: sev, Hop: i,
					Message:  c.text.join("hop ", itoa(i), " is dated ", roundDur(ahead), " after hop ", itoa(above), ", which received the message from it"),
					Evidence: tr.Hops[i].Received.DateText})
			}
		}
		above = i
	}
}

func checkFuture(c *config, h *Hop, add func(Finding)) {
	d := h.Received.Date
	if d.IsZero() {
		return
	}
	if d.After(c.futureHop) {
		ahead := d.Sub(c.now) // more than a day
		add(Finding{Rule: "future-hop-date", Category: CategoryFutureDate, Severity: SeverityMedium, Hop: h.Index,
			Message: "the hop is dated " + roundDur(ahead) + " in the future", Evidence: h.Received.DateText})
	}
}

func checkDateHeader(c *config, tr *Trace, add func(Finding)) {
	hd := tr.Header.DateTime
	if hd.IsZero() {
		return
	}
	if ahead := hd.Sub(c.now); ahead > 24*time.Hour {
		add(Finding{Rule: "future-date-header", Category: CategoryFutureDate, Severity: SeverityMedium, Hop: -1,
			Message: "the Date header is " + roundDur(ahead) + " in the future", Evidence: tr.Header.Date})
	}
	// A zone name in the Date header contradicting its offset.
	if i := strings.LastIndexByte(tr.Header.Date, '('); i >= 0 {
		if j := strings.IndexByte(tr.Header.Date[i:], ')'); j > 0 {
			zoneMismatch(strings.TrimSpace(tr.Header.Date[i+1:i+j]), hd, -1, tr.Header.Date, add)
		}
	}
	// Date compared with the first hop the message took.
	var first time.Time
	for i := len(tr.Hops) - 1; i >= 0; i-- {
		if d := tr.Hops[i].Received.Date; !d.IsZero() {
			first = d
			break
		}
	}
	if first.IsZero() {
		return
	}
	skew := hd.Sub(first)
	if absDur(skew) <= 24*time.Hour {
		return
	}
	sev := SeverityLow
	if absDur(skew) > 7*24*time.Hour {
		sev = SeverityMedium
	}
	dir := "after"
	if skew < 0 {
		dir = "before"
	}
	add(Finding{Rule: "date-skew", Category: CategoryDateSkew, Severity: sev, Hop: -1,
		Message: "the Date header is " + roundDur(absDur(skew)) + " " + dir + " the earliest Received date", Evidence: tr.Header.Date})
}

func checkSpamware(c *config, h *Hop, add func(Finding)) {
	f := &h.Received.From
	hn := &c.names[h.Index]
	by := hn.by.norm
	switch {
	case ascii.EqualFold(f.HELO, "alt1") || by == "alt1": // no Unicode folding reaches "alt1"
	case strings.HasPrefix(by, "alt1.") && h.Trust == TrustUnverifiable && registeredDomain(by) != "google.com":
	default:
		return
	}
	add(Finding{Rule: "spamware-alt1", Category: CategorySpamware, Severity: SeverityMedium, Hop: h.Index,
		Message: "a host named \"alt1\" in a forged-looking hop is a known signature of bulk-mailing software", Evidence: h.Received.Raw})
}

// isLocalSubmission reports whether a hop records mail handed to the MTA
// on its own host (sendmail "from user@localhost", qmail "invoked by uid",
// Postfix "from userid", "with local") rather than over the network.
func isLocalSubmission(h *received.Hop) bool {
	if h.From.IP.IsValid() || h.From.HELO != "" || h.From.RDNS != "" {
		return false
	}
	return h.Protocol == received.ProtocolLocal || h.From.Ident != ""
}
