package urls

import (
	"hash/maphash"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// Spam names the same few hosts over and over, in one message and across
// a run: the registered domain of a host is remembered in a direct-mapped
// table of 4096 slots (a slot per hash, the last host to land there
// kept), so the public suffix list is searched about once for each. The
// table is bounded and safe for concurrent use; a slot is replaced whole.

type domainEntry struct {
	host, domain string
	ok           bool // EffectiveTLDPlusOne gave no error
}

const domainSlots = 4096

var (
	domainSeed  = maphash.MakeSeed()
	domainTable [domainSlots]atomic.Pointer[domainEntry]
)

// registeredDomain is publicsuffix.EffectiveTLDPlusOne(host).
func registeredDomain(host string) (string, bool) {
	slot := &domainTable[maphash.String(domainSeed, host)%domainSlots]
	if e := slot.Load(); e != nil && e.host == host {
		return e.domain, e.ok
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	slot.Store(&domainEntry{host: host, domain: d, ok: err == nil})
	return d, err == nil
}
