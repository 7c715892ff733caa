// Package iana holds IANA registries that every IP address lookup needs
// offline: the IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890
// and the RFCs that updated them). The allocation of address space to the
// regional registries comes from the RDAP bootstrap registry embedded in
// package netblock (see netblock.Registry), which IANA derives from its
// IPv4 and IPv6 address space registries.
//
// The table below was written from the IANA registries
// "iana-ipv4-special-registry" and "iana-ipv6-special-registry" as
// published in 2024; `go generate` refreshes nothing here because the
// registries change a few times a decade: update the table by hand and
// cite the registry date.
package iana

import "net/netip"

// Entry is one special-purpose block.
type Entry struct {
	Prefix netip.Prefix
	Name   string
	RFC    string
	// Source and Destination say whether the address may appear as a
	// packet's source or destination; Forwardable whether routers forward
	// it; Global whether it is reachable across the Internet.
	Source, Destination, Forwardable, Global bool
}

// SpecialPurposeDate is the date of the IANA registries the table follows.
const SpecialPurposeDate = "2024-01"

var table = []Entry{
	{p("0.0.0.0/8"), "This network", "RFC 791", true, false, false, false},
	{p("0.0.0.0/32"), "This host on this network", "RFC 1122", true, false, false, false},
	{p("10.0.0.0/8"), "Private-Use", "RFC 1918", true, true, true, false},
	{p("100.64.0.0/10"), "Shared Address Space", "RFC 6598", true, true, true, false},
	{p("127.0.0.0/8"), "Loopback", "RFC 1122", false, false, false, false},
	{p("169.254.0.0/16"), "Link Local", "RFC 3927", true, true, false, false},
	{p("172.16.0.0/12"), "Private-Use", "RFC 1918", true, true, true, false},
	{p("192.0.0.0/24"), "IETF Protocol Assignments", "RFC 6890", false, false, false, false},
	{p("192.0.0.0/29"), "IPv4 Service Continuity Prefix", "RFC 7335", true, true, true, false},
	{p("192.0.0.8/32"), "IPv4 dummy address", "RFC 7600", true, false, false, false},
	{p("192.0.0.9/32"), "Port Control Protocol Anycast", "RFC 7723", true, true, true, true},
	{p("192.0.0.10/32"), "Traversal Using Relays around NAT Anycast", "RFC 8155", true, true, true, true},
	{p("192.0.0.170/31"), "NAT64/DNS64 Discovery", "RFC 8880", false, true, false, false},
	{p("192.0.2.0/24"), "Documentation (TEST-NET-1)", "RFC 5737", false, false, false, false},
	{p("192.31.196.0/24"), "AS112-v4", "RFC 7535", true, true, true, true},
	{p("192.52.193.0/24"), "AMT", "RFC 7450", true, true, true, true},
	{p("192.88.99.0/24"), "Deprecated (6to4 Relay Anycast)", "RFC 7526", false, false, false, false},
	{p("192.168.0.0/16"), "Private-Use", "RFC 1918", true, true, true, false},
	{p("192.175.48.0/24"), "Direct Delegation AS112 Service", "RFC 7534", true, true, true, true},
	{p("198.18.0.0/15"), "Benchmarking", "RFC 2544", true, true, true, false},
	{p("198.51.100.0/24"), "Documentation (TEST-NET-2)", "RFC 5737", false, false, false, false},
	{p("203.0.113.0/24"), "Documentation (TEST-NET-3)", "RFC 5737", false, false, false, false},
	{p("224.0.0.0/4"), "Multicast", "RFC 5771", false, true, true, false},
	{p("240.0.0.0/4"), "Reserved", "RFC 1112", false, false, false, false},
	{p("255.255.255.255/32"), "Limited Broadcast", "RFC 919", false, true, false, false},

	{p("::1/128"), "Loopback Address", "RFC 4291", false, false, false, false},
	{p("::/128"), "Unspecified Address", "RFC 4291", true, false, false, false},
	{p("::ffff:0:0/96"), "IPv4-mapped Address", "RFC 4291", false, false, false, false},
	{p("64:ff9b::/96"), "IPv4-IPv6 Translation", "RFC 6052", true, true, true, true},
	{p("64:ff9b:1::/48"), "IPv4-IPv6 Translation", "RFC 8215", true, true, true, false},
	{p("100::/64"), "Discard-Only Address Block", "RFC 6666", true, true, true, false},
	{p("100:0:0:1::/64"), "Dummy IPv6 Prefix", "RFC 9780", true, false, false, false},
	{p("2001::/23"), "IETF Protocol Assignments", "RFC 2928", false, false, false, false},
	{p("2001::/32"), "TEREDO", "RFC 4380", true, true, true, false},
	{p("2001:1::1/128"), "Port Control Protocol Anycast", "RFC 7723", true, true, true, true},
	{p("2001:1::2/128"), "Traversal Using Relays around NAT Anycast", "RFC 8155", true, true, true, true},
	{p("2001:1::3/128"), "DNS-SD Service Registration Protocol Anycast", "RFC 9665", true, true, true, true},
	{p("2001:2::/48"), "Benchmarking", "RFC 5180", true, true, true, false},
	{p("2001:3::/32"), "AMT", "RFC 7450", true, true, true, true},
	{p("2001:4:112::/48"), "AS112-v6", "RFC 7535", true, true, true, true},
	{p("2001:10::/28"), "Deprecated (previously ORCHID)", "RFC 4843", false, false, false, false},
	{p("2001:20::/28"), "ORCHIDv2", "RFC 7343", true, true, true, true},
	{p("2001:30::/28"), "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", true, true, true, true},
	{p("2001:db8::/32"), "Documentation", "RFC 3849", false, false, false, false},
	{p("2002::/16"), "6to4", "RFC 3056", true, true, true, false},
	{p("2620:4f:8000::/48"), "Direct Delegation AS112 Service", "RFC 7534", true, true, true, true},
	{p("3fff::/20"), "Documentation", "RFC 9637", false, false, false, false},
	{p("5f00::/16"), "Segment Routing (SRv6) SIDs", "RFC 9602", true, true, true, false},
	{p("fc00::/7"), "Unique-Local", "RFC 4193", true, true, true, false},
	{p("fe80::/10"), "Link-Local Unicast", "RFC 4291", true, true, false, false},
	{p("ff00::/8"), "Multicast", "RFC 4291", false, true, true, false},
}

func p(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// SpecialPurpose returns the most specific special-purpose block holding
// a, if any. IPv4-mapped IPv6 addresses are looked up as IPv4.
func SpecialPurpose(a netip.Addr) (Entry, bool) {
	a = a.Unmap().WithZone("")
	best := -1
	for i, e := range table {
		if e.Prefix.Contains(a) && (best < 0 || e.Prefix.Bits() > table[best].Prefix.Bits()) {
			best = i
		}
	}
	if best < 0 {
		return Entry{}, false
	}
	return table[best], true
}

// Public reports whether a is an address a real Internet host can send
// mail from: valid, globally reachable, and not in a special-purpose block
// that is not global.
func Public(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if !a.IsValid() || !a.IsGlobalUnicast() {
		return false
	}
	if e, ok := SpecialPurpose(a); ok && !e.Global {
		return false
	}
	return true
}
