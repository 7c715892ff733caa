package auth

import (
	"hash/maphash"
	"net/mail"
	"strings"
	"sync/atomic"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// orgDomain returns the organisational domain of a name (RFC 7489 §3.2:
// the public suffix plus one label), lower-cased, without a trailing dot;
// the name itself when the list gives none (a bare suffix, an IP literal).
func orgDomain(name string) string {
	name = normDomain(name)
	if name == "" {
		return ""
	}
	return orgCache.get(name, computeOrgDomain)
}

// computeOrgDomain is orgDomain of a name normDomain has normalised.
func computeOrgDomain(name string) string {
	if !isASCII(name) {
		if a, err := idna.Lookup.ToASCII(name); err == nil {
			name = a
		}
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return d
	}
	return name
}

// attribOrg is the organisational domain attribution compares: by the
// ICANN section of the public suffix list only. The private section names
// zones whose subdomains have different owners for DMARC's purposes
// (freedesktop.org is one), but one operator's servers all sit under it:
// mail.freedesktop.org and gabe.freedesktop.org are the same
// organisation's hosts.
func attribOrg(name string) string {
	name = normDomain(name)
	if name == "" {
		return ""
	}
	return attribCache.get(name, computeAttribOrg)
}

// computeAttribOrg is attribOrg of a name normDomain has normalised.
func computeAttribOrg(name string) string {
	if !isASCII(name) {
		if a, err := idna.Lookup.ToASCII(name); err == nil {
			name = a
		}
	}
	ps, icann := publicsuffix.PublicSuffix(name)
	for !icann && strings.Contains(ps, ".") {
		_, ps, _ = strings.Cut(ps, ".")
		ps, icann = publicsuffix.PublicSuffix(ps)
	}
	if len(name) <= len(ps) || name[len(name)-len(ps)-1] != '.' {
		return name
	}
	rest := name[:len(name)-len(ps)-1]
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		rest = rest[i+1:]
	}
	return rest + "." + ps
}

// domainCache remembers what a function of a normalised name returned:
// the public suffix list is the costly part of the analysis, and a bulk
// run meets the same domains in message after message. It is
// direct-mapped: a name whose slot is taken replaces the entry there, so
// memory is fixed and reads take no lock.
type domainCache struct {
	slots [4096]atomic.Pointer[[2]string] // name, result
}

var (
	orgCache, attribCache domainCache
	domainSeed            = maphash.MakeSeed()
)

// get returns f(name), from the cache when it holds name.
func (c *domainCache) get(name string, f func(string) string) string {
	slot := &c.slots[maphash.String(domainSeed, name)%uint64(len(c.slots))]
	if e := slot.Load(); e != nil && e[0] == name {
		return e[1]
	}
	// A copy of the name: the cache must not keep a whole header alive
	// (f may return a part of its argument).
	name = strings.Clone(name)
	e := &[2]string{name, f(name)}
	slot.Store(e)
	return e[1]
}

func normDomain(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return lower(strings.TrimSuffix(s, "."))
}

// domainOf returns the domain of an address, "user@example.com",
// "<user@example.com>" or "@example.com"; a bare domain is returned as is.
func domainOf(addr string) string {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[i+1:]
	}
	return normDomain(addr)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// address returns the addr-spec of a From, Sender or Return-Path value:
// the common forms ("a@b", "Name <a@b>", "<a@b>") read directly, the rest
// by net/mail; when net/mail cannot read it either, the text inside the
// last angle brackets, or the value trimmed.
func address(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "<>" {
		return ""
	}
	if a, ok := simpleAddress(v); ok {
		return a
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return v
}

func addressList(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if strings.IndexByte(v, ',') < 0 {
		if a, ok := simpleAddress(strings.TrimSpace(v)); ok {
			return []string{a}
		}
	}
	if as, err := mail.ParseAddressList(v); err == nil {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = a.Address
		}
		return out
	}
	return []string{address(v)}
}

// operators names the operators whose servers write under several
// registered domains: a seal by microsoft.com on a hop by
// *.prod.outlook.com is Microsoft's own. Keys are organisational domains.
var operators = map[string]string{
	"outlook.com": "microsoft", "office365.com": "microsoft", "microsoft.com": "microsoft",
	"hotmail.com": "microsoft", "live.com": "microsoft", "exchangelabs.com": "microsoft",
	"msn.com": "microsoft", "office.com": "microsoft",
	"google.com": "google", "gmail.com": "google", "googlemail.com": "google",
	"1e100.net": "google", "googlegroups.com": "google",
	"yahoo.com": "yahoo", "yahoo.net": "yahoo", "yahoodns.net": "yahoo", "aol.com": "yahoo",
	"ymail.com":    "yahoo",
	"mimecast.com": "mimecast", "mimecast.co.za": "mimecast", "mimecast-offshore.com": "mimecast",
	"pphosted.com": "proofpoint", "ppops.net": "proofpoint", "proofpoint.com": "proofpoint",
	"ppe-hosted.com": "proofpoint",
	"iphmx.com":      "cisco", "messagelabs.com": "broadcom", "symanteccloud.com": "broadcom",
	"zoho.com": "zoho", "zohomail.com": "zoho", "zoho.eu": "zoho", "zohomail.in": "zoho",
	"zoho.in": "zoho", "zohomail.eu": "zoho",
	"yandex.net": "yandex", "yandex.ru": "yandex", "yandex.com": "yandex",
	"icloud.com": "apple", "me.com": "apple", "apple.com": "apple",
	"messagingengine.com": "fastmail", "fastmail.com": "fastmail",
	"protonmail.ch": "proton", "proton.me": "proton", "protonmail.com": "proton",
	"amazonses.com": "amazon", "amazonaws.com": "amazon",
	"kernel.org": "kernel.org", "linux.dev": "kernel.org",
}

// operatorOf returns the operator of an organisational domain, or the
// domain itself.
func operatorOf(org string) string {
	if op, ok := operators[org]; ok {
		return op
	}
	return org
}

// simpleAddress reads "local@domain" or "display name <local@domain>"
// when neither part holds quotes, comments, a second '@' or a comma.
func simpleAddress(v string) (string, bool) {
	spec := v
	if strings.HasSuffix(v, ">") {
		// The addr-spec is the last angle-addr, whatever the display
		// name before it says.
		i := strings.LastIndexByte(v, '<')
		if i < 0 {
			return "", false
		}
		spec = v[i+1 : len(v)-1]
	}
	at := strings.IndexByte(spec, '@')
	if at <= 0 || at == len(spec)-1 || hasAddressSpecial(spec) || strings.IndexByte(spec[at+1:], '@') >= 0 {
		return "", false
	}
	return spec, true
}

// addressSpecials are the characters simpleAddress leaves to net/mail.
var addressSpecials = func() (t [256]bool) {
	for _, c := range []byte(" \t\"()<>,;:[]\\") {
		t[c] = true
	}
	return t
}()

// hasAddressSpecial is strings.ContainsAny(s, " \t\"()<>,;:[]\\").
func hasAddressSpecial(s string) bool {
	for i := 0; i < len(s); i++ {
		if addressSpecials[s[i]] {
			return true
		}
	}
	return false
}
