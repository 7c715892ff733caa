package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// inject measures detection of an injected results field: for each
// message with a trusted receiver, it adds "Authentication-Results:
// <that receiver's authserv-id>; spf=pass; dkim=pass; dmarc=pass" where
// the sender writes (at the end of the header block, and directly below
// the lowest Received field) and counts how often the trace flags it
// forged-auth-results at high and leaves it untrusted.
func inject(dir string) {
	var msgs, atEnd, belowLowest, untrustedEnd, untrustedLowest int
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".eml") {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		var t trace.Tracer
		tr, err := t.Trace(context.Background(), bytes.NewReader(raw))
		if err != nil || tr.Auth == nil {
			return nil
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
		if id == "" {
			return nil
		}
		msgs++
		field := "Authentication-Results: " + id + "; spf=pass smtp.mailfrom=bank.example; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example\n"
		text := strings.ReplaceAll(string(raw), "\r\n", "\n")
		hdr, body, _ := strings.Cut(text, "\n\n")
		// At the end of the header block.
		if f, u := flagged(hdr+"\n"+field+"\n"+body, id); f {
			atEnd++
			if u {
				untrustedEnd++
			}
		} else {
			if u {
				untrustedEnd++
			}
			if injectVerbose {
				fmt.Printf("miss at end: %s (%s)\n", p, id)
			}
		}
		// Directly below the lowest Received field (and its continuation lines).
		lines := strings.Split(hdr, "\n")
		last := -1
		for i, l := range lines {
			if strings.HasPrefix(strings.ToLower(l), "received:") {
				last = i
			}
		}
		if last >= 0 {
			j := last + 1
			for j < len(lines) && (strings.HasPrefix(lines[j], " ") || strings.HasPrefix(lines[j], "\t")) {
				j++
			}
			out := strings.Join(lines[:j], "\n") + "\n" + belowReceiverFields(lines[j:], field) + "\n\n" + body
			if f, u := flagged(out, id); f {
				belowLowest++
				if u {
					untrustedLowest++
				}
			} else {
				if u {
					untrustedLowest++
				}
				if injectVerbose {
					fmt.Printf("miss below lowest: %s (%s)\n", p, id)
				}
			}
		}
		return nil
	})
	pct := func(n int) string {
		return fmt.Sprintf("%d/%d (%.1f%%)", n, msgs, 100*float64(n)/float64(max(msgs, 1)))
	}
	fmt.Printf("injected claim of the trusted receiver's authserv-id, %d messages:\n", msgs)
	fmt.Printf("  at the end of the header: flagged high %s, untrusted %s\n", pct(atEnd), pct(untrustedEnd))
	fmt.Printf("  below the lowest Received and the trace fields its receiver wrote under it: flagged high %s, untrusted %s\n", pct(belowLowest), pct(untrustedLowest))
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
