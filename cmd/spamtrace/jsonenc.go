package main

import (
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/spamtrace/spamtrace/trace"
)

// schemaVersion is the "version" field of every JSON object; it changes
// only when a field is renamed or removed (docs/json-schema.md).
const schemaVersion = 1

// The JSON output is written by hand, without reflection: it is the hot
// path of bulk runs, and writing it explicitly keeps the field names, which
// other tools rely on, in one visible place.

const hexDigits = "0123456789abcdef"

// jsonClass sorts the bytes for appendString: plain ASCII copied as is,
// ASCII that needs an escape, and the first byte of a multi-byte sequence.
var jsonClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = classMultiByte
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&', c == 0x7f:
			t[c] = classEscape
		}
	}
	return t
}()

const (
	classPlain = iota
	classEscape
	classMultiByte
)

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// control characters and the characters HTML and JavaScript treat specially
// are escaped.
func appendString(b []byte, s string) []byte {
	b = slices.Grow(b, len(s)+2)
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) {
			w := s[i : i+8]
			bad := notPlain(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			if bad != 0 {
				// the lowest flagged byte is the first one to handle
				i += bits.TrailingZeros64(bad) / 8
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		switch jsonClass[c] {
		case classPlain:
			i++
			continue
		case classEscape:
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// notPlain sets the top bit of each byte of w (read little-endian) that
// is not plain ASCII, testing the eight together: a byte with the top bit
// or below 0x20; '"' or '&' (0x22, 0x26: both 0x26 once bit 2 is set); '<'
// or '>' (0x3c, 0x3e: both 0x3e once bit 1 is set); '\\' or DEL. A borrow
// can flag a byte above a flagged one too, never one below: the lowest
// flag is exact.
func notPlain(w uint64) uint64 {
	bad := w | (w - 0x20*lsb)
	bad |= hasZero((w | 0x04*lsb) ^ (0x26 * lsb))
	bad |= hasZero((w | 0x02*lsb) ^ (0x3e * lsb))
	bad |= hasZero(w ^ ('\\' * lsb))
	bad |= hasZero(w ^ (0x7f * lsb))
	return bad & msb
}

// hasZero sets the top bit of some byte when a byte of v is zero.
func hasZero(v uint64) uint64 { return (v - lsb) &^ v }

func appendKey(b []byte, first bool, key string) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, '"', '"')
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, '"', '"')
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// record is one message's result as the command reports it.
type record struct {
	file     string
	position int // 1-based position in an mbox; 0 when the file is one message
	tr       *trace.Trace
	err      error
}

// appendRecord appends one JSON Lines object (without the newline).
func appendRecord(b []byte, r *record, lookupJSON func([]byte, *trace.Lookup) []byte) []byte {
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, schemaVersion, 10)
	b = appendKey(b, false, "file")
	b = appendString(b, r.file)
	if r.position > 0 {
		b = appendKey(b, false, "position")
		b = strconv.AppendInt(b, int64(r.position), 10)
	}
	tr := r.tr
	if tr != nil {
		b = appendHeader(b, &tr.Header)
		b = appendKey(b, false, "hops")
		b = append(b, '[')
		for i := range tr.Hops {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHop(b, &tr.Hops[i], lookupJSON)
		}
		b = append(b, ']')
		b = appendKey(b, false, "edges")
		b = append(b, '[')
		for i, e := range tr.Edges {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"upper":`...)
			b = strconv.AppendInt(b, int64(e.Upper), 10)
			b = append(b, `,"lower":`...)
			b = strconv.AppendInt(b, int64(e.Lower), 10)
			b = append(b, `,"match":`...)
			b = appendString(b, string(e.Match))
			b = append(b, `,"broken":`...)
			b = strconv.AppendBool(b, e.Broken)
			b = append(b, `,"detail":`...)
			b = appendString(b, e.Detail)
			b = append(b, '}')
		}
		b = append(b, ']')
		b = appendKey(b, false, "origin")
		b = append(b, `{"hop":`...)
		b = strconv.AppendInt(b, int64(tr.Origin.Hop), 10)
		b = append(b, `,"ip":`...)
		b = appendAddr(b, tr.Origin.IP)
		b = append(b, `,"host":`...)
		b = appendString(b, tr.Origin.Host)
		b = append(b, `,"reason":`...)
		b = appendString(b, tr.Origin.Reason)
		b = append(b, '}')
		if len(tr.ClientIPs) > 0 {
			b = appendKey(b, false, "client_ips")
			b = append(b, '[')
			for i, c := range tr.ClientIPs {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"header":`...)
				b = appendString(b, c.Header)
				b = append(b, `,"ip":`...)
				b = appendAddr(b, c.IP)
				b = append(b, `,"text":`...)
				b = appendString(b, c.Text)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = appendKey(b, false, "findings")
		b = append(b, '[')
		for i := range tr.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFinding(b, &tr.Findings[i])
		}
		b = append(b, ']')
		if len(tr.HeaderErrors) > 0 {
			b = appendKey(b, false, "header_errors")
			b = append(b, '[')
			for i, e := range tr.HeaderErrors {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, e)
			}
			b = append(b, ']')
		}
	}
	b = appendKey(b, false, "error")
	if r.err != nil {
		b = appendString(b, r.err.Error())
	} else {
		b = append(b, '"', '"')
	}
	return append(b, '}')
}

func appendHeader(b []byte, h *trace.Header) []byte {
	b = appendKey(b, false, "header")
	b = append(b, `{"from":`...)
	b = appendString(b, h.From)
	b = append(b, `,"to":`...)
	b = appendString(b, h.To)
	b = append(b, `,"subject":`...)
	b = appendString(b, h.Subject)
	b = append(b, `,"date":`...)
	b = appendString(b, h.Date)
	b = append(b, `,"message_id":`...)
	b = appendString(b, h.MessageID)
	b = append(b, `,"return_path":`...)
	b = appendString(b, h.ReturnPath)
	return append(b, '}')
}

func appendHop(b []byte, h *trace.Hop, lookupJSON func([]byte, *trace.Lookup) []byte) []byte {
	r := &h.Received
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(h.Index), 10)
	b = append(b, `,"raw":`...)
	b = appendString(b, r.Raw)
	b = append(b, `,"from":{"helo":`...)
	b = appendString(b, r.From.HELO)
	b = append(b, `,"helo_verb":`...)
	b = appendString(b, r.From.HELOVerb)
	b = append(b, `,"rdns":`...)
	b = appendString(b, r.From.RDNS)
	b = append(b, `,"ip":`...)
	ip := r.From.IP
	b = appendAddr(b, ip)
	b = append(b, `,"ip_text":`...)
	b = appendString(b, r.From.IPText)
	b = append(b, `,"ip_form":`...)
	b = appendString(b, r.From.IPForm.String())
	if r.From.Port != 0 {
		b = append(b, `,"port":`...)
		b = strconv.AppendUint(b, uint64(r.From.Port), 10)
	}
	b = append(b, `,"ident":`...)
	b = appendString(b, r.From.Ident)
	b = append(b, `},"by":{"host":`...)
	b = appendString(b, r.By.Host)
	b = append(b, `,"ip":`...)
	b = appendAddr(b, r.By.IP)
	b = append(b, `,"software":`...)
	b = appendString(b, r.By.Software)
	b = append(b, `},"via":`...)
	b = appendString(b, r.Via)
	b = append(b, `,"with":`...)
	b = appendString(b, r.With)
	b = append(b, `,"protocol":`...)
	b = appendString(b, string(r.Protocol))
	b = append(b, `,"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"for":`...)
	b = appendString(b, r.For)
	b = append(b, `,"envelope_from":`...)
	b = appendString(b, r.EnvelopeFrom)
	b = append(b, `,"date":`...)
	b = appendTime(b, r.Date)
	b = append(b, `,"date_text":`...)
	b = appendString(b, r.DateText)
	b = append(b, `,"zone":`...)
	b = appendString(b, r.ZoneName)
	b = append(b, `,"tls":{"version":`...)
	b = appendString(b, r.TLS.Version)
	b = append(b, `,"cipher":`...)
	b = appendString(b, r.TLS.Cipher)
	if r.TLS.Bits != 0 {
		b = append(b, `,"bits":`...)
		b = strconv.AppendInt(b, int64(r.TLS.Bits), 10)
	}
	b = append(b, '}')
	if !r.Auth.IsZero() {
		b = append(b, `,"auth":{"method":`...)
		b = appendString(b, r.Auth.Method)
		b = append(b, `,"user":`...)
		b = appendString(b, r.Auth.User)
		b = append(b, '}')
	}
	b = append(b, `,"dialect":`...)
	b = appendString(b, r.Dialect)
	b = append(b, `,"trust":`...)
	b = appendString(b, h.Trust.String())
	if h.Delay != 0 {
		b = append(b, `,"delay_seconds":`...)
		b = strconv.AppendFloat(b, h.Delay.Seconds(), 'f', -1, 64)
	}
	if h.ParseErr != nil {
		b = append(b, `,"parse_error":`...)
		b = appendString(b, h.ParseErr.Error())
	}
	if h.Lookup != nil && lookupJSON != nil {
		b = append(b, `,"lookup":`...)
		b = lookupJSON(b, h.Lookup)
	}
	return append(b, '}')
}

func appendFinding(b []byte, f *trace.Finding) []byte {
	b = append(b, `{"rule":`...)
	b = appendString(b, f.Rule)
	b = append(b, `,"category":`...)
	b = appendString(b, string(f.Category))
	b = append(b, `,"severity":`...)
	b = appendString(b, f.Severity.String())
	b = append(b, `,"hop":`...)
	b = strconv.AppendInt(b, int64(f.Hop), 10)
	b = append(b, `,"message":`...)
	b = appendString(b, f.Message)
	b = append(b, `,"evidence":`...)
	b = appendString(b, f.Evidence)
	return append(b, '}')
}
