package trace

import (
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// Client records
//
// A receiving server often records, besides its Received field, the
// address of the client that connected to it, in a field of its own:
//
//   - Received-SPF (RFC 7208 §9.1): "client-ip=" names the address SPF was
//     evaluated for; the writer is "receiver=" or the domain the comment
//     starts with ("pass (google.com: domain of ...").
//   - Authentication-Results (RFC 8601): "smtp.remote-ip=" or the iprev
//     method's "policy.iprev=" (RFC 8601 §2.7.3), or "client-ip=" in a
//     comment as Postfix's policyd-spf writes it; the writer is the
//     authserv-id before the first ';'.
//   - X-Forefront-Antispam-Report: "CIP:" is the address that connected
//     to Exchange Online Protection; the writer is Microsoft's.
//
// These are read here only as far as the trace needs them (the address and
// who wrote it); ARC copies are not read. The fields can be forged below
// the trust boundary like any other; the trust walk (trust.go) believes
// one only when its writer is a server the walk trusts.

// ClientRecord is a receiving server's own record of the client that
// connected to it.
type ClientRecord struct {
	Field string // header field name as written
	// Writer names the server or domain that wrote the record
	// (authserv-id, receiver=, the Received-SPF comment's domain;
	// "protection.outlook.com" for Forefront); "" when it does not say.
	Writer string
	IP     netip.Addr // the recorded client address, unmapped
	Text   string     // the field's value as read
}

// maxClientRecords caps how many client records a trace keeps.
const maxClientRecords = 16

// clientRecordField reports whether a canonical header key is one
// readClientRecord understands.
func clientRecordField(k string) bool {
	switch len(k) {
	case len("Received-Spf"):
		return ascii.EqualFold(k, "Received-SPF")
	case len("Authentication-Results"):
		return ascii.EqualFold(k, "Authentication-Results")
	case len("X-Forefront-Antispam-Report"):
		return ascii.EqualFold(k, "X-Forefront-Antispam-Report")
	}
	return false
}

// readClientRecord reads the client record in field k with value v; ok is
// false when v records no valid address.
func readClientRecord(k, v string) (ClientRecord, bool) {
	r := ClientRecord{Field: k, Text: v}
	switch len(k) {
	case len("Received-Spf"):
		r.IP = addrAfter(v, "client-ip=")
		r.Writer = spfWriter(v)
	case len("Authentication-Results"):
		for _, key := range [...]string{"smtp.remote-ip=", "policy.iprev=", "client-ip="} {
			if r.IP = addrAfter(v, key); r.IP.IsValid() {
				break
			}
		}
		id, _, _ := strings.Cut(v, ";")
		r.Writer = firstWord(id)
	default:
		r.IP = addrAfter(v, "CIP:")
		r.Writer = "protection.outlook.com"
	}
	return r, r.IP.IsValid()
}

// addrAfter returns the address written right after key in v (case
// ignored), or the zero Addr.
func addrAfter(v, key string) netip.Addr {
	for off := 0; off < len(v); {
		i := ascii.IndexFold(v[off:], key)
		if i < 0 {
			return netip.Addr{}
		}
		s := v[off+i+len(key):]
		off += i + len(key)
		s = strings.TrimLeft(s, " \t\"[")
		end := 0
		for end < len(s) && (isHexDigit(s[end]) || s[end] == '.' || s[end] == ':') {
			end++
		}
		if a, err := netip.ParseAddr(s[:end]); err == nil {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// spfWriter returns who wrote a Received-SPF field: its receiver= value,
// else the domain its comment starts with.
func spfWriter(v string) string {
	if i := ascii.IndexFold(v, "receiver="); i >= 0 {
		if w := firstWord(v[i+len("receiver="):]); w != "" {
			return w
		}
	}
	if i := strings.IndexByte(v, '('); i >= 0 {
		c := strings.TrimLeft(v[i+1:], " \t")
		if w := firstWord(c); w != "" && len(c) > len(w) && c[len(w)] == ':' {
			return w
		}
	}
	return ""
}

// firstWord returns the first run of host-name characters in s, lower
// case.
func firstWord(s string) string {
	s = strings.TrimLeft(s, " \t\r\n")
	end := 0
	for end < len(s) {
		c := s[end]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			end++
			continue
		}
		break
	}
	return normName(s[:end])
}
