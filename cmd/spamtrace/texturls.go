package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// headerLines are the summary fields the text report prints, decoded
// (RFC 2047): From, Reply-To, To, Subject, Date, Message-ID, Return-Path.
func headerLines(h *trace.Header) [][2]string {
	return [][2]string{
		{"From", decodeHeader(h.From)}, {"Reply-To", decodeHeader(h.ReplyTo)}, {"To", decodeHeader(h.To)},
		{"Subject", decodeHeader(h.Subject)}, {"Date", h.Date}, {"Message-ID", h.MessageID}, {"Return-Path", h.ReturnPath},
	}
}

// writeAttachedText says, under a carrier's header lines, which attached
// messages follow, and under an attached message's, what carried it.
func writeAttachedText(w io.Writer, r *record) {
	if n := len(r.attachments); n > 0 {
		what := "an attached message (part " + r.attachments[0] + "), traced below"
		if n > 1 {
			what = fmt.Sprintf("%d attached messages (parts %s), each traced below", n, strings.Join(r.attachments, ", "))
		}
		writeWrapped(w, fmt.Sprintf("%-12s %s; this trace is of the forwarding message", "Carries:", what), 13)
	}
	if r.part != "" {
		writeWrapped(w, fmt.Sprintf("%-12s part %s of the carrier traced before this one (traced as a message of its own)", "Attached:", r.part), 13)
	}
}

// writeURLsText lists the web sites a message advertises, grouped by host,
// with where each host resolved and its network's abuse contact when
// lookups are on.
func writeURLsText(w io.Writer, r *record, p painter) {
	for _, e := range r.mimeErrors {
		writeWrapped(w, "mime: "+sanitize(e, 200), 6)
	}
	if len(r.urls) == 0 {
		return
	}
	more := ""
	if r.urlsTruncated {
		more = ", more not read"
	}
	hosts := urlHosts(r)
	fmt.Fprintln(w)
	writeWrapped(w, fmt.Sprintf("%s %s, %s%s", p.paint("1", "Advertised URLs:"), plural(len(r.urls), "URL"), plural(len(hosts), "host"), more), 2)
	for _, h := range hosts {
		writeWrapped(w, fmt.Sprintf("  %s%s: %d in part %s", sanitize(h.host, 70), sanitize(domainNote(h.host, h.domain), 60), h.count, strings.Join(h.parts, ", ")), 6)
		if hl := r.hosts[h.host]; hl != nil {
			if s := hostedAt(hl); s != "" {
				writeWrapped(w, "      "+sanitize(s, 200), 8)
			}
		}
	}
	for i, u := range r.urls {
		if i == 5 {
			fmt.Fprintf(w, "  … %d more\n", len(r.urls)-5)
			break
		}
		writeWrapped(w, "  - "+sanitize(u.URL, 90), 6)
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
