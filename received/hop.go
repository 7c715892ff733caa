package received

import (
	"net/netip"
	"time"
)

// Hop is one parsed Received header field: what the receiving server
// recorded about the connection it accepted the message on.
//
// Every string field is a substring of (or derived from) Raw, so nothing the
// header said is lost. A zero field means the header did not say it or the
// parser could not find it.
type Hop struct {
	// Raw is the field value exactly as passed to Parse.
	Raw string

	// From describes the sending side (the "from" clause and what the
	// receiving MTA added about it).
	From From

	// By describes the receiving side (the "by" clause).
	By By

	// Via is the "via" clause (link type, e.g. "Frontend Transport").
	Via string

	// With is the "with" clause as written (e.g. "ESMTPS", "Microsoft SMTP
	// Server (version=TLS1_2, ...)"), without the TLS details.
	With string

	// Protocol is With classified; ProtocolUnknown when With is empty or
	// not recognised.
	Protocol Protocol

	// ID is the "id" clause (a queue or message id). Exchange's "id
	// 15.1.2507.35" build number is kept here too and never read as an IP.
	ID string

	// For is the envelope recipient of the "for" clause, without angle
	// brackets.
	For string

	// EnvelopeFrom is the envelope sender when the MTA wrote it
	// (Exim "envelope-from <...>", sendmail "(envelope-from ...)").
	EnvelopeFrom string

	// Auth records authenticated submission: the method or marker
	// (e.g. "ESMTPA", "Authenticated sender", "authenticated") and the user
	// when written. Zero when the header shows no authentication.
	Auth Auth

	// TLS holds the TLS parameters the receiving MTA recorded. Zero when
	// the header shows none.
	TLS TLS

	// Date is the time stamp of the hop with the offset as written. Zero
	// when the header has no date or it could not be parsed (see DateText).
	Date time.Time

	// DateText is the date part as written, after the ';' (or where a
	// missing ';' left it). Empty when the header has no date.
	DateText string

	// ZoneName is the zone name written beside or instead of the numeric
	// offset, e.g. "EST" in "-0500 (EST)" or "GMT" in "12:00:00 GMT".
	// Empty when none was written.
	ZoneName string

	// Comments are the top-level comments of the header in order, without
	// their outer parentheses.
	Comments []string

	// Dialect names the MTA family recognised from the header's shape
	// (e.g. "postfix", "sendmail", "exim", "qmail", "exchange"). Empty when
	// not recognised.
	Dialect string
}

// From is the sending side of a hop.
type From struct {
	// HELO is the name (or literal) the client gave in HELO/EHLO/LHLO as the
	// receiving MTA recorded it, e.g. "mail.example.com" or "[192.0.2.1]".
	HELO string

	// HELOVerb is "HELO", "EHLO" or "LHLO" when the header says which verb
	// was used (e.g. sendmail "(HELO x)", Exim "helo=x" gives ""), else "".
	HELOVerb string

	// RDNS is the reverse-DNS name the receiving MTA looked up for the
	// connecting IP at the time, e.g. "mail.example.com" in
	// "from x (mail.example.com [192.0.2.1])". Empty when none was
	// recorded ("unknown" is reported as empty with RDNSUnknown set).
	RDNS string

	// RDNSUnknown is true when the MTA explicitly recorded that the
	// connecting IP had no reverse DNS ("unknown", "(may be forged)" leaves
	// it false).
	RDNSUnknown bool

	// MayBeForged is true when sendmail marked the reverse DNS
	// "(may be forged)".
	MayBeForged bool

	// IP is the connecting IP when the literal is a valid address in a
	// canonical or usual form; the zero Addr when absent or invalid.
	// Non-canonical forms (decimal, hex, ...) are decoded here when they
	// denote an address; IPForm says how it was written.
	IP netip.Addr

	// IPText is the literal as written, without brackets or "IPv6:"
	// prefix, e.g. "192.0.2.1", "300.1.2.3", "3735928559", "fe80::1%7".
	IPText string

	// IPForm says how IPText is written.
	IPForm IPForm

	// Port is the client's TCP port when written ("[192.0.2.1]:51234",
	// "port=51234"), else 0.
	Port uint16

	// Ident is the ident (RFC 1413) user or local user the MTA recorded,
	// e.g. "root" in "from root@localhost" or "userid 1000" style markers.
	Ident string
}

// By is the receiving side of a hop.
type By struct {
	// Host is the receiving server's name as written.
	Host string

	// IP is the receiving server's address when the by clause names one
	// (as the host itself, as a literal, or in a comment).
	IP netip.Addr

	// IPText is the literal as written when there is one.
	IPText string

	// IPForm says how IPText is written.
	IPForm IPForm

	// Software is the MTA name and version when written, e.g.
	// "Postfix", "8.14.4/8.14.4", "Microsoft SMTP Server", "Exim 4.96".
	Software string
}

// TLS holds the TLS parameters a receiving MTA recorded.
type TLS struct {
	// Version is the protocol version as written, e.g. "TLSv1.3",
	// "TLS1_2", "TLS1.2".
	Version string

	// Cipher is the cipher suite name as written.
	Cipher string

	// Bits is the symmetric key size in bits (e.g. 256), 0 when not written.
	Bits int
}

// IsZero reports whether no TLS detail was recorded.
func (t TLS) IsZero() bool { return t.Version == "" && t.Cipher == "" && t.Bits == 0 }

// Auth records authenticated submission.
type Auth struct {
	// Method is the marker: "ESMTPA", "ESMTPSA", "Authenticated sender",
	// "authenticated", "LOGIN", "PLAIN", ... as written.
	Method string

	// User is the authenticated user or sender when written.
	User string
}

// IsZero reports whether no authentication was recorded.
func (a Auth) IsZero() bool { return a.Method == "" && a.User == "" }
