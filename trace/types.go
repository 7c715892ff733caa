package trace

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/spamtrace/spamtrace/auth"
	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/received"
)

// Severity ranks a finding. Medium and High are reserved for findings an
// analyst would stand behind: legitimate mail rarely raises them.
//
// The zero Severity is [SeverityNone], which no finding carries: a Finding
// whose severity was never set prints "none", not "info", and is not
// [Severity.IsValid]. Severities compare in rank order (s >= SeverityMedium).
type Severity uint8

// Severities, lowest first.
const (
	SeverityNone Severity = iota // the zero value: no severity
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
)

var severityNames = [...]string{"none", "info", "low", "medium", "high"}

// String returns "info", "low", "medium" or "high"; "none" for
// SeverityNone, and "Severity(N)" for a value that is no Severity.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// IsValid reports whether s is one of SeverityInfo to SeverityHigh.
func (s Severity) IsValid() bool { return SeverityInfo <= s && s <= SeverityHigh }

// ParseSeverity parses "info", "low", "medium" or "high" (not "none").
func ParseSeverity(s string) (Severity, bool) {
	for i := SeverityInfo; i <= SeverityHigh; i++ {
		if severityNames[i] == s {
			return i, true
		}
	}
	return SeverityNone, false
}

// Category groups findings. It is string-backed: the names are part of the
// JSON contract.
type Category string

// Categories.
const (
	CategoryBrokenChain      Category = "broken-chain"
	CategoryTimezoneMismatch Category = "timezone-mismatch"
	CategoryQueueIDTime      Category = "queue-id-time"
	CategoryInvalidIP        Category = "invalid-ip"
	CategoryReservedIP       Category = "reserved-ip"
	CategoryEncodedIP        Category = "encoded-ip"
	CategoryTimeTravel       Category = "time-travel"
	CategoryHELOIPMismatch   Category = "helo-ip-mismatch"
	CategoryDynamicHost      Category = "dynamic-host"
	CategoryDateSkew         Category = "date-skew"
	CategoryFutureDate       Category = "future-date"
	CategoryForgedHELO       Category = "forged-helo"
	CategoryUnparseableHop   Category = "unparseable-hop"
	CategorySpamware         Category = "spamware"
	CategoryRDNSMismatch     Category = "rdns-mismatch"
	CategoryDNSBL            Category = "dnsbl"
	// CategoryLogConfirms and CategoryLogContradicts are what the
	// receiving server's own log (spamtrace -log) says about a hop.
	CategoryLogConfirms    Category = "log-confirms"
	CategoryLogContradicts Category = "log-contradicts"
	// CategoryOriginRecord: the origin is not the client a trusted
	// receiver recorded itself (Received-SPF, Authentication-Results,
	// Forefront), and the finding says why. Not a forgery claim.
	CategoryOriginRecord Category = "origin-record"
)

// Finding is one piece of evidence about the message's path.
type Finding struct {
	Rule     string   // stable rule id, e.g. "tz-name-offset"
	Category Category // one of the Category constants
	Severity Severity
	Hop      int    // index of the hop (0 = topmost Received header); -1 for the message as a whole
	Message  string // one sentence for a person
	Evidence string // the header text the finding rests on
}

// Trust says what the trace concluded about one hop. The zero Trust is no
// conclusion ("unknown"): every hop of a trace gets one of the levels below.
type Trust uint8

// Trust levels.
const (
	// TrustTrusted: written by the recipient's own or trusted
	// infrastructure; what it says about its client can be believed.
	TrustTrusted Trust = iota + 1
	// TrustOrigin: the first hop no trusted server vouches for the
	// sender of; its connecting IP is the origin.
	TrustOrigin
	// TrustUnverifiable: below the origin; anything may be forged.
	TrustUnverifiable
)

// String returns "trusted", "origin", "unverifiable", or "unknown".
func (t Trust) String() string {
	switch t {
	case TrustTrusted:
		return "trusted"
	case TrustOrigin:
		return "origin"
	case TrustUnverifiable:
		return "unverifiable"
	}
	return "unknown"
}

// Hop is one Received header with what the trace worked out about it.
type Hop struct {
	Index    int          // 0 = topmost Received header (the newest hop)
	Received received.Hop // the parsed header; Received.Raw is the text
	ParseErr error        // what the parser did not understand; nil if all
	Trust    Trust
	// Delay is the time between the hop below (older) and this one; zero
	// when either date is missing. Negative when the clocks disagree.
	Delay time.Duration
	// Lookup holds what resolvers found about the hop's sending IP; nil
	// when no lookups were made.
	Lookup *Lookup
}

// Match says how the by side of the upper hop meets the from side of the
// hop below it.
type Match string

// Edge matches, strongest first.
const (
	MatchIP     Match = "ip"     // by-IP equals the connecting IP, or by-host is that IP literal
	MatchHost   Match = "host"   // by-host equals the HELO or rDNS name
	MatchDomain Match = "domain" // same registered domain (public suffix + 1)
	MatchLocal  Match = "local"  // the same server handed the message to itself (content filter, local relay)
	// MatchInternal: an opaque hop inside one operator's network. Either
	// the hop above names no client and the server below names itself
	// only by an address literal or an internal name (Google's "by
	// mail-qt1-x848.google.com" above "by 2002:ac8:5842:0:b0:466:8f66:abeb"),
	// or the hop above received from an internal address (private,
	// shared, loopback, link-local, unique local), which only a server of
	// the same network can connect from, whatever name it gives itself.
	MatchInternal Match = "internal"
	MatchNone     Match = "none"   // no connection: a break in the chain
	MatchNoData   Match = "nodata" // one side lacks what is needed to compare
)

// Edge joins two adjacent hops: Upper is the newer hop (smaller index),
// Lower the older one (Upper+1).
type Edge struct {
	Upper, Lower int
	Match        Match
	Detail       string // what matched or what failed to, for a person
	Broken       bool   // Match == MatchNone
}

// Origin is where the message entered the part of the chain that can be
// believed.
//
// Test it with [Origin.IsValid], not by its Hop: the zero Origin is no
// origin, though its Hop is 0. When a trace finds no origin (the message
// has no Received fields) its Origin has Hop -1 and a Reason saying so.
type Origin struct {
	Hop    int        // index of the origin hop; -1 when none was found
	IP     netip.Addr // the connecting IP recorded by the trusted hop; the zero Addr when it recorded none
	Host   string     // the rDNS or HELO name recorded with it; "" when none
	Reason string     // a sentence saying why this hop, or why there is none

	// RecordedBy names the trusted server whose own client record
	// (Received-SPF, Authentication-Results, Forefront) gives IP as its
	// connecting client; "" when no trusted record names it.
	RecordedBy string

	found bool // set by the trace that found it; false in the zero Origin
}

// IsValid reports whether o is an origin a trace found: then Hop indexes
// [Trace.Hops]. The zero Origin, and the Origin of a trace that found none,
// are not valid. A valid Origin may still lack an IP (see IP).
func (o Origin) IsValid() bool { return o.found && o.Hop >= 0 }

// ClientIP is a client address a webmail or submission service recorded in
// its own header (X-Originating-IP, X-Sender-IP, ...).
type ClientIP struct {
	Header string // header field name
	IP     netip.Addr
	Text   string // the value as written
}

// Header holds the summary fields of the message header.
type Header struct {
	From, To, Cc, Subject, Date, MessageID, ReturnPath, ReplyTo string
	DeliveredTo                                                 string
	// DateTime is Date parsed; zero if absent or unparseable.
	DateTime time.Time
	// report: the first Content-Type is multipart/report (isReport), a
	// message the reporting mail system wrote.
	report bool
}

// Trace is the result of tracing one message.
type Trace struct {
	Header Header
	// Hops in header order: Hops[0] is the topmost Received header (the
	// newest hop); the last is the oldest. Path returns them origin first.
	Hops []Hop
	// Edges joins Hops[i] and Hops[i+1]; len(Edges) == len(Hops)-1.
	Edges []Edge
	// Origin is the hop the message really came from, as far as trust
	// goes; not valid ([Origin.IsValid]) when there is none.
	Origin Origin
	// ClientIPs are webmail client addresses the message carries.
	ClientIPs []ClientIP
	// ClientRecords are receivers' own records of their connecting
	// clients (Received-SPF, Authentication-Results, Forefront), topmost
	// first; see clientrecord.go.
	ClientRecords []ClientRecord
	// Findings, in hop order then severity.
	Findings []Finding
	// Auth is the authentication evidence (results, signatures, ARC,
	// identities, vendor verdicts) attributed to the hops; nil when the
	// Tracer's NoAuth is set.
	Auth *auth.Evidence
	// HeaderErrors are problems reading the header block (malformed lines,
	// caps reached); the trace is still made from what could be read.
	HeaderErrors []string
}

// Lookup is what resolvers found about one hop's sending IP. Claimed values
// come from the header; observed values come from lookups made now.
type Lookup struct {
	IP       netip.Addr // the address looked up (the hop's connecting IP)
	Claimed  string     // the reverse DNS name the receiving MTA recorded then
	PTR      []string   // observed reverse DNS names now, without the trailing dot
	FCrDNS   bool       // a PTR name resolves back to the IP
	Country  string     // ISO 3166-1 alpha-2
	City     string
	ASN      uint
	ASOrg    string
	Registry string // RIR from IANA's allocations ("arin", "ripe", ...)
	Special  string // IANA special-purpose registry name, if the IP is special
	// Netblock is the registry's answer for the network, with the abuse
	// contacts (fallbacks from the forward-confirmed rDNS appended); nil
	// when not looked up.
	Netblock *netblock.Netblock
	DNSBL    []DNSBLListing
	Errors   []string // each failed lookup, "ptr: ...", "geoip: ..."

	// Confirmed is the PTR name that resolves back to the IP (the
	// forward-confirmed name); "" when none does.
	Confirmed string
}

// DNSBLListing is one blocklist that lists the hop's IP.
type DNSBLListing struct {
	Zone    string
	Codes   []netip.Addr // the A records returned, e.g. 127.0.0.2
	Meaning []string     // interpreted return codes, e.g. "SBL"
	Text    string       // TXT record when fetched
}
