package main

import (
	"strconv"
	"strings"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/trace"
)

// appendPlace writes where a record's message is: "position" for a
// message of an mbox, or "attached_to" {"position", "part"} for an
// attached message (position absent for a one-message file).
func appendPlace(b []byte, r *record) []byte {
	if r.part == "" {
		if r.position > 0 {
			b = appendKey(b, false, "position")
			b = strconv.AppendInt(b, int64(r.position), 10)
		}
		return b
	}
	b = appendKey(b, false, "attached_to")
	b = append(b, '{')
	if r.position > 0 {
		b = append(b, `"position":`...)
		b = strconv.AppendInt(b, int64(r.position), 10)
		b = append(b, ',')
	}
	b = append(b, `"part":`...)
	b = jsonstr.Append(b, r.part)
	return append(b, '}')
}

// appendUnwrapped writes "attachments" (when there are any), "urls",
// "urls_truncated" (when a cap was reached) and "mime_errors" (when any).
func appendUnwrapped(b []byte, r *record) []byte {
	if len(r.attachments) > 0 {
		b = appendKey(b, false, "attachments")
		b = appendStrings(b, r.attachments)
	}
	b = appendKey(b, false, "urls")
	b = appendEach(b, len(r.urls), func(b []byte, i int) []byte {
		u := r.urls[i]
		b = append(b, `{"url":`...)
		b = jsonstr.Append(b, u.URL)
		b = append(b, `,"host":`...)
		b = jsonstr.Append(b, u.Host)
		b = append(b, `,"domain":`...)
		b = jsonstr.Append(b, u.Domain)
		b = append(b, `,"part":`...)
		b = jsonstr.Append(b, u.Part)
		if hl := r.hosts[u.Host]; hl != nil {
			b = append(b, `,"lookup":`...)
			b = appendHostLookup(b, hl)
		}
		b = append(b, '}')
		return b
	})
	if r.urlsTruncated {
		b = appendKey(b, false, "urls_truncated")
		b = append(b, "true"...)
	}
	if len(r.mimeErrors) > 0 {
		b = appendKey(b, false, "mime_errors")
		b = appendStrings(b, r.mimeErrors)
	}
	return b
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, s)
	}
	return append(b, ']')
}

// appendHostLookup writes {"ips": [...], "netblock": {...} or null,
// "error": "..."}.
func appendHostLookup(b []byte, hl *trace.HostLookup) []byte {
	b = append(b, `{"ips":[`...)
	for i, a := range hl.Addrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAddr(b, a)
	}
	b = append(b, `],"netblock":`...)
	if hl.Netblock != nil {
		b = hl.Netblock.AppendJSON(b)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"error":`...)
	b = jsonstr.Append(b, strings.Join(hl.Errors, "; "))
	return append(b, '}')
}
