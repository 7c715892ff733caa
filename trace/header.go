package trace

import (
	"net/netip"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/spamtrace/spamtrace/received"
)

func readSummary(h textproto.Header) Header {
	s := Header{
		From:        h.Get("From"),
		To:          h.Get("To"),
		Cc:          h.Get("Cc"),
		Subject:     h.Get("Subject"),
		Date:        h.Get("Date"),
		MessageID:   h.Get("Message-Id"),
		ReturnPath:  h.Get("Return-Path"),
		ReplyTo:     h.Get("Reply-To"),
		DeliveredTo: h.Get("Delivered-To"),
	}
	if s.Date != "" {
		if t, _, err := received.ParseDate(s.Date); err == nil {
			s.DateTime = t
		}
	}
	return s
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

func clientIPs(h textproto.Header) []ClientIP {
	var out []ClientIP
	for _, name := range clientIPHeaders {
		for _, v := range h.Values(name) {
			ip := firstIP(v)
			out = append(out, ClientIP{Header: name, IP: ip, Text: v})
		}
	}
	return out
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
