package main

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/trace"
	"github.com/spamtrace/spamtrace/urls"
)

// schemaVersion is the "version" field of every JSON object; it changes
// only when a field is renamed or removed (docs/json-schema.md).
const schemaVersion = 1

// The JSON output is written by hand, without reflection: it is the hot
// path of bulk runs, and writing it explicitly keeps the field names, which
// other tools rely on, in one visible place.

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
	b = appendRFC3339(b, t)
	return append(b, '"')
}

// appendRFC3339 is t.AppendFormat(b, time.RFC3339) without reading the
// layout: a trace writes a date for every hop. Years outside 0-9999 are
// left to AppendFormat.
func appendRFC3339(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339)
	}
	hour, min, sec := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	_, off := t.Zone()
	if off == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off/60%60
	if h > 99 {
		return t.AppendFormat(b[:len(b)-19], time.RFC3339)
	}
	return append(b, sign, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// record is one message's result as the command reports it.
type record struct {
	file     string
	position int // 1-based position in an mbox; 0 when the file is one message
	tr       *trace.Trace
	err      error

	// part is the MIME part path of an attached message ("2", "2.3");
	// "" for a message read from the input. An attached message's
	// position is its carrier's.
	part          string
	attachments   []string // part paths of the messages attached to this one
	mimeErrors    []string // what unwrap could not read
	urls          []urls.URL
	urlsTruncated bool
	hosts         map[string]*trace.HostLookup // URL hosts resolved (-resolve)
	raw           []byte                       // the message, while the record is encoded
	frame         bool                         // ARF: one report of an mbox of reports
	again         int                          // the earlier times the run named this file (input.again)
}

// appendRecord appends one JSON Lines object (without the newline).
func appendRecord(b []byte, r *record, lookupJSON func([]byte, *trace.Lookup) []byte) []byte {
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, schemaVersion, 10)
	b = appendKey(b, false, "file")
	b = jsonstr.Append(b, r.file)
	b = appendPlace(b, r)
	tr := r.tr
	if tr != nil {
		b = appendHeader(b, &tr.Header)
		b = appendKey(b, false, "hops")
		b = appendEach(b, len(tr.Hops), func(b []byte, i int) []byte {
			b = appendHop(b, &tr.Hops[i], lookupJSON)
			return b
		})
		b = appendKey(b, false, "edges")
		b = appendEach(b, len(tr.Edges), func(b []byte, i int) []byte {
			e := tr.Edges[i]
			b = append(b, `{"upper":`...)
			b = strconv.AppendInt(b, int64(e.Upper), 10)
			b = append(b, `,"lower":`...)
			b = strconv.AppendInt(b, int64(e.Lower), 10)
			b = append(b, `,"match":`...)
			b = jsonstr.Append(b, string(e.Match))
			b = append(b, `,"broken":`...)
			b = strconv.AppendBool(b, e.Broken)
			b = append(b, `,"detail":`...)
			b = jsonstr.Append(b, e.Detail)
			b = append(b, '}')
			return b
		})
		b = appendKey(b, false, "origin")
		b = append(b, `{"hop":`...)
		originHop := -1 // the zero Origin's Hop of 0 is no hop
		if tr.Origin.IsValid() {
			originHop = tr.Origin.Hop
		}
		b = strconv.AppendInt(b, int64(originHop), 10)
		b = append(b, `,"ip":`...)
		b = appendAddr(b, tr.Origin.IP)
		b = append(b, `,"host":`...)
		b = jsonstr.Append(b, tr.Origin.Host)
		b = append(b, `,"reason":`...)
		b = jsonstr.Append(b, tr.Origin.Reason)
		if tr.Origin.RecordedBy != "" {
			b = append(b, `,"recorded_by":`...)
			b = jsonstr.Append(b, tr.Origin.RecordedBy)
		}
		b = append(b, '}')
		if len(tr.ClientRecords) > 0 {
			b = appendKey(b, false, "client_records")
			b = appendEach(b, len(tr.ClientRecords), func(b []byte, i int) []byte {
				r := tr.ClientRecords[i]
				b = append(b, `{"field":`...)
				b = jsonstr.Append(b, r.Field)
				b = append(b, `,"writer":`...)
				b = jsonstr.Append(b, r.Writer)
				b = append(b, `,"ip":`...)
				b = appendAddr(b, r.IP)
				b = append(b, '}')
				return b
			})
		}
		if len(tr.ClientIPs) > 0 {
			b = appendKey(b, false, "client_ips")
			b = appendEach(b, len(tr.ClientIPs), func(b []byte, i int) []byte {
				c := tr.ClientIPs[i]
				b = append(b, `{"header":`...)
				b = jsonstr.Append(b, c.Header)
				b = append(b, `,"ip":`...)
				b = appendAddr(b, c.IP)
				b = append(b, `,"text":`...)
				b = jsonstr.Append(b, c.Text)
				b = append(b, '}')
				return b
			})
		}
		b = appendKey(b, false, "findings")
		b = appendEach(b, len(tr.Findings), func(b []byte, i int) []byte {
			b = appendFinding(b, &tr.Findings[i])
			return b
		})
		b = appendUnwrapped(b, r)
		b = appendAuth(b, tr.Auth)
		if len(tr.HeaderErrors) > 0 {
			b = appendKey(b, false, "header_errors")
			b = appendEach(b, len(tr.HeaderErrors), func(b []byte, i int) []byte {
				e := tr.HeaderErrors[i]
				b = jsonstr.Append(b, e)
				return b
			})
		}
	}
	b = appendKey(b, false, "error")
	if r.err != nil {
		b = jsonstr.Append(b, r.err.Error())
	} else {
		b = append(b, '"', '"')
	}
	return append(b, '}')
}

func appendHeader(b []byte, h *trace.Header) []byte {
	b = appendKey(b, false, "header")
	b = append(b, `{"from":`...)
	b = jsonstr.Append(b, decodeHeader(h.From))
	b = append(b, `,"to":`...)
	b = jsonstr.Append(b, decodeHeader(h.To))
	b = append(b, `,"reply_to":`...)
	b = jsonstr.Append(b, decodeHeader(h.ReplyTo))
	b = append(b, `,"subject":`...)
	b = jsonstr.Append(b, decodeHeader(h.Subject))
	b = append(b, `,"raw_subject":`...)
	b = jsonstr.Append(b, h.Subject)
	b = append(b, `,"date":`...)
	b = jsonstr.Append(b, h.Date)
	b = append(b, `,"message_id":`...)
	b = jsonstr.Append(b, h.MessageID)
	b = append(b, `,"return_path":`...)
	b = jsonstr.Append(b, h.ReturnPath)
	return append(b, '}')
}

func appendHop(b []byte, h *trace.Hop, lookupJSON func([]byte, *trace.Lookup) []byte) []byte {
	r := &h.Received
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(h.Index), 10)
	b = append(b, `,"raw":`...)
	b = jsonstr.Append(b, r.Raw)
	b = append(b, `,"from":{"helo":`...)
	b = jsonstr.Append(b, r.From.HELO)
	b = append(b, `,"helo_verb":`...)
	b = jsonstr.Append(b, r.From.HELOVerb)
	b = append(b, `,"rdns":`...)
	b = jsonstr.Append(b, r.From.RDNS)
	b = append(b, `,"ip":`...)
	ip := r.From.IP
	b = appendAddr(b, ip)
	b = append(b, `,"ip_text":`...)
	b = jsonstr.Append(b, r.From.IPText)
	b = append(b, `,"ip_form":`...)
	b = jsonstr.Append(b, r.From.IPForm.String())
	if r.From.Port != 0 {
		b = append(b, `,"port":`...)
		b = strconv.AppendUint(b, uint64(r.From.Port), 10)
	}
	b = append(b, `,"ident":`...)
	b = jsonstr.Append(b, r.From.Ident)
	b = append(b, `},"by":{"host":`...)
	b = jsonstr.Append(b, r.By.Host)
	b = append(b, `,"ip":`...)
	b = appendAddr(b, r.By.IP)
	b = append(b, `,"software":`...)
	b = jsonstr.Append(b, r.By.Software)
	b = append(b, `},"via":`...)
	b = jsonstr.Append(b, r.Via)
	b = append(b, `,"with":`...)
	b = jsonstr.Append(b, r.With)
	b = append(b, `,"protocol":`...)
	b = jsonstr.Append(b, string(r.Protocol))
	b = append(b, `,"id":`...)
	b = jsonstr.Append(b, r.ID)
	b = append(b, `,"for":`...)
	b = jsonstr.Append(b, r.For)
	b = append(b, `,"envelope_from":`...)
	b = jsonstr.Append(b, r.EnvelopeFrom)
	b = append(b, `,"date":`...)
	b = appendTime(b, r.Date)
	b = append(b, `,"date_text":`...)
	b = jsonstr.Append(b, r.DateText)
	b = append(b, `,"zone":`...)
	b = jsonstr.Append(b, r.ZoneName)
	b = append(b, `,"tls":{"version":`...)
	b = jsonstr.Append(b, r.TLS.Version)
	b = append(b, `,"cipher":`...)
	b = jsonstr.Append(b, r.TLS.Cipher)
	if r.TLS.Bits != 0 {
		b = append(b, `,"bits":`...)
		b = strconv.AppendInt(b, int64(r.TLS.Bits), 10)
	}
	b = append(b, '}')
	if !r.Auth.IsZero() {
		b = append(b, `,"auth":{"method":`...)
		b = jsonstr.Append(b, r.Auth.Method)
		b = append(b, `,"user":`...)
		b = jsonstr.Append(b, r.Auth.User)
		b = append(b, '}')
	}
	b = append(b, `,"dialect":`...)
	b = jsonstr.Append(b, r.Dialect)
	b = append(b, `,"trust":`...)
	b = jsonstr.Append(b, h.Trust.String())
	if h.Delay != 0 {
		b = append(b, `,"delay_seconds":`...)
		b = strconv.AppendFloat(b, h.Delay.Seconds(), 'f', -1, 64)
	}
	if h.ParseErr != nil {
		b = append(b, `,"parse_error":`...)
		b = jsonstr.Append(b, h.ParseErr.Error())
	}
	if h.Lookup != nil && lookupJSON != nil {
		b = append(b, `,"lookup":`...)
		b = lookupJSON(b, h.Lookup)
	}
	return append(b, '}')
}

func appendFinding(b []byte, f *trace.Finding) []byte {
	b = append(b, `{"rule":`...)
	b = jsonstr.Append(b, f.Rule)
	b = append(b, `,"category":`...)
	b = jsonstr.Append(b, string(f.Category))
	b = append(b, `,"severity":`...)
	b = jsonstr.Append(b, f.Severity.String())
	b = append(b, `,"hop":`...)
	b = strconv.AppendInt(b, int64(f.Hop), 10)
	b = append(b, `,"message":`...)
	b = jsonstr.Append(b, f.Message)
	b = append(b, `,"evidence":`...)
	b = jsonstr.Append(b, f.Evidence)
	return append(b, '}')
}

// appendEach writes a JSON array of n elements, each written by elem.
func appendEach(b []byte, n int, elem func(b []byte, i int) []byte) []byte {
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, i)
	}
	return append(b, ']')
}
