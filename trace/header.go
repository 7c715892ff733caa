package trace

import (
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// readSummary and the client addresses are read in one pass over the
// fields, names compared without canonicalising them.
func readSummary(h received.Header) (Header, []ClientIP, []ClientRecord) {
	var s Header
	var ips []ClientIP
	var recs []ClientRecord
	seenType := false
	for i := range h {
		f := &h[i]
		if f.Name == "Received" {
			continue // the most common field, none of these
		}
		if len(f.Name) == 12 && ascii.EqualFold(f.Name, "Content-Type") {
			if !seenType { // the first, as MIME readers take it
				seenType, s.report = true, isReport(f.Value)
			}
			continue
		}
		if dst := s.summaryField(f.Name); dst != nil {
			if *dst == "" { // the first (topmost) field of each name
				*dst = f.Value
			}
			continue
		}
		k := f.Name
		if clientRecordField(k) {
			if r, ok := readClientRecord(f.Key(), f.Value); ok && len(recs) < maxClientRecords {
				recs = append(recs, r)
			}
			continue
		}
		if len(k) > 2 && (k[0] == 'X' || k[0] == 'x') && k[1] == '-' && isClientIPHeader(k) {
			ips = append(ips, ClientIP{Header: f.Key(), IP: firstIP(f.Value), Text: f.Value})
		}
	}
	if s.Date != "" {
		if t, _, err := received.ParseDate(s.Date); err == nil {
			s.DateTime = t
		}
	}
	return s, ips, recs
}

// isReport reports whether a Content-Type value is multipart/report
// (RFC 6522), the type of delivery status notifications (RFC 3464),
// feedback reports (RFC 5965) and disposition notifications (RFC 8098).
func isReport(v string) bool {
	v = skipCFWS(v)
	const t = "multipart/report"
	if len(v) < len(t) || !ascii.EqualFold(v[:len(t)], t) {
		return false
	}
	if len(v) == len(t) {
		return true
	}
	switch v[len(t)] {
	case ';', ' ', '\t', '\r', '\n', '(':
		return true
	}
	return false
}

// skipCFWS drops the white space and comments (RFC 5322 CFWS, nested
// parentheses, quoted pairs) at the start of v.
func skipCFWS(v string) string {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			i++
		case depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n':
			return v[i:]
		}
	}
	return ""
}

// summaryField returns the field of s that a header field of this name
// fills, or nil.
func (s *Header) summaryField(name string) *string {
	switch len(name) {
	case 2:
		if ascii.EqualFold(name, "To") {
			return &s.To
		}
		if ascii.EqualFold(name, "Cc") {
			return &s.Cc
		}
	case 4:
		if ascii.EqualFold(name, "From") {
			return &s.From
		}
		if ascii.EqualFold(name, "Date") {
			return &s.Date
		}
	case 7:
		if ascii.EqualFold(name, "Subject") {
			return &s.Subject
		}
	case 8:
		if ascii.EqualFold(name, "Reply-To") {
			return &s.ReplyTo
		}
	case 10:
		if ascii.EqualFold(name, "Message-Id") {
			return &s.MessageID
		}
	case 11:
		if ascii.EqualFold(name, "Return-Path") {
			return &s.ReturnPath
		}
	case 12:
		if ascii.EqualFold(name, "Delivered-To") {
			return &s.DeliveredTo
		}
	}
	return nil
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
// among them). Skipping the rest while the block is read saves most of the
// reading.
func keepField(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, n := range keptFields[keptBucket(len(name), name[0], name[len(name)-1])] {
		if ascii.EqualFoldBytes(name, n) {
			return true
		}
	}
	return false
}

// keptFields are the names keepField keeps, in buckets by length and
// first and last letter: most names land in an empty bucket.
var keptFields = func() (t [256][]string) {
	for _, list := range [][]string{summaryFieldNames, clientIPHeaders, authFieldNames} {
		for _, n := range list {
			b := keptBucket(len(n), n[0], n[len(n)-1])
			t[b] = append(t[b], n)
		}
	}
	return t
}()

func keptBucket(n int, first, last byte) uint8 {
	return uint8(n*7 + int(ascii.Lower(first))*3 + int(ascii.Lower(last)))
}

// summaryFieldNames are the fields of Header (summaryField, and
// Content-Type for Header.report).
var summaryFieldNames = []string{"To", "Cc", "From", "Date", "Subject", "Reply-To", "Message-Id", "Return-Path", "Delivered-To", "Content-Type"}
