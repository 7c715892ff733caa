package trace

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"sync/atomic"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/spamtrace/spamtrace/received"
)

// buildEdges joins each hop to the one below it. Hop i says "from B by A";
// hop i+1, written by B, says "from C by B". The edge holds when what hop i
// recorded about its client (B's HELO, rDNS or IP) names the server that
// wrote hop i+1 (its by host or by IP).
func buildEdges(hops []Hop, names []hopNames, tb *texts) []Edge {
	if len(hops) < 2 {
		return nil
	}
	edges := make([]Edge, len(hops)-1)
	start := 0
	for i := range edges {
		m, detail := matchHops(hops, names, start, i, tb)
		if names[i].fetch {
			start = i + 1 // a new chain: the mailbox server's own
		} else if m == MatchNoData && opaqueAbove(&hops[i].Received, &names[i]) && !submittedFromAnywhere(&hops[i].Received, &hops[i+1].Received) && !addressAbove(hops, start, i) {
			if d, ok := strangerBelow(names, start, i); ok {
				m, detail = MatchNone, tb.join(detail, "; and the older hop's server, ", names[i+1].by.norm, ", belongs to ", d, ", a domain no newer hop names")
			}
		}
		edges[i] = Edge{Upper: i, Lower: i + 1, Match: m, Detail: detail, Broken: m == MatchNone}
	}
	return edges
}

// matchHops matches hop i against hop i+1; hops start to i are the chain
// above, whose names say which operators the message has been inside.
// names are the hops' names.
func matchHops(hops []Hop, names []hopNames, start, i int, tb *texts) (Match, string) {
	upper, lower := &hops[i].Received, &hops[i+1].Received
	un, ln := &names[i], &names[i+1]
	from, by := &upper.From, &lower.By
	byHost := ln.by.norm
	byIP := by.IP
	if !byIP.IsValid() && byHost != "" {
		if a, form := received.ParseIPLiteral(trimBrackets(byHost)); form.Canonical() {
			byIP = a
		}
	}
	fromIP := from.IP
	if fromIP.IsValid() && byIP.IsValid() {
		if fromIP.Unmap().WithZone("") == byIP.Unmap().WithZone("") {
			return MatchIP, tb.join("the older hop's server is ", byIP.String(), ", the address the newer hop recorded")
		}
		if sixToFourOf(byIP, fromIP) {
			return MatchIP, tb.join("the older hop's server is ", byIP.String(), ", the 6to4 address (RFC 3056) of ", fromIP.Unmap().String(), ", the address the newer hop recorded")
		}
	}
	helo, rdns := un.helo.strip, un.rdns.norm
	if strings.IndexByte(helo, '@') >= 0 {
		helo = "" // qmail-scanner writes the envelope sender there
	}
	if strings.IndexByte(rdns, '@') >= 0 {
		rdns = ""
	}
	// "localhost" names every machine: it joins nothing.
	if byHost != "" && !isLocalName(byHost) {
		if rdns != "" && rdns == byHost {
			return MatchHost, tb.join("reverse DNS ", rdns, " names the older hop's server")
		}
		if helo != "" && helo == byHost {
			return MatchHost, tb.join("HELO ", helo, " names the older hop's server")
		}
		// A host greeting with its short name ("nwd2mhb1" for
		// nwd2mhb1.analog.com): the first label of the older hop's server.
		if helo != "" && strings.IndexByte(helo, '.') < 0 && len(byHost) > len(helo) && byHost[len(helo)] == '.' && byHost[:len(helo)] == helo && !endUserName(byHost) {
			return MatchHost, tb.join("HELO ", helo, " is the short name of the older hop's server, ", byHost)
		}
	}
	// The same server handing the message to itself: a content filter or
	// local re-injection ("from localhost by mx", above "... by mx").
	upperBy := un.by.norm
	if upperBy != "" && upperBy == byHost && (isLocalName(helo) || isLocalName(rdns) || (fromIP.IsValid() && fromIP.IsLoopback()) || (!fromIP.IsValid() && helo == "" && rdns == "")) {
		return MatchLocal, tb.join("the same server ", byHost, " handed the message to itself")
	}
	eBy := ln.by.infoOf(byHost)
	if eBy != nil {
		if rdns != "" && sameOperatorInfo(un.rdns.infoOf(rdns), eBy) {
			return MatchDomain, tb.join("reverse DNS ", rdns, " and the older hop's server ", byHost, " are both ", operatorName(byHost), "'s")
		}
		if helo != "" && sameOperatorInfo(un.helo.infoOf(helo), eBy) {
			return MatchDomain, tb.join("HELO ", helo, " and the older hop's server ", byHost, " are both ", operatorName(byHost), "'s")
		}
	}
	// Both hops written by one organisation: its internal names need not
	// match what the outside world sees.
	if upperBy != "" && byHost != "" {
		if upperBy == byHost {
			return MatchLocal, tb.join("both hops were written by ", byHost)
		}
		if sameOperatorInfo(un.by.infoOf(upperBy), eBy) {
			return MatchDomain, tb.join("both hops were written by servers of ", operatorName(upperBy))
		}
	}
	haveFrom := fromIP.IsValid() || helo != "" || rdns != ""
	haveBy := byHost != "" || byIP.IsValid()
	if !haveFrom && upper.From == (received.From{}) && upperBy != "" && ln.by.internalByNameOf(byHost) && !isLocalSubmission(upper) && !authenticated(upper) &&
		upper.Protocol != received.ProtocolHTTP && upper.Protocol != received.ProtocolHTTPS {
		return MatchInternal, tb.join("the newer hop names no client and the older hop's server names itself only as ", byHost, ": an internal hop of ", describeOperator(upperBy))
	}
	if internalAddr(fromIP) && haveBy && !isLocalName(byHost) && (sameOperatorInfo(un.by.infoOf(upperBy), eBy) || ln.by.internalByNameOf(byHost) || operatorAbove(hops, names, start, i, eBy)) {
		return MatchInternal, tb.join("the newer hop received from the internal address ", fromIP.WithZone("").String(), ", inside ", describeOperator(upperBy), "'s own network; the older hop's server names itself as it likes (", describeBy(by), ")")
	}
	if !haveFrom && upperBy != "" && byHost != "" && !authenticated(upper) && (isLocalSubmission(upper) || upper.From == (received.From{}) && hasDomain(un.by.infoOf(upperBy))) {
		// A message submitted on upperBy itself can only have hops below
		// it from that same server (a list manager or filter re-injecting
		// what it received), never from an unrelated one.
		return MatchNone, tb.join("the newer hop records mail that entered ", upperBy, " without a network client (a local submission), but the older hop was written by ", byHost, ", another server")
	}
	if !haveFrom || !haveBy {
		switch {
		case !haveFrom && !haveBy:
			return MatchNoData, "neither the newer hop's client nor the older hop's server is named"
		case !haveFrom:
			return MatchNoData, "the newer hop does not name its client"
		default:
			return MatchNoData, "the older hop does not name its server"
		}
	}
	if isLocalName(byHost) {
		return MatchNoData, tb.join("the older hop names its server only as ", byHost)
	}
	if isLocalName(upperBy) {
		return MatchNoData, tb.join("the newer hop was written by a local filter (", upperBy, ")")
	}
	if lf := lower.From.IP; lf.IsValid() && (lf.Unmap().IsLoopback() || lf.Unmap().IsPrivate()) {
		// An internal hop (content filter, list manager, a home or office
		// gateway) on a host whose own name for itself is not its public
		// name.
		return MatchNoData, tb.join("the older hop is internal to ", byHost, ", whose own name need not be its public one")
	}
	if lower.From.IPText == "" && lower.From.HELO == "" && lower.From.RDNS == "" {
		// A local submission: the host names itself as it likes.
		return MatchNoData, tb.join("the older hop is a local submission on ", byHost)
	}
	// Both sides named but one side only by a bare or internal name (no
	// dot, or a top-level domain no registry serves, ".local", ".lan",
	// "aa.mta1vsmtp.cc.prd.sparkpost"): too little to call a break.
	if (byHost != "" && (!byIP.IsValid() || !comparableAddrs(fromIP, byIP) && !isAddrLiteral(byHost)) && ln.by.internalByNameOf(byHost)) ||
		(!fromIP.IsValid() && !strings.Contains(helo, ".") && !strings.Contains(rdns, ".")) {
		return MatchNoData, tb.join("only a bare internal name to compare (", byHost, ")")
	}
	if un.fetch {
		// A mailbox retrieval names the mailbox server, which is rarely the
		// host that accepted the mail from outside.
		return MatchNoData, tb.join("the newer hop fetched the message from a mailbox (", describeFrom(from), ")")
	}
	var b strings.Builder
	b.WriteString("the newer hop received from ")
	b.WriteString(describeFrom(from))
	b.WriteString(" but the older hop was written by ")
	b.WriteString(describeBy(by))
	return MatchNone, b.String()
}

// comparableAddrs reports whether the older hop's server address by can
// say that it is not the client address from the newer hop recorded: both
// known, of one family, and by not an internal address, which the world
// sees through a translation (NAT) as some other address. A dual-stack
// server sends from its IPv4 address while it names its IPv6 one.
func comparableAddrs(from, by netip.Addr) bool {
	if !from.IsValid() || !by.IsValid() || internalAddr(by) {
		return false
	}
	return from.Unmap().Is4() == by.Unmap().Is4()
}

// isAddrLiteral reports whether a host is written as an IP address, with
// or without brackets.
func isAddrLiteral(host string) bool {
	_, form := received.ParseIPLiteral(stripBrackets(host))
	return form != received.IPFormNone
}

// sixToFourOf reports whether v6 is a 6to4 address (2002::/16, RFC 3056)
// whose site prefix embeds the IPv4 address v4: one interface of the
// same machine.
func sixToFourOf(v6, v4 netip.Addr) bool {
	v4 = v4.Unmap()
	if !v6.Is6() || v6.Is4In6() || !v4.Is4() {
		return false
	}
	b, a := v6.As16(), v4.As4()
	return b[0] == 0x20 && b[1] == 0x02 && b[2] == a[0] && b[3] == a[1] && b[4] == a[2] && b[5] == a[3]
}

// opaqueAbove reports whether hop u tells nothing checkable about its
// client: no address and no dotted name, or it was written by a local
// filter.
func opaqueAbove(u *received.Hop, un *hopNames) bool {
	f := &u.From
	if isLocalName(un.by.norm) {
		return true
	}
	return !f.IP.IsValid() && !strings.Contains(f.HELO, ".") && !strings.Contains(f.RDNS, ".")
}

// addressAbove reports whether a hop from start to i recorded as its
// client the address the server of hop i+1 names itself by: the chain
// holds across the opaque hops between ("(cpmta 17587 invoked from
// network)" between a relay's hop and the one its server wrote).
func addressAbove(hops []Hop, start, i int) bool {
	a := hops[i+1].Received.By.IP
	if !a.IsValid() || internalAddr(a) {
		return false
	}
	a = a.Unmap().WithZone("")
	for j := start; j <= i; j++ {
		if ip := hops[j].Received.From.IP; ip.IsValid() && ip.Unmap().WithZone("") == a {
			return true
		}
	}
	return false
}

// submittedFromAnywhere reports whether hop u is an authenticated
// submission and the older hop l names no outside client: the user's own
// side of the message, which may be any system that user runs or uses (a
// home server's local pickup, another provider's server sending as the
// user, Gmail's "send mail as"), so a server of a domain no newer hop
// names does not break the chain there. An older hop claiming an outside
// client still does.
func submittedFromAnywhere(u, l *received.Hop) bool {
	return authenticated(u) && !outsideClient(l)
}

// strangerBelow reports whether hop i+1, which the hop above cannot be
// matched against directly, was written by a fully qualified server whose
// registered domain no hop from start to i names (as writer, HELO or reverse
// DNS). An opaque internal hop (a spool pickup, a local filter) sits inside
// one organisation, and the server below it is that organisation's own.
func strangerBelow(names []hopNames, start, i int) (string, bool) {
	lb := &names[i+1].by
	by := lb.norm
	if !strings.Contains(by, ".") || isLocalName(by) {
		return "", false
	}
	if _, form := received.ParseIPLiteral(stripBrackets(by)); form != received.IPFormNone {
		return "", false
	}
	eb := lb.infoOf(by)
	if !hasDomain(eb) {
		return "", false
	}
	named := false
	for j := start; j <= i; j++ {
		hn := &names[j]
		for _, nn := range [...]*hostName{&hn.by, &hn.helo, &hn.rdns} {
			n := nn.strip
			if n == "" {
				continue
			}
			e := nn.infoOf(n)
			if !hasDomain(e) {
				continue
			}
			named = true
			if sameOperatorInfo(eb, e) {
				return "", false
			}
		}
	}
	return eb.domain, named
}

func describeFrom(f *received.From) string {
	if f.HELO == "" && f.RDNS == "" && f.IPText == "" {
		return "an unnamed client"
	}
	var b strings.Builder
	b.Grow(len(f.HELO) + len(f.RDNS) + len(f.IPText) + 20)
	for _, p := range [...]struct{ label, v string }{{"HELO ", f.HELO}, {"rDNS ", f.RDNS}, {"IP ", f.IPText}} {
		if p.v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.label)
		b.WriteString(p.v)
	}
	return b.String()
}

func describeBy(b *received.By) string {
	s := b.Host
	if b.IPText != "" && b.IPText != b.Host {
		if s != "" {
			s += " "
		}
		s += "[" + b.IPText + "]"
	}
	if s == "" {
		return "an unnamed server"
	}
	return s
}

// trimBrackets is strings.Trim(s, "[]"), without building the cut set on
// every call.
func trimBrackets(s string) string {
	for len(s) > 0 && (s[0] == '[' || s[0] == ']') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == '[' || s[len(s)-1] == ']') {
		s = s[:len(s)-1]
	}
	return s
}

func stripBrackets(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

func isLocalName(s string) bool {
	return s == "localhost" || s == "localhost.localdomain" || strings.HasPrefix(s, "localhost.")
}

// registeredDomain returns the public suffix plus one label of host, or ""
// when host has none (a bare name, an IP literal, a public suffix itself).
func registeredDomain(host string) string {
	if e := domainInfo(host); e != nil {
		return e.domain
	}
	return ""
}

// domainInfo returns what the cache knows of a dotted host: its
// registered domain, whether it sits under a top-level domain no registry
// serves (see internalByName) and its operator family (operator.go); nil
// for a name without a dot or an address literal.
func domainInfo(host string) *rdEntry { return domainInfoNorm(normName(host)) }

// domainInfoNorm is domainInfo of a host normName has normalised.
func domainInfoNorm(host string) *rdEntry {
	if host == "" || strings.IndexByte(host, '.') < 0 || host[0] == '[' {
		return nil
	}
	slot := &rdCache[maphash.String(rdSeed, host)%uint64(len(rdCache))]
	if e := slot.Load(); e != nil && e.host == host {
		return e
	}
	d, u := computeDomainInfo(host)
	// A copy of the name: the cache must not keep a whole header alive.
	e := &rdEntry{host: strings.Clone(host), domain: d, unlisted: u, family: int16(computeFamily(host))}
	slot.Store(e)
	return e
}

// rdCache remembers registered domains: the same relay names recur in
// every message of a bulk run. It is direct-mapped: a name whose slot is
// taken replaces the entry there, so memory is fixed and reads take no
// lock.
var (
	rdCache [16384]atomic.Pointer[rdEntry]
	rdSeed  = maphash.MakeSeed()
)

type rdEntry struct {
	host, domain string
	unlisted     bool
	family       int16 // index in operatorFamilies, -1 for none
}

// computeDomainInfo returns host's registered domain (public suffix + 1,
// as publicsuffix.EffectiveTLDPlusOne computes it) and whether its
// top-level domain is one no registry serves, from one look-up in the
// list.
func computeDomainInfo(host string) (string, bool) {
	if host == "" || strings.IndexByte(host, '.') < 0 || host[0] == '[' {
		return "", false
	}
	if isASCII(host) {
		if !validHostChars(host) {
			return "", false
		}
	} else {
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return "", false
		}
		host = a
	}
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" || isAllDigits(last) || host[0] == '.' || strings.Contains(host, "..") {
		return "", false // an IP address, a trailing dot, an empty label
	}
	suffix, icann := publicsuffix.PublicSuffix(host)
	// RFC 2606's documentation names (.example, .test, .invalid) are
	// taken as public: only documentation and made-up hops write them.
	unlisted := !icann && strings.IndexByte(suffix, '.') < 0 && last != "example" && last != "test" && last != "invalid"
	if len(host) <= len(suffix) {
		return "", unlisted
	}
	i := len(host) - len(suffix) - 1
	if host[i] != '.' {
		return "", unlisted
	}
	return host[1+strings.LastIndexByte(host[:i], '.'):], unlisted
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func validHostChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func haveBy(b *received.By) bool { return b.Host != "" || b.IP.IsValid() }

// describeOperator names host's operator for a person, or the host itself
// when it has none (an address literal, a bare name).
func describeOperator(host string) string {
	if k := operatorName(host); k != "" {
		return k
	}
	if host == "" {
		return "the newer hop's server"
	}
	return host
}

// operatorAbove reports whether the host whose entry is eh is a server of
// an operator that one of hops start to i names (as writer, HELO or
// reverse DNS).
func operatorAbove(hops []Hop, names []hopNames, start, i int, eh *rdEntry) bool {
	if !hasDomain(eh) {
		return false
	}
	for j := start; j <= i; j++ {
		hn := &names[j]
		for _, nn := range [...]*hostName{&hn.by, &hn.helo, &hn.rdns} {
			if n := nn.raw; n != "" && sameOperatorInfo(eh, nn.infoOf(stripBrackets(n))) {
				return true
			}
		}
	}
	return false
}

// hasDomain reports whether a cache entry has a registered domain:
// registeredDomain(host) != "" for the host e is of.
func hasDomain(e *rdEntry) bool { return e != nil && e.domain != "" }
