package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// summary counts what a bulk run saw.
type summary struct {
	messages, errors, withOrigin int
	attached                     int            // of messages, those attached to another (unwrap)
	origins                      map[string]int // origin /24 or /48 network
	countries, asns              map[string]int
	findings                     map[string]int // "category severity"
	notReadFiles                 map[string]int // files not traced, by reason
}

// notRead counts a file the run did not trace.
func (s *summary) notRead(reason string) {
	if s.notReadFiles == nil {
		s.notReadFiles = map[string]int{}
	}
	s.notReadFiles[reason]++
}

func (s *summary) add(r *record) {
	s.messages++
	if r.part != "" {
		s.attached++
	}
	if r.err != nil {
		s.errors++
	}
	if r.tr == nil {
		return
	}
	if s.origins == nil {
		s.origins, s.countries, s.asns, s.findings = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	}
	o := r.tr.Origin
	if o.IsValid() && o.IP.IsValid() {
		s.withOrigin++
		bits := 24
		if o.IP.Is6() && !o.IP.Is4In6() {
			bits = 48
		}
		if p, err := o.IP.Unmap().Prefix(bits); err == nil {
			s.origins[p.String()]++
		}
		if o.Hop >= 0 && o.Hop < len(r.tr.Hops) {
			if l := r.tr.Hops[o.Hop].Lookup; l != nil {
				if l.Country != "" {
					s.countries[l.Country]++
				}
				if l.ASN != 0 {
					key := fmt.Sprintf("AS%d", l.ASN)
					if l.ASOrg != "" {
						key += " " + l.ASOrg
					}
					s.asns[key]++
				}
			}
		}
	}
	for _, f := range r.tr.Findings {
		s.findings[string(f.Category)+" "+f.Severity.String()]++
	}
}

// merge adds o's counts to s.
func (s *summary) merge(o *summary) {
	s.messages += o.messages
	s.attached += o.attached
	s.errors += o.errors
	s.withOrigin += o.withOrigin
	if o.origins == nil {
		return
	}
	if s.origins == nil {
		s.origins, s.countries, s.asns, s.findings = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	}
	for _, m := range [][2]map[string]int{{s.origins, o.origins}, {s.countries, o.countries}, {s.asns, o.asns}, {s.findings, o.findings}} {
		for k, v := range m[1] {
			m[0][k] += v
		}
	}
}

func top(m map[string]int, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%7d  %s", m[k], k)
	}
	return out
}

func (s *summary) write(w io.Writer) {
	fmt.Fprintf(w, "== summary\nmessages: %d", s.messages)
	if s.attached > 0 {
		// each attached message is traced as one of its own
		fmt.Fprintf(w, " (%d of them attached to another)", s.attached)
	}
	fmt.Fprintf(w, "  with an origin: %d  with errors: %d\n", s.withOrigin, s.errors)
	section := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n%s\n", title, strings.Join(top(m, 10), "\n"))
	}
	if len(s.notReadFiles) > 0 {
		n := 0
		for _, c := range s.notReadFiles {
			n += c
		}
		fmt.Fprintf(w, "files not read: %d\n%s\n", n, strings.Join(top(s.notReadFiles, len(s.notReadFiles)), "\n"))
	}
	section("top origin networks", s.origins)
	section("top origin countries", s.countries)
	section("top origin ASNs", s.asns)
	if len(s.findings) > 0 {
		keys := make([]string, 0, len(s.findings))
		for k := range s.findings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(w, "findings (category severity):")
		for _, k := range keys {
			fmt.Fprintf(w, "%7d  %s\n", s.findings[k], k)
		}
	}
}
