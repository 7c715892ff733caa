package netblock

import (
	"errors"
	"net/netip"
	"strconv"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
)

// Source says where a result or a contact came from.
type Source string

// Sources, best first for contacts.
const (
	SourceRDAP     Source = "rdap"     // a registry's RDAP answer (RFC 9083)
	SourceWhois    Source = "whois"    // a registry's whois answer (RFC 3912)
	SourceFallback Source = "fallback" // abuse@ / postmaster@ the verified reverse DNS domain (RFC 2142)
	SourceRemarks  Source = "remarks"  // an address found only in free-text remarks
)

// Contact is one place to report abuse.
type Contact struct {
	Email  string
	Source Source
	// Handle is the registry object the address belongs to (an RDAP entity
	// handle, a whois nic-hdl, role or irt name); empty for fallbacks.
	Handle string
	// Scope says what the address is registered for: "abuse" (an abuse
	// role or abuse-mailbox), "org-abuse" (ARIN OrgAbuseEmail), "irt",
	// "abuse-c", "rfc2142", "remarks".
	Scope string
}

// Netblock is what a registry says about the network an address is in.
type Netblock struct {
	// Prefix is the most specific prefix of the network that contains the
	// looked-up address (a range that is not one CIDR block is split and
	// the part holding the address kept).
	Prefix netip.Prefix
	// First and Last bound the network's range as registered.
	First, Last netip.Addr
	Name        string // net name (NetName, netname, RDAP name)
	Org         string // organisation or owner
	Country     string // ISO 3166-1 alpha-2 as registered
	// Registry is the registry that answered: "arin", "ripe", "apnic",
	// "lacnic", "afrinic", "jpnic", "krnic", "nic.br", "twnic", ...
	Registry string
	// Parent is the covering allocation when the answer shows the network
	// is a reassignment of it; the zero Prefix otherwise.
	Parent netip.Prefix
	// ParentRange is the covering allocation's range as registered, for
	// parents that are not one CIDR block ("a - b"); empty when none.
	ParentRange string
	// OriginASN is the origin AS when the answer gives one; 0 otherwise.
	OriginASN uint32
	// Abuse lists the places to report abuse, best first: registered abuse
	// contacts (RDAP, then whois), then fallbacks and remarks.
	Abuse  []Contact
	Source Source // the answer the network data came from
	Server string // the host that gave it
	// Raw is the answer the data came from, kept as evidence (capped by
	// Client.MaxAnswerBytes).
	Raw string
}

// Contains reports whether a is inside the network.
func (n *Netblock) Contains(a netip.Addr) bool {
	a = a.Unmap()
	if n.First.IsValid() && n.Last.IsValid() {
		return n.First.Compare(a) <= 0 && a.Compare(n.Last) <= 0
	}
	return n.Prefix.IsValid() && n.Prefix.Contains(a)
}

// Errors a lookup can end with. Each is distinct: none of them comes with
// a guessed contact.
var (
	// ErrRateLimited: the registry refused the query for exceeding its
	// query rate ("Query rate limit exceeded", HTTP 429).
	ErrRateLimited = errors.New("netblock: registry rate limit exceeded")
	// ErrNoAbuseContact: the registry answered but registers no abuse
	// contact for the network. The Netblock is still returned.
	ErrNoAbuseContact = errors.New("netblock: no abuse contact registered")
	// ErrEmptyAnswer: the registry sent nothing.
	ErrEmptyAnswer = errors.New("netblock: empty answer")
	// ErrTruncated: the answer was cut off (size cap, connection closed)
	// before a network object was complete.
	ErrTruncated = errors.New("netblock: truncated answer")
	// ErrNotFound: the registry has no network for the address.
	ErrNotFound = errors.New("netblock: no network found")
	// ErrReferralRefused: an answer referred to a server that is not a
	// known registry (or not on port 43); it was not followed.
	ErrReferralRefused = errors.New("netblock: referral to a non-registry server refused")
	// ErrNotGlobal: the address is not a global unicast address, or lies
	// in a special-purpose block IANA marks not global (RFC 6890 and its
	// updates); no registry holds it.
	ErrNotGlobal = errors.New("netblock: address is not globally routable")
)

// AppendJSON appends n as a JSON object with the fields of the
// "spamtrace whois" output: "prefix", "range", "name", "org", "country",
// "registry", "source", "parent", "origin_asn", "server" and "abuse"
// (each contact with "email", "source", "handle", "scope"). A nil n
// appends an object with empty fields.
func (n *Netblock) AppendJSON(b []byte) []byte {
	if n == nil {
		n = &Netblock{}
	}
	b = append(b, `{"prefix":`...)
	b = appendPrefix(b, n.Prefix)
	b = append(b, `,"range":`...)
	if n.First.IsValid() && n.Last.IsValid() {
		b = jsonstr.Append(b, n.First.String()+" - "+n.Last.String())
	} else {
		b = append(b, `""`...)
	}
	b = append(b, `,"name":`...)
	b = jsonstr.Append(b, n.Name)
	b = append(b, `,"org":`...)
	b = jsonstr.Append(b, n.Org)
	b = append(b, `,"country":`...)
	b = jsonstr.Append(b, n.Country)
	b = append(b, `,"registry":`...)
	b = jsonstr.Append(b, n.Registry)
	b = append(b, `,"source":`...)
	b = jsonstr.Append(b, string(n.Source))
	b = append(b, `,"parent":`...)
	b = appendPrefix(b, n.Parent)
	b = append(b, `,"origin_asn":`...)
	b = strconv.AppendUint(b, uint64(n.OriginASN), 10)
	b = append(b, `,"server":`...)
	b = jsonstr.Append(b, n.Server)
	b = append(b, `,"abuse":[`...)
	for i, c := range n.Abuse {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"email":`...)
		b = jsonstr.Append(b, c.Email)
		b = append(b, `,"source":`...)
		b = jsonstr.Append(b, string(c.Source))
		b = append(b, `,"handle":`...)
		b = jsonstr.Append(b, c.Handle)
		b = append(b, `,"scope":`...)
		b = jsonstr.Append(b, c.Scope)
		b = append(b, '}')
	}
	return append(b, ']', '}')
}

func appendPrefix(b []byte, p netip.Prefix) []byte {
	if !p.IsValid() {
		return append(b, `""`...)
	}
	return jsonstr.Append(b, p.String())
}
