// Command authstats measures the auth package on real mail: how many
// Authentication-Results fields parse (and why those with an item error
// do not), how fields are attributed to hops, and how often each auth
// finding fires on untouched messages. With -show it prints, for the
// named files, each authentication field with the hop it was attributed
// to, for checking attribution by hand.
//
// Usage:
//
//	go run ./internal/cmd/authstats -modern /work/shared/corpus-modern -sa /work/data/package/data
//	go run ./internal/cmd/authstats -show FILE...
//
// It is a measurement, not a test: CI does not run it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/trace"
)

type stats struct {
	name                                    string
	msgs, withAR, arFields, arErr, aarErr   int
	errWhy, rules, highRules, attributed    map[string]int
	forgedMsgs, anyAuthFindingMsgs, trusted int
	results                                 int
}

func newStats(name string) *stats {
	return &stats{name: name, errWhy: map[string]int{}, rules: map[string]int{}, highRules: map[string]int{}, attributed: map[string]int{}}
}

func (s *stats) add(raw []byte) {
	var t trace.Tracer
	tr, err := t.Trace(context.Background(), bytes.NewReader(raw))
	if err != nil || tr.Auth == nil {
		return
	}
	s.msgs++
	ev := tr.Auth
	hasAR := false
	for _, rf := range ev.ResultFields {
		s.attributed[rf.Header+" "+string(rf.Attributed)]++
		if rf.Trusted {
			s.trusted++
		}
		if rf.Header != "Authentication-Results" {
			if rf.Err != nil {
				s.aarErr++
				s.errWhy["ARC-AAR: "+why(rf.Err.Error())]++
			}
			continue
		}
		hasAR = true
		s.arFields++
		if rf.Err != nil {
			s.arErr++
			s.errWhy[why(rf.Err.Error())]++
		}
	}
	s.results += len(ev.Results)
	if hasAR {
		s.withAR++
	}
	forged, any := false, false
	seen := map[string]bool{}
	for _, f := range tr.Findings {
		if !isAuth(f.Category) {
			continue
		}
		any = true
		if !seen[f.Rule] {
			seen[f.Rule] = true
			s.rules[f.Rule+" ("+f.Severity.String()+")"]++
		}
		if f.Category == trace.CategoryForgedAuthResults && f.Severity == trace.SeverityHigh {
			forged = true
		}
	}
	if forged {
		s.forgedMsgs++
	}
	if any {
		s.anyAuthFindingMsgs++
	}
}

func isAuth(c trace.Category) bool {
	switch c {
	case trace.CategoryForgedAuthResults, trace.CategoryAuthFail, trace.CategoryIdentityMismatch,
		trace.CategoryDKIMReplay, trace.CategoryARCBroken, trace.CategorySPFClientMismatch:
		return true
	}
	return false
}

// why shortens an error to its kind (quoted parts removed).
func why(e string) string {
	if i := strings.IndexByte(e, '"'); i >= 0 {
		if j := strings.IndexByte(e[i+1:], '"'); j >= 0 {
			return why(e[:i] + "Q" + e[i+1+j+1:])
		}
	}
	return e
}

func (s *stats) print() {
	pct := func(n, d int) string {
		if d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(d))
	}
	fmt.Printf("== %s: %d messages\n", s.name, s.msgs)
	fmt.Printf("Authentication-Results: %d fields in %d messages, %d with an item error (%s); %d results; %d results fields trusted\n",
		s.arFields, s.withAR, s.arErr, pct(s.arErr, s.arFields), s.results, s.trusted)
	fmt.Printf("ARC-Authentication-Results with an error: %d\n", s.aarErr)
	printMap("item errors", s.errWhy)
	printMap("attribution", s.attributed)
	fmt.Printf("high forged-auth-results: %d messages (%s)\n", s.forgedMsgs, pct(s.forgedMsgs, s.msgs))
	fmt.Printf("any auth finding: %d messages (%s)\n", s.anyAuthFindingMsgs, pct(s.anyAuthFindingMsgs, s.msgs))
	fmt.Printf("messages raising each rule:\n")
	keys := sortedKeys(s.rules)
	for _, k := range keys {
		fmt.Printf("  %6d %6s  %s\n", s.rules[k], pct(s.rules[k], s.msgs), k)
	}
}

func printMap(title string, m map[string]int) {
	fmt.Printf("%s:\n", title)
	for _, k := range sortedKeys(m) {
		fmt.Printf("  %6d  %s\n", m[k], k)
	}
}

func sortedKeys(m map[string]int) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func show(path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	var t trace.Tracer
	tr, err := t.Trace(context.Background(), bytes.NewReader(raw))
	if err != nil {
		fmt.Println(path, err)
		return
	}
	fmt.Printf("### %s (origin hop %d)\n", path, tr.Origin.Hop)
	for _, h := range tr.Hops {
		fmt.Printf("  hop %d %-12s by %-45s from %s [%s]\n", h.Index, h.Trust, h.Received.By.Host, h.Received.From.HELO, h.Received.From.IP)
	}
	ev := tr.Auth
	for _, rf := range ev.ResultFields {
		fmt.Printf("  %s id=%q -> hop %d (%s) trusted=%v err=%v\n", rf.Header, rf.AuthservID, rf.Hop, rf.Attributed, rf.Trusted, rf.Err)
	}
	for _, r := range ev.SPF {
		fmt.Printf("  Received-SPF %s receiver=%q ip=%s -> hop %d (%s) trusted=%v\n", r.Result, r.Receiver, r.ClientIP, r.Hop, r.Attributed, r.Trusted)
	}
	for _, s := range ev.ARC {
		fmt.Printf("  ARC i=%d cv=%s d=%s -> hop %d\n", s.Instance, s.CV, s.Domain, s.Hop)
	}
	for _, d := range ev.DKIM {
		fmt.Printf("  DKIM d=%s s=%s -> hop %d\n", d.Domain, d.Selector, d.Hop)
	}
	seen := map[string]bool{}
	for _, v := range ev.Verdicts {
		if !seen[v.Header] {
			seen[v.Header] = true
			fmt.Printf("  %s -> hop %d trusted=%v\n", v.Header, v.Hop, v.Trusted)
		}
	}
	fmt.Printf("  identities %+v\n  alignment %+v\n", ev.Identities, ev.Alignment)
	for _, f := range tr.Findings {
		if isAuth(f.Category) {
			fmt.Printf("  finding %s %s hop %d: %s\n", f.Severity, f.Rule, f.Hop, f.Message)
		}
	}
}

func main() {
	modern := flag.String("modern", "", "corpus-modern directory (.eml files)")
	sa := flag.String("sa", "", "SpamAssassin corpus data directory")
	showMode := flag.Bool("show", false, "print the attribution of the named files")
	injectMode := flag.Bool("inject", false, "with -modern: measure detection of an injected results field claiming the trusted receiver")
	detailRule := flag.String("detail", "", "with -modern: print each finding whose rule starts with this (\"-\" for results item errors)")
	flag.Parse()
	if *showMode {
		for _, p := range flag.Args() {
			show(p)
		}
		return
	}
	if *modern != "" && *injectMode {
		inject(*modern)
		return
	}
	if *modern != "" && *detailRule != "" {
		detail(*modern, strings.TrimPrefix(*detailRule, "-"))
		return
	}
	if *modern != "" {
		s := newStats("corpus-modern")
		msgs, err := corpus.LoadModern(*modern)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, m := range msgs {
			s.add([]byte(m.Text))
		}
		s.print()
	}
	if *sa != "" {
		msgs, err := corpus.Load(*sa)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ham, spam := newStats("SpamAssassin 2002 ham"), newStats("SpamAssassin 2002 spam")
		for _, m := range msgs {
			if m.IsHam() {
				ham.add([]byte(m.Text))
			} else {
				spam.add([]byte(m.Text))
			}
		}
		ham.print()
		spam.print()
	}
}
