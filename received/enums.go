package received

// Protocol is the typed meaning of a Received header's "with" clause
// (RFC 5321 section 4.4, RFC 3848, RFC 8314, IANA "Mail Transmission Types").
// It is string-backed so it appears in JSON as written here.
type Protocol string

// Protocols. ProtocolUnknown ("") means the header has no with clause or it
// was not recognised; the text is still in Hop.With.
const (
	ProtocolUnknown    Protocol = ""
	ProtocolSMTP       Protocol = "SMTP"
	ProtocolESMTP      Protocol = "ESMTP"
	ProtocolESMTPS     Protocol = "ESMTPS"
	ProtocolESMTPA     Protocol = "ESMTPA"
	ProtocolESMTPSA    Protocol = "ESMTPSA"
	ProtocolLMTP       Protocol = "LMTP"
	ProtocolLMTPS      Protocol = "LMTPS"
	ProtocolLMTPA      Protocol = "LMTPA"
	ProtocolLMTPSA     Protocol = "LMTPSA"
	ProtocolUTF8SMTP   Protocol = "UTF8SMTP"
	ProtocolUTF8SMTPS  Protocol = "UTF8SMTPS"
	ProtocolUTF8SMTPA  Protocol = "UTF8SMTPA"
	ProtocolUTF8SMTPSA Protocol = "UTF8SMTPSA"
	ProtocolHTTP       Protocol = "HTTP"
	ProtocolHTTPS      Protocol = "HTTPS"
	ProtocolIMAP       Protocol = "IMAP"
	ProtocolPOP3       Protocol = "POP3"
	ProtocolMAPI       Protocol = "MAPI"
	ProtocolLocal      Protocol = "local"
	ProtocolUUCP       Protocol = "UUCP"
	ProtocolQMQP       Protocol = "QMQP"
)

// String returns the protocol name, or "unknown" for ProtocolUnknown.
func (p Protocol) String() string {
	if p == ProtocolUnknown {
		return "unknown"
	}
	return string(p)
}

// IPForm says how an IP literal was written. Anything other than
// IPFormIPv4, IPFormIPv6 and IPFormIPv4Mapped is non-canonical: real MTAs
// never write it, so it is a sign of a forged header.
type IPForm uint8

// IP literal forms.
const (
	IPFormNone        IPForm = iota // no literal
	IPFormIPv4                      // dotted quad, 192.0.2.1
	IPFormIPv6                      // IPv6, with or without "IPv6:", with or without a zone
	IPFormIPv4Mapped                // ::ffff:192.0.2.1
	IPFormLeadingZero               // dotted quad with leading zeros, 192.000.002.001
	IPFormDecimal                   // one decimal number, 3735928559
	IPFormHex                       // one hex number, 0xdeadbeef
	IPFormOctal                     // one octal number, 033653337357
	IPFormDottedHex                 // dotted with hex parts, 0xde.0xad.0xbe.0xef
	IPFormDottedOctal               // dotted with octal parts, 0336.0255.0276.0357
	IPFormShort                     // fewer than four parts, 127.1 or 10.0.258
	IPFormBadOctet                  // dotted quad with a part over 255, 300.1.2.3
	IPFormInvalid                   // looks like an address but is none
)

var ipFormNames = [...]string{
	IPFormNone:        "none",
	IPFormIPv4:        "ipv4",
	IPFormIPv6:        "ipv6",
	IPFormIPv4Mapped:  "ipv4-mapped",
	IPFormLeadingZero: "leading-zero",
	IPFormDecimal:     "decimal",
	IPFormHex:         "hex",
	IPFormOctal:       "octal",
	IPFormDottedHex:   "dotted-hex",
	IPFormDottedOctal: "dotted-octal",
	IPFormShort:       "short",
	IPFormBadOctet:    "bad-octet",
	IPFormInvalid:     "invalid",
}

// String returns the form's name as used in JSON ("ipv4", "decimal", ...).
func (f IPForm) String() string {
	if int(f) < len(ipFormNames) {
		return ipFormNames[f]
	}
	return "invalid"
}

// Canonical reports whether f is a form real MTAs write.
func (f IPForm) Canonical() bool {
	return f == IPFormIPv4 || f == IPFormIPv6 || f == IPFormIPv4Mapped
}

// Encoded reports whether f is a numeric encoding of an address other than
// dotted decimal (decimal, hex, octal, dotted hex or octal, short forms).
func (f IPForm) Encoded() bool {
	switch f {
	case IPFormDecimal, IPFormHex, IPFormOctal, IPFormDottedHex, IPFormDottedOctal, IPFormShort:
		return true
	}
	return false
}
