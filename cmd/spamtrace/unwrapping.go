package main

import (
	"context"
	"mime"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-message/charset"

	"github.com/spamtrace/spamtrace/internal/mailbox"
	"github.com/spamtrace/spamtrace/trace"
	"github.com/spamtrace/spamtrace/unwrap"
	"github.com/spamtrace/spamtrace/urls"
)

// maxHostLookups caps the URL hosts of one message resolved with -resolve.
const maxHostLookups = 16

// traceAll traces a message read from the input and every message attached
// to it (unwrap.Messages): the carrier's record first, then each attached
// message's, depth first. Each record carries the spamvertised URLs of its
// own text parts and, with lookups on, what its URL hosts resolve to.
func traceAll(ctx context.Context, tracer *trace.Tracer, m *mailbox.Message) []record {
	top := traceOne(ctx, tracer, m)
	top.raw = m.Data
	if top.tr == nil {
		return []record{top}
	}
	ms := unwrap.Messages(m.Data, nil)
	recs := make([]record, len(ms))
	for i := range ms {
		u := &ms[i]
		r := &recs[i]
		if i == 0 {
			*r = top
		} else {
			r.file, r.position, r.part, r.raw = m.File, m.Position, u.Part, u.Raw
			tr, err := tracer.TraceBytes(ctx, u.Raw)
			r.tr, r.err = tr, err
		}
		r.attachments = u.Attached
		r.mimeErrors = u.Errors
		var set urls.Set
		for _, t := range u.Text {
			if t.HTML {
				set.AddHTML(t.Part, t.Body)
			} else {
				set.AddText(t.Part, t.Body)
			}
		}
		r.urls, r.urlsTruncated = set.URLs(), set.Truncated()
		if tracer.Lookups != nil && len(r.urls) > 0 {
			r.hosts = lookupHosts(ctx, tracer.Lookups, r.urls)
		}
	}
	return recs
}

// lookupHosts resolves the distinct hosts of us (at most maxHostLookups),
// in parallel; the Lookups' caches make a host asked by many messages cost
// one question.
func lookupHosts(ctx context.Context, lk *trace.Lookups, us []urls.URL) map[string]*trace.HostLookup {
	out := map[string]*trace.HostLookup{}
	var hosts []string
	for _, u := range us {
		if _, ok := out[u.Host]; !ok && len(hosts) < maxHostLookups {
			out[u.Host] = nil
			hosts = append(hosts, u.Host)
		}
	}
	res := make([]trace.HostLookup, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = lk.LookupHost(ctx, h)
		}()
	}
	wg.Wait()
	for i, h := range hosts {
		out[h] = &res[i]
	}
	return out
}

// recordName names a record for a person: the file, its position in an
// mbox, and the part path of an attached message.
func recordName(r *record) string {
	name := r.file
	if r.position > 0 {
		name += " #" + strconv.Itoa(r.position)
	}
	if r.part != "" {
		name += " part " + r.part
	}
	return name
}

// wordDecoder decodes RFC 2047 encoded words, in the charsets go-message's
// charset package knows.
var wordDecoder = mime.WordDecoder{CharsetReader: charset.Reader}

// decodeHeader returns a header value with its encoded words decoded
// (RFC 2047); the value as written when a charset is unknown.
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}
