package trace

import (
	"net/netip"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// readSummary and the client addresses are read in one pass over the
// fields: go-message's Get and Values canonicalise the key on every call,
// which is most of the cost on a bulk run.
func readSummary(h textproto.Header) (Header, []ClientIP, []ClientRecord) {
	var s Header
	var ips []ClientIP
	var recs []ClientRecord
	f := h.Fields()
	for f.Next() {
		k := f.Key()
		var dst *string
		switch k {
		case "From":
			dst = &s.From
		case "To":
			dst = &s.To
		case "Cc":
			dst = &s.Cc
		case "Subject":
			dst = &s.Subject
		case "Date":
			dst = &s.Date
		case "Message-Id":
			dst = &s.MessageID
		case "Return-Path":
			dst = &s.ReturnPath
		case "Reply-To":
			dst = &s.ReplyTo
		case "Delivered-To":
			dst = &s.DeliveredTo
		default:
			if clientRecordField(k) {
				if r, ok := readClientRecord(k, f.Value()); ok && len(recs) < maxClientRecords {
					recs = append(recs, r)
				}
				continue
			}
			if len(k) > 2 && (k[0] == 'X' || k[0] == 'x') && k[1] == '-' && isClientIPHeader(k) {
				v := f.Value()
				ips = append(ips, ClientIP{Header: k, IP: firstIP(v), Text: v})
			}
			continue
		}
		if *dst == "" { // the first (topmost) field of each name
			*dst = f.Value()
		}
	}
	if s.Date != "" {
		if t, _, err := received.ParseDate(s.Date); err == nil {
			s.DateTime = t
		}
	}
	return s, ips, recs
}

func isClientIPHeader(k string) bool {
	for _, n := range clientIPHeaders {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}

// clientIPHeaders are fields in which webmail and submission services record
// the address of the client that handed them the message.
var clientIPHeaders = []string{
	"X-Originating-IP",
	"X-Sender-IP",
	"X-Source-IP",
	"X-Client-IP",
	"X-Yahoo-Post-IP",
	"X-AOL-IP",
	"X-Originating-Client-IP",
	"X-MS-Exchange-Organization-OriginalClientIPAddress",
	"X-Mailer-IP",
	"X-Authenticated-Sender-IP",
	"X-Real-IP",
	"X-Forwarded-For",
}

// firstIP returns the first token of v that parses as an IP address, looking
// inside brackets and past separators; the zero Addr if none.
func firstIP(v string) netip.Addr {
	f := func(r rune) bool {
		switch r {
		case '[', ']', '(', ')', ',', ';', ' ', '\t', '"', '<', '>', '=':
			return true
		}
		return false
	}
	for _, tok := range strings.FieldsFunc(v, f) {
		tok = strings.TrimPrefix(strings.TrimPrefix(tok, "IPv6:"), "ipv6:")
		if a, err := netip.ParseAddr(tok); err == nil {
			return a
		}
		if ap, err := netip.ParseAddrPort(tok); err == nil {
			return ap.Addr()
		}
	}
	return netip.Addr{}
}

// keepField says which header fields a trace reads besides Received: the
// summary fields, the webmail client-address fields and the authentication
// fields (auth.go; the receivers' client records of clientrecord.go are
// among them). Skipping the rest before go-message reads the block saves
// most of the reading.
func keepField(name []byte) bool {
	switch len(name) {
	case 2:
		if ascii.EqualFoldBytes(name, "To") || ascii.EqualFoldBytes(name, "Cc") {
			return true
		}
	case 4:
		if ascii.EqualFoldBytes(name, "From") || ascii.EqualFoldBytes(name, "Date") {
			return true
		}
	case 7:
		if ascii.EqualFoldBytes(name, "Subject") {
			return true
		}
	case 8:
		if ascii.EqualFoldBytes(name, "Reply-To") {
			return true
		}
	case 10:
		if ascii.EqualFoldBytes(name, "Message-Id") {
			return true
		}
	case 11:
		if ascii.EqualFoldBytes(name, "Return-Path") {
			return true
		}
	case 12:
		if ascii.EqualFoldBytes(name, "Delivered-To") {
			return true
		}
	}
	if len(name) > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-' && isClientIPHeader(string(name)) {
		return true
	}
	return keepAuthField(name)
}
