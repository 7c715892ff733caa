package iana

import (
	"net/netip"
	"testing"
)

func TestSpecialPurpose(t *testing.T) {
	tests := []struct {
		addr, name string
		public     bool
	}{
		{"10.1.2.3", "Private-Use", false},
		{"100.64.1.1", "Shared Address Space", false},
		{"127.0.0.1", "Loopback", false},
		{"192.0.2.7", "Documentation (TEST-NET-1)", false},
		{"192.0.0.9", "Port Control Protocol Anycast", true},
		{"224.1.2.3", "Multicast", false},
		{"250.1.2.3", "Reserved", false},
		{"255.255.255.255", "Limited Broadcast", false},
		{"0.1.2.3", "This network", false},
		{"::ffff:10.1.2.3", "Private-Use", false},
		{"2001:db8::1", "Documentation", false},
		{"2001::1", "TEREDO", false},
		{"fe80::1%eth0", "Link-Local Unicast", false},
		{"81.2.69.142", "", true},
		{"2a00:1450:4001::1", "", true},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		e, ok := SpecialPurpose(a)
		if ok != (tt.name != "") || e.Name != tt.name {
			t.Errorf("SpecialPurpose(%s) = %q, %v; want %q", tt.addr, e.Name, ok, tt.name)
		}
		if Public(a) != tt.public {
			t.Errorf("Public(%s) = %v", tt.addr, !tt.public)
		}
	}
}
