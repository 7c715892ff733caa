package trace

import (
	"net/netip"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
	"strings"
)

// dynamicWords are labels (or label prefixes) ISPs use for dial-up, DSL,
// cable and address-pool hosts.
var dynamicWords = []string{
	"ppp", "pppoe", "dsl", "adsl", "xdsl", "vdsl", "sdsl", "dialup", "dialups", "dial-up", "dial", "dip", "dyn", "dynamic",
	"dynip", "pool", "cable", "cpe", "dhcp", "client", "clients", "cust", "customer", "modem", "broadband",
	"res", "resnet", "home", "user", "users", "ftth", "fttx", "wireless", "mobile", "nat",
}

// isDynamicWord reports whether w is one of dynamicWords.
func isDynamicWord(w string) bool {
	if len(w) > maxDynamicWord {
		return false
	}
	for _, dw := range dynamicWordsByLen[len(w)] {
		if w == dw {
			return true
		}
	}
	return false
}

// maxDynamicWord is the length of the longest of dynamicWords.
const maxDynamicWord = 9

// dynamicWordsByLen indexes dynamicWords by length.
var dynamicWordsByLen = func() (t [maxDynamicWord + 1][]string) {
	for _, w := range dynamicWords {
		t[len(w)] = append(t[len(w)], w)
	}
	return t
}()

// isDynamicName reports whether host looks like an ISP's dynamic or
// residential host name, and says why. ip, when valid, is the address the
// name belongs to: its octets spelled inside the name are the surest sign.
func isDynamicName(host string, ip netip.Addr) (bool, string) {
	return dynamicName(normName(host), nil, ip)
}

// dynamicName is isDynamicName of a normalised host; n, when not nil, is
// the hop's name host is a form of, whose registered-domain entry it
// reuses.
func dynamicName(host string, n *hostName, ip netip.Addr) (bool, string) {
	if host == "" || !strings.Contains(host, ".") {
		return false, ""
	}
	var e *rdEntry
	if n != nil {
		e = n.infoOf(host)
	} else {
		e = domainInfo(host)
	}
	// A mail operator's own servers (mail-oln040092253055.outbound.
	// protection.outlook.com spells its address too) are not end-user
	// pools, unless the operator is also an access provider.
	if e != nil && e.family >= 0 && !operatorFamilies[e.family].residential {
		return false, ""
	}
	// Only the labels left of the registered domain count: "dsl.example"
	// as a company name is not a dial-up pool.
	d := ""
	if e != nil {
		d = e.domain
	}
	sub := host
	if d != "" && len(host) > len(d) {
		sub = host[:len(host)-len(d)-1]
	} else if d != "" {
		sub = ""
	}
	// An access provider that calls an address static (a business line,
	// "23-24-6-165-static.hfc.comcastbusiness.net") says it is no pool,
	// as SpamAssassin's RDNS_DYNAMIC takes it.
	if sub != "" && nameWord(sub, isStaticWord) != "" {
		return false, ""
	}
	if ip.IsValid() && ip.Unmap().Is4() && encodesIP(host, ip.Unmap()) {
		return true, "the name spells out its IP address"
	}
	// Internal names (ip-10-0-0-1.ec2.internal) name no access network.
	if e != nil && e.unlisted || sub == "" {
		return false, ""
	}
	if label := nameWord(sub, isDynamicWord); label != "" {
		return true, "the name contains \"" + label + "\""
	}
	return false, ""
}

// nameWord returns the first label of sub (split at dots, hyphens and
// underscores) that, without its trailing digits, is a word is accepts;
// "" if none.
func nameWord(sub string, is func(string) bool) string {
	for start := 0; start < len(sub); {
		end := start
		for end < len(sub) && sub[end] != '.' && sub[end] != '-' && sub[end] != '_' {
			end++
		}
		label := sub[start:end]
		start = end + 1
		w := label
		for len(w) > 0 && '0' <= w[len(w)-1] && w[len(w)-1] <= '9' {
			w = w[:len(w)-1]
		}
		if is(w) {
			return label
		}
	}
	return ""
}

// staticWords are labels access providers give statically assigned
// addresses (business lines, where servers run).
var staticWords = [...]string{"static", "fixed", "fixip", "dedicated"}

func isStaticWord(w string) bool {
	for _, s := range staticWords {
		if w == s {
			return true
		}
	}
	return false
}

// encodesIP reports whether the four octets of ip appear in host as numbers
// in order or reversed (1-2-3-4, 4.3.2.1, 001002003004), or as 8 hex digits.
func encodesIP(host string, ip netip.Addr) bool {
	b := ip.As4()
	var arr [32]int
	nums := arr[:0]
	n, digits := 0, 0
	for i := 0; i <= len(host); i++ {
		if i < len(host) {
			if c := host[i]; c >= '0' && c <= '9' {
				if digits < 12 {
					n = n*10 + int(c-'0')
				}
				digits++
				continue
			}
			if digits == 0 {
				continue
			}
		}
		// The end of a run of digits (or of the name).
		if len(nums)+4 > cap(nums) {
			break // no room for more: the numbers read so far are all
		}
		if digits > 0 && digits <= 3 {
			nums = append(nums, n)
		} else if digits == 12 {
			// 001002003004
			nums = append(nums, n/1e9, n/1e6%1000, n/1e3%1000, n%1000)
		}
		n, digits = 0, 0
	}
	match := func(order [4]int) bool {
		for s := 0; s+4 <= len(nums); s++ {
			if nums[s] == order[0] && nums[s+1] == order[1] && nums[s+2] == order[2] && nums[s+3] == order[3] {
				return true
			}
		}
		return false
	}
	fwd := [4]int{int(b[0]), int(b[1]), int(b[2]), int(b[3])}
	rev := [4]int{int(b[3]), int(b[2]), int(b[1]), int(b[0])}
	if match(fwd) || match(rev) {
		return true
	}
	var hex [8]byte
	const digitsHex = "0123456789abcdef"
	for i, x := range b {
		hex[2*i], hex[2*i+1] = digitsHex[x>>4], digitsHex[x&0xf]
	}
	return strings.Contains(host, string(hex[:]))
}

func checkDynamic(c *config, tr *Trace, h *Hop, add func(Finding)) {
	r := &h.Received
	f := &r.From
	name := f.RDNS
	what := "reverse DNS name"
	if name == "" {
		name, what = f.HELO, "HELO name"
	}
	if name == "" || name[0] == '[' {
		return
	}
	if _, form := received.ParseIPLiteral(name); form != received.IPFormNone {
		return // an address, not a name
	}
	if r.Protocol == received.ProtocolHTTP || r.Protocol == received.ProtocolHTTPS {
		return // a webmail user's browser, not a mail server
	}
	hn := &c.names[h.Index]
	ok, why := hn.clientDynamic()
	if !ok {
		return
	}
	sev, ctx := SeverityInfo, ""
	switch {
	case h.Trust == TrustTrusted:
		// an internal relay: not the sending system
	case !r.Auth.IsZero():
		// an authenticated user on a home connection: normal
	case sameOperatorInfo(hn.clientName().info(), hn.by.info()):
		// submitting to its own ISP's server: normal
		sev = SeverityLow
	case h.Trust == TrustOrigin:
		// delivered straight from a home connection to the recipient's
		// own servers: the classic botnet pattern
		sev, ctx = SeverityMedium, "; it delivered straight to the recipient's servers"
	case endUserReceiver(r) || endUserRelay(c, tr, h):
		// a dial-up host relaying to another end-user machine: no mail
		// server records such a hop
		sev, ctx = SeverityMedium, "; the machine it handed the message to is itself an end-user machine"
	case thirdPartyRelay(r, name) && !knownRecipient(tr, r.For):
		// a home connection handing mail for somebody else's domain to a
		// server of a third network, without logging in: the signature
		// of an abused open relay, or of a hop made up to look like one
		sev, ctx = SeverityMedium, "; it handed mail for "+r.For+" (a domain none of the message's recipients is in) to "+r.By.Host+", a server of neither its own network nor the recipient's, without logging in"
	case belowSubmission(tr, h):
		// the hop above is where a user handed the message in (a local
		// program, an authenticated client, a browser): no server can
		// have received it over SMTP before that
		sev, ctx = SeverityMedium, "; it is older than the hop where a user submitted the message, where no SMTP hop can be"
	default:
		// below the trust boundary, a home user's machine handing mail to
		// a mail server is how much legitimate mail starts
		sev = SeverityLow
	}
	add(Finding{Rule: "dynamic-sender", Category: CategoryDynamicHost, Severity: sev, Hop: h.Index,
		Message:  "the sending system's " + what + " " + name + " looks like a dial-up, DSL or pool address: " + why + ctx,
		Evidence: name})
}

// endUserReceiver reports whether the server that wrote the hop is itself
// a dynamic, local or bare-named host rather than a mail server.
func endUserReceiver(r *received.Hop) bool {
	by := normName(stripBrackets(r.By.Host))
	if by == "" {
		return false
	}
	if endUserName(by) {
		return true
	}
	if a, form := received.ParseIPLiteral(by); form.Canonical() {
		return isInternal(a)
	}
	ok, _ := isDynamicName(by, netip.Addr{})
	return ok
}

// endUserName reports whether a normalised host name is one only an
// end-user machine goes by: localhost, or a bare name without a domain.
func endUserName(n string) bool { return isLocalName(n) || !strings.Contains(n, ".") }

// endUserRelay reports whether the server that wrote hop h is, as the hop
// above recorded it when it passed the message on, an end-user machine: a
// dial-up or pool host, or a client that greeted with a bare or localhost
// name or, from a public address, with a private address literal. Such a
// machine does not receive mail over SMTP and relay it on.
func endUserRelay(c *config, tr *Trace, h *Hop) bool {
	if h.Index == 0 {
		return false
	}
	up := &tr.Hops[h.Index-1].Received.From
	upn := &c.names[h.Index-1]
	by := c.names[h.Index].by.norm
	if by == "" || (by != upn.rdns.norm && by != upn.helo.norm && !sameAddrLiteral(by, up.IP)) {
		return false
	}
	if helo := upn.helo.norm; helo != "" && helo[0] != '[' && endUserName(helo) {
		return true
	} else if helo != "" && up.IP.IsValid() && !isInternal(up.IP) {
		// A client that greets with its own private address literal from
		// a public address is a machine behind NAT (a mail program's
		// default greeting), not a configured MTA.
		if a, form := received.ParseIPLiteral(stripBrackets(helo)); form.Canonical() && isInternal(a) {
			return true
		}
	}
	ok, _ := upn.clientDynamic()
	return ok
}

// belowSubmission reports whether the hop above h records the message's
// submission by a user: a local program, an authenticated client, a
// webmail browser, an Outlook client over MAPI (Exchange's "with mapi"
// hop, written where the mailbox hands the user's message to transport),
// or a provider's own point of entry, a hop over SMTP that names no
// client on the same server as h (unnamedEntryAbove).
func belowSubmission(tr *Trace, h *Hop) bool {
	if h.Index == 0 {
		return false
	}
	up := &tr.Hops[h.Index-1].Received
	switch up.Protocol {
	case received.ProtocolHTTP, received.ProtocolHTTPS, received.ProtocolMAPI:
		return true
	}
	return isLocalSubmission(up) || !up.Auth.IsZero() || unnamedEntryAbove(tr, h.Index)
}

// thirdPartyRelay reports whether hop r, from the home connection name,
// was handed to a server whose organisation is neither the client's nor
// the envelope recipient's: relaying for strangers.
func thirdPartyRelay(r *received.Hop, name string) bool {
	rcpt := r.For
	if at := strings.LastIndexByte(rcpt, '@'); at >= 0 {
		rcpt = rcpt[at+1:]
	} else {
		return false
	}
	rcpt = strings.TrimRight(rcpt, ">")
	by := operatorKey(r.By.Host)
	return by != "" && !sameOperator(r.By.Host, name) && !sameOperator(r.By.Host, rcpt) && operatorKey(rcpt) != ""
}

// knownRecipient reports whether the domain of addr is one the message's
// own recipient fields name: the hop delivered towards the message's
// recipients rather than relaying for a stranger.
func knownRecipient(tr *Trace, addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	d := strings.Trim(addr[at+1:], "<> ")
	if d == "" {
		return false
	}
	for _, v := range [...]string{tr.Header.To, tr.Header.Cc, tr.Header.DeliveredTo} {
		if ascii.ContainsFold(v, "@"+d) || ascii.ContainsFold(v, "."+d) {
			return true
		}
	}
	return false
}

// sameAddrLiteral reports whether a normalised by-host is the address a
// written as a literal ("[194.95.106.226]" or bare).
func sameAddrLiteral(by string, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	b, form := received.ParseIPLiteral(stripBrackets(by))
	return form.Canonical() && b.Unmap() == a.Unmap()
}
