package trace

import (
	"net/netip"
	"sync"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// Per-hop names
//
// Edges (graph.go), the checks (checks.go, dynamic.go, queueid.go) and the
// trust walk (trust.go) all ask about the same three names of each hop: its
// by host, and its client's HELO and reverse DNS name. Each name is
// normalised (normName) and looked up in the registered-domain cache
// (domainInfo) once per trace, when the trace is built, instead of once per
// question; so is whether the hop is a mailbox retrieval (isFetch) and
// whether its client's name is a dial-up or pool name (isDynamicName).
//
// The rules compare names in slightly different forms: some strip the
// brackets of an address literal first, some normalise a name twice. For
// almost every name all those forms are one string, and one look-up serves
// them all (hostName.plain); for the others each rule still looks up the
// form it always did, so no result changes.

// hostName is one name a hop records, with what the trace works out about
// it.
type hostName struct {
	raw   string // as the parser returned it; "" when absent
	norm  string // normName(raw)
	strip string // normName(stripBrackets(raw))
	// plain: neither raw nor norm has brackets to strip and norm is
	// already normal (normName(norm) == norm), so every form of the name
	// the rules look up is norm.
	plain bool
	e     *rdEntry // domainInfo(raw), once looked
	eDone bool
	// internal is internalByName(raw), once worked out (internalDone).
	internal, internalDone bool
}

func (n *hostName) set(raw string) {
	n.raw, n.norm = raw, normName(raw)
	n.e, n.eDone, n.internal, n.internalDone = nil, false, false, false
	if s := stripBrackets(raw); len(s) != len(raw) {
		n.strip, n.plain = normName(s), false
		return
	}
	n.strip, n.plain = n.norm, isNormal(n.norm) && len(stripBrackets(n.norm)) == len(n.norm)
}

// isNormal reports whether normName(s) == s for a string normName
// returned: it no longer ends in a dot or a space.
func isNormal(s string) bool {
	if s == "" {
		return true
	}
	switch c := s[len(s)-1]; {
	case c == '.', c == ' ', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
		return false
	case c >= 0x80:
		return normName(s) == s // a Unicode space, perhaps
	}
	return true
}

// info is domainInfo(n.raw).
func (n *hostName) info() *rdEntry {
	if !n.eDone {
		n.e, n.eDone = domainInfoNorm(n.norm), true // domainInfo(n.raw)
	}
	return n.e
}

// infoOf is domainInfo(s) for s one of the forms of this name (raw, norm,
// strip, the brackets stripped, normalised again): for a plain name that
// is always the one entry.
func (n *hostName) infoOf(s string) *rdEntry {
	if n.plain {
		return n.info()
	}
	return domainInfo(s)
}

// internalByNameOf is internalByName(s) for s one of the forms of this
// name (see infoOf).
func (n *hostName) internalByNameOf(s string) bool {
	if !n.plain {
		return internalByName(s)
	}
	if !n.internalDone {
		n.internal, n.internalDone = internalByName(n.norm), true
	}
	return n.internal
}

// hopNames is what the trace works out once about one hop's names.
type hopNames struct {
	by, helo, rdns hostName
	fetch          bool // isFetch
	// client is isDynamicName(the client's reverse DNS name, else its
	// HELO, the connecting IP), worked out when first asked.
	clientDyn    bool
	clientWhy    string
	clientLooked bool
	clientIP     netip.Addr
}

func (hn *hopNames) set(h *received.Hop) {
	hn.by.set(h.By.Host)
	hn.helo.set(h.From.HELO)
	hn.rdns.set(h.From.RDNS)
	hn.fetch = isFetch(h)
	hn.clientIP = h.From.IP
	hn.clientDyn, hn.clientWhy, hn.clientLooked = false, "", false
}

// clientDynamic is isDynamicName(RDNS, else HELO, From.IP) of the hop.
func (hn *hopNames) clientDynamic() (bool, string) {
	if !hn.clientLooked {
		n := hn.clientName()
		hn.clientDyn, hn.clientWhy = dynamicName(n.norm, n, hn.clientIP)
		hn.clientLooked = true
	}
	return hn.clientDyn, hn.clientWhy
}

// clientName is the client's reverse DNS name, else its HELO.
func (hn *hopNames) clientName() *hostName {
	if hn.rdns.raw == "" {
		return &hn.helo
	}
	return &hn.rdns
}

// hopNamesPool holds hopNames slices for reuse: a trace needs one only
// while it is built. (On the stack they would make the build's frame
// large enough to grow many a goroutine's stack.)
var hopNamesPool = sync.Pool{New: func() any { return new([]hopNames) }}

// maxPooledHops caps the slices the pool keeps: a message with hundreds
// of hops should not pin their space.
const maxPooledHops = 128

// hopNamesFor fills names (reusing its storage) for the hops of tr.
func hopNamesFor(names []hopNames, hops []Hop) []hopNames {
	if cap(names) < len(hops) {
		names = make([]hopNames, len(hops))
	}
	names = names[:len(hops)]
	for i := range hops {
		names[i].set(&hops[i].Received)
	}
	return names
}

// containsFetcher reports whether s names fetchmail or getmail, ASCII case
// ignored: ascii.ContainsFold(s, "fetchmail") || ascii.ContainsFold(s,
// "getmail") in one pass. Both names end in "mail", so only the text
// around each 'm' or 'M' (which ascii.IndexLetter finds eight bytes at a
// time) is read; isFetch asks this of every comment of every hop.
func containsFetcher(s string) bool {
	if len(s) < len("getmail") {
		return false
	}
	for i := 3; i < len(s); {
		k := ascii.IndexLetter(s[i:], 'm')
		if k < 0 {
			return false
		}
		k += i
		if ascii.HasPrefixFold(s[k:], "mail") &&
			(k >= 5 && ascii.EqualFold(s[k-5:k], "fetch") || ascii.EqualFold(s[k-3:k], "get")) {
			return true
		}
		i = k + 1
	}
	return false
}

// containsPOPOrIMAP is ascii.ContainsFold(s, "pop3") ||
// ascii.ContainsFold(s, "imap") in one pass.
func containsPOPOrIMAP(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		switch s[i] {
		case 'p', 'P':
			if ascii.EqualFold(s[i:i+4], "pop3") {
				return true
			}
		case 'i', 'I':
			if ascii.EqualFold(s[i:i+4], "imap") {
				return true
			}
		}
	}
	return false
}
