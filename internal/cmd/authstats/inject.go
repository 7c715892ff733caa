package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/trace"
)

// inject measures detection of an injected results field: for each
// message with a trusted receiver, it adds "Authentication-Results:
// <that receiver's authserv-id>; spf=pass; dkim=pass; dmarc=pass" where
// the sender writes (at the end of the header block, and directly below
// the lowest Received field) and counts how often the trace flags it
// forged-auth-results at high and leaves it untrusted.
func inject(dir string) {
	// Two claims: the authserv-id of the first trusted results field
	// (which on list mail may be the list server, an intermediate that
	// may append fields of its own), and the recipient's own server: the
	// by-host of the topmost hop.
	var first, own injectCount
	msgs, err := corpus.LoadModern(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, m := range msgs {
		p, raw := filepath.Join(dir, m.Path), []byte(m.Text)
		var t trace.Tracer
		tr, err := t.Trace(context.Background(), bytes.NewReader(raw))
		if err != nil || tr.Auth == nil {
			continue
		}
		id := ""
		for _, rf := range tr.Auth.ResultFields {
			if rf.Trusted && rf.AuthservID != "" && rf.Header == "Authentication-Results" {
				id = rf.AuthservID
				break
			}
		}
		if id == "" && tr.Origin.Hop >= 0 {
			h := tr.Hops[tr.Origin.Hop].Received.By.Host
			if strings.Contains(h, ".") {
				id = strings.ToLower(h)
			}
		}
		if id != "" {
			first.add(p, raw, id)
		}
		if len(tr.Hops) > 0 && tr.Hops[0].Trust == trace.TrustTrusted {
			if h := tr.Hops[0].Received.By.Host; strings.Contains(h, ".") {
				own.add(p, raw, strings.ToLower(h))
			}
		}
	}
	first.print("the first trusted results field's authserv-id")
	own.print("the recipient's own server (the topmost hop's by-host, trusted)")
}

type injectCount struct {
	msgs, atEnd, belowLowest, untrustedEnd, untrustedLowest int
}

func (c *injectCount) add(p string, raw []byte, id string) {
	c.msgs++
	field := "Authentication-Results: " + id + "; spf=pass smtp.mailfrom=bank.example; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example\n"
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	hdr, body, _ := strings.Cut(text, "\n\n")
	// At the end of the header block.
	f, u := flagged(hdr+"\n"+field+"\n"+body, id)
	if f {
		c.atEnd++
	} else if injectVerbose {
		fmt.Printf("miss at end: %s (%s)\n", p, id)
	}
	if u {
		c.untrustedEnd++
	} else if injectVerbose {
		fmt.Printf("believed at end: %s (%s)\n", p, id)
	}
	// Directly below the lowest Received field (and its continuation lines).
	lines := strings.Split(hdr, "\n")
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.ToLower(l), "received:") {
			last = i
		}
	}
	if last < 0 {
		return
	}
	j := last + 1
	for j < len(lines) && (strings.HasPrefix(lines[j], " ") || strings.HasPrefix(lines[j], "\t")) {
		j++
	}
	out := strings.Join(lines[:j], "\n") + "\n" + belowReceiverFields(lines[j:], field) + "\n\n" + body
	f, u = flagged(out, id)
	if f {
		c.belowLowest++
	} else if injectVerbose {
		fmt.Printf("miss below lowest: %s (%s)\n", p, id)
	}
	if u {
		c.untrustedLowest++
	}
}

func (c *injectCount) print(what string) {
	pct := func(n int) string {
		return fmt.Sprintf("%d/%d (%.1f%%)", n, c.msgs, 100*float64(n)/float64(max(c.msgs, 1)))
	}
	fmt.Printf("injected claim of %s, %d messages:\n", what, c.msgs)
	fmt.Printf("  at the end of the header: flagged high %s, untrusted %s\n", pct(c.atEnd), pct(c.untrustedEnd))
	fmt.Printf("  below the lowest Received and the trace fields its receiver wrote under it: flagged high %s, untrusted %s\n", pct(c.belowLowest), pct(c.untrustedLowest))
}

// flagged traces msg and reports whether the injected field (the one
// claiming bank.example) raised a high forged-auth-results and is
// untrusted.
func flagged(msg, id string) (bool, bool) {
	var t trace.Tracer
	tr, err := t.Trace(context.Background(), strings.NewReader(msg))
	if err != nil {
		return false, false
	}
	untrusted := false
	for _, rf := range tr.Auth.ResultFields {
		if strings.Contains(rf.Raw, "header.d=bank.example") {
			untrusted = !rf.Trusted
		}
	}
	for _, f := range tr.Findings {
		if f.Category == trace.CategoryForgedAuthResults && f.Severity == trace.SeverityHigh && strings.Contains(f.Evidence, "bank.example") {
			return true, untrusted
		}
	}
	return false, untrusted
}

func init() { injectVerbose = os.Getenv("AUTHSTATS_VERBOSE") != "" }

var injectVerbose bool

// belowReceiverFields inserts field after the run of trace fields a
// receiver writes directly below its Received field (Received-SPF,
// Authentication-Results, ARC-*): the highest place a sender can reach.
func belowReceiverFields(lines []string, field string) string {
	i := 0
	for i < len(lines) {
		l := strings.ToLower(lines[i])
		if !(strings.HasPrefix(l, "received-spf:") || strings.HasPrefix(l, "authentication-results:") || strings.HasPrefix(l, "arc-")) {
			break
		}
		i++
		for i < len(lines) && (strings.HasPrefix(lines[i], " ") || strings.HasPrefix(lines[i], "\t")) {
			i++
		}
	}
	head := strings.Join(lines[:i], "\n")
	if head != "" {
		head += "\n"
	}
	return head + field + strings.Join(lines[i:], "\n")
}
